"""``groundstation doppler``: look angles and the frequency to tune, step by step through a time window."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from groundstation.commands.common import (
    add_satellite_options,
    add_station_options,
    station_from,
    targets_from,
)
from groundstation.errors import UserError
from groundstation.orbits.orbit import Tracker, doppler_shift_hz, from_posix
from groundstation.outputs.tables import write_rows
from groundstation.orbits.targets import select_elements
from groundstation.timefmt import iso_utc, parse_utc
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


def doppler_rows(tracker: Tracker, freq_hz: float, start_s: float, end_s: float, step_s: float) -> list[dict]:
    times = np.arange(start_s, end_s + step_s / 2, step_s)
    look = tracker.look(times)
    shift = doppler_shift_hz(freq_hz, look.range_rate_km_s)
    return [
        {
            "time": iso_utc(from_posix(times[i]), "seconds"),
            "azimuth_deg": round(float(look.azimuth_deg[i]), 2),
            "elevation_deg": round(float(look.elevation_deg[i]), 2),
            "range_km": round(float(look.range_km[i]), 2),
            "range_rate_km_s": round(float(look.range_rate_km_s[i]), 4),
            "freq_hz": round(freq_hz + float(shift[i]), 1),
            "shift_hz": round(float(shift[i]), 1),
        }
        for i in range(len(times))
    ]


def run(args: argparse.Namespace) -> int:
    start, end = parse_utc(args.start, "--start"), parse_utc(args.end, "--end")
    if end <= start:
        raise UserError(f"--end {args.end} must be after --start {args.start}")
    if (end - start).total_seconds() / args.step > MAX_ROWS:
        raise UserError(f"--step {args.step} s gives more than {MAX_ROWS} rows; use a larger step")
    station = station_from(args)
    (target,), store = targets_from(args)
    tracker = Tracker(select_elements(target, store, start, end, force=args.force), station, target.name)
    rows = doppler_rows(tracker, args.freq, start.timestamp(), end.timestamp(), args.step)
    write_rows(rows, args.format, sys.stdout)
    return 0
