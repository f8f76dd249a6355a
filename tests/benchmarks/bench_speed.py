"""Benchmark: decoding speed on long files, whole process on one core, beside atest and multimon-ng.

Run: python tests/benchmarks/bench_speed.py [--minutes-1200 40] [--minutes-9600 5]
Files: gen_packets audio (48 kHz) with noise at Eb/N0 11 dB (1200) and 9 dB (9600), fresh texts.
Each program runs pinned to one core (taskset); the real-time factor is audio seconds / wall seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))

from peers import add_noise, make_clean, packet_texts  # noqa: E402

ONE_CORE = ["taskset", "-c", "0"] if shutil.which("taskset") else []
ENVIRONMENT = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")


def timed(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(ONE_CORE + command, capture_output=True, check=True, env=ENVIRONMENT)
    return time.perf_counter() - began


def wav_seconds(path: str) -> float:
    import wave

    with wave.open(path) as file:
        return file.getnframes() / file.getframerate()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes-1200", type=float, default=40.0)
    parser.add_argument("--minutes-9600", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=5001)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    groundstation = [sys.executable, "-m", "groundstation", "decode"]
    print(f"{'file':26} {'program':34} {'x real time':>12}")
    for baud, minutes, level in ((1200, args.minutes_1200, 11.0), (9600, args.minutes_9600, 9.0)):
        packets = int(minutes * 60 / (0.85 if baud == 1200 else 0.11))
        sub = os.path.join(folder, str(baud))
        os.makedirs(sub)
        clean = make_clean(sub, packet_texts(packets, args.seed + baud), baud)
        noisy = add_noise(clean, os.path.join(sub, "noisy.wav"), level, baud, args.seed)
        seconds = wav_seconds(noisy)
        name = f"{baud} baud, {seconds / 60:.0f} min"
        modem = "afsk1200" if baud == 1200 else "fsk9600-g3ruh"
        atest = ["atest", "-P", "E+", "-F", "1"] if baud == 1200 else ["atest", "-B", "9600", "-P", "+", "-F", "1"]
        runs = [
            ("groundstation --modem " + modem, groundstation + [noisy, "--modem", modem]),
            ("groundstation --modem auto", groundstation + [noisy]),
            (" ".join(atest), atest + [noisy]),
        ]
        if shutil.which("multimon-ng"):
            mode = "AFSK1200" if baud == 1200 else "FSK9600"
            runs.append((f"multimon-ng -a {mode}", ["multimon-ng", "-q", "-t", "wav", "-a", mode, noisy]))
        for label, command in runs:
            print(f"{name:26} {label:34} {seconds / timed(command):12.0f}", flush=True)


if __name__ == "__main__":
    main()
