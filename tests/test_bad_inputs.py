"""Bad input never costs a file and never prints a traceback (issue 15).

One row per kind of bad input: the command line (``{name}`` stands for a file
made in ``tmp_path`` by :func:`make_inputs`), the exit code and a pattern the
last line of stderr must match. Every row also checks that no file that existed
before the run changed, that no temporary file is left, and that no traceback
was printed.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from frames import Ax25Frame, encode_data_frame
from groundstation.orbits.elements import tle_checksum
from groundstation.recordings.writers import SigMFWriter, WavWriter

SAT = ["--sat", "58400"]
SEOUL = ["--station", "37.57,126.98"]
NEAR_EPOCH = ["--start", "2024-06-12T14:24Z"]
START = datetime(2024, 6, 12, 14, 24, tzinfo=timezone.utc)
# Malligyong-1's newest bundled set, its epoch moved by 0.1 day so that the store does not take the bundled one.
LINE1 = "1 58400U 23179A   24164.34788005  .00007135  00000+0  32465-3 0  9998"
LINE2 = "2 58400  97.4040  51.1823 0001996 152.6365 207.4976 15.21013721 30973"
SIMULATE = ["simulate", *SAT, *SEOUL, *NEAR_EPOCH, "--freq", "435e6", "--modem", "afsk1200"]


def tle_with(*edits: tuple[int, int, str]) -> str:
    """The Malligyong-1 set with each ``(line, start, text)`` written from column ``start`` (0-based) of ``line``;
    checksums fixed."""
    lines = [LINE1, LINE2]
    for line, start, text in edits:
        chars = lines[line - 1]
        lines[line - 1] = chars[:start] + text + chars[start + len(text):]
    lines = [chars[:68] + str(tle_checksum(chars)) for chars in lines]
    return "MALLIGYONG-1\n" + "\n".join(lines) + "\n"


#: A SatNOGS observation folder (its record only), for rows to add artefacts to.
OBSERVATION = {"obs/1/metadata.json": json.dumps({"id": 1, "start": "2024-06-12T14:24:00Z", "station_lat": 37.57,
                                                  "station_lng": 126.98, "norad_cat_id": 58400})}

def png_header_only(width: int, height: int) -> bytes:
    """A PNG declaring ``width`` x ``height`` pixels and holding none (its chunks: IHDR, an empty IDAT, IEND)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", b"") + chunk(b"IEND", b""))


#: A low orbit with a huge drag term: SGP4 reports it decayed within weeks.
DECAYING = tle_with((1, 53, " 50000-0"), (2, 52, "16.40000000"))


def sigmf_meta(**changes) -> str:
    """Metadata for ``rec.sigmf-data`` with ``changes`` (``global__key`` / ``capture__key`` / ``doc__key``)."""
    document = {
        "global": {"core:datatype": "cf32_le", "core:sample_rate": 48000.0, "core:version": "1.2.0"},
        "captures": [{"core:sample_start": 0, "core:frequency": 435e6, "core:datetime": "2024-06-12T14:24:00Z"}],
        "annotations": [],
    }
    for key, value in changes.items():
        part, _, name = key.partition("__")
        name = name.replace("_", ":", 1)
        if part == "global":
            document["global"][name] = value
        elif part == "capture":
            document["captures"][0][name] = value
        else:
            document[name.replace(":", "_")] = value
    return json.dumps(document)


def make_inputs(folder) -> None:
    """Good inputs every row may use."""
    frames = [Ax25Frame.ui("N0CALL-3", "BEACON", f"T#{n:03d}".encode()) for n in range(3)]
    (folder / "good.kiss").write_bytes(b"".join(encode_data_frame(frame.to_bytes()) for frame in frames))
    rng = np.random.default_rng(1)
    noise = (rng.normal(size=4800) + 1j * rng.normal(size=4800)).astype(np.complex64) * 0.1
    with SigMFWriter(str(folder / "rec.sigmf-meta"), "cf32_le", 48000, 435e6, START) as writer:
        writer.write(noise)
    with WavWriter(str(folder / "audio.wav"), 48000) as wav:
        wav.write(noise.real)
    (folder / "cap.cu8").write_bytes(bytes(range(256)) * 40)
    os.link(folder / "cap.cu8", folder / "hardlink.cu8")
    os.symlink(folder / "good.kiss", folder / "symlink.kiss")
    (folder / "good.tle").write_text(tle_with())
    (folder / "station.toml").write_text("latitude_deg = 37.57\nlongitude_deg = 126.98\n")
    (folder / "frames.txt").write_text("N0CALL>CQ:hello\n")
    (folder / "adir").mkdir()
    (folder / "adir.sigmf-meta").mkdir()


