"""Benchmark: `check` on simulated passes with known truth.

Run: python tests/benchmarks/bench_check.py [--trials 20] [--noise-runs 200] [--attribution 50] [--plot FILE.png]
     [--parts 1234] [--modems cw,afsk1200] [--grid 'afsk1200:25,30;cw:8'] [--rate 250000] [--seed N]

1. Detection probability against C/N0 (at closest approach) for cw, afsk1200 and fsk9600-g3ruh: 5-minute
   recordings around TCA of Malligyong-1 over Seoul at 48 kS/s (or --rate), a random transmitter offset (+-5 kHz)
   and a random linear drift (+-300 Hz), fresh seeds. A detection counts if the verdict is TRANSMITTING and the
   reported frequency is within 1.5 kHz of the truth. Rates come with their 95 % (Clopper-Pearson) interval.
2. False alarms: the same recordings with no transmitter (`none`). Parts 1 and 2 skip the limits' injection
   trials (check_recording(state_limits=False)): the verdict is decided before them.
3. Attribution: for satellites of the bundled amateur snapshot (near its epoch), a 25 dB-Hz carrier on a pass
   over Leiden: does the raw-signal attribution rank the right object first? And a fixed carrier on the same
   passes (the satellite silent): is it ever attributed to a satellite?
4. Speed: a 10-minute 250 kS/s recording, whole process, one core.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import sys
import tempfile
import time
from datetime import timedelta

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))

from groundstation.detection.attribution import FLAT  # noqa: E402
from groundstation.detection.check import TRANSMITTING, check_recording  # noqa: E402
from groundstation.dsp.modems import modem  # noqa: E402
from groundstation.orbits.elements import ElementStore  # noqa: E402
from groundstation.orbits.orbit import Tracker  # noqa: E402
from groundstation.orbits.station import SEOUL, Station  # noqa: E402
from groundstation.recordings.readers import open_recording  # noqa: E402
from groundstation.simulation.simulator import SimulationConfig, simulate  # noqa: E402

GRID_DBHZ = {"cw": (4, 6, 8, 10), "afsk1200": (20, 25, 30, 35), "fsk9600-g3ruh": (30, 35, 40, 45)}
FREQ_HZ = 435e6
DURATION_S = 300.0


def interval(hits: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson interval of a rate of ``hits`` in ``trials``."""
    from scipy.stats import beta

    if trials == 0:
        return 0.0, 1.0
    tail = (1 - confidence) / 2
    low = 0.0 if hits == 0 else float(beta.ppf(tail, hits, trials - hits + 1))
    high = 1.0 if hits == trials else float(beta.ppf(1 - tail, hits + 1, trials - hits))
    return low, high


def rate_text(hits: int, trials: int) -> str:
    low, high = interval(hits, trials)
    return f"{hits}/{trials} ({100 * hits / max(trials, 1):.1f} %, 95 % interval {100 * low:.1f}-{100 * high:.1f} %)"


def one_trial(folder, store, tracker, tca, modem_name, cn0, seed, interferer=None, rate_sps=48000,
              state_limits=True):
    rng = np.random.default_rng(seed)
    offset = float(rng.uniform(-5000, 5000))
    drift = float(rng.uniform(-300, 300))
    config = SimulationConfig(tracker=tracker, start=tca - timedelta(seconds=DURATION_S / 2), duration_s=DURATION_S,
                              freq_hz=FREQ_HZ + offset, modem=modem(modem_name), rate_sps=rate_sps, cn0_dbhz=cn0,
                              seed=seed, drift_hz=drift, interferer=interferer)
    config.offset_hz = offset  # the recording stays centred on FREQ_HZ: the transmitter is off by `offset`
    meta = os.path.join(folder, "trial.sigmf-meta")
    simulate(config, meta, tracker.name, "ci16_le")
    result = check_recording(open_recording(meta), tracker, store, {}, freq_hz=FREQ_HZ, decode=False,
                             state_limits=state_limits)
    truth_hz = FREQ_HZ + offset + drift / 2
    hit = result.verdict.name == TRANSMITTING and abs(result.rest_freq_hz - truth_hz) < 1500
    return hit, result


