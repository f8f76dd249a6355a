"""check on SatNOGS observations: SIMULATED waterfalls (the project's simulator through the station's Doppler
correction and waterfall sink), the three waterfall forms, and bad files."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from groundstation.errors import UserError
from groundstation.satnogs.artifact import read_artifact
from groundstation.satnogs.datfile import read_dat, write_dat
from groundstation.satnogs.synthetic import build_simulated_campaign


@pytest.fixture(scope="module")
def observations(tmp_path_factory):
    folder = tmp_path_factory.mktemp("observations")
    paths = build_simulated_campaign(str(folder), {"carrier": 1, "silent": 1, "terrestrial": 1, "fm-audio": 1},
                                     seed=5, cn0_dbhz={"carrier": 22.0})
    by_scenario = {}
    for path in paths:
        with open(f"{path}/metadata.json") as file:
            by_scenario[json.load(file)["groundstation:scenario"]] = path
    return by_scenario


@pytest.mark.parametrize("scenario, verdict, code", [
    ("carrier", "TRANSMITTING", 0), ("silent", "NO SIGNAL DETECTED", 3),
    ("terrestrial", "SIGNAL NOT FROM THIS SATELLITE", 4), ("fm-audio", "CANNOT TELL", 5)])
def test_check_gives_each_observation_its_verdict(observations, run_cli, scenario, verdict, code):
    result = run_cli("check", observations[scenario], "--sat", "Malligyong-1", "--format", "json")
    assert result.code == code, result.err
    document = json.loads(result.out)
    assert document["verdict"] == verdict and document["simulated"]
    if scenario == "carrier":
        assert document["track"]["cn0_dbhz"] > 15
        assert abs(document["track"]["rest_frequency_hz"] - 435e6) < 5100  # the offset drawn: +-5 kHz
    if scenario == "silent":
        assert 5 < document["upper_limit_cn0_dbhz"] < 20
    if scenario == "terrestrial":
        assert "terrestrial" in document["line"]
    if scenario == "fm-audio":
        assert "quieting" in document["line"] and "not whose signal" in document["line"]


def test_the_artefact_alone_and_its_dat_twin_give_the_same_verdict(observations, run_cli, tmp_path):
    artifact = next(path for path in __import__("pathlib").Path(observations["carrier"]).glob("*.h5"))
    alone = run_cli("check", artifact, "--sat", "58400")
    assert alone.code == 0, alone.err
    waterfall = read_artifact(str(artifact))
    assert waterfall.waterfall.channels == 1024 and waterfall.waterfall.ffts_per_row == 5
    dat = tmp_path / "waterfall.dat"
    write_dat(str(dat), waterfall.waterfall, waterfall.frequency_hz)
    read, centre_hz = read_dat(str(dat))
    assert centre_hz == waterfall.frequency_hz
    assert np.allclose(read.power_db, waterfall.waterfall.power_db)
    assert np.allclose(read.times_s, waterfall.waterfall.times_s, atol=1e-6)


def test_bad_artefacts_are_one_line_errors(observations, tmp_path, run_cli):
    artifact = next(__import__("pathlib").Path(observations["silent"]).glob("*.h5"))
    broken = tmp_path / "broken.h5"
    broken.write_bytes(artifact.read_bytes())
    with h5py.File(broken, "r+") as file:
        del file["waterfall/frequency"]
        file["waterfall/frequency"] = np.full(1024, np.nan)
    with pytest.raises(UserError, match="channel frequencies are not finite"):
        read_artifact(str(broken))
    with h5py.File(broken, "r+") as file:
        file.attrs["artifact_version"] = 3
    result = run_cli("check", broken, "--sat", "58400")
    assert result.code == 2 and "artifact_version" in result.err
    short = tmp_path / "short.dat"
    short.write_bytes(b"2024-06-12T14:22:00.000000Z")
    with pytest.raises(UserError, match="52-byte header"):
        read_dat(str(short))
