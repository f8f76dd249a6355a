"""The pass simulator: standard modulation (checked by direwolf), Doppler, truth metadata, bad input."""

import json
import re
import subprocess

import numpy as np
import pytest
from support import require_program

from groundstation.orbits.elements import ElementStore
from groundstation.recordings.readers import open_recording

# Pass 2 of Malligyong-1 over Seoul after 2024-06-12T06:00Z: AOS 14:22:01, TCA 14:27:33, LOS 14:33:03.
PASS = ["--sat", "Malligyong-1", "--station", "37.57,126.98,38"]
NEAR_TCA = ["--start", "2024-06-12T14:26:00Z"]


def simulate(run_cli, tmp_path, *extra, name="sim"):
    out = tmp_path / f"{name}.sigmf-meta"
    result = run_cli("simulate", *PASS, "--freq", "435e6", "--out", out, *extra)
    assert result.code == 0, result.err
    return out, result


def read_samples(meta) -> np.ndarray:
    """Every sample of a recording, through the project's reader (as full-scale complex floats)."""
    return np.concatenate([block.samples for block in open_recording(str(meta)).blocks(1 << 16)])


def atest_frames(atest, wav, *options):
    completed = subprocess.run([atest, *options, str(wav)], capture_output=True, text=True)
    return re.findall(r"SIMSAT>TLM:(SIMULATED beacon[^\x1b\n]*)", completed.stdout)


@pytest.mark.parametrize("modem_name, atest_options", [("afsk1200", []), ("fsk9600-g3ruh", ["-B", "9600"])])
def test_direwolf_decodes_every_simulated_frame(run_cli, tmp_path, modem_name, atest_options):
    atest = require_program("atest")
    wav = tmp_path / "audio.wav"
    meta, _ = simulate(run_cli, tmp_path, *NEAR_TCA, "--duration", "40", "--beacon-interval", "4", "--cn0", "75",
                       "--modem", modem_name, "--audio", wav, "--seed", "7")
    truth = json.loads(meta.read_text())["global"]["groundstation:frames"]
    assert len(truth) >= 9
    expected = [frame["tnc2"].split(":", 1)[1] for frame in truth]
    assert atest_frames(atest, wav, *atest_options) == expected


def test_cw_follows_the_predicted_doppler_within_10_hz(run_cli, tmp_path):
    meta, _ = simulate(run_cli, tmp_path, *NEAR_TCA, "--duration", "60", "--modem", "cw", "--samplerate", "48000",
                       "--cn0", "50")
    recording = open_recording(str(meta))
    truth = recording.metadata
    element_set = ElementStore.bundled().nearest(58400, recording.start_time)
    from groundstation.orbits.orbit import Tracker
    from groundstation.orbits.station import Station

    tracker = Tracker(element_set, Station(37.57, 126.98, 38))
    rate = recording.rate_sps
    errors = []
    for block in recording.blocks(int(rate)):  # 1-second FFTs
        spectrum = np.abs(np.fft.fft(block.samples * np.hanning(len(block.samples)))) ** 2
        peak = int(np.argmax(spectrum))
        left, middle, right = np.log(spectrum[[peak - 1, peak, (peak + 1) % len(spectrum)]])
        fraction = 0.5 * (left - right) / (left - 2 * middle + right)
        measured_hz = np.fft.fftfreq(len(spectrum), 1 / rate)[peak] + fraction * rate / len(spectrum)
        middle_time = recording.start_time.timestamp() + block.start_s + 0.5
        predicted_hz = float(tracker.doppler_hz(435e6, [middle_time])[0])
        errors.append(measured_hz - predicted_hz)
    assert truth["groundstation:modem"] == "cw" and len(errors) == 60
    assert np.max(np.abs(errors)) < 10.0
    assert np.ptp([float(tracker.doppler_hz(435e6, [recording.start_time.timestamp() + s])[0]) for s in (0, 60)]) > 3000


