"""Twisted audio: a receiver's speaker output is de-emphasised (the 2200 Hz tone about 5 dB below the 1200 Hz
one), a discriminator output of a pre-emphasised transmitter the other way round; and clicks far above the
signal. gen_packets audio through each, decoded beside direwolf's atest."""

import os
import sys

import pytest
from support import require_program

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "benchmarks"))

from peers import add_noise, atest_infos, make_clean, packet_texts  # noqa: E402

from groundstation.dsp.decoder import decode_recording  # noqa: E402
from groundstation.recordings.readers import open_recording  # noqa: E402


@pytest.mark.parametrize("twist_kind, impulses_db, ebn0_db, least",
                         [("de", None, 11.0, 12), ("pre", None, 10.5, 8), ("flat", 25.0, 10.5, 14)])
def test_twisted_or_clicky_afsk_decodes_at_least_as_well_as_atest(tmp_path, twist_kind, impulses_db, ebn0_db, least):
    """(With the three space gains of 0.7 to 1.4 only, de-emphasised audio at 11 dB gave 6 of 20 frames.)"""
    for program in ("gen_packets", "atest"):
        require_program(program)
    texts = packet_texts(20, seed=41)
    sent = {text.split(":", 1)[1] for text in texts}
    clean = make_clean(str(tmp_path), texts, 1200)
    noisy = add_noise(clean, str(tmp_path / "noisy.wav"), ebn0_db, 1200, 43, twist_kind, impulses_db)
    atest = len({info for info in atest_infos(noisy, 1200) if info in sent})
    frames = decode_recording(open_recording(noisy), modems=["afsk1200"])
    ours = len({frame.ax25.info.decode("latin-1").removesuffix("\n") for frame in frames if frame.ax25} & sent)
    assert ours >= atest, f"{ours} frames, atest {atest}"
    assert ours >= least, f"only {ours} of 20 frames"
