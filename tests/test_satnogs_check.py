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


def test_the_stated_limit_is_what_the_search_finds(tmp_path):
    """NO SIGNAL DETECTED's limit (for a carrier drifting up to +-300 Hz) against SIMULATED carriers drifting
    240 to 300 Hz either way on the same pass: found 1.5 dB above it, not 2.5 dB below it (the simulator's carriers,
    through the station's correction and the waterfall sink)."""
    from datetime import datetime, timedelta, timezone

    from groundstation.detection.waterfall_check import check_waterfall
    from groundstation.orbits.elements import ElementStore
    from groundstation.orbits.orbit import Tracker
    from groundstation.orbits.station import Station
    from groundstation.satnogs.synthetic import simulated_waterfall

    store = ElementStore.bundled()
    station = Station(37.57, 126.98, 38.0)
    day = datetime(2024, 6, 12, tzinfo=timezone.utc)
    ours = Tracker(store.nearest(58400, day), station, "Malligyong-1")
    station_set = Tracker([s for s in store.for_norad(58400) if s.epoch < ours.element_set.epoch][-1], station)
    one_pass = next(p for p in ours.passes(day, day + timedelta(days=1)) if p.max_elevation_deg > 20)
    start = one_pass.tca - timedelta(seconds=30)
    silent = simulated_waterfall(ours, station_set, start, 60, 435e6, "silent", 0, seed=21)
    limit = check_waterfall(silent, 435e6, station_set, ours).limit_dbhz
    assert 3 < limit < 20

    def found(cn0_dbhz: float) -> int:
        verdicts = [check_waterfall(simulated_waterfall(ours, station_set, start, 60, 435e6, "carrier", cn0_dbhz,
                                                        seed=40 + trial, offset_hz=(trial - 2) * 3000.0,
                                                        drift_hz=(-1) ** trial * (240.0 + 15 * trial)),
                                    435e6, station_set, ours).verdict.name for trial in range(5)]
        return verdicts.count("TRANSMITTING")

    assert found(limit + 1.5) >= 4
    assert found(limit - 2.5) <= 1


def test_fm_audio_quieting_grows_with_the_signal(tmp_path):
    """What FM audio can tell: a strong SIMULATED FM beacon quiets the discriminator's noise, a weak one not."""
    from datetime import datetime, timedelta, timezone

    import soundfile

    from groundstation.orbits.elements import ElementStore
    from groundstation.orbits.orbit import Tracker
    from groundstation.orbits.station import Station
    from groundstation.satnogs.checking import fm_quieting_db
    from groundstation.satnogs.synthetic import simulated_fm_audio

    store = ElementStore.bundled()
    day = datetime(2024, 6, 12, tzinfo=timezone.utc)
    tracker = Tracker(store.nearest(58400, day), Station(37.57, 126.98, 38.0))
    tca = next(p for p in tracker.passes(day, day + timedelta(days=1)) if p.max_elevation_deg > 20).tca
    quieting = {}
    for cn0_dbhz in (25.0, 60.0):
        audio = simulated_fm_audio(tracker, tca, 20, 435e6, cn0_dbhz, seed=3)
        path = tmp_path / f"satnogs_1_{cn0_dbhz:.0f}.ogg"
        with soundfile.SoundFile(path, "w", 48000, 1, format="OGG", subtype="VORBIS") as out:
            for first in range(0, len(audio), 1 << 14):
                out.write(audio[first : first + (1 << 14)])
        quieting[cn0_dbhz] = fm_quieting_db(str(path))
    assert quieting[25.0] < 1.0 < 3.0 < quieting[60.0]


def test_a_dat_waterfall_or_only_a_picture(observations, tmp_path, run_cli):
    """The station's .dat in place of the artefact gives the same verdict; a folder with only the PNG cannot tell."""
    import shutil
    from pathlib import Path

    from PIL import Image, PngImagePlugin

    carrier = Path(observations["carrier"])
    artifact = read_artifact(str(next(carrier.glob("*.h5"))))
    with_dat = tmp_path / "with_dat"
    with_dat.mkdir()
    shutil.copy(carrier / "metadata.json", with_dat)
    write_dat(str(with_dat / "waterfall.dat"), artifact.waterfall, artifact.frequency_hz)
    from_dat = run_cli("check", with_dat, "--sat", "58400")
    assert from_dat.code == 0 and from_dat.out.splitlines()[-1].startswith("TRANSMITTING"), from_dat.err
    only_png = tmp_path / "only_png"
    only_png.mkdir()
    shutil.copy(carrier / "metadata.json", only_png)
    info = PngImagePlugin.PngInfo()
    info.add_text("satnogs:wf-dat", json.dumps({"timestamp": "2024-06-01T00:10:09.540000Z", "nchan": "1024",
                                                 "samp_rate": "48000", "nfft_per_row": "5",
                                                 "center_freq": "435000000", "endianness": "1"}))
    Image.new("RGB", (8, 8)).save(only_png / "waterfall_1.png", pnginfo=info)
    from_png = run_cli("check", only_png, "--sat", "58400")
    assert from_png.code == 5 and "picture" in from_png.out
    header = json.loads(run_cli("check", only_png, "--sat", "58400", "--format", "json").out)["png_header"]
    assert header["channels"] == 1024 and header["centre_hz"] == 435e6  # the header is read, as the README says
    # a picture of another name (a --plot written into the folder) is not the observation's waterfall
    (only_png / "waterfall_1.png").rename(only_png / "campaign_plot.png")
    renamed = json.loads(run_cli("check", only_png, "--sat", "58400", "--format", "json").out)
    assert renamed.get("png_header") is None


@pytest.mark.parametrize("change, message", [
    (lambda file: file.attrs.__setitem__("artifact_version", "two"), "artifact_version"),
    (lambda file: file.attrs.__setitem__("artifact_version", np.array([], dtype=int)), "artifact_version"),
    (lambda file: (file.__delitem__("waterfall/data"), file["waterfall"].create_group("data")), "not arrays of numbers"),
    (lambda file: (file.__delitem__("waterfall/offset"), file.create_dataset("waterfall/offset", data=[b"x"] * 1024)),
     "not arrays of numbers"),
    (lambda file: (file.__delitem__("waterfall/frequency"), file.create_dataset("waterfall/frequency", data=5.0)),
     "must be lists"),
])
def test_odd_datasets_in_an_artefact_are_one_line_errors(observations, tmp_path, run_cli, change, message):
    """Text, a group or a single number where the reader wants arrays of numbers (each was an internal error)."""
    artifact = next(__import__("pathlib").Path(observations["silent"]).glob("*.h5"))
    odd = tmp_path / "odd.h5"
    odd.write_bytes(artifact.read_bytes())
    with h5py.File(odd, "r+") as file:
        change(file)
    result = run_cli("check", odd, "--sat", "58400")
    assert result.code == 2 and message in result.err and "internal error" not in result.err, result.err
