"""Benchmark: real satellite recordings, file by file, ours beside direwolf and gr-satellites.

Run: python tests/benchmarks/bench_corpus.py [--corpus DIR]
For each file of the corpus manifest: the frames direwolf 1.6 and gr-satellites 4.4 decoded (the manifest's
counts), direwolf's atest run here on the same file with its best profile (where it has the modem), and ours
with the modem named and with ``--modem auto``: valid frames (FCS passed), of which raw HDLC (not AX.25).
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))

from peers import _ANSI  # noqa: E402

from groundstation.dsp.decoder import decode_recording  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    with open(args.corpus / "manifest.tsv", newline="") as file:
        rows = list(csv.DictReader(file, delimiter="\t"))
    print("| file | modem | direwolf (manifest) | atest here | gr-satellites (manifest) | groundstation, modem named "
          "(raw HDLC) | groundstation auto |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    totals = [0, 0, 0]
    for row in rows:
        path = args.corpus / row["file"]
        named, hdlc = ours(path, row["modem"])
        automatic, _ = ours(path, "auto")
        best_peer = max(int(value) for value in (row["direwolf"], row["gr_satellites"]) if value != "-")
        totals[0] += best_peer
        totals[1] += named
        totals[2] += automatic
        print(f"| {row['file']} | {row['modem']} | {row['direwolf']} | {atest_count(path, row['modem'])} | "
              f"{row['gr_satellites']} | {named} ({hdlc}) | {automatic} |")
    print(f"| total | | | | best peer {totals[0]} | {totals[1]} | {totals[2]} |")


if __name__ == "__main__":
    main()
