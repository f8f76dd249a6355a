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


def add_noise(clean_path: str, out_path: str, ebn0_db: float, baud: int, seed: int) -> str:
    samples, rate = read_wav(clean_path)
    signal_power = np.mean(samples[on_air_mask(samples)] ** 2)
    noise_variance = signal_power * (rate / 2) / baud / 10 ** (ebn0_db / 10)
    noisy = samples + np.random.default_rng(seed).normal(0.0, np.sqrt(noise_variance), len(samples))
    scale = 0.5 * 32767 / np.max(np.abs(noisy))
    write_wav(out_path, noisy * scale, rate)
    return out_path


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def atest_infos(path: str, baud: int) -> list[str]:
    """Info fields direwolf's atest decodes with its best profile (`-P E+ -F 1`, `-B 9600 -P + -F 1`)."""
    options = ["-P", "E+", "-F", "1"] if baud == 1200 else ["-B", str(baud), "-P", "+", "-F", "1"]
    output = subprocess.run(["atest", *options, path], capture_output=True, text=True).stdout
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
