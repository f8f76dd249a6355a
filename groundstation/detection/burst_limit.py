"""The limit stated for a data signal (``check --modem``, ``--duty-cycle``), calibrated by injection.

"No afsk1200 beacon stronger than L dB-Hz" means: had that beacon been on the
satellite's track during the time searched, with that C/N0 while on the air,
the burst search would have found it 90 % of the time. As for the carrier's
limit (:mod:`~groundstation.detection.limit`), L is measured on the recording
itself: the burst search's input (the on-track spectra in 1 kHz groups, the
recording's own noise) is kept; beacons are added to it as the search would see
them (the modem's spectrum around a random carrier frequency, bursts of the
beacon's length at the duty cycle's period with a random phase, each 0.5 s
frame holding the part of a burst under its Hann window, and the frame's noise
floor (the band's median) raised by the signal as it would be); the burst search
runs on each; a trial counts if it detects within 1.5 kHz of the carrier. L is
the lowest C/N0 found in 90 % of the trials (bisection, the same trials at
every C/N0). The signal is added as its mean power (not its fluctuation, which
would only help a detector of bursts), and the other searches' own chances of
finding it (the energy over the pass; for afsk1200 the line search of
:mod:`~groundstation.detection.line_bursts`, which finds such a beacon several
dB weaker) are left out: the limit errs high. The test injects real beacons in
the time domain at L + 1 dB.

>>> import numpy as np
>>> [round(float(value), 2) for value in hann_capture(0.5, np.array([0.25]), np.array([0.75]), 4)]
[0.5, 0.5, 0.0, 0.0]
"""

from __future__ import annotations

import math

import numpy as np

from groundstation.detection.bursts import burst_centroid_groups, burst_search
from groundstation.detection.data_signal import DataSignal
from groundstation.detection.limit import lowest_found_dbhz

TRIALS = 20
PROBABILITY = 0.9
SEARCH_DBHZ = (0.0, 80.0)
RESOLUTION_DB = 0.5
LOCATED_HZ = 1500.0
SEED = 20261130


def _hann_energy(fraction: np.ndarray) -> np.ndarray:
    """The part of a Hann window's energy (w^2) before ``fraction`` of the frame (0 to 1)."""
    u = np.clip(fraction, 0.0, 1.0)
    return (3 * u / 8 - np.sin(2 * np.pi * u) / (4 * np.pi) + np.sin(4 * np.pi * u) / (32 * np.pi)) / (3 / 8)


def hann_capture(frame_s: float, starts_s: np.ndarray, ends_s: np.ndarray, frames: int) -> np.ndarray:
    """For each frame, the part of its window's energy during which a burst was on (0 to 1)."""
    first = np.arange(frames)[:, None] * frame_s
    return np.sum(_hann_energy((ends_s[None, :] - first) / frame_s) - _hann_energy((starts_s[None, :] - first) / frame_s),
                  axis=1)


def raised_floor(excess: np.ndarray, group_hz: float, band_hz: float) -> np.ndarray:
    """How much the band's median (each frame's noise floor) rises when ``excess`` (frames x groups, in noise
    units) is added to part of a band ``band_hz`` wide: the median m of exponential bins, a fraction of them
    scaled by 1 + excess, solves sum_k q_k exp(-m / (1 + s_k)) = 1/2; returned as m / ln 2 (1 without signal)."""
    share = group_hz / band_hz
    rest = max(0.0, 1.0 - share * excess.shape[1])
    low, high = np.full(len(excess), math.log(2)), np.full(len(excess), math.log(2) * (1 + excess.max(initial=0)))
    for _ in range(40):
        middle = (low + high) / 2
        above = rest * np.exp(-middle) + share * np.sum(np.exp(-middle[:, None] / (1 + excess)), axis=1)
        low, high = np.where(above > 0.5, middle, low), np.where(above > 0.5, high, middle)
    return (low + high) / 2 / math.log(2)


def data_limit_dbhz(groups_matrix: np.ndarray, group_hz: float, frame_s: float, band_hz: float, signal: DataSignal,
                    pfa_detect: float) -> float:
    """The C/N0 (dB-Hz, while on the air) of ``signal`` that the burst search finds with :data:`PROBABILITY`,
    by injection into ``groups_matrix`` (frames x groups of ``group_hz``: the burst search's input; ``band_hz``
    the width of the band whose median set each frame's floor)."""
    frames, groups = groups_matrix.shape
    rng = np.random.default_rng(SEED)
    centres_hz = (np.arange(groups) + 0.5) * group_hz
    span_hz = groups * group_hz
    carriers_hz = rng.uniform(0.25 * span_hz, 0.75 * span_hz, TRIALS)
    phases_s = rng.uniform(0.0, signal.period_s, TRIALS)
    profiles = np.array([signal.group_fractions(centres_hz, carrier, group_hz) for carrier in carriers_hz])
    captures = []
    for phase in phases_s:
        starts = np.arange(phase - signal.period_s, frames * frame_s, signal.period_s)
        captures.append(hann_capture(frame_s, starts, starts + signal.burst_s, frames))

    def found(cn0_dbhz: float) -> float:
        cn0 = 10 ** (cn0_dbhz / 10)
        hits = 0
        for profile, capture, carrier in zip(profiles, captures, carriers_hz):
            excess = cn0 / group_hz * capture[:, None] * profile[None, :]
            injected = (groups_matrix + excess) / raised_floor(excess, group_hz, band_hz)[:, None]
            finding = burst_search(injected, group_hz)
            if finding is not None and finding.pfa < pfa_detect:  # located as check locates it: the centroid
                hits += abs((burst_centroid_groups(injected, finding) + 0.5) * group_hz - carrier) <= LOCATED_HZ
        return hits / TRIALS

    return lowest_found_dbhz(found, SEARCH_DBHZ, RESOLUTION_DB, PROBABILITY)
