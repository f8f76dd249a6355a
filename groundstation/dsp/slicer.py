"""One decision signal to frames: timing recovery, then the HDLC deframer; and the repair of what no
slicer decoded.

Each modem makes one or more decision signals (different filters or slicer
gains) and gives each its own :class:`SlicerChain`. A segment that fails the
FCS in every slicer is repaired (least reliable symbols flipped) once, from the
slicer that saw it most clearly: :class:`SlicerGroup`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from groundstation.dsp.hdlc import HdlcDeframer, RepairCandidate, repair
from groundstation.dsp.timing import TimingRecovery

REPAIRS_PER_SEGMENT = 2  # slicers' versions of one failed segment tried, most reliable first
RECENT_S = 10.0


@dataclass(frozen=True)
class RawFrame:
    """Bytes (no FCS) that passed the FCS, with where they were found (seconds from the input start)."""

    data: bytes
    crc: str  # "ok" or "fixed"
    start_s: float
    end_s: float
    modem: str
    variant: str


class SlicerChain:
    """``d`` samples (one every ``seconds_per_sample``, the first at ``delay_s``) -> :class:`RawFrame`."""

    def __init__(self, modem: str, variant: str, period: float, window_symbols: float, scrambled: bool,
                 seconds_per_sample: float, delay_s: float, check=None, repair_frames: bool = True) -> None:
        self.modem, self.variant = modem, variant
        self.timing = TimingRecovery(period, window_symbols)
        self.deframer = HdlcDeframer(scrambled, check=check, repair=repair_frames)
        self.seconds_per_sample = seconds_per_sample
        self.delay_s = delay_s

    def seconds(self, time_units: float) -> float:
        return time_units * self.seconds_per_sample + self.delay_s

    def process(self, d: np.ndarray) -> list[RawFrame]:
        soft, times = self.timing.process(d)
        return [RawFrame(data, crc, self.seconds(start), self.seconds(end), self.modem, self.variant)
                for data, crc, start, end in self.deframer.process(soft, times)]

    def take_candidates(self) -> list[tuple[RepairCandidate, float, float, SlicerChain]]:
        taken = [(c, self.seconds(c.start), self.seconds(c.end), self) for c in self.deframer.candidates]
        self.deframer.candidates.clear()
        return taken


class SlicerGroup:
    """The slicers of one demodulator; :meth:`process` runs them all on their decision signals, then
    repairs the segments that none of them decoded."""

    def __init__(self, chains: list[SlicerChain], check) -> None:
        self.chains = chains
        self.check = check
        self._decoded: deque = deque()  # (start_s, end_s) of recent frames

    def process(self, signals: list[np.ndarray]) -> list[RawFrame]:
        found = []
        for chain, d in zip(self.chains, signals):
            found += chain.process(d)
        for frame in found:
            self._decoded.append((frame.start_s, frame.end_s))
        candidates = [taken for chain in self.chains for taken in chain.take_candidates()]
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
            data = repair(candidate, self.check)
            if data is not None:
                found.append(RawFrame(data, "fixed", start_s, end_s, chain.modem, chain.variant))
                self._decoded.append((start_s, end_s))
        if found:
            latest = max(frame.end_s for frame in found)
            while self._decoded and self._decoded[0][1] < latest - RECENT_S:
                self._decoded.popleft()
        return found

    def _overlaps_decoded(self, start_s: float, end_s: float) -> bool:
        return any(s < end_s and start_s < e for s, e in self._decoded)


class FrameDemodulator:
    """What every demodulator shares: ``process(audio) -> [RawFrame]``, and :meth:`flush` at the end.

    Subclasses set :attr:`rate_sps` (input rate) and :attr:`latency_s` (how much input the filters and the
    timing window hold back).
    """

    rate_sps: float
    latency_s: float

    def process(self, audio: np.ndarray) -> list[RawFrame]:
        raise NotImplementedError

    def flush(self) -> list[RawFrame]:
        """Push out what the filters and timing still hold (call once, at the end of the input)."""
        return self.process(np.zeros(int((self.latency_s + 0.05) * self.rate_sps), np.float32))
