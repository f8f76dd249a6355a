"""``groundstation listen --tnc``: KISS from a serial port, pseudo-terminal or URL, through outages.

The integration test runs direwolf as a real KISS TNC with no sound card
(audio from the simulator on stdin, ``-p`` for a pseudo-terminal), kills it
mid-run and starts it again: every frame direwolf prints must be logged by
``listen`` once, and only what was sent while direwolf was down is lost.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from support import (
    WAIT_S,
    exit_code_after_interrupt,
    ignore_sigint,
    require_program,
    wait_for,
)

from frames import Ax25Frame, encode_data_frame
from hardware.kiss_tnc import Connected, Disconnected, KissTnc, ReceivedFrame

ROOT = Path(__file__).resolve().parent.parent
RATE_SPS = 48_000




def test_loop_url_sends_and_receives_through_the_cli(run_cli, kiss_file, beacon_frames, tmp_path):
    out = tmp_path / "frames.jsonl"
    result = run_cli("listen", "--tnc", "loop://", "--send", kiss_file, "--count", len(beacon_frames),
                     "--out", out, "--format", "jsonl")
    assert result.code == 0
    assert [line.split("] ", 1)[1] for line in result.out.splitlines()] == [f.tnc2() for f in beacon_frames]
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [record["monitor"] for record in records] == [f.tnc2() for f in beacon_frames]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["time"]) for record in records)
    assert f"{len(beacon_frames)} frames from loop://" in result.err
    # --out appends: a second run adds to the file.
    run_cli("listen", "--tnc", "loop://", "--send", kiss_file, "--count", 1, "--out", out, "--format", "jsonl")
    assert len(out.read_text().splitlines()) == len(beacon_frames) + 1


def test_pcap_out_gets_one_header_across_runs(run_cli, kiss_file, tmp_path):
    out = tmp_path / "frames.pcap"
    for _ in range(2):
        assert run_cli("listen", "--tnc", "loop://", "--send", kiss_file, "--count", 1, "--out", out,
                       "--format", "pcap").code == 0
    data = out.read_bytes()
    assert data.count(bytes.fromhex("d4c3b2a1")) == 1
    assert len(data) > 24 + 2 * 16


def test_bad_port_is_a_one_line_error(run_cli, tmp_path):
    not_a_tty = tmp_path / "plain.txt"
    not_a_tty.write_text("x")
    result = run_cli("listen", "--tnc", not_a_tty)
    assert result.code == 2
    assert "--tnc" in result.err and "not a serial port" in result.err
    result = run_cli("listen", "--tnc", "nonsense://x")
    assert result.code == 2 and "pyserial URL" in result.err


def test_tcp_tnc_that_restarts_is_reconnected_and_nothing_is_stitched(tmp_path):
    """A KISS TCP server that closes mid-frame and comes back: the half frame is dropped, not joined."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    frames = [Ax25Frame.ui("N0CALL", "CQ", f"frame {n}".encode()).to_bytes() for n in range(3)]
    tnc = KissTnc(f"socket://127.0.0.1:{port}", retry_s=0.05, poll_s=0.05)
    events = []

    def serve():
        for wire in (encode_data_frame(frames[0]) + encode_data_frame(frames[1])[:6], encode_data_frame(frames[2])):
            connection, _ = server.accept()
            connection.sendall(wire)  # sent at once: nothing may be lost by a flush on opening
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_S
    try:
        for event in tnc.events():
            if event is not None:
                events.append(event)
            if sum(isinstance(e, ReceivedFrame) for e in events) == 2:
                break
            assert len(events) < 20 and time.monotonic() < deadline, events
    finally:
        tnc.close()
        thread.join(5)
        server.close()
    received = [e.frame.data for e in events if isinstance(e, ReceivedFrame)]
    assert received == [frames[0], frames[2]]
    lost = [e for e in events if isinstance(e, Disconnected)]
    assert lost and lost[0].dropped_bytes > 0
    assert [e.attempt for e in events if isinstance(e, Connected)] == [1, 2]


# --- direwolf as a real KISS TNC ---------------------------------------------------------------------

DIREWOLF_CONF = "ADEVICE stdin null\nARATE 48000\nMODEM 1200\nAGWPORT 0\nKISSPORT 0\n"
FRAME_LINE = re.compile(r"^\[\d+(?:\.\d+)*\] (\S+>\S+:.*)$")


@pytest.fixture(scope="module")
def pass_audio(tmp_path_factory):
    """40 s of simulated afsk1200 receiver audio as raw s16 mono (through sox), 20 distinct frames."""
    require_program("sox")
    folder = tmp_path_factory.mktemp("pass")
    (folder / "frames.txt").write_text("".join(f"N0CALL-{n % 15 + 1}>TEST:live frame {n:02d}\n" for n in range(20)))
    subprocess.run([sys.executable, "-m", "groundstation", "simulate", "--sat", "Malligyong-1",
                    "--station", "37.57,126.98", "--start", "2024-06-12T14:25:00Z", "--duration", "40",
                    "--freq", "435e6", "--modem", "afsk1200", "--frames", str(folder / "frames.txt"),
                    "--beacon-interval", "2", "--out", str(folder / "pass.sigmf-meta"),
                    "--audio", str(folder / "pass.wav")], check=True, cwd=ROOT, capture_output=True, timeout=120)
    raw = folder / "pass.raw"
    subprocess.run(["sox", str(folder / "pass.wav"), "-t", "raw", "-r", str(RATE_SPS), "-e", "signed", "-b", "16",
                    "-c", "1", str(raw)], check=True, timeout=60)
    return raw.read_bytes()


