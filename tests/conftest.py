"""Shared fixtures: frames made with ``frames`` (so a test frame is a real one) and the CLI runner."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from frames import Ax25Frame, encode_data_frame
from groundstation.cli import main


@pytest.fixture(autouse=True)
def no_user_settings(tmp_path_factory, monkeypatch):
    """Every test runs without the user's settings (a home station) or element-set cache."""
    home = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys):
    """Run ``groundstation ARGS...`` in this process; return exit code, stdout and stderr."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def beacon_frames() -> list[Ax25Frame]:
    return [
        Ax25Frame.ui("N0CALL-3", "BEACON", f"T#{n:03d},batt=7.{n}V".encode(), path=("WIDE1-1",))
        for n in range(4)
    ]


@pytest.fixture
def kiss_file(tmp_path, beacon_frames):
    path = tmp_path / "beacons.kiss"
    path.write_bytes(b"".join(encode_data_frame(frame.to_bytes()) for frame in beacon_frames))
    return path
