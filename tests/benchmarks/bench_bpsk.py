"""Benchmark: BPSK sensitivity, frames of 100 against Eb/N0, beside the theoretical curves.

Run: python tests/benchmarks/bench_bpsk.py [--modem bpsk1200] [--levels 6 7 8 9] [--packets 100] [--seed N] [--iq]

SIMULATED signals only: 100 AX.25 UI frames with distinct texts, HDLC with 0.1 s of flags before each
(NRZI, then G3RUH scrambling for the -g3ruh modems), BPSK with a root-raised-cosine pulse (roll-off 0.35),
as USB audio at 48 kHz; each packet follows a gap of 0.2 s of noise. The carrier starts 170 Hz off the
nominal (1.5 kHz at 1200 baud, 12 kHz at 9600) and wanders sinusoidally by +-200 Hz (up to 21 Hz/s).
White noise: Eb/N0 = signal power over noise variance x (fs / 2) / bit rate, the signal power measured
where a packet is on the air. With ``--iq``: complex baseband at 48 kS/s instead, the carrier 170 Hz off
centre and wandering the same way, searched for within +-12 kHz (no Doppler data); Eb/N0 = signal power
over complex noise variance x fs / bit rate. "false" counts decoded frames whose content matches none.

Theory, for each packet's symbol count n: coherent BPSK with differential (NRZI) decoding decodes a frame
when no symbol is wrong, (1 - Q(sqrt(2 Eb/N0)))^n; DBPSK (differentially coherent detection, the usual
textbook reference) with bit error rate exp(-Eb/N0) / 2 gives about (1 - exp(-Eb/N0) / 2)^n.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from frames import Ax25Frame, append_fcs
from groundstation.dsp.bpsk import default_carrier_hz
from groundstation.dsp.bpsk_mod import bpsk_baseband, usb_audio
from groundstation.dsp.decoder import Decoder
from groundstation.dsp.hdlc import frame_bits, g3ruh_scramble, nrzi_encode
from groundstation.dsp.modems import MODEMS
from groundstation.recordings.block import Block

RATE_SPS = 48000
GAP_S = 0.2
PREAMBLE_S = 0.1
OFFSET_HZ = 170.0
WANDER_HZ = 200.0
WANDER_PERIOD_S = 60.0


def packets(count: int, seed: int) -> list[bytes]:
    return [Ax25Frame.ui("SIMSAT", "TLM", f"SIMULATED bpsk benchmark seed {seed} packet {n:03d} "
                         f"{'x' * int(np.random.default_rng([seed, n]).integers(20, 60))}".encode()).to_bytes()
            for n in range(count)]


def clean_audio(frames: list[bytes], modem_name: str, iq: bool = False) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Audio (or IQ) without noise, a mask of where packets are on the air, and each packet's symbol count."""
    spec = MODEMS[modem_name]
    pieces, mask, symbols = [], [], []
    gap = np.zeros(int(GAP_S * RATE_SPS), np.complex64)
    flags = max(4, int(np.ceil(PREAMBLE_S * spec.baud / 8)))
    for frame in frames:
        levels = nrzi_encode(frame_bits(append_fcs(frame), preamble_flags=flags, postamble_flags=3))
        if spec.scrambled:
            levels = g3ruh_scramble(levels)
        symbols.append(len(levels) - 8 * (flags + 3))
        baseband = bpsk_baseband(levels, spec.baud, RATE_SPS)
        pieces += [gap, baseband]
        mask += [np.zeros(len(gap), bool), np.ones(len(baseband), bool)]
    pieces.append(gap)
    mask.append(np.zeros(len(gap), bool))
    baseband, mask = np.concatenate(pieces), np.concatenate(mask)
    t = np.arange(len(baseband)) / RATE_SPS
    wander = OFFSET_HZ + WANDER_HZ * np.sin(2 * np.pi * t / WANDER_PERIOD_S)
    if iq:
        phase = 2 * np.pi * np.cumsum(wander) / RATE_SPS
        return (baseband * np.exp(1j * phase)).astype(np.complex64), mask, symbols
    return usb_audio(baseband, RATE_SPS, default_carrier_hz(spec.baud) + wander), mask, symbols


def theory(ebn0_db: float, symbols: list[int]) -> tuple[float, float]:
    x = 10 ** (ebn0_db / 10)
    symbol_error = 0.5 * math.erfc(math.sqrt(x))
    dbpsk_bit_error = 0.5 * math.exp(-x)
    return (sum((1 - symbol_error) ** n for n in symbols), sum((1 - dbpsk_bit_error) ** n for n in symbols))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modem", default="bpsk1200", choices=[n for n, s in MODEMS.items() if s.kind == "bpsk"])
    parser.add_argument("--levels", type=float, nargs="+", default=[5, 6, 7, 8, 9])
    parser.add_argument("--packets", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--iq", action="store_true", help="complex baseband instead of USB audio")
    args = parser.parse_args()
    frames = packets(args.packets, args.seed)
    sent = set(frames)
    audio, mask, symbols = clean_audio(frames, args.modem, args.iq)
    power = float(np.mean(np.abs(audio[mask].astype(np.complex128 if args.iq else np.float64)) ** 2))
    baud = MODEMS[args.modem].baud
    print(f"{args.modem}, {args.packets} SIMULATED packets ({'IQ' if args.iq else 'USB audio'}, 48 kHz), "
          f"seed {args.seed}, "
          f"{int(np.mean(symbols))} symbols a packet on average")
    print(f"{'Eb/N0 dB':>8} {'coherent DE-BPSK':>16} {'DBPSK':>6} {'ours':>5} {'fixed':>6} {'false':>6} {'x RT':>6}")
    for index, level in enumerate(args.levels):
        rng = np.random.default_rng([args.seed, index])
        if args.iq:
            variance = power * RATE_SPS / baud / 10 ** (level / 10)  # complex noise: N0 = variance / fs
            noise = rng.standard_normal(2 * len(audio)).astype(np.float32).view(np.complex64) * np.sqrt(0.5)
        else:
            variance = power * RATE_SPS / 2 / baud / 10 ** (level / 10)  # real noise: N0 = variance / (fs / 2)
            noise = rng.standard_normal(len(audio)).astype(np.float32)
        noisy = audio + noise * np.float32(math.sqrt(variance))
        noisy *= np.float32(0.25 / np.std(noisy))
        decoder = Decoder(RATE_SPS, args.iq, [args.modem])
        began = time.process_time()
        found = []
        for start in range(0, len(noisy), 1 << 16):
            found += decoder.process(Block(noisy[start : start + (1 << 16)], float(RATE_SPS), None, None, start / RATE_SPS))
        found += decoder.flush()
        seconds = time.process_time() - began
        valid = len({frame.raw for frame in found if frame.raw in sent})
        false = sum(frame.raw not in sent for frame in found)
        fixed = sum(frame.crc == "fixed" for frame in found)
        coherent, dbpsk = theory(level, symbols)
        print(f"{level:8.1f} {coherent:16.1f} {dbpsk:6.1f} {valid:5d} {fixed:6d} {false:6d} "
              f"{len(noisy) / RATE_SPS / seconds:6.0f}")


if __name__ == "__main__":
    main()
