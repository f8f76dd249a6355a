"""Benchmark: decoding speed on long files, whole process, beside atest and multimon-ng, in one run.

Run: python tests/benchmarks/bench_speed.py [--minutes-1200 40] [--minutes-9600 5] [--seed N]
Files: gen_packets audio (48 kHz) with noise at Eb/N0 11 dB (1200) and 9 dB (9600), fresh texts; then IQ: the first
85 s of the 1200-baud file FM-modulated (3 kHz deviation, 12 kHz off centre, drifting) into 2.048 MS/s cu8, decoded
with ``--modem afsk1200`` without being told the offset (no peer reads IQ). Each program
runs as it is installed (no environment variables), one after another; the figure is CPU seconds of the whole
process and its threads (user + system, from the kernel's accounting of the finished child), the real-time
factor is audio seconds / CPU seconds, and the frames each program printed are counted.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import wave

sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402
from peers import _ANSI, add_noise, make_clean, on_air_mask, packet_texts  # noqa: E402


def run_counted(command: list[str], frame_pattern: str, stream: str) -> tuple[float, int]:
    """CPU seconds of ``command`` (user + system of the child and its threads) and lines matching the pattern."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(command, capture_output=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    text = _ANSI.sub("", (completed.stdout if stream == "stdout" else completed.stderr).decode("latin-1"))
    return cpu_s, sum(1 for line in text.splitlines() if re.search(frame_pattern, line))


def wav_seconds(path: str) -> float:
    with wave.open(path) as file:
        return file.getnframes() / file.getframerate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes-1200", type=float, default=40.0)
    parser.add_argument("--minutes-9600", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=5001)
    args = parser.parse_args()
    groundstation = [sys.executable, "-m", "groundstation", "decode"]
    print("| file | program | CPU s | x real time (CPU) | frames |")
    print("| --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as folder:
        for baud, minutes, level in ((1200, args.minutes_1200, 11.0), (9600, args.minutes_9600, 9.0)):
            packets = int(minutes * 60 / (0.85 if baud == 1200 else 0.11))
            sub = os.path.join(folder, str(baud))
            os.makedirs(sub)
            clean = make_clean(sub, packet_texts(packets, args.seed + baud), baud)
            noisy = add_noise(clean, os.path.join(sub, "noisy.wav"), level, baud, args.seed)
            seconds = wav_seconds(noisy)
            name = f"{baud} baud, {seconds / 60:.1f} min, {packets} packets"
            modem = "afsk1200" if baud == 1200 else "fsk9600-g3ruh"
            atest = ["atest", "-P", "E+", "-F", "1"] if baud == 1200 else ["atest", "-B", "9600", "-P", "+", "-F", "1"]
            ours_frame = r"^\[t="
            runs = [
                ("groundstation --modem " + modem, groundstation + [noisy, "--modem", modem], ours_frame, "stdout"),
                ("groundstation --modem auto", groundstation + [noisy], ours_frame, "stdout"),
                (" ".join(atest), atest + [noisy], r"^\[[\d.]+\](?: <[^>]*>)? ?[A-Z0-9-]+>", "stdout"),
            ]
            if shutil.which("multimon-ng"):
                mode = "AFSK1200" if baud == 1200 else "FSK9600"
                runs.append((f"multimon-ng -a {mode}", ["multimon-ng", "-q", "-t", "wav", "-a", mode, noisy],
                             f"^{mode}: fm ", "stdout"))
            for label, command, pattern, stream in runs:
                cpu_s, frames = run_counted(command, pattern, stream)
                print(f"| {name} | `{label}` | {cpu_s:.1f} | {seconds / cpu_s:.0f} | {frames} |", flush=True)
            if baud == 1200:
                iq_row(folder, clean, noisy, groundstation)
        bpsk_row(folder, args.minutes_9600, groundstation)


def iq_row(folder: str, clean_path: str, noisy_path: str, groundstation: list[str], seconds: float = 85.0,
           rate: int = 2_048_000) -> None:
    """The 1200-baud noisy audio's first ``seconds`` as FM on 2.048 MS/s cu8 IQ, through ``decode`` (the clean
    tones' amplitude at 3 kHz deviation, as bench_iq.py)."""
    from bench_iq import fm_to_cu8

    clean, audio_rate = read_wav_start(clean_path, seconds)
    audio, _ = read_wav_start(noisy_path, seconds)
    clean_peak = float(np.sqrt(2 * np.mean(clean[on_air_mask(clean)] ** 2)))
    path = os.path.join(folder, "iq.cu8")
    fm_to_cu8(audio, audio_rate, clean_peak, rate, path, seed=4003)
    cpu_s, frames = run_counted(groundstation + [path, "--samplerate", str(rate), "--modem", "afsk1200"],
                                r"^\[t=", "stdout")
    duration = len(audio) / audio_rate
    print(f"| {rate / 1e6:g} MS/s cu8 IQ, {duration:.0f} s (FM, 12 kHz off) | `groundstation --modem afsk1200` | "
          f"{cpu_s:.1f} | {duration / cpu_s:.0f} | {frames} |", flush=True)
    os.remove(path)


def read_wav_start(path: str, seconds: float) -> tuple[np.ndarray, int]:
    """The first ``seconds`` of a 16-bit mono WAV as float64, and its rate."""
    with wave.open(path) as file:
        count = min(file.getnframes(), int(seconds * file.getframerate()))
        return np.frombuffer(file.readframes(count), "<i2").astype(np.float64), file.getframerate()


def bpsk_row(folder: str, minutes: float, groundstation: list[str]) -> None:
    """BPSK 1200 from 48 kHz SSB audio (no peer decodes it): SIMULATED beacons every 2 s over a pass."""
    audio = os.path.join(folder, "bpsk1200.wav")
    subprocess.run([sys.executable, "-m", "groundstation", "simulate", "--sat", "Malligyong-1", "--station",
                    "37.57,126.98", "--start", "2024-06-12T14:22Z", "--duration", str(minutes * 60), "--freq",
                    "435e6", "--modem", "bpsk1200", "--cn0", "55", "--beacon-interval", "2", "--samplerate", "48000",
                    "--datatype", "ci16_le", "--out", os.path.join(folder, "bpsk1200.sigmf-meta"), "--audio", audio],
                   capture_output=True, check=True)
    seconds = wav_seconds(audio)
    cpu_s, frames = run_counted(groundstation + [audio, "--modem", "bpsk1200"], r"^\[t=", "stdout")
    print(f"| bpsk1200 SSB audio, {seconds / 60:.1f} min (SIMULATED) | `groundstation --modem bpsk1200` | "
          f"{cpu_s:.1f} | {seconds / cpu_s:.0f} | {frames} |", flush=True)


if __name__ == "__main__":
    main()
