"""An HDLC frame that is not AX.25: bytes that passed the FCS, shown in hex.

Some satellites send frames whose address field is not AX.25 (SE01 sends
``ON01SE`` unshifted). Their FCS is valid, so they are data; this record
carries them through every output.

>>> frame = HdlcFrame.from_bytes(b"ON01SE")
>>> frame.tnc2()
'<HDLC, not AX.25: 4f4e30315345>'
>>> frame.to_bytes()
b'ON01SE'
"""

from __future__ import annotations

from dataclasses import dataclass

from frames.errors import FrameError

MAX_HDLC_BYTES = 4096


@dataclass(frozen=True)
class HdlcFrame:
    """The bytes of an HDLC frame (without FCS) whose contents are not a known format."""

    data: bytes

    @classmethod
    def from_bytes(cls, data: bytes) -> HdlcFrame:
        """Any bytes up to :data:`MAX_HDLC_BYTES`; :class:`FrameError` otherwise."""
        data = bytes(data)
        if not data or len(data) > MAX_HDLC_BYTES:
            raise FrameError(f"HDLC: a frame of {len(data)} bytes (1 to {MAX_HDLC_BYTES})")
        return cls(data)

    def to_bytes(self) -> bytes:
        return self.data

    def tnc2(self) -> str:
        """The monitor line: the bytes in hex, marked as not AX.25."""
        return f"<HDLC, not AX.25: {self.data.hex()}>"
