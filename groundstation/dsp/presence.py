"""Presence gates for ``--modem auto``: a chain runs only around the stretches where its band holds more than noise.

``auto`` runs every modem that fits the audio; on a recording of one of them
the others find nothing but cost most of the time (on AFSK audio the FSK and
BPSK chains took 95 % of it). A gate is cheap and errs towards running:

- :class:`BandMonitor` takes a short-time spectrum of the audio (Hann frames of
  about 10 ms) and, for each modem's bands, the power of every window (a few
  frames) against that band's *floor*: the median of the quietest second of
  the last :data:`FLOOR_MEMORY_S`, plus :data:`OPEN_Z` times that second's
  spread. A window above it is *active*. The bands are where the modem's
  signal is strong and, where there is a choice, where AFSK's tones are not
  (FSK: 120-600 Hz, and 2.9 kHz up for 9600 baud; BPSK: the carrier plus or
  minus half the bit rate). A signal a chain could decode stands far above
  the floor in them: FSK 9600 at Eb/N0 8 dB raises its 2.9-6 kHz band about
  2.5 times, where the threshold is about 1.4 times the floor.
- :class:`GatedDemodulator` makes a fresh demodulator when its band turns
  active and feeds it the last :data:`LOOKBACK_S` of audio first, from a
  sample where its decimation, filter hops and symbol-clock grid fall where
  those of a demodulator started at the input's first sample would (its
  ``alignment_samples``): after the lookback its filters, DC blocker and clock
  hold what the ungated one's would, and it slices the same symbols. It is
  dropped (flushed) :data:`CLOSE_AFTER_S` after the band went quiet. Every chain runs
  for the first :data:`WARMUP_S` of the input (a signal on from the first
  sample has no quiet floor to stand out from), and a chain that has found a
  frame is never gated again: its modem is on the air in this recording.

>>> import numpy as np
>>> rate = 48000.0
>>> monitor = BandMonitor(rate, {"fsk9600": (Band(2900.0, 6240.0, 0.04),)})
>>> rng = np.random.default_rng(1)
>>> noise = rng.normal(0, 1, int(30 * rate)).astype(np.float32)
>>> burst = np.repeat(rng.choice([-3.0, 3.0], 9600), 5).astype(np.float32)  # 1 s of 9600 baud NRZ
>>> noise[int(20 * rate):int(21 * rate)] += burst
>>> half = int(15 * rate)
>>> len(monitor.measure(noise[:half], 0.0)["fsk9600"]) > 0    # no floor yet: everything is active
True
>>> active = monitor.measure(noise[half:], 15.0)["fsk9600"]  # measured against the first 15 s
>>> float(active.min()) > 19.9, float(active.max()) < 21.1     # active frames' times: only the burst
(True, True)
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from groundstation.dsp.bpsk import default_carrier_hz
from groundstation.dsp.slicer import FrameDemodulator, RawFrame
from groundstation.recordings.block import Block

FRAME_S = 0.02  # the spectrum's frame: the power of two of samples nearest this (47 Hz bins at 48 kHz)
FLOOR_CHUNK_S = 1.0  # the floor's unit: a median and spread of the windows of about a second
FLOOR_MEMORY_S = 300.0  # the quietest chunk of this long is the floor
OPEN_Z = 8.0  # a window is active above the floor's median plus this many of its spreads
WARMUP_S = 10.0  # every chain runs this long from the start of the input
LOOKBACK_S = 1.5  # audio a chain is given from before its band turned active (less than the decoder's hold)
CLOSE_AFTER_S = 2.0  # a chain is dropped when its band has been quiet this long
MAX_ALIGNMENT_S = 0.25  # a demodulator whose grids repeat more slowly is started where its stretch starts
LATCH = True  # a chain that found a frame runs from then on (the gate benchmark turns it off to test the gate)
LOW_BAND_HZ = (180.0, 400.0)  # below AFSK's tones, clear of DC; every FSK rate is strong here
AFSK_TOP_HZ = 3300.0  # above this AFSK's power is 30 dB below its tones


@dataclass(frozen=True)
class Band:
    """A band of audio (Hz) and the length of the windows its power is measured over (s)."""

    low_hz: float
    high_hz: float
    window_s: float


def bands_for(kind: str, baud: float) -> tuple[Band, ...] | None:
    """The bands a modem's gate watches (None: never gated; AFSK is cheap and has no band of its own).

    >>> [(band.low_hz, band.high_hz) for band in bands_for("fsk", 9600)]
    [(180.0, 400.0), (3300.0, 6240.0)]
    >>> [(band.low_hz, band.high_hz) for band in bands_for("bpsk", 1200)], bands_for("afsk", 1200)
    ([(900.0, 2100.0)], None)
    """
    window_s = min(max(120.0 / baud, 0.04), 0.1)  # about 120 symbols: shorter than a frame
    if kind == "fsk":
        bands = [Band(*LOW_BAND_HZ, window_s)]
        high_hz = 0.65 * baud  # NRZ at 9600 baud keeps a third of its power up to here
        if high_hz - AFSK_TOP_HZ >= 1000.0:
            bands.append(Band(AFSK_TOP_HZ, high_hz, window_s))
        return tuple(bands)
    if kind == "bpsk":
        carrier_hz = default_carrier_hz(baud)
        return (Band(carrier_hz - baud / 2, carrier_hz + baud / 2, window_s),)
    return None


class BandMonitor:
    """Audio in, block by block; for each named set of bands, the times of the frames where any band was active.

    ``bands``: name -> bands. Frames are :data:`FRAME_S` long (a power of two of samples), not overlapping.
    """

    def __init__(self, rate_sps: float, bands: dict[str, tuple[Band, ...]]) -> None:
        import scipy.fft  # here: a named modem's decode does not pay for importing it

        self._rfft = scipy.fft.rfft  # float32 in, complex64 out: several times numpy's speed here
        self.rate_sps = rate_sps
        self.frame = 1 << max(4, round(math.log2(FRAME_S * rate_sps)))
        self.frame_s = self.frame / rate_sps
        self._window = np.hanning(self.frame).astype(np.float32)
        bin_hz = rate_sps / self.frame
        self._names = list(bands)
        self._bands = []  # (name, first bin, last bin + 1, window frames)
        for name, name_bands in bands.items():
            for band in name_bands:
                first = max(1, math.ceil(band.low_hz / bin_hz))
                last = min(self.frame // 2 + 1, math.floor(band.high_hz / bin_hz) + 1)
                if last > first:
                    self._bands.append((name, first, last, max(1, round(band.window_s / self.frame_s))))
        self._chunk_frames = max(1, round(FLOOR_CHUNK_S / self.frame_s))
        self._memory_chunks = max(1, round(FLOOR_MEMORY_S / FLOOR_CHUNK_S))
        self._tail = np.zeros(0, np.float32)  # samples short of a frame, from the last block
        self._tail_start_s = None
        # the last window - 1 frame powers of each band (none before the input: zeros)
        self._recent = [np.zeros(window - 1) for _, _, _, window in self._bands]
        self._pending = [np.zeros(0) for _ in self._bands]  # window powers not yet in a whole chunk
        self._floors = [deque(maxlen=self._memory_chunks) for _ in self._bands]  # (median, spread) of chunks

    def measure(self, audio: np.ndarray, start_s: float) -> dict[str, np.ndarray]:
        """The start times (s) of this block's active frames, for each name (frames that end in a later block
        are measured with it)."""
        if self._tail_start_s is None:
            self._tail_start_s = start_s
        samples = np.concatenate([self._tail, audio.astype(np.float32, copy=False)])
        first_s = self._tail_start_s
        count = len(samples) // self.frame
        self._tail = samples[count * self.frame :]
        self._tail_start_s = first_s + count * self.frame_s
        times = first_s + np.arange(count) * self.frame_s
        active = {name: np.zeros(count, bool) for name in self._names}
        if count == 0:
            return {name: times for name in self._names}
        spectra = self._rfft(samples[: count * self.frame].reshape(count, self.frame) * self._window, axis=1)
        power = spectra.real**2 + spectra.imag**2
        for index, (name, first, last, window) in enumerate(self._bands):
            frames = np.concatenate([self._recent[index], power[:, first:last].sum(axis=1, dtype=np.float64)])
            self._recent[index] = frames[len(frames) - (window - 1) :] if window > 1 else frames[:0]
            cumulative = np.concatenate([[0.0], np.cumsum(frames)])
            windows = cumulative[window:] - cumulative[:-window]  # ending at each of this block's frames
            hot = windows > self._threshold(index)  # against the quiet before this block
            self._learn(index, windows)
            if window > 1 and hot.any():  # a hot window makes every frame it covers active
                hot = np.convolve(hot, np.ones(window), mode="full")[window - 1 :] > 0
            active[name] |= hot[:count]
        return {name: times[active[name]] for name in self._names}

    def _threshold(self, index: int) -> float:
        """The level above which a window of band ``index`` is active: the quietest chunk's median plus
        :data:`OPEN_Z` of its spreads (no floor yet: everything is active; the warm-up runs every chain anyway)."""
        if not self._floors[index]:
            return -math.inf
        median, spread = min(self._floors[index])
        return median + OPEN_Z * spread

    def _learn(self, index: int, windows: np.ndarray) -> None:
        """Each whole chunk of window powers joins the floors as its median and spread (1.4826 MAD)."""
        pending = np.concatenate([self._pending[index], windows])
        chunks = len(pending) // self._chunk_frames
        whole = pending[: chunks * self._chunk_frames].reshape(chunks, self._chunk_frames)
        medians = np.median(whole, axis=1)
        spreads = 1.4826 * np.median(np.abs(whole - medians[:, None]), axis=1)
        self._floors[index].extend(zip(medians.tolist(), spreads.tolist()))
        self._pending[index] = pending[chunks * self._chunk_frames :]


class GatedDemodulator:
    """A demodulator made by ``make()`` for each stretch around its band's active frames: from
    :data:`LOOKBACK_S` before the first to :data:`CLOSE_AFTER_S` after the last (it is flushed and dropped
    there); always on during the first :data:`WARMUP_S` and once it has found a frame.

    ``process(block, active_s)`` takes the block and the start times of its band's active frames
    (:meth:`BandMonitor.measure`).
    """

    def __init__(self, make: Callable[[], FrameDemodulator], name: str, bands: tuple[Band, ...]) -> None:
        self._make = make
        self.name = name  # the name of its bands in the BandMonitor
        self.bands = bands
        self.demodulator: FrameDemodulator | None = None
        self.latched = False  # a frame was found: never gated again
        self.runs = 0  # how many times a demodulator was made
        self._history: deque = deque()  # recent blocks, at least LOOKBACK_S of them
        self._fed_until = 0  # sample index (of the input) the current demodulator has been fed up to
        self._origin: int | None = None  # the input's first sample index (a filter's output may start before 0)
        self._open_until_s = WARMUP_S  # a stretch that runs past the last block ends here

    def process(self, block: Block, active_s: np.ndarray) -> list[RawFrame]:
        rate = block.rate_sps
        first, last = block.first_sample, block.first_sample + len(block.samples)
        if self._origin is None:
            self._origin = first
        frames = []
        for start_s, end_s in self._stretches(block, active_s):
            start = max(round(start_s * rate), self._history_start(first))
            end = min(round(end_s * rate), last)
            if self.demodulator is not None and start > self._fed_until:  # a quiet gap: this run is over
                frames += self.flush()
            if self.demodulator is None:
                self.demodulator = self._make()
                self.runs += 1
                start = self._aligned(start, self._history_start(first))
            else:
                start = self._fed_until
            if end > start:
                frames += self.demodulator.process(self._audio(block, start, end))
                self._fed_until = end
        if self.demodulator is not None and self._fed_until < last:  # the stretch ended inside this block
            frames += self.flush()
        self._remember(block)
        self.latched |= LATCH and bool(frames)
        return frames

    def flush(self) -> list[RawFrame]:
        if self.demodulator is None:
            return []
        frames = self.demodulator.flush()
        self.demodulator = None
        return frames

    def _stretches(self, block: Block, active_s: np.ndarray) -> list[tuple[float, float]]:
        """The merged stretches (s) to demodulate that reach into this block (they may begin before it)."""
        if self.latched:
            self._open_until_s = block.end_s
        wanted = [(block.start_s, self._open_until_s)] if self._open_until_s > block.start_s else []
        wanted += [(t - LOOKBACK_S, t + CLOSE_AFTER_S) for t in active_s]
        merged = []
        for start_s, end_s in sorted(wanted):
            if merged and start_s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end_s))
            else:
                merged.append((start_s, end_s))
        if merged:
            self._open_until_s = max(self._open_until_s, merged[-1][1])
        return merged

    def _aligned(self, start: int, earliest: int) -> int:
        """The sample at or before ``start`` (after it only if there is no audio before) where a fresh
        demodulator's grids fall where the ungated one's would: it then slices the same symbols."""
        quantum = self.demodulator.alignment_samples
        if quantum > MAX_ALIGNMENT_S * self.demodulator.rate_sps:  # e.g. BPSK at 44.1 kHz: not worth the wait
            return start
        aligned = (start - self._origin) // quantum * quantum + self._origin  # where an ungated one started
        return aligned if aligned >= earliest else aligned + quantum

    def _history_start(self, first: int) -> int:
        return self._history[0].first_sample if self._history else first

    def _audio(self, block: Block, start: int, end: int) -> Block:
        """Input samples ``start`` to ``end`` (indices in the input) from the remembered blocks and ``block``."""
        pieces = [old for old in self._history if old.first_sample + len(old.samples) > start] + [block]
        samples = np.concatenate([old.samples for old in pieces]) if len(pieces) > 1 else block.samples
        offset = start - pieces[0].first_sample
        return block.derived(samples[offset : offset + end - start], block.rate_sps,
                             pieces[0].start_s + offset / block.rate_sps, block.centre_hz)

    def _remember(self, block: Block) -> None:
        self._history.append(block)
        keep = int(LOOKBACK_S * block.rate_sps)
        end = block.first_sample + len(block.samples)
        while len(self._history) > 1 and self._history[1].first_sample <= end - keep:
            self._history.popleft()
