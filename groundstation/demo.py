"""The whole mission offline, on data shipped in the package: catalogue, passes, two simulated recordings,
two checks. Every simulated thing is labelled simulated (the file names say ``simulated``).

The library part: :func:`run_demo` reports through ``say`` (the CLI passes ``print``) and returns the verdicts.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta

from groundstation.detection.check import check_recording
from groundstation.detection.report import write_report
from groundstation.dsp.modems import modem
from groundstation.orbits.catalog import load_catalog
from groundstation.orbits.elements import ElementStore
from groundstation.orbits.orbit import Tracker
from groundstation.orbits.overview import catalog_rows
from groundstation.orbits.station import SEOUL
from groundstation.recordings.readers import open_recording
from groundstation.simulation.simulator import SimulationConfig, simulate
from groundstation.timefmt import iso_utc

DEMO_NORAD = 58400
FREQ_HZ = 435e6  # a hypothetical beacon frequency: nothing was ever claimed for Malligyong-1
RECORD_S = 180.0
RATE_SPS = 48_000
BEACON_CN0_DBHZ = 55.0
INTERFERER = (4_000.0, -150.0)  # centre + 4 kHz, -150 dBm: about 22 dB-Hz


def run_demo(out_dir: str, say: Callable[[str], None]) -> list[tuple[str, str]]:
    """Run the demo into ``out_dir``; return (recording file name, verdict) for each recording."""
    os.makedirs(out_dir, exist_ok=True)
    catalog = load_catalog()
    store = ElementStore.bundled()
    names = {entry.norad: entry.name for entry in catalog.entries if entry.norad}

    say("1. The catalogue: North Korean satellites and launch attempts")
    for row in catalog_rows():
        newest = f", newest element set {row['newest_tle_epoch'][:10]}" if row["newest_tle_epoch"] else ""
        say(f"   {row['name']}: {row['status']}{newest}")

    element_set = store.newest(DEMO_NORAD)
    tracker = Tracker(element_set, SEOUL, names[DEMO_NORAD])
    start = element_set.epoch
    passes = tracker.passes(start, start + timedelta(days=1), min_elevation_deg=0.0, freq_hz=FREQ_HZ)
    say(f"\n2. Passes of Malligyong-1 over {SEOUL.name} in the day after its newest element set "
        f"(epoch {iso_utc(element_set.epoch, 'seconds')})")
    for item in passes:
        say(f"   AOS {iso_utc(item.aos, 'seconds')}  TCA {iso_utc(item.tca, 'seconds')}  "
            f"max elevation {item.max_elevation_deg:5.1f} deg  Doppler at 435 MHz {item.doppler_aos_hz:+7.0f} .. "
            f"{item.doppler_los_hz:+7.0f} Hz")
    chosen = max(passes, key=lambda item: item.max_elevation_deg)
    recording_start = chosen.tca - timedelta(seconds=RECORD_S / 2)
    say(f"   chosen: the highest pass, TCA {iso_utc(chosen.tca, 'seconds')} at {chosen.max_elevation_deg:.1f} deg; "
        f"recording {RECORD_S:.0f} s around closest approach at {RATE_SPS} samples/s")

    say("\n3. Two SIMULATED recordings of that pass (hypothetical: no real signal is claimed)")
    recordings = [
        ("malligyong-1-simulated-beacon", dict(modem=modem("afsk1200"), cn0_dbhz=BEACON_CN0_DBHZ),
         f"a hypothetical 435 MHz AX.25 beacon (afsk1200, C/N0 {BEACON_CN0_DBHZ:.0f} dB-Hz at closest approach)"),
        ("malligyong-1-simulated-interferer", dict(modem=modem("none"), interferer=INTERFERER),
         "the satellite silent, a terrestrial carrier in the band (+4 kHz, -150 dBm)"),
    ]
    paths = []
    for seed, (name, settings, what) in enumerate(recordings, start=1):
        meta = os.path.join(out_dir, name + ".sigmf-meta")
        config = SimulationConfig(tracker=tracker, start=recording_start, duration_s=RECORD_S, freq_hz=FREQ_HZ,
                                  rate_sps=RATE_SPS, seed=seed, **settings)
        result = simulate(config, meta, tracker.name, "ci16_le")
        say(f"   {meta}: {what}; {len(result.bursts)} frames sent")
        paths.append(meta)

    say("\n4. check on both")
    verdicts = []
    for meta in paths:
        result = check_recording(open_recording(meta), tracker, store, names, freq_hz=FREQ_HZ)
        report_dir = os.path.join(out_dir, os.path.basename(meta).replace(".sigmf-meta", "-report"))
        report = write_report(result, report_dir)
        for frame in result.frames[:3]:
            say(f"   decoded: {frame.monitor_line()}")
        if len(result.frames) > 3:
            say(f"   ... {len(result.frames)} frames decoded in all")
        say(f"   {os.path.basename(meta)}: {result.line}")
        say(f"   report: {report['html']}")
        verdicts.append((os.path.basename(meta), result.verdict.name))
    return verdicts
