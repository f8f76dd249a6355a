"""Test audio from direwolf's gen_packets with white noise at a set Eb/N0, and the peers' frame counts.

Eb/N0 = (signal power / noise variance) x (fs / 2) / bitrate, with the signal power measured over the
samples where a packet is on the air (gen_packets leaves exact silence between packets).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import wave

import numpy as np

WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa "
         "quebec romeo sierra tango uniform victor whiskey xray yankee zulu telemetry battery solar panel "
         "temperature mode beacon uplink orbit").split()


def packet_texts(count: int, seed: int) -> list[str]:
    """Fresh monitor lines for each seed: numbered, random words, random lengths."""
    rng = np.random.default_rng(seed)
    lines = []
    for number in range(count):
        words = " ".join(rng.choice(WORDS, size=int(rng.integers(4, 14))))
        lines.append(f"N{int(rng.integers(0, 10))}TEST-{number % 16}>SAT{seed % 100},WIDE1-1:{number:04d} {words}")
    return lines


def read_wav(path: str) -> tuple[np.ndarray, int]:
    with wave.open(path) as file:
        data = np.frombuffer(file.readframes(file.getnframes()), "<i2").astype(np.float64)
        return data, file.getframerate()


def write_wav(path: str, samples: np.ndarray, rate: int) -> None:
    with wave.open(path, "wb") as file:
        file.setnchannels(1), file.setsampwidth(2), file.setframerate(rate)
        file.writeframes(np.clip(np.rint(samples), -32767, 32767).astype("<i2").tobytes())


def on_air_mask(samples: np.ndarray, min_gap: int = 50) -> np.ndarray:
    """True where a packet is on the air: everything but runs of at least ``min_gap`` exact zeros."""
    silent = samples == 0
    edges = np.diff(np.concatenate([[0], silent.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    mask = np.ones(len(samples), bool)
    for start, end in zip(starts, ends):
        if end - start >= min_gap:
            mask[start:end] = False
    return mask


def make_clean(folder: str, texts: list[str], baud: int, rate: int = 48000) -> str:
    source = os.path.join(folder, "packets.txt")
    with open(source, "w") as file:
        file.write("\n".join(texts) + "\n")
    out = os.path.join(folder, f"clean-{baud}.wav")
    speed = ["-B", str(baud)] if baud != 1200 else []
    subprocess.run(["gen_packets", "-r", str(rate), *speed, "-o", out, source], check=True, capture_output=True)
    return out


def add_noise(clean_path: str, out_path: str, ebn0_db: float, baud: int, seed: int, twist_kind: str = "flat",
              impulses_db: float | None = None) -> str:
    """Write ``clean_path`` with white noise at ``ebn0_db`` to ``out_path``: first through ``twist`` of
    ``twist_kind`` (the Eb/N0 is that of the twisted signal), then, with ``impulses_db``, clicks that many dB
    above the signal's peak (``add_impulses``, two a second); scaled to half of full scale."""
    samples, rate = read_wav(clean_path)
    on_air = on_air_mask(samples)
    samples = twist(samples, rate, twist_kind)
    signal_power = np.mean(samples[on_air] ** 2)
    noise_variance = signal_power * (rate / 2) / baud / 10 ** (ebn0_db / 10)
    noisy = samples + np.random.default_rng(seed).normal(0.0, np.sqrt(noise_variance), len(samples))
    if impulses_db is not None:
        noisy += add_impulses(samples, rate, impulses_db, 2.0, seed + 1) - samples
    scale = 0.5 * 32767 / np.max(np.abs(noisy))
    write_wav(out_path, noisy * scale, rate)
    return out_path


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def atest_infos(path: str, baud: int) -> list[str]:
    """Info fields direwolf's atest decodes with its best profile (`-P E+ -F 1`, `-B 9600 -P + -F 1`)."""
    options = ["-P", "E+", "-F", "1"] if baud == 1200 else ["-B", str(baud), "-P", "+", "-F", "1"]
    output = subprocess.run(["atest", *options, path], capture_output=True, text=True, errors="replace").stdout
    infos = []
    for line in _ANSI.sub("", output).splitlines():
        match = re.match(r"^\[[\d.]+\](?: <[^>]*>)? ?[A-Z0-9-]+>[^:]*:(.*)$", line)
        if match:
            infos.append(match.group(1).removesuffix("<0x0a>"))
    return infos


