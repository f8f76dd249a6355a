"""``groundstation history``: the orbit over an object's life from its element sets, its manoeuvres and re-entry."""

from __future__ import annotations

import argparse
import json
import sys

from groundstation.commands.common import targets_from
from groundstation.errors import UserError
from groundstation.orbits.history import SET_COLUMNS, object_history, set_rows
from groundstation.outputs.atomic import refuse_same_file
from groundstation.outputs.plots import plot_format
from groundstation.outputs.tables import write_rows

EXAMPLES = """examples:
  groundstation history --sat Malligyong-1
  groundstation history --sat Malligyong-1 --plot malligyong-1.png
  groundstation history --sat KMS-4 --format json
  groundstation history --sat 39026 --format csv > kms-3-2.csv
"""

TABLE_COLUMNS = ["epoch", "perigee_km", "apogee_km", "inclination_deg", "mean_motion_rev_per_day",
                 "mean_motion_dot_rev_per_day2", "semi_major_axis_rate_km_per_day"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "history",
        help="the orbit over an object's life, its manoeuvres and re-entry",
        description="From every element set held for the object (the bundled history, `tle update`, --tle): "
        "epoch, perigee and apogee heights, inclination, mean motion and its rate; manoeuvres (rises of the "
        "orbit that drag cannot make) with their evidence; for a decayed object, the re-entry date estimated "
        "from its last sets against the catalogued one.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sat", required=True, metavar="NAME|NORAD", help="satellite name, alias or NORAD number")
    parser.add_argument("--tle", action="append", default=[], metavar="FILE",
                        help="more element sets: TLE (2/3-line) or OMM JSON/CSV; repeatable")
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
    parser.add_argument("--plot", metavar="FILE.png", help="draw perigee and apogee heights against time")
    parser.set_defaults(func=run)


def summary_lines(name: str, history) -> list[str]:
    lines = [f"{name}: {history.life_summary()}"]
    for manoeuvre in history.manoeuvres:
        lines.append(f"  manoeuvre between the sets of {manoeuvre.as_dict()['after']} and "
                     f"{manoeuvre.as_dict()['before']}: {manoeuvre.evidence()}")
    if history.reentry is not None:
        lines.append(f"  {history.reentry.describe()}")
    return lines


def run(args: argparse.Namespace) -> int:
    if args.plot is not None:
        plot_format(args.plot, "--plot")
        refuse_same_file({"--plot": args.plot}, list(args.tle))
    (target,), store = targets_from(args)
    sets = store.for_norad(target.norad)
    if len(sets) < 2:
        raise UserError(f"--sat {args.sat}: {len(sets)} element set held for {target.name}; a history needs two or "
                        "more (pass a history file with --tle)")
    history = object_history(sets, target.entry)
    rows = set_rows(history)
    if args.format == "json":
        document = {
            "norad": target.norad,
            "name": target.name,
            "summary": history.life_summary(),
            "sets": rows,
            "manoeuvres": [manoeuvre.as_dict() for manoeuvre in history.manoeuvres],
            "reentry": history.reentry.as_dict() if history.reentry else None,
        }
        json.dump(document, sys.stdout, indent=1)
        print()
    elif args.format == "csv":
        write_rows(rows, "csv", sys.stdout, SET_COLUMNS)
        for line in summary_lines(target.name, history):
            print(f"groundstation: {line}", file=sys.stderr)
    else:
        table = [{column: _text(row[column]) for column in TABLE_COLUMNS} for row in rows]
        write_rows(table, "table", sys.stdout, TABLE_COLUMNS)
        print()
        for line in summary_lines(target.name, history):
            print(line)
    if args.plot:
        from groundstation.outputs.history_plot import plot_history

        plot_history(history, target.name, args.plot, target.entry)
        print(f"groundstation: plot written to {args.plot}", file=sys.stderr)
    return 0


def _text(value) -> str:
    if value is None:
        return "-"
    return value if isinstance(value, str) else str(value)
