"""``groundstation tle update``: fetch current element sets from CelesTrak's GP API into the cache.

The only command that uses the network.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request

from groundstation.orbits.catalog import load_catalog
from groundstation.orbits.elements import cache_dir, parse_tle_text
from groundstation.errors import UserError
from groundstation.validation import bounded_int

log = logging.getLogger(__name__)

CELESTRAK_GP_URL = "https://celestrak.org/NORAD/elements/gp.php"
TIMEOUT_S = 20.0
MAX_RESPONSE_BYTES = 1 << 20

EXAMPLES = """examples:
  groundstation tle update
  groundstation tle update --norad 25544 --norad 43017
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("tle", help="manage element sets (tle update)")
    actions = parser.add_subparsers(dest="tle_action", metavar="ACTION", required=True,
                                    parser_class=type(parser))
    update = actions.add_parser(
        "update",
        help="download current element sets from CelesTrak",
        description="Download the current TLE of every catalogued object not known to have decayed (and of "
        f"--norad objects) from CelesTrak's GP API into {cache_dir()}.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    update.add_argument("--url", default=CELESTRAK_GP_URL, help=f"GP API address (default {CELESTRAK_GP_URL})")
    update.add_argument("--norad", type=bounded_int("--norad", 1, 339999), action="append", default=[], help="also fetch this NORAD number")
    update.set_defaults(func=run_update)


def default_norads() -> list[int]:
    """Catalogued objects that may still be in orbit."""
    return [entry.norad for entry in load_catalog().entries if entry.status in ("in-orbit", "unknown")]


def fetch_tle(url: str, norad: int) -> str:
    query = urllib.parse.urlencode({"CATNR": norad, "FORMAT": "TLE"})
    address = f"{url}{'&' if '?' in url else '?'}{query}"
    try:
        with urllib.request.urlopen(address, timeout=TIMEOUT_S) as response:
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except ValueError as error:  # not a URL at all
        raise UserError(f"--url: {url!r} is not a web address ({error}); e.g. {CELESTRAK_GP_URL}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise UserError(
            f"cannot download element sets from {url}: {reason}. Offline? The bundled sets still work; "
            "or pass a file with --tle."
        ) from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise UserError(f"{url} sent more than {MAX_RESPONSE_BYTES} bytes for one NORAD number: not a GP API; check --url")
    return body.decode("utf-8", errors="replace")


def save_sets(text: str, norad: int, folder) -> list[str]:
    """Write each new set to ``folder/NORAD_EPOCH.tle`` (written whole, then renamed); return the new paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for element_set in parse_tle_text(text, f"CelesTrak CATNR={norad}"):
        target = folder / f"{element_set.norad}_{element_set.epoch:%Y%m%dT%H%M%S}.tle"
        if target.exists():
            continue
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".part")
        with os.fdopen(handle, "w") as file:
            file.write(f"{element_set.name}\n{element_set.line1}\n{element_set.line2}\n")
        os.replace(temporary, target)
        written.append(str(target))
    return written


def run_update(args: argparse.Namespace) -> int:
    norads = list(dict.fromkeys(default_norads() + args.norad))
    folder = cache_dir()
    fetched = 0
    for norad in norads:
        text = fetch_tle(args.url, norad)
        if "1 " not in text:
            log.warning("NORAD %d: no current element set (the server said: %s)", norad, text.strip()[:80] or "nothing")
            continue
        try:
            written = save_sets(text, norad, folder)
        except UserError as error:
            log.warning("NORAD %d: the server sent something that is not a TLE: %s", norad, error)
            continue
        fetched += 1
        print(f"NORAD {norad}: {len(written)} new element set(s) in {folder}")
    if not fetched:
        raise UserError(f"no element set could be fetched from {args.url} for NORAD {', '.join(map(str, norads))}")
    return 0