def test_truth_metadata_and_one_annotation_per_frame(run_cli, tmp_path):
    meta, result = simulate(run_cli, tmp_path, "--start", "2024-06-12T06:00Z", "--pass", "2", "--modem", "afsk1200",
                            "--beacon-interval", "30", "--offset", "3000", "--datatype", "cu8")
    assert "SIMULATED recording" in result.out
    document = json.loads(meta.read_text())
    info = document["global"]
    assert info["core:datatype"] == "cu8" and info["core:sample_rate"] == 48000
    assert "SIMULATED" in info["core:description"] and info["groundstation:simulated"] is True
    assert info["groundstation:norad"] == 58400 and info["groundstation:tle"][0].startswith("1 58400U")
    assert document["captures"][0]["core:frequency"] == 435e6 - 3000
    assert document["captures"][0]["core:datetime"].startswith("2024-06-12T14:22:01")
    frames = [a for a in document["annotations"] if a["core:label"].startswith("frame ")]
    assert len(frames) == len(document["annotations"]) == len(info["groundstation:frames"]) == 22
    assert [a["core:label"] for a in frames] == [f"frame {n}" for n in range(1, 23)]
    assert all("SIMULATED" in a["groundstation:tnc2"] for a in frames)
    cn0 = np.array(info["groundstation:cn0_dbhz"])[:, 1]
    assert cn0.max() == pytest.approx(60.0, abs=0.5) and cn0.min() < 52  # path loss over the pass


def test_same_seed_same_samples_and_null_transmitter(run_cli, tmp_path):
    common = [*NEAR_TCA, "--duration", "5", "--modem", "none"]
    first, _ = simulate(run_cli, tmp_path, *common, "--seed", "3", name="a")
    second, _ = simulate(run_cli, tmp_path, *common, "--seed", "3", name="b")
    third, _ = simulate(run_cli, tmp_path, *common, "--seed", "4", name="c")
    data = [path.with_suffix(".sigmf-data").read_bytes() for path in (first, second, third)]
    assert data[0] == data[1] != data[2]
    samples = read_samples(first)
    level = json.loads(first.read_text())["global"]["groundstation:sample_level"]
    assert np.mean(np.abs(samples) ** 2) == pytest.approx(level**2, rel=0.02)  # noise only, unit power x level^2
    assert json.loads(first.read_text())["annotations"] == []


def test_interferer_sits_where_asked(run_cli, tmp_path):
    meta, _ = simulate(run_cli, tmp_path, *NEAR_TCA, "--duration", "2", "--modem", "none", "--samplerate", "48000",
                       "--interferer", "2500,-120")
    samples = read_samples(meta)[:48000]
    spectrum = np.abs(np.fft.fft(samples)) ** 2
    assert np.fft.fftfreq(48000, 1 / 48000)[np.argmax(spectrum)] == 2500
    assert json.loads(meta.read_text())["global"]["groundstation:interferer"]["offset_hz"] == 2500


def test_link_budget_gives_a_lower_cn0_for_less_power(run_cli, tmp_path):
    def cn0_max(power):
        meta, _ = simulate(run_cli, tmp_path, *NEAR_TCA, "--duration", "2", "--modem", "cw", "--tx-power-dbm",
                           str(power), name=f"p{power}")
        return json.loads(meta.read_text())["global"]["groundstation:cn0_dbhz_at_closest_approach"]

    assert cn0_max(30) - cn0_max(20) == pytest.approx(10.0, abs=0.01)
    # 1 W, 0 dBi at about 900 km at 435 MHz: FSPL about 144 dB, so C/N0 about 30 - 144 + 172 = 58 dB-Hz.
    assert 50 < cn0_max(30) < 66


def test_frames_file_and_morse(run_cli, tmp_path):
    frames = tmp_path / "frames.txt"
    frames.write_text("# my frames\nN0CALL-1>CQ:SIMULATED hello one\nN0CALL-1>CQ,WIDE1-1:SIMULATED hello two\n")
    meta, _ = simulate(run_cli, tmp_path, *NEAR_TCA, "--duration", "12", "--beacon-interval", "5", "--modem",
                       "fsk1200", "--frames", frames)
    sent = [frame["tnc2"] for frame in json.loads(meta.read_text())["global"]["groundstation:frames"]]
    assert sent == ["N0CALL-1>CQ:SIMULATED hello one", "N0CALL-1>CQ,WIDE1-1:SIMULATED hello two",
                    "N0CALL-1>CQ:SIMULATED hello one"]
    morse, _ = simulate(run_cli, tmp_path, *NEAR_TCA, "--duration", "20", "--modem", "morse", "--morse-text",
                        "SIM TEST", name="morse")
    assert json.loads(morse.read_text())["global"]["groundstation:frames"][0]["tnc2"] == "SIM TEST"


