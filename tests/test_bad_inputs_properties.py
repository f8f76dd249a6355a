"""Property tests (hypothesis) of the input boundary: whatever a user types or a file holds, the result is a
checked value or one clean error, never an exception from deeper down (issue 15)."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groundstation.cli import build_parser, join_negative_values
from groundstation.errors import UserError
from groundstation.orbits.elements import parse_elements
from groundstation.orbits.station import parse_station
from groundstation.recordings.readers import open_recording

SAT_STATION = ["--sat", "58400", "--station", "37.57,126.98"]
#: (command line before the option, option, destination, low, high) for the CLI's numeric options.
NUMERIC_OPTIONS = [
    (["passes", *SAT_STATION], "--hours", "hours", 0, 2160),
    (["passes", *SAT_STATION], "--days", "days", 0, 90),
    (["passes", *SAT_STATION], "--min-elevation", "min_elevation", -90, 89),
    (["passes", *SAT_STATION], "--freq", "freq", 1e3, 300e9),
    (["doppler", *SAT_STATION, "--start", "x", "--end", "y", "--freq", "1e6"], "--step", "step", 0.001, 86400),
    (["decode", "x"], "--samplerate", "samplerate", 1e3, 100e6),
    (["decode", "x"], "--center-freq", "center_freq", 1e3, 300e9),
    (["decode", "x"], "--offset", "offset", -50e6, 50e6),
    (["check", "x", *SAT_STATION], "--search-bw", "search_bw", 1, 50e6),
    (["simulate", *SAT_STATION, "--freq", "1e6", "--modem", "cw", "--out", "x.sigmf-meta", "--duration", "1"],
     "--drift", "drift", -1e6, 1e6),
    (["simulate", *SAT_STATION, "--freq", "1e6", "--modem", "cw", "--out", "x.sigmf-meta"], "--duration", "duration",
     0, 86400),
    (["simulate", *SAT_STATION, "--freq", "1e6", "--modem", "cw", "--out", "x.sigmf-meta", "--duration", "1"],
     "--beacon-interval", "beacon_interval", 0.1, 86400),
    (["simulate", *SAT_STATION, "--freq", "1e6", "--modem", "cw", "--out", "x.sigmf-meta", "--duration", "1"],
     "--cn0", "cn0", -20, 120),
]

number_texts = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["nan", "-nan", "Infinity", "-inf", "1e999", "0x10", "1_0", "", " ", "--", "-", "1,2", "e5"]),
    st.text(max_size=12),
)


@pytest.mark.parametrize("before, option, dest, low, high", NUMERIC_OPTIONS, ids=[row[1] for row in NUMERIC_OPTIONS])
@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=number_texts)
def test_numeric_options_are_finite_and_in_range_or_refused(before, option, dest, low, high, text, capsys):
    argv = join_negative_values([*before, option, text])
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:
        assert stop.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        return
    value = getattr(args, dest)
    assert isinstance(value, float) and math.isfinite(value)
    assert low <= value <= high


@settings(max_examples=200, deadline=None, database=None)
@given(text=st.one_of(st.text(max_size=30),
                      st.lists(number_texts, min_size=1, max_size=4).map(",".join)))
def test_station_text_is_a_valid_station_or_a_user_error(text):
    try:
        station = parse_station(text)
    except UserError as error:
        assert "\n" not in str(error)
        return
    assert -90 <= station.latitude_deg <= 90 and -180 <= station.longitude_deg <= 360
    assert math.isfinite(station.altitude_m)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
              st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=10)),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)
SIGMF_FIELDS = [("global", "core:sample_rate"), ("global", "core:datatype"), ("global", "core:num_channels"),
                ("capture", "core:frequency"), ("capture", "core:datetime"), ("capture", "core:header_bytes"),
                ("capture", "core:sample_start"), ("document", "captures"), ("document", "global"),
                ("document", "annotations")]


@pytest.fixture(scope="module")
def sigmf_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sigmf")
    (folder / "x.sigmf-data").write_bytes(np.zeros(1000, np.complex64).tobytes())
    return folder


@pytest.mark.parametrize("part, key", SIGMF_FIELDS, ids=[key for _, key in SIGMF_FIELDS])
@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values)
def test_sigmf_fields_give_a_checked_recording_or_a_user_error(part, key, value, sigmf_folder):
    document = {
        "global": {"core:datatype": "cf32_le", "core:sample_rate": 48000.0, "core:version": "1.2.0"},
        "captures": [{"core:sample_start": 0, "core:frequency": 435e6, "core:datetime": "2024-06-12T14:24:00Z"}],
        "annotations": [],
    }
    target = {"global": document["global"], "capture": document["captures"][0], "document": document}[part]
    target[key] = value
    meta = sigmf_folder / "x.sigmf-meta"
    meta.write_text(json.dumps(document))
    data_before = (sigmf_folder / "x.sigmf-data").read_bytes()
    try:
        recording = open_recording(str(meta))
    except UserError as error:
        assert "\n" not in str(error) and str(error)
    else:
        assert math.isfinite(recording.rate_sps) and 1e3 <= recording.rate_sps <= 100e6
        assert recording.centre_hz is None or math.isfinite(recording.centre_hz)
        assert 0 <= recording.data_offset <= os.path.getsize(recording.data_path)
    assert (sigmf_folder / "x.sigmf-data").read_bytes() == data_before


TLE = ("MALLIGYONG-1\n1 58400U 23179A   24164.24788005  .00007135  00000+0  32465-3 0  9998\n"
       "2 58400  97.4040  51.1823 0001996 152.6365 207.4976 15.21013721 30973\n")


@settings(max_examples=300, deadline=None, database=None)
@given(line=st.integers(1, 2), column=st.integers(0, 68), char=st.characters(max_codepoint=0x17F))
def test_a_changed_tle_character_parses_or_is_a_user_error(line, column, char):
    lines = TLE.splitlines()
    text = lines[line][:column] + char + lines[line][column + 1:]
    lines[line] = text
    try:
        sets = parse_elements("\n".join(lines), "x.tle")
    except UserError as error:
        assert "\n" not in str(error)
        return
    assert all(element_set.norad > 0 for element_set in sets)
