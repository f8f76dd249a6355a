"""``catalog``, ``passes``, ``doppler`` and ``tle update`` as a user runs them."""

import csv
import http.server
import io
import json
import threading

import numpy as np
import pytest

PASS_KEYS = ["norad", "name", "aos", "tca", "los", "aos_azimuth_deg", "los_azimuth_deg", "max_elevation_deg",
             "duration_s", "sunlit"]
DOPPLER_PASS_KEYS = PASS_KEYS + ["doppler_aos_hz", "doppler_tca_hz", "doppler_los_hz"]
NEAR_EPOCH = ["--start", "2024-06-12T06:00:00Z"]
SEOUL = ["--station", "37.57,126.98,38"]


def test_catalog_table_and_json(run_cli):
    table = run_cli("catalog")
    assert table.code == 0
    assert "Malligyong-1" in table.out and "decayed 2023-06-30" in table.out and "2026-08-21" in table.out
    rows = {row["name"]: row for row in json.loads(run_cli("catalog", "--format", "json").out)}
    assert rows["Kwangmyongsong-3 Unit 2"]["norad"] == 39026
    assert rows["Kwangmyongsong-4 rocket body"]["status"] == "decayed 2023-06-09"
    assert rows["Kwangmyongsong-2"]["downlink_frequency_hz"] == 470e6
    assert rows["Malligyong-1"]["newest_tle_epoch"] == "2026-08-21T14:47:51Z"
    assert rows["Chollima-1 launch of 2023-05-31"]["status"] == "not-orbital"


def test_passes_json_has_exactly_the_documented_keys(run_cli):
    result = run_cli("passes", "--sat", "Malligyong-1", *SEOUL, *NEAR_EPOCH, "--format", "json")
    passes = json.loads(result.out)
    assert result.code == 0 and len(passes) >= 3
    assert all(list(item) == PASS_KEYS for item in passes)
    assert passes[0]["name"] == "Malligyong-1" and passes[0]["aos"].endswith("Z")
    with_freq = json.loads(run_cli("passes", "--sat", "58400", *SEOUL, *NEAR_EPOCH, "--format", "json",
                                   "--freq", "435e6").out)
    assert all(list(item) == DOPPLER_PASS_KEYS for item in with_freq)
    assert with_freq[0]["doppler_aos_hz"] > 0 > with_freq[0]["doppler_los_hz"]


def test_passes_csv_and_several_satellites(run_cli):
    result = run_cli("passes", "--sat", "Malligyong-1", "ISS", *SEOUL, "--start", "2024-06-10T00:00Z", "--hours", "12",
                     "--format", "csv", "--force")
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert list(rows[0]) == PASS_KEYS
    assert {row["norad"] for row in rows} == {"58400", "25544"}
    assert [row["aos"] for row in rows] == sorted(row["aos"] for row in rows)


def test_min_elevation_filters(run_cli):
    low = json.loads(run_cli("passes", "--sat", "58400", *SEOUL, *NEAR_EPOCH, "--format", "json").out)
    high = json.loads(run_cli("passes", "--sat", "58400", *SEOUL, *NEAR_EPOCH, "--format", "json",
                              "--min-elevation", "20").out)
    assert 0 < len(high) < len(low)
    assert all(item["max_elevation_deg"] >= 20 for item in high)


def test_plot_is_a_png(run_cli, tmp_path):
    path = tmp_path / "sky.png"
    assert run_cli("passes", "--sat", "58400", *SEOUL, *NEAR_EPOCH, "--plot", path).code == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sky_plot_has_compass_points_elevation_units_and_the_station():
    from datetime import datetime, timezone

    from groundstation.orbits.elements import ElementStore
    from groundstation.orbits.orbit import Tracker
    from groundstation.orbits.station import Station
    from groundstation.outputs.plots import sky_figure

    station = Station(-33.92, 18.42, 10, "Cape Town")
    start = datetime(2024, 6, 12, 6, tzinfo=timezone.utc)
    tracker = Tracker(ElementStore.bundled().nearest(58400, start), station, "Malligyong-1")
    passes = tracker.passes(start, datetime(2024, 6, 13, 6, tzinfo=timezone.utc), 0.0)
    axes = sky_figure(passes, {58400: tracker}, station).axes[0]
    around = {label.get_text(): tick for label, tick in zip(axes.get_xticklabels(), axes.get_xticks())}
    assert {name: round(float(np.degrees(around[name]))) for name in "NESW"} == {"N": 0, "E": 90, "S": 180, "W": 270}
    assert axes.get_theta_direction() == -1  # east clockwise from north, as seen looking up
    rings = {label.get_text(): 90 - tick for label, tick in zip(axes.get_yticklabels(), axes.get_yticks())}
    assert rings == {"0\N{DEGREE SIGN}": 0, "30\N{DEGREE SIGN}": 30, "60\N{DEGREE SIGN}": 60}
    assert "Cape Town (33.92\N{DEGREE SIGN} S, 18.42\N{DEGREE SIGN} E, 10 m)" in axes.get_title()
    assert len(axes.get_lines()) == 2 * len(passes) > 0  # a track and its AOS dot a pass


