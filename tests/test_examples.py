"""Every script in examples/ runs, so the examples never rot."""

import runpy
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name: str) -> dict:
    return runpy.run_path(str(EXAMPLES / name))


def test_every_example_is_tested():
    tested = {"kiss_roundtrip.py", "predict_passes.py", "decode_wav.py", "simulate_and_check.py"}
    assert {path.name for path in EXAMPLES.glob("*.py")} == tested


def test_kiss_roundtrip_example(tmp_path):
    assert load("kiss_roundtrip.py")["main"](tmp_path / "b.kiss") == [f"N0CALL-1>BEACON:T#00{n}" for n in range(3)]
    completed = subprocess.run([sys.executable, str(EXAMPLES / "kiss_roundtrip.py"), str(tmp_path / "c.kiss")],
                               capture_output=True, text=True, check=True)
    assert completed.stdout.count("N0CALL-1>BEACON") == 3


def test_predict_passes_example(tmp_path):
    passes = load("predict_passes.py")["main"](tmp_path / "sky.png")
    assert len(passes) >= 2 and all(item.max_elevation_deg >= 5 for item in passes)
    assert (tmp_path / "sky.png").read_bytes()[:4] == b"\x89PNG"


def test_decode_wav_example(tmp_path):
    module = load("decode_wav.py")
    lines = module["main"](module["simulated_wav"](tmp_path))
    assert len(lines) == 6 and all("fsk9600-g3ruh: SIMSAT>TLM:SIMULATED beacon" in line for line in lines)


def test_simulate_and_check_example(tmp_path):
    line = load("simulate_and_check.py")["main"](tmp_path)
    assert line.startswith("TRANSMITTING: Malligyong-1 signal on its Doppler track at 435.000")
