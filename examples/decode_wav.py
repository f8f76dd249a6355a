"""Decode AX.25 frames from a WAV file (receiver audio, or stereo IQ) and print them.

Run: python examples/decode_wav.py FILE.wav
Without a file it first simulates 30 s of a 9600 baud G3RUH beacon as a receiver would hear it
(labelled SIMULATED) in a temporary folder, decodes that, and removes the folder.
"""

import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from groundstation.dsp.decoder import decode_recording
from groundstation.dsp.modems import modem
from groundstation.orbits.elements import ElementStore
from groundstation.orbits.orbit import Tracker
from groundstation.orbits.station import SEOUL
from groundstation.recordings.readers import open_recording
from groundstation.simulation.simulator import SimulationConfig, simulate


def simulated_wav(folder: Path) -> Path:
    start = datetime(2024, 6, 12, 14, 26, tzinfo=timezone.utc)
    tracker = Tracker(ElementStore.bundled().nearest(58400, start), SEOUL, "Malligyong-1")
    config = SimulationConfig(tracker=tracker, start=start, duration_s=30,
                              freq_hz=435e6, modem=modem("fsk9600-g3ruh"), rate_sps=48000, beacon_interval_s=5)
    wav = folder / "simulated-beacon.wav"
    simulate(config, str(folder / "simulated-beacon.sigmf-meta"), tracker.name, audio_path=str(wav))
    return wav


def main(path: Path) -> list[str]:
    return [f"{frame.t:7.3f}s {frame.modem}: {frame.monitor_line()}" for frame in decode_recording(open_recording(str(path)))]


if __name__ == "__main__":
    if len(sys.argv) > 1:
        lines = main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory(prefix="groundstation-example-") as folder:
            lines = main(simulated_wav(Path(folder)))
    for line in lines:
        print(line)
