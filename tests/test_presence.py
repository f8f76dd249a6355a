"""The presence gate of ``--modem auto`` (groundstation/dsp/presence.py): it skips what holds nothing, and it
never costs a frame the ungated decoder finds."""

import numpy as np
import pytest

from frames import Ax25Frame, append_fcs
from groundstation.dsp import presence
from groundstation.dsp.decoder import Decoder
from groundstation.dsp.hdlc import frame_bits, g3ruh_scramble, nrzi_encode
from groundstation.dsp.modems import MODEMS
from groundstation.dsp.modulators import afsk_audio, fm_modulate, fsk_audio
from groundstation.dsp.presence import GatedDemodulator
from groundstation.recordings.block import Block

RATE_SPS = 48000


def packet_audio(text: str, modem_name: str) -> np.ndarray:
    """One SIMULATED AX.25 packet as receiver audio (FSK: the FM modulating signal; AFSK: the tones), unit power."""
    spec = MODEMS[modem_name]
    frame = Ax25Frame.ui("SIMSAT", "TLM", f"SIMULATED {text}".encode()).to_bytes()
    levels = nrzi_encode(frame_bits(append_fcs(frame), preamble_flags=max(4, spec.baud // 80), postamble_flags=3))
    if spec.scrambled:
        levels = g3ruh_scramble(levels)
    maker = afsk_audio if spec.kind == "afsk" else fsk_audio
    audio = maker(levels, spec.baud, RATE_SPS).astype(np.float64)
    return audio / np.sqrt(np.mean(audio**2))


def place(audio: np.ndarray, at_s: float, piece: np.ndarray, gain: float = 1.0) -> None:
    first = int(at_s * RATE_SPS)
    audio[first : first + len(piece)] += gain * piece


def decode(audio: np.ndarray, gate: bool = True, block_samples: int = 1 << 18) -> tuple[list, Decoder]:
    decoder = Decoder(RATE_SPS, False, ["auto"], gate=gate)
    found = []
    for first in range(0, len(audio), block_samples):
        samples = audio[first : first + block_samples].astype(np.float32)
        found += decoder.process(Block(samples, RATE_SPS, None, None, first / RATE_SPS))
    return found + decoder.flush(), decoder


def noise(seconds: float, seed: int, sigma: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, sigma, int(seconds * RATE_SPS))


def gated(decoder: Decoder, name: str) -> GatedDemodulator:
    return next(demod for demod in decoder.demodulators if getattr(demod, "name", None) == name)


@pytest.mark.parametrize("modem_name", ["fsk9600-g3ruh", "fsk1200", "fsk4800-g3ruh"])
def test_a_packet_after_a_long_quiet_among_afsk_packets_is_decoded_with_the_gate(modem_name):
    # 40 s: noise, AFSK packets every 2 s from 12 s on (past the warm-up), one packet of the modem at 30 s
    audio = noise(40.0, 1, sigma=0.05)
    afsk = packet_audio("afsk filler", "afsk1200")
    for at_s in np.arange(12.0, 38.0, 2.0):
        if not 29.0 < at_s < 32.0:
            place(audio, at_s, afsk, gain=0.5)
    place(audio, 30.0, packet_audio(f"{modem_name} after the quiet", modem_name), gain=0.5)
    found, decoder = decode(audio)
    ours = [frame for frame in found if frame.modem == modem_name]
    preamble_s = 8 * max(4, MODEMS[modem_name].baud // 80) / MODEMS[modem_name].baud
    assert len(ours) == 1 and ours[0].raw.endswith(b"after the quiet") and abs(ours[0].t - 30.0 - preamble_s) < 0.01
    ungated, _ = decode(audio, gate=False)
    assert [(frame.raw, round(frame.t, 6)) for frame in ungated] == [(frame.raw, round(frame.t, 6)) for frame in found]
    assert len([frame for frame in found if frame.modem == "afsk1200"]) == 12
    gate = gated(decoder, modem_name.removesuffix("-g3ruh"))
    assert gate.latched  # it found a frame: from then on it runs everywhere


def test_the_gate_keeps_the_other_chains_off_afsk_audio():
    # AFSK at Eb/N0 14.6 dB (the speed benchmark's file is at 11 dB); much stronger AFSK leaks enough into the
    # FSK bands below 400 Hz to open their gates at times (README: speed)
    audio = noise(60.0, 2, sigma=0.05)
    for number, at_s in enumerate(np.arange(0.5, 59.0, 0.9)):
        place(audio, at_s, packet_audio(f"afsk only {number:02d} " + "x" * 30, "afsk1200"), gain=0.06)
    found, decoder = decode(audio)
    assert {frame.modem for frame in found} == {"afsk1200"} and len(found) >= 60
    for demod in decoder.demodulators:
        if isinstance(demod, GatedDemodulator):
            # the warm-up, and then never (or hardly ever: the AFSK tones' sidebands may touch a band)
            assert not demod.latched and demod.runs <= 3, (demod.name, demod.runs)


def test_a_fresh_chain_slices_what_the_ungated_one_does(monkeypatch):
    # Without the latch every frame has to come through the gate: marginal frames (Eb/N0 about 6 dB), each
    # after a quiet gap, decoded ungated and gated must give the same frames (the fresh chains start on the
    # ungated chain's grids, so they slice the same symbols).
    monkeypatch.setattr(presence, "LATCH", False)
    rng = np.random.default_rng(5)
    baud = 9600
    noise_sigma = np.sqrt((RATE_SPS / 2) / baud / 10 ** 0.6)  # unit-power signal at Eb/N0 6 dB
    audio = noise(100.0, 3, noise_sigma)
    for number, at_s in enumerate(np.arange(12.0, 96.0, 4.0) + rng.uniform(0, 1.5, 21)):
        place(audio, at_s, packet_audio(f"marginal {number:02d} " + "y" * int(rng.integers(0, 60)), "fsk9600-g3ruh"))
    ungated, _ = decode(audio, gate=False)
    with_gate, decoder = decode(audio)
    marginal = {frame.raw for frame in ungated if frame.modem == "fsk9600-g3ruh"}
    assert 3 <= len(marginal) <= 18  # neither all nor none: the test is at the edge
    assert {frame.raw for frame in with_gate if frame.modem == "fsk9600-g3ruh"} == marginal
    assert gated(decoder, "fsk9600").runs >= 10


def test_iq_through_the_fm_channel_decodes_the_same_with_the_gate():
    # The gates watch the FM channel's audio (its blocks start a filter delay before the input's): an FSK 9600
    # packet after a quiet half minute, among AFSK packets, as FM on 48 kS/s IQ
    audio = np.zeros(int(40.0 * RATE_SPS))
    for number, at_s in enumerate((12.0, 16.0, 20.0, 24.0, 34.0)):
        place(audio, at_s, packet_audio(f"afsk iq {number}", "afsk1200"), gain=0.5)
    place(audio, 30.0, packet_audio("fsk9600 on iq", "fsk9600-g3ruh"), gain=0.5)
    iq = fm_modulate(audio, 3000.0, RATE_SPS)
    rng = np.random.default_rng(6)
    iq = iq + 0.05 * (rng.standard_normal(len(iq)) + 1j * rng.standard_normal(len(iq)))

    def frames(gate: bool) -> list:
        decoder = Decoder(RATE_SPS, True, ["auto"], gate=gate)
        found = []
        for first in range(0, len(iq), 1 << 17):
            samples = iq[first : first + (1 << 17)].astype(np.complex64)
            found += decoder.process(Block(samples, RATE_SPS, 435e6, None, first / RATE_SPS))
        return sorted((frame.modem, frame.raw, round(frame.t, 6)) for frame in found + decoder.flush())

    gated_frames = frames(True)
    assert [modem for modem, _, _ in gated_frames].count("fsk9600-g3ruh") == 1
    assert gated_frames == frames(False)


def test_frames_come_out_the_same_whatever_the_block_size():
    audio = noise(30.0, 4, sigma=0.05)
    place(audio, 20.0, packet_audio("blocks", "fsk9600"), gain=0.5)
    place(audio, 25.0, packet_audio("blocks later", "fsk1200"), gain=0.5)
    results = []
    for block_samples in (1 << 18, 12345, 4096):
        found, _ = decode(audio, block_samples=block_samples)
        results.append(sorted((frame.modem, frame.raw, round(frame.t, 3)) for frame in found))
    assert results[0] == results[1] == results[2] and len(results[0]) == 2
