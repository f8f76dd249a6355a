"""Predict passes of Malligyong-1 over Seoul from the newest bundled element set, and plot their sky tracks.

Run: python examples/predict_passes.py [OUT.png]   (default: malligyong-1-sky.png in the current folder)
"""

import sys
from datetime import timedelta
from pathlib import Path

from groundstation.orbits.elements import ElementStore
from groundstation.orbits.orbit import Tracker
from groundstation.orbits.station import SEOUL
from groundstation.outputs.plots import plot_sky_tracks


def main(plot_path: Path) -> list:
    element_set = ElementStore.bundled().newest(58400)  # Malligyong-1: the newest real set of the bundled history
    tracker = Tracker(element_set, SEOUL, "Malligyong-1")
    start = element_set.epoch  # near the epoch: SGP4 is only good for days around it
    passes = tracker.passes(start, start + timedelta(days=1), min_elevation_deg=5.0, freq_hz=435e6)
    plot_sky_tracks(passes, {58400: tracker}, str(plot_path), SEOUL)
    return passes


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "malligyong-1-sky.png")
    for item in main(target):
        print(f"{item.aos:%Y-%m-%d %H:%M:%S}Z  max {item.max_elevation_deg:5.1f} deg  "
              f"Doppler {item.doppler_aos_hz:+.0f} .. {item.doppler_los_hz:+.0f} Hz at 435 MHz")
    print(f"sky tracks: {target}")
