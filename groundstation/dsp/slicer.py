"""One decision signal to frames: timing recovery, then a deframer; and the repair of what no slicer
decoded.

Each modem makes one or more decision signals (different filters or slicer
gains) and gives each its own :class:`SlicerChain`. A segment that fails the
FCS in every slicer is repaired (least reliable symbols flipped) once, from the
slicer that saw it most clearly: :class:`SlicerGroup`. Every demodulator is a
:class:`FrameDemodulator`: blocks of audio in, :class:`RawFrame` out, with
times in seconds from the input's start.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from groundstation.dsp.deframer import DeframedFrame, Deframer
from groundstation.dsp.timing import TimingRecovery
from groundstation.recordings.block import Block

REPAIRS_PER_SEGMENT = 2  # slicers' versions of one failed segment tried, most reliable first
RECENT_S = 10.0
FLUSH_BLOCK_SAMPLES = 1 << 18

#: Makes a fresh deframer for one slicer (the modem registry binds the framing: HDLC, scrambled or not).
DeframerFactory = Callable[[], Deframer]


@dataclass(frozen=True)
class RawFrame:
    """Bytes (no FCS) that passed the FCS and the acceptance rules, with where they were found.

    ``format`` is ``ax25`` or ``hdlc`` (names of ``frames.registry``); times in seconds.
    """

    data: bytes
    crc: str  # "ok" or "fixed"
    format: str
    start_s: float
    end_s: float
    modem: str
    variant: str


class SlicerChain:
    """Decision samples ``d`` (one every ``seconds_per_sample``, the first at ``delay_s``) -> :class:`RawFrame`."""

    def __init__(self, modem: str, variant: str, timing: TimingRecovery, deframer: Deframer,
                 seconds_per_sample: float, delay_s: float) -> None:
        self.modem, self.variant = modem, variant
        self.timing = timing
        self.deframer = deframer
        self.seconds_per_sample = seconds_per_sample
        self.delay_s = delay_s

    def seconds(self, time_units: float) -> float:
        return time_units * self.seconds_per_sample + self.delay_s

    def raw_frame(self, frame: DeframedFrame) -> RawFrame:
        return RawFrame(frame.data, frame.crc, frame.format, self.seconds(frame.start), self.seconds(frame.end),
                        self.modem, self.variant)

    def process(self, d: np.ndarray) -> list[RawFrame]:
        soft, times = self.timing.process(d)
        return [self.raw_frame(frame) for frame in self.deframer.process(soft, times)]


class RecordedTiming:
    """A slicer's timing recovery that keeps its last output, for :class:`ReplayedTiming`."""

    def __init__(self, timing: TimingRecovery) -> None:
        self.timing = timing
        self.last = (np.zeros(0, np.float32), np.zeros(0))

    def process(self, d: np.ndarray):
        self.last = self.timing.process(d)
        return self.last


class ReplayedTiming:
    """The timing of a second framing (plain and G3RUH at one bit rate) of the same decision signal: what
    the first framing's timing just produced, so the symbols are timed once (the first framing's group
    must process each block first)."""

    def __init__(self, source: RecordedTiming) -> None:
        self.source = source

    def process(self, d: np.ndarray):
        return self.source.last


def framing_groups(framings: list[tuple[str, DeframerFactory]], variants: list[tuple[str, float]], period: float,
                   seconds_per_sample: float, delay_s: float) -> list[SlicerGroup]:
    """One :class:`SlicerGroup` a framing (``(modem name, make_deframer)``; plain and G3RUH at one bit rate),
    a slicer a variant (``(label, timing window in symbols)``): the first framing's slicers time the symbols,
    the others' replay that timing (so the first group must process each block first)."""
    groups: list[SlicerGroup] = []
    for framing, (modem, deframers) in enumerate(framings):
        chains = []
        for index, (label, window) in enumerate(variants):
            timing = (ReplayedTiming(groups[0].chains[index].timing) if framing
                      else RecordedTiming(TimingRecovery(period, window)))
            chains.append(SlicerChain(modem, label, timing, deframers(), seconds_per_sample, delay_s))
        groups.append(SlicerGroup(chains))
    return groups


