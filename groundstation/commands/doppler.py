"""``groundstation doppler``: look angles and the frequency to tune, step by step through a time window."""

from __future__ import annotations

import argparse
import sys

from groundstation.commands.common import (
    add_satellite_options,
    add_station_options,
    elements_for,
    station_from,
    targets_from,
)
from groundstation.errors import UserError
from groundstation.orbits.orbit import Tracker, doppler_rows
from groundstation.outputs.tables import write_rows
from groundstation.timefmt import parse_utc
from groundstation.validation import RADIO_FREQ_HZ, finite_float

MAX_ROWS = 100_000

EXAMPLES = """examples:
  groundstation doppler --sat Malligyong-1 --station 37.57,126.98 --freq 435e6 \\
      --start 2024-06-12T12:20Z --end 2024-06-12T12:35Z --step 30
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doppler",
        help="azimuth, elevation, range and Doppler over a time window",
        description="Time, azimuth, elevation, range, range rate, received frequency and Doppler shift.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_satellite_options(parser)
    add_station_options(parser)
    parser.add_argument("--freq", type=finite_float("--freq", *RADIO_FREQ_HZ), required=True, metavar="HZ", help="downlink frequency")
    parser.add_argument("--start", required=True, metavar="ISO8601")
    parser.add_argument("--end", required=True, metavar="ISO8601")
    parser.add_argument("--step", type=finite_float("--step", 0.001, 86400.0, "s"), default=10.0, metavar="S", help="seconds between rows (default 10)")
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    start, end = parse_utc(args.start, "--start"), parse_utc(args.end, "--end")
    if end <= start:
        raise UserError(f"--end {args.end} must be after --start {args.start}")
    if (end - start).total_seconds() / args.step > MAX_ROWS:
        raise UserError(f"--step {args.step} s gives more than {MAX_ROWS} rows; use a larger step")
    station = station_from(args)
    (target,), store = targets_from(args)
    tracker = Tracker(elements_for(target, store, start, end, force=args.force), station, target.name)
    rows = doppler_rows(tracker, args.freq, start.timestamp(), end.timestamp(), args.step)
    write_rows(rows, args.format, sys.stdout)
    return 0
