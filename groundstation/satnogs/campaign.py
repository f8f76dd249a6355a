"""A campaign: ``check`` on every SatNOGS observation of one object under a folder, on a Dask cluster.

Each task is one observation's check (:func:`campaign_task`): it runs on a
worker, reads its own files there and sends back a small dict. Results are
cached per observation (``<DIR>/.groundstation-campaign/<norad>/<id>.json``,
keyed by the observation's files, the element sets and the options), so a
rerun checks only what is new or changed. The cluster is the caller's (a
``distributed.Client``): a local one or any scheduler by address.

>>> rows = [{"observation": 1, "start": "2024-06-12T01:21:32Z", "station_id": 7, "verdict": "TRANSMITTING",
...          "vetting": "with-signal", "line": "TRANSMITTING: ...", "track": {"cn0_dbhz": 20.0}},
...         {"observation": 2, "start": "2024-06-13T01:00:00Z", "station_id": 7, "verdict": "NO SIGNAL DETECTED",
...          "vetting": "with-signal", "upper_limit_cn0_dbhz": 11.5, "line": "NO SIGNAL DETECTED: ..."}]
>>> summary = summarise(rows)
>>> summary["verdicts"], summary["best_limit"]["upper_limit_cn0_dbhz"], summary["vetting"]["agree"]
({'TRANSMITTING': 1, 'NO SIGNAL DETECTED': 1}, 11.5, 1)
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import time
from collections import Counter, defaultdict

from groundstation.outputs.atomic import atomic_write
from groundstation.satnogs.observation import METADATA_NAME

log = logging.getLogger(__name__)

CACHE_FOLDER = ".groundstation-campaign"
CACHE_VERSION = 1
VERDICT_ORDER = ("TRANSMITTING", "NO SIGNAL DETECTED", "SIGNAL NOT FROM THIS SATELLITE", "CANNOT TELL", "ERROR")


def find_observations(folder: str, norad: int | None = None) -> list[str]:
    """Every observation folder (holding ``metadata.json``) under ``folder``, in name order; hidden folders
    (the caches) are skipped, and so are observations of another object than ``norad`` (by their record's
    ``norad_cat_id``, where it has one)."""
    found = []
    other = 0
    for root, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        if METADATA_NAME not in files:
            continue
        if norad is not None:
            try:
                with open(os.path.join(root, METADATA_NAME), encoding="utf-8") as file:
                    recorded = json.load(file).get("norad_cat_id")
            except (OSError, ValueError, AttributeError, RecursionError):
                recorded = None  # the check will say what is wrong with it
            if recorded is not None and recorded != norad:
                other += 1
                continue
        found.append(root)
    if other:
        log.warning("%s: %d observations of other objects left out", folder, other)
    return sorted(found)


def fingerprint(observation_path: str, options: dict) -> str:
    """A digest of the observation's files (names, sizes, modification times) and of ``options``."""
    digest = hashlib.sha256(json.dumps({"version": CACHE_VERSION, "options": options}, sort_keys=True).encode())
    for name in sorted(os.listdir(observation_path)):
        path = os.path.join(observation_path, name)
        if name.startswith(".") or not os.path.isfile(path):
            continue
        status = os.stat(path)
        digest.update(f"{name}\0{status.st_size}\0{status.st_mtime_ns}\n".encode())
    return digest.hexdigest()


class ResultCache:
    """One JSON file an observation, written atomically, valid while its fingerprint matches."""

    def __init__(self, folder: str, norad: int, options: dict) -> None:
        self.folder = os.path.join(folder, CACHE_FOLDER, str(norad))
        self.options = options

    def _path(self, observation_path: str) -> str:
        key = hashlib.sha256(os.path.abspath(observation_path).encode()).hexdigest()[:16]
        return os.path.join(self.folder, f"{os.path.basename(observation_path)}-{key}.json")

    def get(self, observation_path: str) -> dict | None:
        try:
            with open(self._path(observation_path), encoding="utf-8") as file:
                stored = json.load(file)
        except (OSError, ValueError):
            return None
        if not isinstance(stored, dict) or stored.get("fingerprint") != fingerprint(observation_path, self.options):
            return None
        return stored.get("result")

    def put(self, observation_path: str, result: dict) -> None:
        os.makedirs(self.folder, exist_ok=True)
        document = {"fingerprint": fingerprint(observation_path, self.options), "result": result}
        with atomic_write(self._path(observation_path), "w", option="campaign cache") as file:
            json.dump(document, file, allow_nan=False, default=str)


@functools.cache
def _worker_target(query: str, tle_files: tuple[str, ...]):
    """The target and the element sets, loaded once per worker process."""
    from groundstation.orbits.catalog import load_catalog
    from groundstation.orbits.elements import ElementStore
    from groundstation.orbits.targets import resolve_target

    store = ElementStore.default(list(tle_files))
    return resolve_target(query, load_catalog(), store), store


