"""Frames are accepted by evidence, not by looks (DESIGN.md): an FCS-valid frame is data the transmitter sent.

Each case is built with ``frames`` and sent through the real receive chain
(FSK audio -> demodulator -> timing -> HDLC deframer -> acceptance), so the
rules are tested where they act, not only as a function.
"""

import numpy as np
import pytest

from frames import Address, Ax25Frame, Evidence, accept, append_fcs
from groundstation.dsp.decoder import Decoder
from groundstation.dsp.hdlc import frame_bits, g3ruh_scramble, nrzi_encode
from groundstation.dsp.modulators import fsk_audio
from groundstation.recordings.block import Block

RATE_SPS = 48_000.0
BAUD = 9600


def odd_ax25(destination: str, source: str, info: bytes) -> bytes:
    """An AX.25 UI frame whose callsigns ``Address.parse`` would refuse (as satellites send them)."""
    frame = Ax25Frame(destination=Address(destination, ch=True), source=Address(source), info=info)
    return frame.to_bytes()


def transmit(payloads: list[bytes], preamble_flags: int, gap_flags: int = 40) -> np.ndarray:
    """G3RUH FSK audio of HDLC frames (FCS appended), each after ``preamble_flags`` flags (1: the opening flag
    alone), with silence around."""
    bits = [np.zeros(200, np.uint8)]
    for payload in payloads:
        bits.append(frame_bits(append_fcs(payload), preamble_flags=preamble_flags, postamble_flags=1))
        bits.append(np.zeros(gap_flags * 8, np.uint8))
    levels = g3ruh_scramble(nrzi_encode(np.concatenate(bits)))
    audio = fsk_audio(levels, BAUD, RATE_SPS).astype(np.float32)
    return np.concatenate([np.zeros(4800, np.float32), 0.5 * audio, np.zeros(48_000, np.float32)])


def decode(audio: np.ndarray):
    decoder = Decoder(RATE_SPS, False, ["fsk9600-g3ruh"], repair=False)
    return decoder.process(Block(audio, RATE_SPS, None, None, 0.0)) + decoder.flush()


@pytest.mark.parametrize("destination, source", [("GS-H20", "CQ"), ("CQ", "AO27 T"), ("CQ", "N0CALL"),
                                                 ("", ""), ("CQ~", "X")])
def test_any_structural_ax25_header_is_ax25_whatever_its_characters(destination, source):
    payload = odd_ax25(destination, source, b"telemetry")
    frames = decode(transmit([payload], preamble_flags=1))
    assert [(frame.raw, frame.format, frame.crc) for frame in frames] == [(payload, "ax25", "ok")]
    assert frames[0].ax25.source.callsign == source


def test_an_unshifted_header_is_a_raw_hdlc_frame_in_every_output():
    payload = b"ON01SE\x00\x01 telemetry in plain ASCII"
    frames = decode(transmit([payload], preamble_flags=8))
    assert [(frame.raw, frame.format) for frame in frames] == [(payload, "hdlc")]
    assert frames[0].ax25 is None and frames[0].monitor_line() == f"<HDLC, not AX.25: {payload.hex()}>"


def test_a_raw_frame_without_preamble_is_taken_for_a_chance_pass_unless_it_follows_a_frame():
    alone = b"\x13\x37 random-looking payload"
    assert decode(transmit([alone], preamble_flags=1)) == []
    first = odd_ax25("CQ", "SAT", b"first")
    frames = decode(transmit([first, alone], preamble_flags=1, gap_flags=0))
    assert [frame.format for frame in frames] == ["ax25", "hdlc"]


def test_random_fcs_valid_payloads_need_evidence():
    rng = np.random.default_rng(7)
    for _ in range(200):
        payload = rng.integers(0, 256, int(rng.integers(8, 60)), dtype=np.uint8).tobytes()
        if accept(payload, Evidence(repaired=False)) is not None:
            assert accept(payload, Evidence(repaired=False)) == "ax25"  # only if it is structurally AX.25
        assert accept(payload, Evidence(repaired=False, preamble_flags=3)) in ("ax25", "hdlc")
        assert accept(payload, Evidence(repaired=True)) is None


def test_repaired_frames_face_stricter_rules():
    assert accept(odd_ax25("GS-H20", "CQ", b"x"), Evidence(repaired=True)) is None
    assert accept(Ax25Frame.ui("N0CALL", "CQ", b"x").to_bytes(), Evidence(repaired=True)) == "ax25"
