"""Parse bytes by format name: the one entry point for "what is in these bytes?".

>>> parse("ax25", bytes.fromhex("a284aaa6606260 86a240404040e1 03f0")).tnc2()
'CQ>QBUS01:'
>>> parse("ax25", b"junk")
Traceback (most recent call last):
...
frames.errors.FrameError: AX.25: frame of 4 bytes is too short (at least 15)
"""

from __future__ import annotations

from collections.abc import Callable

from frames.ax25 import Ax25Frame
from frames.errors import FrameError
from frames.hdlc import HdlcFrame
from frames.kiss import KissFrame

#: Format name -> parser taking bytes and returning a typed record or raising FrameError.
PARSERS: dict[str, Callable[[bytes], object]] = {
    "ax25": Ax25Frame.from_bytes,
    "hdlc": HdlcFrame.from_bytes,
    "kiss": KissFrame.from_bytes,
}


def parse(format_name: str, data: bytes) -> object:
    """Parse ``data`` as ``format_name`` (one of :data:`PARSERS`)."""
    try:
        parser = PARSERS[format_name]
    except KeyError:
        raise FrameError(f"unknown frame format {format_name!r}; known: {', '.join(sorted(PARSERS))}") from None
    return parser(data)
