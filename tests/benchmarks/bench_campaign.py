"""Campaign speed: SIMULATED SatNOGS observations checked per minute with 1, 2 and 4 Dask workers, and where
the time goes (download from a local HTTP server, reading the artefact, the search).

    nice -n 10 python tests/benchmarks/bench_campaign.py --count 24 --duration 300

The observations are made first (the project's simulator through the station's Doppler correction and
waterfall sink: carrier, silent, terrestrial carrier in equal parts), then served from 127.0.0.1 and
downloaded once, then checked on a fresh LocalCluster of each size (result cache emptied each time).
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

pytestmark = pytest.mark.benchmark


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main() -> int:
    from distributed import Client, LocalCluster

    from groundstation.satnogs.campaign import (
        ResultCache,
        find_observations,
        run_campaign,
    )
    from groundstation.satnogs.fetch import download
    from groundstation.satnogs.synthetic import build_simulated_campaign

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=24, help="observations (a third of each scenario)")
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of each observation")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--seed", type=int, default=8, help="of the simulated observations (7 and 99 chose the "
                        "waterfall check's false-alarm threshold: use others)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_campaign_"))
    try:
        third = args.count // 3
        started = time.perf_counter()
        build_simulated_campaign(str(work / "served"), {"carrier": third, "silent": third,
                                                        "terrestrial": args.count - 2 * third},
                                 duration_s=args.duration, seed=args.seed)
        made_s = time.perf_counter() - started
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(work / "served")))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        files = sorted((work / "served").glob("*/*.h5"))
        total_bytes = sum(path.stat().st_size for path in files)
        campaign = work / "campaign"
        shutil.copytree(work / "served", campaign)

        def fetch_one(path: Path) -> None:
            relative = path.relative_to(work / "served")
            download(f"http://127.0.0.1:{server.server_port}/{relative.as_posix()}", str(work / "dl" / path.name))

        (work / "dl").mkdir()
        started = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(fetch_one, files))
        download_s = time.perf_counter() - started
        server.shutdown()
        paths = find_observations(str(campaign))
        rows = []
        timings = []
        for workers in args.workers:
            shutil.rmtree(campaign / ".groundstation-campaign", ignore_errors=True)
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None, scheduler_kwargs={"dashboard": False})
            client = Client(cluster)
            client.run(lambda: __import__("groundstation.satnogs.checking"))  # imports before the clock starts
            cache = ResultCache(str(campaign), 58400, {"bench": workers})
            started = time.perf_counter()
            results, checked = run_campaign(client, paths, "58400", 58400, cache)
            wall_s = time.perf_counter() - started
            client.close()
            cluster.close()
            right = sum(row["verdict"] == _expected(row) for row in results)
            rows.append((workers, checked, wall_s, 60 * checked / wall_s, right))
            timings += [row.get("timing_s", {}) for row in results]
        read = statistics.median(t["read"] for t in timings if "read" in t)
        search = statistics.median(t["search"] for t in timings if "search" in t)
        total = statistics.median(t["total"] for t in timings if "total" in t)
        print(f"# bench_campaign {datetime.now(timezone.utc).isoformat(timespec='minutes')}, {args.count} SIMULATED "
              f"observations of {args.duration:g} s (seed {args.seed}), {os.cpu_count()} cores (shared), "
              f"load average {os.getloadavg()[0]:.1f}, made in {made_s:.0f} s")
        print("| workers | checked | wall s | observations / minute | right verdicts |")
        print("| --- | --- | --- | --- | --- |")
        for workers, checked, wall_s, per_minute, right in rows:
            print(f"| {workers} | {checked} | {wall_s:.1f} | {per_minute:.0f} | {right}/{checked} |")
        print(f"\nwhere the time goes, per observation (median): download {download_s / len(files):.3f} s "
              f"({total_bytes / len(files) / 1e6:.2f} MB, 4 at once from 127.0.0.1), read {read:.3f} s, "
              f"search {search:.3f} s, whole task {total:.3f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _expected(row: dict) -> str:
    import json

    with open(os.path.join(row["folder"], "metadata.json")) as file:
        return json.load(file)["groundstation:expected_verdict"]


def test_bench_campaign_runs():
    """Under ``pytest -m benchmark``: a small run."""
    sys.argv = ["bench_campaign.py", "--count", "6", "--duration", "60", "--workers", "1", "2"]
    assert main() == 0


if __name__ == "__main__":
    sys.exit(main())
