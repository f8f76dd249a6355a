"""One polite client of the SatNOGS Network and DB APIs: rate-limited, cached on disk, resumable.

The network's ``/api/observations/?norad_cat_id=N`` answers a bare JSON list
(25 a page) with the next page in the ``Link`` header (``<url>; rel="next"``),
and throttles: about 60 pages an hour without a token, 240 with one, HTTP 429
beyond. This client waits ``page_interval_s`` between requests, honours
``Retry-After`` on 429 (seconds or an HTTP date; doubling waits when absent),
and keeps every page it got in ``cache_folder``, so a second listing asks for
nothing and an interrupted one resumes where it stopped.

>>> next_link('<https://network.satnogs.org/api/observations/?norad_cat_id=58400&page=2>; rel="next"')
'https://network.satnogs.org/api/observations/?norad_cat_id=58400&page=2'
>>> next_link('<https://x/?page=1>; rel="prev"') is None
True
>>> retry_after_s("7"), retry_after_s(None)
(7.0, None)
"""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import json
import logging
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone

from groundstation import __version__
from groundstation.errors import UserError
from groundstation.outputs.atomic import atomic_write

log = logging.getLogger(__name__)

NETWORK_URL = "https://network.satnogs.org"
DB_URL = "https://db.satnogs.org"
#: The network's documented throttles: pages an hour anonymous / with a token; the client stays under them.
PAGES_PER_HOUR_ANONYMOUS, PAGES_PER_HOUR_TOKEN = 60, 240
MAX_RETRIES = 8
MAX_RETRY_WAIT_S = 3600.0
MAX_PAGE_BYTES = 16 << 20
TIMEOUT_S = 60.0
USER_AGENT = f"groundstation/{__version__} (satnogs fetch)"
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header, or None."""
    if not header:
        return None
    for part in header.split(","):
        match = _LINK.search(part)
        if match:
            return match.group(1)
    return None


def retry_after_s(value: str | None) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), or None if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - datetime.now(timezone.utc)).total_seconds())


class ApiClient:
    """GET JSON from the APIs, one request at a time, ``page_interval_s`` apart, with a page cache."""

    def __init__(self, cache_folder: str, token: str | None = None, page_interval_s: float | None = None,
                 sleep=time.sleep) -> None:
        self.cache_folder = cache_folder
        self.token = token
        per_hour = PAGES_PER_HOUR_TOKEN if token else PAGES_PER_HOUR_ANONYMOUS
        self.page_interval_s = 3600.0 / per_hour if page_interval_s is None else page_interval_s
        self.sleep = sleep
        self.requests = 0
        self.throttled = 0
        self._last = None

    def _cache_path(self, url: str) -> str:
        return os.path.join(self.cache_folder, hashlib.sha256(url.encode()).hexdigest()[:32] + ".json")

    def _wait_turn(self) -> None:
        if self._last is not None:
            wait = self.page_interval_s - (time.monotonic() - self._last)
            if wait > 0:
                log.info("waiting %.0f s between API requests (the network's rate limit)", wait)
                self.sleep(wait)
        self._last = time.monotonic()

    def get_json(self, url: str, authorised: bool = False, cache: bool = True, refresh: bool = False):
        """(JSON body, Link header's next URL) of ``url``, from the cache if this URL was fetched before (unless
        ``refresh``: asked again, and the cache updated)."""
        path = self._cache_path(url)
        if cache and not refresh and os.path.isfile(path):
            try:
                with open(path, encoding="utf-8") as file:
                    stored = json.load(file)
                return stored["body"], stored.get("next")
            except (OSError, ValueError, RecursionError, KeyError, TypeError):
                log.warning("%s: a damaged page in the cache; asking again", path)
        body, headers = self._request(url, authorised)
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            raise UserError(f"{url}: the answer is not JSON (is this a SatNOGS API address?)") from None
        following = next_link(headers.get("Link"))
        if cache:
            os.makedirs(self.cache_folder, exist_ok=True)
            with atomic_write(path, "w", option="the page cache") as file:
                json.dump({"url": url, "body": document, "next": following}, file)
        return document, following

    def _request(self, url: str, authorised: bool):
        if urllib.parse.urlparse(url).scheme not in ("http", "https"):  # a Link header could say file:///...
            raise UserError(f"{url[:200]!r}: not an http(s) address; the API's answer points elsewhere")
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if authorised and self.token:
            headers["Authorization"] = f"Token {self.token}"
        backoff_s = max(self.page_interval_s, 1.0)
        for _attempt in range(MAX_RETRIES + 1):
            self._wait_turn()
            self.requests += 1
            try:
                with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT_S) as answer:
                    body = answer.read(MAX_PAGE_BYTES + 1)
                    if len(body) > MAX_PAGE_BYTES:
                        raise UserError(f"{url}: a page of more than {MAX_PAGE_BYTES} bytes; not a SatNOGS API page")
                    return body, answer.headers
            except urllib.error.HTTPError as error:
                if error.code == 429:
                    self.throttled += 1
                    wait = retry_after_s(error.headers.get("Retry-After"))
                    wait = min(MAX_RETRY_WAIT_S, backoff_s if wait is None else wait)
                    backoff_s = min(MAX_RETRY_WAIT_S, backoff_s * 2)
                    log.warning("%s: throttled (HTTP 429); waiting %.0f s", url, wait)
                    self.sleep(wait)
                    continue
                if error.code in (401, 403):
                    raise UserError(f"{url}: HTTP {error.code}: the API refused the request; give a valid --token "
                                    "(your SatNOGS DB API key)") from None
                raise UserError(f"{url}: HTTP {error.code} {error.reason}") from None
            except urllib.error.URLError as error:
                raise UserError(f"{url}: cannot reach the API ({error.reason})") from None
            except (OSError, http.client.HTTPException) as error:  # reset, closed or timed out after connecting
                raise UserError(f"{url}: cannot reach the API ({error or type(error).__name__})") from None
        raise UserError(f"{url}: still throttled after {MAX_RETRIES} retries; try again later or give --token")


def observations_url(network_url: str, norad: int, start: str | None = None, end: str | None = None) -> str:
    """The first page of the network's observations of ``norad`` (``start``/``end``: ISO times)."""
    query = {"norad_cat_id": norad}
    if start:
        query["start"] = start
    if end:
        query["end"] = end
    return f"{network_url.rstrip('/')}/api/observations/?{urllib.parse.urlencode(query)}"