def multimon_count(path: str, baud: int) -> int | None:
    """Frames multimon-ng decodes (it reads WAV through sox)."""
    if shutil.which("multimon-ng") is None or shutil.which("sox") is None:
        return None
    mode = {1200: "AFSK1200", 9600: "FSK9600"}.get(baud)
    output = subprocess.run(["multimon-ng", "-q", "-t", "wav", "-a", mode, path], capture_output=True,
                            text=True).stdout
    return sum(1 for line in output.splitlines() if line.startswith(f"{mode}: fm "))


def run_measured(command: list[str], env: dict | None = None) -> tuple[subprocess.CompletedProcess, float, int | None]:
    """Run ``command``; return it, its wall seconds and its peak memory in kB (GNU time's %M, measured in a
    fresh process: a child forked from a big parent would otherwise inherit the parent's high-water mark)."""
    import time

    timer = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)
    prefix = [timer, "-f", "peak_rss_kb %M"] if timer else []
    began = time.perf_counter()
    completed = subprocess.run(prefix + command, capture_output=True, text=True, check=True, env=env)
    seconds = time.perf_counter() - began
    match = re.search(r"peak_rss_kb (\d+)", completed.stderr)
    return completed, seconds, int(match.group(1)) if match else None


#: FM pre-emphasis time constant of narrow-band FM radios (750 us: +6 dB an octave above 212 Hz).
EMPHASIS_TAU_S = 750e-6


def twist(samples: np.ndarray, rate: int, kind: str) -> np.ndarray:
    """``samples`` through FM pre-emphasis (``"pre"``, +6 dB an octave: the 2200 Hz tone 5.3 dB above the
    1200 Hz one) or de-emphasis (``"de"``, -6 dB an octave), as a radio without a flat audio output gives it;
    ``"flat"`` returns them unchanged. The filters are first order, normalised to unity gain at 1200 Hz.

    >>> audio = np.sin(2 * np.pi * 2200 * np.arange(4800) / 48000)
    >>> float(round(20 * np.log10(np.std(twist(audio, 48000, "pre")[480:]) / np.std(audio[480:])), 1))
    5.1
    """
    from scipy.signal import bilinear, freqz, lfilter

    if kind == "flat":
        return samples
    high_s = 1 / (2 * np.pi * 12_000.0)  # a second pole keeps the pre-emphasis proper, well above the tones
    zeros, poles = ([EMPHASIS_TAU_S, 1.0], [high_s, 1.0]) if kind == "pre" else ([1.0], [EMPHASIS_TAU_S, 1.0])
    b, a = bilinear(zeros, poles, rate)
    _, gain = freqz(b, a, worN=[1200.0], fs=rate)
    return lfilter(b / abs(gain[0]), a, samples)


def add_impulses(samples: np.ndarray, rate: int, above_peak_db: float, per_second: float, seed: int) -> np.ndarray:
    """``samples`` with clicks (1 ms decaying oscillations, random polarity and ring frequency) at random
    times, ``per_second`` on average, their peaks ``above_peak_db`` above the signal's own peak: ignition,
    switching and static crashes, which set an AGC's level and leave the signal far below the file's peak."""
    rng = np.random.default_rng(seed)
    out = np.array(samples, np.float64)
    peak = np.max(np.abs(samples)) * 10 ** (above_peak_db / 20)
    length = int(0.001 * rate)
    envelope = np.exp(-np.arange(length) / (0.2 * length))
    for start in rng.integers(0, len(out) - length, rng.poisson(per_second * len(out) / rate)):
        ring_hz = rng.uniform(500.0, 5000.0)
        click = peak * rng.choice((-1, 1)) * envelope * np.cos(2 * np.pi * ring_hz * np.arange(length) / rate)
        out[start:start + length] += click
    return out
