"""Benchmark (soak): a simulated rtl_tcp stream at 1.024 MS/s in real time, decoded live for an hour.

``serve-rtl-tcp --simulate --realtime`` serves a stretch of Malligyong-1 passes
over Seoul with an afsk1200 beacon; ``listen --rtl-tcp`` decodes it with
Doppler from the orbit. Samples are counted on both sides (made but dropped
because the client fell more than rtl_tcp's queue behind, served, received,
lost in gaps) and the listener's resident memory is sampled every 10 s.

Run: python tests/benchmarks/bench_live_soak.py [--minutes 60] [--rate 1024000] [--nice N]
``--nice N`` runs server and listener at that niceness (negative needs root), as a station would give its
receiver priority over other work on the machine. The CPU each used (user + system) is reported.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START = "2024-06-12T14:22:00Z"  # pass 2 of README's example begins here
PASS = ["--sat", "Malligyong-1", "--station", "37.57,126.98", "--start", START, "--freq", "435e6"]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process so far (``/proc/PID/stat``, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--rate", type=int, default=1_024_000)
    parser.add_argument("--nice", type=int, default=0, help="niceness of server and listener")
    args = parser.parse_args()
    priority = ["nice", "-n", str(args.nice)] if args.nice else []
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    duration_s = args.minutes * 60
    server = subprocess.Popen(
        [*priority, sys.executable, "-m", "groundstation", "serve-rtl-tcp", "--simulate", *PASS, "--duration", str(duration_s),
         "--modem", "afsk1200", "--samplerate", str(args.rate), "--realtime", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    time.sleep(3)
    listen = subprocess.Popen(
        [*priority, sys.executable, "-m", "groundstation", "listen", "--rtl-tcp", f"127.0.0.1:{port}", "--freq", "435e6",
         "--samplerate", str(args.rate), "--modem", "afsk1200", "--sat", "Malligyong-1", "--station", "37.57,126.98",
         "--start-time", START], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    memory = []
    began = time.monotonic()
    server_cpu_s = 0.0
    while server.poll() is None and time.monotonic() - began < duration_s + 120:
        time.sleep(10)
        if listen.poll() is None:
            memory.append((time.monotonic() - began, rss_mb(listen.pid)))
        if server.poll() is None:
            server_cpu_s = cpu_s(server.pid)
    server.wait(60)
    time.sleep(2)
    listen_cpu_s = cpu_s(listen.pid)
    listen.send_signal(signal.SIGINT)
    listen_err = listen.communicate(timeout=60)[1]
    server_err = server.communicate(timeout=10)[1]
    served = int(re.search(r"(\d+) samples served", server_err).group(1))
    dropped_match = re.search(r"(\d+) dropped", server_err)
    dropped = int(dropped_match.group(1)) if dropped_match else 0
    summary = listen_err.strip().splitlines()[-1]
    received = int(re.search(r"; (\d+) samples", summary).group(1))
    lost = re.search(r"(\d+) lost in gaps", summary)
    print("| minutes | rate S/s | served | dropped by the server | received | lost in gaps | frames "
          "| RSS first / middle / last (MB) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    frames = re.search(r"(\d+) frames? from", summary).group(1)
    rss = [memory[0][1], memory[len(memory) // 2][1], memory[-1][1]] if memory else [float("nan")] * 3
    print(f"| {args.minutes:g} | {args.rate} | {served} | {dropped} | {received} | {lost.group(1) if lost else 0} | {frames} | "
          f"{rss[0]:.0f} / {rss[1]:.0f} / {rss[2]:.0f} |")
    print(summary)
    print("dropped samples (server queue overflow, served but not received):", dropped, served - received)
    print(f"CPU: listener {listen_cpu_s:.0f} s ({100 * listen_cpu_s / duration_s:.0f} % of a core), "
          f"server at least {server_cpu_s:.0f} s ({100 * server_cpu_s / duration_s:.0f} %); niceness {args.nice}")


if __name__ == "__main__":
    main()