class SlicerGroup:
    """The slicers of one demodulator; :meth:`process` runs them all on their decision signals, then
    repairs the segments that none of them decoded."""

    def __init__(self, chains: list[SlicerChain]) -> None:
        self.chains = chains
        self._decoded: deque = deque()  # (start_s, end_s) of recent frames

    def process(self, signals: list[np.ndarray]) -> list[RawFrame]:
        found = []
        for chain, d in zip(self.chains, signals):
            found += chain.process(d)
        for frame in found:
            self._decoded.append((frame.start_s, frame.end_s))
        candidates = [(candidate, chain.seconds(candidate.start), chain.seconds(candidate.end), chain)
                      for chain in self.chains for candidate in chain.deframer.take_repair_candidates()]
        candidates = [c for c in candidates if not self._overlaps_decoded(c[1], c[2])]
        candidates.sort(key=lambda c: -c[0].quality)
        tried: list[tuple[float, float, int]] = []
        for candidate, start_s, end_s, chain in candidates:
            same = [index for index, (s, e, _) in enumerate(tried) if s < end_s and start_s < e]
            if same and tried[same[0]][2] >= REPAIRS_PER_SEGMENT or self._overlaps_decoded(start_s, end_s):
                continue
            if same:
                s, e, count = tried[same[0]]
                tried[same[0]] = (s, e, count + 1)
            else:
                tried.append((start_s, end_s, 1))
            repaired = chain.deframer.repair(candidate)
            if repaired is not None:
                found.append(chain.raw_frame(repaired))
                self._decoded.append((start_s, end_s))
        if found:
            latest = max(frame.end_s for frame in found)
            while self._decoded and self._decoded[0][1] < latest - RECENT_S:
                self._decoded.popleft()
        return found

    def _overlaps_decoded(self, start_s: float, end_s: float) -> bool:
        for s, e in reversed(self._decoded):  # the latest first: a candidate is usually near them
            if s < end_s and start_s < e:
                return True
        return False


def grid_samples(period: float, limit: int = 4096) -> int:
    """The fewest whole samples that are a whole number of ``period`` s (a symbol period, a hop).

    >>> grid_samples(8.0), grid_samples(4.59375), grid_samples(5.0)
    (8, 147, 5)
    """
    return Fraction(period).limit_denominator(limit).numerator


class FrameDemodulator:
    """What every demodulator shares: ``process(block) -> [RawFrame]``, and :meth:`flush` at the end.

    Subclasses set :attr:`rate_sps` (input rate) and :attr:`latency_s` (how much input the filters and the
    timing window hold back), and implement :meth:`demodulate` on the samples of consecutive blocks, giving
    frames timed from the first sample they were given. This class adds the first block's start, so frames
    come out in seconds from the input's start.
    """

    rate_sps: float
    latency_s: float
    #: Input samples between the starts at which a fresh demodulator lays its filters' and clock's grids
    #: where one started at sample 0 does (see :func:`grid_samples`; the presence gate starts them there).
    alignment_samples: int = 1
    #: One :class:`SlicerGroup` a framing (plain and G3RUH at one bit rate share the demodulator).
    groups: list[SlicerGroup]
    _origin_s: float | None = None

    def demodulate(self, samples: np.ndarray) -> list[RawFrame]:
        raise NotImplementedError

    def process(self, block: Block) -> list[RawFrame]:
        if abs(block.rate_sps - self.rate_sps) > 1e-6 * self.rate_sps:
            raise ValueError(f"{type(self).__name__} runs at {self.rate_sps:g} S/s, not {block.rate_sps:g}")
        if self._origin_s is None:
            self._origin_s = block.start_s
        return self._from_origin(self.demodulate(block.samples))

    def flush(self) -> list[RawFrame]:
        """Push out what the filters and timing still hold (call once, at the end of the input): silence as
        long as the latency, in blocks so that memory stays small at any rate."""
        remaining = int((self.latency_s + 0.05) * self.rate_sps)
        frames = []
        while remaining > 0:
            count = min(remaining, FLUSH_BLOCK_SAMPLES)
            frames += self.demodulate(np.zeros(count, np.float32))
            remaining -= count
        return self._from_origin(frames)

    def _from_origin(self, frames: list[RawFrame]) -> list[RawFrame]:
        origin = self._origin_s or 0.0
        if not origin:
            return frames
        return [replace(frame, start_s=frame.start_s + origin, end_s=frame.end_s + origin) for frame in frames]