@dataclass
class Row:
    args: list[str]
    message: str
    code: int = 2
    files: dict[str, bytes | str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)


def rows() -> dict[str, Row]:
    data_copy = {"bad.sigmf-data": b"\x00" * 3200}
    bad_meta = "bad.sigmf-meta"

    def sigmf(message: str, **changes) -> Row:
        return Row(["decode", bad_meta], message, files={bad_meta: sigmf_meta(**changes), **data_copy})

    def tle(message: str, text: str, command: str = "passes") -> Row:
        extra = ["--freq", "435e6"] if command == "doppler" else []
        extra += ["--end", "2024-06-12T15:00Z"] if command == "doppler" else []
        return Row([command, *SAT, *SEOUL, *NEAR_EPOCH, *extra, "--tle", "bad.tle"], message,
                   files={"bad.tle": text})

    return {
        # --- an output that is an input (by inode) is refused before anything is written
        "decode kiss onto itself": Row(["decode", "good.kiss", "--out", "good.kiss"], "same file as the input"),
        "decode kiss onto a symlink to it": Row(["decode", "good.kiss", "--out", "symlink.kiss"], "same file"),
        "decode sigmf onto its data": Row(["decode", "rec.sigmf-meta", "--out", "rec.sigmf-data"], "same file"),
        "decode sigmf onto its meta": Row(["decode", "rec.sigmf-meta", "--out", "rec.sigmf-meta"], "same file"),
        "decode sigmf-data onto itself": Row(["decode", "rec.sigmf-data", "--out", "rec.sigmf-data"], "same file"),
        "decode wav onto itself": Row(["decode", "audio.wav", "--out", "audio.wav"], "same file"),
        "decode cu8 onto a hard link": Row(["decode", "cap.cu8", "--samplerate", "48000", "--out", "hardlink.cu8"],
                                           "same file as the input"),
        "decode onto the station file": Row(["decode", "rec.sigmf-meta", "--out", "station.toml", *SAT,
                                             "--station-file", "station.toml"], "same file"),
        "simulate audio onto its own data": Row([*SIMULATE, "--duration", "5", "--out", "sim.sigmf-meta",
                                                 "--audio", "sim.sigmf-data"], "--audio.*must end in .wav"),
        "simulate audio onto the tle": Row([*SIMULATE, "--duration", "5", "--out", "sim.sigmf-meta", "--tle",
                                            "good.tle", "--audio", "tle.wav"], "same file as the input",
                                           links={"tle.wav": "good.tle"}),
        "simulate onto the frames file": Row([*SIMULATE, "--duration", "5", "--out", "f.sigmf-meta", "--frames",
                                              "f.sigmf-data"], "same file", files={"f.sigmf-data": "N0CALL>CQ:x\n"}),
        "simulate over an input recording": Row([*SIMULATE, "--duration", "5", "--out", "sim.sigmf-meta",
                                                 "--audio", "sim.wav", "--frames", "sim.wav"], "same file",
                                                files={"sim.wav": "N0CALL>CQ:x\n"}),
        "decode out onto a directory": Row(["decode", "good.kiss", "--out", "adir"], "is a directory"),
        "simulate out onto a directory": Row([*SIMULATE, "--duration", "5", "--out", "adir.sigmf-meta"],
                                             "is a directory"),
        "decode out into a missing folder": Row(["decode", "good.kiss", "--out", "nowhere/x.txt"], "does not exist"),
        "plot with an unknown extension": Row(["passes", *SAT, *SEOUL, *NEAR_EPOCH, "--plot", "sky.xyz"],
                                              "--plot.*png"),
        "plot onto the station file": Row(["passes", *SAT, "--station-file", "station.png", *NEAR_EPOCH, "--plot",
                                           "station.png"], "same file|TOML|not UTF-8",
                                          files={"station.png": "latitude_deg = 37.57\nlongitude_deg = 126.98\n"}),
        # --- NaN and infinity
        "samplerate nan": Row(["decode", "cap.cu8", "--samplerate", "nan"], "--samplerate.*finite"),
        "samplerate inf": Row(["decode", "cap.cu8", "--samplerate", "inf"], "--samplerate.*finite"),
        "hours inf": Row(["passes", *SAT, *SEOUL, *NEAR_EPOCH, "--hours", "inf"], "--hours.*finite"),
        "passes freq nan": Row(["passes", *SAT, *SEOUL, *NEAR_EPOCH, "--freq", "nan"], "--freq.*finite"),
        "doppler freq nan": Row(["doppler", *SAT, *SEOUL, *NEAR_EPOCH, "--end", "2024-06-12T15:00Z", "--freq", "NaN"],
                                "--freq.*finite"),
        "doppler step nan": Row(["doppler", *SAT, *SEOUL, *NEAR_EPOCH, "--end", "2024-06-12T15:00Z", "--freq",
                                 "435e6", "--step", "nan"], "--step.*finite"),
        "min elevation nan": Row(["passes", *SAT, *SEOUL, *NEAR_EPOCH, "--min-elevation", "nan"], "--min-elevation"),
        "station altitude nan": Row(["passes", *SAT, "--station", "37.5,127,nan", *NEAR_EPOCH], "altitude.*finite"),
        "station file altitude nan": Row(["passes", *SAT, "--station-file", "nan.toml", *NEAR_EPOCH],
                                         "altitude_m.*finite",
                                         files={"nan.toml": "latitude_deg = 37.5\nlongitude_deg = 127\n"
                                                "altitude_m = nan\n"}),
        "qth latitude inf": Row(["passes", *SAT, "--station-file", "inf.qth", *NEAR_EPOCH], "LAT.*finite",
                                files={"inf.qth": "[QTH]\nLAT=inf\nLON=127\n"}),
        "sigmf sample rate NaN": sigmf("core:sample_rate.*finite", global__core_sample_rate=float("nan")),
        "sigmf frequency Infinity": sigmf("core:frequency.*finite", capture__core_frequency=float("inf")),
        "simulate drift nan": Row([*SIMULATE, "--duration", "5", "--out", "s.sigmf-meta", "--drift", "nan"],
                                  "--drift.*finite"),
        "simulate cn0 inf": Row([*SIMULATE, "--duration", "5", "--out", "s.sigmf-meta", "--cn0", "inf"], "--cn0"),
        "simulate offset -inf": Row([*SIMULATE, "--duration", "5", "--out", "s.sigmf-meta", "--offset", "-inf"],
                                    "--offset.*finite"),
        "decode offset nan": Row(["decode", "rec.sigmf-meta", "--offset", "nan"], "--offset.*finite"),
        "check search-bw nan": Row(["check", "rec.sigmf-meta", *SAT, *SEOUL, "--search-bw", "nan"], "--search-bw"),
        "interferer nan": Row([*SIMULATE, "--duration", "5", "--out", "s.sigmf-meta", "--interferer", "nan,-120"],
                              "--interferer.*finite"),
        # --- absurd but finite values, and inputs too big to hold
        "samplerate 1e12 decode": Row(["decode", "cap.cu8", "--samplerate", "1e12"], "--samplerate.*1e\\+08"),
        "samplerate 1e12 simulate": Row([*SIMULATE, "--duration", "5", "--out", "s.sigmf-meta", "--samplerate",
                                         "1e12"], "--samplerate"),
        "beacon interval 1e-9": Row([*SIMULATE, "--duration", "5", "--out", "s.sigmf-meta", "--beacon-interval",
                                     "1e-9"], "--beacon-interval"),
        "many transmissions": Row([*SIMULATE, "--duration", "80000", "--beacon-interval", "0.1", "--out",
                                   "s.sigmf-meta"], "transmissions"),
        "frame too long for the sample rate": Row([*SIMULATE, "--duration", "5", "--samplerate", "5e7", "--out",
                                                   "s.sigmf-meta"], "lower --samplerate"),
        "check at a rate it cannot hold": Row(["check", "cap.cu8", "--samplerate", "2e7", "--center-freq", "435e6",
                                               "--start-time", "2024-06-12T14:24Z", *SAT, *SEOUL], "decimate"),
        "simulate a signal outside the band": Row([*SIMULATE, "--duration", "5", "--samplerate", "48000", "--offset",
                                                   "30000", "--out", "s.sigmf-meta"], "raise --samplerate"),
        "decode at a rate no modem fits": Row(["decode", "rec.sigmf-meta", "--samplerate", "1000"], "too slow"),
        "duration 5e6": Row([*SIMULATE, "--duration", "5e6", "--out", "s.sigmf-meta"], "--duration"),
        "output larger than the disk": Row([*SIMULATE, "--modem", "cw", "--duration", "86000", "--samplerate", "1e8",
                                            "--out", "s.sigmf-meta"], "GB free"),
        "passes days 1e6 force": Row(["passes", *SAT, *SEOUL, *NEAR_EPOCH, "--days", "1e6", "--force"], "--days"),
        "doppler step too small": Row(["doppler", *SAT, *SEOUL, *NEAR_EPOCH, "--end", "2024-06-12T15:00Z", "--freq",
                                       "435e6", "--step", "1e-9"], "--step"),
        "pass 0": Row([*SIMULATE, "--pass", "0", "--out", "s.sigmf-meta"], "--pass"),
        "seed negative": Row([*SIMULATE, "--duration", "5", "--seed", "-1", "--out", "s.sigmf-meta"], "--seed"),
        "norad 0": Row(["tle", "update", "--norad", "0"], "--norad"),
        "huge station file": Row(["passes", *SAT, "--station-file", "big.toml", *NEAR_EPOCH], "too big|more than",
                                 files={"big.toml": "#" * (2 << 20)}),
        "frames file with a huge line": Row([*SIMULATE, "--duration", "5", "--out", "s.sigmf-meta", "--frames",
                                             "long.txt"], "longer than", files={"long.txt": "A>B:" + "x" * 100_000}),
        "kiss frame that never ends": Row(["decode", "open.kiss"], "longer than .* dropped", code=0,
                                          files={"open.kiss": b"\xc0\x00" + b"x" * 200_000}),
        "sigmf meta too big": Row(["decode", "big.sigmf-meta"], "too big|more than",
                                  files={"big.sigmf-meta": b" " * (65 << 20), "big.sigmf-data": b"\x00" * 64}),
        # --- wrong JSON types in SigMF metadata
        "sigmf sample rate text": sigmf("core:sample_rate.*'fast' is not a number", global__core_sample_rate="fast"),
        "sigmf datatype number": sigmf("core:datatype.*5 is not a datatype", global__core_datatype=5),
        "sigmf captures a string": sigmf("captures.*is not a list", doc__captures="abc"),
        "sigmf header bytes negative": sigmf("core:header_bytes.*-100", capture__core_header_bytes=-100),
        "sigmf header bytes past the end": sigmf("core:header_bytes.*more than", capture__core_header_bytes=10**6),
        "sigmf datetime number": sigmf("core:datetime.*12345", capture__core_datetime=12345),
        "sigmf datetime nonsense": sigmf("core:datetime", capture__core_datetime="yesterday"),
        "sigmf frequency text": sigmf("core:frequency.*'435MHz' is not a number", capture__core_frequency="435MHz"),
        "sigmf num_channels text": sigmf("core:num_channels", global__core_num_channels="two"),
        "sigmf annotations number": sigmf("annotations.*not a list", doc__annotations=5),
        "sigmf global missing": Row(["decode", bad_meta], "global", files={bad_meta: '{"captures": []}', **data_copy}),
        "sigmf document a list": Row(["decode", bad_meta], "JSON object", files={bad_meta: "[1, 2]", **data_copy}),
        "sigmf not json": Row(["decode", bad_meta], "not JSON", files={bad_meta: "{core", **data_copy}),
        "sigmf not utf-8": Row(["decode", bad_meta], "not UTF-8", files={bad_meta: b'{"global": "\xff"}',
                                                                         **data_copy}),
        "sigmf empty data": Row(["decode", bad_meta], "data file holds no samples",
                                files={bad_meta: sigmf_meta(), "bad.sigmf-data": b""}),
        "sigmf unknown datatype": sigmf("unknown datatype", global__core_datatype="cq99"),
        # --- element sets
        "tle blank catalogue number": tle("catalogue number", tle_with((1, 2, "     "))),
        "tle bad alpha-5": tle("not a catalogue number", tle_with((1, 2, "I0001"), (2, 2, "I0001"))),
        "tle day of year 999": tle("day of year", tle_with((1, 20, "999"))),
        "tle letters in mean motion": tle("mean motion", tle_with((2, 52, "15.2x013721"))),
        "tle eccentricity letters": tle("eccentricity", tle_with((2, 26, "00x1996"))),
        "tle eccentricity near 1": tle("perigee .* below the surface", tle_with((2, 26, "9999999"))),
        "tle mean motion 0": tle("mean motion 0", tle_with((2, 52, " 0.00000000"))),
        "tle below the surface": tle("below the surface", tle_with((2, 52, "17.50000000"))),
        "tle decayed": Row(["passes", *SAT, *SEOUL, "--start", "2024-09-01T00:00Z", "--tle", "bad.tle", "--force"],
                           "SGP4 fails", files={"bad.tle": DECAYING}),
        "tle doppler decayed": Row(["doppler", *SAT, *SEOUL, "--start", "2024-09-01T00:00Z", "--end",
                                    "2024-09-01T01:00Z", "--freq", "435e6", "--tle", "bad.tle", "--force"],
                                   "SGP4 fails", files={"bad.tle": DECAYING}),
        "omm list of numbers": tle("OMM record must be a JSON object", "[1, 2, 3]"),
        "omm mean motion nan": tle("MEAN_MOTION.*finite", json.dumps([{
            "OBJECT_NAME": "X", "NORAD_CAT_ID": 58400, "EPOCH": "2024-06-12T05:56:56", "MEAN_MOTION": "nan",
            "ECCENTRICITY": 0.0002, "INCLINATION": 97.4, "RA_OF_ASC_NODE": 51, "ARG_OF_PERICENTER": 152,
            "MEAN_ANOMALY": 207, "BSTAR": 0.0003}])),
        "omm deeply nested": tle("nested too deep", "[" * 100_000),
        "tle is a directory": Row(["passes", *SAT, *SEOUL, *NEAR_EPOCH, "--tle", "adir"], "is a directory"),
        # --- non-UTF-8 and odd text
        "station toml not utf-8": Row(["passes", *SAT, "--station-file", "bin.toml", *NEAR_EPOCH], "not UTF-8",
                                      files={"bin.toml": b"latitude_deg = 37\xff\n"}),
        "station toml text latitude": Row(["passes", *SAT, "--station-file", "t.toml", *NEAR_EPOCH],
                                          "latitude_deg.*'north' is not a number",
                                          files={"t.toml": 'latitude_deg = "north"\nlongitude_deg = 1\n'}),
        "station toml latitude a table": Row(["passes", *SAT, "--station-file", "t.toml", *NEAR_EPOCH],
                                             "latitude_deg.*not a number",
                                             files={"t.toml": "longitude_deg = 1\n[latitude_deg]\nx = 1\n"}),
        "qth latitude text": Row(["passes", *SAT, "--station-file", "t.qth", *NEAR_EPOCH], "LAT.*not a number",
                                 files={"t.qth": "[QTH]\nLAT=abc\nLON=1\n"}),
        "frames file not utf-8": Row([*SIMULATE, "--duration", "5", "--out", "s.sigmf-meta", "--frames", "bin.txt"],
                                     "not UTF-8", files={"bin.txt": b"N0CALL>CQ:\xff\xfe\n"}),
        "frames file wide character": Row([*SIMULATE, "--duration", "5", "--out", "s.sigmf-meta", "--frames",
                                           "wide.txt"], "not one byte", files={"wide.txt": "N0CALL>CQ:\u0100\n"}),
        "frames file is a directory": Row([*SIMULATE, "--duration", "5", "--out", "s.sigmf-meta", "--frames",
                                           "adir"], "--frames.*directory"),
        # --- negative coordinates written the natural way, and messages that name the right thing
        "southern station": Row(["passes", *SAT, "--station", "-33.9,18.4", *NEAR_EPOCH, "--hours", "2"],
                                "", code=0),
        "southern station too few numbers": Row(["passes", *SAT, "--station", "-33.9", *NEAR_EPOCH],
                                                "LAT,LON"),
        "interferer one number": Row([*SIMULATE, "--duration", "5", "--out", "s.sigmf-meta", "--interferer",
                                      "-2500"], "HZ,DBM"),
        "start time nonsense": Row(["decode", "cap.cu8", "--samplerate", "48000", "--start-time", "noon"],
                                   "--start-time"),
        # --- SatNOGS observations, campaign and fetch
        "campaign plot onto an observation's picture": Row(["campaign", "obs", *SAT, "--plot",
                                                            "obs/1/waterfall_1.png"], "same file as the input",
                                                           files=OBSERVATION | {"obs/1/waterfall_1.png": b"x"}),
        "campaign plot onto an artefact": Row(["campaign", "obs", *SAT, "--plot", "obs/1/artifact_1.h5"],
                                              "--plot.*must end in .png",
                                              files=OBSERVATION | {"obs/1/artifact_1.h5": b"x"}),
        "campaign plot into a missing folder": Row(["campaign", "obs", *SAT, "--plot", "nowhere/c.png"],
                                                   "--plot.*does not exist", files=OBSERVATION),
        "campaign scheduler port out of range": Row(["campaign", "obs", *SAT, "--scheduler", "tcp://127.0.0.1:99999"],
                                                    "--scheduler.*tcp://HOST:PORT", files=OBSERVATION),
        "check metadata nested too deep": Row(["check", "deep", *SAT], "nested too deep",
                                              files={"deep/metadata.json": "[" * 100_000}),
        "check a waterfall .dat alone": Row(["check", "w.dat", *SAT], "observation folder.*--datatype",
                                            files={"w.dat": b"\x00" * 60}),
        "check a cut waterfall picture": Row(["check", "obs/1", *SAT], "not a readable PNG",
                                             files=OBSERVATION | {"obs/1/waterfall_1.png": b"\x89PNG\r\n\x1a\n"}),
        "check a waterfall picture of 4e8 pixels": Row(["check", "obs/1", *SAT], "not a readable PNG",
                                                       files=OBSERVATION | {"obs/1/waterfall_2.png": png_header_only(20000, 20000)}),
        "fetch start after end": Row(["satnogs", "fetch", "--norad", "58400", "--out", "f", "--start",
                                      "2024-02-01T00:00Z", "--end", "2024-01-01T00:00Z"], "--start.*before --end"),
        "fetch out under a file": Row(["satnogs", "fetch", "--norad", "58400", "--out", "frames.txt/f",
                                       "--network-url", "http://127.0.0.1:1"], "--out.*cannot make the folder"),
    }


