"""Simulate a pass of Malligyong-1 with a hypothetical carrier, then ask: did it transmit?

Run: python examples/simulate_and_check.py [OUT_DIR]
The recording goes to OUT_DIR if given (and stays), else to a temporary folder that is removed at the end.
Everything here is SIMULATED: no real signal of Malligyong-1 is claimed.
"""

import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from groundstation.detection.check import check_recording
from groundstation.dsp.modems import modem
from groundstation.orbits.elements import ElementStore
from groundstation.orbits.orbit import Tracker
from groundstation.orbits.station import SEOUL
from groundstation.recordings.readers import open_recording
from groundstation.simulation.simulator import SimulationConfig, simulate


def main(folder: Path, cn0_dbhz: float = 20.0) -> str:
    store = ElementStore.bundled()
    start = datetime(2024, 6, 12, 14, 24, tzinfo=timezone.utc)
    tracker = Tracker(store.nearest(58400, start), SEOUL, "Malligyong-1")  # the set nearest the time simulated
    config = SimulationConfig(tracker=tracker, start=start,
                              duration_s=120, freq_hz=435e6, modem=modem("cw"), rate_sps=48000, cn0_dbhz=cn0_dbhz,
                              offset_hz=1800.0, drift_hz=150.0)
    folder.mkdir(parents=True, exist_ok=True)
    meta = str(folder / "malligyong-1-simulated-cw.sigmf-meta")
    simulate(config, meta, tracker.name)
    result = check_recording(open_recording(meta), tracker, store, {58400: "Malligyong-1"}, freq_hz=435e6)
    return result.line


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(main(Path(sys.argv[1])))
    else:
        with tempfile.TemporaryDirectory(prefix="groundstation-example-") as folder:
            print(main(Path(folder)))
