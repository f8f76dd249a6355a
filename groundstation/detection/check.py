"""Did this satellite transmit during this recording? Track search, attribution, decoding, a verdict.

Two passes over the recording, each frame a 0.5 s spectrum normalised to its noise floor:

1. Raw: a waterfall for people, and a search for any signal at all (128 Hz groups, allowed to move a
   group a frame, so a low-orbit Doppler curve and a fixed carrier are both followed). Each signal
   found is traced and fitted against every catalogued object above the horizon and against a constant.
2. On track: the spectra shifted by the satellite's predicted Doppler (scaled to each frequency), so a
   transmitter of unknown frequency stays in one bin give or take a slow drift; energy is integrated
   along that track at resolutions from 2 Hz (a carrier) to 8 kHz (an FM data signal). Signals that
   pass 1 attributed to something else are masked first.

The detection statistic is the track's score against the scores of all other positions (their median
and spread), with a false-alarm probability that counts every position and resolution searched.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np

from groundstation.detection.attribution import (
    FLAT,
    UNIDENTIFIED,
    Fit,
    candidate_trackers,
    fit_constant,
    rank,
    verdict_of,
)
from groundstation.dsp.spectra import SpectralFrames, Waterfall
from groundstation.dsp.track import TrackSearch
from groundstation.errors import UserError
from groundstation.orbits.orbit import Tracker
from groundstation.orbits.orbit import doppler_fraction as fraction_for_range_rate
from groundstation.timefmt import iso_utc

log = logging.getLogger(__name__)

FRAME_S = 0.5
# The false-alarm probability computed from a Gaussian fit of the off-track scores is optimistic (the
# dynamic-programming scores have a heavier tail): at 1e-3 it gave 4 TRANSMITTING verdicts in 100
# noise-only passes. 1e-4 was chosen from 100 other noise-only passes (smallest value seen: 3.5e-4);
# tests/benchmarks/bench_check.py measures the rate on fresh seeds.
PFA_DETECT = 1e-4
EDGE_FRACTION = 0.05  # of the band at each edge, where the receiver's filter rolls off
RAW_LEVELS = (64, 512)
MASK_HALF_WIDTH_BINS = 96
TRANSMITTING = "TRANSMITTING"
NO_SIGNAL = "NO SIGNAL DETECTED"
NOT_THIS = "SIGNAL NOT FROM THIS SATELLITE"


@dataclass
class OtherSignal:
    """A signal found without assuming any Doppler curve, and whose it is."""

    pfa: float
    z: float
    times_unix: np.ndarray
    freqs_hz: np.ndarray
    ranked: list[Fit]
    constant: Fit
    belongs_to_target: bool
    described: str

    def as_json(self) -> dict:
        return {
            "pfa": self.pfa,
            "z": round(self.z, 2),
            "frequency_start_hz": float(self.freqs_hz[0]),
            "frequency_end_hz": float(self.freqs_hz[-1]),
            "matches": self.described,
            "belongs_to_target": self.belongs_to_target,
            "constant_rms_hz": round(self.constant.rms_hz, 1),
            "ranking": [{"name": fit.name, "norad": fit.norad, "rms_hz": round(fit.rms_hz, 1)} for fit in self.ranked[:5]],
        }


@dataclass
class CheckResult:
    verdict: str
    line: str
    numbers: dict
    waterfall: Waterfall
    band_hz: tuple[float, float]  # waterfall's first and last column, relative to the centre
    frame_times_unix: np.ndarray
    predicted_offsets_hz: np.ndarray | None  # where a transmitter at the best (or --freq) offset would be
    track_offsets_hz: np.ndarray | None  # the detected track, raw frequency relative to the centre
    elevation_deg: np.ndarray = field(default_factory=lambda: np.zeros(0))
    frames: list = field(default_factory=list)


def _normalise(power: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Power / noise floor (median of the band, 1 on average for noise: chi-squared, 2 degrees of freedom)."""
    floor = np.median(power[lo:hi:4]) / math.log(2)
    return power / max(floor, 1e-30)


