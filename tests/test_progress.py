"""Progress never mixes with output: stderr only, only on a terminal, cleared before a frame line or a log
line, and named steps in ``check`` (no silent decode at 100 %)."""

from __future__ import annotations

import io
import logging
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

from support import simulate_recording

from groundstation.commands.progress import Progress
from groundstation.detection.check import check_recording
from groundstation.orbits.elements import ElementStore
from groundstation.orbits.orbit import Tracker
from groundstation.orbits.station import SEOUL
from groundstation.recordings.readers import open_recording

ROOT = Path(__file__).resolve().parent.parent
SAT = ["--sat", "Malligyong-1", "--station", "37.57,126.98,38", "--freq", "435e6"]
BEACON = ["--start", "2024-06-12T14:26:00Z", "--duration", "40", "--samplerate", "48000", "--modem", "afsk1200",
          "--cn0", "60", "--beacon-interval", "2", "--seed", "11"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_not_a_terminal_gets_nothing():
    stream = io.StringIO()
    with Progress("decode", stream=stream) as progress:
        progress(0.5)
        progress(None, "decoding")
        progress.clear()
    assert stream.getvalue() == ""


def test_clear_erases_the_line_and_the_next_update_draws_it_again():
    stream = Terminal()
    progress = Progress("decode", stream=stream, every_s=3600)
    progress(0.1)
    progress(0.2)  # too soon: not drawn
    assert stream.getvalue() == "\rdecode:  10% (about 0 s left)"
    progress.clear()
    stream.write("frame line\n")
    progress(0.3)
    lines = stream.getvalue().split("\n")
    assert lines[0].split("\r")[-1] == "frame line"
    assert lines[1].startswith("\rdecode:  30%")


def test_a_log_line_clears_the_progress_line_first():
    stream = Terminal()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with Progress("decode", stream=stream) as progress:
            progress(0.5)
            logging.getLogger("groundstation.test").warning("a warning")
        logging.getLogger("groundstation.test").warning("after")
    finally:
        root.removeHandler(handler)
    text = stream.getvalue()
    assert text.split("\n")[0].split("\r")[-1] == "a warning"
    assert handler.filters == []  # the filter went with the progress


def test_a_named_step_restarts_the_estimate_and_an_unknown_length_spins():
    stream = Terminal()
    progress = Progress("check", stream=stream, every_s=3600)
    progress(1.0, "searching")
    progress(0.0, "decoding")  # a new step is drawn at once, whatever every_s says
    progress(None, "writing the report")
    drawn = [part for part in stream.getvalue().split("\r") if part.strip()]
    assert drawn[0].startswith("check: searching 100%")
    assert drawn[1].startswith("check: decoding   0%")
    assert drawn[2].startswith("check: writing the report ") and drawn[2].rstrip().endswith(" s")


def read_through_a_terminal(*args: str) -> str:
    """Run ``python -m groundstation ARGS`` with stdout and stderr on one pseudo-terminal; what it showed."""
    main_fd, child_fd = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "groundstation", *args], stdin=subprocess.DEVNULL,
                               stdout=child_fd, stderr=child_fd, cwd=ROOT, env=env)
    os.close(child_fd)
    shown = b""
    while True:
        ready, _, _ = select.select([main_fd], [], [], 120)
        if not ready:
            process.kill()
            raise AssertionError(f"no output for 120 s; so far: {shown!r}")
        try:
            data = os.read(main_fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        shown += data
    os.close(main_fd)
    assert process.wait(timeout=60) == 0, shown
    return shown.decode()


def test_decode_on_a_terminal_prints_each_frame_on_a_clean_line(run_cli, tmp_path):
    recording = tmp_path / "beacon.sigmf-meta"
    truth = simulate_recording(run_cli, recording, *SAT, *BEACON)
    shown = read_through_a_terminal("decode", str(recording), "--modem", "afsk1200")
    frame_lines = [line for line in shown.split("\n") if "[t=" in line]
    assert len(frame_lines) == len(truth) >= 15
    for line in frame_lines:
        # What stays on the screen is the last piece after a carriage return: the frame, nothing glued before it.
        assert line.rstrip("\r").split("\r")[-1].startswith("[t="), repr(line)
    assert "decode: " in shown  # the progress was shown on the terminal
    summary = [line for line in shown.split("\n") if "frames (afsk1200" in line]
    assert summary and summary[0].rstrip("\r").split("\r")[-1].startswith("groundstation: ")


def test_decode_not_on_a_terminal_shows_no_progress(run_cli, tmp_path):
    recording = tmp_path / "beacon.sigmf-meta"
    simulate_recording(run_cli, recording, *SAT, *BEACON)
    result = run_cli("decode", recording, "--modem", "afsk1200")
    assert "\r" not in result.out + result.err
    assert "%" not in result.err


def test_check_names_its_steps_and_reports_the_decode_step(run_cli, tmp_path):
    recording = tmp_path / "beacon.sigmf-meta"
    simulate_recording(run_cli, recording, *SAT, *BEACON)
    store = ElementStore.bundled()
    tracker = Tracker(store.nearest(58400, open_recording(str(recording)).start_time), SEOUL, "Malligyong-1")
    steps: list[tuple[str, float]] = []
    result = check_recording(open_recording(str(recording)), tracker, store, {}, freq_hz=435e6,
                             progress=lambda fraction, step: steps.append((step, fraction)))
    assert result.verdict.name == "TRANSMITTING" and result.frames
    names = list(dict.fromkeys(step for step, _ in steps))
    assert names == ["searching", "decoding"]
    for name in names:
        fractions = [fraction for step, fraction in steps if step == name]
        assert fractions == sorted(fractions) and fractions[-1] == 1.0
