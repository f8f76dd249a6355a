"""satnogs fetch against a local server playing the network and DB APIs (no real network).

The records are SYNTHETIC (made here, labelled), shaped like the network API's: 60 observations on three
pages of 25, 25 and 10, the next page in the Link header, one HTTP 429 on the way, artefacts only with
the token."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from support import free_port

from groundstation.satnogs.network import ApiClient, list_observations

NORAD = 58400
TOKEN = "test-token"
PAGE_SIZE = 25
COUNT = 60


class FakeSatnogs(BaseHTTPRequestHandler):
    """Both APIs and the media files; counts every request by path."""

    hits: Counter = Counter()
    throttle_once = True

    def log_message(self, *args):  # quiet
        pass

    def _send(self, code: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(code)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server's name)
        url = urllib.parse.urlparse(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        base = f"http://127.0.0.1:{self.server.server_port}"
        self.hits[url.path] += 1
        if url.path == "/api/observations/":
            page = int(query.get("page", 1))
            if page == 2 and FakeSatnogs.throttle_once:
                FakeSatnogs.throttle_once = False
                self.hits["429"] += 1
                return self._send(429, b'{"detail": "throttled"}', {"Retry-After": "1"})
            assert query["norad_cat_id"] == str(NORAD)
            first = (page - 1) * PAGE_SIZE
            records = [record(base, number) for number in range(first + 1, min(COUNT, first + PAGE_SIZE) + 1)]
            headers = {"Content-Type": "application/json"}
            if first + PAGE_SIZE < COUNT:
                headers["Link"] = f'<{base}/api/observations/?norad_cat_id={NORAD}&page={page + 1}>; rel="next"'
            return self._send(200, json.dumps(records).encode(), headers)
        if url.path == "/api/artifacts/":
            if self.headers.get("Authorization") != f"Token {TOKEN}":
                return self._send(401, b'{"detail": "Authentication credentials were not provided."}')
            identifier = int(query["network_obs_id"])
            body = [{"id": identifier, "network_obs_id": identifier,
                     "artifact_file": f"{base}/media/artifacts/artifact_{identifier}.h5"}]
            return self._send(200, json.dumps(body).encode(), {"Content-Type": "application/json"})
        if url.path.startswith("/media/"):
            return self._send(200, media_bytes(url.path))
        return self._send(404, b"not found")


def media_bytes(path: str) -> bytes:
    return (f"SYNTHETIC file {path} ".encode() * 50)[: 500 + len(path)]


def record(base: str, number: int) -> dict:
    identifier = 7_000_000 + number
    return {"id": identifier, "start": "2024-06-12T01:21:32Z", "end": "2024-06-12T01:31:32Z",
            "ground_station": 42, "station_lat": 37.57, "station_lng": 126.98, "station_alt": 38,
            "norad_cat_id": NORAD, "observation_frequency": 435000000, "transmitter_mode": "CW",
            "payload": f"{base}/media/audio/satnogs_{identifier}_2024-06-12T01-21-32.ogg",
            "waterfall": f"{base}/media/wf/waterfall_{identifier}_2024-06-12T01-21-32.png",
            "waterfall_status": "unknown", "note": "SYNTHETIC record made by the test"}


@pytest.fixture
def server():
    FakeSatnogs.hits = Counter()
    FakeSatnogs.throttle_once = True
    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), FakeSatnogs)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def test_fetch_lists_three_pages_through_a_429_downloads_everything_and_a_second_run_nothing(server, tmp_path,
                                                                                           run_cli):
    out = tmp_path / "kms"
    options = ["satnogs", "fetch", "--norad", NORAD, "--out", out, "--token", TOKEN, "--network-url", server,
               "--db-url", server, "--page-interval", "0"]
    first = run_cli(*options)
    assert first.code == 0, first.err
    assert FakeSatnogs.hits["429"] == 1
    assert FakeSatnogs.hits["/api/observations/"] == 4  # three pages and the throttled retry
    folders = sorted(path for path in out.iterdir() if not path.name.startswith("."))
    assert len(folders) == COUNT
    for folder in folders:
        metadata = json.loads((folder / "metadata.json").read_text())
        assert len(metadata["files"]) == 3
        for name, size in metadata["files"].items():
            assert (folder / name).stat().st_size == size
        assert not list(folder.glob("*.part"))
    assert f"{COUNT} observations" in first.out and f"{3 * COUNT} files downloaded" in first.out
    before = FakeSatnogs.hits.copy()
    second = run_cli(*options)
    assert second.code == 0, second.err
    assert FakeSatnogs.hits == before  # nothing asked of the server at all
    assert "0 files downloaded" in second.out and f"{3 * COUNT} already there" in second.out
    refreshed = run_cli(*options, "--refresh")
    assert refreshed.code == 0 and "0 files downloaded" in refreshed.out
    assert FakeSatnogs.hits["/api/observations/"] == before["/api/observations/"] + 3  # the pages asked again


def test_a_cut_file_is_downloaded_again(server, tmp_path, run_cli):
    out = tmp_path / "kms"
    options = ["satnogs", "fetch", "--norad", NORAD, "--out", out, "--network-url", server, "--db-url", server,
               "--page-interval", "0", "--no-pictures"]
    assert run_cli(*options).code == 0
    victim = next(path for path in sorted(out.glob("*/satnogs_*.ogg")))
    victim.write_bytes(victim.read_bytes()[:10])
    again = run_cli(*options)
    assert again.code == 0 and "1 files downloaded" in again.out
    assert "waterfall artefacts (what campaign searches) were not fetched" in again.out
    assert victim.read_bytes() == media_bytes("/media/audio/" + victim.name)


def test_artifacts_need_the_token(server, tmp_path):
    client = ApiClient(str(tmp_path / "cache"), token="wrong", page_interval_s=0)
    from groundstation.errors import UserError
    from groundstation.satnogs.network import artifact_urls

    with pytest.raises(UserError, match="HTTP 401.*--token"):
        artifact_urls(client, server, 7_000_001)


def test_the_lister_waits_as_retry_after_says(server, tmp_path):
    waits = []
    client = ApiClient(str(tmp_path / "cache"), page_interval_s=0, sleep=waits.append)
    records = list_observations(client, server, NORAD)
    assert len(records) == COUNT and len({r["id"] for r in records}) == COUNT
    assert waits == [1.0]  # the Retry-After of the one 429
    assert client.throttled == 1


def test_fetched_observations_are_checked(tmp_path, run_cli):
    """fetch then check: the server gives a SIMULATED observation's record and its HDF5 artefact."""
    from groundstation.satnogs.synthetic import build_simulated_campaign

    made = build_simulated_campaign(str(tmp_path / "made"), {"carrier": 1, "silent": 1}, seed=2)
    records = []
    for folder in made:
        with open(f"{folder}/metadata.json") as file:
            records.append({key: value for key, value in json.load(file).items() if key != "files"})

    class Served(FakeSatnogs):
        def do_GET(self):  # noqa: N802
            url = urllib.parse.urlparse(self.path)
            if url.path == "/api/observations/":
                return self._send(200, json.dumps(records).encode(), {"Content-Type": "application/json"})
            if url.path == "/api/artifacts/":
                identifier = dict(urllib.parse.parse_qsl(url.query))["network_obs_id"]
                base = f"http://127.0.0.1:{self.server.server_port}"
                return self._send(200, json.dumps([{"artifact_file": f"{base}/h5/{identifier}"}]).encode())
            if url.path.startswith("/h5/"):
                identifier = url.path.rsplit("/", 1)[1]
                folder = next(path for path in made if path.endswith(identifier))
                return self._send(200, Path(f"{folder}/artifact_{identifier}.h5").read_bytes())
            return self._send(404, b"")

    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Served)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{httpd.server_port}"
        out = tmp_path / "fetched"
        result = run_cli("satnogs", "fetch", "--norad", NORAD, "--out", out, "--token", TOKEN, "--network-url", base,
                         "--db-url", base, "--page-interval", "0")
        assert result.code == 0, result.err
    finally:
        httpd.shutdown()
        httpd.server_close()
    verdicts = {}
    for record_ in records:
        checked = run_cli("check", out / str(record_["id"]), "--sat", NORAD, "--format", "json")
        verdicts[record_["groundstation:scenario"]] = json.loads(checked.out)["verdict"]
    assert verdicts == {"carrier": "TRANSMITTING", "silent": "NO SIGNAL DETECTED"}


