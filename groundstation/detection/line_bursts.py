"""A detector for an AFSK 1200 beacon by its spectrum's lines, burst by burst, on the satellite's Doppler track.

Bell 202 tones on FM put much of the signal's power into narrow lines (the
carrier, and lines 1200 and 2200 Hz either side): in 2 Hz bins its power is as
concentrated as that of a signal about 500 Hz wide, not the 8 to 10 kHz an
energy detector over the whole signal must integrate. A 0.73 s burst at 25
dB-Hz then stands out at a few sigma in one or two 0.5 s frames near closest
approach, though hardly at all in the average over the pass (the beacon is on
the air 7 % of the time). This detector looks for exactly that:

1. Each on-track spectrum (Doppler removed, noise 1 per bin) is correlated with
   the modulator's own expected spectrum in 2 Hz bins (:func:`modem_template`,
   the strongest bins holding :data:`TEMPLATE_POWER` of the power: a matched
   filter in frequency), every carrier position at once (FFT).
2. The scores are made Gaussian by their rank among all the recording's scores
   (:func:`_to_gaussian`): whatever the noise's shape, a noise-only score is a
   standard normal z, independent from frame to frame.
3. Along every track (a carrier position and a linear drift of up to
   +-:data:`MAX_DRIFT_HZ` over the time searched, in steps of one bin), the
   frames are scored with a sparse-burst log-likelihood ratio (as in
   :mod:`~groundstation.detection.bursts`) in which frames below
   :data:`Z_FLOOR` count nothing:

       T = sum_t max(0, l(z_t) - l(z0)),  l(z) = log(1 - e + e * exp(a z - a^2 / 2))

   Only the few per cent of scores above z0 are kept, so every drift costs a
   ``bincount``.
4. T's distribution on noise is computed exactly (:func:`noise_survival`: the
   convolution of one frame's term's distribution, by FFT), and its false-alarm
   probability is multiplied by the number of tracks searched (which
   over-counts: neighbouring tracks share frames). Below ``PFA_LINES``
   (search.py) the search detects; the false-alarm rate on noise-only passes is
   measured by tests/benchmarks/bench_check.py.

>>> import numpy as np
>>> rng = np.random.default_rng(4)
>>> offsets, weights = modem_template("afsk1200", 2.0)
>>> recorder = LineRecorder(3000, 2.0, 240)
>>> for frame in range(240):                               # 120 s of noise, a beacon at bin 1500 every 10 s
...     row = rng.exponential(1.0, 3000)
...     if frame % 20 in (2, 3):
...         row[1500 + offsets] += 300 * weights             # about 9 sigma a burst (28 dB-Hz at closest approach)
...     recorder.add(row)
>>> finding = line_search(recorder)
>>> finding.pfa < 1e-4, abs(finding.rest_bins(0.0) - 1500) <= 2
(True, True)
>>> quiet = LineRecorder(3000, 2.0, 240)
>>> for frame in range(240):
...     quiet.add(rng.exponential(1.0, 3000))
>>> line_search(quiet).pfa > 1e-3
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import erfc, ndtri

MODEM = "afsk1200"
TEMPLATE_POWER = 0.6  # of the modem's power, in its strongest 2 Hz bins within +-TEMPLATE_HALF_WIDTH_HZ
TEMPLATE_HALF_WIDTH_HZ = 2800.0
TEMPLATE_RATE_SPS = 48000.0
TEMPLATE_FRAMES = 80
TEMPLATE_SEED = 20261205
POOL_BINS = 1  # a cell: the best of this many adjacent carrier positions (the drift steps by one cell)
MAX_DRIFT_HZ = 300.0  # a linear drift over the time searched, either way
BURST_Z = 3.5  # the burst strength (z of a frame) the statistic is tuned for
BURST_FRACTION = 0.07  # of the frames: a 0.73 s burst every 10 s touches 2 or 3 of 20
Z_FLOOR = 2.0  # frames below this z count nothing (l(z) is nearly flat there)
KEEP_FRACTION = 0.05  # of each frame's cells, the highest, kept (noise: 2.3 % above Z_FLOOR)
SAMPLE_VALUES = 300_000  # scores kept (spread over the frames) for the distribution
SAMPLE_SEED = 20261206  # which cells go into the sample of the distribution
MIN_FRAMES = 40
MAX_BINS = 32768  # wider searches (a whole wideband recording) are not made: only --freq +- a few tens of kHz


@lru_cache(maxsize=8)
def modem_template(name: str, bin_hz: float, frame_s: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """(offsets from the carrier in bins of ``bin_hz``, the fraction of the power in each): the strongest bins
    holding :data:`TEMPLATE_POWER` of the modem's power, from Hann-windowed frames of ``frame_s`` of its
    modulator driven by random bits (a fixed seed).

    >>> offsets, weights = modem_template("afsk1200", 2.0)
    >>> int(offsets[0]), round(float(weights.sum()), 2)         # the carrier's line first
    (0, 0.6)
    """
    from groundstation.dsp.modems import modem

    spec = modem(name)
    size = int(round(TEMPLATE_RATE_SPS * frame_s))
    rng = np.random.default_rng(TEMPLATE_SEED)
    window = np.hanning(size)
    power = np.zeros(size)
    for _ in range(TEMPLATE_FRAMES):
        levels = rng.integers(0, 2, int(frame_s * spec.baud) + 16).astype(np.int8)
        samples = spec.modulator(levels, spec.baud, TEMPLATE_RATE_SPS)[:size]
        power += np.abs(np.fft.fftshift(np.fft.fft(samples * window))) ** 2
    freqs_hz = (np.arange(size) - size // 2) / frame_s
    inside = np.abs(freqs_hz) <= TEMPLATE_HALF_WIDTH_HZ
    fractions = power[inside] / power.sum()
    offsets = np.rint(freqs_hz[inside] / bin_hz).astype(np.int64)
    order = np.argsort(fractions)[::-1]
    taps = int(np.searchsorted(np.cumsum(fractions[order]), TEMPLATE_POWER)) + 1
    return offsets[order[:taps]], fractions[order[:taps]]


def burst_llr(z: np.ndarray) -> np.ndarray:
    """max(0, l(z) - l(:data:`Z_FLOOR`)) with l(z) = log(1 - e + e exp(a z - a^2/2)): a frame's part of T.

    >>> [round(float(value), 2) for value in burst_llr(np.array([0.0, 2.0, 4.0]))]
    [0.0, 0.0, 5.13]
    """
    amplitude, fraction = BURST_Z, BURST_FRACTION

    def llr(values):
        return np.log1p(fraction * np.expm1(np.minimum(amplitude * values - amplitude**2 / 2, 50.0)))

    return np.maximum(llr(np.asarray(z, dtype=float)) - llr(np.float64(Z_FLOOR)), 0.0)


NULL_STEP = 0.02  # the grid of T's distribution on noise (each term rounded up to it: the tail errs heavy)
NULL_GRID = 1 << 16


@lru_cache(maxsize=16)
def noise_survival(frames: int) -> np.ndarray:
    """P(T >= k * :data:`NULL_STEP`) for k = 0, 1, ... on noise: T a sum of ``frames`` independent terms
    :func:`burst_llr` of standard normal z, its distribution computed exactly (up to the grid) as the
    ``frames``-fold convolution of one term's (by FFT), each term rounded up to the grid.

    >>> survival = noise_survival(100)                   # 100 frames; Monte Carlo gives 0.019 and 0.0003
    >>> [round(float(survival[int(level / NULL_STEP)]), 4) for level in (0, 5, 10)]
    [1.0, 0.0197, 0.0003]
    """
    amplitude, fraction = BURST_Z, BURST_FRACTION
    floor = float(np.log1p(fraction * np.expm1(amplitude * Z_FLOOR - amplitude**2 / 2)))
    levels = np.arange(NULL_GRID) * NULL_STEP
    # the z at which a term reaches each level (burst_llr inverted)
    z_at = (np.log1p(np.expm1(np.minimum(levels + floor, 700.0)) / fraction) + amplitude**2 / 2) / amplitude
    above = 0.5 * erfc(z_at / math.sqrt(2))  # P(term > level)
    one = np.zeros(NULL_GRID)
    one[0] = 1.0 - above[0]
    one[1:] = above[:-1] - above[1:]  # a term in (level k-1, level k] counts as level k
    total = np.fft.irfft(np.fft.rfft(one) ** frames, NULL_GRID)
    total = np.maximum(total, 0.0)
    survival = np.cumsum(total[::-1])[::-1]
    return np.minimum(survival / survival[0], 1.0)


def noise_pfa(statistic: float, frames: int) -> float:
    """P(T >= statistic) for one track of noise (:func:`noise_survival`); beyond the grid's precision (1e-13)
    it says 1e-13."""
    survival = noise_survival(frames)
    index = min(int(math.floor(statistic / NULL_STEP)), NULL_GRID - 1)
    return float(max(survival[max(index, 0)], 1e-13))


class LineRecorder:
    """Correlates each on-track row with the modem's template (pooling :data:`POOL_BINS` positions into a cell)
    and keeps each frame's highest cells and a sample of all (a few MB for a pass)."""

    def __init__(self, rest_bins: int, bin_hz: float, frames: int, modem_name: str = MODEM) -> None:
        self.bin_hz = bin_hz
        self.offsets, weights = modem_template(modem_name, bin_hz)
        self.weight_sum = float(weights.sum())
        self.rest_bins = rest_bins
        low, high = int(self.offsets.min()), int(self.offsets.max())
        # carrier positions whose whole template lies inside the row
        self.first_bin = -low
        self.cells = max(0, (rest_bins - high + low) // POOL_BINS)
        self.enabled = self.cells > 0 and rest_bins <= MAX_BINS
        self.frames = 0
        self.keep = max(1, int(math.ceil(KEEP_FRACTION * self.cells)))
        self.per_frame = max(8, SAMPLE_VALUES // max(frames, 1))
        self.kept_cells: list[np.ndarray] = []
        self.kept_scores: list[np.ndarray] = []
        self.samples: list[np.ndarray] = []
        self._rng = np.random.default_rng(SAMPLE_SEED)
        if self.enabled:
            self.length = 1 << int(math.ceil(math.log2(rest_bins + high - low + 1)))
            kernel = np.zeros(self.length)
            kernel[(-self.offsets) % self.length] = weights
            self._kernel = np.fft.rfft(kernel)

    def add(self, on_track_row: np.ndarray) -> None:
        if not self.enabled:
            return
        spectrum = np.fft.rfft(np.asarray(on_track_row, dtype=np.float64) - 1.0, self.length)
        scores = np.fft.irfft(spectrum * self._kernel, self.length)
        scores = scores[self.first_bin : self.first_bin + self.cells * POOL_BINS].astype(np.float32)
        pooled = scores.reshape(self.cells, POOL_BINS).max(axis=1)
        cells = np.argpartition(pooled, -self.keep)[-self.keep :]
        self.kept_cells.append(cells.astype(np.int32))
        self.kept_scores.append(pooled[cells])
        self.samples.append(pooled[self._rng.integers(0, self.cells, self.per_frame)])
        self.frames += 1

    def carrier_bins(self, cell: float) -> float:
        """The carrier position (bins of the row) of a cell's centre."""
        return self.first_bin + (cell + 0.5) * POOL_BINS - 0.5


@dataclass(frozen=True)
class LineFinding:
    """The best track of the line search: where, its drift, how likely noise, and the frames it stood out in."""

    pfa: float  # counting every cell and drift searched
    statistic: float
    carrier_bins: float  # at the middle of the time searched, in bins of the on-track row
    drift_bins: float  # over the time searched (first frame to last)
    burst_frames: np.ndarray  # the frames (indices among those searched) that counted (z above Z_FLOOR)
    looks: int
    follows_doppler: bool = True  # False: its frames are as consistent with a fixed frequency

    def rest_bins(self, fraction: float = 0.5) -> float:
        """Where the carrier was at ``fraction`` of the time searched (0: the start), in bins of the row."""
        return self.carrier_bins + (fraction - 0.5) * self.drift_bins


def _to_gaussian(recorder: LineRecorder):
    """The map from a score to its standard-normal z by its rank among all the recording's scores: above the
    level below which every frame's highest cells were all kept, by its rank among the kept scores (exact: the
    highest of all maps to z of 0.5 / (frames x cells), about 5 for a pass); below it, by the sample's
    empirical distribution. Noise's z is then standard normal, whatever the scores' shape."""
    sample = np.sort(np.concatenate(recorder.samples).astype(np.float64))
    kept = np.sort(np.concatenate(recorder.kept_scores).astype(np.float64))
    complete = max(float(np.min(scores)) for scores in recorder.kept_scores)
    total = recorder.frames * recorder.cells

    def gaussian(scores: np.ndarray) -> np.ndarray:
        scores = np.asarray(scores, dtype=np.float64)
        from_sample = 1.0 - (np.searchsorted(sample, scores, side="left") + 0.5) / (len(sample) + 1)
        from_rank = (len(kept) - np.searchsorted(kept, scores, side="left") - 0.5) / total
        upper = np.where(scores > complete, from_rank, from_sample)
        return -ndtri(np.clip(upper, 0.5 / total, 1.0))

    return gaussian


def line_search(recorder: LineRecorder) -> LineFinding | None:
    """The most significant track of ``recorder`` (a cell and a linear drift); None when the recorder searched
    nothing (too few frames, too narrow or too wide a band)."""
    if not recorder.enabled or recorder.frames < MIN_FRAMES:
        return None
    frames, cells = recorder.frames, recorder.cells
    gaussian = _to_gaussian(recorder)
    frame_index = np.repeat(np.arange(frames), [len(kept) for kept in recorder.kept_cells])
    cell_index = np.concatenate(recorder.kept_cells).astype(np.int64)
    contribution = burst_llr(gaussian(np.concatenate(recorder.kept_scores)))
    counted = contribution > 0
    frame_index, cell_index, contribution = frame_index[counted], cell_index[counted], contribution[counted]
    max_drift_cells = int(MAX_DRIFT_HZ / (recorder.bin_hz * POOL_BINS))
    fraction = frame_index / max(frames - 1, 1) - 0.5  # -0.5 to 0.5 over the time searched
    best = None
    looks = 0
    for drift in range(-max_drift_cells, max_drift_cells + 1):
        # the track through cell c at the middle of the time is at c + drift * fraction
        shift = np.rint(drift * fraction).astype(np.int64)
        start = cell_index - shift
        reach = int(math.ceil(abs(drift) / 2))
        inside = (start >= reach) & (start < cells - reach)
        totals = np.bincount(start[inside], weights=contribution[inside], minlength=cells)
        looks += max(0, cells - 2 * reach)
        column = int(np.argmax(totals))
        if best is None or totals[column] > best[0]:
            best = (float(totals[column]), column, drift)
    statistic, column, drift = best
    pfa = noise_pfa(statistic, frames)
    on_track = (cell_index - np.rint(drift * fraction).astype(np.int64)) == column
    return LineFinding(min(1.0, pfa * looks), statistic, recorder.carrier_bins(column),
                       float(drift * POOL_BINS), np.unique(frame_index[on_track]), looks)