def detection(folder, trials, seed0, modems=None, rate_sps=48000):
    store = ElementStore.bundled()
    tracker = Tracker(store.newest(58400), SEOUL, "Malligyong-1")
    tca = max(tracker.passes(tracker.element_set.epoch, tracker.element_set.epoch + timedelta(days=1)),
              key=lambda item: item.max_elevation_deg).tca
    curves = {}
    for modem_name, grid in GRID_DBHZ.items():
        if modems and modem_name not in modems:
            continue
        curves[modem_name] = []
        for cn0 in grid:
            if trials == 0:
                continue
            hits = by_bursts = by_lines = 0
            for trial in range(trials):
                hit, result = one_trial(folder, store, tracker, tca, modem_name, cn0, seed0 + 1000 * cn0 + trial,
                                        rate_sps=rate_sps, state_limits=False)
                hits += hit
                by_bursts += hit and result.finding.detector == "bursts"
                by_lines += hit and result.finding.detector == "lines"
            curves[modem_name].append(hits / trials)
            print(f"  {modem_name:14} C/N0 {cn0:3d} dB-Hz, {rate_sps / 1e3:g} kS/s: detected {rate_text(hits, trials)}; "
                  f"by the burst search alone {by_bursts}, by the AFSK line search alone {by_lines}", flush=True)
    return curves, store, tracker, tca


def false_alarms(folder, runs, store, tracker, tca, seed0):
    alarms = by_bursts = by_lines = 0
    line_smallest = []
    smallest = []  # the pass-average search's false-alarm probabilities, to see how far the threshold is
    for run in range(runs):
        # the verdict is decided before the limits' injection trials: skip them (two thirds of the CPU time)
        hit, result = one_trial(folder, store, tracker, tca, "none", 0.0, seed0 + run, state_limits=False)
        alarms += result.verdict.name == TRANSMITTING
        if result.verdict.name == TRANSMITTING:
            print(f"  TRANSMITTING on noise: seed {seed0 + run}, by {result.finding.detector}, "
                  f"probability {result.finding.pfa:.1e}", flush=True)
        by_bursts += result.verdict.name == TRANSMITTING and result.finding.detector == "bursts"
        by_lines += result.verdict.name == TRANSMITTING and result.finding.detector == "lines"
        if result.finding is not None:
            smallest = sorted(smallest + [result.finding.best.pfa])[:5]
            if result.finding.lines is not None:
                line_smallest = sorted(line_smallest + [result.finding.lines.pfa])[:3]
        if (run + 1) % 50 == 0:
            lines_text = ", ".join(f"{value:.1e}" for value in line_smallest)
            average_text = ", ".join(f"{value:.1e}" for value in smallest)
            print(f"  after {run + 1}: {alarms} TRANSMITTING ({by_bursts} by the burst search, {by_lines} by the AFSK "
                  f"line search, its smallest probabilities {lines_text}); smallest pass-average probabilities "
                  f"{average_text}", flush=True)
    return alarms


def attribution(folder, count, seed0):
    store = ElementStore.bundled()
    station = Station(52.0, 4.4, 0.0, "Leiden")
    start = min(s.epoch for norad in store.norads() for s in store.for_norad(norad) if norad != 58400)
    right = tried = attributed_interferer = alike = 0
    for norad in store.norads():
        if tried >= count or norad == 58400:
            continue
        element_set = store.nearest(norad, start)
        tracker = Tracker(element_set, station)
        passes = [item for item in tracker.passes(start, start + timedelta(days=1), 20.0)]
        if not passes:
            continue
        tca = passes[0].tca
        tried += 1
        _, result = one_trial(folder, store, tracker, tca, "cw", 25.0, seed0 + norad, state_limits=False)
        signals = result.to_json()["other_signals"]
        first = bool(signals and signals[0]["ranking"] and signals[0]["ranking"][0]["norad"] == norad)
        named = bool(signals and norad in signals[0]["indistinguishable_norads"])
        right += first or named
        alike += named
        if not (first or named):
            print(f"  NORAD {norad}: {signals[0]['matches'] if signals else 'no signal traced'}", flush=True)
        _, silent = one_trial(folder, store, tracker, tca, "none", 0.0, seed0 + norad + 1, interferer=(2500.0, -150.0),
                              state_limits=False)
        for signal in silent.to_json()["other_signals"]:
            attributed_interferer += signal["matches"] != FLAT and not signal["matches"].startswith("unidentified")
    return right, tried, attributed_interferer, alike


