"""Whose signal is this? Fit a frequency-versus-time trace to each satellite's Doppler curve (as STRF's
rffit does) and to a constant.

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
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

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


FLAT_RESOLUTIONS = 4  # a constant fit within this many resolution steps is a flat trace
UNIDENTIFIED = "unidentified: neither a satellite nor a constant frequency fits its trace"
FLAT = "a constant frequency: terrestrial or geostationary"


def verdict_of(ranked: list[Fit], constant: Fit, resolution_hz: float) -> str:
    """Which object the trace belongs to, in words: a satellite, a flat (terrestrial) carrier, or unidentified."""
    if ranked and ranked[0].rms_hz < CLEARLY_BETTER * constant.rms_hz:
        best = ranked[0]
        return f"{best.name} (NORAD {best.norad}): residual {best.rms_hz:.0f} Hz against {constant.rms_hz:.0f} Hz for a constant"
    if constant.rms_hz <= FLAT_RESOLUTIONS * resolution_hz:
        return FLAT
    return UNIDENTIFIED

