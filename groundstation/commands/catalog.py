"""``groundstation catalog``: the North Korean objects, their status and the newest element set held."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone

from groundstation.orbits.catalog import load_catalog
from groundstation.orbits.elements import ElementStore
from groundstation.orbits.history import object_history
from groundstation.outputs.tables import write_rows
from groundstation.timefmt import iso_utc

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


def catalog_rows(now: datetime | None = None) -> list[dict]:
    """One dict an object, with the newest element set's epoch and age at ``now``."""
    now = now or datetime.now(timezone.utc)
    store = ElementStore.default()
    rows = []
    for entry in load_catalog().entries:
        newest = store.newest(entry.norad) if entry.norad else None
        sets = store.for_norad(entry.norad) if entry.norad else []
        life = object_history(sets, entry) if len(sets) >= 2 else None
        status = entry.status
        if entry.decay_date:
            status = f"decayed {entry.decay_date.isoformat()}"
        rows.append(
            {
                "name": entry.name,
                "norad": entry.norad,
                "cospar": entry.cospar,
                "launch_date": entry.launch_date.isoformat(),
                "status": status,
                "status_note": entry.status_note,
                "downlink_band": entry.downlink.band,
                "downlink_frequency_hz": entry.downlink.frequency_hz,
                "downlink_modulation": entry.downlink.modulation,
                "downlink_note": entry.downlink.note,
                "sources": list(entry.sources),
                "newest_tle_epoch": iso_utc(newest.epoch, "seconds") if newest else None,
                "newest_tle_age_days": round(newest.age_days(now), 1) if newest else None,
                "element_sets": len(sets),
                "history": life.life_summary() if life else None,
                "manoeuvres": [m.as_dict() for m in life.manoeuvres] if life else [],
                "reentry_estimate": life.reentry.as_dict() if life and life.reentry else None,
            }
        )
    return rows


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
            + (f" ({row['downlink_frequency_hz'] / 1e6:g} MHz claimed)" if row["downlink_frequency_hz"] else ""),
            "newest TLE": f"{row['newest_tle_epoch'][:10]} ({row['newest_tle_age_days']:.0f} d old)"
            if row["newest_tle_epoch"]
            else "none held",
        }
        for row in rows
    ]
    write_rows(table, "table", sys.stdout)
    print()
    for row in rows:
        print(f"{row['name']}: {row['status_note']} Downlink: {row['downlink_note']}")
        if row["history"]:
            reentry = row["reentry_estimate"]
            estimate = (f"; re-entry estimated {reentry['estimate'][:10]} from its last sets "
                        f"({reentry['difference_days']:+.1f} days from the catalogued date)") if reentry else ""
            print(f"  element sets: {row['element_sets']}; {row['history']}{estimate} "
                  f"(`groundstation history --sat {row['norad']}`)")
    return 0
