"""Benchmark: false frames on long noise with ``--modem auto`` (every modem and slicer side by side).

Run: python tests/benchmarks/bench_noise.py --hours 10 [--kind white|fm] [--seed N]
``white``: Gaussian audio at 48 kHz; ``fm``: what an FM receiver gives with no signal (complex Gaussian noise
through a 16 kHz IF filter and the FM discriminator). Reports the flag-delimited segments of a frame's length
looked at (each passes the 16-bit FCS by chance 1 in 65536), and the frames accepted: AX.25 and raw HDLC.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from groundstation.dsp.decoder import Decoder
from groundstation.dsp.filters import HopFilterBank, lowpass_taps
from groundstation.dsp.fm import FmDiscriminator
from groundstation.recordings.block import Block

RATE_SPS = 48_000.0
BLOCK_S = 10.0


def noise_blocks(kind: str, hours: float, seed: int):
    rng = np.random.default_rng(seed)
    count = int(RATE_SPS * BLOCK_S)
    if kind == "fm":
        if_filter = HopFilterBank(lowpass_taps(8_000.0, RATE_SPS, 63).astype(np.complex64), 1)
        discriminator = FmDiscriminator(RATE_SPS, 3_000.0)
    for index in range(int(hours * 3600 / BLOCK_S)):
        if kind == "white":
            samples = (0.1 * rng.standard_normal(count)).astype(np.float32)
        else:
            iq = rng.standard_normal(2 * count, dtype=np.float32).view(np.complex64)
            samples = 0.25 * np.clip(discriminator.process(if_filter.process(iq)[:, 0].astype(np.complex64)), -2, 2)
        yield Block(samples.astype(np.float32), RATE_SPS, None, None, index * BLOCK_S)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=10.0)
    parser.add_argument("--kind", choices=("white", "fm"), default="white")
    parser.add_argument("--seed", type=int, default=6001)
    args = parser.parse_args()
    decoder = Decoder(RATE_SPS, False, ["auto"], gate=False)  # every chain everywhere: the worst case
    frames = []
    began = time.process_time()
    for block in noise_blocks(args.kind, args.hours, args.seed):
        frames += decoder.process(block)
    frames += decoder.flush()
    checked = sum(chain.deframer.segments_checked for demod in decoder.demodulators
                  for group in demod.groups for chain in group.chains)
    ax25 = [frame for frame in frames if frame.format == "ax25"]
    hdlc = [frame for frame in frames if frame.format == "hdlc"]
    print(f"{args.hours:g} h of {args.kind} noise, auto ({len(decoder.specs)} modems), seed {args.seed}: "
          f"{checked} segments checked (expected chance FCS passes {checked / 65536:.1f}); "
          f"accepted: {len(ax25)} AX.25, {len(hdlc)} raw HDLC; {time.process_time() - began:.0f} s CPU")
    for frame in frames:
        print(f"  t={frame.t:.1f} {frame.modem} {frame.crc} {frame.monitor_line()[:80]}")


if __name__ == "__main__":
    main()
