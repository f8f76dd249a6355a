"""Benchmark: IQ input. A noisy gen_packets AFSK file FM-modulated onto a carrier (3 kHz deviation, 12 kHz off
centre, drifting slowly) as 240 kS/s cu8: frames decoded from the IQ by us (told nothing of the offset) beside
direwolf's atest on the audio itself. Then the same at 2.048 MS/s: speed and peak memory of the whole process.

Run: python tests/benchmarks/bench_iq.py [--seed N] [--ebn0 DB]
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))

from peers import (  # noqa: E402
    atest_infos,
    make_clean,
    on_air_mask,
    packet_texts,
    read_wav,
    run_measured,
    write_wav,
)


def fm_to_cu8(audio: np.ndarray, audio_rate: int, clean_peak: float, rate: int, path: str, seed: int,
              offset_hz: float = 12_000.0, drift_hz: float = 300.0) -> None:
    """FM-modulate audio (its clean tone peak -> 3 kHz deviation) at centre + offset, drifting slowly, as cu8."""
    rng = np.random.default_rng(seed)
    t_audio = np.arange(len(audio)) / audio_rate
    duration = len(audio) / audio_rate
    with open(path, "wb") as file:
        phase = 0.0
        block = rate  # one second at a time: memory does not grow
        for first in range(0, int(duration * rate), block):
            t = (first + np.arange(min(block, int(duration * rate) - first))) / rate
            modulating = np.interp(t, t_audio, audio) / clean_peak
            frequency = offset_hz + drift_hz * np.sin(2 * np.pi * t / duration) + 3000.0 * modulating
            phases = phase + 2 * np.pi * np.cumsum(frequency) / rate
            phase = float(phases[-1] % (2 * np.pi))
            iq = 0.5 * np.exp(1j * phases) + 0.02 * (rng.standard_normal(len(t)) + 1j * rng.standard_normal(len(t)))
            interleaved = np.empty(2 * len(t))
            interleaved[0::2], interleaved[1::2] = iq.real, iq.imag
            file.write(np.clip(np.rint(interleaved * 127.5 + 127.5), 0, 255).astype(np.uint8).tobytes())


def decode(path: str, rate: int) -> tuple[list[str], float, int]:
    completed, seconds, rss_kb = run_measured(
        [sys.executable, "-m", "groundstation", "decode", path, "--samplerate", str(rate), "--modem", "afsk1200",
         "--format", "jsonl"], env=dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1"))

    infos = [bytes.fromhex(json.loads(line)["info_hex"]).decode("latin-1").removesuffix("\n")
             for line in completed.stdout.splitlines()]
    return infos, seconds, rss_kb or 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=4001)
    parser.add_argument("--ebn0", type=float, default=10.0)
    parser.add_argument("--packets", type=int, default=100)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # nothing left in /tmp
    texts = packet_texts(args.packets, args.seed)
    sent = {line.split(":", 1)[1] for line in texts}
    clean = make_clean(folder, texts, 1200)
    clean_samples, audio_rate = read_wav(clean)
    signal_power = np.mean(clean_samples[on_air_mask(clean_samples)] ** 2)
    noise_variance = signal_power * (audio_rate / 2) / 1200 / 10 ** (args.ebn0 / 10)
    audio = clean_samples + np.random.default_rng(args.seed).normal(0, np.sqrt(noise_variance), len(clean_samples))
    noisy = os.path.join(folder, "noisy.wav")
    write_wav(noisy, audio * 0.5 * 32767 / np.max(np.abs(audio)), audio_rate)
    clean_peak = np.sqrt(2 * signal_power)  # the tones' amplitude: 3 kHz deviation
    atest_valid = len({info for info in atest_infos(noisy, 1200) if info in sent})
    print(f"afsk1200, {args.packets} packets at Eb/N0 {args.ebn0} dB (seed {args.seed}); "
          f"IQ: 3 kHz deviation, +12 kHz, 300 Hz drift")
    print(f"{'input':32} {'atest (audio)':>13} {'ours (IQ)':>10} {'x real time':>12} {'peak MB':>8}")
    for rate in (240_000, 2_048_000):
        path = os.path.join(folder, f"pass-{rate}.cu8")
        fm_to_cu8(audio, audio_rate, clean_peak, rate, path, args.seed)
        infos, seconds, rss_kb = decode(path, rate)
        valid = len({info for info in infos if info in sent})
        false = sum(info not in sent for info in infos)
        duration = len(audio) / audio_rate
        print(f"{f'{rate / 1e3:g} kS/s cu8 ({duration:.0f} s)':32} {atest_valid:13d} {valid:10d} "
              f"{duration / seconds:12.1f} {rss_kb / 1024:8.0f}" + (f"  FALSE {false}" if false else ""))
        os.remove(path)


if __name__ == "__main__":
    main()