def speed(folder):
    import subprocess

    from peers import run_measured

    tracker_args = ["--sat", "Malligyong-1", "--station", "37.57,126.98", "--start", "2024-06-12T14:22:00Z"]
    meta = os.path.join(folder, "long.sigmf-meta")
    subprocess.run([sys.executable, "-m", "groundstation", "simulate", *tracker_args, "--duration", "600",
                    "--samplerate", "250000", "--freq", "435e6", "--modem", "cw", "--cn0", "20", "--datatype",
                    "ci16_le", "--out", meta], check=True, capture_output=True)
    ones = ["taskset", "-c", "0"] if os.path.exists("/usr/bin/taskset") else []
    _, seconds, rss_kb = run_measured(ones + [sys.executable, "-m", "groundstation", "check", meta,
                                              *tracker_args[:4], "--freq", "435e6", "--no-decode"])
    return 600.0 / seconds, rss_kb


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--noise-runs", type=int, default=200)
    parser.add_argument("--attribution", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7001)
    parser.add_argument("--plot", default="detection.png")
    parser.add_argument("--parts", default="1234", help="which parts to run (default all: 1234)")
    parser.add_argument("--modems", default="", help="detection: only these modems (comma-separated)")
    parser.add_argument("--rate", type=float, default=48000.0, help="detection: sample rate (S/s)")
    parser.add_argument("--grid", default="", help="detection: C/N0 points, e.g. 'afsk1200:25,30;cw:8'")
    args = parser.parse_args()
    for item in filter(None, args.grid.split(";")):
        name, points = item.split(":")
        GRID_DBHZ[name] = tuple(int(point) for point in points.split(","))
    folder = tempfile.mkdtemp()
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # nothing left in /tmp
    began = time.time()
    if "1" in args.parts or "2" in args.parts:
        print("1. detection probability (5-minute passes, unknown offset +-5 kHz, drift +-300 Hz)")
        curves, store, tracker, tca = detection(folder, args.trials if "1" in args.parts else 0, args.seed,
                                                [name for name in args.modems.split(",") if name], args.rate)
    if "2" in args.parts:
        print("2. false alarms")
        alarms = false_alarms(folder, args.noise_runs, store, tracker, tca, args.seed + 500_000)
        print(f"  TRANSMITTING verdicts in noise-only recordings: {rate_text(alarms, args.noise_runs)}")
    if "3" in args.parts:
        print("3. attribution at 25 dB-Hz")
        right, tried, wrong_interferer, alike = attribution(folder, args.attribution, args.seed + 900_000)
        print(f"  right object ranked first, or named among objects this recording cannot tell apart: "
              f"{rate_text(right, tried)} ({alike} named as indistinguishable); fixed carrier attributed to a "
              f"satellite: {rate_text(wrong_interferer, tried)}")
    if "4" in args.parts:
        print("4. speed")
        factor, rss_kb = speed(folder)
        print(f"  10-minute 250 kS/s recording: {factor:.1f}x real time, peak memory "
              f"{rss_kb / 1024 if rss_kb else 0:.0f} MB")
    if "1" not in args.parts:
        return
    from groundstation.outputs.plots import _pyplot

    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(6, 4))
    for modem_name, values in curves.items():
        axes.plot(GRID_DBHZ[modem_name][: len(values)], values, "o-", label=modem_name)
    axes.axhline(0.9, color="grey", linestyle=":")
    axes.set_xlabel("C/N0 at closest approach (dB-Hz)")
    axes.set_ylabel(f"detection probability ({args.trials} trials)")
    false_text = f"false alarms {alarms}/{args.noise_runs}" if "2" in args.parts else ""
    axes.set_title(f"check: 5-minute passes, 48 kS/s; {false_text}", fontsize=10)
    axes.legend()
    figure.savefig(args.plot, dpi=90, bbox_inches="tight")
    print(f"plot: {args.plot}; {time.time() - began:.0f} s in all")


if __name__ == "__main__":
    main()
