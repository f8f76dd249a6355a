"""``groundstation catalog``: the North Korean objects, their status and the newest element set held."""

from __future__ import annotations

import argparse
import sys
import textwrap

from groundstation.orbits.overview import catalog_rows
from groundstation.outputs.tables import write_rows

WIDTH = 100  # the notes are wrapped to this many columns

EXAMPLES = """examples:
  groundstation catalog
  groundstation catalog --format json
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "catalog",
        help="list the catalogued objects and their status",
        description="The North Korean satellites and launch attempts: status, what is known of their downlinks, "
        "and the age of the newest element set held for each.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    rows = catalog_rows()
    if args.format == "json":
        write_rows(rows, "json", sys.stdout)
        return 0
    table = [
        {
            "object": row["name"],
            "norad": row["norad"],
            "launched": row["launch_date"],
            "status": row["status"],
            "downlink": row["downlink_band"]
            + (f", {row['downlink_frequency_hz'] / 1e6:g} MHz" if row["downlink_frequency_hz"] else ""),
        }  # in 100 columns; the element sets held (first, newest) are in the notes below, and in the json
        for row in rows
    ]
    write_rows(table, "table", sys.stdout)
    print()
    for row in rows:
        print(textwrap.fill(f"{row['name']}: {row['status_note']} Downlink: {row['downlink_note']}", WIDTH))
        if row["history"]:
            reentry = row["reentry_estimate"]
            estimate = (f"; re-entry estimated {reentry['estimate'][:10]} from its last sets "
                        f"({reentry['difference_days']:+.1f} days from the catalogued date)") if reentry else ""
            print(textwrap.fill(f"element sets: {row['element_sets']}; {row['history']}{estimate} "
                                f"(`groundstation history --sat {row['norad']}`)", WIDTH, initial_indent="  ",
                                subsequent_indent="  "))
    return 0
