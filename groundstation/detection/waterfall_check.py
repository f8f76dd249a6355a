"""``check`` on a waterfall whose Doppler was already removed with another element set (SatNOGS).

A SatNOGS station retunes along the Doppler curve of the element set it was
given (the observation's TLE) before its waterfall sink, so what it records
of a transmitter at ``centre + r`` is, frame by frame,

    offset(t) = r + (centre + r) d_ours(t) - centre d_obs(t)

with ``d`` the Doppler fraction (``-range rate / c``) of our element set and
of the observation's. A satellite that follows the observation's set is a
near-vertical line; a carrier on the ground draws the inverse S-curve of
``-centre d_obs(t)``.

The same steps as for IQ (:mod:`~groundstation.detection.check`), on the
waterfall's rows (max-hold spectra, about 10 a second) pooled into 0.5 s
frames: a search for any signal (followed by dynamic programming, no Doppler
assumed), traced and attributed with
:mod:`~groundstation.detection.attribution` after putting the station's
tuning back; a search along ``offset(t)`` of every rest offset with
:class:`~groundstation.dsp.track.TrackSearch`, other signals masked; the
false-alarm threshold of :mod:`~groundstation.detection.search`; the words
of :mod:`~groundstation.detection.verdict`. The limit is calibrated by
injection into the waterfall's own rows (:func:`injected_limit_dbhz`).

>>> round(median_of_max(1), 4), round(median_of_max(5), 3)   # median of the max of M unit exponentials
(0.6931, 2.044)
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime
from statistics import NormalDist

import numpy as np

from groundstation.detection.attribution import (
    FLAT,
    FLAT_MIN_SEEN,
    MIN_TRACE_ROWS,
    UNIDENTIFIED,
    OtherSignal,
    fit_constant,
    rank,
    trace_waterfall,
    verdict_of,
)
from groundstation.detection.limit import lowest_found_dbhz
from groundstation.detection.search import FRAME_S, MIN_DURATION_S
from groundstation.detection.verdict import Verdict, cannot_tell, decide
from groundstation.dsp.track import MOVE_PENALTY, TrackSearch
from groundstation.orbits.orbit import Tracker
from groundstation.timefmt import iso_utc

log = logging.getLogger(__name__)

#: The false-alarm probability below which the verdict is TRANSMITTING. The Gaussian fit of the off-track scores
#: is optimistic (heavier tails, as for IQ): with the IQ check's 1e-4 and paths followed by dynamic
#: programming, 1 of 32 noise-only SIMULATED 300 s waterfalls gave TRANSMITTING (6.1e-5); 1e-5 was chosen from
#: those 32. With plain sums (as now) the smallest of the same 32 is 3.6e-4, three are below 1.1e-3 (about 100
#: times what the fit promises). tests/benchmarks/bench_campaign.py counts the silent observations' verdicts.
PFA_DETECT = 1e-5
EDGE_FRACTION = 0.05  # of the band at each edge: the receiver's filter rolls off there
LEVELS = (1, 4, 16)  # channels grouped: one (a carrier), four, sixteen (a drifting carrier, an FM signal's core)
# No dynamic programming on a waterfall: with channels of 47 Hz and hundreds of frames a path may move
# further than the band is wide, so every path is pulled to a strong carrier and the off-track scores (the
# noise statistics) rise with it. A drift of +-300 Hz stays within a group of 4 or 16 channels.
DP_LEVELS: tuple[int, ...] = ()
PASSBAND_SMOOTH_CHANNELS = 33  # the receiver's passband shape: a median this wide across the band
MASK_HALF_WIDTH_CHANNELS = 8
MIN_SEARCH_CHANNELS = 32
MIN_COVERAGE = 0.5  # a rest offset is searched if its track is inside the waterfall's band this much of the time
STRIP_CHANNELS = 96
MAX_STRIPS = 8
MAX_DRIFT_HZ = 300.0
LIMIT_SEED = 20261127
LIMIT_RANGE_DBHZ = (-10.0, 60.0)
LIMIT_RESOLUTION_DB = 0.25
PROBABILITY = 0.9


def mean_of_max(ffts: int) -> float:
    """Mean of the largest of ``ffts`` independent exponential variables of mean 1 (the harmonic number).

    >>> mean_of_max(1), round(mean_of_max(5), 4)
    (1.0, 2.2833)
    """
    return float(sum(1.0 / k for k in range(1, ffts + 1)))


def median_of_max(ffts: int) -> float:
    """Median of the largest of ``ffts`` independent exponential variables of mean 1 (a max-hold of noise)."""
    return -math.log(1.0 - 0.5 ** (1.0 / ffts))


@dataclass
class WaterfallCheck:
    """The verdict on a waterfall and the numbers behind it (all JSON-ready in :meth:`to_json`)."""

    verdict: Verdict
    satellite: str
    norad: int
    element_set_epoch: datetime
    observation_set_epoch: datetime | None
    start: datetime
    duration_s: float
    centre_hz: float
    bin_hz: float
    seconds_searched: float = 0.0
    max_elevation_deg: float | None = None
    searched_hz: tuple[float, float] | None = None
    detection: dict | None = None
    limit_dbhz: float | None = None
    best_pfa: float | None = None
    other_signals: list[OtherSignal] = field(default_factory=list)

    @property
    def line(self) -> str:
        return self.verdict.line

    def to_json(self) -> dict:
        return {
            "satellite": self.satellite,
            "norad": self.norad,
            "element_set_epoch": iso_utc(self.element_set_epoch),
            "observation_set_epoch": None if self.observation_set_epoch is None else iso_utc(self.observation_set_epoch),
            "start": iso_utc(self.start),
            "duration_s": round(self.duration_s, 1),
            "centre_hz": self.centre_hz,
            "channel_hz": round(self.bin_hz, 3),
            "seconds_searched": self.seconds_searched,
            "max_elevation_deg": None if self.max_elevation_deg is None else round(self.max_elevation_deg, 1),
            "searched_hz": None if self.searched_hz is None else list(self.searched_hz),
            "track": self.detection,
            "best_pfa": self.best_pfa,
            "upper_limit_cn0_dbhz": None if self.limit_dbhz is None else round(self.limit_dbhz, 1),
            "other_signals": [signal.as_json() for signal in self.other_signals],
            "verdict": self.verdict.name,
            "line": self.verdict.line,
        }


@dataclass
class _Frames:
    """The rows, normalised (noise of one FFT averages 1), and how they pool into 0.5 s frames."""

    rows: np.ndarray  # normalised power, rows x channels
    row_times_unix: np.ndarray  # row centres
    frame_of_row: np.ndarray
    frame_times_unix: np.ndarray
    lo: int
    hi: int

    def pool(self, values: np.ndarray, keep_rows: np.ndarray | None = None) -> np.ndarray:
        """Mean of ``values`` (rows x columns) within each frame (frames with no row kept are dropped)."""
        frames = self.frame_of_row if keep_rows is None else self.frame_of_row[keep_rows]
        starts = np.flatnonzero(np.r_[True, np.diff(frames) != 0])
        counts = np.diff(np.r_[starts, len(frames)])
        return np.add.reduceat(values, starts, axis=0) / counts[:, None]


def _frames(waterfall) -> _Frames:
    """Linear power over the passband shape and each row's noise floor; rows grouped in FRAME_S frames."""
    channels = waterfall.channels
    edge = int(EDGE_FRACTION * channels)
    lo, hi = edge, channels - edge
    linear = np.power(10.0, waterfall.power_db.astype(np.float32) / 10.0, dtype=np.float32)
    shape = np.median(linear, axis=0)
    half = PASSBAND_SMOOTH_CHANNELS // 2
    padded = np.pad(shape, half, mode="edge")
    passband = np.median(np.lib.stride_tricks.sliding_window_view(padded, PASSBAND_SMOOTH_CHANNELS), axis=1)
    flat = linear / np.maximum(passband, 1e-30)[None, :]
    floor = np.median(flat[:, lo:hi], axis=1)
    rows = (flat / np.maximum(floor, 1e-30)[:, None] * median_of_max(waterfall.ffts_per_row)).astype(np.float32)
    row_s = waterfall.ffts_per_row * channels / waterfall.rate_sps
    row_times = waterfall.times_unix + row_s / 2
    frame_of_row = np.floor((row_times - row_times[0]) / FRAME_S).astype(np.int64)
    counts = np.bincount(frame_of_row)
    used = counts > 0
    frame_times = (np.bincount(frame_of_row, row_times) [used] / counts[used])
    # renumber the frames so that frames without rows (gaps) do not exist
    frame_of_row = np.cumsum(used)[frame_of_row] - 1
    return _Frames(rows, row_times, frame_of_row, frame_times, lo, hi)


