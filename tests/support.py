"""Helpers the tests import (``pythonpath = tests`` in pyproject.toml)."""

from __future__ import annotations

import json
import shutil
import socket
import time

import pytest


def require_program(name: str) -> str:
    """The path of ``name``, or skip the test saying that the program is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (.ci/run installs it with apt-get)")
    return path


WAIT_S = 60.0  # upper bound of every wait; the tests never assert on durations


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, what: str, timeout_s: float = WAIT_S):
    """Poll ``condition()`` until it is true (its value is returned), or fail saying ``what`` never came."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def ignore_sigint() -> None:
    """``preexec_fn`` of a child started as a non-interactive shell starts a background job: SIGINT ignored."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def exit_code_after_interrupt(process, err_path, timeout_s: float = 60.0) -> int:
    """The exit code of ``process`` once it has ended (after a Ctrl-C the test sent); if it has not ended
    within ``timeout_s`` (generous: a loaded machine), fail with the end of its stderr (``err_path``)."""
    import subprocess

    try:
        return process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        tail = open(err_path, encoding="utf-8", errors="replace").read()[-2000:]
        raise AssertionError(f"still running {timeout_s:g} s after Ctrl-C; its stderr ends:\n{tail}") from None


def simulate_recording(run_cli, path, *options) -> list[dict]:
    """``groundstation simulate ... --out path``; the truth it wrote: one dict a frame sent."""
    result = run_cli("simulate", *options, "--out", path)
    assert result.code == 0, result.err
    return json.loads(path.read_text())["global"]["groundstation:frames"]
