"""Doppler for a real radio: the step rule, and Hamlib's dummy rig (``rigctld -m 1``) against PyEphem."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from support import free_port, require_program, wait_for

from groundstation.live.orbit_doppler import OrbitDoppler
from groundstation.live.rig_doppler import RigDoppler
from groundstation.orbits.elements import ElementStore
from groundstation.orbits.orbit import Tracker, doppler_shift_hz
from groundstation.orbits.station import Station
from hardware.rigctl import (
    DopplerFollower,
    Rigctl,
    RigctlError,
    default_step_hz,
    needs_retune,
)

try:
    import ephem  # PyEphem, a test dependency: only the comparisons with it need it
except ImportError:
    ephem = None
needs_ephem = pytest.mark.skipif(ephem is None, reason="PyEphem is not installed (pip install -e '.[test]')")

ROOT = Path(__file__).resolve().parent.parent
FREQ_HZ = 435e6
STATION = Station(39.0, 125.75, 30.0, "near Pyongyang")


def test_step_rule_retunes_only_beyond_a_step():
    set_hz = None
    sent = []
    for wanted_hz in (100.0, 105.0, 110.0, 110.5, 121.0, 115.0, 100.0):
        if needs_retune(set_hz, wanted_hz, 10.0):
            set_hz = wanted_hz
            sent.append(wanted_hz)
    assert sent == [100.0, 110.5, 121.0, 100.0]




@pytest.fixture
def dummy_rig():
    require_program("rigctld")
    port = free_port()
    process = subprocess.Popen(["rigctld", "-m", "1", "-T", "127.0.0.1", "-t", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rig = Rigctl("127.0.0.1", port, timeout_s=5.0)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                rig.get_frequency()
                break
            except RigctlError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        yield rig
    finally:
        rig.close()
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def pyephem_doppler_hz(element_set, unix_s: float, station: Station = STATION) -> float:
    satellite = ephem.readtle(element_set.name, element_set.line1, element_set.line2)
    observer = ephem.Observer()
    observer.lat, observer.lon = str(station.latitude_deg), str(station.longitude_deg)
    observer.elevation = station.altitude_m
    observer.date = ephem.Date(datetime.fromtimestamp(unix_s, tz=timezone.utc).replace(tzinfo=None))
    satellite.compute(observer)
    return float(doppler_shift_hz(FREQ_HZ, satellite.range_velocity / 1000.0))


def pass_tracking(step_hz: float, rig):
    start = datetime(2024, 6, 6, 6, 0, tzinfo=timezone.utc)
    element_set = ElementStore.bundled().nearest(58400, start)
    tracker = Tracker(element_set, STATION)
    best = max(tracker.passes(start, start + timedelta(hours=24)), key=lambda p: p.max_elevation_deg)
    ticks = np.arange(best.aos.timestamp(), best.los.timestamp(), 0.5)  # the pass replayed on a simulated clock
    return element_set, RigDoppler(DopplerFollower(rig, step_hz), OrbitDoppler(tracker, FREQ_HZ), FREQ_HZ), ticks


class RecordingRig:
    host, port = "127.0.0.1", 0

    def __init__(self):
        self.sent = []

    def set_frequency(self, freq_hz):
        self.sent.append(freq_hz)


def test_a_whole_pass_at_10_hz_steps_retunes_on_steps_not_on_ticks():
    rig = RecordingRig()
    _, tracking, ticks = pass_tracking(10.0, rig)
    for unix_s in ticks:
        tracking.tick(unix_s)
    assert 500 < len(rig.sent) < len(ticks) / 1.5
    assert np.all(np.abs(np.diff(rig.sent)) > 10.0)
    assert max(rig.sent) - min(rig.sent) > 15_000  # a real pass: from about +8 to -8 kHz


@needs_ephem
def test_dummy_rig_follows_the_doppler_curve_within_10_hz_of_pyephem(dummy_rig):
    # Hamlib's dummy rig takes about 40 ms a retune: 100 Hz steps keep the test short; the rule is the same.
    element_set, tracking, ticks = pass_tracking(100.0, dummy_rig)
    readings = []
    for unix_s in ticks:
        if tracking.tick(unix_s) is not None:
            readings.append((unix_s, dummy_rig.get_frequency()))
    assert 100 < len(readings) < len(ticks) / 4
    errors_hz = [abs(read_hz - (FREQ_HZ + pyephem_doppler_hz(element_set, unix_s))) for unix_s, read_hz in readings]
    assert max(errors_hz) <= 10.0, max(errors_hz)
    assert max(r for _, r in readings) - min(r for _, r in readings) > 15_000


@needs_ephem
def test_dummy_rig_at_the_default_step_near_closest_approach(dummy_rig):
    """The default step (10 Hz at 435 MHz) where the Doppler moves fastest: each retune within 10 Hz of PyEphem."""
    element_set, tracking, ticks = pass_tracking(default_step_hz(FREQ_HZ), dummy_rig)
    assert tracking.follower.step_hz == 10.0
    middle = len(ticks) // 2
    readings = []
    for unix_s in ticks[middle - 60 : middle + 60]:  # a minute around closest approach, ticks of 0.5 s
        if tracking.tick(unix_s) is not None:
            readings.append((unix_s, dummy_rig.get_frequency()))
    assert len(readings) > 60
    errors_hz = [abs(read_hz - (FREQ_HZ + pyephem_doppler_hz(element_set, unix_s))) for unix_s, read_hz in readings]
    assert max(errors_hz) <= 10.0, max(errors_hz)
    assert np.all(np.abs(np.diff([read_hz for _, read_hz in readings])) > 10.0)


def test_rig_that_is_gone_is_logged_once_and_retried(caplog):
    rig = Rigctl("127.0.0.1", free_port(), timeout_s=1.0)
    follower = DopplerFollower(rig, step_hz=10.0)
    assert follower.update(435e6) is None and follower.update(435e6 + 100) is None
    assert follower.failures == 2 and follower.set_hz is None
    assert sum("is rigctld running" in record.message for record in caplog.records) == 1


def test_listen_rigctl_sets_the_radio_from_the_cli(dummy_rig, run_cli, kiss_file):
    """``listen --rigctl``: the radio is put on the Doppler-shifted downlink while frames arrive."""
    result = run_cli("listen", "--tnc", "loop://", "--send", kiss_file, "--count", 1,
                     "--rigctl", f"127.0.0.1:{dummy_rig.port}", "--sat", "Malligyong-1", "--station", "37.57,126.98",
                     "--freq", "435e6", "--force")
    assert result.code == 0, result.err
    freq_hz = dummy_rig.get_frequency()
    assert freq_hz != 435e6 and abs(freq_hz - 435e6) < 12_000  # the Doppler at the time it ran


@needs_ephem
def test_a_replayed_stream_tunes_the_radio_for_the_time_of_its_samples(dummy_rig, run_cli, tmp_path):
    """``listen --rtl-tcp --start-time --rigctl``: a pass of 2024 served now (in real time) puts the radio on the
    Doppler of the moment of the samples, within 10 Hz of PyEphem, not on the Doppler of today's clock."""
    start = datetime(2024, 6, 12, 14, 26, 30, tzinfo=timezone.utc)  # a minute before closest approach over Seoul
    seoul = Station(37.57, 126.98, 0.0)
    pass_options = ["--sat", "Malligyong-1", "--station", "37.57,126.98", "--freq", "435e6",
                    "--start", start.isoformat().replace("+00:00", "Z")]
    port = free_port()
    log = tmp_path / "server.err"
    server = subprocess.Popen(
        [sys.executable, "-m", "groundstation", "-v", "serve-rtl-tcp", "--port", str(port), "--simulate",
         *pass_options, "--duration", "30", "--modem", "afsk1200", "--samplerate", "48000", "--beacon-interval", "2",
         "--realtime"], stdout=subprocess.DEVNULL, stderr=log.open("wb"), cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        wait_for(lambda: "serving rtl_tcp on 127.0.0.1" in log.read_text() or server.poll() is not None,
                 "the server to listen")
        result = run_cli("listen", "--rtl-tcp", f"127.0.0.1:{port}", "--samplerate", "48000", "--modem", "afsk1200",
                         *pass_options[:6], "--start-time", pass_options[-1], "--count", "3",
                         "--rigctl", f"127.0.0.1:{dummy_rig.port}", "-v")
    finally:
        server.terminate()
        server.wait(30)
    assert result.code == 0, result.err
    assert "for the time of the samples" in result.err
    samples = int(re.search(r"; (\d+) samples", result.err).group(1))
    last_unix_s = start.timestamp() + samples / 48000  # the newest sample when listen stopped
    assert 4 < samples / 48000 < 30
    element_set = ElementStore.bundled().nearest(58400, start)
    # The radio was last set at most a tick and a block before the newest sample: within 10 Hz of PyEphem's
    # Doppler at some moment of the last 1.5 s of samples (about 40 Hz of Doppler here, of +-10 kHz).
    expected_hz = [FREQ_HZ + pyephem_doppler_hz(element_set, unix_s, seoul)
                   for unix_s in np.linspace(last_unix_s - 1.5, last_unix_s, 16)]
    read_hz = dummy_rig.get_frequency()
    assert min(expected_hz) - 10 <= read_hz <= max(expected_hz) + 10, (read_hz, expected_hz)


@needs_ephem
def test_a_tnc_with_a_start_time_tunes_the_radio_for_that_time(dummy_rig, run_cli, kiss_file):
    """``listen --tnc --start-time T --rigctl``: the radio follows T plus the time since listening began."""
    start = datetime(2024, 6, 12, 14, 26, 30, tzinfo=timezone.utc)
    began = time.monotonic()
    result = run_cli("listen", "--tnc", "loop://", "--send", kiss_file, "--count", 1, "--start-time",
                     start.isoformat(), "--rigctl", f"127.0.0.1:{dummy_rig.port}", "--sat", "Malligyong-1",
                     "--station", "37.57,126.98", "--freq", "435e6")
    elapsed_s = time.monotonic() - began
    assert result.code == 0, result.err
    element_set = ElementStore.bundled().nearest(58400, start)
    expected_hz = [FREQ_HZ + pyephem_doppler_hz(element_set, start.timestamp() + t_s, Station(37.57, 126.98, 0.0))
                   for t_s in np.linspace(0.0, elapsed_s, 16)]
    assert min(expected_hz) - 10 <= dummy_rig.get_frequency() <= max(expected_hz) + 10


def test_listen_rigctl_needs_a_satellite(run_cli):
    result = run_cli("listen", "--tnc", "loop://", "--rigctl", "127.0.0.1:4532")
    assert result.code == 2 and "--rigctl needs --sat" in result.err
