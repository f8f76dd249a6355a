"""campaign on Dask: 52 SIMULATED SatNOGS observations (carrier on the track, silent, a carrier on the ground,
FM audio only), on a two-worker local cluster and on a real ``dask scheduler`` + ``dask worker`` pair."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import free_port, wait_for

from groundstation.satnogs.campaign import CACHE_FOLDER

COUNTS = {"carrier": 16, "silent": 16, "terrestrial": 12, "fm-audio": 8}
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def simulated_campaign(tmp_path_factory):
    from groundstation.satnogs.synthetic import build_simulated_campaign

    folder = tmp_path_factory.mktemp("campaign")
    build_simulated_campaign(str(folder), COUNTS, seed=11)
    return folder


def _right_fraction(document: dict) -> float:
    rows = document["observations"]
    assert len(rows) == sum(COUNTS.values())
    right = 0
    for row in rows:
        with open(os.path.join(row["folder"], "metadata.json")) as file:
            expected = json.load(file)["groundstation:expected_verdict"]
        right += row["verdict"] == expected
    return right / len(rows)


def test_campaign_on_a_two_worker_local_cluster_and_its_cache(simulated_campaign, run_cli, tmp_path):
    shutil.rmtree(simulated_campaign / CACHE_FOLDER, ignore_errors=True)
    plot = tmp_path / "campaign.png"
    result = run_cli("campaign", simulated_campaign, "--sat", "58400", "--workers", "2", "--format", "json",
                     "--plot", plot)
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert document["checked_now"] == sum(COUNTS.values())
    assert _right_fraction(document) >= 0.95
    summary = document["summary"]
    assert summary["simulated"] and summary["best_limit"]["upper_limit_cn0_dbhz"] < 20
    assert len(summary["transmitting"]) >= 0.95 * COUNTS["carrier"]
    assert set(summary["by_station"]) == {"9000", "9001", "9002"}
    assert plot.stat().st_size > 1000
    fm_rows = [row for row in document["observations"] if row.get("mode") == "AFSK"]
    assert all("FM-discriminator audio" in row["line"] and row["quieting_db"] is not None for row in fm_rows)
    again = run_cli("campaign", simulated_campaign, "--sat", "58400", "--workers", "2")
    assert again.code == 0, again.err
    assert f"{sum(COUNTS.values())} observations, 0 checked now" in again.out
    assert "agreement with SatNOGS vetting" in again.out


def _start(arguments: list[str], log: Path) -> subprocess.Popen:
    environment = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with open(log, "wb") as stream:
        return subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_" + arguments[0], *arguments[1:]],
                                stdout=stream, stderr=subprocess.STDOUT, env=environment, cwd=str(ROOT))


def test_campaign_on_a_scheduler_at_an_address(simulated_campaign, run_cli, tmp_path):
    shutil.rmtree(simulated_campaign / CACHE_FOLDER, ignore_errors=True)
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = _start(["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                       tmp_path / "scheduler.log")
    worker = None
    try:
        wait_for(lambda: "Scheduler at" in (tmp_path / "scheduler.log").read_text(), "the dask scheduler")
        worker = _start(["worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard",
                         "--host", "127.0.0.1"], tmp_path / "worker.log")
        wait_for(lambda: (tmp_path / "worker.log").read_text().count("Registered to") >= 2, "two dask workers")
        result = run_cli("campaign", simulated_campaign, "--sat", "58400", "--scheduler", address, "--format", "json")
        assert result.code == 0, result.err
        document = json.loads(result.out)
        assert document["checked_now"] == sum(COUNTS.values())
        assert _right_fraction(document) >= 0.95
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.terminate()
        for process in (worker, scheduler):
            if process is not None:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def test_a_bad_scheduler_address_is_one_line(run_cli, simulated_campaign):
    shutil.rmtree(simulated_campaign / CACHE_FOLDER, ignore_errors=True)
    result = run_cli("campaign", simulated_campaign, "--sat", "58400", "--scheduler", f"tcp://127.0.0.1:{free_port()}")
    assert result.code == 2 and "cannot connect" in result.err


def test_observations_of_another_object_are_left_out(run_cli, simulated_campaign):
    result = run_cli("campaign", simulated_campaign, "--sat", "41332")
    assert result.code == 2 and "no observation folders of NORAD 41332" in result.err
    assert f"{sum(COUNTS.values())} observations of other objects left out" in result.err
