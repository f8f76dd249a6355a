"""Benchmark: frames decoded from gen_packets audio with noise, ours beside direwolf's atest and multimon-ng.

Run: python tests/benchmarks/bench_decode.py [--modem afsk1200|fsk9600-g3ruh] [--levels 9 10 11]
     [--packets 100] [--seed N] [--twist flat|pre|de] [--impulses DB] [--auto]
Every seed makes fresh packet texts and fresh noise. ``--twist``: the audio through FM pre- or de-emphasis
(6 dB an octave) before the noise, as a radio without a flat output gives it; ``--impulses DB``: clicks DB
above the signal's peak, two a second at random times (inside packets too), after the noise. ``--auto``: ours
decodes with ``--modem auto`` (every modem, behind the presence gate). Counts are valid frames (the info matches a transmitted
one); "false" counts decoded frames whose content matches none (must be 0).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))

from peers import add_noise, atest_infos, make_clean, multimon_count, packet_texts  # noqa: E402

from groundstation.dsp.decoder import decode_recording  # noqa: E402
from groundstation.recordings.readers import open_recording  # noqa: E402


def ours(path: str, modem: str) -> tuple[list, float]:
    began = time.perf_counter()
    frames = list(decode_recording(open_recording(path), modems=[modem]))
    return frames, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modem", default="afsk1200", choices=["afsk1200", "fsk9600-g3ruh"])
    parser.add_argument("--levels", type=float, nargs="+")
    parser.add_argument("--packets", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--twist", choices=("flat", "pre", "de"), default="flat")
    parser.add_argument("--impulses", type=float, metavar="DB", help="clicks DB above the signal's peak")
    parser.add_argument("--auto", action="store_true", help="decode with --modem auto (the modem is still sent)")
    args = parser.parse_args()
    baud = 1200 if args.modem == "afsk1200" else 9600
    levels = args.levels or ([9, 10, 11] if baud == 1200 else [7, 8, 9])
    with tempfile.TemporaryDirectory() as folder:
        run(args, baud, levels, folder)


def run(args, baud: int, levels: list[float], folder: str) -> None:
    texts = packet_texts(args.packets, args.seed)
    sent = {line.split(":", 1)[1] for line in texts}
    clean = make_clean(folder, texts, baud)
    print(f"{args.modem}, {args.packets} packets (gen_packets, 48 kHz), seed {args.seed}, twist {args.twist}"
          + (", decoded with auto" if args.auto else "")
          + (f", clicks {args.impulses:g} dB above the signal's peak" if args.impulses is not None else ""))
    print(f"{'Eb/N0 dB':>8} {'atest':>6} {'multimon':>9} {'ours':>5} {'fixed':>6} {'false':>6} {'ours x RT':>10}")
    totals = [0, 0]
    for index, level in enumerate(levels):
        noisy = add_noise(clean, os.path.join(folder, f"noisy-{level}.wav"), level, baud, args.seed * 100 + index,
                          args.twist, args.impulses)
        atest_valid = len({info for info in atest_infos(noisy, baud) if info in sent})
        multimon = multimon_count(noisy, baud)
        frames, seconds = ours(noisy, "auto" if args.auto else args.modem)
        # a raw HDLC frame (not AX.25) can only be a false frame here: gen_packets sends AX.25
        infos = [frame.ax25.info.decode("latin-1").removesuffix("\n") if frame.ax25 else frame.raw.hex()
                 for frame in frames]
        valid = len({info for info in infos if info in sent})
        false = sum(info not in sent for info in infos)
        fixed = sum(frame.crc == "fixed" for frame in frames)
        duration_s = open_recording(noisy).duration_s
        totals[0] += atest_valid
        totals[1] += valid
        print(f"{level:8.1f} {atest_valid:6d} {multimon if multimon is not None else '-':>9} {valid:5d} {fixed:6d} "
              f"{false:6d} {duration_s / seconds:10.0f}")
    print(f"{'total':>8} {totals[0]:6d} {'':>9} {totals[1]:5d}   ratio {totals[1] / max(totals[0], 1):.2f}")


if __name__ == "__main__":
    main()
