"""BPSK end to end: SIMULATED SSB audio with an offset and drift carrier, simulated IQ passes with Doppler,
the real BPSK recordings of the corpus, and noise."""

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from support import simulate_recording

from frames import Ax25Frame, append_fcs
from groundstation.dsp.bpsk import default_carrier_hz
from groundstation.dsp.bpsk_mod import bpsk_baseband, usb_audio
from groundstation.dsp.decoder import Decoder, decode_recording
from groundstation.dsp.hdlc import frame_bits, g3ruh_scramble, nrzi_encode
from groundstation.dsp.modems import MODEMS
from groundstation.recordings.block import Block
from groundstation.recordings.readers import open_recording

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
BUNDLED = Path(__file__).resolve().parents[1] / "examples" / "data"
BPSK_MODEMS = ["bpsk1200", "bpsk9600", "bpsk1200-g3ruh", "bpsk9600-g3ruh"]
RATE_SPS = 48000
SIM = ["--sat", "Malligyong-1", "--station", "37.57,126.98,38", "--freq", "435e6"]


def simulated_audio(modem_name: str, count: int, ebn0_db: float, offset_hz: float, drift_hz_s: float,
                    seed: int = 1, clock: float = 1.0) -> tuple[np.ndarray, list[bytes]]:
    """SIMULATED USB audio: ``count`` frames with gaps, the carrier ``offset_hz`` off the nominal and
    drifting by ``drift_hz_s``, the bit rate ``clock`` times the nominal, white noise at ``ebn0_db``."""
    spec = MODEMS[modem_name]
    frames = [Ax25Frame.ui("SIMSAT", "TLM", f"SIMULATED {modem_name} frame {n} of {count}".encode()).to_bytes()
              for n in range(count)]
    gap = np.zeros(int(0.15 * RATE_SPS), np.complex64)
    pieces = [gap]
    flags = max(4, int(np.ceil(0.1 * spec.baud / 8)))
    for frame in frames:
        levels = nrzi_encode(frame_bits(append_fcs(frame), preamble_flags=flags, postamble_flags=3))
        levels = g3ruh_scramble(levels) if spec.scrambled else levels
        pieces += [bpsk_baseband(levels, spec.baud * clock, RATE_SPS), gap]
    baseband = np.concatenate(pieces)
    t = np.arange(len(baseband)) / RATE_SPS
    audio = usb_audio(baseband, RATE_SPS, default_carrier_hz(spec.baud) + offset_hz + drift_hz_s * t, phase_rad=1.0)
    rng = np.random.default_rng(seed)
    signal_power = 0.5  # unit-power baseband, real part
    sigma = math.sqrt(signal_power * RATE_SPS / 2 / spec.baud / 10 ** (ebn0_db / 10))
    return audio + rng.standard_normal(len(audio)).astype(np.float32) * np.float32(sigma), frames


def decode_audio(audio: np.ndarray, modem_name: str, block: int = 10007) -> list:
    decoder = Decoder(RATE_SPS, False, [modem_name])
    found = []
    for start in range(0, len(audio), block):
        found += decoder.process(Block(audio[start : start + block], float(RATE_SPS), None, None, start / RATE_SPS))
    return found + decoder.flush()


@pytest.mark.parametrize("modem_name", BPSK_MODEMS)
@pytest.mark.parametrize("offset_hz, drift_hz_s", [(-280.0, 40.0), (350.0, -60.0)])
def test_simulated_audio_with_offset_and_drift_decodes_every_frame(modem_name, offset_hz, drift_hz_s):
    audio, frames = simulated_audio(modem_name, 6, 14.0, offset_hz, drift_hz_s)
    found = decode_audio(audio, modem_name)
    assert [frame.raw for frame in found] == frames
    assert all(frame.crc == "ok" and frame.modem == modem_name for frame in found)


@pytest.mark.parametrize("modem_name", ["bpsk1200", "bpsk9600-g3ruh"])
@pytest.mark.parametrize("clock", [0.97, 1.03])
def test_a_transmitter_clock_three_per_cent_off_decodes(modem_name, clock):
    audio, frames = simulated_audio(modem_name, 5, 14.0, 150.0, 20.0, seed=4, clock=clock)
    assert [frame.raw for frame in decode_audio(audio, modem_name)] == frames


def test_the_180_degree_ambiguity_does_not_matter():
    audio, frames = simulated_audio("bpsk1200", 3, 14.0, 100.0, 0.0)
    assert [frame.raw for frame in decode_audio(-audio, "bpsk1200")] == frames


def test_frames_found_in_one_block_and_in_many_agree():
    audio, frames = simulated_audio("bpsk9600-g3ruh", 4, 12.0, 500.0, 30.0, seed=3)
    assert [f.raw for f in decode_audio(audio, "bpsk9600-g3ruh", block=len(audio))] == frames
    assert [f.raw for f in decode_audio(audio, "bpsk9600-g3ruh", block=777)] == frames


def test_low_snr_decodes_most_frames_and_no_false_ones():
    audio, frames = simulated_audio("bpsk1200", 20, 8.0, 200.0, 20.0, seed=7)
    found = decode_audio(audio, "bpsk1200")
    assert all(frame.raw in frames for frame in found)
    assert len(found) >= 15  # coherent DE-BPSK theory: about 17 of 20 frames this long at 8 dB


def test_a_carrier_outside_the_search_range_is_not_found():
    audio, _ = simulated_audio("bpsk1200", 3, 20.0, 1500.0, 0.0)
    assert decode_audio(audio, "bpsk1200") == []


