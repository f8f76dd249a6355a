"""Whose signal is this? Trace it through the waterfall, fit the frequency-versus-time trace to each
satellite's Doppler curve (as STRF's rffit does) and to a constant.

For a satellite with range rate v(t), a transmitter at rest frequency f0 is received at f0 * k(t) with
k = 1 - v/c; the least-squares f0 is sum(k f) / sum(k^2) and the residual RMS ranks the candidates. A
candidate must fit clearly better than a constant frequency; a flat trace is terrestrial or geostationary.

>>> import numpy as np
>>> const = Fit("constant", None, 12.0, 435e6)
>>> verdict_of([Fit("ISS", 25544, 3.0, 435e6)], const, resolution_hz=25.0).startswith("ISS")
True
>>> verdict_of([Fit("ISS", 25544, 11.0, 435e6)], const, resolution_hz=25.0)
'a constant frequency: terrestrial or geostationary'
>>> verdict_of([Fit("ISS", 25544, 900.0, 435e6)], Fit("constant", None, 1000.0, 435e6), resolution_hz=25.0)
'unidentified: neither a satellite nor a constant frequency fits its trace'

Two objects launched together follow nearly the same Doppler curve for days; where their fitted curves differ
by less than the trace's resolution, the recording cannot tell them apart, and the verdict names both:

>>> twins = [Fit("A", 1, 3.0, 435e6), Fit("B", 2, 3.5, 435e6)]
>>> verdict_of(twins, const, resolution_hz=25.0, alike=[1, 2]).startswith("A (NORAD 1) or B (NORAD 2)")
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from groundstation.dsp.spectra import Waterfall
from groundstation.dsp.track import TrackSearch
from groundstation.orbits.orbit import Tracker

CLEARLY_BETTER = 0.5  # a satellite must leave at most half the constant fit's residual
CANDIDATE_MAX_AGE_DAYS = 30.0


@dataclass(frozen=True)
class Fit:
    name: str
    norad: int | None
    rms_hz: float
    f0_hz: float


def fit_satellite(tracker: Tracker, times_unix: np.ndarray, freqs_hz: np.ndarray) -> Fit:
    k = 1.0 + tracker.doppler_fraction(times_unix)
    f0 = float(np.sum(k * freqs_hz) / np.sum(k * k))
    rms = float(np.sqrt(np.mean((freqs_hz - f0 * k) ** 2)))
    return Fit(tracker.name, tracker.element_set.norad, rms, f0)


def fit_constant(freqs_hz: np.ndarray) -> Fit:
    mean = float(np.mean(freqs_hz))
    return Fit("constant", None, float(np.sqrt(np.mean((freqs_hz - mean) ** 2))), mean)


def candidate_trackers(store, station, start: datetime, end: datetime, names: dict[int, str]) -> list[Tracker]:
    """Every object with an element set near ``start`` that is above the horizon during the recording."""
    trackers = []
    probe_s = start.timestamp() + np.linspace(0.0, (end - start).total_seconds(), 7)
    for norad in store.norads():
        element_set = store.nearest(norad, start + (end - start) / 2)
        if abs(element_set.age_days(start)) > CANDIDATE_MAX_AGE_DAYS:
            continue
        tracker = Tracker(element_set, station, names.get(norad))
        if np.max(tracker.look(probe_s).elevation_deg) > 0:
            trackers.append(tracker)
    return trackers


def rank(trackers: list[Tracker], times_unix: np.ndarray, freqs_hz: np.ndarray) -> list[Fit]:
    return sorted((fit_satellite(tracker, times_unix, freqs_hz) for tracker in trackers), key=lambda fit: fit.rms_hz)


ALIKE_RESOLUTIONS = 1.0  # fitted curves closer than this many resolution steps (RMS) cannot be told apart


def indistinguishable(ranked: list[Fit], trackers: list[Tracker], times_unix: np.ndarray,
                      resolution_hz: float) -> list[int]:
    """The NORAD numbers of the best fit and of every other candidate whose fitted Doppler curve stays within
    :data:`ALIKE_RESOLUTIONS` resolution steps (RMS over the trace's times) of the best one's: objects this
    trace cannot tell apart (launched together, days apart at most). Just the best one when none is that close.
    """
    if not ranked:
        return []
    by_norad = {tracker.element_set.norad: tracker for tracker in trackers}
    best = ranked[0]
    curve = best.f0_hz * (1.0 + by_norad[best.norad].doppler_fraction(times_unix))
    alike = [best.norad]
    for fit in ranked[1:]:
        other = fit.f0_hz * (1.0 + by_norad[fit.norad].doppler_fraction(times_unix))
        if float(np.sqrt(np.mean((other - curve) ** 2))) <= ALIKE_RESOLUTIONS * resolution_hz:
            alike.append(fit.norad)
    return alike


FLAT_RESOLUTIONS = 4  # a constant fit within this many resolution steps is a flat trace
UNIDENTIFIED = "unidentified: neither a satellite nor a constant frequency fits its trace"
FLAT = "a constant frequency: terrestrial or geostationary"


def verdict_of(ranked: list[Fit], constant: Fit, resolution_hz: float, alike: list[int] | None = None) -> str:
    """Which object the trace belongs to, in words: a satellite (or several that this trace cannot tell apart:
    ``alike``, their NORAD numbers, the best first), a flat (terrestrial) carrier, or unidentified."""
    if ranked and ranked[0].rms_hz < CLEARLY_BETTER * constant.rms_hz:
        best = ranked[0]
        named = [fit for fit in ranked if fit.norad in (alike or [])] or [best]
        names = " or ".join(f"{fit.name} (NORAD {fit.norad})" for fit in named)
        if len(named) > 1:
            return (f"{names}: indistinguishable in this recording (their Doppler curves differ by less than the "
                    f"trace's resolution; launched together?), residual {best.rms_hz:.0f} Hz against "
                    f"{constant.rms_hz:.0f} Hz for a constant")
        return f"{best.name} (NORAD {best.norad}): residual {best.rms_hz:.0f} Hz against {constant.rms_hz:.0f} Hz for a constant"
    if constant.rms_hz <= FLAT_RESOLUTIONS * resolution_hz:
        return FLAT
    return UNIDENTIFIED


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
    alike: list[int] = field(default_factory=list)  # NORAD numbers this trace cannot tell apart (the best first)

    def as_json(self) -> dict:
        return {
            "pfa": self.pfa,
            "z": round(self.z, 2),
            "frequency_start_hz": float(self.freqs_hz[0]),
            "frequency_end_hz": float(self.freqs_hz[-1]),
            "matches": self.described,
            "belongs_to_target": self.belongs_to_target,
            "indistinguishable_norads": self.alike if len(self.alike) > 1 else [],
            "constant_rms_hz": round(self.constant.rms_hz, 1),
            "ranking": [{"name": fit.name, "norad": fit.norad, "rms_hz": round(fit.rms_hz, 1)} for fit in self.ranked[:5]],
        }


def attribute_strongest(raw: TrackSearch, waterfall: Waterfall, band_low_hz: float, bin_hz: float, centre: float,
                        start_unix: float, target: Tracker, candidates: list[Tracker], pfa_detect: float) -> list[OtherSignal]:
    """The strongest signal of the raw search, if significant, traced on the waterfall and attributed."""
    if not raw.levels:  # a band too narrow for the raw search's coarse groups
        return []
    result = raw.best()
    if result.pfa >= pfa_detect:
        return []
    column_hz = bin_hz * waterfall.pool
    columns, seen = trace_waterfall(waterfall.image_db(), np.array(waterfall.times_s),
                                    int(result.position_bins / waterfall.pool), column_hz)
    return _attributed(result.pfa, result.z, columns, seen, waterfall, band_low_hz, bin_hz, centre, start_unix, target,
                       candidates)


def attribute_track(waterfall: Waterfall, band_low_hz: float, bin_hz: float, centre: float, start_unix: float,
                    frame_times_unix: np.ndarray, track_offsets_hz: np.ndarray, pfa: float, z: float,
                    target: Tracker, candidates: list[Tracker]) -> list[OtherSignal]:
    """The signal the on-track search detected (``track_offsets_hz``: where it was, frame by frame, relative to
    ``centre``; NaN where not searched), traced on the waterfall from the row where it is strongest, and
    attributed like any other: does another object's Doppler curve fit it as well or better? (The raw search
    misses a carrier that sweeps fast, near the closest approach of a high pass.)"""
    image = waterfall.image_db()
    times = np.array(waterfall.times_s)
    valid = np.isfinite(track_offsets_hz)
    if len(times) < MIN_TRACE_ROWS or np.count_nonzero(valid) < 2:
        return []
    column_hz = bin_hz * waterfall.pool
    offsets_hz = np.interp(start_unix + times, frame_times_unix[valid], track_offsets_hz[valid])
    track_columns = np.clip(np.rint((offsets_hz - band_low_hz) / column_hz).astype(np.int64), 0, image.shape[1] - 1)
    inside = (start_unix + times >= frame_times_unix[valid][0]) & (start_unix + times <= frame_times_unix[valid][-1])
    strength = np.where(inside, image[np.arange(len(times)), track_columns], -np.inf)
    row = int(np.argmax(strength))
    columns, seen = trace_waterfall(image, times, int(track_columns[row]), column_hz, start_row=row)
    return _attributed(pfa, z, columns, seen, waterfall, band_low_hz, bin_hz, centre, start_unix, target,
                       candidates)


def _attributed(pfa: float, z: float, columns: np.ndarray, seen: np.ndarray, waterfall: Waterfall, band_low_hz: float,
                bin_hz: float, centre: float, start_unix: float, target: Tracker,
                candidates: list[Tracker]) -> list[OtherSignal]:
    """A trace (waterfall columns, and whether the signal was seen in each row) fitted and attributed."""
    if seen.sum() < MIN_TRACE_ROWS:
        return []
    column_hz = bin_hz * waterfall.pool
    freqs_hz = (centre + band_low_hz + (columns + 0.5) * column_hz - 0.5 * bin_hz)[seen]
    times = (start_unix + np.array(waterfall.times_s))[seen]
    ranked = rank(candidates, times, freqs_hz)
    constant = fit_constant(freqs_hz)
    alike = indistinguishable(ranked, candidates, times, column_hz)
    described = verdict_of(ranked, constant, column_hz, alike)
    if described == FLAT and seen.mean() < FLAT_MIN_SEEN:
        described = UNIDENTIFIED  # flat only in the few rows a burst was seen: no evidence of a fixed carrier
    satellite = bool(ranked) and described.startswith(ranked[0].name)
    belongs = satellite and target.element_set.norad in alike
    return [OtherSignal(pfa, z, times, freqs_hz, ranked, constant, belongs, described, alike if satellite else [])]


MAX_DRIFT_HZ_S = 150.0  # faster than any low-orbit Doppler at UHF
TRACE_THRESHOLD_DB = 6.0  # above the waterfall's median: the signal is seen in this row
MIN_TRACE_ROWS = 8
FLAT_MIN_SEEN = 0.5  # a terrestrial carrier is called flat only if seen in at least half of the rows


def trace_waterfall(image_db: np.ndarray, times_s: np.ndarray, column: int, column_hz: float,
                    search_columns: int = 16, start_row: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Follow a signal through the waterfall from near ``column``: start at its strongest row (or at
    ``start_row``), then row by row (both ways) to the strongest column within the drift a satellite can have.
    Rows where nothing stands out (a burst transmitter between bursts) keep the previous column and are marked
    not seen.

    Returns the column of each row and whether the signal was seen there.
    """
    rows = len(image_db)
    floor_db = float(np.median(image_db))
    threshold_db = floor_db + TRACE_THRESHOLD_DB
    lo = max(0, column - search_columns)
    window = image_db[:, lo : column + search_columns + 1]
    if start_row is None:
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