def test_a_server_that_hangs_up_or_a_damaged_cached_page_is_not_a_crash(server, tmp_path, run_cli):
    """A service that accepts and closes at once: one line naming the API address (it said "Connection reset by
    peer; check the file names and the disk"). A cached page damaged on disk is asked for again."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))

    def hang_up():
        connection, _ = listener.accept()
        connection.close()

    thread = threading.Thread(target=hang_up, daemon=True)
    thread.start()
    try:
        result = run_cli("satnogs", "fetch", "--norad", NORAD, "--out", tmp_path / "a", "--network-url",
                         f"http://127.0.0.1:{listener.getsockname()[1]}", "--page-interval", "0")
    finally:
        thread.join(5)
        listener.close()
    assert result.code == 2 and "cannot reach the API" in result.err and result.err.count("\n") == 1, result.err
    assert not (tmp_path / "a").exists()  # the --out folder it made is not left empty
    client = ApiClient(str(tmp_path / "cache"), page_interval_s=0, sleep=lambda s: None)
    assert len(list_observations(client, server, NORAD)) == COUNT
    for page in (tmp_path / "cache").glob("*.json"):
        page.write_text('{"url": ')
    again = ApiClient(str(tmp_path / "cache"), page_interval_s=0, sleep=lambda s: None)
    assert len(list_observations(again, server, NORAD)) == COUNT and again.requests >= 3


def test_only_web_addresses_are_downloaded(tmp_path):
    """A record's file address is the server's word: ``file:///`` (urllib would copy a local file) or not text at
    all is refused, as is a Link header that leaves the web."""
    from groundstation.errors import UserError
    from groundstation.satnogs.fetch import download

    secret = tmp_path / "secret.txt"
    secret.write_text("not for the observation folder")
    for url in (secret.as_uri(), 5, "ftp://example.org/x.ogg"):
        with pytest.raises(UserError, match="not an http"):
            download(url, str(tmp_path / "copy.ogg"))
    assert not (tmp_path / "copy.ogg").exists()
    with pytest.raises(UserError, match="not an http"):
        ApiClient(str(tmp_path / "cache"), page_interval_s=0).get_json(secret.as_uri())
