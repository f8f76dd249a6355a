"""HDLC on the air: flags, bit stuffing, NRZI and the G3RUH scrambler; and the receive side, a
:class:`~groundstation.dsp.deframer.Deframer` with soft repair.

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

from frames.acceptance import Evidence, accept, header_worth_repair
from frames.fcs import check_fcs
from groundstation.dsp.deframer import DeframedFrame

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

MIN_FRAME_BYTES = 10  # the shortest frame looked at (FCS included); acceptance rules decide the rest
MAX_FRAME_BYTES = 400
MAX_SEGMENT_BITS = MAX_FRAME_BYTES * 8 * 6 // 5  # with the most bit stuffing
REPAIR_SINGLE = 12  # least reliable symbols tried one at a time
REPAIR_PAIRS = 9  # least reliable symbols tried two at a time
CONTEXT = 18  # line symbols kept before a segment for the descrambler and NRZI


def unstuff(bits: np.ndarray) -> np.ndarray | None:
    """Remove the 0 after every five 1s; None if six 1s in a row (an abort, or not a frame).

    >>> unstuff(np.array([1, 1, 1, 1, 1, 0, 1], np.uint8)).tolist()
    [1, 1, 1, 1, 1, 1]
    >>> unstuff(np.array([0, 1, 1, 1, 1, 1, 1], np.uint8)) is None
    True
    """
    # As bytes 0/1, the rule is a search and replace (left to right, a run of 1s counted from its start).
    text = np.asarray(bits, np.uint8).tobytes()
    if _SIX_ONES in text:
        return None
    return np.frombuffer(text.replace(_STUFFED, _FIVE_ONES), np.uint8)


_FIVE_ONES = bytes([1] * 5)
_SIX_ONES = bytes([1] * 6)
_STUFFED = _FIVE_ONES + bytes([0])


def find_flags(bits: np.ndarray) -> np.ndarray:
    """Indices where a flag (0, six 1s, 0) starts.

    >>> find_flags(np.array([1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0], np.uint8)).tolist()
    [1, 8]
    """
    if len(bits) < 8:
        return np.zeros(0, np.intp)
    ones = np.asarray(bits, bool)
    count = len(ones) - 7
    found = ~ones[:count] & ~ones[7:]
    for shift in range(1, 7):
        found &= ones[shift : shift + count]
    return np.flatnonzero(found)


def pack_bits(bits: np.ndarray) -> bytes:
    return np.packbits(bits, bitorder="little").tobytes()


def decode_bits(bits: np.ndarray) -> bytes | None:
    """De-stuffed whole bytes (FCS included) of at least the shortest frame, or None."""
    data = unstuff(bits)
    if data is None or len(data) % 8 or len(data) < MIN_FRAME_BYTES * 8:
        return None
    return pack_bits(data)


def symbols_to_bits(lines: np.ndarray, scrambled: bool) -> np.ndarray:
    """Data bits of line symbols, one row a trial: each row is :data:`CONTEXT` symbols, then the segment.

    Descrambling (G3RUH, ``out[n] = in[n] ^ in[n-12] ^ in[n-17]``) then NRZI (1 where the level stayed).
    """
    context = CONTEXT
    if scrambled:
        lines = lines[:, 17:] ^ lines[:, 5:-12] ^ lines[:, :-17]  # descrambled from symbol 17 on
        context -= 17
    previous = lines[:, context - 1 : -1]
    return (lines[:, context:] == previous).astype(np.uint8)


@dataclass
class HdlcRepairCandidate:
    """A segment between flags whose FCS failed but whose header looks like AX.25: worth a repair."""

    lines: np.ndarray  # CONTEXT symbols before the segment, then the segment
    soft: np.ndarray  # reliability of each segment symbol
    start: float  # time of the first and last symbol (timing units)
    end: float

    @property
    def quality(self) -> float:
        return float(np.mean(self.soft))


class HdlcDeframer:
    """Soft line symbols in, frames out: descramble, NRZI, flags, de-stuffing, FCS, soft repair.

    Keeps the symbols since the last flag, so a frame split across two calls is
    found once. An FCS-valid segment becomes a frame if ``frames.acceptance``
    accepts it, given the evidence seen here (flags before it, a frame right
    before it). Segments that fail the FCS but start like AX.25 become repair
    candidates.

    >>> from frames import Ax25Frame, append_fcs
    >>> wire = append_fcs(Ax25Frame.ui("N0CALL", "CQ", b"hello").to_bytes())
    >>> lines = nrzi_encode(frame_bits(wire, preamble_flags=4, postamble_flags=2))
    >>> soft = np.where(lines == 1, 1.0, -1.0).astype(np.float32)
    >>> [(frame.data[-5:], frame.crc, frame.format) for frame in HdlcDeframer(False).process(soft, np.arange(len(soft)))]
    [(b'hello', 'ok', 'ax25')]
    """

    def __init__(self, scrambled: bool, repair: bool = True) -> None:
        self.scrambled = scrambled
        self.repair_enabled = repair
        #: Flag-delimited segments of a frame's length looked at: each passes a 16-bit FCS by chance 1 in 65536.
        self.segments_checked = 0
        self._candidates: list[HdlcRepairCandidate] = []
        self._lines = np.zeros(0, np.uint8)
        self._soft = np.zeros(0, np.float32)
        self._times = np.zeros(0)
        self._bits = np.zeros(0, np.uint8)
        self._searched = 0  # bits before this index were searched for flags
        self._open_flag: int | None = None  # index of the last flag (start of its 8 bits)
        self._open_run = 0  # flags right before the open flag
        self._open_closed_frame = False  # the open flag ended an accepted frame
        self._history = np.zeros(CONTEXT, np.uint8)  # line symbols before _lines[0]

    def process(self, soft: np.ndarray, times: np.ndarray) -> list[DeframedFrame]:
        if len(soft) == 0:
            return []
        lines = (soft > 0).astype(np.uint8)
        context = np.concatenate([self._history, self._lines])[-CONTEXT:]
        new_bits = symbols_to_bits(np.concatenate([context, lines])[None, :], self.scrambled)[0]
        self._lines = np.concatenate([self._lines, lines])
        self._soft = np.concatenate([self._soft, np.abs(soft)])
        self._times = np.concatenate([self._times, times])
        self._bits = np.concatenate([self._bits, new_bits])
        frames = []
        start = max(0, self._searched - 7)
        if len(self._bits) - start >= 8:
            flags = start + find_flags(self._bits[start:])
            self._searched = len(self._bits) - 7
            if len(flags):
                frames = self._segments(flags)
        self._trim()
        return frames

    def _segments(self, flags: np.ndarray) -> list[DeframedFrame]:
        """Look at the segments between consecutive flags that have a frame's length."""
        previous = self._open_flag if self._open_flag is not None else -(10**9)
        frames = []
        for flag in flags.tolist():
            length = flag - previous - 8
            if length in (-1, 0):  # a flag right after the previous one (shared zero, or back to back)
                self._open_run += 1
            elif MIN_FRAME_BYTES * 8 <= length <= MAX_SEGMENT_BITS:
                evidence = Evidence(repaired=False, preamble_flags=self._open_run,
                                    follows_frame=self._open_closed_frame)
                frame = self._segment(previous + 8, flag, evidence)
                self._open_closed_frame = frame is not None
                if frame is not None:
                    frames.append(frame)
                self._open_run = 0
            else:
                self._open_run, self._open_closed_frame = 0, False
            previous = flag
        self._open_flag = previous
        return frames

    def _segment(self, first: int, end: int, evidence: Evidence) -> DeframedFrame | None:
        self.segments_checked += 1
        raw = decode_bits(self._bits[first:end])
        times = (float(self._times[first]), float(self._times[end - 1]))
        if raw is not None and check_fcs(raw):
            format_name = accept(raw[:-2], evidence)
            if format_name is not None:
                return DeframedFrame(raw[:-2], "ok", format_name, *times)
        if self.repair_enabled and self._worth_repair(first, end):
            lines = np.concatenate([self._history, self._lines])[first : end + CONTEXT].copy()
            self._candidates.append(HdlcRepairCandidate(lines, self._soft[first:end].copy(), *times))
        return None

    def _worth_repair(self, first: int, end: int) -> bool:
        data = unstuff(self._bits[first : min(end, first + 14 * 8 * 6 // 5 + 8)])
        return data is not None and len(data) >= 14 * 8 and header_worth_repair(pack_bits(data[: 14 * 8]))

    def take_repair_candidates(self) -> list[HdlcRepairCandidate]:
        taken, self._candidates = self._candidates, []
        return taken

    def repair(self, candidate: HdlcRepairCandidate) -> DeframedFrame | None:
        """Flip the least reliable symbols, one and two at a time; the first flip set that passes the FCS and
        the acceptance rules for repaired frames gives the frame."""
        order = np.argsort(candidate.soft)
        flip_sets = [(int(i),) for i in order[:REPAIR_SINGLE]]
        flip_sets += [(int(a), int(b)) for n, a in enumerate(order[:REPAIR_PAIRS]) for b in order[n + 1 : REPAIR_PAIRS]]
        trials = np.repeat(candidate.lines[None, :], len(flip_sets), axis=0)
        for row, flips in enumerate(flip_sets):
            for position in flips:
                trials[row, CONTEXT + position] ^= 1
        bits = symbols_to_bits(trials, self.scrambled)
        for row in range(len(flip_sets)):
            raw = decode_bits(bits[row])
            if raw is not None and check_fcs(raw) and accept(raw[:-2], Evidence(repaired=True)) is not None:
                return DeframedFrame(raw[:-2], "fixed", "ax25", candidate.start, candidate.end)
        return None

    def _trim(self) -> None:
        """Drop symbols no future frame can use: before the open flag, or older than the longest frame."""
        oldest_useful = len(self._bits) - (MAX_SEGMENT_BITS + 16)
        if self._open_flag is not None and self._open_flag >= oldest_useful:
            keep_from = self._open_flag
        else:
            keep_from, self._open_flag = oldest_useful, None
            self._open_run, self._open_closed_frame = 0, False
        if keep_from <= 0:
            return
        self._history = np.concatenate([self._history, self._lines[:keep_from]])[-CONTEXT:]
        self._lines = self._lines[keep_from:]
        self._soft = self._soft[keep_from:]
        self._times = self._times[keep_from:]
        self._bits = self._bits[keep_from:]
        self._searched = max(0, self._searched - keep_from)
        if self._open_flag is not None:
            self._open_flag -= keep_from
