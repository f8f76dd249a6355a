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

from dataclasses import dataclass

import numpy as np

from frames.fcs import check_fcs

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


# Receive side ------------------------------------------------------------------

FLAG_VALUE_LSB_FIRST = int(np.dot(FLAG_BITS, 1 << np.arange(8)))
MIN_FRAME_BYTES = 17  # two addresses, control, FCS
MAX_FRAME_BYTES = 400
REPAIR_SINGLE = 12  # least reliable symbols tried one at a time
REPAIR_PAIRS = 9  # least reliable symbols tried two at a time


def unstuff(bits: np.ndarray) -> np.ndarray | None:
    """Remove the 0 after every five 1s; None if six 1s in a row (an abort, or not a frame).

    >>> unstuff(np.array([1, 1, 1, 1, 1, 0, 1], np.uint8)).tolist()
    [1, 1, 1, 1, 1, 1]
    """
    bits = np.asarray(bits, np.uint8)
    # length of the run of 1s ending at each position
    zeros = np.flatnonzero(bits == 0)
    index = np.arange(len(bits))
    last_zero = np.full(len(bits), -1)
    last_zero[zeros] = zeros
    last_zero = np.maximum.accumulate(last_zero)
    run = index - last_zero  # 1s ending here (0 where the bit is 0)
    if np.any(run >= 6):
        return None
    # a 0 is stuffed where the five previous bits were 1s
    previous_run = np.concatenate([[0], run[:-1]])
    stuffed = (bits == 0) & (previous_run == 5)
    return bits[~stuffed]


def pack_bits(bits: np.ndarray) -> bytes:
    return np.packbits(bits, bitorder="little").tobytes()


def symbols_to_bits(levels: np.ndarray, scrambled: bool, before: np.ndarray) -> np.ndarray:
    """Data bits for line ``levels`` given the 18 levels ``before`` them (descrambler history, NRZI state)."""
    return symbols_to_bits_2d(np.concatenate([before[-18:], levels])[None, :], scrambled)[0]


@dataclass
class RepairCandidate:
    """A segment between flags whose FCS failed but whose header looks like AX.25: worth a repair."""

    levels: np.ndarray  # CONTEXT symbols before the segment, then the segment
    soft: np.ndarray  # reliability of each segment symbol
    scrambled: bool
    start: float  # time of the first and last symbol (timing units)
    end: float

    @property
    def quality(self) -> float:
        return float(np.mean(self.soft))


def repair(candidate: RepairCandidate, check) -> bytes | None:
    """Flip the least reliable symbols, one and two at a time; the first flip set that passes the FCS and
    ``check(raw, True)`` gives the frame (without FCS)."""
    context = HdlcDeframer.CONTEXT
    order = np.argsort(candidate.soft)
    flip_sets = [(int(i),) for i in order[:REPAIR_SINGLE]]
    flip_sets += [(int(a), int(b)) for n, a in enumerate(order[:REPAIR_PAIRS]) for b in order[n + 1 : REPAIR_PAIRS]]
    trials = np.repeat(candidate.levels[None, :], len(flip_sets), axis=0)
    for row, flips in enumerate(flip_sets):
        for position in flips:
            trials[row, context + position] ^= 1
    bits = symbols_to_bits_2d(trials, candidate.scrambled)
    for row in range(len(flip_sets)):
        raw = HdlcDeframer.decode_bits(bits[row])
        if raw is not None and check_fcs(raw) and check(raw[:-2], True):
            return raw[:-2]
    return None


def symbols_to_bits_2d(trials: np.ndarray, scrambled: bool) -> np.ndarray:
    """:func:`symbols_to_bits` for many rows at once; each row is CONTEXT symbols, then the segment."""
    context = HdlcDeframer.CONTEXT
    line = trials
    if scrambled:
        line = trials[:, 17:] ^ trials[:, 5:-12] ^ trials[:, :-17]  # descrambled from symbol 17 on
        context -= 17
    previous = line[:, context - 1 : -1]
    return (line[:, context:] == previous).astype(np.uint8)


