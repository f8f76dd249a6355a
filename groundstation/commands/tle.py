"""``groundstation tle update``: fetch current element sets from CelesTrak's GP API into the cache.

The only command that uses the network.
"""

from __future__ import annotations

import argparse
import logging

from groundstation.errors import UserError
from groundstation.orbits.elements import cache_dir
from groundstation.orbits.tle_fetch import (
    CELESTRAK_GP_URL,
    default_norads,
    fetch_tle,
    save_sets,
)
from groundstation.validation import bounded_int

log = logging.getLogger(__name__)

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
        f"--norad objects) from CelesTrak's GP API into {cache_dir()}, beside the bundled history: each set "
        "joins its object's history, and the set nearest the time asked is used, so the newest wins near its epoch.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    update.add_argument("--url", default=CELESTRAK_GP_URL, help=f"GP API address (default {CELESTRAK_GP_URL})")
    update.add_argument("--norad", type=bounded_int("--norad", 1, 339999), action="append", default=[], help="also fetch this NORAD number")
    update.set_defaults(func=run_update)


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
