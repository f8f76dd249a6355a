"""Reading and writing recordings: every format in, SigMF out, and the bad inputs."""

import json
import logging
import struct
import subprocess
import sys
import wave
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from groundstation.errors import UserError
from groundstation.recordings.readers import (
    guess_from_filename,
    open_recording,
    parse_datatype,
)
from groundstation.recordings.writers import SigMFWriter

START = datetime(2024, 6, 12, 14, 22, tzinfo=timezone.utc)


def noise_iq(count, seed=1, scale=0.2):
    rng = np.random.default_rng(seed)
    return (scale * (rng.standard_normal(count) + 1j * rng.standard_normal(count))).astype(np.complex64)


def read_all(recording, block_samples=1000):
    blocks = list(recording.blocks(block_samples))
    return np.concatenate([block.samples for block in blocks]) if blocks else np.zeros(0), blocks


@pytest.mark.parametrize("datatype, tolerance", [("cf32_le", 0.0), ("ci16_le", 1 / 32767), ("cu8", 1 / 127.5)])
def test_sigmf_write_then_read(tmp_path, datatype, tolerance):
    samples = noise_iq(5000)
    meta = str(tmp_path / "x.sigmf-meta")
    with SigMFWriter(meta, datatype, 250_000, 435e6, START, "SIMULATED test", {"simulated": True}) as writer:
        writer.write(samples[:3000])
        writer.write(samples[3000:])
        writer.annotate(100, 200, "frame 1", 434.99e6, 435.01e6, tnc2="A>B:c")
    recording = open_recording(meta)
    assert (recording.rate_sps, recording.centre_hz, recording.start_time) == (250_000, 435e6, START)
    assert recording.datatype.name == datatype and recording.sample_count == 5000
    read, blocks = read_all(recording)
    assert np.max(np.abs(read - samples)) <= tolerance * 0.51 * np.sqrt(2) + 1e-7
    assert [block.start_s * block.rate_sps for block in blocks] == [0, 1000, 2000, 3000, 4000]
    assert all(block.t0 == START and block.centre_hz == 435e6 for block in blocks)
    assert recording.annotations[0]["core:label"] == "frame 1"
    assert recording.metadata["groundstation:simulated"] is True


def test_sigmf_metadata_is_valid_for_the_sigmf_package(tmp_path):
    from sigmf import validate

    meta = str(tmp_path / "x.sigmf-meta")
    with SigMFWriter(meta, "ci16_le", 48000, 435e6, START, "SIMULATED", {"simulated": True}) as writer:
        writer.write(noise_iq(100))
        writer.annotate(0, 10, "frame 1")
    validate.validate(json.load(open(meta)))


@pytest.mark.parametrize(
    "name, dtype, scale, offset",
    [("x.cu8", np.uint8, 127.5, 127.5), ("x.cs8", np.int8, 127, 0), ("x.cs16", np.int16, 32767, 0),
     ("x.cf32", np.float32, 1, 0), ("x.cfile", np.float32, 1, 0)],
)
def test_raw_files_by_extension(tmp_path, name, dtype, scale, offset):
    samples = noise_iq(2000, scale=0.2)
    components = np.empty(4000, np.float64)
    components[0::2], components[1::2] = samples.real, samples.imag
    path = tmp_path / name
    path.write_bytes(np.rint(components * scale + offset).astype(dtype).tobytes() if scale != 1 else
                     components.astype(dtype).tobytes())
    recording = open_recording(str(path), rate_sps=240_000)
    read, _ = read_all(recording)
    assert recording.sample_count == 2000
    assert np.max(np.abs(read - samples)) < 0.02


def test_raw_needs_samplerate_and_known_extension(tmp_path):
    path = tmp_path / "capture.cu8"
    path.write_bytes(bytes(100))
    with pytest.raises(UserError, match="--samplerate"):
        open_recording(str(path))
    odd = tmp_path / "capture.bin"
    odd.write_bytes(bytes(7))
    with pytest.raises(UserError, match="--datatype"):
        open_recording(str(odd), rate_sps=1000)


def test_raw_with_partial_sample_is_refused(tmp_path):
    path = tmp_path / "odd.cs16"
    path.write_bytes(bytes(4 * 100 + 3))
    with pytest.raises(UserError, match="not a whole number of ci16_le samples"):
        open_recording(str(path), rate_sps=48000)


def test_wav_mono_audio_and_stereo_iq_and_filename_metadata(tmp_path):
    mono = tmp_path / "audio.wav"
    with wave.open(str(mono), "wb") as file:
        file.setnchannels(1), file.setsampwidth(2), file.setframerate(48000)
        file.writeframes(np.arange(-500, 500, dtype="<i2").tobytes())
    recording = open_recording(str(mono))
    read, _ = read_all(recording)
    assert not recording.datatype.is_complex and recording.rate_sps == 48000 and len(read) == 1000
    assert read[0] == pytest.approx(-500 / 32767)
    stereo = tmp_path / "baseband_435000000Hz_12-30-00_05-06-2024.wav"
    with wave.open(str(stereo), "wb") as file:
        file.setnchannels(2), file.setsampwidth(2), file.setframerate(96000)
        file.writeframes(np.array([100, -200] * 50, dtype="<i2").tobytes())
    recording = open_recording(str(stereo))
    read, _ = read_all(recording)
    assert recording.datatype.is_complex and len(read) == 50
    assert read[0] == pytest.approx((100 - 200j) / 32767)
    assert recording.centre_hz == 435e6
    assert recording.start_time == datetime(2024, 6, 5, 12, 30, tzinfo=timezone.utc)


