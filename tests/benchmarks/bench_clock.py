"""Benchmark: short frames from a transmitter whose clock is off nominal, ours beside direwolf's atest.

Run: python tests/benchmarks/bench_clock.py [--packets 50] [--seed N]
gen_packets makes 20-byte frames (as AO-27 sends them), white noise is added (afsk1200 at Eb/N0 14 dB,
fsk9600-g3ruh at 12 dB), and sox plays the file at speeds 0.95 to 1.05 (bit rate and tones move together,
as when a transmitter's clock is off). Counts are valid frames (the info matches one sent).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))

from peers import add_noise, atest_infos, make_clean  # noqa: E402

from groundstation.dsp.decoder import decode_recording  # noqa: E402
from groundstation.recordings.readers import open_recording  # noqa: E402

SPEEDS = (0.95, 0.97, 1.0, 1.03, 1.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packets", type=int, default=50)
    parser.add_argument("--seed", type=int, default=5001)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    texts = [f"AO27-{n % 16}>CQ:{n:02d}{int(rng.integers(0, 100)):02d}" for n in range(args.packets)]
    sent = {text.split(":", 1)[1] for text in texts}
    print(f"{args.packets} short frames, seed {args.seed}: valid frames, atest / groundstation")
    print("| modem | " + " | ".join(f"speed {speed}" for speed in SPEEDS) + " |")
    print("| --- |" + " --- |" * len(SPEEDS))
    with tempfile.TemporaryDirectory() as folder:
        for modem, baud, ebn0_db in (("afsk1200", 1200, 14.0), ("fsk9600-g3ruh", 9600, 12.0)):
            clean = make_clean(folder, texts, baud)
            noisy = add_noise(clean, os.path.join(folder, "noisy.wav"), ebn0_db, baud, args.seed)
            cells = []
            for speed in SPEEDS:
                played = os.path.join(folder, f"speed-{speed}.wav")
                subprocess.run(["sox", noisy, played, "speed", str(speed), "rate", "48000"], check=True)
                atest = len({info for info in atest_infos(played, baud) if info in sent})
                frames = decode_recording(open_recording(played), modems=[modem])
                ours = len({frame.ax25.info.decode("latin-1").rstrip() for frame in frames if frame.ax25} & sent)
                cells.append(f"{atest} / {ours}")
            print(f"| {modem} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