class HdlcDeframer:
    """Soft symbols in, frames out: descramble, NRZI, flags, de-stuffing, FCS, soft repair.

    Keeps the symbols since the last flag, so a frame split across two calls is
    found once. ``check`` decides whether FCS-valid bytes are accepted (address
    sanity against chance passes); it gets ``(bytes, repaired)``. Segments that
    fail the FCS but look like AX.25 are returned as :class:`RepairCandidate`, so
    the caller can repair only what no other slicer decoded.
    """

    CONTEXT = 18  # symbols kept before a segment for the descrambler and NRZI

    def __init__(self, scrambled: bool, check=None, repair: bool = True) -> None:
        self.scrambled = scrambled
        self.check = check or (lambda raw, repaired: True)
        self.repair = repair
        self.candidates: list[RepairCandidate] = []
        self._levels = np.zeros(0, np.uint8)
        self._soft = np.zeros(0, np.float32)
        self._times = np.zeros(0)
        self._bits = np.zeros(0, np.uint8)
        self._searched = 0  # bits before this index were searched for flags
        self._open_flag = None  # index of the last flag (start of its 8 bits)
        self._history = np.zeros(self.CONTEXT, np.uint8)  # levels before _levels[0]

    def process(self, soft: np.ndarray, times: np.ndarray) -> list[tuple[bytes, str, float, float]]:
        """Frames completed by these symbols: (bytes without FCS, "ok", start time, end time).

        Repair candidates found on the way are added to :attr:`candidates`.
        """
        if len(soft) == 0:
            return []
        levels = (soft > 0).astype(np.uint8)
        context = np.concatenate([self._history, self._levels])[-self.CONTEXT :]
        new_bits = symbols_to_bits(levels, self.scrambled, context)
        self._levels = np.concatenate([self._levels, levels])
        self._soft = np.concatenate([self._soft, np.abs(soft)])
        self._times = np.concatenate([self._times, times])
        self._bits = np.concatenate([self._bits, new_bits])
        frames = []
        start = max(0, self._searched - 7)
        if len(self._bits) - start >= 8:
            window = np.lib.stride_tricks.sliding_window_view(self._bits[start:], 8)
            values = window @ (1 << np.arange(8, dtype=np.uint16))
            flags = start + np.flatnonzero(values == FLAG_VALUE_LSB_FIRST)
            self._searched = len(self._bits) - 7
            if len(flags):
                # Segments between consecutive flags; only those of a frame's length are looked at.
                opening = np.concatenate([[self._open_flag if self._open_flag is not None else -10**9], flags[:-1]])
                lengths = flags - opening - 8
                plausible = (lengths >= MIN_FRAME_BYTES * 8) & (lengths <= MAX_FRAME_BYTES * 8 * 6 // 5)
                for open_flag, flag in zip(opening[plausible], flags[plausible]):
                    frame = self._segment(int(open_flag) + 8, int(flag))
                    if frame is not None:
                        frames.append(frame)
                self._open_flag = int(flags[-1])
        self._trim()
        return frames

    def _segment(self, first: int, end: int):
        length = end - first
        if not MIN_FRAME_BYTES * 8 <= length <= MAX_FRAME_BYTES * 8 * 6 // 5:
            return None
        raw = self.decode_bits(self._bits[first:end])
        times = (float(self._times[first]), float(self._times[end - 1]))
        if raw is not None and check_fcs(raw) and self.check(raw[:-2], False):
            return raw[:-2], "ok", *times
        if self.repair and self._header_plausible(first, end):
            levels = np.concatenate([self._history, self._levels])[first : end + self.CONTEXT].copy()
            self.candidates.append(RepairCandidate(levels, self._soft[first:end].copy(), self.scrambled, *times))
        return None

    @staticmethod
    def decode_bits(bits: np.ndarray) -> bytes | None:
        """De-stuffed, whole bytes of at least the shortest frame, or None."""
        data = unstuff(bits)
        if data is None or len(data) % 8 or len(data) < MIN_FRAME_BYTES * 8:
            return None
        return pack_bits(data)

    def _header_plausible(self, first: int, end: int) -> bool:
        """The first 14 bytes look like two AX.25 addresses (cheap; gates the costly repair)."""
        data = unstuff(self._bits[first : min(end, first + 14 * 8 * 6 // 5 + 8)])
        if data is None or len(data) < 14 * 8:
            return False
        header = pack_bits(data[: 14 * 8])
        return all(
            (byte & 1) == 0 and (0x41 <= byte >> 1 <= 0x5A or 0x30 <= byte >> 1 <= 0x39 or byte >> 1 == 0x20)
            for index, byte in enumerate(header)
            if index % 7 != 6
        )

    def _trim(self) -> None:
        """Drop symbols no future frame can use: before the open flag, or older than the longest frame."""
        oldest_useful = len(self._bits) - (MAX_FRAME_BYTES * 8 * 6 // 5 + 16)
        if self._open_flag is not None and self._open_flag >= oldest_useful:
            keep_from = self._open_flag
        else:
            keep_from, self._open_flag = oldest_useful, None
        if keep_from <= 0:
            return
        self._history = np.concatenate([self._history, self._levels[:keep_from]])[-self.CONTEXT :]
        self._levels = self._levels[keep_from:]
        self._soft = self._soft[keep_from:]
        self._times = self._times[keep_from:]
        self._bits = self._bits[keep_from:]
        self._searched = max(0, self._searched - keep_from)
        if self._open_flag is not None:
            self._open_flag -= keep_from
