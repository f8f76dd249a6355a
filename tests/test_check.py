"""``groundstation check``: the three verdicts on simulated recordings, the report files."""

import json

SAT = ["--sat", "Malligyong-1", "--station", "37.57,126.98,38"]
WINDOW = ["--start", "2024-06-12T14:24:00Z", "--duration", "150", "--samplerate", "48000"]


def simulate(run_cli, tmp_path, name, *extra):
    out = tmp_path / f"{name}-simulated.sigmf-meta"
    result = run_cli("simulate", *SAT, "--freq", "435e6", *WINDOW, "--out", out, *extra)
    assert result.code == 0, result.err
    return out


def check(run_cli, recording, *extra):
    result = run_cli("check", recording, *SAT, "--freq", "435e6", "--format", "json", *extra)
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_transmitting_carrier_with_offset_and_drift(run_cli, tmp_path):
    recording = simulate(run_cli, tmp_path, "cw", "--modem", "cw", "--cn0", "25", "--offset", "2500", "--drift", "200",
                         "--seed", "1")
    numbers = check(run_cli, recording, "--no-decode")
    assert numbers["verdict"] == "TRANSMITTING"
    assert numbers["track"]["pfa"] < 1e-3
    assert abs(numbers["track"]["offset_from_freq_hz"] - 100) < 150  # the drift's middle
    assert 15 < numbers["track"]["cn0_dbhz"] < 28


def test_transmitting_beacon_is_decoded(run_cli, tmp_path):
    recording = simulate(run_cli, tmp_path, "afsk", "--modem", "afsk1200", "--cn0", "60", "--offset", "-1500",
                         "--beacon-interval", "15", "--seed", "2")
    numbers = check(run_cli, recording)
    truth = json.loads(recording.read_text())["global"]["groundstation:frames"]
    assert numbers["verdict"] == "TRANSMITTING"
    decoded = [frame["monitor"] for frame in numbers["frames"]]
    assert len(decoded) >= len(truth) - 2
    assert set(decoded) <= {frame["tnc2"] for frame in truth}


def test_silent_pass_gives_an_upper_limit(run_cli, tmp_path):
    recording = simulate(run_cli, tmp_path, "none", "--modem", "none", "--seed", "3")
    result = run_cli("check", recording, *SAT, "--freq", "435e6")
    assert result.code == 0
    assert result.out.startswith("NO SIGNAL DETECTED: no carrier stronger than ")
    assert "dB-Hz within +-10.0 kHz" in result.out


def test_terrestrial_interferer_is_not_the_satellite(run_cli, tmp_path):
    recording = simulate(run_cli, tmp_path, "interferer", "--modem", "none", "--interferer", "3000,-150", "--seed", "4")
    report = tmp_path / "report"
    numbers = check(run_cli, recording, "--report", report)
    assert numbers["verdict"] == "SIGNAL NOT FROM THIS SATELLITE"
    assert numbers["other_signals"][0]["matches"].startswith("a constant frequency")
    assert numbers["simulated"] is True
    for name in ("waterfall.png", "elevation.png"):
        assert (report / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from matplotlib.image import imread

    image = imread(report / "waterfall.png")
    assert image.shape[0] > 300 and image.shape[1] > 500 and image.std() > 0.05  # a picture, not a blank
    assert json.loads((report / "report.json").read_text())["verdict"] == "SIGNAL NOT FROM THIS SATELLITE"
    page = (report / "report.html").read_text()
    assert "data:image/png;base64," in page and "SIMULATED" in page


def test_bad_inputs(run_cli, tmp_path):
    audio = tmp_path / "audio.wav"
    import wave

    with wave.open(str(audio), "wb") as file:
        file.setnchannels(1), file.setsampwidth(2), file.setframerate(48000), file.writeframes(bytes(96000))
    result = run_cli("check", audio, *SAT)
    assert result.code == 2 and "IQ recording" in result.err
    raw = tmp_path / "capture.cf32"
    raw.write_bytes(bytes(8 * 48000))
    result = run_cli("check", raw, *SAT, "--samplerate", "48000")
    assert result.code == 2 and "--start-time" in result.err