def snapshot(folder) -> dict[str, str]:
    """Every file under ``folder`` (not following links into directories) -> its SHA-256."""
    digests = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            if os.path.isfile(path):
                with open(path, "rb") as file:
                    digests[os.path.relpath(path, folder)] = hashlib.sha256(file.read()).hexdigest()
    return digests


ROWS = rows()


@pytest.mark.parametrize("name", list(ROWS))
def test_bad_input(name, tmp_path, monkeypatch, run_cli):
    row = ROWS[name]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    make_inputs(tmp_path)
    for file_name, content in row.files.items():
        target = tmp_path / file_name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content if isinstance(content, bytes) else content.encode())
    for link, existing in row.links.items():
        os.link(tmp_path / existing, tmp_path / link)
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    result = run_cli(*row.args)
    after = snapshot(tmp_path)
    assert result.code == row.code, result.err
    assert "Traceback" not in result.err and "internal error" not in result.err
    last = result.err.strip().splitlines()[-1] if result.err.strip() else ""
    if row.code == 2:
        assert last.startswith("groundstation"), result.err
        assert "error" in last and result.err.count("error:") == 1, result.err
        assert re.search(row.message, last), result.err
    else:
        assert re.search(row.message, result.err), result.err
    changed = [path for path, digest in before.items() if after.get(path) != digest]
    assert not changed, f"inputs changed or removed: {changed}"
    left = [path for path in after if path.endswith(".part") or (path not in before and row.code != 0)]
    assert not left, f"files left behind: {left}"


