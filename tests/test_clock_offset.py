"""Transmitters whose clock is a few per cent off nominal (AO-27 sends AFSK at about 1240 baud) with short
frames: gen_packets audio played at speed 0.95-1.05 by sox, decoded beside direwolf's atest."""

import os
import subprocess
import sys

import numpy as np
import pytest
from support import require_program

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "benchmarks"))

from peers import add_noise, atest_infos, make_clean  # noqa: E402

from groundstation.dsp.decoder import decode_recording  # noqa: E402
from groundstation.recordings.readers import open_recording  # noqa: E402

SPEEDS = (0.95, 0.97, 1.03, 1.05)


def short_texts(count: int, seed: int) -> list[str]:
    """Frames of 20 bytes or so (two addresses, control, PID, a few characters), as AO-27 sends."""
    rng = np.random.default_rng(seed)
    return [f"AO27-{number % 16}>CQ:{number:02d}{int(rng.integers(0, 100)):02d}" for number in range(count)]


@pytest.mark.parametrize("modem, baud, ebn0_db", [("afsk1200", 1200, 14.0), ("fsk9600-g3ruh", 9600, 12.0)])
def test_short_frames_off_nominal_clock_decode_at_least_as_well_as_atest(tmp_path, modem, baud, ebn0_db):
    for program in ("gen_packets", "atest", "sox"):
        require_program(program)
    texts = short_texts(20, seed=baud)
    sent = {text.split(":", 1)[1] for text in texts}
    noisy = add_noise(make_clean(str(tmp_path), texts, baud), str(tmp_path / "noisy.wav"), ebn0_db, baud, seed=7)
    for speed in SPEEDS:
        played = tmp_path / f"speed-{speed}.wav"
        subprocess.run(["sox", noisy, str(played), "speed", str(speed), "rate", "48000"], check=True)
        atest = len({info for info in atest_infos(str(played), baud) if info in sent})
        frames = decode_recording(open_recording(str(played)), modems=[modem])
        ours = len({frame.ax25.info.decode("latin-1").rstrip() for frame in frames if frame.ax25} & sent)
        assert ours >= atest, f"speed {speed}: {ours} frames, atest {atest}"
        assert ours >= 18, f"speed {speed}: only {ours} of 20 frames"
