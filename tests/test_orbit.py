"""Passes and Doppler against PyEphem (an independent SGP4 and pass finder), and a published position."""

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from groundstation.orbits.elements import ElementStore
from groundstation.orbits.orbit import Tracker, doppler_shift_hz
from groundstation.orbits.station import Station

try:
    import ephem  # PyEphem, a test dependency: only the comparisons with it need it
except ImportError:
    ephem = None
needs_ephem = pytest.mark.skipif(ephem is None, reason="PyEphem is not installed (pip install -e '.[test]')")

STATIONS = [Station(39.0, 125.75, 30.0, "near Pyongyang"), Station(52.0, 4.4, 0.0, "Leiden")]
# (NORAD, start of a 24 h window near the element set's epoch)
CASES = [
    (58400, datetime(2024, 6, 6, 6, 0, tzinfo=timezone.utc)),  # Malligyong-1
    (25544, datetime(2024, 2, 11, 0, 0, tzinfo=timezone.utc)),  # ISS, amateur snapshot
    (7530, datetime(2024, 2, 11, 12, 0, tzinfo=timezone.utc)),  # AO-7, a higher orbit
]


def ephem_passes(element_set, station, start, end):
    satellite = ephem.readtle(element_set.name, element_set.line1, element_set.line2)
    observer = ephem.Observer()
    observer.lat, observer.lon = str(station.latitude_deg), str(station.longitude_deg)
    observer.elevation = station.altitude_m
    observer.pressure = 0  # no refraction
    observer.horizon = "0"
    observer.date = ephem.Date(start - timedelta(hours=1))
    passes = []
    while True:
        rise, _, culmination, max_alt, setting, _ = observer.next_pass(satellite)
        if rise is None or ephem.Date(rise).datetime().replace(tzinfo=timezone.utc) > end:
            break
        as_utc = [ephem.Date(value).datetime().replace(tzinfo=timezone.utc) for value in (rise, culmination, setting)]
        if as_utc[2] >= start:
            passes.append((*as_utc, np.degrees(float(max_alt))))
        observer.date = ephem.Date(setting + ephem.minute)
    return passes


@needs_ephem
@pytest.mark.parametrize("station", STATIONS, ids=lambda s: s.name)
@pytest.mark.parametrize("norad, start", CASES, ids=lambda value: str(value))
def test_passes_agree_with_pyephem(norad, start, station):
    end = start + timedelta(hours=24)
    element_set = ElementStore.bundled().nearest(norad, start)
    ours = Tracker(element_set, station).passes(start, end)
    theirs = ephem_passes(element_set, station, start, end)
    assert len(ours) == len(theirs) >= 2
    for mine, (aos, tca, los, max_elevation_deg) in zip(ours, theirs):
        assert abs((mine.aos - aos).total_seconds()) <= 2.0
        assert abs((mine.tca - tca).total_seconds()) <= 2.0
        assert abs((mine.los - los).total_seconds()) <= 2.0
        assert abs(mine.max_elevation_deg - max_elevation_deg) <= 0.1


@needs_ephem
def test_doppler_agrees_with_pyephem_range_velocity():
    station = STATIONS[0]
    start = datetime(2024, 6, 6, 6, 0, tzinfo=timezone.utc)
    element_set = ElementStore.bundled().nearest(58400, start)
    tracker = Tracker(element_set, station)
    best = max(tracker.passes(start, start + timedelta(hours=24)), key=lambda p: p.max_elevation_deg)
    times = np.arange(best.aos.timestamp(), best.los.timestamp(), 5.0)
    ours_hz = tracker.doppler_hz(435e6, times)

    satellite = ephem.readtle(element_set.name, element_set.line1, element_set.line2)
    observer = ephem.Observer()
    observer.lat, observer.lon, observer.elevation = str(station.latitude_deg), str(station.longitude_deg), 30.0
    theirs_hz = []
    for second in times:
        observer.date = ephem.Date(datetime.fromtimestamp(second, tz=timezone.utc).replace(tzinfo=None))
        satellite.compute(observer)
        theirs_hz.append(float(doppler_shift_hz(435e6, satellite.range_velocity / 1000.0)))
    assert np.max(np.abs(ours_hz)) > 8000  # a real pass, with a real Doppler swing
    assert np.max(np.abs(ours_hz - np.array(theirs_hz))) <= 30.0


def test_published_malligyong_subpoint():
    # diver-osint-ctf writeups (2024/military/satellite), computed with pyorbital from the 24158 set.
    moment = datetime(2024, 6, 7, 5, 1, 7, tzinfo=timezone.utc)
    (element_set,) = [s for s in ElementStore.bundled().for_norad(58400) if s.epoch.strftime("%y%j") == "24158"]
    latitude_deg, longitude_deg, altitude_km = Tracker(element_set, STATIONS[0]).subpoint([moment.timestamp()])
    assert latitude_deg[0] == pytest.approx(31.4519, abs=0.05)
    assert longitude_deg[0] == pytest.approx(-100.6058, abs=0.05)
    assert altitude_km[0] == pytest.approx(506, abs=1.0)


def test_pass_in_progress_at_start_is_given_whole():
    station = STATIONS[1]
    start = datetime(2024, 2, 11, 0, 0, tzinfo=timezone.utc)
    tracker = Tracker(ElementStore.bundled().nearest(25544, start), station)
    first = tracker.passes(start, start + timedelta(hours=24))[0]
    middle = first.aos + (first.los - first.aos) / 2
    again = tracker.passes(middle, middle + timedelta(hours=1))[0]
    assert abs((again.aos - first.aos).total_seconds()) < 0.1
    assert abs((again.los - first.los).total_seconds()) < 0.1


def test_range_rate_equals_skyfields_frame_latlon_and_rates():
    from groundstation.orbits.orbit import timescale

    start = datetime(2024, 6, 6, 6, 0, tzinfo=timezone.utc)
    tracker = Tracker(ElementStore.bundled().nearest(58400, start), STATIONS[0])
    times = start.timestamp() + np.arange(0, 6000, 97.0)
    ours = tracker.look(times).range_rate_km_s
    skyfield_times = timescale().from_datetimes([datetime.fromtimestamp(s, tz=timezone.utc) for s in times])
    *_, range_rate = (tracker.satellite - tracker.topos).at(skyfield_times).frame_latlon_and_rates(tracker.topos)
    assert np.max(np.abs(ours - range_rate.km_per_s)) < 1e-5  # 1 cm/s: 0.015 Hz at 435 MHz
