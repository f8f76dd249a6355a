"""``history``, ``catalog`` and ``passes`` on the bundled history, as a user runs them."""

import csv
import io
import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from groundstation.orbits.elements import ElementStore
from groundstation.orbits.orbit import Tracker
from groundstation.orbits.station import Station

KMS4_2017 = ["passes", "--sat", "Kwangmyongsong-4", "--station", "39.0,125.75", "--start", "2017-06-01T00:00Z"]


def test_kms4_passes_of_2017_from_the_nearest_set_agree_with_pyephem(run_cli):
    from test_orbit import ephem_passes

    result = run_cli(*KMS4_2017, "--format", "json")
    assert result.code == 0, result.err
    ours = json.loads(result.out)
    # Which set, and how far: the nearest is the set of 2017-04-25, 37 days before (a gap in the history).
    said = re.search(r"element set of (\S+) \((.+?)\), ([\d.]+) days from the times asked", result.err)
    assert said, result.err
    assert said.group(1) == "2017-04-25T21:06:01Z" and float(said.group(3)) == pytest.approx(37.1, abs=0.1)
    assert "WARNING" in result.err and "uncertainty" in result.err
    start = datetime(2017, 6, 1, tzinfo=timezone.utc)
    element_set = ElementStore.bundled().nearest(41332, start + timedelta(hours=12))
    assert element_set.source == said.group(2)
    theirs = ephem_passes(element_set, Station(39.0, 125.75, 0.0), start, start + timedelta(hours=24))
    assert len(ours) == len(theirs) >= 3
    for mine, (aos, tca, los, max_elevation_deg) in zip(ours, theirs):
        for key, value in (("aos", aos), ("tca", tca), ("los", los)):
            moment = datetime.fromisoformat(mine[key].replace("Z", "+00:00"))
            assert abs((moment - value).total_seconds()) <= 2.0
        assert abs(mine["max_elevation_deg"] - max_elevation_deg) <= 0.1


def test_a_time_between_dense_sets_uses_the_nearest_without_warning(run_cli):
    result = run_cli("doppler", "--sat", "KMS-4", "--station", "39.0,125.75", "--freq", "435e6",
                     "--start", "2022-08-01T00:00Z", "--end", "2022-08-01T00:10Z", "--step", "300")
    assert result.code == 0 and "WARNING" not in result.err
    assert "element set of 2022-08-01T11:39:10Z" in result.err and "0.5 days from the times asked" in result.err
    # The same window from that set, directly: the rows come from it.
    element_set = [s for s in ElementStore.bundled().for_norad(41332) if s.epoch.isoformat().startswith("2022-08-01T11")]
    tracker = Tracker(element_set[0], Station(39.0, 125.75, 0.0))
    first = datetime(2022, 8, 1, tzinfo=timezone.utc).timestamp()
    assert abs(float(result.out.splitlines()[1].split()[3]) - float(tracker.look([first]).range_km[0])) < 0.01


def test_history_json_has_sets_and_manoeuvres(run_cli):
    result = run_cli("history", "--sat", "Malligyong-1", "--format", "json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert len(document["sets"]) == len(ElementStore.bundled().for_norad(58400))
    assert {"epoch", "perigee_km", "apogee_km", "inclination_deg", "mean_motion_rev_per_day",
            "mean_motion_dot_rev_per_day2"} <= set(document["sets"][0])
    manoeuvres = document["manoeuvres"]
    assert manoeuvres and all(m["after"] < m["before"] and m["after"].endswith("Z") for m in manoeuvres)
    assert all("evidence" in m and "semi-major axis" in m["evidence"] for m in manoeuvres)
    epochs = [row["epoch"] for row in document["sets"]]
    assert all(m["after"] in epochs and m["before"] in epochs for m in manoeuvres)
    february = [m for m in manoeuvres if m["after"] < "2024-02-19" and m["before"] > "2024-02-24"]
    assert len(february) == 1 and february[0]["reported"]
    assert document["reentry"] is None


def test_history_table_csv_and_plot(run_cli, tmp_path):
    table = run_cli("history", "--sat", "KMS-4")
    assert table.code == 0
    assert "no manoeuvre in 191 sets" in table.out and "catalogued decay 2023-06-30" in table.out
    rows = list(csv.DictReader(io.StringIO(run_cli("history", "--sat", "41333", "--format", "csv").out)))
    assert len(rows) == 15 and rows[0]["epoch"].startswith("2016-10-02")
    plot = tmp_path / "life.png"
    result = run_cli("history", "--sat", "Malligyong-1", "--plot", plot)
    assert result.code == 0 and plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "last seen manoeuvring 2025-10-02..2025-11-24" in result.out
    assert not list(tmp_path.glob("*.part"))


def test_history_errors_are_one_line(run_cli, tmp_path):
    single = run_cli("history", "--sat", "ISS")
    assert single.code == 2 and "needs two or more" in single.err and single.err.count("\n") == 1
    bad_plot = run_cli("history", "--sat", "58400", "--plot", tmp_path / "missing" / "x.png")
    assert bad_plot.code == 2 and "--plot" in bad_plot.err


def test_catalog_says_what_the_history_shows(run_cli):
    rows = {row["name"]: row for row in json.loads(run_cli("catalog", "--format", "json").out)}
    malligyong = rows["Malligyong-1"]
    assert malligyong["history"].startswith("manoeuvred on 2023-12-27..2024-04-11")
    assert "last seen manoeuvring 2025-10-02..2025-11-24" in malligyong["history"]
    for name in ("Kwangmyongsong-3 Unit 2", "Kwangmyongsong-4", "Kwangmyongsong-4 rocket body"):
        assert rows[name]["history"].startswith("no manoeuvre") and rows[name]["reentry_estimate"]["estimate"]
    text = run_cli("catalog").out
    assert "manoeuvred on" in text and "re-entry estimated" in text


def test_a_set_from_tle_update_is_used_near_its_epoch(run_cli, tmp_path, monkeypatch):
    import http.server
    import threading

    from test_cli_orbits import _CelestrakStandIn

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    server = http.server.HTTPServer(("127.0.0.1", 0), _CelestrakStandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/NORAD/elements/gp.php"
        assert run_cli("tle", "update", "--url", url).code == 0
    finally:
        server.shutdown()
    stored = tmp_path / "groundstation" / "tle" / "58400_20240612T055656.tle"
    assert stored.exists()
    near = run_cli("passes", "--sat", "58400", "--station", "37.57,126.98", "--start", "2024-06-12T06:00Z")
    assert near.code == 0 and f"element set of 2024-06-12T05:56:56Z ({stored}:2)" in near.err
    far = run_cli("passes", "--sat", "58400", "--station", "37.57,126.98", "--start", "2026-03-01T00:00Z")
    assert far.code == 0 and "(bundled kms-history.tle:" in far.err
