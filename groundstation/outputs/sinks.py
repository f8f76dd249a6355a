"""Where decoded frames go: text, jsonl, kiss or pcap (``--format``), to a file or stdout.

>>> import io
>>> from frames import Ax25Frame
>>> from groundstation.outputs.records import DecodedFrame
>>> stream = io.StringIO()
>>> sink = TextSink(stream)
>>> sink.write(DecodedFrame(raw=Ax25Frame.ui("N0CALL", "CQ", b"hi").to_bytes(), crc="none"))
>>> stream.getvalue()
'N0CALL>CQ:hi\\n'
"""

from __future__ import annotations

import json
import sys
from typing import IO, Protocol

from frames import FrameError, encode_data_frame
from frames.pcap import LINKTYPE_AX25_KISS, PCAP_HEADER, build_record
from groundstation.errors import UserError
from groundstation.outputs.atomic import AtomicFile
from groundstation.outputs.records import DecodedFrame
from groundstation.timefmt import iso_utc

FORMATS = ("text", "jsonl", "kiss", "pcap")
_BINARY_FORMATS = ("kiss", "pcap")


class Sink(Protocol):
    def write(self, frame: DecodedFrame) -> None: ...


def frame_to_json(frame: DecodedFrame) -> dict:
    """The JSON object of one frame (the keys of ``--format jsonl``)."""
    ax25 = frame.ax25
    info = ax25.info if ax25 is not None else frame.raw  # a raw HDLC frame: all its bytes
    text = info.decode("ascii", errors="replace")
    is_printable = all(char.isprintable() or char in "\r\n\t" for char in text) and "\ufffd" not in text
    return {
        "t": None if frame.t is None else round(frame.t, 6),
        "time": None if frame.time is None else iso_utc(frame.time),
        "modem": frame.modem,
        "level_db": None if frame.level_db is None else round(frame.level_db, 1),
        "crc": frame.crc,
        "ax25": ax25 is not None,
        "src": str(ax25.source) if ax25 else None,
        "dst": str(ax25.destination) if ax25 else None,
        "path": ax25.path if ax25 else [],
        "control": ax25.control if ax25 else None,
        "type": ax25.frame_type if ax25 else None,
        "pid": ax25.pid if ax25 else None,
        "info_hex": info.hex(),
        "info_text": text if is_printable else None,
        "monitor": frame.monitor_line(),
    }


def text_line(frame: DecodedFrame) -> str:
    """One line for people: a bracket of what is known about the frame, then the TNC2 line."""
    known = []
    if frame.t is not None:
        known.append(f"t={frame.t:.3f}s")
    if frame.time is not None:
        known.append(iso_utc(frame.time))
    if frame.modem is not None:
        known.append(frame.modem)
    if frame.level_db is not None:
        known.append(f"{frame.level_db:.1f} dB")
    if frame.crc in ("fixed", "bad"):
        known.append(f"crc {frame.crc}")
    prefix = f"[{' '.join(known)}] " if known else ""
    return prefix + frame.monitor_line()


class TextSink:
    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, frame: DecodedFrame) -> None:
        self._stream.write(text_line(frame) + "\n")
        self._stream.flush()


class JsonlSink:
    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, frame: DecodedFrame) -> None:
        self._stream.write(json.dumps(frame_to_json(frame)) + "\n")
        self._stream.flush()


class KissSink:
    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def write(self, frame: DecodedFrame) -> None:
        self._stream.write(encode_data_frame(frame.raw))
        self._stream.flush()


class PcapSink:
    """pcap with LINKTYPE_AX25_KISS; a frame is stamped with its UTC time, else ``t``, else 0."""

    def __init__(self, stream: IO[bytes], header: bool = True) -> None:
        self._stream = stream
        if header:
            self._stream.write(PCAP_HEADER.build({"link_type": LINKTYPE_AX25_KISS}))

    def write(self, frame: DecodedFrame) -> None:
        if frame.time is not None:
            stamp_s = frame.time.timestamp()
        else:
            stamp_s = frame.t or 0.0
        try:
            record = build_record(b"\x00" + frame.raw, stamp_s)
        except FrameError as error:
            raise UserError(f"--format pcap: {error}; use --format jsonl or kiss for this input") from None
        self._stream.write(record)
        self._stream.flush()


class OpenSink:
    """Context manager: the sink for ``format_name`` writing to ``path`` (``-`` or None: stdout).

    A file is written beside its final name and renamed into place when the
    block ends without error (or on Ctrl-C, the normal end of a live decode);
    an error leaves no file and any old one untouched. With ``append`` (a live
    log) an existing file is added to instead, flushed after every frame so a
    crash loses nothing already received (a pcap file gets its header only when
    it is new or empty). Call :func:`~groundstation.outputs.atomic.refuse_same_file`
    before opening.
    """

    def __init__(self, format_name: str, path: str | None, append: bool = False) -> None:
        if format_name not in FORMATS:
            raise UserError(f"--format: {format_name!r} is not one of {', '.join(FORMATS)}")
        self._format = format_name
        self._path = None if path in (None, "-") else path
        self._file: AtomicFile | IO | None = None
        self._append = append

    def __enter__(self) -> Sink:
        binary = self._format in _BINARY_FORMATS
        header = True
        if self._path is None:
            stream = sys.stdout.buffer if binary else sys.stdout
        else:
            if self._append:
                try:
                    self._file = open(self._path, "ab" if binary else "a", encoding=None if binary else "utf-8")
                except OSError as error:
                    raise UserError(f"--out: cannot write {self._path!r}: {error.strerror}") from None
                stream = self._file
                header = self._file.tell() == 0
            else:
                self._file = AtomicFile(self._path, "wb" if binary else "w", "--out")
                stream = self._file.file
        if self._format == "pcap":
            return PcapSink(stream, header)
        sink_class = {"text": TextSink, "jsonl": JsonlSink, "kiss": KissSink}[self._format]
        return sink_class(stream)

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        if self._file is None:
            return
        if not isinstance(self._file, AtomicFile):  # an appended live log: everything written is kept
            self._file.close()
            return
        if exc_type is None or issubclass(exc_type, KeyboardInterrupt):
            self._file.commit()
        else:
            self._file.discard()