def test_default_is_ci16_half_the_size_of_cf32_and_the_size_is_printed(run_cli, tmp_path):
    common = [*NEAR_TCA, "--duration", "4", "--modem", "afsk1200", "--beacon-interval", "2", "--samplerate", "48000"]
    small, printed = simulate(run_cli, tmp_path, *common, name="default")
    large, _ = simulate(run_cli, tmp_path, *common, "--datatype", "cf32_le", name="cf32")
    assert json.loads(small.read_text())["global"]["core:datatype"] == "ci16_le"
    small_bytes, large_bytes = (path.with_suffix(".sigmf-data").stat().st_size for path in (small, large))
    assert small_bytes == 4 * 48000 * 4 and large_bytes == 2 * small_bytes
    assert "48000 S/s ci16_le" in printed.out and "; 768 kB of samples)" in printed.out
    # The same noise and signal, quantised: within a few thousandths of full scale of the float file.
    level = json.loads(small.read_text())["global"]["groundstation:sample_level"]
    assert np.max(np.abs(read_samples(small) - level * read_samples(large))) < 2e-4
    decoded = run_cli("decode", small, "--modem", "afsk1200")
    assert decoded.out.count("SIMULATED beacon") == 2, decoded.err


@pytest.mark.parametrize("options", [
    ["--modem", "cw", "--cn0", "110"],  # a carrier far above the noise
    ["--modem", "bpsk1200", "--cn0", "95", "--beacon-interval", "1"],  # BPSK's pulses overshoot 1
    ["--modem", "none", "--interferer", "3000,-60"],  # a very strong terrestrial carrier
    ["--modem", "none", "--seed", "5"],  # noise only: it must still span many levels
])
@pytest.mark.parametrize("datatype, levels_per_unit", [("ci16_le", 32767.0), ("cu8", 127.5)])
def test_integer_formats_never_clip(run_cli, tmp_path, options, datatype, levels_per_unit):
    common = [*NEAR_TCA, "--duration", "3", "--samplerate", "48000", *options]
    meta, result = simulate(run_cli, tmp_path, *common, "--datatype", datatype, name="integers")
    floats, _ = simulate(run_cli, tmp_path, *common, "--datatype", "cf32_le", name="floats")
    assert "clipped" not in result.err
    # Every sample is the float one, scaled and rounded to the nearest level: none was cut at full scale.
    level = json.loads(meta.read_text())["global"]["groundstation:sample_level"]
    error = np.abs(read_samples(meta) - level * read_samples(floats))
    assert np.max(error) * levels_per_unit < 0.71  # half a level in I and in Q
    if datatype == "ci16_le":
        assert np.std(read_samples(meta)) * levels_per_unit > 300  # the noise spans hundreds of levels at least


@pytest.mark.parametrize(
    "args, message",
    [
        (["--modem", "afsk9", "--duration", "5"], "invalid choice"),
        (["--modem", "cw", "--duration", "5", "--interferer", "loud"], "HZ,DBM"),
        (["--modem", "cw", "--duration", "5", "--interferer", "90000,-100"], "outside the recorded band"),
        (["--modem", "cw", "--duration", "5", "--cn0", "40", "--tx-power-dbm", "30"], "not both"),
        (["--modem", "cw", "--pass", "99"], "only .* passes"),
    ],
)
def test_bad_options(run_cli, tmp_path, args, message):
    out = tmp_path / "x.sigmf-meta"
    try:
        result = run_cli("simulate", *PASS, "--freq", "435e6", "--out", out, "--start", "2024-06-12T14:26Z", *args)
    except SystemExit as exit_info:
        assert exit_info.code == 2
        return
    assert result.code == 2 and re.search(message, result.err), result.err
