"""``groundstation check``: the three verdicts on simulated recordings, the report files."""

import json

SAT = ["--sat", "Malligyong-1", "--station", "37.57,126.98,38"]
WINDOW = ["--start", "2024-06-12T14:24:00Z", "--duration", "150", "--samplerate", "48000"]


def simulate(run_cli, tmp_path, name, *extra):
    out = tmp_path / f"{name}-simulated.sigmf-meta"
    result = run_cli("simulate", *SAT, "--freq", "435e6", *WINDOW, "--out", out, *extra)
    assert result.code == 0, result.err
    return out


EXIT_CODES = {"TRANSMITTING": 0, "NO SIGNAL DETECTED": 3, "SIGNAL NOT FROM THIS SATELLITE": 4, "CANNOT TELL": 5}


def check(run_cli, recording, *extra, sat=SAT, freq="435e6"):
    result = run_cli("check", recording, *sat, "--freq", freq, "--format", "json", *extra)
    numbers = json.loads(result.out)
    assert result.code == EXIT_CODES[numbers["verdict"]] == numbers["exit_code"], result.err
    return numbers


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
    assert result.code == 3
    assert result.out.startswith("NO SIGNAL DETECTED: no carrier stronger than ")
    assert "dB-Hz within +-10.0 kHz" in result.out
    assert "(150 s above 0 degrees of elevation)" in result.out


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
    assert result.code == 5 and result.out.startswith("CANNOT TELL: ") and "--start-time" in result.out


def test_a_band_never_recorded_cannot_tell(run_cli, tmp_path):
    recording = simulate(run_cli, tmp_path, "cw-band", "--modem", "cw", "--cn0", "30", "--seed", "5")
    numbers = check(run_cli, recording, "--no-decode", freq="145.8e6")
    assert numbers["verdict"] == "CANNOT TELL" and "was not recorded" in numbers["line"]
    assert numbers["upper_limit_cn0_dbhz"] is None


def test_half_a_band_recorded_is_searched_and_said(run_cli, tmp_path):
    recording = simulate(run_cli, tmp_path, "none-half", "--modem", "none", "--seed", "6")
    numbers = check(run_cli, recording, freq="435.02e6")  # +-10 kHz around it: half outside the 48 kHz recorded
    assert numbers["verdict"] == "NO SIGNAL DETECTED"
    assert "of the band asked for was recorded" in numbers["line"]
    low_hz, high_hz = numbers["searched_hz"]
    assert 435.01e6 <= low_hz and high_hz <= 435.024e6  # within the recording, less its filter edges and Doppler


def test_a_satellite_below_the_horizon_cannot_tell(run_cli, tmp_path):
    """A carrier on the track seen from Seoul, checked for a station in London where the satellite is far below
    the horizon: never NO SIGNAL DETECTED, never TRANSMITTING."""
    recording = simulate(run_cli, tmp_path, "cw-far", "--modem", "cw", "--cn0", "30", "--seed", "7")
    numbers = check(run_cli, recording, "--no-decode", sat=["--sat", "Malligyong-1", "--station=51.5,-0.1"])
    assert numbers["verdict"] == "CANNOT TELL" and "below 0 degrees of elevation" in numbers["line"]


def test_the_search_covers_only_the_time_above_min_elevation(run_cli, tmp_path):
    recording = simulate(run_cli, tmp_path, "none-low", "--modem", "none", "--seed", "8")
    numbers = check(run_cli, recording, "--min-elevation", "89")
    assert numbers["verdict"] == "CANNOT TELL" and "below 89 degrees" in numbers["line"]
    numbers = check(run_cli, recording, "--min-elevation", "20")
    assert numbers["verdict"] == "NO SIGNAL DETECTED"
    assert 0 < numbers["seconds_searched"] < 150 and "of 150 s recorded" in numbers["line"]


def test_the_stated_limit_holds_for_carriers_injected_into_the_recording(run_cli, tmp_path):
    """The promise of NO SIGNAL DETECTED: carriers at the stated limit + 1 dB (a random +-5 kHz offset, a random
    +-300 Hz drift, the pass's Doppler), added to the same recording's noise, are found at least 8 times in 10."""
    import numpy as np

    from groundstation.orbits.elements import ElementStore
    from groundstation.orbits.orbit import Tracker
    from groundstation.orbits.station import parse_station
    from groundstation.recordings.readers import open_recording

    silent = tmp_path / "silent-simulated.sigmf-meta"
    result = run_cli("simulate", *SAT, "--freq", "435e6", "--start", "2024-06-12T14:26:18Z", "--duration", "150",
                     "--samplerate", "48000", "--modem", "none", "--seed", "31", "--datatype", "cf32_le", "--out", silent)
    assert result.code == 0, result.err
    limit_dbhz = check(run_cli, silent)["upper_limit_cn0_dbhz"]
    recording = open_recording(str(silent))
    noise = np.fromfile(silent.with_suffix(".sigmf-data"), np.complex64)
    n0 = np.mean(np.abs(noise) ** 2) / recording.rate_sps
    tracker = Tracker(ElementStore.default().nearest(58400, recording.start_time), parse_station("37.57,126.98,38"))
    t_s = np.arange(len(noise)) / recording.rate_sps
    rng = np.random.default_rng(32)
    found = 0
    for trial in range(5):
        rest_hz = 435e6 + rng.uniform(-5000, 5000)
        drift_hz = rng.uniform(-300, 300) * (t_s / t_s[-1] - 0.5)
        freq_hz = rest_hz - recording.centre_hz + tracker.doppler_curve(rest_hz, recording.start_time)(t_s) + drift_hz
        carrier = np.sqrt(10 ** ((limit_dbhz + 1) / 10) * n0) * np.exp(2j * np.pi * np.cumsum(freq_hz) / recording.rate_sps)
        injected = tmp_path / f"injected-{trial}.sigmf-meta"
        injected.write_text(silent.read_text())
        (noise + carrier).astype(np.complex64).tofile(injected.with_suffix(".sigmf-data"))
        numbers = check(run_cli, injected, "--no-decode")
        found += numbers["verdict"] == "TRANSMITTING" and abs(numbers["track"]["rest_frequency_hz"] - rest_hz) < 1500
    assert found >= 4, f"{found} of 5 carriers at {limit_dbhz + 1:.1f} dB-Hz found"


