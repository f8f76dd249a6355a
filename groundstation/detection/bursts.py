"""A detector for bursty data signals (a beacon of 0.2 to 1 s every few seconds) on the satellite's Doppler track.

A data signal on FM is not a carrier: its energy spreads over several kHz, and a
beacon is on the air a few per cent of the time, so the on-track energy averaged
over the pass (what :mod:`~groundstation.detection.search` integrates) loses
10 log10(duty cycle), 12 dB for 6 %. This detector looks for what such a signal
is: energy in a channel a few kHz wide, at one rest frequency on the Doppler
track, that comes and goes.

The on-track spectra (Doppler removed, noise 1 per bin) are summed into groups
of :data:`GROUP_HZ`; a channel is a run of groups (:data:`WIDTHS_HZ`), its power
one number a frame. Each channel's series is cube-rooted (a chi-squared-like
power made nearly Gaussian, after Wilson and Hilferty), made a z-score against
its own median and spread over time (so the band's shape and the recording's
noise level drop out), summed over windows of one and two frames (a burst straddles
two 0.5 s frames), and scored with the log-likelihood ratio of "bursts of
strength :data:`BURST_Z` in a fraction :data:`BURST_FRACTION` of the windows"
against noise:

    T = sum_t log(1 - e + e * exp(a z_t - a^2 / 2))

which adds up the windows that stand out and ignores the rest (a pass average
would add the noise of every window). The false-alarm probability of T comes
from the same statistic on Gaussian noise of the same length (Monte Carlo, a
fixed seed, an exponential tail fitted beyond its 99th percentile), times the
number of channels and windows searched (which over-counts: the channels
overlap). Below ``PFA_BURST`` (search.py) the search detects; the false-alarm
rate on noise-only passes is measured by tests/benchmarks/bench_check.py.

>>> import numpy as np
>>> rng = np.random.default_rng(3)
>>> groups = rng.normal(1.0, 0.05, (600, 20))            # 600 frames, 20 groups of 1 kHz: noise
>>> groups[::20, 8:14] += 0.1                            # a 6 kHz burst every 10 s, 2 sigma a group
>>> finding = burst_search(groups, GROUP_HZ)
>>> finding.pfa < 1e-6, 6 <= finding.centre_groups <= 16
(True, True)
>>> burst_search(rng.normal(1.0, 0.05, (600, 20)), GROUP_HZ).pfa > 1e-3
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

GROUP_HZ = 1000.0
WIDTHS_HZ = (2000.0, 4000.0, 8000.0, 16000.0)
WINDOW_FRAMES = (1, 2)
BURST_Z = 3.0  # the burst strength (z-score of a window) the statistic is tuned for
BURST_FRACTION = 0.05  # of the windows: a 0.6 s burst every 10 s touches 1 or 2 frames of 20
NULL_TRIALS = 4000
NULL_SEED = 20261128
TAIL_QUANTILE = 0.99


@dataclass(frozen=True)
class BurstFinding:
    """The best channel of the burst search: where, how wide, how likely noise."""

    pfa: float  # counting every channel, width and window searched
    statistic: float
    centre_groups: float  # the channel's centre, in groups from the first (fractional)
    width_groups: int
    window_frames: int
    burst_windows: np.ndarray  # the windows (first frame index) where the channel stood out (z > 2)
    looks: int
    follows_doppler: bool = True  # False: the frames it stood out in are as consistent with a fixed frequency


class BurstRecorder:
    """Keeps the on-track spectra summed into groups of :data:`GROUP_HZ` (frames x groups, a few kB a minute)."""

    def __init__(self, rest_bins: int, bin_hz: float, frames: int) -> None:
        self.group_bins = max(1, int(round(GROUP_HZ / bin_hz)))
        self.groups = rest_bins // self.group_bins
        self.matrix = np.empty((frames, self.groups), np.float64)
        self.frames = 0

    def add(self, on_track_row: np.ndarray) -> None:
        if self.frames < len(self.matrix) and self.groups:
            used = self.groups * self.group_bins
            self.matrix[self.frames] = on_track_row[:used].reshape(self.groups, self.group_bins).mean(axis=1)
            self.frames += 1

    @property
    def rows(self) -> np.ndarray:
        return self.matrix[: self.frames]


def channel_layout(groups: int, group_hz: float = GROUP_HZ) -> list[tuple[int, int]]:
    """(width, step) in groups for every channel width that fits, positions stepped by a quarter width.

    >>> channel_layout(20)
    [(2, 1), (4, 1), (8, 2), (16, 4)]
    """
    layout = []
    for width_hz in WIDTHS_HZ:
        width = max(1, int(round(width_hz / group_hz)))
        if width <= groups:
            layout.append((width, max(1, width // 4)))
    return layout


def channel_series(groups_matrix: np.ndarray, width: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    """The power of every channel of ``width`` groups (stepped by ``step``), frame by frame, and each channel's
    first group."""
    frames, groups = groups_matrix.shape
    starts = np.arange(0, groups - width + 1, step)
    if len(starts) and starts[-1] != groups - width:
        starts = np.append(starts, groups - width)
    cumulative = np.concatenate([np.zeros((frames, 1)), np.cumsum(groups_matrix, axis=1)], axis=1)
    return (cumulative[:, starts + width] - cumulative[:, starts]) / width, starts


def robust_z(series: np.ndarray) -> np.ndarray:
    """Each column as z-scores against its own median and median absolute deviation (over time)."""
    median = np.median(series, axis=0)
    spread = 1.4826 * np.median(np.abs(series - median), axis=0)
    return (series - median) / np.where(spread > 0, spread, np.inf)


def windowed(z: np.ndarray, frames: int) -> np.ndarray:
    """Sums of ``frames`` consecutive rows, scaled back to unit variance (rows independent)."""
    if frames == 1:
        return z
    cumulative = np.concatenate([np.zeros((1,) + z.shape[1:]), np.cumsum(z, axis=0)], axis=0)
    return (cumulative[frames:] - cumulative[:-frames]) / math.sqrt(frames)


def llr_statistic(z: np.ndarray, amplitude: float = BURST_Z, fraction: float = BURST_FRACTION) -> np.ndarray:
    """The sum over rows of log(1 - e + e exp(a z - a^2/2)) (column by column): a sparse-burst likelihood ratio.

    >>> round(float(llr_statistic(np.zeros((10, 1)))[0]), 3)   # quiet windows count a little against
    -0.507
    """
    exponent = np.minimum(amplitude * z - amplitude**2 / 2, 50.0)
    return np.sum(np.log1p(fraction * np.expm1(exponent)), axis=0)


@dataclass(frozen=True)
class NullTail:
    """The statistic's distribution on noise: sorted Monte Carlo values, the :data:`TAIL_QUANTILE` quantile and
    the mean excess beyond it (the scale of the exponential tail assumed further out)."""

    values: np.ndarray
    quantile: float
    mean_excess: float

    @classmethod
    def of(cls, values: np.ndarray) -> NullTail:
        values = np.sort(values)
        quantile = float(np.quantile(values, TAIL_QUANTILE))
        excess = values[values > quantile] - quantile
        return cls(values, quantile, float(np.mean(excess)) if len(excess) else 1.0)

    def pfa(self, statistic) -> np.ndarray:
        """P(T >= statistic) for one channel of noise: the Monte Carlo distribution, and beyond its quantile an
        exponential tail with the mean excess seen there."""
        statistic = np.asarray(statistic, dtype=float)
        empirical = 1.0 - np.searchsorted(self.values, statistic, side="left") / len(self.values)
        tail = (1.0 - TAIL_QUANTILE) * np.exp(-(statistic - self.quantile) / max(self.mean_excess, 1e-9))
        return np.where(statistic > self.quantile, tail, np.maximum(empirical, 1.0 - TAIL_QUANTILE))


@lru_cache(maxsize=16)
def gaussian_null(frames: int, window_frames: int, amplitude: float = BURST_Z) -> NullTail:
    """The statistic of :data:`NULL_TRIALS` series of ``frames`` Gaussian z-scores (each made a z-score against
    its own median and spread, as the searches do), fixed seed, cached."""
    rng = np.random.default_rng([NULL_SEED, frames, window_frames, int(amplitude * 100)])
    values = np.empty(NULL_TRIALS)
    chunk = max(1, (1 << 21) // max(frames, 1))
    for first in range(0, NULL_TRIALS, chunk):
        count = min(chunk, NULL_TRIALS - first)
        series = robust_z(rng.standard_normal((frames, count)))
        values[first : first + count] = llr_statistic(windowed(series, window_frames), amplitude)
    return NullTail.of(values)


MIN_FRAMES = 40
STOOD_OUT_Z = 2.0


def burst_search(groups_matrix: np.ndarray, group_hz: float = GROUP_HZ) -> BurstFinding | None:
    """The most significant channel of ``groups_matrix`` (frames x groups, the on-track spectra summed into
    groups of ``group_hz``); None when too few frames or groups."""
    frames, groups = groups_matrix.shape
    layout = channel_layout(groups, group_hz)
    if frames < MIN_FRAMES or not layout:
        return None
    best = None
    looks = 0
    for width, step in layout:
        series, starts = channel_series(groups_matrix, width, step)
        # a channel's power is chi-squared-like (skewed: its tail at 4 sigma a few times the Gaussian one); its
        # cube root is close to Gaussian (Wilson and Hilferty), and the statistic's null is the Gaussian one
        z = robust_z(np.cbrt(np.maximum(series, 0.0)))
        for window_frames in WINDOW_FRAMES:
            statistic = llr_statistic(windowed(z, window_frames))
            looks += len(starts)
            column = int(np.argmax(statistic))
            pfa = float(gaussian_null(frames, window_frames).pfa(statistic[column]))
            stood_out = np.flatnonzero(windowed(z[:, column : column + 1], window_frames)[:, 0] > STOOD_OUT_Z)
            if best is None or pfa < best[0] or (pfa == best[0] and statistic[column] > best[1]):
                best = (pfa, float(statistic[column]), starts[column] + (width - 1) / 2, width, window_frames,
                        stood_out)
    pfa, statistic, centre, width, window_frames, stood_out = best
    return BurstFinding(min(1.0, pfa * looks), statistic, float(centre), width, window_frames, stood_out, looks)


def covered_frames(windows: np.ndarray, window_frames: int, frames: int) -> np.ndarray:
    """The frames (below ``frames``) that windows of ``window_frames`` starting at ``windows`` cover, sorted.

    >>> covered_frames(np.array([3, 4, 9]), 2, 10).tolist()
    [3, 4, 5, 9]
    """
    rows = np.unique(np.concatenate([np.asarray(windows) + k for k in range(window_frames)]))
    return rows[rows < frames]


def burst_centroid_groups(groups_matrix: np.ndarray, finding: BurstFinding, half_width_groups: int = 8,
                          iterations: int = 4) -> float:
    """Where the bursts' spectrum is centred (an FM signal's spectrum is symmetric about its carrier), in groups:
    the excess power of the frames where the best channel stood out over the median frame, its centroid within a
    window that is kept symmetric about the estimate (narrowed near the band's edges, so the edge does not pull
    it)."""
    frames, groups = groups_matrix.shape
    if not len(finding.burst_windows):
        return finding.centre_groups
    rows = covered_frames(finding.burst_windows, finding.window_frames, frames)
    excess = np.maximum(groups_matrix[rows].mean(axis=0) - np.median(groups_matrix, axis=0), 0.0)
    centre = finding.centre_groups
    index = np.arange(groups)
    for _ in range(iterations):
        half = min(half_width_groups, centre + 0.5, groups - 0.5 - centre)
        if half < 1:
            break
        inside = np.abs(index - centre) <= half
        weights = excess[inside]
        if weights.sum() <= 0:
            break
        centre = float(index[inside] @ weights / weights.sum())
    return centre


