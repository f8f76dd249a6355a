"""``satnogs fetch``: every observation of an object, one folder each, with its artefacts.

The listing goes through the one rate-limited, cached :class:`~groundstation.satnogs.network.ApiClient`;
the files (waterfall artefact from SatNOGS DB with a token, audio, waterfall picture) are downloaded a few
at a time, each to a temporary file that is renamed into place only when its size matches the server's
``Content-Length``. ``metadata.json`` (the record, and ``files``: name -> bytes) is written last, so a
second run skips every file already there at its recorded size and downloads nothing new.

>>> _file_name("https://network.satnogs.org/media/data_obs/2024/6/12/1/9183756/satnogs_9183756_2024-06-12T14-22-01.ogg",
...            "x.ogg")
'satnogs_9183756_2024-06-12T14-22-01.ogg'
>>> _file_name("https://db.example/media/..%2F..%2Fetc%2Fpasswd", "artifact_1.h5")   # never a path out
'_.._2F.._2Fetc_2Fpasswd'
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from groundstation.errors import UserError
from groundstation.outputs.atomic import AtomicFile, atomic_write
from groundstation.satnogs.network import (
    TIMEOUT_S,
    USER_AGENT,
    ApiClient,
    artifact_urls,
    list_observations,
)
from groundstation.satnogs.observation import METADATA_NAME

log = logging.getLogger(__name__)

CACHE_FOLDER = ".satnogs-cache"
DOWNLOADS_AT_ONCE = 4
MAX_FILE_BYTES = 2 << 30
CHUNK_BYTES = 1 << 20


@dataclass
class FetchReport:
    observations: int = 0
    downloaded: list[str] = field(default_factory=list)
    skipped: int = 0
    failed: list[str] = field(default_factory=list)
    api_requests: int = 0
    throttled: int = 0


def _file_name(url: str, fallback: str) -> str:
    name = os.path.basename(urllib.parse.urlparse(url).path) or fallback
    name = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return name if not name.startswith(".") else "_" + name


def download(url: str, path: str) -> int:
    """``url`` into ``path`` whole or not at all; its size, checked against ``Content-Length``. Only http(s):
    the addresses come from the API's answers, and urllib would as well open ``file:///etc/passwd``."""
    if not isinstance(url, str) or urllib.parse.urlparse(url).scheme not in ("http", "https"):
        raise UserError(f"{str(url)[:200]!r}: not an http(s) address; not downloaded")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:
            expected = answer.headers.get("Content-Length")
            atomic = AtomicFile(path, "wb", option="--out")
            size = 0
            try:
                while chunk := answer.read(CHUNK_BYTES):
                    size += len(chunk)
                    if size > MAX_FILE_BYTES:
                        raise UserError(f"{url}: more than {MAX_FILE_BYTES >> 20} MB; not a SatNOGS artefact")
                    atomic.file.write(chunk)
                if expected is not None and expected.strip().isdigit() and int(expected) != size:
                    raise UserError(f"{url}: {size} bytes received of {expected}; the download was cut")
            except BaseException:
                atomic.discard()
                raise
            atomic.commit()
            return size
    except urllib.error.HTTPError as error:
        raise UserError(f"{url}: HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
        raise UserError(f"{url}: download failed ({getattr(error, 'reason', error) or type(error).__name__})") from None


def _known_files(folder: str) -> dict:
    try:
        with open(os.path.join(folder, METADATA_NAME), encoding="utf-8") as file:
            files = json.load(file).get("files", {})
        return files if isinstance(files, dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}


def fetch_observations(out: str, norad: int, network_url: str, db_url: str, token: str | None = None,
                       start: str | None = None, end: str | None = None, page_interval_s: float | None = None,
                       downloads_at_once: int = DOWNLOADS_AT_ONCE, audio: bool = True, pictures: bool = True,
                       progress=None, refresh: bool = False) -> FetchReport:
    """List every observation of ``norad`` and download what is missing into ``out/<id>/``."""
    made = not os.path.isdir(out)
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as error:
        raise UserError(f"--out: cannot make the folder {out!r} ({error.strerror or error})") from None
    client = ApiClient(os.path.join(out, CACHE_FOLDER), token, page_interval_s)
    try:
        records = list_observations(client, network_url, norad, start, end, refresh=refresh)
    except UserError:
        if made and not os.listdir(out):  # no page came: leave no empty folder behind
            os.rmdir(out)
        raise
    report = FetchReport(observations=len(records))
    plans = []  # (folder, record, [(url, name)])
    for record in records:
        identifier = record.get("id")
        if not isinstance(identifier, int) or identifier <= 0:
            log.warning("an observation record without a valid id was skipped")
            continue
        wanted = []
        if token:
            for url in artifact_urls(client, db_url, identifier):
                name = _file_name(str(url), f"artifact_{identifier}.h5")
                wanted.append((url, name if name.lower().endswith((".h5", ".hdf5")) else name + ".h5"))
        if audio and record.get("payload"):
            wanted.append((record["payload"], _file_name(str(record["payload"]), f"satnogs_{identifier}.ogg")))
        if pictures and record.get("waterfall"):
            wanted.append((record["waterfall"], _file_name(str(record["waterfall"]), f"waterfall_{identifier}.png")))
        plans.append((os.path.join(out, str(identifier)), record, wanted))
    jobs = []
    for folder, _record, wanted in plans:
        known = _known_files(folder)
        for url, name in wanted:
            path = os.path.join(folder, name)
            if name in known and os.path.isfile(path) and os.path.getsize(path) == known[name]:
                report.skipped += 1
            else:
                jobs.append((folder, url, name))
    sizes: dict[tuple[str, str], int] = {}

    def one(job):
        folder, url, name = job
        os.makedirs(folder, exist_ok=True)
        try:
            sizes[(folder, name)] = download(url, os.path.join(folder, name))
            report.downloaded.append(os.path.join(folder, name))
        except UserError as error:
            log.warning("%s", error)
            report.failed.append(str(error))
        if progress:
            progress(len(report.downloaded) + len(report.failed), len(jobs))

    with ThreadPoolExecutor(max_workers=max(1, downloads_at_once)) as pool:
        list(pool.map(one, jobs))
    for folder, record, wanted in plans:
        known = _known_files(folder)
        files = {}
        for _url, name in wanted:
            path = os.path.join(folder, name)
            if (folder, name) in sizes:
                files[name] = sizes[(folder, name)]
            elif name in known and os.path.isfile(path) and os.path.getsize(path) == known[name]:
                files[name] = known[name]
        document = dict(record, files=files)
        metadata_path = os.path.join(folder, METADATA_NAME)
        os.makedirs(folder, exist_ok=True)
        if known != files or refresh or not os.path.isfile(metadata_path):
            with atomic_write(metadata_path, "w", option="--out") as file:
                json.dump(document, file, indent=1)
    report.api_requests, report.throttled = client.requests, client.throttled
    return report
