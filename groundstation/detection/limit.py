"""The limit stated with NO SIGNAL DETECTED, calibrated by injection into the recording's own noise.

The promise "no carrier stronger than L dB-Hz" means: had a carrier of L dB-Hz
been on the track during the time searched, this search would have found it 90
% of the time. So L is measured, not assumed from a Gaussian model: during the
on-track pass, strips of the on-track spectra (the recording's own noise, with
whatever non-Gaussian tails and interference it has) are kept; carriers with a
random frequency and a random drift of up to +-300 Hz over the pass are added
to them in the spectral domain, exactly as they would show there (the Hann
window's response at a random fraction of a bin, a random phase against each
noise bin); the same dynamic-programming search scores them; a trial counts as
found if its score passes the threshold that the real search's own noise
statistics set for TRANSMITTING. L is the lowest C/N0 found in 90 % of the
trials (bisection over C/N0, the same random trials at every C/N0). The
benchmark checks the model against carriers injected in the time domain.

>>> import numpy as np
>>> round(float(hann_response(np.array([0.0, 0.5, 1.0]))[1]), 3)   # scalloping loss: -1.42 dB at half a bin
0.849
"""

from __future__ import annotations

import math

import numpy as np

from groundstation.dsp.track import TrackSearch

STRIP_BINS = 640  # a drift of +-300 Hz (+-150 bins of 2 Hz) stays inside, away from the edges
MAX_STRIPS = 16
STRIP_BUDGET_BYTES = 64 << 20
MAX_DRIFT_HZ = 300.0
LEVELS = (1, 8)  # the resolutions that find a carrier (the coarser ones are for data signals)
HANN_ENBW_BINS = 1.5
PROBABILITY = 0.9
SEARCH_DBHZ = (-10.0, 50.0)
RESOLUTION_DB = 0.25


def hann_response(offset_bins: np.ndarray) -> np.ndarray:
    """Amplitude of a Hann-windowed FFT bin for a tone ``offset_bins`` away, relative to a centred tone."""
    offset = np.asarray(offset_bins, dtype=float)
    denominator = 1.0 - offset**2
    near_one = np.abs(denominator) < 1e-9
    return np.where(near_one, 0.5, np.sinc(offset) / np.where(near_one, 1.0, denominator))