def test_no_false_frames_from_noise():
    rng = np.random.default_rng(11)
    for modem_name in BPSK_MODEMS:
        demodulator = MODEMS[modem_name].make_demodulator(RATE_SPS)
        found = []
        for _ in range(6):
            found += demodulator.demodulate(rng.standard_normal(RATE_SPS * 5).astype(np.float32))
        assert found + demodulator.flush() == []


@pytest.mark.parametrize("rate_sps, search_hz", [(48000.0, 12000.0), (48000.0, 1000.0), (250000.0, 12000.0)])
def test_the_carrier_search_sees_no_line_in_noise(rate_sps, search_hz):
    demodulator = MODEMS["bpsk1200"].make_demodulator(rate_sps, carrier_hz=3000.0, search_hz=search_hz)
    rng = np.random.default_rng(5)
    for _ in range(8):
        noise = rng.standard_normal(2 * int(rate_sps)).astype(np.float32).view(np.complex64)
        assert demodulator.demodulate(noise) == []
    assert demodulator.search.blocks > 60 and demodulator.search.blocks_with_line == 0


def test_frames_never_pass_through_an_fm_discriminator(monkeypatch, run_cli, tmp_path):
    meta, truth = simulate(run_cli, tmp_path, "nofm", "--start", "2024-06-12T14:26:00Z", "--duration", "8",
                           "--beacon-interval", "3", "--cn0", "65", "--modem", "bpsk1200", "--seed", "2",
                           "--audio", tmp_path / "nofm.wav")

    def refuse(self, samples):
        raise AssertionError("BPSK went through the FM discriminator")

    monkeypatch.setattr("groundstation.dsp.fm.FmDiscriminator.process", refuse)
    for path in (meta, tmp_path / "nofm.wav"):
        frames = list(decode_recording(open_recording(str(path)), modems=["bpsk1200", "bpsk1200-g3ruh"]))
        assert [frame.raw.hex() for frame in frames] == [frame["hex"] for frame in truth]


def simulate(run_cli, tmp_path, name, *extra):
    out = tmp_path / f"{name}.sigmf-meta"
    return out, simulate_recording(run_cli, out, *SIM, *extra)


@pytest.mark.parametrize("modem_name", BPSK_MODEMS)
def test_simulated_iq_pass_with_doppler_and_its_audio_decode_every_frame(run_cli, tmp_path, modem_name):
    # At 14:23 the satellite is low: Doppler near +9.5 kHz and changing by about 30 Hz/s.
    meta, truth = simulate(run_cli, tmp_path, modem_name, "--start", "2024-06-12T14:23:00Z", "--duration", "16",
                           "--beacon-interval", "3", "--cn0", "65", "--modem", modem_name, "--seed", "5",
                           "--offset", "2000", "--audio", tmp_path / f"{modem_name}.wav")
    doppler = [value for _, value in json.loads(meta.read_text())["global"]["groundstation:doppler_hz"]]
    assert min(doppler) > 9000
    frames = list(decode_recording(open_recording(str(meta)), modems=[modem_name], offset_hz=2000.0))
    assert [frame.raw.hex() for frame in frames] == [frame["hex"] for frame in truth]
    for frame, sent in zip(frames, truth):
        assert abs(frame.t - sent["t_start_s"]) < 0.2
    audio_frames = list(decode_recording(open_recording(str(tmp_path / f"{modem_name}.wav")), modems=[modem_name]))
    assert [frame.raw.hex() for frame in audio_frames] == [frame["hex"] for frame in truth]


def test_auto_on_simulated_bpsk_audio_finds_only_the_bpsk_modem():
    audio, frames = simulated_audio("bpsk1200-g3ruh", 3, 14.0, -150.0, 10.0)
    decoder = Decoder(RATE_SPS, False, ["auto"])
    found = decoder.process(Block(audio, float(RATE_SPS), None, None, 0.0)) + decoder.flush()
    assert [frame.raw for frame in found] == frames
    assert {frame.modem for frame in found} == {"bpsk1200-g3ruh"}


def bpsk_rows():
    """The BPSK recordings shipped in examples/data/, then the rest of ../shared/corpus/ where it is present."""
    rows = {}
    for folder in (BUNDLED, CORPUS):
        manifest = folder / "manifest.tsv"
        if manifest.exists():
            for row in csv.DictReader(manifest.open(), delimiter="\t"):
                if row["modem"].startswith("bpsk"):
                    rows.setdefault(row["file"], dict(row, path=folder / row["file"]))
    return list(rows.values())


def fcs_valid_frames(path: Path, modem_name: str) -> list:
    """Every frame the acceptance rules keep without repair, one per content and time."""
    recording = open_recording(str(path))
    demodulator = MODEMS[modem_name].make_demodulator(recording.rate_sps, repair=False)
    found = []
    for block in recording.blocks(1 << 16):
        found += demodulator.process(block)
    found += demodulator.flush()
    distinct = []
    for frame in sorted(found, key=lambda f: f.end_s):
        if not any(other.data == frame.data and abs(other.end_s - frame.end_s) < 0.5 for other in distinct):
            distinct.append(frame)
    return distinct


@pytest.mark.parametrize("row", bpsk_rows(), ids=lambda row: row["file"])
def test_real_bpsk_recordings_at_least_as_many_frames_as_gr_satellites(row):
    frames = fcs_valid_frames(row["path"], row["modem"])
    assert len(frames) >= int(row["gr_satellites"])
    assert all(frame.crc == "ok" for frame in frames)