def test_a_user_set_with_a_bundled_epoch_is_the_one_used(tmp_path, monkeypatch, run_cli):
    """``--tle`` with the epoch of a bundled set but other elements: the user's set is used, not ignored."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    bad = tmp_path / "same-epoch.tle"
    bad.write_text(tle_with((1, 20, "164.24788005"), (2, 52, "17.50000000")))
    result = run_cli("passes", *SAT, *SEOUL, *NEAR_EPOCH, "--tle", bad)
    assert result.code == 2 and "below the surface" in result.err, result.err


def test_at_least_sixty_rows():
    assert len(ROWS) >= 60


def test_tle_cache_with_a_bad_file_warns_once_and_goes_on(tmp_path, monkeypatch, run_cli):
    cache = tmp_path / "groundstation" / "tle"
    cache.mkdir(parents=True)
    (cache / "58400_bad.tle").write_text(tle_with((1, 2, "     ")))
    (cache / "numbers.tle").write_text("[1, 2, 3]")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    result = run_cli("catalog")
    assert result.code == 0 and "Malligyong-1" in result.out
    assert result.err.count("skipping") == 2 and "Traceback" not in result.err
    result = run_cli("passes", *SAT, *SEOUL, *NEAR_EPOCH, "--hours", "3")
    assert result.code == 0 and "Malligyong-1" in result.out


def test_a_failed_simulation_leaves_nothing(tmp_path, monkeypatch, run_cli):
    """Disk full while writing the audio: neither the recording nor a temporary file stays."""
    from groundstation.recordings import writers

    def full(self, samples):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writers.WavWriter, "write", full)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "old.sigmf-meta").write_text("old")
    result = run_cli(*SIMULATE, "--duration", "3", "--out", "old.sigmf-meta", "--audio", "old.wav")
    errors = [line for line in result.err.splitlines() if "error:" in line]  # the element-set line may precede it
    assert result.code == 2 and len(errors) == 1, result.err
    assert "No space left on device" in errors[0]
    assert sorted(os.listdir(tmp_path)) == ["old.sigmf-meta"]
    assert (tmp_path / "old.sigmf-meta").read_text() == "old"


def _run(args: list[str], cwd, **kwargs) -> subprocess.CompletedProcess:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": root, "XDG_CACHE_HOME": str(cwd)}
    return subprocess.run([sys.executable, "-m", "groundstation", *args], cwd=cwd, env=env, capture_output=True,
                          **kwargs)


def test_real_process_prints_no_traceback(tmp_path):
    make_inputs(tmp_path)
    for args in (["decode", "good.kiss", "--out", "good.kiss"], ["decode", "cap.cu8", "--samplerate", "nan"],
                 ["passes", *SAT, "--station", "-33.9,18.4,nan"]):
        completed = _run(args, tmp_path)
        assert completed.returncode == 2
        assert completed.stderr.count(b"\n") == 1 and b"Traceback" not in completed.stderr, completed.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_disk_full_on_stdout_is_one_line(tmp_path):
    make_inputs(tmp_path)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open("/dev/full", "wb") as full:
        completed = subprocess.run([sys.executable, "-m", "groundstation", "decode", "good.kiss"], cwd=tmp_path,
                                   env={**os.environ, "PYTHONPATH": root, "XDG_CACHE_HOME": str(tmp_path)},
                                   stdout=full, stderr=subprocess.PIPE)
    assert completed.returncode == 2
    assert b"No space left on device" in completed.stderr and b"Traceback" not in completed.stderr
    assert completed.stderr.count(b"\n") == 1, completed.stderr


def test_closed_stdout_is_one_line(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    completed = subprocess.run(["sh", "-c", f'"{sys.executable}" -m groundstation catalog >&-'], cwd=tmp_path,
                               env={**os.environ, "PYTHONPATH": root, "XDG_CACHE_HOME": str(tmp_path)},
                               capture_output=False, stderr=subprocess.PIPE)
    assert completed.returncode == 2
    assert b"stdout is closed" in completed.stderr and b"Traceback" not in completed.stderr


def test_broken_pipe_is_quiet(tmp_path):
    make_inputs(tmp_path)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    big = tmp_path / "many.kiss"
    frame = encode_data_frame(Ax25Frame.ui("N0CALL", "CQ", b"x" * 200).to_bytes())
    big.write_bytes(frame * 20000)
    completed = subprocess.run(["sh", "-c", f'"{sys.executable}" -m groundstation decode many.kiss | head -1'],
                               cwd=tmp_path, env={**os.environ, "PYTHONPATH": root, "XDG_CACHE_HOME": str(tmp_path)},
                               capture_output=True)
    assert completed.stdout.count(b"\n") == 1
    assert b"Traceback" not in completed.stderr and b"Exception ignored" not in completed.stderr, completed.stderr


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero on this system")
@pytest.mark.parametrize("option", ["--station-file", "--tle"])
def test_an_endless_file_is_refused_in_bounded_memory(option, run_cli):
    """``/dev/zero`` has no end: reading stops at the size limit instead of filling memory."""
    args = ["passes", *SAT, *NEAR_EPOCH, option, "/dev/zero"] + ([] if option == "--station-file" else SEOUL)
    result = run_cli(*args)
    assert result.code == 2 and "holds more than" in result.err and result.err.count("\n") == 1, result.err


def test_read_only_folder_is_one_line_and_leaves_nothing(tmp_path, monkeypatch, run_cli):
    """A folder that refuses new files (read-only file system): one line naming --out, the input intact."""
    import tempfile

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    make_inputs(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    before = snapshot(tmp_path)
    result = run_cli("decode", "good.kiss", "--out", "frames.txt")
    assert result.code == 2 and result.err.count("\n") == 1, result.err
    assert "--out" in result.err and "Read-only file system" in result.err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("args, message", [
    (["history", "--sat", "Malligyong-1", "--tle", "t.tle", "--plot", "t.tle"], "must end in .png"),
    (["history", "--sat", "Malligyong-1", "--tle", "t.png", "--plot", "t.png"], "same file as the input"),
    (["passes", "--sat", "58400", "--station", "37.57,126.98", "--plot", ""], "must end in .png"),
    (["doppler", "--sat=-1", "--station", "37.57,126.98", "--freq", "435e6", "--start", "2024-06-12T14:22Z",
      "--end", "2024-06-12T14:24Z"], "positive whole number"),
    (["passes", "--sat", "9" * 5000, "--station", "37.57,126.98"], "at most 9 digits"),
    (["passes", "--sat", "58400", "--station", "37.57,126.98", "--hours", "\u0663"], "not a number"),
    (["simulate", "--sat", "58400", "--station", "37.57,126.98", "--freq", "435e6", "--modem", "cw",
      "--start", "2024-06-12T14:24Z", "--duration", "1e-320", "--out", "s.sigmf-meta"], "--duration"),
    (["tle", "update", "--url", "file:///etc/passwd"], "not a web address"),
    (["demo", "--out", "t.tle"], "is a file"),
])
def test_fresh_bad_inputs_found_by_an_independent_fuzz(tmp_path, monkeypatch, run_cli, args, message):
    """Cases an independent fuzzing run found (each gave a crash, a lost input or a silent wrong result)."""
    monkeypatch.chdir(tmp_path)
    tle = (Path(__file__).resolve().parents[1] / "groundstation" / "data" / "tle" / "malligyong-1.tle").read_text()
    for name in ("t.tle", "t.png"):
        (tmp_path / name).write_text(tle)
    result = run_cli(*args)
    assert result.code == 2 and message in result.err, result.err
    assert (tmp_path / "t.png").read_text() == tle and (tmp_path / "t.tle").read_text() == tle


@pytest.mark.parametrize("content, datatype", [(b"\x80\x80", "cu8"), (b"\x10\x00", "ri16_le"),
                                               (np.full(1000, 1e38, np.float32).tobytes(), "rf32_le")])
def test_tiny_or_absurd_recordings_decode_to_nothing_cleanly(tmp_path, run_cli, content, datatype):
    path = tmp_path / "tiny.raw"
    path.write_bytes(content)
    result = run_cli("decode", path, "--samplerate", "48000", "--datatype", datatype)
    assert result.code == 0 and "0 frames" in result.err, result.err


def test_a_deeply_nested_station_file_is_a_clear_error(tmp_path, run_cli):
    station = tmp_path / "s.toml"
    station.write_text("a = " + "[" * 50000 + "]" * 50000 + "\n")
    result = run_cli("passes", "--sat", "58400", "--station-file", station)
    assert result.code == 2 and "nested too deeply" in result.err