class StripRecorder:
    """Keeps ``strips`` slices of ``STRIP_BINS`` rest frequencies of every on-track spectrum."""

    def __init__(self, rest_bins: int, frames: int, rng: np.random.Generator) -> None:
        size = min(STRIP_BINS, rest_bins // 8 * 8)
        fit = max(1, rest_bins // size)
        budget = max(1, STRIP_BUDGET_BYTES // max(1, frames * size * 4))
        self.count = int(min(MAX_STRIPS, fit, budget))
        self.size = size
        starts = np.linspace(0, rest_bins - size, self.count).astype(np.int64) if self.count > 1 else np.array([0])
        self.index = (starts[:, None] + np.arange(size)[None, :]).ravel()
        self.rows = np.empty((frames, len(self.index)), np.float32)
        self.frames = 0
        self.rng = rng

    def add(self, on_track_row: np.ndarray) -> None:
        if self.frames < len(self.rows):
            self.rows[self.frames] = on_track_row[self.index]
            self.frames += 1


def calibrated_limit_dbhz(strips: StripRecorder, reference: TrackSearch, bin_hz: float, pfa_detect: float) -> float:
    """The C/N0 (dB-Hz) of a drifting carrier that the search finds with :data:`PROBABILITY`, by injection."""
    return lowest_found_dbhz(injection_trials(strips, reference, bin_hz, pfa_detect), SEARCH_DBHZ, RESOLUTION_DB)


def lowest_found_dbhz(found, range_dbhz: tuple[float, float], resolution_db: float,
                      probability: float = PROBABILITY) -> float:
    """The lowest C/N0 in ``range_dbhz`` at which ``found(cn0_dbhz)`` (a detected fraction that grows with
    C/N0) reaches ``probability``, by bisection to ``resolution_db``; the top of the range when even that
    falls short.

    >>> lowest_found_dbhz(lambda cn0_dbhz: float(cn0_dbhz >= 7.3), (0.0, 20.0), 0.25)
    7.34375
    """
    low, high = range_dbhz
    if found(high) < probability:
        return high
    while high - low > resolution_db:
        middle = (low + high) / 2
        if found(middle) >= probability:
            high = middle
        else:
            low = middle
    return high


def injection_trials(strips: StripRecorder, reference: TrackSearch, bin_hz: float, pfa_detect: float):
    """``found(cn0_dbhz)``: the fraction of injected carriers of that C/N0 that the search finds (the same
    carriers, frequencies, drifts and noise phases at every C/N0)."""
    rows = strips.rows[: strips.frames]
    frames, width = rows.shape
    rng = strips.rng
    trials = strips.count * 2  # two carriers a strip, run apart
    size = strips.size
    drift_bins = min(MAX_DRIFT_HZ / bin_hz, size / 4)  # the whole drift over the pass, +-
    start_bins = size / 2 + rng.uniform(-size / 8, size / 8, trials)
    drift = rng.uniform(-drift_bins, drift_bins, trials)
    progress = np.arange(frames) / max(frames - 1, 1)
    position = start_bins[:, None] + drift[:, None] * progress[None, :] - drift[:, None] / 2  # (trials, frames)
    grid_fraction = rng.uniform(0.0, 1.0, (trials, frames))
    noise_phase = rng.uniform(0.0, 2 * np.pi, (trials, frames, 6))
    thresholds = _thresholds(reference, pfa_detect)

    def found(cn0_dbhz: float) -> float:
        amplitude = math.sqrt(10 ** (cn0_dbhz / 10) / (bin_hz * HANN_ENBW_BINS))
        hits = 0
        for half in (0, 1):  # each strip holds one carrier at a time: two runs
            chosen = np.arange(half, trials, 2)
            injected = rows.copy()
            for row, trial in enumerate(chosen):
                strip_offset = row * size
                _add_carrier(injected, strip_offset, position[trial], grid_fraction[trial], noise_phase[trial],
                             amplitude)
            search = TrackSearch(width, levels=LEVELS, dp_levels=LEVELS, move_penalty=reference.move_penalty,
                                 keep_paths=False)
            for frame in injected:
                search.add(frame)
            for row, trial in enumerate(chosen):
                end_bin = row * size + position[trial, -1]
                hits += any(_score_near(search, level, end_bin) > thresholds[level] for level in thresholds)
        return hits / trials

    return found


def _thresholds(reference: TrackSearch, pfa_detect: float) -> dict[int, float]:
    """The score at each level that the real search would call TRANSMITTING (its own noise statistics)."""
    thresholds = {}
    for level in LEVELS:
        if level not in reference.levels:
            continue
        result = reference.result(level)
        positions = result.positions * len(reference.levels)
        z = _inverse_tail(pfa_detect / positions)
        thresholds[level] = result.noise_mean + z * result.noise_std
    return thresholds


def _add_carrier(rows: np.ndarray, strip_offset: int, position: np.ndarray, grid_fraction: np.ndarray,
                 noise_phase: np.ndarray, amplitude: float) -> None:
    """A carrier at fractional row ``position`` (one a frame), through the window, onto noise of random phase."""
    frames = np.arange(len(position))
    base = np.floor(position).astype(np.int64) - 2
    # the drift within a frame (the Doppler rate is removed, the transmitter's own drift is not) blurs the line
    step = np.gradient(position)[:, None] * np.linspace(-0.5, 0.5, 5)[None, :]
    for column in range(6):
        row_index = base + column
        spectral_offset = np.rint(row_index + grid_fraction) - (position + grid_fraction)
        carrier = amplitude * np.abs(hann_response(spectral_offset[:, None] + step).mean(axis=1))
        where = strip_offset + row_index
        noise = np.sqrt(rows[frames, where].astype(float)) * np.exp(1j * noise_phase[:, column])
        rows[frames, where] = np.abs(noise + carrier) ** 2


def _score_near(search: TrackSearch, level: int, bin_position: float, reach_groups: int = 2) -> float:
    scores = search.scores[level]
    group = int(bin_position // level)
    return float(np.max(scores[max(0, group - reach_groups) : group + reach_groups + 1]))


def _inverse_tail(probability: float) -> float:
    """z with P(Z > z) = probability for a standard normal Z (bisection on erfc)."""
    lo, hi = 0.0, 40.0
    for _ in range(100):
        middle = (lo + hi) / 2
        if 0.5 * math.erfc(middle / math.sqrt(2)) > probability:
            lo = middle
        else:
            hi = middle
    return (lo + hi) / 2
