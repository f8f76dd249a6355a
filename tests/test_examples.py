"""Every script in examples/ runs as a user runs it (no argument), prints what it should, and leaves nothing
behind in the temporary folder; so the examples never rot."""

import os
import runpy
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def run_example(tmp_path, monkeypatch, capsys):
    """Run ``examples/NAME ARGS`` as ``python`` would (``__main__``), from an empty folder, with the temporary
    folder watched: return what it printed; fail if it left anything in the temporary folder."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    monkeypatch.chdir(tmp_path)

    def run(name: str, *args: str) -> str:
        monkeypatch.setattr(sys, "argv", [name, *args])
        capsys.readouterr()
        runpy.run_path(str(EXAMPLES / name), run_name="__main__")
        assert list(temporary.iterdir()) == [], f"{name} left files in the temporary folder"
        return capsys.readouterr().out

    return run


def test_every_example_is_tested():
    tested = {"kiss_roundtrip.py", "predict_passes.py", "decode_wav.py", "simulate_and_check.py"}
    assert {path.name for path in EXAMPLES.glob("*.py")} == tested


def test_kiss_roundtrip_example(run_example, tmp_path):
    assert run_example("kiss_roundtrip.py").splitlines() == [f"N0CALL-1>BEACON:T#00{n}" for n in range(3)]
    assert run_example("kiss_roundtrip.py", "c.kiss").count("N0CALL-1>BEACON") == 3
    assert (tmp_path / "c.kiss").read_bytes().count(b"\xc0") == 6  # kept where the user said
    # As a separate process too, with TMPDIR watched.
    temporary = tmp_path / "process-tmp"
    temporary.mkdir()
    completed = subprocess.run([sys.executable, str(EXAMPLES / "kiss_roundtrip.py")], capture_output=True, text=True,
                               check=True, cwd=tmp_path,
                               env=dict(os.environ, TMPDIR=str(temporary), PYTHONPATH=str(EXAMPLES.parent)))
    assert completed.stdout.count("N0CALL-1>BEACON") == 3 and list(temporary.iterdir()) == []


def test_predict_passes_example(run_example, tmp_path):
    lines = run_example("predict_passes.py").splitlines()
    assert len(lines) >= 3 and all(" max " in line for line in lines[:-1])
    assert all(float(line.split(" max ")[1].split()[0]) >= 5 for line in lines[:-1])
    assert lines[-1] == "sky tracks: malligyong-1-sky.png"
    assert (tmp_path / "malligyong-1-sky.png").read_bytes()[:4] == b"\x89PNG"


def test_decode_wav_example(run_example):
    lines = run_example("decode_wav.py").splitlines()
    assert len(lines) == 6 and all("fsk9600-g3ruh: SIMSAT>TLM:SIMULATED beacon" in line for line in lines)


def test_decode_wav_example_on_a_shipped_recording(run_example):
    lines = run_example("decode_wav.py", str(EXAMPLES / "data" / "swiatowid-ax25.wav")).splitlines()
    assert len(lines) == 2 and all("afsk1200: SR6SAT-6>APDST4-6" in line for line in lines)


def test_simulate_and_check_example(run_example, tmp_path):
    line = run_example("simulate_and_check.py")
    assert line.startswith("TRANSMITTING: Malligyong-1 signal on its Doppler track at 435.000")
