"""Benchmark: does ``--modem auto``'s presence gate (groundstation/dsp/presence.py) ever lose a frame?

Run: python tests/benchmarks/bench_gate.py [--modems fsk1200,fsk9600-g3ruh,...] [--levels 4 6 8 10]
     [--packets 40] [--seed N] [--afsk]

SIMULATED audio at 48 kHz: AX.25 frames of 20 to 80 bytes (0.1 s of flags before each) of one modem, as the
FM receiver's audio (FSK: Gaussian-filtered NRZ) or the USB receiver's (BPSK: root-raised-cosine, carrier 170
Hz off the nominal), 12 s of noise first (past the gate's warm-up) and 0.5 to 6 s of noise between packets,
white noise at each Eb/N0 (signal power where a packet is on the air over noise variance x (fs / 2) / bit
rate). With ``--afsk`` AFSK 1200 packets at Eb/N0 11 dB fill the gaps (the gate must still open for the
modem's frames among them). Each file is decoded three ways with ``auto``: every chain everywhere (``gate
off``), the gate as shipped, and the gate alone (``no latch``: a chain that found a frame is gated still,
so every frame has to get through the gate). "lost" counts this modem's frames the ungated decoder found that
a gated one did not (the goal: 0), "gained" the other way round (a chain started afresh slices a marginal
frame differently).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from frames import Ax25Frame, append_fcs
from groundstation.dsp import presence
from groundstation.dsp.bpsk import default_carrier_hz
from groundstation.dsp.bpsk_mod import bpsk_baseband, usb_audio
from groundstation.dsp.decoder import Decoder
from groundstation.dsp.hdlc import frame_bits, g3ruh_scramble, nrzi_encode
from groundstation.dsp.modems import MODEMS
from groundstation.dsp.modulators import afsk_audio, fsk_audio
from groundstation.recordings.block import Block

RATE_SPS = 48000
LEAD_S = 12.0
GAP_S = (0.5, 6.0)
PREAMBLE_S = 0.1
AFSK_EBN0_DB = 11.0
DEFAULT_MODEMS = "fsk1200,fsk1200-g3ruh,fsk4800,fsk4800-g3ruh,fsk9600,fsk9600-g3ruh,bpsk1200,bpsk9600"


def frames_for(count: int, seed: int, tag: str) -> list[bytes]:
    rng = np.random.default_rng(seed)
    return [Ax25Frame.ui("SIMSAT", "TLM", f"SIMULATED gate {tag} {seed} {n:03d} "
                         f"{'x' * int(rng.integers(0, 60))}".encode()).to_bytes() for n in range(count)]


def line_levels(frame: bytes, baud: int, scrambled: bool) -> np.ndarray:
    flags = max(4, int(np.ceil(PREAMBLE_S * baud / 8)))
    levels = nrzi_encode(frame_bits(append_fcs(frame), preamble_flags=flags, postamble_flags=3))
    return g3ruh_scramble(levels) if scrambled else levels


def burst(frame: bytes, modem_name: str) -> np.ndarray:
    """One packet as receiver audio, unit power."""
    spec = MODEMS[modem_name]
    levels = line_levels(frame, spec.baud, spec.scrambled)
    if spec.kind == "fsk":
        audio = fsk_audio(levels, spec.baud, RATE_SPS)
    elif spec.kind == "afsk":
        audio = afsk_audio(levels, spec.baud, RATE_SPS)
    else:
        audio = usb_audio(bpsk_baseband(levels, spec.baud, RATE_SPS), RATE_SPS, default_carrier_hz(spec.baud) + 170.0)
    return (audio / np.sqrt(np.mean(audio.astype(np.float64) ** 2))).astype(np.float32)


def recording(modem_name: str, frames: list[bytes], ebn0_db: float, seed: int, afsk: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    baud = MODEMS[modem_name].baud
    pieces, on_air = [np.zeros(int(LEAD_S * RATE_SPS), np.float32)], []
    fillers = frames_for(len(frames) * 8, seed + 1, "afsk") if afsk else []
    for frame in frames:
        gap = np.zeros(int(rng.uniform(*GAP_S) * RATE_SPS), np.float32)
        if afsk:  # AFSK packets back to back in the gap, as many as fit, at their own level
            at = 0
            while fillers and at + RATE_SPS < len(gap):
                piece = burst(fillers.pop(), "afsk1200") * np.sqrt(10 ** ((AFSK_EBN0_DB - ebn0_db) / 10) * 1200 / baud)
                end = min(len(gap), at + len(piece))
                gap[at:end] = piece[: end - at]
                at = end + int(0.05 * RATE_SPS)
        pieces.append(gap)
        signal = burst(frame, modem_name)
        on_air.append(len(signal))
        pieces.append(signal)
    pieces.append(np.zeros(int(2 * RATE_SPS), np.float32))
    audio = np.concatenate(pieces)
    noise_variance = 1.0 * (RATE_SPS / 2) / baud / 10 ** (ebn0_db / 10)  # the signal has unit power
    return (audio + rng.normal(0.0, np.sqrt(noise_variance), len(audio))).astype(np.float32)


def decoded(audio: np.ndarray, gate: bool, latch: bool = True) -> tuple[set[bytes], float]:
    presence.LATCH = latch
    began = time.process_time()
    decoder = Decoder(RATE_SPS, False, ["auto"], gate=gate)
    found = []
    block = 1 << 18
    for first in range(0, len(audio), block):
        found += decoder.process(Block(audio[first : first + block], RATE_SPS, None, None, first / RATE_SPS))
    found += decoder.flush()
    presence.LATCH = True
    return {frame.raw for frame in found}, time.process_time() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modems", default=DEFAULT_MODEMS)
    parser.add_argument("--levels", type=float, nargs="+", default=[4, 6, 8, 10])
    parser.add_argument("--packets", type=int, default=40)
    parser.add_argument("--seed", type=int, default=9300)
    parser.add_argument("--afsk", action="store_true", help="AFSK 1200 packets in the gaps")
    args = parser.parse_args()
    print(f"{args.packets} packets a level, seed {args.seed}" + (", AFSK packets in the gaps" if args.afsk else ""))
    print("| modem | Eb/N0 dB | gate off | gate | lost / gained | no latch | lost / gained | CPU s off / gate |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    totals = [0, 0, 0, 0]
    for index, name in enumerate(args.modems.split(",")):
        sent = {frame for frame in frames_for(args.packets, args.seed + index, name)}
        for level in args.levels:
            audio = recording(name, sorted(sent), level, args.seed * 100 + index * 10 + int(level), args.afsk)
            off, off_s = decoded(audio, gate=False)
            on, on_s = decoded(audio, gate=True)
            alone, _ = decoded(audio, gate=True, latch=False)
            off, on, alone = off & sent, on & sent, alone & sent
            lost, lost_alone = len(off - on), len(off - alone)
            totals = [a + b for a, b in zip(totals, (lost, len(on - off), lost_alone, len(alone - off)))]
            print(f"| {name} | {level:g} | {len(off)} | {len(on)} | {lost} / {len(on - off)} | {len(alone)} | "
                  f"{lost_alone} / {len(alone - off)} | {off_s:.1f} / {on_s:.1f} |", flush=True)
    print(f"frames lost / gained: gate {totals[0]} / {totals[1]}, no latch {totals[2]} / {totals[3]}")


if __name__ == "__main__":
    main()