def campaign_task(observation_path: str, query: str, tle_files: tuple[str, ...] = (), min_elevation_deg: float = 0.0,
                  force: bool = False) -> dict:
    """One observation's check, on a worker: a JSON-ready dict (an ``ERROR`` row for a bad observation)."""
    from groundstation.satnogs.checking import check_observation_safely

    started = time.perf_counter()
    target, store = _worker_target(query, tuple(tle_files))
    # the element set chosen and its uncertainty go into the result; not a warning a task on a worker's stderr
    logging.getLogger("groundstation.orbits.targets").setLevel(logging.ERROR)
    try:
        result = check_observation_safely(observation_path, target, store, min_elevation_deg, force)
    except Exception as error:  # a bug on one observation: said in its row, the campaign goes on
        log.exception("%s: internal error", observation_path)
        result = {"folder": observation_path, "satellite": target.name, "norad": target.norad, "verdict": "ERROR",
                  "line": f"ERROR: internal error ({type(error).__name__}: {error}); please report it", "exit_code": 1}
    result.setdefault("timing_s", {})["total"] = round(time.perf_counter() - started, 4)
    return result


def run_campaign(client, observation_paths: list[str], query: str, norad: int, cache: ResultCache,
                 tle_files: tuple[str, ...] = (), min_elevation_deg: float = 0.0, force: bool = False,
                 show_progress=None) -> tuple[list[dict], int]:
    """Check every observation not in ``cache`` on ``client``'s cluster (a ``distributed.Client``, or a function
    giving one, called only if there is something to check); (all results in path order, how many
    were checked now). ``show_progress(futures)``: the caller's display (Dask's progress bar on a terminal)."""
    from distributed import as_completed

    results: dict[str, dict] = {}
    todo = []
    for path in observation_paths:
        cached = cache.get(path)
        if cached is None:
            todo.append(path)
        else:
            results[path] = cached
    log.info("%d observations, %d in the cache, %d to check", len(observation_paths), len(results), len(todo))
    if todo:
        client = client() if callable(client) else client
        futures = client.map(campaign_task, todo, query=query, tle_files=tuple(tle_files),
                             min_elevation_deg=min_elevation_deg, force=force, pure=False)
        where = {future.key: path for future, path in zip(futures, todo)}
        if show_progress is not None:
            show_progress(futures)
        for future, result in as_completed(futures, with_results=True):
            path = where[future.key]
            results[path] = result
            cache.put(path, result)
    return [results[path] for path in observation_paths], len(todo)


def agreement(verdict: str, vetting: str | None) -> bool | None:
    """Does our verdict agree with the human vetting? None where there is nothing to compare."""
    if vetting == "with-signal" and verdict in VERDICT_ORDER[:3]:
        return verdict == "TRANSMITTING"
    if vetting == "without-signal" and verdict in VERDICT_ORDER[:3]:
        return verdict != "TRANSMITTING"
    return None


def summarise(results: list[dict]) -> dict:
    """Verdicts overall, by date and by station; the best limit; every TRANSMITTING; agreement with vetting."""
    by_date: dict[str, Counter] = defaultdict(Counter)
    by_station: dict[str, Counter] = defaultdict(Counter)
    vetting = Counter()
    best = None
    transmitting = []
    errors = []
    for row in results:
        verdict = row.get("verdict", "ERROR")
        by_date[(row.get("start") or "unknown")[:10]][verdict] += 1
        by_station[str(row.get("station_id") if row.get("station_id") is not None else "unknown")][verdict] += 1
        limit = row.get("upper_limit_cn0_dbhz")
        if verdict == "NO SIGNAL DETECTED" and limit is not None and (best is None or limit < best["upper_limit_cn0_dbhz"]):
            best = {"observation": row.get("observation"), "start": row.get("start"), "upper_limit_cn0_dbhz": limit}
        if verdict == "TRANSMITTING":
            transmitting.append({key: row.get(key) for key in ("observation", "start", "station_id", "line", "track",
                                                               "artifact", "vetting")})
        if verdict == "ERROR":
            errors.append({"folder": row.get("folder"), "line": row.get("line")})
        agrees = agreement(verdict, row.get("vetting"))
        vetting["not vetted or not comparable" if agrees is None else "agree" if agrees else "disagree"] += 1
    counts = Counter(row.get("verdict", "ERROR") for row in results)
    order = {name: index for index, name in enumerate(VERDICT_ORDER)}
    return {
        "observations": len(results),
        "verdicts": {name: counts[name] for name in sorted(counts, key=lambda name: order.get(name, 99))},
        "by_date": {date: dict(by_date[date]) for date in sorted(by_date)},
        "by_station": {station: dict(by_station[station]) for station in sorted(by_station)},
        "best_limit": best,
        "transmitting": transmitting,
        "errors": errors,
        "vetting": dict(vetting),
        "simulated": any(row.get("simulated") for row in results),
    }


def result_rows(results: list[dict]) -> list[dict]:
    """One row an observation for ``--format table|csv``."""
    rows = []
    for row in results:
        track = row.get("track") or {}
        agrees = agreement(row.get("verdict", "ERROR"), row.get("vetting"))
        rows.append({
            "observation": row.get("observation") or os.path.basename(str(row.get("folder", ""))),  # ERROR rows
            "start": row.get("start"),
            "station": row.get("station_id"),
            "verdict": row.get("verdict"),
            "cn0_dbhz": track.get("cn0_dbhz"),
            "limit_dbhz": row.get("upper_limit_cn0_dbhz"),
            "vetting": row.get("vetting"),
            "agrees": agrees,
        })
    return rows
