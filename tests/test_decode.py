"""The DSP decoder end to end: simulator round trips, block boundaries, Doppler, peers' audio, real
recordings, noise, and damaged input."""

import csv
import json
import logging
import subprocess
from pathlib import Path

import numpy as np
import pytest
from support import require_program, simulate_recording

from groundstation.dsp.decoder import Decoder, decode_recording
from groundstation.recordings.block import Block
from groundstation.recordings.readers import open_recording

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
BUNDLED = Path(__file__).resolve().parents[1] / "examples" / "data"
SIM = ["--sat", "Malligyong-1", "--station", "37.57,126.98,38", "--freq", "435e6"]
NEAR_TCA = ["--start", "2024-06-12T14:26:00Z"]
FM_MODEMS = ["afsk1200", "fsk1200", "fsk4800", "fsk9600", "fsk1200-g3ruh", "fsk4800-g3ruh", "fsk9600-g3ruh"]


def simulate(run_cli, tmp_path, name, *extra):
    out = tmp_path / f"{name}.sigmf-meta"
    return out, simulate_recording(run_cli, out, *SIM, *extra)


@pytest.mark.parametrize("modem_name", FM_MODEMS)
def test_every_modem_round_trips_through_the_simulator(run_cli, tmp_path, modem_name):
    meta, truth = simulate(run_cli, tmp_path, modem_name, *NEAR_TCA, "--duration", "16", "--beacon-interval", "3",
                           "--cn0", "70", "--modem", modem_name, "--seed", "5")
    frames = list(decode_recording(open_recording(str(meta)), modems=[modem_name]))
    assert [frame.raw.hex() for frame in frames] == [frame["hex"] for frame in truth]
    assert all(frame.crc == "ok" and frame.modem == modem_name for frame in frames)
    for frame, sent in zip(frames, truth):
        assert abs(frame.t - sent["t_start_s"]) < 0.2


def test_auto_finds_the_modem_by_itself_and_nothing_else(run_cli, tmp_path):
    meta, truth = simulate(run_cli, tmp_path, "auto", *NEAR_TCA, "--duration", "10", "--beacon-interval", "3",
                           "--cn0", "70", "--modem", "fsk4800-g3ruh")
    frames = list(decode_recording(open_recording(str(meta))))
    assert [frame.raw.hex() for frame in frames] == [frame["hex"] for frame in truth]
    assert {frame.modem for frame in frames} == {"fsk4800-g3ruh"}


@pytest.mark.parametrize("block_samples", [777, 4096, 1 << 20])
def test_frames_split_across_blocks_decode_once(run_cli, tmp_path, block_samples):
    meta, truth = simulate(run_cli, tmp_path, "blocks", *NEAR_TCA, "--duration", "12", "--beacon-interval", "2",
                           "--cn0", "70", "--modem", "afsk1200")
    frames = list(decode_recording(open_recording(str(meta)), modems=["afsk1200"], block_samples=block_samples))
    assert [frame.raw.hex() for frame in frames] == [frame["hex"] for frame in truth]


def test_offset_and_doppler_with_sat(run_cli, tmp_path):
    meta, truth = simulate(run_cli, tmp_path, "doppler", "--start", "2024-06-12T14:23:00Z", "--duration", "60",
                           "--beacon-interval", "5", "--cn0", "65", "--modem", "fsk9600-g3ruh", "--offset", "3000",
                           "--samplerate", "96000", "--datatype", "ci16_le")
    out = tmp_path / "frames.jsonl"
    result = run_cli("decode", meta, "--modem", "fsk9600-g3ruh", "--offset", "3000", "--sat", "Malligyong-1",
                     "--station", "37.57,126.98,38", "--format", "jsonl", "--out", out)
    assert result.code == 0, result.err
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [record["info_hex"] for record in records] == [frame["hex"][2 * 16 :] for frame in truth]
    assert records[0]["time"].startswith("2024-06-12T14:23:0") and records[0]["level_db"] is not None
    assert "frames (fsk9600-g3ruh: 12)" in result.err and "x real time" in result.err


def test_iq_signal_off_by_up_to_12_khz_decodes_without_doppler_data(run_cli, tmp_path):
    meta, truth = simulate(run_cli, tmp_path, "off", "--start", "2024-06-12T14:23:00Z", "--duration", "20",
                           "--beacon-interval", "4", "--cn0", "70", "--modem", "afsk1200", "--offset", "2000",
                           "--samplerate", "48000")
    doppler = [value for _, value in json.loads(meta.read_text())["global"]["groundstation:doppler_hz"]]
    assert min(doppler) > 9000  # the signal sits 11 kHz and more from where the decoder is told
    frames = list(decode_recording(open_recording(str(meta)), modems=["afsk1200"]))
    assert [frame.raw.hex() for frame in frames] == [frame["hex"] for frame in truth]


def gen_packets_audio(tmp_path, baud, count=20):
    gen_packets = require_program("gen_packets")
    texts = tmp_path / "packets.txt"
    texts.write_text("".join(f"N0CALL-7>TEST,WIDE2-1:independent generator packet {n:03d} of {count}\n"
                             for n in range(count)))
    wav = tmp_path / f"gen{baud}.wav"
    # -g -b N: G3RUH-scrambled baseband at N baud (direwolf's -B 4800 would be 8PSK)
    speed = ["-g", "-b", str(baud)] if baud != 1200 else []
    subprocess.run([gen_packets, "-r", "48000", *speed, "-o", str(wav), str(texts)], check=True, capture_output=True)
    return wav


