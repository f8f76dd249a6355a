"""Benchmark: simulating a pass at 250 kS/s cf32 (whole process, one core), 2 and 10 minutes.

Run: python tests/benchmarks/bench_simulate.py [OUT_DIR]
Prints seconds, real-time factor and peak memory for each length: memory must
not grow with the length of the pass.
"""

from __future__ import annotations

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))

from peers import run_measured  # noqa: E402


def run(duration_s: int, folder: str) -> tuple[float, int]:
    out = os.path.join(folder, f"bench-{duration_s}.sigmf-meta")
    command = [sys.executable, "-m", "groundstation", "simulate", "--sat", "Malligyong-1", "--station", "37.57,126.98",
               "--start", "2024-06-12T14:22:00Z", "--duration", str(duration_s), "--samplerate", "250000",
               "--freq", "435e6", "--modem", "fsk9600-g3ruh", "--datatype", "cf32_le", "--out", out]
    environment = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    _, seconds, rss_kb = run_measured(command, env=environment)
    os.remove(out)
    os.remove(out.replace("meta", "data"))
    return seconds, rss_kb


def main() -> None:
    if len(sys.argv) > 1:
        measure(sys.argv[1])
    else:
        with tempfile.TemporaryDirectory(prefix="groundstation-bench-") as folder:
            measure(folder)


def measure(folder: str) -> None:
    print(f"{'pass length':>12} {'seconds':>8} {'x real time':>12} {'peak RSS MB':>12}")
    for duration_s in (120, 600):
        seconds, rss_kb = run(duration_s, folder)
        print(f"{duration_s:>10} s {seconds:8.1f} {duration_s / seconds:12.1f} {rss_kb / 1024:12.0f}")


if __name__ == "__main__":
    main()