def test_float_wav(tmp_path):
    path = tmp_path / "float.wav"
    data = np.linspace(-1, 1, 300, dtype="<f4")
    fmt = struct.pack("<HHIIHH", 3, 1, 8000, 32000, 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", data.nbytes) + data.tobytes()
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    read, _ = read_all(open_recording(str(path)))
    assert np.allclose(read, data)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("bad.wav", b"RIFX....WAVEfmt ", "not a WAV file"),
        ("bad2.wav", b"RIFF\x10\x00\x00\x00WAVEjunk\x00\x00\x00\x00", "no data chunk"),
    ],
)
def test_bad_wav_headers(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UserError, match=message):
        open_recording(str(path))


def test_sigmf_missing_data_file_and_unknown_datatype(tmp_path):
    meta = tmp_path / "lonely.sigmf-meta"
    meta.write_text(json.dumps({"global": {"core:datatype": "cf32_le", "core:sample_rate": 1000, "core:version": "1.2.0"},
                                "captures": [{"core:sample_start": 0}], "annotations": []}))
    with pytest.raises(UserError, match="data file .* is missing"):
        open_recording(str(meta))
    (tmp_path / "lonely.sigmf-data").write_bytes(bytes(80))
    meta.write_text(meta.read_text().replace("cf32_le", "cq99"))
    with pytest.raises(UserError, match="not valid SigMF|unknown datatype"):
        open_recording(str(meta))
    with pytest.raises(UserError, match="unknown datatype"):
        parse_datatype("complex-floats")


def test_truncated_sigmf_drops_the_partial_sample_with_a_warning(tmp_path, caplog):
    meta = str(tmp_path / "cut.sigmf-meta")
    with SigMFWriter(meta, "cf32_le", 1000, None, None) as writer:
        writer.write(noise_iq(10))
    with open(meta.replace("meta", "data"), "ab") as file:
        file.write(b"\x01\x02\x03")
    with caplog.at_level(logging.WARNING):
        read, _ = read_all(open_recording(meta), block_samples=4)
    assert len(read) == 10 and "partial sample" in caplog.text


def test_sigmf_core_dataset_is_not_followed(tmp_path, caplog):
    meta = tmp_path / "pair.sigmf-meta"
    with SigMFWriter(str(meta), "cf32_le", 1000, None, None) as writer:
        writer.write(noise_iq(10))
    document = json.loads(meta.read_text())
    document["global"]["core:dataset"] = "other.bin"
    meta.write_text(json.dumps(document))
    with caplog.at_level(logging.WARNING):
        read, _ = read_all(open_recording(str(meta)))
    assert len(read) == 10 and "core:dataset" in caplog.text
    document["global"]["core:dataset"] = "/etc/passwd"  # not a file name: the schema refuses it
    meta.write_text(json.dumps(document))
    with pytest.raises(UserError, match="not valid SigMF metadata"):
        open_recording(str(meta))


def test_nan_and_inf_become_zero_with_a_warning(tmp_path, caplog):
    samples = noise_iq(100)
    samples[10] = np.nan
    samples[20] = np.inf + 1j
    path = tmp_path / "broken.cf32"
    path.write_bytes(samples.tobytes())
    with caplog.at_level(logging.WARNING):
        read, _ = read_all(open_recording(str(path), rate_sps=1000))
    assert np.isfinite(read).all() and read[10] == 0 and read[20] == 0 and read[30] == samples[30]
    assert "NaN" in caplog.text


def test_stdin_reads_like_a_file(tmp_path):
    samples = np.arange(20, dtype=np.uint8)
    script = ("import numpy as np; from groundstation.recordings.readers import open_recording;"
              "r = open_recording('-', datatype='cu8', rate_sps=2.4e6);"
              "print(sum(len(b.samples) for b in r.blocks(3)))")
    completed = subprocess.run([sys.executable, "-c", script], input=samples.tobytes(), capture_output=True, check=True)
    assert completed.stdout.strip() == b"10"


def test_filename_conventions():
    assert guess_from_filename("SDRSharp_20240605_123000Z_435000000Hz_IQ.wav") == (
        435e6, datetime(2024, 6, 5, 12, 30, tzinfo=timezone.utc), False)
    assert guess_from_filename("HDSDR_20240605_123000Z_435500kHz_RF.wav")[0] == 435.5e6
    assert guess_from_filename("capture.wav") == (None, None, False)


def test_flac_and_satnogs_ogg_audio_decode_like_the_wav(tmp_path, run_cli):
    """FLAC and OGG Vorbis (SatNOGS' audio, its start time in the name), read through libsndfile."""
    import soundfile

    wav = Path(__file__).resolve().parents[1] / "examples" / "data" / "swiatowid-ax25.wav"
    samples, rate = soundfile.read(wav)
    flac = tmp_path / "pass.flac"
    ogg = tmp_path / "satnogs_9183756_2024-06-12T14-22-01.ogg"
    soundfile.write(flac, samples, rate)
    soundfile.write(ogg, samples, rate, format="OGG", subtype="VORBIS")
    expected = run_cli("decode", wav, "--modem", "afsk1200").out.splitlines()
    assert len(expected) == 2
    for path in (flac, ogg):
        lines = run_cli("decode", path, "--modem", "afsk1200").out.splitlines()
        assert [line.split("] ", 1)[1] for line in lines] == [line.split("] ", 1)[1] for line in expected]
    assert "2024-06-12T14:22:01.2" in run_cli("decode", ogg, "--modem", "afsk1200").out
    broken = tmp_path / "broken.ogg"
    broken.write_bytes(b"OggS" + bytes(100))
    result = run_cli("decode", broken)
    assert result.code == 2 and "not a readable FLAC/OGG audio file" in result.err
