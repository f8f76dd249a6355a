"""HDLC on the air, transmit side: flags, bit stuffing, NRZI and the G3RUH scrambler.

Bits are numpy ``uint8`` arrays of 0/1, least significant bit of each byte first,
as AX.25 sends them.

>>> bits = frame_bits(b"\\xff")  # 8 ones need one stuffed zero after the fifth
>>> "".join(map(str, bits[8:17]))
'111110111'
>>> descrambled = g3ruh_descramble(g3ruh_scramble(np.array([1, 0, 1, 1, 0] * 9, np.uint8)))
>>> descrambled.tolist() == [1, 0, 1, 1, 0] * 9
True
"""

from __future__ import annotations

import numpy as np

FLAG = 0x7E
FLAG_BITS = np.unpackbits(np.array([FLAG], np.uint8), bitorder="little")


def bytes_to_bits(data: bytes) -> np.ndarray:
    """LSB-first bits of ``data``."""
    return np.unpackbits(np.frombuffer(bytes(data), np.uint8), bitorder="little")


def stuff_bits(bits: np.ndarray) -> np.ndarray:
    """Insert a 0 after every run of five 1s (so data never looks like a flag)."""
    out = []
    run = 0
    for bit in bits.tolist():
        out.append(bit)
        if bit:
            run += 1
            if run == 5:
                out.append(0)
                run = 0
        else:
            run = 0
    return np.array(out, dtype=np.uint8)


def frame_bits(frame_with_fcs: bytes, preamble_flags: int = 1, postamble_flags: int = 1) -> np.ndarray:
    """Flags, the stuffed frame bits (FCS included), flags: what the HDLC controller sends."""
    return np.concatenate(
        [np.tile(FLAG_BITS, preamble_flags), stuff_bits(bytes_to_bits(frame_with_fcs)), np.tile(FLAG_BITS, postamble_flags)]
    )


def nrzi_encode(bits: np.ndarray, level: int = 0) -> np.ndarray:
    """NRZI: a 0 changes the line level, a 1 keeps it. ``level`` is the level before the first bit."""
    changes = (bits == 0).astype(np.uint8)
    return (np.cumsum(changes) + level) % 2


def nrzi_decode(levels: np.ndarray, previous: int = 0) -> np.ndarray:
    """Undo :func:`nrzi_encode`: 1 where the level stayed, 0 where it changed."""
    levels = np.asarray(levels, dtype=np.uint8)
    shifted = np.concatenate([[previous], levels[:-1]]).astype(np.uint8)
    return (levels == shifted).astype(np.uint8)


def g3ruh_scramble(bits: np.ndarray, state: int = 0) -> np.ndarray:
    """The G3RUH / K9NG multiplicative scrambler, x^17 + x^12 + 1 (applied after NRZI, as direwolf does).

    ``state`` holds the last 17 output bits, newest in bit 0.
    """
    out = np.empty(len(bits), dtype=np.uint8)
    register = state
    for index, bit in enumerate(bits.tolist()):
        scrambled = bit ^ ((register >> 11) & 1) ^ ((register >> 16) & 1)
        register = ((register << 1) | scrambled) & 0x1FFFF
        out[index] = scrambled
    return out


def g3ruh_descramble(bits: np.ndarray, history: np.ndarray | None = None) -> np.ndarray:
    """Undo :func:`g3ruh_scramble`: out[n] = in[n] ^ in[n-12] ^ in[n-17] (vectorised).

    ``history`` is the 17 input bits before ``bits`` (zeros if None), so a stream
    can be descrambled block by block.
    """
    bits = np.asarray(bits, dtype=np.uint8)
    before = np.zeros(17, np.uint8) if history is None else np.asarray(history, np.uint8)[-17:]
    extended = np.concatenate([before, bits])
    return extended[17:] ^ extended[5:-12] ^ extended[:-17]
