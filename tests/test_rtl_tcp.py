"""rtl_tcp: our server against a minimal client written here from the protocol, and a live round trip.

``serve-rtl-tcp --simulate`` serves a pass; ``listen --rtl-tcp`` decodes it live
with Doppler from the orbit; the server is killed mid-pass and started again:
the client reconnects, reports the gap, and frames keep their true times.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import struct
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from support import (
    WAIT_S,
    exit_code_after_interrupt,
    free_port,
    ignore_sigint,
    wait_for,
)

from groundstation.cli import build_parser
from groundstation.commands.simulate import simulation_config
from groundstation.simulation.simulator import pass_simulator
from hardware.rtl_tcp import Gap, IqBlock, RtlTcpClient, StreamStarted, TunerSettings

ROOT = Path(__file__).resolve().parent.parent
START = "2024-06-12T14:25:00Z"
PASS = ["--sat", "Malligyong-1", "--station", "37.57,126.98", "--start", START, "--freq", "435e6"]


class Server:
    def __init__(self, tmp_path: Path, port: int, *options: str, name: str = "server", preexec_fn=None) -> None:
        self.log = tmp_path / f"{name}.err"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "groundstation", "-v", "serve-rtl-tcp", "--port", str(port), *options],
            stdout=subprocess.DEVNULL, stderr=self.log.open("wb"), cwd=ROOT, preexec_fn=preexec_fn)
        wait_for(lambda: "serving rtl_tcp on 127.0.0.1" in self.text() or self.process.poll() is not None,
                 "the server to listen")
        assert self.process.poll() is None, self.text()

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def read_exactly(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, "the server closed the connection"
        data += chunk
    return bytes(data)


def test_a_minimal_independent_client_gets_a_greeting_and_tuned_samples(tmp_path):
    # A fixed carrier at centre + 5 kHz and no satellite signal: where it lands shows what the server honoured.
    port = free_port()
    server = Server(tmp_path, port, "--simulate", *PASS, "--duration", "60", "--modem", "none",
                    "--interferer", "5000,-120", "--samplerate", "48000")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            magic, tuner, gains = struct.unpack(">4sII", read_exactly(sock, 12))
            assert magic == b"RTL0" and tuner == 5 and gains > 0
            sock.sendall(struct.pack(">BI", 0x02, 96_000) + struct.pack(">BI", 0x01, 435_002_000)
                         + struct.pack(">BI", 0x03, 1) + struct.pack(">BI", 0x04, 300))
            read_exactly(sock, 2 * 96_000)  # what was in flight before the commands
            raw = np.frombuffer(read_exactly(sock, 2 * 65_536), np.uint8).astype(np.float32) - 127.5
    finally:
        server.stop()
    iq = raw[0::2] + 1j * raw[1::2]
    assert 1.0 < np.std(raw) and np.mean(np.abs(raw) > 127) < 0.001  # noise of a few LSB, hardly a sample clipped
    spectrum = np.abs(np.fft.fftshift(np.fft.fft(iq * np.hanning(len(iq))))) ** 2
    peak_hz = (np.argmax(spectrum) - len(iq) // 2) * 96_000 / len(iq)
    assert peak_hz == pytest.approx(3_000.0, abs=5.0)  # 5 kHz above 435 MHz, seen from 435.002 MHz at 96 kS/s
    assert "sample rate = 96000" in server.text() and "frequency = 435002000" in server.text()


def burst_times(options: list[str]) -> dict[str, float]:
    """When the served simulation sends each frame (its truth), seconds from the start."""
    args = build_parser().parse_args(["serve-rtl-tcp", "--simulate", *options])
    config, _ = simulation_config(args)
    return {burst.frame.tnc2(): burst.start_s for burst in pass_simulator(config).transmitter.bursts}


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_the_server_ends_cleanly_with_its_summary_even_started_with_sigint_ignored(tmp_path, stop):
    server = Server(tmp_path, free_port(), "--simulate", *PASS, "--duration", "30", "--modem", "afsk1200",
                    "--samplerate", "48000", preexec_fn=ignore_sigint)
    try:
        server.process.send_signal(stop)
        assert exit_code_after_interrupt(server.process, server.log) == 0
    finally:
        server.stop()
    assert "samples served" in server.text()


def test_listen_decodes_a_served_pass_live_through_a_server_restart(tmp_path):
    frames_file = tmp_path / "frames.txt"
    frames_file.write_text("".join(f"N0CALL-{n % 15 + 1}>TEST:rtl frame {n:02d}\n" for n in range(25)))
    options = [*PASS, "--duration", "30", "--modem", "afsk1200", "--samplerate", "48000", "--frames",
               str(frames_file), "--beacon-interval", "2", "--realtime"]
    truth = burst_times(options)
    port = free_port()
    out, err, record = tmp_path / "frames.jsonl", tmp_path / "listen.err", tmp_path / "live.sigmf-meta"
    servers = [Server(tmp_path, port, "--simulate", *options, name="server1")]
    listen = subprocess.Popen(
        [sys.executable, "-m", "groundstation", "listen", "--rtl-tcp", f"127.0.0.1:{port}", "--freq", "435e6",
         "--samplerate", "48000", "--modem", "afsk1200", "--sat", "Malligyong-1", "--station", "37.57,126.98",
         "--start-time", START, "--format", "jsonl", "--out", str(out), "--record", str(record)],
        stdout=subprocess.DEVNULL, stderr=err.open("wb"), cwd=ROOT)

    def logged() -> list[dict]:
        return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []

    try:
        wait_for(lambda: "client 127.0.0.1" in servers[0].text(), "listen to connect")
        on_air_since = time.time()  # the pass's first sample left then
        wait_for(lambda: len(logged()) >= 3, "three frames before the restart")
        servers[0].stop(signal.SIGKILL)  # a crash, mid-pass
        killed_t = max(frame["t"] for frame in logged())
        wait_for(lambda: "lost after sample" in err.read_text(), "listen to notice")
        time.sleep(2.0)  # the outage
        # A real radio keeps going while its server is down: the new server serves what is on the air now.
        servers.append(Server(tmp_path, port, "--simulate", *options, "--clock-start", f"{on_air_since:.3f}",
                              name="server2"))
        wait_for(lambda: "gap of" in err.read_text(), "the gap report")
        wait_for(lambda: servers[1].process.poll() is not None, "the end of the pass")
        wait_for(lambda: err.read_text().count("lost after sample") == 2, "listen to see the end")
        listen.send_signal(signal.SIGINT)
        assert exit_code_after_interrupt(listen, err) == 0
    finally:
        for server in servers:
            server.stop()
        if listen.poll() is None:
            listen.kill()
            listen.wait(10)
    text = err.read_text()
    gap = re.search(r"gap of (\d+) samples \(([\d.]+) s\)", text)
    assert gap and int(gap.group(1)) > 48_000  # at least the 2 s outage, in samples
    frames = logged()
    monitors = [frame["monitor"] for frame in frames]
    assert len(set(monitors)) == len(monitors)  # none twice
    assert set(monitors) <= set(truth)  # nothing invented
    after = [frame for frame in frames if frame["t"] > killed_t + 2.0]
    assert len(frames) - len(after) >= 3 and len(after) >= 3  # decoded before and after the restart
    start = datetime.fromisoformat(START.replace("Z", "+00:00"))
    for frame in frames:  # true times, across the gap too (the gap's length is measured on the wall clock)
        assert abs(frame["t"] - truth[frame["monitor"]]) < 1.0, frame
        moment = datetime.fromisoformat(frame["time"].replace("Z", "+00:00"))
        assert abs((moment - start - timedelta(seconds=truth[frame["monitor"]])).total_seconds()) < 1.0
    assert "2 streams" in text and f"{len(frames)} frames from rtl_tcp" in text
    meta = json.loads(record.read_text())
    assert meta["captures"][0]["core:datetime"].startswith("2024-06-12T14:25:00")
    assert meta["global"]["core:geolocation"]["coordinates"][:2] == [126.98, 37.57]
    assert any(annotation.get("groundstation:gap") for annotation in meta["annotations"])
    checked = subprocess.run([sys.executable, "-m", "groundstation", "check", str(record), "--sat", "Malligyong-1",
                              "--station", "37.57,126.98", "--freq", "435e6"], capture_output=True, text=True,
                             cwd=ROOT, timeout=300)
    assert checked.returncode == 0 and "TRANSMITTING" in checked.stdout, checked.stdout + checked.stderr


def test_client_counts_samples_and_reports_a_gap_between_streams():
    """In process: a server that serves two short streams with a pause; sample numbers include the gap."""
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        for _ in range(2):
            connection, _ = listener.accept()
            with connection:
                connection.sendall(struct.pack(">4sII", b"RTL0", 5, 29))
                read_exactly(connection, 5 * 3)  # rate, frequency, gain mode
                connection.sendall(bytes([128, 127]) * 1000)
            time.sleep(0.3)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = RtlTcpClient("127.0.0.1", port, TunerSettings(435e6, 10_000.0), block_samples=400, retry_s=0.05,
                          poll_s=0.05)
    events = []
    deadline = time.monotonic() + WAIT_S
    try:
        for event in client.stream():
            if event is not None:
                events.append(event)
            if sum(isinstance(e, StreamStarted) for e in events) == 2 and client.samples_received == 2000:
                break
            assert time.monotonic() < deadline
    finally:
        client.close()
        thread.join(5)
        listener.close()
    blocks = [e for e in events if isinstance(e, IqBlock)]
    gaps = [e for e in events if isinstance(e, Gap)]
    assert sum(len(b.samples) for b in blocks) == 2000
    assert len(gaps) == 1 and gaps[0].count > 0 and gaps[0].first_sample == 1000
    second = [b for b in blocks if b.stream == 2]
    assert second[0].first_sample == 1000 + gaps[0].count  # sample numbers keep the gap
    assert all(len(b.samples) <= 400 for b in blocks)


@pytest.mark.parametrize("args, message", [
    (["--rtl-tcp", "127.0.0.1:1"], "--rtl-tcp needs --freq"),
    (["--rtl-tcp", "127.0.0.1:x", "--freq", "435e6"], "--rtl-tcp: '127.0.0.1:x' is not HOST:PORT"),
    (["--rtl-sdr", "0", "--freq", "435e6"], "pip install 'groundstation[rtlsdr]'"),
    (["--tnc", "loop://", "--record", "x.sigmf-meta"], "--record records IQ"),
    (["--rtl-tcp", "127.0.0.1:1", "--freq", "435e6", "--record", "x.cu8"], "must end in .sigmf-meta"),
    (["--rtl-tcp", "127.0.0.1:1", "--freq", "435e6", "--gain", "loud"], "--gain: 'loud'"),
])
def test_listen_sdr_usage_errors_are_one_line(run_cli, monkeypatch, args, message):
    monkeypatch.setitem(sys.modules, "rtlsdr", None)  # pyrtlsdr not installed, whatever this machine has
    result = run_cli("listen", *args)
    assert result.code == 2 and message in result.err and result.err.count("\n") == 1


@pytest.mark.parametrize("args, message", [
    ([], "give a RECORDING or --simulate"),
    (["--simulate", "--sat", "Malligyong-1"], "--simulate needs --freq, --modem, --station, --pass or --duration"),
    (["x.cu8", "--bind", "localhost"], "--bind: 'localhost' is not an IP address"),
])
def test_serve_usage_errors_are_one_line(run_cli, args, message):
    result = run_cli("serve-rtl-tcp", *args)
    assert result.code == 2 and message in result.err and result.err.count("\n") == 1


def test_serve_a_recording_refuses_another_rate_but_keeps_serving(tmp_path):
    """A recording is served at its own rate: a rate command is logged and ignored, tuning still works."""
    from groundstation.live.iq_providers import RecordingSource, TunedProvider
    from groundstation.recordings.readers import open_recording

    path = tmp_path / "tone.cf32"
    t = np.arange(48_000) / 48_000
    (0.5 * np.exp(2j * np.pi * 1_000 * t)).astype(np.complex64).tofile(path)
    provider = TunedProvider(RecordingSource(open_recording(str(path), None, 48_000.0, 435e6, None)))
    provider.set_rate(96_000.0)
    assert provider.rate_sps == 48_000.0
    provider.tune(435e6 + 1_000)  # the tone moves to DC
    samples = provider.read(4_800)
    assert len(samples) == 4_800 and np.std(np.angle(samples[1:] / samples[:-1])) < 1e-3
    assert abs(np.mean(np.angle(samples[1:] / samples[:-1]))) < 1e-3


def test_realtime_server_drops_what_a_stalled_client_leaves_and_counts_it():
    """As rtl_tcp: samples are made at the sample rate; beyond the queue they are dropped, and counted."""
    import threading

    from groundstation.live.iq_providers import TunedProvider
    from hardware.rtl_tcp import RtlTcpServer

    class Ramp:  # 2 s at 2 MS/s
        rate_sps, centre_hz = 2_000_000.0, 435e6

        def samples_from(self, rate_sps, start_sample):
            for _ in range(40):
                yield np.zeros(100_000, np.complex64)

    server = RtlTcpServer(TunedProvider(Ramp(), level=1.0), port=0, realtime=True, queue_limit_bytes=20_000)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    received = 0
    try:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(server.address)
            sock.settimeout(30)
            read_exactly(sock, 12)
            time.sleep(1.5)  # stalled: the samples made meanwhile cannot all wait
            while chunk := sock.recv(1 << 16):
                received += len(chunk)
    finally:
        server.close()
        thread.join(10)
    assert server.samples_dropped > 0
    assert received // 2 == server.samples_sent
    assert server.samples_sent + server.samples_dropped == 40 * 100_000  # every sample made is accounted for