def test_the_stated_data_signal_limit_holds_for_beacons_injected_into_the_recording(run_cli, tmp_path):
    """With --modem afsk1200: beacons at the stated data-signal limit + 1 dB (C/N0 while on the air, a burst of
    the stated length at the stated period with a random phase, a random +-5 kHz offset and +-300 Hz drift, the
    pass's Doppler), added to the same recording's noise, are found at least 4 times in 5."""
    import numpy as np

    from groundstation.detection.data_signal import DataSignal
    from groundstation.dsp.modems import modem
    from groundstation.orbits.elements import ElementStore
    from groundstation.orbits.orbit import Tracker
    from groundstation.orbits.station import parse_station
    from groundstation.recordings.readers import open_recording

    silent = tmp_path / "silent-simulated.sigmf-meta"
    result = run_cli("simulate", *SAT, "--freq", "435e6", "--start", "2024-06-12T14:26:18Z", "--duration", "150",
                     "--samplerate", "48000", "--modem", "none", "--seed", "41", "--datatype", "cf32_le", "--out", silent)
    assert result.code == 0, result.err
    numbers = check(run_cli, silent, "--modem", "afsk1200")
    assert numbers["verdict"] == "NO SIGNAL DETECTED" and "no afsk1200 beacon (0.73 s bursts" in numbers["line"]
    limit_dbhz = numbers["data_signal"]["upper_limit_cn0_dbhz"]
    signal = DataSignal.of("afsk1200")
    spec = modem("afsk1200")
    recording = open_recording(str(silent))
    rate = recording.rate_sps
    noise = np.fromfile(silent.with_suffix(".sigmf-data"), np.complex64)
    n0 = np.mean(np.abs(noise) ** 2) / rate
    tracker = Tracker(ElementStore.default().nearest(58400, recording.start_time), parse_station("37.57,126.98,38"))
    t_s = np.arange(len(noise)) / rate
    rng = np.random.default_rng(42)
    burst_samples = int(signal.burst_s * rate)
    found = 0
    for trial in range(5):
        rest_hz = 435e6 + rng.uniform(-5000, 5000)
        drift_hz = rng.uniform(-300, 300) * (t_s / t_s[-1] - 0.5)
        freq_hz = rest_hz - recording.centre_hz + tracker.doppler_curve(rest_hz, recording.start_time)(t_s) + drift_hz
        envelope = np.zeros(len(noise), np.complex64)
        for start_s in np.arange(rng.uniform(0, signal.period_s), t_s[-1] - signal.burst_s, signal.period_s):
            bits = rng.integers(0, 2, int(signal.burst_s * spec.baud) + 1).astype(np.int8)
            burst = spec.modulator(bits, spec.baud, rate)[:burst_samples]
            first = int(start_s * rate)
            envelope[first : first + len(burst)] = burst
        amplitude = np.sqrt(10 ** ((limit_dbhz + 1) / 10) * n0)
        samples = noise + amplitude * envelope * np.exp(2j * np.pi * np.cumsum(freq_hz) / rate)
        injected = tmp_path / f"injected-{trial}.sigmf-meta"
        injected.write_text(silent.read_text())
        samples.astype(np.complex64).tofile(injected.with_suffix(".sigmf-data"))
        numbers = check(run_cli, injected, "--no-decode")
        found += numbers["verdict"] == "TRANSMITTING" and abs(numbers["track"]["rest_frequency_hz"] - rest_hz) < 1500
    assert found >= 4, f"{found} of 5 afsk1200 beacons at {limit_dbhz + 1:.1f} dB-Hz found"


