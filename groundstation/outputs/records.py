"""The record every decoder produces for one frame, whatever its source.

``format`` names the frame format in ``frames.registry`` (``ax25``, or ``hdlc``
for an FCS-valid frame that is not AX.25); the parsed record comes from there.

>>> from frames import Ax25Frame
>>> raw = Ax25Frame.ui("N0CALL", "CQ", b"hi").to_bytes()
>>> DecodedFrame(raw=raw, crc="none").monitor_line()
'N0CALL>CQ:hi'
>>> DecodedFrame(raw=b"ON01SE", crc="ok", format="hdlc").monitor_line()
'<HDLC, not AX.25: 4f4e30315345>'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from frames import Ax25Frame, FrameError, is_ax25
from frames.registry import parse

#: The values of :attr:`DecodedFrame.crc` (see DESIGN.md's shared vocabulary).
CRC_VALUES = ("ok", "fixed", "bad", "none")


@dataclass(frozen=True)
class DecodedFrame:
    """One frame: its AX.25 bytes (without FCS) and where and how it was found.

    ``t`` is seconds from the start of the input (None where the input has no
    timing, e.g. a KISS file); ``time`` is the absolute UTC time when the
    recording's start is known; ``modem`` and ``level_db`` come from the DSP.
    """

    raw: bytes
    crc: str
    format: str = "ax25"
    t: float | None = None
    time: datetime | None = None
    modem: str | None = None
    level_db: float | None = None

    def __post_init__(self) -> None:
        if self.crc not in CRC_VALUES:
            raise ValueError(f"crc must be one of {CRC_VALUES}, not {self.crc!r}")

    @classmethod
    def from_bytes(cls, raw: bytes, crc: str, **found) -> DecodedFrame:
        """A frame whose format is told by its bytes: AX.25 if structurally AX.25, else HDLC."""
        return cls(raw=raw, crc=crc, format="ax25" if is_ax25(raw) else "hdlc", **found)

    @cached_property
    def record(self):
        """The parsed record (``frames.registry``), or None when the bytes do not parse as ``format``."""
        try:
            return parse(self.format, self.raw)
        except FrameError:
            return None

    @property
    def ax25(self) -> Ax25Frame | None:
        """The AX.25 frame, or None when the frame is not AX.25."""
        return self.record if isinstance(self.record, Ax25Frame) else None

    def monitor_line(self) -> str:
        """The TNC2 monitor line, or the bytes in hex when they are not AX.25."""
        if self.record is None:
            return f"<not {self.format}: {self.raw.hex()}>"
        return self.record.tnc2()