def test_station_files(run_cli, tmp_path):
    qth = tmp_path / "home.qth"
    qth.write_text("[QTH]\nLOCATION=Seoul\nLAT=37.57\nLON=126.98\nALT=38\n")
    toml = tmp_path / "home.toml"
    toml.write_text("name = 'Seoul'\nlatitude_deg = 37.57\nlongitude_deg = 126.98\naltitude_m = 38\n")
    by_option = run_cli("passes", "--sat", "58400", *SEOUL, *NEAR_EPOCH, "--format", "json").out
    assert run_cli("passes", "--sat", "58400", "--station-file", qth, *NEAR_EPOCH, "--format", "json").out == by_option
    assert run_cli("passes", "--sat", "58400", "--station-file", toml, *NEAR_EPOCH, "--format", "json").out == by_option
    bad = tmp_path / "bad.toml"
    bad.write_text("lat = 1\n")
    result = run_cli("passes", "--sat", "58400", "--station-file", bad, *NEAR_EPOCH)
    assert result.code == 2 and "latitude_deg" in result.err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--sat", "KMS-4"], "decayed on 2023-06-30.*--force"),
        (["--sat", "KMS-4", "--start", "2016-03-01T00:00Z"], "no set within 90 days.*before the first set"),
        (["--sat", "Kwangmyongsong-3 Unit 2"], "decayed on 2023-09-13"),
        (["--sat", "Chollima-1"], "nothing reached orbit"),
        (["--sat", "Maligyong"], "did you mean: .*Malligyong"),
        (["--sat", "58400", "--start", "2026-12-01T00:00Z"], "no set within 90 days.*2026-08-21T14:47:51Z.*--start 2026-08-21"),
        (["--sat", "58400", "--station", "95,0", *NEAR_EPOCH], "latitude: 95 degrees is outside"),
        (["--sat", "58400", "--station", "north", *NEAR_EPOCH], "LAT,LON"),
        (["--sat", "58400", "--start", "yesterday"], "ISO 8601"),
    ],
)
def test_errors_are_one_line_exit_2(run_cli, args, message):
    import re

    if "--station" not in args:
        args = [*args, *SEOUL]
    result = run_cli("passes", *args)
    assert result.code == 2
    assert result.err.count("\n") == 1 and re.search(message, result.err), result.err


def test_far_from_epoch_warns_then_force_works(run_cli):
    warned = run_cli("passes", "--sat", "58400", *SEOUL, "--start", "2024-06-25T00:00Z", "--format", "json")
    assert warned.code == 0 and "days from the times asked" in warned.err
    assert "uncertainty: about" in warned.err and "s along track" in warned.err
    forced = run_cli("passes", "--sat", "58400", *SEOUL, "--start", "2027-06-01T00:00Z", "--force", "--format", "json")
    assert forced.code == 0 and json.loads(forced.out)


def test_decayed_satellite_with_user_tle_before_decay(run_cli, tmp_path):
    # A user's own element file for a catalogued object: here the real Malligyong-1 set under --tle.
    path = tmp_path / "history.tle"
    path.write_text(
        "MALLIGYONG-1\n"
        "1 58400U 23179A   24158.19566690  .00000871  00000-0  41535-4 0  9999\n"
        "2 58400  97.4052  45.2326 0002221 305.1745  54.9283 15.21704003 30052\n"
    )
    result = run_cli("passes", "--sat", "58400", "--tle", path, *SEOUL, "--start", "2024-06-06T06:00Z",
                     "--format", "json")
    assert result.code == 0 and json.loads(result.out)


def test_doppler_rows(run_cli):
    result = run_cli("doppler", "--sat", "Malligyong-1", *SEOUL, "--freq", "435e6", "--start", "2024-06-12T14:22:00Z",
                     "--end", "2024-06-12T14:33:00Z", "--step", "60", "--format", "json")
    rows = json.loads(result.out)
    assert len(rows) == 12
    assert list(rows[0]) == ["time", "azimuth_deg", "elevation_deg", "range_km", "range_rate_km_s", "freq_hz", "shift_hz"]
    assert rows[0]["shift_hz"] > 5000 > -5000 > rows[-1]["shift_hz"]
    assert rows[0]["freq_hz"] == pytest.approx(435e6 + rows[0]["shift_hz"], abs=0.2)
    assert run_cli("doppler", "--sat", "58400", *SEOUL, "--freq", "435e6", "--start", "2024-06-12T14:00Z",
                   "--end", "2024-06-12T13:00Z").code == 2


