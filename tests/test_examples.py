"""Every script in examples/ runs, so the examples never rot."""

import runpy
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_kiss_roundtrip_example(tmp_path):
    module = runpy.run_path(str(EXAMPLES / "kiss_roundtrip.py"))
    assert module["main"](tmp_path / "b.kiss") == [f"N0CALL-1>BEACON:T#00{n}" for n in range(3)]
    completed = subprocess.run([sys.executable, str(EXAMPLES / "kiss_roundtrip.py"), str(tmp_path / "c.kiss")],
                               capture_output=True, text=True, check=True)
    assert completed.stdout.count("N0CALL-1>BEACON") == 3
