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

import construct as cs

LINKTYPE_AX25_KISS = 202
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
    """One pcap record holding ``data`` stamped ``time_s`` seconds after 1970-01-01 UTC."""
    microseconds = max(0, round(time_s * 1e6))
    ts_sec, ts_usec = divmod(microseconds, 1_000_000)
    return PCAP_RECORD.build({"ts_sec": ts_sec, "ts_usec": ts_usec, "data": bytes(data)})
