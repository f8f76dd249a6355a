"""The record every decoder produces for one frame, whatever its source.

>>> from frames import Ax25Frame
>>> raw = Ax25Frame.ui("N0CALL", "CQ", b"hi").to_bytes()
>>> DecodedFrame(raw=raw, crc="none").monitor_line()
'N0CALL>CQ:hi'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from frames import Ax25Frame, FrameError

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
    t: float | None = None
    time: datetime | None = None
    modem: str | None = None
    level_db: float | None = None

    def __post_init__(self) -> None:
        if self.crc not in CRC_VALUES:
            raise ValueError(f"crc must be one of {CRC_VALUES}, not {self.crc!r}")

    @cached_property
    def ax25(self) -> Ax25Frame | None:
        """The parsed frame, or None when the bytes are not AX.25."""
        try:
            return Ax25Frame.from_bytes(self.raw)
        except FrameError:
            return None

    def monitor_line(self) -> str:
        """The TNC2 monitor line, or the bytes in hex when they are not AX.25."""
        if self.ax25 is None:
            return f"<not AX.25: {self.raw.hex()}>"
        return self.ax25.tnc2()