class Direwolf:
    """direwolf decoding audio written to its stdin, its KISS pseudo-terminal linked at ``link``."""

    def __init__(self, folder: Path, link: Path, name: str) -> None:
        self.conf = folder / "direwolf.conf"
        self.conf.write_text(DIREWOLF_CONF)
        self.log = folder / f"{name}.out"
        self.link = link
        self.process = subprocess.Popen(["direwolf", "-t", "0", "-c", str(self.conf), "-p", "-"],
                                        stdin=subprocess.PIPE, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
                                        cwd=folder)
        pts = wait_for(lambda: re.search(r"Virtual KISS TNC is available on (/dev/pts/\d+)", self.text()),
                       "direwolf's pseudo-terminal").group(1)
        temporary = link.with_suffix(".new")
        os.symlink(pts, temporary)
        os.replace(temporary, link)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def frames(self) -> list[str]:
        return [m.group(1) for line in self.text().splitlines() if (m := FRAME_LINE.match(line))]

    def feed(self, audio: bytes) -> None:
        silence = bytes(2 * RATE_SPS * 3)  # more than a pipe buffer: once written, the audio before it was read
        self.process.stdin.write(audio + silence)
        self.process.stdin.flush()

    def stop(self) -> None:
        self.link.unlink(missing_ok=True)  # the port is gone (and its pts number may be reused by others)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process.stdin.close()


def test_direwolf_frames_arrive_once_across_a_restart(pass_audio, tmp_path):
    require_program("direwolf")
    link = tmp_path / "kisstnc"
    out = tmp_path / "frames.jsonl"
    err = tmp_path / "listen.err"
    listen = subprocess.Popen([sys.executable, "-m", "groundstation", "listen", "--tnc", str(link),
                               "--format", "jsonl", "--out", str(out)],
                              stdout=subprocess.DEVNULL, stderr=err.open("wb"), cwd=ROOT)
    wolves = []
    third = len(pass_audio) // 6 * 2  # whole samples

    def logged() -> list[str]:
        return [json.loads(line)["monitor"] for line in out.read_text().splitlines()] if out.exists() else []

    def connections() -> int:
        return err.read_text().count(": connected")

    try:
        wait_for(lambda: "not available" in err.read_text(), "listen to say the port is not there yet")
        for run, audio in enumerate((pass_audio[:third], pass_audio[2 * third:])):
            wolf = Direwolf(tmp_path, link, f"direwolf{run}")
            wolves.append(wolf)
            wait_for(lambda: connections() == run + 1, "listen to connect")
            wolf.feed(audio)
            wait_for(lambda: wolf.frames() and set(wolf.frames()) <= set(logged()), "the frames direwolf printed")
            time.sleep(0.5)  # a frame still in direwolf's queue has time to show up in both
            wolf.stop()
            wait_for(lambda: err.read_text().count(": lost (") == run + 1, "listen to notice direwolf is gone")
        listen.send_signal(signal.SIGINT)
        assert exit_code_after_interrupt(listen, err) == 0
    finally:
        for wolf in wolves:
            wolf.stop()
        if listen.poll() is None:
            listen.kill()
            listen.wait(10)
    printed = wolves[0].frames() + wolves[1].frames()
    assert sorted(logged()) == sorted(printed)                   # every frame, and only those
    assert len(set(logged())) == len(logged())                   # none twice
    sent_while_down = {f"live frame {n:02d}" for n in range(7, 13)}
    assert not any(line.split(":", 1)[1] in sent_while_down for line in logged())
    assert len(printed) >= 10                                    # both runs decoded most of their frames
    assert wolves[0].frames() and wolves[1].frames()
    summary = err.read_text()
    assert f"{len(printed)} frames from {link}" in summary and "outage" in summary
    # said once per outage (not yet there, then each kill), not once per retry
    assert summary.count("not available") + summary.count(": lost (") == 3 and "3 outages" in summary


def test_without_out_the_format_goes_to_stdout_as_decode_does(run_cli, kiss_file, beacon_frames):
    result = run_cli("listen", "--tnc", "loop://", "--send", kiss_file, "--count", 2, "--format", "jsonl")
    assert result.code == 0
    assert [json.loads(line)["monitor"] for line in result.out.splitlines()] == [f.tnc2() for f in beacon_frames[:2]]


@pytest.mark.parametrize("stop, inherited", [(signal.SIGTERM, None), (signal.SIGINT, ignore_sigint)])
def test_sigterm_or_sigint_ends_cleanly_with_a_summary(tmp_path, stop, inherited):
    """Also SIGINT when listen was started with SIGINT ignored (``listen ... &`` in a script)."""
    err = tmp_path / "listen.err"
    missing = tmp_path / "no-tnc-yet"
    listen = subprocess.Popen([sys.executable, "-m", "groundstation", "listen", "--tnc", str(missing)],
                              stdout=subprocess.DEVNULL, stderr=err.open("wb"), cwd=ROOT, preexec_fn=inherited)
    try:
        wait_for(lambda: "not available" in err.read_text(), "listen to say the port is not there")
        listen.send_signal(stop)
        assert exit_code_after_interrupt(listen, err) == 0
    finally:
        if listen.poll() is None:
            listen.kill()
            listen.wait(10)
    assert f"0 frames from {missing}" in err.read_text() and "1 outage" in err.read_text()
