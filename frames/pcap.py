"""The classic pcap file format, for frames that Wireshark and tshark dissect.

Frames are stored with link type 202, LINKTYPE_AX25_KISS: a one-byte KISS
command header followed by the AX.25 frame without FCS (no FEND, no escaping).

>>> header = PCAP_HEADER.build({"link_type": LINKTYPE_AX25_KISS})
>>> PCAP_HEADER.parse(header).link_type
202
>>> record = build_record(b"\\x00abc", time_s=1.5)
>>> PCAP_RECORD.parse(record).data
b'\\x00abc'
"""

from __future__ import annotations

import math

import construct as cs

from frames.errors import FrameError

LINKTYPE_AX25_KISS = 202
MAX_RECORD_BYTES = 65535
PCAP_MAGIC = 0xA1B2C3D4

PCAP_HEADER = cs.Struct(
    "magic" / cs.Const(PCAP_MAGIC, cs.Int32ul),
    "version_major" / cs.Default(cs.Int16ul, 2),
    "version_minor" / cs.Default(cs.Int16ul, 4),
    "thiszone" / cs.Default(cs.Int32sl, 0),
    "sigfigs" / cs.Default(cs.Int32ul, 0),
    "snaplen" / cs.Default(cs.Int32ul, 65535),
    "link_type" / cs.Int32ul,
)

PCAP_RECORD = cs.Struct(
    "ts_sec" / cs.Int32ul,
    "ts_usec" / cs.Int32ul,
    "incl_len" / cs.Rebuild(cs.Int32ul, cs.len_(cs.this.data)),
    "orig_len" / cs.Rebuild(cs.Int32ul, cs.len_(cs.this.data)),
    "data" / cs.Bytes(cs.this.incl_len),
)


def build_record(data: bytes, time_s: float) -> bytes:
    """One pcap record holding ``data`` stamped ``time_s`` seconds after 1970-01-01 UTC.

    A time the format cannot hold (NaN, before 1970 is clamped to 0, after 2106) or a record
    longer than 65535 bytes raises :class:`FrameError`.

    >>> build_record(b"x", float("nan"))
    Traceback (most recent call last):
    ...
    frames.errors.FrameError: pcap: time nan s cannot be stored (0 to 4294967295 s after 1970)
    """
    if not math.isfinite(time_s) or time_s >= 2**32:
        raise FrameError(f"pcap: time {time_s} s cannot be stored (0 to {2**32 - 1} s after 1970)")
    if len(data) > MAX_RECORD_BYTES:
        raise FrameError(f"pcap: a record of {len(data)} bytes is longer than the snap length {MAX_RECORD_BYTES}")
    microseconds = max(0, round(time_s * 1e6))
    ts_sec, ts_usec = divmod(microseconds, 1_000_000)
    try:
        return PCAP_RECORD.build({"ts_sec": ts_sec, "ts_usec": ts_usec, "data": bytes(data)})
    except (cs.ConstructError, TypeError, ValueError) as error:
        raise FrameError(f"pcap: cannot build a record ({error})") from None


def parse_record(data: bytes) -> cs.Container:
    """One pcap record from ``data``; :class:`FrameError` when it is short or malformed.

    >>> parse_record(build_record(b"\\x00abc", 1.5)).data
    b'\\x00abc'
    >>> parse_record(b"\\x00" * 5)
    Traceback (most recent call last):
    ...
    frames.errors.FrameError: pcap: not a record (5 bytes, a record header is 16)
    """
    if len(data) < 16:
        raise FrameError(f"pcap: not a record ({len(data)} bytes, a record header is 16)")
    try:
        return PCAP_RECORD.parse(bytes(data))
    except cs.ConstructError as error:
        raise FrameError(f"pcap: malformed record ({str(error).splitlines()[0]})") from None
