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


def test_an_observation_that_cannot_be_checked_is_named_and_sets_exit_code_1(run_cli, simulated_campaign, tmp_path):
    observations = sorted(path for path in simulated_campaign.iterdir() if not path.name.startswith("."))
    for source in observations[:2]:
        shutil.copytree(source, tmp_path / "kms" / source.name)
    broken = tmp_path / "kms" / observations[1].name / "metadata.json"
    broken.write_text("{not json")
    result = run_cli("campaign", tmp_path / "kms", "--sat", "58400", "--workers", "1")
    assert result.code == 1, result.err
    assert f"ERROR in {tmp_path / 'kms' / observations[1].name}" in result.out
    assert broken.read_text() == "{not json"


@pytest.mark.parametrize("greeting", [None, b"SSH-2.0-OpenSSH_9.6\r\n"])
def test_a_scheduler_address_where_something_else_listens_fails_quickly(tmp_path, run_cli, monkeypatch, greeting):
    """A service that says nothing (Dask's Client would wait without end) or something else (Dask would read
    its banner as a frame length: "out of memory"): one line naming --scheduler."""
    import socket
    import threading

    from groundstation.commands import campaign

    monkeypatch.setattr(campaign, "SCHEDULER_PROBE_S", 1.0)
    (tmp_path / "1").mkdir()
    (tmp_path / "1" / "metadata.json").write_text(json.dumps({"id": 1, "norad_cat_id": 58400}))
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def serve():
        connection, _ = listener.accept()
        accepted.append(connection)
        if greeting:
            connection.sendall(greeting)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        result = run_cli("campaign", tmp_path, "--sat", "58400", "--scheduler",
                         f"tcp://127.0.0.1:{listener.getsockname()[1]}")
    finally:
        thread.join(5)
        for connection in accepted:
            connection.close()
        listener.close()
    assert result.code == 2 and "not as a Dask scheduler" in result.err and result.err.count("\n") == 1, result.err
    assert not (tmp_path / CACHE_FOLDER).exists()


def test_errors_are_named_in_the_summary_and_the_rows(capsys):
    """An observation that could not be read says which and why (its row had neither before)."""
    from types import SimpleNamespace

    from groundstation.commands.campaign import _print_summary
    from groundstation.satnogs.campaign import result_rows, summarise

    results = [{"folder": "kms/9183756", "verdict": "ERROR", "line": "ERROR: kms/9183756/metadata.json: not JSON",
                "exit_code": 2}]
    summary = summarise(results)
    assert summary["errors"] == [{"folder": "kms/9183756", "line": results[0]["line"]}]
    assert result_rows(results)[0]["observation"] == "9183756"
    _print_summary(summary, SimpleNamespace(name="Malligyong-1", norad=58400), 1, 1)
    assert "ERROR in kms/9183756: kms/9183756/metadata.json: not JSON" in capsys.readouterr().out
