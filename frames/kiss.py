"""KISS framing (the TNC host protocol), as a construct definition plus a stream deframer.

A KISS frame on the wire is ``FEND, command byte, escaped data, FEND``. The
command byte holds the TNC port in its high nibble and the command in its low
nibble (0 = data frame). Inside the frame FEND (0xC0) is sent as FESC TFEND
(0xDB 0xDC) and FESC (0xDB) as FESC TFESC (0xDB 0xDD).

>>> frame = KissFrame(port=0, command=0, data=b"\\xc0 inside")
>>> frame.to_bytes()
b'\\xc0\\x00\\xdb\\xdc inside\\xc0'
>>> KissFrame.from_bytes(frame.to_bytes()) == frame
True
>>> list(KissDeframer().feed(b"\\xc0\\x00ab\\xc0\\xc0\\x00c"))
[KissFrame(port=0, command=0, data=b'ab')]
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import construct as cs

from frames.errors import FrameError

FEND = 0xC0
FESC = 0xDB
TFEND = 0xDC
TFESC = 0xDD
#: Longest escaped frame a deframer holds: AX.25 with a 2048-byte info field, every byte escaped.
MAX_FRAME_BYTES = 8192


class KissCommand(enum.IntEnum):
    """The low nibble of the KISS command byte."""

    DATA = 0
    TXDELAY = 1
    PERSISTENCE = 2
    SLOT_TIME = 3
    TX_TAIL = 4
    FULL_DUPLEX = 5
    SET_HARDWARE = 6
    RETURN = 15


def escape(data: bytes) -> bytes:
    """Replace FESC and FEND in ``data`` by their two-byte escapes."""
    return bytes(data).replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc")


def unescape(data: bytes) -> bytes:
    """Undo :func:`escape`; raise :class:`FrameError` on a bad escape or a bare FEND."""
    _check_escaped(data)
    return bytes(data).replace(b"\xdb\xdc", b"\xc0").replace(b"\xdb\xdd", b"\xdb")


def _check_escaped(data: bytes) -> None:
    fend_at = data.find(FEND)
    if fend_at >= 0:
        raise FrameError(f"KISS: unescaped FEND inside a frame at byte {fend_at}")
    position = data.find(FESC)
    while position >= 0:
        following = data[position + 1] if position + 1 < len(data) else None
        if following not in (TFEND, TFESC):
            shown = "end of frame" if following is None else f"0x{following:02x}"
            raise FrameError(f"KISS: FESC at byte {position} followed by {shown}, not TFEND or TFESC")
        position = data.find(FESC, position + 2)


class _Escaped(cs.Tunnel):
    """Bytes escaped on the wire, plain for the sub-construct."""

    def _decode(self, data, context, path):
        return unescape(data)

    def _encode(self, data, context, path):
        return escape(data)


#: The wire format of one KISS frame, both ways.
KISS_FRAME = cs.Struct(
    cs.Const(bytes([FEND])),
    "body"
    / cs.NullTerminated(
        _Escaped(
            cs.Struct(
                "command_byte" / cs.BitStruct("port" / cs.Nibble, "command" / cs.Nibble),
                "data" / cs.GreedyBytes,
            )
        ),
        term=bytes([FEND]),
    ),
)


@dataclass(frozen=True)
class KissFrame:
    """One KISS frame: TNC ``port`` (0-15), ``command`` (a :class:`KissCommand` value), ``data``."""

    port: int
    command: int
    data: bytes

    @classmethod
    def from_bytes(cls, wire: bytes) -> KissFrame:
        """Parse one whole frame ``FEND ... FEND``; :class:`FrameError` if it is not one."""
        wire = bytes(wire)
        if len(wire) < 3:
            raise FrameError(f"KISS: frame of {len(wire)} bytes is too short (FEND, command, FEND at least)")
        if wire[0] != FEND or wire[-1] != FEND:
            raise FrameError("KISS: frame must start and end with FEND (0xc0)")
        _check_escaped(wire[1:-1])
        parsed = KISS_FRAME.parse(wire)
        return cls(
            port=parsed.body.command_byte.port,
            command=parsed.body.command_byte.command,
            data=parsed.body.data,
        )

    def to_bytes(self) -> bytes:
        """The frame as sent on the wire, escaped and delimited."""
        if not 0 <= self.port <= 15 or not 0 <= self.command <= 15:
            raise FrameError(f"KISS: port {self.port} and command {self.command} must both be 0-15")
        return KISS_FRAME.build(
            {"body": {"command_byte": {"port": self.port, "command": self.command}, "data": self.data}}
        )


def encode_data_frame(data: bytes, port: int = 0) -> bytes:
    """The KISS wire bytes that carry ``data`` (e.g. an AX.25 frame) on ``port``."""
    return KissFrame(port=port, command=KissCommand.DATA, data=bytes(data)).to_bytes()


class KissDeframer:
    """Turn a byte stream cut into arbitrary chunks (serial port, TCP) into whole frames.

    Bytes before the first FEND are discarded, as are empty frames (FEND FEND).
    A malformed frame is counted in :attr:`errors` and passed to ``on_error``,
    never raised: one bad frame must not stop a live stream. A frame longer
    than ``max_frame_bytes`` (escaped; longer than any TNC sends) is dropped the
    same way, so memory stays bounded whatever the stream holds.

    >>> deframer = KissDeframer()
    >>> list(deframer.feed(b"\\xc0\\x00he")), list(deframer.feed(b"llo\\xc0"))
    ([], [KissFrame(port=0, command=0, data=b'hello')])
    >>> small = KissDeframer(max_frame_bytes=4)
    >>> list(small.feed(b"\\xc0\\x00toolong\\xc0\\x00ok\\xc0")), small.errors
    ([KissFrame(port=0, command=0, data=b'ok')], 1)
    """

    def __init__(self, on_error: Callable[[FrameError], None] | None = None,
                 max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
        self._pending = bytearray()
        self._in_frame = False
        self._max_frame_bytes = max_frame_bytes
        self._on_error = on_error
        self.errors = 0
        #: Byte offset in the whole stream where the pending (unfinished) frame began.
        self.pending_start = 0
        self._consumed = 0

    def feed(self, chunk: bytes) -> Iterator[KissFrame]:
        """Add ``chunk`` and yield every frame it completes."""
        start = 0
        while True:
            fend_at = chunk.find(FEND, start)
            if fend_at < 0:
                if self._in_frame:
                    self._pending += chunk[start:]
                    self._drop_if_too_long()
                break
            if self._in_frame and (self._pending or fend_at > start):
                self._pending += chunk[start:fend_at]
                frame = None if self._drop_if_too_long() else self._finish()
                if frame is not None:
                    yield frame
            self._in_frame = True
            self._pending.clear()
            self.pending_start = self._consumed + fend_at
            start = fend_at + 1
        self._consumed += len(chunk)

    def _drop_if_too_long(self) -> bool:
        """Past the limit: report once, drop what is held, skip to the next FEND. True if dropped."""
        if len(self._pending) <= self._max_frame_bytes:
            return False
        self.errors += 1
        if self._on_error is not None:
            self._on_error(FrameError(f"KISS: frame starting at stream byte {self.pending_start} is longer than "
                                      f"{self._max_frame_bytes} bytes (no TNC sends that); dropped"))
        self._pending.clear()
        self._in_frame = False
        return True

    def _finish(self) -> KissFrame | None:
        body = bytes(self._pending)
        try:
            return KissFrame.from_bytes(bytes([FEND]) + body + bytes([FEND]))
        except FrameError as error:
            self.errors += 1
            if self._on_error is not None:
                self._on_error(FrameError(f"{error} (frame starting at stream byte {self.pending_start})"))
            return None

    @property
    def pending_bytes(self) -> int:
        """How many bytes of an unfinished frame are held (non-zero at the end of a truncated stream)."""
        return len(self._pending)