def check_waterfall(waterfall, centre_hz: float, observation_tracker: Tracker | None, tracker: Tracker,
                    min_elevation_deg: float = 0.0, freq_hz: float | None = None,
                    search_bw_hz: float | None = None) -> WaterfallCheck:
    """Did ``tracker``'s satellite transmit during this waterfall? ``observation_tracker``: the element set the
    station corrected the Doppler with (None: no correction). ``freq_hz`` +- ``search_bw_hz``: the rest
    frequencies to search (default: the whole band)."""
    frames = _frames(waterfall)
    obs_fraction = (np.zeros(len(frames.frame_times_unix)) if observation_tracker is None
                    else observation_tracker.doppler_fraction(frames.frame_times_unix))
    look = tracker.look(frames.frame_times_unix)
    our_fraction = -look.range_rate_km_s * 1000.0 / 299_792_458.0
    above_frames = look.elevation_deg >= min_elevation_deg
    result = WaterfallCheck(cannot_tell(""), tracker.name, tracker.element_set.norad, tracker.element_set.epoch,
                            None if observation_tracker is None else observation_tracker.element_set.epoch,
                            waterfall.start, waterfall.duration_s, centre_hz, waterfall.bin_hz,
                            max_elevation_deg=float(np.max(look.elevation_deg)))

    def stop(reason: str) -> WaterfallCheck:
        result.verdict = cannot_tell(reason)
        return result

    if waterfall.duration_s < MIN_DURATION_S or len(frames.frame_times_unix) < MIN_DURATION_S / FRAME_S:
        return stop(f"the waterfall is too short for a search ({waterfall.duration_s:.1f} s)")
    if np.count_nonzero(above_frames) < MIN_DURATION_S / FRAME_S:
        return stop(f"{tracker.name} is below {min_elevation_deg:g} degrees of elevation for the whole observation "
                    f"(highest {result.max_elevation_deg:.1f} degrees), so no signal of it could be heard")
    lo, hi = frames.lo, frames.hi
    offsets = np.asarray(waterfall.offsets_hz, dtype=np.float64)
    bin_hz = waterfall.bin_hz

    # 1. Any signal at all, and whose it is.
    pooled = frames.pool(frames.rows)
    others = _attribute(pooled, frames, offsets, bin_hz, centre_hz, obs_fraction, tracker)
    not_this = [signal for signal in others if not signal.belongs_to_target and signal.described != UNIDENTIFIED]
    result.other_signals = others

    # 2. Along the track of every rest offset.
    rows_above = above_frames[frames.frame_of_row]
    row_fraction_ours = np.interp(frames.row_times_unix, frames.frame_times_unix, our_fraction)
    row_fraction_obs = np.interp(frames.row_times_unix, frames.frame_times_unix, obs_fraction)
    rest = offsets[lo:hi]
    if freq_hz is not None:
        width = search_bw_hz if search_bw_hz is not None else 10e3
        rest = rest[np.abs(rest - (freq_hz - centre_hz)) <= width]
    ours, obs = row_fraction_ours[rows_above], row_fraction_obs[rows_above]
    # where each rest offset is received, row by row; a track may leave the band part of the time (an element
    # set far from the station's): those rows count as noise, and offsets in the band less than half the time
    # are not searched
    received = (rest[None, :] + (centre_hz + rest[None, :]) * ours[:, None] - centre_hz * obs[:, None])
    inside = (received >= offsets[lo]) & (received <= offsets[hi - 1])
    coverage = inside.mean(axis=0)
    keep = coverage >= MIN_COVERAGE
    rest, received, inside, coverage = rest[keep], received[:, keep], inside[:, keep], coverage[keep]
    if len(rest) < MIN_SEARCH_CHANNELS:
        recorded = f"{(centre_hz + offsets[lo]) / 1e6:.4f} to {(centre_hz + offsets[hi - 1]) / 1e6:.4f} MHz"
        return stop(f"the band searched (with {tracker.name}'s Doppler relative to the observation's element set) "
                    f"was not in the waterfall: it holds {recorded}")
    noise_value = mean_of_max(waterfall.ffts_per_row)  # what noise adds on average: no bias either way
    rows = frames.rows[rows_above]
    for signal in not_this:
        _mask(rows, frames.row_times_unix[rows_above], signal, centre_hz, row_fraction_obs[rows_above], offsets,
              bin_hz, noise_value)
    where = np.clip(np.rint((received - offsets[0]) / bin_hz).astype(np.int64), lo, hi - 1)
    on_track_rows = np.take_along_axis(rows, where, axis=1)
    on_track_rows[~inside] = noise_value
    on_track = frames.pool(on_track_rows, rows_above)
    search = TrackSearch(len(rest), levels=LEVELS, dp_levels=DP_LEVELS, expected_frames=len(on_track))
    for frame in on_track:
        search.add(frame)
    best = search.best()
    detected = best.pfa < PFA_DETECT
    best_rest_hz = float(rest[0] + best.position_bins * bin_hz)
    energy = best.excess_per_frame() if best.level == 1 else search.result(best.level).excess_per_frame()
    cn0_dbhz = 10 * math.log10(max(energy * bin_hz, 1e-3))
    result.best_pfa = best.pfa
    result.seconds_searched = float(np.count_nonzero(above_frames)) * FRAME_S
    result.searched_hz = (float(centre_hz + rest[0]), float(centre_hz + rest[-1]))
    if detected:
        result.detection = {"rest_frequency_hz": round(centre_hz + best_rest_hz, 1), "pfa": best.pfa,
                            "z": round(best.z, 2), "resolution_hz": round(best.level * bin_hz, 1),
                            "cn0_dbhz": round(cn0_dbhz, 1)}
    else:
        result.limit_dbhz = injected_limit_dbhz(on_track_rows, frames, rows_above, search, bin_hz,
                                                waterfall.ffts_per_row)
    covered = f"{result.seconds_searched:.0f} s above {min_elevation_deg:g} degrees of elevation"
    if coverage.min() < 1.0:
        covered += (f"; {np.mean(coverage < 1.0):.0%} of the offsets searched left the waterfall's band part of that "
                    f"time (in it at least {MIN_COVERAGE:.0%})")
    result.verdict = decide(tracker.name, detected, centre_hz + best_rest_hz, cn0_dbhz, best.pfa, [], not_this,
                            result.limit_dbhz if result.limit_dbhz is not None else float("nan"), result.searched_hz,
                            covered)
    return result