@pytest.mark.parametrize("baud, modem_name", [(1200, "afsk1200"), (9600, "fsk9600-g3ruh"), (4800, "fsk4800-g3ruh")])
def test_direwolf_gen_packets_audio(tmp_path, baud, modem_name):
    wav = gen_packets_audio(tmp_path, baud)
    frames = list(decode_recording(open_recording(str(wav)), modems=[modem_name]))
    assert [frame.ax25.info for frame in frames] == [
        f"independent generator packet {n:03d} of 20\n".encode() for n in range(20)]
    assert frames[0].monitor_line().startswith("N0CALL-7>TEST,WIDE2-1:")


def corpus_rows():
    """The recordings shipped in examples/data/, then the rest of ../shared/corpus/ where it is present;
    BPSK files are skipped with a reason while no BPSK demodulator is registered."""
    from groundstation.dsp.modems import MODEMS

    rows = {}
    for folder in (BUNDLED, CORPUS):
        manifest = folder / "manifest.tsv"
        if manifest.exists():
            for row in csv.DictReader(manifest.open(), delimiter="\t"):
                rows.setdefault(row["file"], dict(row, path=str(folder / row["file"])))
    params = []
    for row in rows.values():
        marks = () if MODEMS[row["modem"]].decodable else pytest.mark.skip(
            reason=f"{row['modem']}: no demodulator yet (the BPSK issue)")
        params.append(pytest.param(row, id=row["file"], marks=marks))
    return params


@pytest.mark.parametrize("row", corpus_rows())
def test_real_recordings_as_many_frames_as_the_best_peer(row):
    best_peer = max(int(value) for value in (row["direwolf"], row["gr_satellites"]) if value != "-")
    frames = list(decode_recording(open_recording(row["path"]), modems=[row["modem"]]))
    assert len(frames) >= best_peer
    assert all(frame.record is not None for frame in frames)  # each parses as the format it is labelled
    if "not valid AX.25" in row["notes"]:
        assert any(frame.format == "hdlc" and frame.ax25 is None for frame in frames)


def test_no_false_frames_from_two_minutes_of_noise():
    """Every modem and slicer on noise (tests/benchmarks/bench_noise.py runs hours of it)."""
    rng = np.random.default_rng(2024)
    decoder = Decoder(48000, False, ["auto"], gate=False)  # every chain everywhere, not only where the gate opens
    found = []
    for second in range(0, 120, 10):
        noise = rng.standard_normal(480_000).astype(np.float32) * 0.1
        found += decoder.process(Block(noise, 48000.0, None, None, float(second)))
    found += decoder.flush()
    assert found == []


def test_damaged_audio_is_survived(tmp_path, caplog):
    wav = gen_packets_audio(tmp_path, 1200, count=6)
    samples = np.concatenate([block.samples for block in open_recording(str(wav)).blocks()])
    damaged = np.concatenate([
        np.zeros(48000, np.float32),                  # silence
        np.full(48000, 0.7, np.float32),              # DC
        np.clip(samples * 8, -0.25, 0.25),            # hard clipped
        samples + 0.3,                                # DC offset under the signal
    ]).astype(np.complex64)
    damaged[5000] = np.nan
    damaged[60000] = np.inf
    path = tmp_path / "damaged.cf32"
    damaged.real.astype(np.float32).view(np.float32).tofile(path)  # real samples in a float file
    recording = open_recording(str(path), datatype="rf32_le", rate_sps=48000)
    with caplog.at_level(logging.WARNING):
        frames = list(decode_recording(recording, modems=["afsk1200"]))
    assert "NaN" in caplog.text
    assert len(frames) == 12  # six from the clipped copy, six from the offset one


def test_decode_cli_on_audio_and_bad_options(run_cli, tmp_path):
    wav = gen_packets_audio(tmp_path, 1200, count=3)
    result = run_cli("decode", wav, "--modem", "afsk1200")
    assert result.code == 0 and result.out.count("N0CALL-7>TEST,WIDE2-1:") == 3
    assert "[t=" in result.out and "afsk1200" in result.out
    assert run_cli("decode", wav, "--iq").code == 2
    ignored = run_cli("decode", wav, "--sat", "58400", "--station", "1,2")
    assert ignored.code == 0 and "--sat and --offset apply to IQ recordings and are ignored" in ignored.err
    missing = run_cli("decode", tmp_path / "missing.wav")
    assert missing.code == 2 and "no such file" in missing.err


def test_sigmf_annotate_adds_one_annotation_per_decoded_frame(run_cli, tmp_path):
    meta, truth = simulate(run_cli, tmp_path, "annotate", *NEAR_TCA, "--duration", "10", "--beacon-interval", "3",
                           "--cn0", "70", "--modem", "afsk1200")
    before = json.loads(meta.read_text())["annotations"]
    result = run_cli("decode", meta, "--modem", "afsk1200", "--sigmf-annotate")
    assert result.code == 0
    annotations = json.loads(meta.read_text())["annotations"]
    decoded = [a for a in annotations if a.get("groundstation:decoded")]
    assert len(decoded) == len(truth) and len(annotations) == len(before) + len(truth)
    assert [a["groundstation:hex"] for a in decoded] == [frame["hex"] for frame in truth]
    from sigmf import validate

    validate.validate(json.loads(meta.read_text()))


def test_zero_frames_with_the_wrong_variant_says_which_modem_finds_them(run_cli):
    tigrisat = Path(__file__).resolve().parents[1] / "examples" / "data" / "tigrisat.wav"
    result = run_cli("decode", tigrisat, "--modem", "fsk9600")
    assert result.code == 0 and result.out == ""
    assert "hint: 0 frames with --modem fsk9600, but 4 with fsk9600-g3ruh" in result.err
    assert "hint" not in run_cli("decode", tigrisat, "--modem", "fsk9600-g3ruh").err