class _CelestrakStandIn(http.server.BaseHTTPRequestHandler):
    """Answers gp.php?CATNR=58400&FORMAT=TLE with the real 24164 set, as CelesTrak's GP API does."""

    body_by_catnr = {
        "58400": "MALLIGYONG-1            \r\n"
        "1 58400U 23179A   24164.24788005  .00007135  00000+0  32465-3 0  9998\r\n"
        "2 58400  97.4040  51.1823 0001996 152.6365 207.4976 15.21013721 30973\r\n"
    }

    def do_GET(self):
        from urllib.parse import parse_qs, urlparse

        query = parse_qs(urlparse(self.path).query)
        body = self.body_by_catnr.get(query.get("CATNR", [""])[0], "No GP data found")
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


def test_tle_update_from_a_local_server(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    server = http.server.HTTPServer(("127.0.0.1", 0), _CelestrakStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/NORAD/elements/gp.php"
        result = run_cli("tle", "update", "--url", url, "--norad", "41332")
    finally:
        server.shutdown()
    assert result.code == 0, result.err
    assert "NORAD 41332: no current element set" in result.err
    saved = list((tmp_path / "groundstation" / "tle").glob("*.tle"))
    assert [path.name for path in saved] == ["58400_20240612T055656.tle"]


def test_tle_update_offline_is_a_clear_error(run_cli, tmp_path, monkeypatch):
    import socket

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_cli("tle", "update", "--url", f"http://127.0.0.1:{port}/gp.php")
    assert result.code == 2 and "cannot download" in result.err and "Offline?" in result.err


@pytest.mark.parametrize("typed, norad", [("AO-7", 7530), ("ao-07", 7530), ("OSCAR 7", 7530), ("SO-50", 27607),
                                          ("FO-29", 24278), ("Fox-1B", 43017), ("saudisat 1c", 27607)])
def test_satellite_names_as_hobbyists_type_them(run_cli, typed, norad):
    result = run_cli("passes", "--sat", typed, "--station", "52,4.4", "--start", "2024-02-11T00:00Z", "--hours", "12",
                     "--format", "json")
    assert result.code == 0, result.err
    assert {row["norad"] for row in json.loads(result.out)} == {norad}


def test_a_saved_home_station_stands_in_for_station(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    without = run_cli("passes", "--sat", "58400", *NEAR_EPOCH)
    assert without.code == 2 and "groundstation config --station" in without.err
    saved = run_cli("config", "--station=-33.9,18.4,10", "--name", "Cape Town")
    assert saved.code == 0 and "home station: Cape Town -33.9,18.4,10" in saved.out
    assert (tmp_path / "groundstation" / "config.toml").exists()
    home = run_cli("passes", "--sat", "58400", *NEAR_EPOCH, "--format", "json")
    given = run_cli("passes", "--sat", "58400", *NEAR_EPOCH, "--station", "-33.9,18.4,10", "--format", "json")
    assert home.code == 0 and json.loads(home.out) == json.loads(given.out) != []
    (tmp_path / "groundstation" / "config.toml").write_text("[station]\nlatitude_deg = 'north'\n")
    broken = run_cli("passes", "--sat", "58400", *NEAR_EPOCH)
    assert broken.code == 2 and "config.toml" in broken.err


def test_a_time_without_a_zone_is_utc_and_says_so(run_cli):
    bare = run_cli("passes", "--sat", "58400", *SEOUL, "--start", "2024-06-12T06:00", "--format", "json")
    zoned = run_cli("passes", "--sat", "58400", *SEOUL, "--start", "2024-06-12T06:00Z", "--format", "json")
    assert bare.code == zoned.code == 0 and bare.out == zoned.out
    assert bare.err.count("--start 2024-06-12T06:00 has no time zone: taken as UTC") == 1
    assert "time zone" not in zoned.err
    seoul_time = run_cli("passes", "--sat", "58400", *SEOUL, "--start", "2024-06-12T15:00+09:00", "--format", "json")
    assert seoul_time.out == zoned.out and "time zone" not in seoul_time.err


@pytest.mark.parametrize("args", [
    ["catalog"],
    ["passes", "--sat", "58400", *SEOUL, *NEAR_EPOCH, "--freq", "435e6"],
    ["passes", "--sat", "ISS", "AO-7", "FOX-1B", "SO-50", *SEOUL, "--start", "2024-02-11T06:00Z", "--hours", "72",
     "--freq", "435e6"],
])
def test_tables_for_people_fit_100_columns(run_cli, args):
    result = run_cli(*args)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert len(lines) > 2 and max(len(line) for line in lines) <= 100


def test_the_passes_table_has_short_names_and_doppler_at_aos_and_los(run_cli):
    one = run_cli("passes", "--sat", "58400", *SEOUL, *NEAR_EPOCH, "--freq", "435e6").out.splitlines()
    assert one[0].startswith("name ") and one[0].endswith("Doppler kHz")
    assert one[1].startswith("Malligyong-1 ") and one[1].split()[-1] == "+8.5/-8.5"  # at TCA it is zero
    several = run_cli("passes", "--sat", "ISS", "FOX-1B", *SEOUL, "--start", "2024-02-11T06:00Z").out.splitlines()
    assert {line.split("  ")[0].strip() for line in several[1:]} == {"ISS (ZARYA)", "FOX-1B"}