RAW_LEVELS = (4, 16)  # channels grouped in the search for any signal (188 Hz, 750 Hz)
RAW_WINDOW_FRAMES = 20  # 10 s: a carrier on the ground moves at most about 1.7 kHz in that time


def raw_search(pooled: np.ndarray, lo: int, hi: int) -> tuple[float, int, float]:
    """Any signal at all, without a Doppler model: in windows of 10 s, the energy of groups of channels against
    the other groups of the same window (median and spread). A dynamic-programming path would be pulled
    towards a strong carrier from everywhere within reach, so none is used here.

    Returns (false-alarm probability over every window, group and level searched, the best position in
    channels from ``lo``, its z)."""
    band = pooled[:, lo:hi]
    windows = max(1, len(band) // RAW_WINDOW_FRAMES)
    best = (1.0, 0, 0.0)
    trials = 0
    for level in RAW_LEVELS:
        groups = band.shape[1] // level
        if groups < 32:
            continue
        grouped = band[: windows * RAW_WINDOW_FRAMES if len(band) >= RAW_WINDOW_FRAMES else len(band),
                       : groups * level]
        grouped = grouped.reshape(windows, -1, groups, level).mean(axis=(1, 3))  # windows x groups
        median = np.median(grouped, axis=1, keepdims=True)
        spread = np.median(np.abs(grouped - median), axis=1, keepdims=True) * 1.4826
        z = (grouped - median) / np.maximum(spread, 1e-12)
        window, group = np.unravel_index(int(np.argmax(z)), z.shape)
        trials += z.size
        if z[window, group] > best[2]:
            best = (0.0, int((group + 0.5) * level), float(z[window, group]))
    if trials == 0:
        return 1.0, 0, 0.0
    return min(1.0, trials * 0.5 * math.erfc(best[2] / math.sqrt(2))), best[1], best[2]


def _attribute(pooled: np.ndarray, frames: _Frames, offsets: np.ndarray, bin_hz: float, centre_hz: float,
               obs_fraction: np.ndarray, tracker: Tracker) -> list[OtherSignal]:
    """The strongest signal found without a Doppler model, traced, its station tuning put back, and fitted."""
    lo, hi = frames.lo, frames.hi
    pfa, column, z = raw_search(pooled, lo, hi)
    if pfa >= PFA_DETECT:
        return []
    image_db = 10 * np.log10(pooled[:, lo:hi] + 1e-12)
    times_s = frames.frame_times_unix - frames.frame_times_unix[0]
    columns, seen = trace_waterfall(image_db, times_s, column, bin_hz)
    if seen.sum() < MIN_TRACE_ROWS:
        return []
    freqs_hz = (centre_hz * (1.0 + obs_fraction) + offsets[lo + columns])[seen]
    times = frames.frame_times_unix[seen]
    ranked = rank([tracker], times, freqs_hz)
    constant = fit_constant(freqs_hz)
    described = verdict_of(ranked, constant, bin_hz)
    if described == FLAT and seen.mean() < FLAT_MIN_SEEN:
        described = UNIDENTIFIED
    belongs = bool(ranked and described.startswith(ranked[0].name))
    log.debug("strongest signal: pfa %.1e, %s", pfa, described)
    return [OtherSignal(pfa, z, times, freqs_hz, ranked, constant, belongs, described)]


def _mask(rows: np.ndarray, row_times: np.ndarray, signal: OtherSignal, centre_hz: float, obs_fraction: np.ndarray,
          offsets: np.ndarray, bin_hz: float, noise_value: float) -> None:
    """Replace a signal's trace (absolute frequencies over time) in the rows by the noise's median."""
    absolute = np.interp(row_times, signal.times_unix, signal.freqs_hz)
    channel = np.rint((absolute - centre_hz * (1.0 + obs_fraction) - offsets[0]) / bin_hz).astype(np.int64)
    span = np.arange(-MASK_HALF_WIDTH_CHANNELS, MASK_HALF_WIDTH_CHANNELS + 1)
    columns = np.clip(channel[:, None] + span[None, :], 0, rows.shape[1] - 1)
    np.put_along_axis(rows, columns, noise_value, axis=1)


def injected_limit_dbhz(on_track_rows: np.ndarray, frames: _Frames, rows_above: np.ndarray, reference: TrackSearch,
                        bin_hz: float, ffts_per_row: int) -> float:
    """The C/N0 (dB-Hz) of a carrier drifting up to +-300 Hz that this search finds 90 % of the time.

    Carriers are added to strips of the on-track rows (the waterfall's own noise), in each row to the
    channels near the carrier, as :func:`_add_carrier` models a max-hold; ``a^2``, the carrier's power in one
    FFT, is ``C/N0 / channel width`` (no window), times ``sinc^2`` of the distance from the channel's centre.
    The strips are pooled and searched as the real search was; a carrier counts as found if its score passes
    the threshold the real search's own noise statistics set. Bisection to 0.25 dB (the same random carriers
    at every C/N0)."""
    rest_bins = on_track_rows.shape[1]
    size = min(STRIP_CHANNELS, rest_bins)
    count = int(max(1, min(MAX_STRIPS, rest_bins // size)))
    starts = np.linspace(0, rest_bins - size, count).astype(np.int64)
    strips = np.concatenate([on_track_rows[:, s : s + size] for s in starts], axis=1)
    rows, width = strips.shape
    rng = np.random.default_rng(LIMIT_SEED)
    trials = 2 * count
    drift_bins = min(MAX_DRIFT_HZ / bin_hz, size / 4)
    start_bins = size / 2 + rng.uniform(-size / 8, size / 8, trials)
    drift = rng.uniform(-drift_bins, drift_bins, trials)
    progress = np.arange(rows) / max(rows - 1, 1)
    position = start_bins[:, None] + drift[:, None] * (progress[None, :] - 0.5)  # trials x rows
    phases = rng.uniform(0, 2 * np.pi, (trials, rows, 6))
    levels = [level for level in LEVELS if level in reference.levels]
    if not levels:
        return LIMIT_RANGE_DBHZ[1]
    thresholds = {}
    for level in levels:
        real = reference.result(level)
        z = NormalDist().inv_cdf(1.0 - PFA_DETECT / (real.positions * len(reference.levels)))
        thresholds[level] = real.noise_mean + z * real.noise_std

    def found(cn0_dbhz: float) -> float:
        amplitude = math.sqrt(10 ** (cn0_dbhz / 10) / bin_hz)
        hits = 0
        for half in (0, 1):
            chosen = np.arange(half, trials, 2)
            injected = strips.copy()
            for strip, trial in enumerate(chosen):
                _add_carrier(injected, strip * size, position[trial], phases[trial], amplitude, ffts_per_row,
                             np.random.default_rng([LIMIT_SEED, trial]))
            pooled = frames.pool(injected, rows_above)
            search = TrackSearch(width, levels=levels, dp_levels=DP_LEVELS, move_penalty=MOVE_PENALTY, keep_paths=False)
            for frame in pooled:
                search.add(frame)
            for strip, trial in enumerate(chosen):
                end = strip * size + position[trial, -1]
                hits += any(_score_near(search, level, end) > thresholds[level] for level in search.levels)
        return hits / trials

    return lowest_found_dbhz(found, LIMIT_RANGE_DBHZ, LIMIT_RESOLUTION_DB, PROBABILITY)


def _add_carrier(rows: np.ndarray, column_offset: int, position: np.ndarray, phases: np.ndarray, amplitude: float,
                 ffts: int, rng: np.random.Generator) -> None:
    """A carrier at fractional channel ``position`` (one a row) into max-hold rows of ``ffts`` FFTs each.

    A held value ``v`` is the largest of ``ffts`` FFTs of noise; given that, the other ``ffts - 1`` are
    exponential below ``v``. Each is drawn so, the carrier is added to all of them with a random phase, and
    the largest is held again: the max-hold of noise plus carrier, from this waterfall's own noise."""
    index = np.arange(len(position))
    base = np.floor(position).astype(np.int64) - 2
    for column in range(6):
        channel = base + column
        carrier = amplitude * np.abs(np.sinc(channel - position))
        where = column_offset + np.clip(channel, 0, None)
        held = rows[index, where].astype(np.float64)
        others = -np.log1p(-rng.uniform(0, 1, (ffts - 1, len(held))) * -np.expm1(-held))  # exponential below held
        powers = np.vstack([held[None, :], others])
        phase = phases[:, column][None, :] + rng.uniform(0, 2 * np.pi, powers.shape)
        rows[index, where] = np.max(np.abs(np.sqrt(powers) * np.exp(1j * phase) + carrier), axis=0) ** 2


def _score_near(search: TrackSearch, level: int, bin_position: float, reach_groups: int = 2) -> float:
    scores = search.scores[level]
    group = int(bin_position // level)
    return float(np.max(scores[max(0, group - reach_groups) : group + reach_groups + 1]))
