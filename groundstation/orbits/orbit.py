"""A satellite seen from a station: look angles, Doppler and passes, with Skyfield.

Times go in as POSIX seconds (float arrays) so the DSP can ask for Doppler at
block times without importing Skyfield; datetimes come out timezone-aware UTC.

>>> from datetime import datetime, timezone
>>> from groundstation.orbits.elements import ElementStore
>>> from groundstation.orbits.station import Station
>>> element_set = ElementStore.bundled().nearest(58400, datetime(2024, 6, 7, tzinfo=timezone.utc))
>>> tracker = Tracker(element_set, Station(39.0, 125.75, 30.0))
>>> t = datetime(2024, 6, 7, 5, 1, 7, tzinfo=timezone.utc).timestamp()
>>> latitude_deg, longitude_deg, altitude_km = tracker.subpoint([t])
>>> round(float(latitude_deg[0]), 2), round(float(longitude_deg[0]), 2), round(float(altitude_km[0]))
(31.45, -100.61, 506)
>>> passes = tracker.passes(datetime(2024, 6, 7, tzinfo=timezone.utc), datetime(2024, 6, 8, tzinfo=timezone.utc))
>>> len(passes) >= 2 and all(p.max_elevation_deg > 0 for p in passes)
True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from importlib import resources

import numpy as np

from groundstation.timefmt import iso_utc

SPEED_OF_LIGHT_M_S = 299_792_458.0
_PASS_SEARCH_MARGIN = timedelta(minutes=30)


@functools.cache
def timescale():
    """Skyfield's timescale from its built-in tables (no download)."""
    from skyfield.api import load

    return load.timescale(builtin=True)


@functools.cache
def ephemeris():
    """JPL DE421 as shipped by the ``skyfield-data`` package (no download)."""
    from skyfield.jpllib import SpiceKernel

    path = resources.files("skyfield_data").joinpath("data/de421.bsp")
    with resources.as_file(path) as local_path:
        return SpiceKernel(str(local_path))


def doppler_fraction(range_rate_km_s: np.ndarray) -> np.ndarray:
    """(received - transmitted) / transmitted frequency for a range rate (positive: receding, lower).

    The one Doppler formula of the project (first order in v/c).

    >>> float(doppler_fraction(np.array([-7.0]))[0] * 1e6).__round__(2)
    23.35
    """
    return -np.asarray(range_rate_km_s) * 1000.0 / SPEED_OF_LIGHT_M_S


def doppler_shift_hz(freq_hz: float, range_rate_km_s: np.ndarray) -> np.ndarray:
    """Received minus transmitted frequency for a range rate (positive rate: receding, lower frequency).

    >>> float(doppler_shift_hz(435e6, np.array([-7.0]))[0]).__round__()
    10157
    """
    return freq_hz * doppler_fraction(range_rate_km_s)


class DopplerCurve:
    """``t_s -> Hz``: the Doppler shift of a ``freq_hz`` downlink at ``t_s`` seconds after ``t0``.

    Valid at any time: the orbit is sampled every ``step_s`` on a grid that
    grows as later (or earlier) times are asked for, and interpolated, so an
    endless stream keeps its correction. This is what the DSP gets from the
    orbit: a plain function of time.

    >>> from groundstation.orbits.elements import ElementStore
    >>> from groundstation.orbits.station import Station
    >>> element_set = ElementStore.bundled().nearest(58400, datetime(2024, 6, 12, tzinfo=timezone.utc))
    >>> tracker = Tracker(element_set, Station(37.57, 126.98, 0.0))
    >>> start = datetime(2024, 6, 12, 14, 22, tzinfo=timezone.utc)
    >>> curve = tracker.doppler_curve(435e6, start)
    >>> at_two_hours = float(curve(np.array([7200.5]))[0])
    >>> direct = float(tracker.doppler_hz(435e6, [start.timestamp() + 7200.5])[0])
    >>> abs(at_two_hours - direct) < 1.0
    True
    """

    CHUNK_S = 600.0

    def __init__(self, tracker: Tracker, freq_hz: float, t0: datetime, step_s: float = 1.0) -> None:
        self.tracker = tracker
        self.freq_hz = freq_hz
        self.t0_unix_s = t0.timestamp()
        self.step_s = step_s
        self._grid_s = np.zeros(0)
        self._hz = np.zeros(0)

    def _cover(self, low_s: float, high_s: float) -> None:
        if len(self._grid_s) and self._grid_s[0] <= low_s and high_s <= self._grid_s[-1]:
            return
        low = np.floor(min(low_s, self._grid_s[0] if len(self._grid_s) else low_s) / self.CHUNK_S) * self.CHUNK_S
        high = np.ceil(max(high_s, self._grid_s[-1] if len(self._grid_s) else high_s) / self.CHUNK_S + 1e-9)
        grid_s = np.arange(low, high * self.CHUNK_S + self.step_s, self.step_s)
        self._hz = self.tracker.doppler_hz(self.freq_hz, self.t0_unix_s + grid_s)
        self._grid_s = grid_s

    def __call__(self, t_s: np.ndarray) -> np.ndarray:
        t_s = np.asarray(t_s, dtype=float)
        if t_s.size == 0:
            return np.zeros(t_s.shape)
        self._cover(float(t_s.min()), float(t_s.max()))
        return np.interp(t_s, self._grid_s, self._hz)

    def extremes_hz(self, duration_s: float) -> tuple[float, float]:
        """The lowest and highest shift over the first ``duration_s`` seconds."""
        values = self(np.arange(0.0, duration_s + self.step_s, self.step_s))
        return float(values.min()), float(values.max())