def list_observations(client: ApiClient, network_url: str, norad: int, start: str | None = None,
                      end: str | None = None, max_pages: int = 100_000, refresh: bool = False) -> list[dict]:
    """Every observation record, page after page (each page cached; ``refresh``: the pages asked again, for
    observations made or vetted since)."""
    url = observations_url(network_url, norad, start, end)
    records: list[dict] = []
    seen = set()
    for _ in range(max_pages):
        page, url = client.get_json(url, refresh=refresh)
        if not isinstance(page, list):
            raise UserError(f"{network_url}: an observations page is not a JSON list")
        for record in page:
            if isinstance(record, dict) and record.get("id") not in seen:
                seen.add(record.get("id"))
                records.append(record)
        if not url:
            break
    return records


def artifact_urls(client: ApiClient, db_url: str, observation_id: int) -> list[str]:
    """The artefact files of an observation in SatNOGS DB (needs the token)."""
    url = f"{db_url.rstrip('/')}/api/artifacts/?{urllib.parse.urlencode({'network_obs_id': observation_id})}"
    body, _ = client.get_json(url, authorised=True)
    items = body.get("results", []) if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise UserError(f"{url}: the artefact list is not a JSON list")
    return [item["artifact_file"] for item in items if isinstance(item, dict) and item.get("artifact_file")]