def test_an_afsk_beacon_below_the_pass_average_is_found_by_its_lines_and_noise_is_not(run_cli, tmp_path):
    """An AFSK 1200 beacon (0.73 s every 10 s) at 27 dB-Hz at closest approach, off by a few kHz and drifting:
    too weak for the energy over the pass, found by the AFSK line search at its carrier (the drift's middle); on noise-only passes
    the line search stays above its threshold."""
    window = ["--start", "2024-06-12T14:22:00Z", "--duration", "300", "--samplerate", "48000"]
    for seed, offset_hz, drift_hz in ((51, 2300, 250), (52, -3700, -180)):
        recording = tmp_path / f"afsk-{seed}-simulated.sigmf-meta"
        result = run_cli("simulate", *SAT, "--freq", "435e6", *window, "--out", recording, "--modem", "afsk1200",
                         "--cn0", "27", "--offset", str(offset_hz), "--drift", str(drift_hz), "--seed", str(seed))
        assert result.code == 0, result.err
        numbers = check(run_cli, recording, "--no-decode")
        assert numbers["verdict"] == "TRANSMITTING", numbers["line"]
        assert numbers["track"]["detector"] == "afsk1200 lines in bursts"
        assert numbers["track"]["lines_pfa"] < 1e-3
        assert abs(numbers["track"]["offset_from_freq_hz"] - drift_hz / 2) < 50  # (--offset moves the recording)
    for seed in (53, 54):
        recording = tmp_path / f"none-{seed}-simulated.sigmf-meta"
        result = run_cli("simulate", *SAT, "--freq", "435e6", *window, "--out", recording, "--modem", "none",
                         "--seed", str(seed))
        assert result.code == 0, result.err
        numbers = check(run_cli, recording, "--no-decode")
        assert numbers["verdict"] == "NO SIGNAL DETECTED", numbers["line"]
        assert numbers["track"]["lines_pfa"] > 1e-3


def test_an_afsk_beacon_the_pass_average_finds_is_placed_by_its_carrier_line(run_cli, tmp_path):
    """At 33 dB-Hz the energy over the pass detects the beacon first; its place is the carrier line the line
    search found (a few Hz), not the centroid of its energy (more than 1.5 kHz off in 5 of 50 at 30 dB-Hz)."""
    window = ["--start", "2024-06-12T14:22:00Z", "--duration", "300", "--samplerate", "48000"]
    offset_hz, drift_hz = -1900, 140
    recording = tmp_path / "afsk-strong-simulated.sigmf-meta"
    result = run_cli("simulate", *SAT, "--freq", "435e6", *window, "--out", recording, "--modem", "afsk1200",
                     "--cn0", "33", "--offset", str(offset_hz), "--drift", str(drift_hz), "--seed", "55")
    assert result.code == 0, result.err
    numbers = check(run_cli, recording, "--no-decode")
    assert numbers["verdict"] == "TRANSMITTING" and numbers["track"]["detector"] == "energy over the pass"
    assert numbers["track"]["lines_pfa"] < 1e-3
    assert abs(numbers["track"]["offset_from_freq_hz"] - drift_hz / 2) < 50


def test_duty_cycle_needs_a_data_modem(run_cli, tmp_path):
    recording = simulate(run_cli, tmp_path, "none-duty", "--modem", "none", "--seed", "9")
    result = run_cli("check", recording, *SAT, "--freq", "435e6", "--duty-cycle", "0.1")
    assert result.code == 2 and "--duty-cycle needs --modem" in result.err
    result = run_cli("check", recording, *SAT, "--freq", "435e6", "--modem", "bpsk1200")
    assert result.code == 2 and "--modem bpsk1200" in result.err


def test_objects_a_trace_cannot_tell_apart_are_named_together():
    """Two objects on the same orbit (launched together, the same element set under two numbers) follow the same
    Doppler curve: the attribution names both; another object's curve is told apart."""
    from dataclasses import replace
    from datetime import timedelta

    import numpy as np

    from groundstation.detection.attribution import (
        fit_constant,
        indistinguishable,
        rank,
        verdict_of,
    )
    from groundstation.orbits.elements import ElementStore
    from groundstation.orbits.orbit import Tracker
    from groundstation.orbits.station import parse_station

    store = ElementStore.default()
    station = parse_station("37.57,126.98,38")
    original = store.newest(58400)
    target = Tracker(original, station, "Malligyong-1")
    twin = Tracker(replace(original, norad=99999, name="TWIN"), station, "TWIN")
    others = [Tracker(store.newest(norad), station) for norad in store.norads() if norad != 58400][:3]
    tca = max(target.passes(original.epoch, original.epoch + timedelta(days=1)),
              key=lambda item: item.max_elevation_deg).tca
    times = tca.timestamp() + np.arange(-150.0, 150.0, 2.0)
    freqs_hz = 435e6 * (1 + target.doppler_fraction(times)) + np.random.default_rng(5).normal(0, 10.0, len(times))
    candidates = [target, twin, *others]
    ranked = rank(candidates, times, freqs_hz)
    alike = indistinguishable(ranked, candidates, times, resolution_hz=47.0)
    assert sorted(alike) == [58400, 99999]
    described = verdict_of(ranked, fit_constant(freqs_hz), 47.0, alike)
    assert "Malligyong-1 (NORAD 58400)" in described and "TWIN (NORAD 99999)" in described
    assert "indistinguishable in this recording" in described
