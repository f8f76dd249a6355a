"""A satellite's Doppler shift at any POSIX time, for live use: an endless stream has no end time.

The orbit is evaluated on a 1-second grid a window at a time (10 minutes by
default) and interpolated, so a caller may ask for every block without
running SGP4 for every sample.

>>> class Line:
...     calls = 0
...     def doppler_hz(self, freq_hz, unix_s):
...         Line.calls += 1
...         return 1000.0 - 2.0 * (unix_s - 1e9)
>>> doppler = OrbitDoppler(Line(), 435e6, window_s=60)
>>> [float(x) for x in doppler(np.array([1e9, 1e9 + 10.5]))], Line.calls
([1000.0, 979.0], 1)
>>> float(doppler(np.array([1e9 + 600.0]))[0]), Line.calls
(-200.0, 2)
"""

from __future__ import annotations

import numpy as np

GRID_S = 1.0


class OrbitDoppler:
    """``doppler(unix_s) -> Hz`` of ``tracker`` (an :class:`~groundstation.orbits.orbit.Tracker`) at ``freq_hz``."""

    def __init__(self, tracker, freq_hz: float, window_s: float = 600.0) -> None:
        self.tracker = tracker
        self.freq_hz = freq_hz
        self.window_s = window_s
        self._grid_s = np.zeros(0)
        self._values_hz = np.zeros(0)

    def __call__(self, unix_s: np.ndarray) -> np.ndarray:
        unix_s = np.asarray(unix_s, dtype=float)
        if unix_s.size == 0:
            return np.zeros(0)
        low, high = float(np.min(unix_s)), float(np.max(unix_s))
        if not self._grid_s.size or low < self._grid_s[0] or high > self._grid_s[-1]:
            start = np.floor(low) - GRID_S
            count = int(np.ceil(max(high - start, self.window_s) / GRID_S)) + 2
            self._grid_s = start + GRID_S * np.arange(count)
            self._values_hz = np.asarray(self.tracker.doppler_hz(self.freq_hz, self._grid_s), dtype=float)
        return np.interp(unix_s, self._grid_s, self._values_hz)
