"""Element sets: TLE text, OMM JSON/CSV, errors with file and line, nearest epoch."""

import csv
import io
import json
from datetime import datetime, timezone

import numpy as np
import pytest
from sgp4 import exporter
from sgp4.api import Satrec

from groundstation.errors import UserError
from groundstation.orbits.elements import (
    ElementStore,
    parse_elements,
    read_elements,
    tle_checksum,
)
from groundstation.orbits.orbit import Tracker
from groundstation.orbits.station import Station

SET_24158 = (
    "MALLIGYONG-1\n"
    "1 58400U 23179A   24158.19566690  .00000871  00000-0  41535-4 0  9999\n"
    "2 58400  97.4052  45.2326 0002221 305.1745  54.9283 15.21704003 30052\n"
)


def test_bundled_sets_are_real_and_complete():
    store = ElementStore.bundled()
    assert set(store.norads()) >= {39026, 41332, 41333, 58400, 25544}
    assert len(store.norads()) == 101 + 4
    # The history file: 682 sets, of which one Malligyong-1 pair shares an epoch (kept once).
    counts = {norad: len(store.for_norad(norad)) for norad in (39026, 41332, 41333, 58400)}
    assert counts == {39026: 23, 41332: 191, 41333: 15, 58400: 452}
    assert {"24158", "24164"} <= {s.epoch.strftime("%y%j") for s in store.for_norad(58400)}
    assert store.names()["ISS (ZARYA)"] == 25544


def test_history_has_a_source_for_every_set():
    from importlib import resources

    folder = resources.files("groundstation").joinpath("data/tle")
    rows = list(csv.DictReader(io.StringIO(folder.joinpath("kms-history-provenance.csv").read_text())))
    sets = parse_elements(folder.joinpath("kms-history.tle").read_text(), "kms-history.tle")
    assert len(rows) == len(sets) == 682
    assert {(row["l1"], row["l2"]) for row in rows} == {(s.line1, s.line2) for s in sets}
    assert all(row["repo"] for row in rows)
    # Four Malligyong-1 sets of 2024 come from write-ups whose commit could not be resolved (README says so).
    assert sum(not row["commit"] for row in rows) == 4


def test_two_and_three_line_text():
    three = parse_elements(SET_24158, "x.tle")
    two = parse_elements("\n".join(SET_24158.splitlines()[1:]), "y.tle")
    assert three[0].name == "MALLIGYONG-1" and two[0].name == "NORAD 58400"
    assert three[0].line1 == two[0].line1
    space_track_3le = parse_elements("0 MALLIGYONG-1\n" + "\n".join(SET_24158.splitlines()[1:]), "z.tle")
    assert space_track_3le[0].name == "MALLIGYONG-1"


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda lines: [lines[0], lines[1][:-1] + "0", lines[2]], r"bad\.tle, line 2: bad checksum"),
        (lambda lines: [lines[0], lines[1][:60], lines[2]], r"bad\.tle, line 2: TLE line 1 has 60 characters"),
        (lambda lines: [lines[0], lines[1], lines[2].replace("58400", "58401", 1)], r"line 3: .*checksum|differs"),
        (lambda lines: [lines[0], lines[2]], r"line 2: TLE line 2 without a line 1"),
        (lambda lines: [lines[0], lines[1]], r"line 3: expected TLE line 2"),
    ],
)
def test_malformed_tle_names_file_and_line(damage, message):
    text = "\n".join(damage(SET_24158.splitlines())) + "\n"
    with pytest.raises(UserError, match=message):
        parse_elements(text, "bad.tle")


def test_checksum_counts_minus_as_one():
    line = SET_24158.splitlines()[1]
    assert tle_checksum(line) == int(line[68])


def _omm_record():
    lines = SET_24158.splitlines()
    return exporter.export_omm(Satrec.twoline2rv(lines[1], lines[2]), "MALLIGYONG-1")


@pytest.mark.parametrize("encoding", ["json", "csv"])
def test_omm_gives_the_same_orbit_as_the_tle(tmp_path, encoding):
    record = _omm_record()
    path = tmp_path / f"gp.{encoding}"
    if encoding == "json":
        path.write_text(json.dumps([record]))
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(record))
        writer.writeheader()
        writer.writerow(record)
        path.write_text(buffer.getvalue())
    (from_omm,) = read_elements(path)
    (from_tle,) = parse_elements(SET_24158, "tle")
    assert from_omm.norad == 58400 and abs((from_omm.epoch - from_tle.epoch).total_seconds()) < 1e-3
    station = Station(39.0, 125.75, 30.0)
    times = datetime(2024, 6, 7, tzinfo=timezone.utc).timestamp() + np.arange(0, 86400, 600.0)
    difference_km = Tracker(from_omm, station).look(times).range_km - Tracker(from_tle, station).look(times).range_km
    assert np.max(np.abs(difference_km)) < 0.01


def test_omm_missing_fields_are_named(tmp_path):
    path = tmp_path / "gp.json"
    path.write_text(json.dumps([{"OBJECT_NAME": "X", "NORAD_CAT_ID": 1}]))
    with pytest.raises(UserError, match=r"gp\.json\[0\]: OMM record lacks EPOCH"):
        read_elements(path)


def test_history_file_uses_nearest_epoch():
    store = ElementStore.bundled()
    sets = store.for_norad(41332)
    for left, right in zip(sets[:-1], sets[1:]):
        middle = left.epoch + (right.epoch - left.epoch) / 2
        just_before = middle - (right.epoch - left.epoch) / 100
        just_after = middle + (right.epoch - left.epoch) / 100
        assert store.nearest(41332, just_before) is left and store.nearest(41332, just_after) is right


def test_a_fetched_set_wins_near_its_epoch(tmp_path, monkeypatch):
    # What `tle update` stores beside the bundled history: here a real 58400 set as a "fetched" one.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = tmp_path / "groundstation" / "tle"
    folder.mkdir(parents=True)
    (folder / "58400_20240606T044145.tle").write_text(SET_24158)
    bundled = ElementStore.bundled()
    store = ElementStore.default()
    near = datetime(2024, 6, 6, 5, tzinfo=timezone.utc)
    fetched = store.nearest(58400, near)
    assert fetched.source.startswith(str(folder)) and bundled.nearest(58400, near).source.startswith("bundled")
    assert fetched.line1 == bundled.nearest(58400, near).line1
    far = datetime(2026, 3, 1, tzinfo=timezone.utc)
    assert store.nearest(58400, far) is not fetched and store.nearest(58400, far).source.startswith("bundled")