def check_recording(recording, tracker: Tracker, store, names: dict[int, str], freq_hz: float | None = None,
                    search_bw_hz: float = 10e3, decode: bool = True, progress=None) -> CheckResult:
    if not recording.datatype.is_complex:
        raise UserError(f"{recording.path}: check needs an IQ recording (this one is real audio)")
    if recording.start_time is None or recording.centre_hz is None:
        raise UserError(f"{recording.path}: check needs the start time and centre frequency "
                        "(--start-time, --center-freq)")
    duration_s = recording.duration_s
    if not duration_s or duration_s < 4 * FRAME_S:
        raise UserError(f"{recording.path}: too short for a check ({duration_s or 0:.1f} s)")
    rate, centre = recording.rate_sps, recording.centre_hz
    start = recording.start_time
    spectra = SpectralFrames(rate, FRAME_S)
    size, bin_hz = spectra.size, spectra.bin_hz
    frame_count = int(duration_s / FRAME_S)
    frame_times = start.timestamp() + (np.arange(frame_count) + 0.5) * FRAME_S
    look = tracker.look(frame_times)
    doppler_fraction = fraction_for_range_rate(look.range_rate_km_s)
    edge = int(EDGE_FRACTION * size)
    lo, hi = edge, size - edge
    block = size * max(1, int(2**20 // size))

    # Pass 1: the waterfall, and any signal at all.
    waterfall = Waterfall(hi - lo)
    raw = TrackSearch(hi - lo, levels=RAW_LEVELS, dp_levels=(), expected_frames=frame_count)
    for t_s, power in _frames(recording, spectra, block, progress, 0.0, 0.5):
        waterfall.add(t_s, power[lo:hi])
        raw.add(_normalise(power, lo, hi)[lo:hi])
    candidates = candidate_trackers(store, tracker.station, start, start + timedelta(seconds=duration_s), names)
    if tracker.element_set.norad not in {c.element_set.norad for c in candidates}:
        candidates.append(tracker)
    others = _raw_signals(raw, waterfall, spectra.freqs_hz[lo], bin_hz, centre, start.timestamp(), tracker,
                          candidates)

    # Pass 2: on the predicted Doppler track.
    if freq_hz is not None:
        rest = np.arange(freq_hz - centre - search_bw_hz, freq_hz - centre + search_bw_hz, bin_hz)
    else:
        margin = float(np.max(np.abs(doppler_fraction))) * (centre + rate / 2)
        rest = np.arange(spectra.freqs_hz[lo] + margin, spectra.freqs_hz[hi - 1] - margin, bin_hz)
    if len(rest) < 64:
        raise UserError(f"the search band is too narrow for this recording ({len(rest)} bins); widen --search-bw")
    masks = [signal for signal in others if not signal.belongs_to_target and signal.described != UNIDENTIFIED]
    on_track = TrackSearch(len(rest), expected_frames=frame_count)
    for index, (_, power) in enumerate(_frames(recording, spectra, block, progress, 0.5, 1.0)):
        if index >= frame_count:
            break
        normalised = _normalise(power, lo, hi)
        for signal in masks:  # its trace, at this frame's time
            offset_hz = float(np.interp(frame_times[index], signal.times_unix, signal.freqs_hz)) - centre
            position = int(round(offset_hz / bin_hz)) + size // 2
            normalised[max(0, position - MASK_HALF_WIDTH_BINS) : position + MASK_HALF_WIDTH_BINS] = 1.0
        received = rest + (centre + rest) * doppler_fraction[index]
        where = np.rint(received / bin_hz).astype(np.int64) + size // 2
        valid = (where >= lo) & (where < hi)
        on_track.add(np.where(valid, normalised[np.clip(where, 0, size - 1)], 1.0))
    widest = on_track.best()
    best = _refined(on_track, widest)
    best_rest_hz = float(rest[0] + best.position_bins * bin_hz)
    centroid = best.pfa < PFA_DETECT and _is_wideband(on_track, best)
    # C/N0 averaged over the recording: the energy of the whole signal (a data signal: within +-8 kHz; a
    # carrier: its 16 or 128 Hz group, which hold its drift and the window's leakage), per frame, times the bin width.
    if centroid:
        energy = _excess_energy(on_track, best.position_bins)
    else:
        energy = max(on_track.result(level, around=int(best.position_bins // level)).excess_per_frame()
                     for level in (8, CENTROID_LEVEL) if level in on_track.levels)
    cn0_dbhz = 10 * math.log10(max(energy * bin_hz, 1e-3))
    if centroid:
        # A data signal: its FM spectrum is symmetric about the carrier, so the centroid is the carrier
        # (its strongest line, found at fine resolution, may be a sideband).
        best_rest_hz = float(rest[0] + _centroid_bins(on_track, best.position_bins) * bin_hz)
    limit_dbhz = _upper_limit_dbhz(on_track, bin_hz)

    detected = best.pfa < PFA_DETECT
    numbers = {
        "recording": recording.path,
        "satellite": tracker.name,
        "norad": tracker.element_set.norad,
        "element_set_epoch": iso_utc(tracker.element_set.epoch),
        "start": iso_utc(start),
        "duration_s": round(duration_s, 1),
        "centre_hz": centre,
        "sample_rate_sps": rate,
        "searched_hz": [float(centre + rest[0]), float(centre + rest[-1])],
        "max_elevation_deg": round(float(np.max(look.elevation_deg)), 1),
        "track": {
            "pfa": best.pfa,
            "z": round(best.z, 2),
            "resolution_hz": best.level * bin_hz,
            "rest_frequency_hz": centre + best_rest_hz,
            "offset_from_freq_hz": None if freq_hz is None else round(centre + best_rest_hz - freq_hz, 1),
            "cn0_dbhz": round(cn0_dbhz, 1) if detected else None,
        },
        "upper_limit_cn0_dbhz": round(limit_dbhz, 1),
        "other_signals": [signal.as_json() for signal in others],
        "simulated": bool(recording.metadata.get("groundstation:simulated", False)),
    }
    frames = []
    if detected and decode:
        frames = _decode(recording, tracker, centre + best_rest_hz)
    numbers["frames"] = [{"t": round(frame.t, 3), "modem": frame.modem, "crc": frame.crc,
                          "monitor": frame.monitor_line()} for frame in frames]
    band_khz = (rest[-1] - rest[0]) / 2e3
    if detected:
        verdict = TRANSMITTING
        line = (f"{TRANSMITTING}: {tracker.name} signal on its Doppler track at {(centre + best_rest_hz) / 1e6:.4f} MHz, "
                f"C/N0 {cn0_dbhz:.1f} dB-Hz, false-alarm probability {best.pfa:.1e}"
                + (f", {len(frames)} frames decoded" if frames else ""))
    elif masks:
        verdict = NOT_THIS
        line = f"{NOT_THIS}: " + "; ".join(f"a signal near {signal.freqs_hz[0] / 1e6:.4f} MHz matches {signal.described}"
                                           for signal in masks)
    else:
        verdict = NO_SIGNAL
        line = (f"{NO_SIGNAL}: no carrier stronger than {limit_dbhz:.1f} dB-Hz within +-{band_khz:.1f} kHz "
                f"of {(centre + (rest[0] + rest[-1]) / 2) / 1e6:.4f} MHz on {tracker.name}'s Doppler track")
    numbers["verdict"] = verdict
    numbers["line"] = line
    track_offsets = None
    if best.path_groups is not None and detected and not centroid:
        rest_path = rest[0] + (best.path_groups + 0.5) * best.level * bin_hz - 0.5 * bin_hz
        track_offsets = rest_path + (centre + rest_path) * doppler_fraction[: len(rest_path)]
    elif detected:
        track_offsets = best_rest_hz + (centre + best_rest_hz) * doppler_fraction
    reference_rest = best_rest_hz if detected else (freq_hz - centre if freq_hz is not None else None)
    predicted = None if reference_rest is None else reference_rest + (centre + reference_rest) * doppler_fraction
    return CheckResult(verdict, line, numbers, waterfall, (spectra.freqs_hz[lo], spectra.freqs_hz[hi - 1]),
                       frame_times, predicted, track_offsets, look.elevation_deg, frames)


def _frames(recording, spectra, block, progress, first_fraction, last_fraction):
    """One pass over the recording: (frame centre, power spectrum) pairs; progress from first to last fraction."""
    spectra_pass = SpectralFrames(spectra.rate_sps, FRAME_S)
    for block_data in recording.blocks(block):
        for t_s, power in spectra_pass.process(block_data.samples):
            yield t_s, power
        if progress and recording.duration_s:
            done = min(1.0, (block_data.start_s + block_data.duration_s) / recording.duration_s)
            progress(first_fraction + (last_fraction - first_fraction) * done)


def _raw_signals(raw: TrackSearch, waterfall: Waterfall, band_low_hz: float, bin_hz: float, centre: float,
                 start_unix: float, target: Tracker, candidates: list[Tracker]) -> list[OtherSignal]:
    """The strongest signal of the raw search, if significant, traced on the waterfall and attributed."""
    result = raw.best()
    if result.pfa >= PFA_DETECT:
        return []
    column_hz = bin_hz * waterfall.pool
    columns, seen = trace_waterfall(waterfall.image_db(), np.array(waterfall.times_s),
                                    int(result.position_bins / waterfall.pool), column_hz)
    if seen.sum() < MIN_TRACE_ROWS:
        return []
    freqs_hz = (centre + band_low_hz + (columns + 0.5) * column_hz - 0.5 * bin_hz)[seen]
    times = (start_unix + np.array(waterfall.times_s))[seen]
    ranked = rank(candidates, times, freqs_hz)
    constant = fit_constant(freqs_hz)
    described = verdict_of(ranked, constant, column_hz)
    if described == FLAT and seen.mean() < FLAT_MIN_SEEN:
        described = UNIDENTIFIED  # flat only in the few rows a burst was seen: no evidence of a fixed carrier
    belongs = bool(ranked and ranked[0].norad == target.element_set.norad and described.startswith(ranked[0].name))
    return [OtherSignal(result.pfa, result.z, times, freqs_hz, ranked, constant, belongs, described)]


MAX_DRIFT_HZ_S = 150.0  # faster than any low-orbit Doppler at UHF
TRACE_THRESHOLD_DB = 6.0  # above the waterfall's median: the signal is seen in this row
MIN_TRACE_ROWS = 8
FLAT_MIN_SEEN = 0.5  # a terrestrial carrier is called flat only if seen in at least half of the rows


def trace_waterfall(image_db: np.ndarray, times_s: np.ndarray, column: int, column_hz: float,
                    search_columns: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Follow a signal through the waterfall from near ``column``: start at its strongest row, then row by
    row (both ways) to the strongest column within the drift a satellite can have. Rows where nothing
    stands out (a burst transmitter between bursts) keep the previous column and are marked not seen.

    Returns the column of each row and whether the signal was seen there.
    """
    rows = len(image_db)
    floor_db = float(np.median(image_db))
    threshold_db = floor_db + TRACE_THRESHOLD_DB
    lo = max(0, column - search_columns)
    window = image_db[:, lo : column + search_columns + 1]
    start_row = int(np.argmax(window.max(axis=1)))
    trace = np.empty(rows, np.int64)
    seen = np.zeros(rows, bool)
    trace[start_row] = lo + int(np.argmax(window[start_row]))
    seen[start_row] = True
    for step in (1, -1):
        row = start_row + step
        last_seen_row = start_row
        while 0 <= row < rows:
            dt = abs(times_s[row] - times_s[last_seen_row])
            reach = int(np.ceil(MAX_DRIFT_HZ_S * dt / column_hz)) + 1
            previous = trace[row - step]
            a, b = max(0, previous - reach), min(image_db.shape[1], previous + reach + 1)
            peak = a + int(np.argmax(image_db[row, a:b]))
            if image_db[row, peak] > threshold_db:
                trace[row], seen[row], last_seen_row = peak, True, row
            else:
                trace[row] = previous
            row += step
    return trace, seen


WIDE_RATIO = 2.0  # a signal with twice the energy within 8 kHz as within 512 Hz of its strongest line is wideband
CENTROID_LEVEL = 64
CENTROID_HALF_WIDTH_BINS = 4096  # +-8 kHz at 2 Hz bins: an FM data signal's spectrum
NEAR_HALF_WIDTH_BINS = 256  # +-512 Hz: a drifting carrier's neighbourhood


def _excess_energy(search: TrackSearch, position_bins: float, half_width_bins: int = CENTROID_HALF_WIDTH_BINS) -> float:
    """Signal energy (bin units, per frame) above the noise within +-half_width_bins (default +-8 kHz) of a
    position, at 128 Hz resolution."""
    scores = search.scores[CENTROID_LEVEL]
    result = search.result(CENTROID_LEVEL)
    centre = int(position_bins // CENTROID_LEVEL)
    span = half_width_bins // CENTROID_LEVEL
    window = scores[max(0, centre - span) : centre + span + 1]
    significant = window[window > result.noise_mean + 3 * result.noise_std]
    return float(np.sum(significant - result.noise_mean)) / max(search.frames, 1) * CENTROID_LEVEL


def _is_wideband(search: TrackSearch, best) -> bool:
    """Most of the signal's energy lies outside its strongest line (an FM data signal, not a carrier)."""
    if CENTROID_LEVEL not in search.levels:
        return False
    around = _excess_energy(search, best.position_bins)
    # a carrier drifting a few hundred Hz stays within +-512 Hz; an FM data signal spreads over kHz
    near = _excess_energy(search, best.position_bins, NEAR_HALF_WIDTH_BINS)
    log.debug("wideband test: energy within 8 kHz %.2f, within 512 Hz %.2f", around, near)
    return around > WIDE_RATIO * max(near, 1e-9)


def _centroid_bins(search: TrackSearch, position_bins: float, iterations: int = 3) -> float:
    """Centre of the excess energy (at 64-bin resolution) within +-8 kHz, re-centred a few times so that a
    strong sideband line to one side does not pull the window with it."""
    scores = search.scores[CENTROID_LEVEL]
    excess = np.maximum(scores - np.median(scores), 0.0)
    span = CENTROID_HALF_WIDTH_BINS // CENTROID_LEVEL
    for _ in range(iterations):
        centre = int(position_bins // CENTROID_LEVEL)
        lo, hi = max(0, centre - span), min(len(scores), centre + span + 1)
        weights = excess[lo:hi]
        if weights.sum() <= 0:
            break
        groups = np.arange(lo, hi)
        position_bins = float(((groups + 0.5) * CENTROID_LEVEL - 0.5) @ weights / weights.sum())
    return position_bins


def _refined(search: TrackSearch, best):
    """The finest resolution at which the detection still stands, around where it was found: a data signal is
    detected in wide groups, but its carrier line (or the middle of its spectrum) pins the frequency down."""
    if best.pfa >= PFA_DETECT:
        return best
    for level in sorted(level for level in search.levels if level < best.level):
        around = int(best.position_bins // level)
        finer = search.result(level, around=around)
        if finer.pfa * len(search.levels) < PFA_DETECT and abs(finer.position_bins - best.position_bins) <= best.level:
            return finer
    return best


def _upper_limit_dbhz(search: TrackSearch, bin_hz: float) -> float:
    """The C/N0 of a carrier that this search would have found with 90 % probability (at 16 Hz resolution)."""
    result = search.result(8)
    positions = result.positions * len(search.levels)
    threshold_z = _inverse_tail(PFA_DETECT / positions)
    excess = (threshold_z + 1.2816) * result.noise_std
    return 10 * math.log10(max(excess / result.frames * result.level * bin_hz, 1e-3))


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


def _decode(recording, tracker: Tracker, rest_freq_hz: float):
    """Decode with the satellite's Doppler at the detected frequency removed."""
    from groundstation.dsp.decoder import Decoder, run_decoder

    doppler_hz = tracker.doppler_curve(rest_freq_hz, recording.start_time)
    decoder = Decoder(recording.rate_sps, True, ["auto"], rest_freq_hz - recording.centre_hz, doppler_hz)
    return list(run_decoder(decoder, recording))
