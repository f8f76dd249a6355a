"""Benchmark: real satellite recordings, file by file, ours beside direwolf and gr-satellites.

Run: python tests/benchmarks/bench_corpus.py [--corpus DIR] [--lead-s 20]
For each file of the corpus manifest: the frames direwolf 1.6 and gr-satellites 4.4 decoded (the manifest's
counts), direwolf's atest run here on the same file with its best profile (where it has the modem), and ours
with the modem named and with ``--modem auto``: valid frames (FCS passed), of which raw HDLC (not AX.25).
Every file is shorter than the first 10 s in which ``auto`` runs every chain (dsp/presence.py), so the last
column decodes it with ``auto`` once more after ``--lead-s`` of noise shaped like its own (the mean spectrum
of its quietest tenth, Gaussian): the gates must open on the real signal.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402
from peers import _ANSI  # noqa: E402

from groundstation.dsp.decoder import Decoder, decode_recording  # noqa: E402
from groundstation.recordings.block import Block  # noqa: E402
from groundstation.recordings.readers import open_recording  # noqa: E402

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
ATEST_OPTIONS = {1200: ["-P", "E+", "-F", "1"], 4800: ["-B", "4800", "-g"], 9600: ["-B", "9600", "-P", "+", "-F", "1"]}


def atest_count(path: Path, modem: str) -> str:
    """Frames atest decodes here (``-`` where direwolf has no such modem: BPSK, FSK 1200, plain FSK)."""
    baud = int("".join(char for char in modem.split("-")[0] if char.isdigit()))
    if modem.startswith("bpsk") or (modem.startswith("fsk") and (baud == 1200 or "g3ruh" not in modem)):
        return "-"
    output = subprocess.run(["atest", *ATEST_OPTIONS[baud], str(path)], capture_output=True).stdout.decode("latin-1")
    lines = _ANSI.sub("", output).splitlines()
    summary = [line for line in lines if "packets decoded in" in line]
    return summary[-1].split()[0] if summary else "0"


def ours(path: Path, modem: str) -> tuple[int, int]:
    frames = list(decode_recording(open_recording(str(path)), modems=[modem]))
    return len(frames), sum(frame.format == "hdlc" for frame in frames)


def with_noise_lead(path: Path, lead_s: float, seed: int = 1) -> tuple[np.ndarray, float]:
    """The recording's audio after ``lead_s`` of Gaussian noise with the mean spectrum of its quietest tenth
    (1024-sample Hann frames), and its rate."""
    recording = open_recording(str(path))
    audio = np.concatenate([block.samples for block in recording.blocks(1 << 18)]).astype(np.float64)
    size = 1024
    window = np.hanning(size)
    count = len(audio) // size
    power = np.abs(np.fft.rfft(audio[: count * size].reshape(count, size) * window, axis=1)) ** 2
    quiet = power[np.argsort(power.sum(axis=1))[: max(1, count // 10)]]
    psd = quiet.mean(axis=0) / np.sum(window**2)  # per sample, at the frames' bins
    length = int(lead_s * recording.rate_sps)
    white = np.fft.rfft(np.random.default_rng(seed).standard_normal(length))
    shape = np.sqrt(np.interp(np.fft.rfftfreq(length), np.fft.rfftfreq(size), psd))
    lead = np.fft.irfft(white * shape, length)
    return np.concatenate([lead, audio]).astype(np.float32), recording.rate_sps


def auto_after_lead(path: Path, lead_s: float) -> int:
    samples, rate = with_noise_lead(path, lead_s)
    decoder = Decoder(rate, False, ["auto"])
    found = []
    for first in range(0, len(samples), 1 << 18):
        found += decoder.process(Block(samples[first : first + (1 << 18)], rate, None, None, first / rate))
    return len(found + decoder.flush())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--lead-s", type=float, default=20.0)
    args = parser.parse_args()
    with open(args.corpus / "manifest.tsv", newline="") as file:
        rows = list(csv.DictReader(file, delimiter="\t"))
    print("| file | modem | direwolf (manifest) | atest here | gr-satellites (manifest) | groundstation, modem named "
          f"(raw HDLC) | groundstation auto | auto after {args.lead_s:g} s of its noise |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    totals = [0, 0, 0, 0]
    for row in rows:
        path = args.corpus / row["file"]
        named, hdlc = ours(path, row["modem"])
        automatic, _ = ours(path, "auto")
        led = auto_after_lead(path, args.lead_s)
        best_peer = max(int(value) for value in (row["direwolf"], row["gr_satellites"]) if value != "-")
        totals[0] += best_peer
        totals[1] += named
        totals[2] += automatic
        totals[3] += led
        print(f"| {row['file']} | {row['modem']} | {row['direwolf']} | {atest_count(path, row['modem'])} | "
              f"{row['gr_satellites']} | {named} ({hdlc}) | {automatic} | {led} |", flush=True)
    print(f"| total | | | | best peer {totals[0]} | {totals[1]} | {totals[2]} | {totals[3]} |")


if __name__ == "__main__":
    main()