@dataclass(frozen=True)
class Look:
    """Where the satellite is, seen from the station, at each of the times asked for."""

    azimuth_deg: np.ndarray
    elevation_deg: np.ndarray
    range_km: np.ndarray
    range_rate_km_s: np.ndarray


@dataclass(frozen=True)
class Pass:
    """One pass above the minimum elevation: acquisition (AOS), closest approach (TCA), loss (LOS)."""

    norad: int
    name: str
    aos: datetime
    tca: datetime
    los: datetime
    aos_azimuth_deg: float
    los_azimuth_deg: float
    max_elevation_deg: float
    sunlit: bool
    doppler_aos_hz: float | None = None
    doppler_tca_hz: float | None = None
    doppler_los_hz: float | None = None

    @property
    def duration_s(self) -> float:
        return (self.los - self.aos).total_seconds()


def to_posix(moments) -> np.ndarray:
    """Datetimes (aware) to POSIX seconds."""
    return np.array([moment.timestamp() for moment in moments], dtype=float)


def from_posix(seconds: float) -> datetime:
    return datetime.fromtimestamp(float(seconds), tz=timezone.utc)


class Tracker:
    """One element set propagated with SGP4 (Skyfield), seen from one station."""

    def __init__(self, element_set, station, name: str | None = None) -> None:
        from skyfield.api import wgs84

        self.element_set = element_set
        self.name = name or element_set.name
        self.station = station
        self._ts = timescale()
        self.satellite = element_set.earth_satellite(self._ts)
        self.topos = wgs84.latlon(station.latitude_deg, station.longitude_deg, elevation_m=station.altitude_m)
        self._relative = self.satellite - self.topos

    def _times(self, unix_s):
        from skyfield.nutationlib import iau2000b_radians

        seconds = np.atleast_1d(np.asarray(unix_s, dtype=float))
        # Whole days go in the day field so Skyfield applies the leap seconds of the right date.
        days = np.floor(seconds / 86400.0)
        times = self._ts.utc(1970, 1, 1 + days, 0, 0, seconds - days * 86400.0)
        # IAU 2000B nutation (1 milliarcsecond) instead of 2000A: ten times faster, far below SGP4's error.
        times._nutation_angles_radians = iau2000b_radians(times)
        return times

    def look(self, unix_s) -> Look:
        """Azimuth, elevation, range and range rate at POSIX times ``unix_s``."""
        position = self._relative.at(self._times(unix_s))
        elevation, azimuth, distance = position.altaz()
        # Range rate: the relative velocity projected on the line of sight (the same number
        # frame_latlon_and_rates gives, without a second frame rotation).
        relative_km = position.position.km
        range_rate_km_s = np.sum(relative_km * position.velocity.km_per_s, axis=0) / distance.km
        return Look(
            azimuth_deg=azimuth.degrees,
            elevation_deg=elevation.degrees,
            range_km=distance.km,
            range_rate_km_s=range_rate_km_s,
        )

    def doppler_hz(self, freq_hz: float, unix_s) -> np.ndarray:
        """Doppler shift of a ``freq_hz`` downlink at POSIX times ``unix_s``."""
        return doppler_shift_hz(freq_hz, self.look(unix_s).range_rate_km_s)

    def doppler_fraction(self, unix_s) -> np.ndarray:
        """(received - transmitted) / transmitted frequency at POSIX times ``unix_s``."""
        return doppler_fraction(self.look(unix_s).range_rate_km_s)

    def doppler_curve(self, freq_hz: float, t0: datetime, step_s: float = 1.0) -> DopplerCurve:
        """The Doppler of a ``freq_hz`` downlink as a function of seconds after ``t0``, for the DSP."""
        return DopplerCurve(self, freq_hz, t0, step_s)

    def subpoint(self, unix_s):
        """Sub-satellite latitude and longitude (degrees, WGS84) and altitude (km)."""
        from skyfield.api import wgs84

        geocentric = self.satellite.at(self._times(unix_s))
        point = wgs84.subpoint_of(geocentric)
        return point.latitude.degrees, point.longitude.degrees, wgs84.height_of(geocentric).km

    def sunlit(self, unix_s) -> np.ndarray:
        return np.asarray(self.satellite.at(self._times(unix_s)).is_sunlit(ephemeris()), dtype=bool)

    def passes(
        self, start: datetime, end: datetime, min_elevation_deg: float = 0.0, freq_hz: float | None = None
    ) -> list[Pass]:
        """Passes that are above ``min_elevation_deg`` at some time between ``start`` and ``end``.

        A pass that is in progress at ``start`` or ``end`` is given whole.
        """
        t0 = self._ts.from_datetime(start - _PASS_SEARCH_MARGIN)
        t1 = self._ts.from_datetime(end + _PASS_SEARCH_MARGIN)
        event_times, events = self.satellite.find_events(self.topos, t0, t1, altitude_degrees=min_elevation_deg)
        seconds = to_posix(event_times.utc_datetime()) if len(events) else np.array([])
        windows = []  # (aos, tca, los) in POSIX seconds
        aos = None
        culminations: list[float] = []
        for second, event in zip(seconds, events):
            if event == 0:
                aos, culminations = second, []
            elif event == 1 and aos is not None:
                culminations.append(second)
            elif event == 2 and aos is not None:
                if culminations:
                    windows.append((aos, culminations, second))
                aos = None
        if not windows:
            return []
        # One vectorised look for every AOS, LOS and culmination.
        flat = np.array([w[0] for w in windows] + [w[2] for w in windows] + [c for w in windows for c in w[1]])
        look = self.look(flat)
        count = len(windows)
        tca_indices = []
        position = 2 * count  # culminations follow the AOS and LOS entries
        for _aos_s, culmination_list, _los_s in windows:
            highest = int(np.argmax(look.elevation_deg[position : position + len(culmination_list)]))
            tca_indices.append(position + highest)
            position += len(culmination_list)
        tca_times = flat[tca_indices]
        sunlit = self.sunlit(np.array(tca_times))
        if freq_hz is not None:
            doppler = doppler_shift_hz(freq_hz, look.range_rate_km_s)
        start_s, end_s = start.timestamp(), end.timestamp()
        passes = []
        for index, (aos_s, _culminations, los_s) in enumerate(windows):
            if los_s < start_s or aos_s > end_s:
                continue
            tca_index = tca_indices[index]
            passes.append(
                Pass(
                    norad=self.element_set.norad,
                    name=self.name,
                    aos=from_posix(aos_s),
                    tca=from_posix(tca_times[index]),
                    los=from_posix(los_s),
                    aos_azimuth_deg=float(look.azimuth_deg[index]),
                    los_azimuth_deg=float(look.azimuth_deg[count + index]),
                    max_elevation_deg=float(look.elevation_deg[tca_index]),
                    sunlit=bool(sunlit[index]),
                    doppler_aos_hz=None if freq_hz is None else float(doppler[index]),
                    doppler_tca_hz=None if freq_hz is None else float(doppler[tca_index]),
                    doppler_los_hz=None if freq_hz is None else float(doppler[count + index]),
                )
            )
        return passes


def doppler_rows(tracker: Tracker, freq_hz: float, start_s: float, end_s: float, step_s: float) -> list[dict]:
    """Look angles, range, range rate and the frequency to tune every ``step_s`` from ``start_s`` to ``end_s``
    (POSIX seconds): the rows of ``groundstation doppler``."""
    times = np.arange(start_s, end_s + step_s / 2, step_s)
    look = tracker.look(times)
    shift = doppler_shift_hz(freq_hz, look.range_rate_km_s)
    return [
        {
            "time": iso_utc(from_posix(times[i]), "seconds"),
            "azimuth_deg": round(float(look.azimuth_deg[i]), 2),
            "elevation_deg": round(float(look.elevation_deg[i]), 2),
            "range_km": round(float(look.range_km[i]), 2),
            "range_rate_km_s": round(float(look.range_rate_km_s[i]), 4),
            "freq_hz": round(freq_hz + float(shift[i]), 1),
            "shift_hz": round(float(shift[i]), 1),
        }
        for i in range(len(times))
    ]
