"""``groundstation passes``: when each satellite is overhead, where to point, and the Doppler shift."""

from __future__ import annotations

import argparse
import logging
import sys

from groundstation.commands.common import (
    add_satellite_options,
    add_station_options,
    elements_for,
    start_from,
    station_from,
    targets_from,
    window,
)
from groundstation.errors import UserError
from groundstation.orbits.orbit import Pass, Tracker
from groundstation.outputs.atomic import refuse_same_file
from groundstation.outputs.plots import plot_format
from groundstation.outputs.tables import write_rows
from groundstation.timefmt import iso_utc
from groundstation.validation import RADIO_FREQ_HZ, finite_float

log = logging.getLogger(__name__)

COLUMNS = ["norad", "name", "aos", "tca", "los", "aos_azimuth_deg", "los_azimuth_deg", "max_elevation_deg",
           "duration_s", "sunlit"]
MAX_SEARCH_DAYS = 90  # SGP4 is refused beyond 90 days from an epoch anyway
DOPPLER_COLUMNS = ["doppler_aos_hz", "doppler_tca_hz", "doppler_los_hz"]

EXAMPLES = """examples:
  groundstation passes --sat Malligyong-1 --station 37.57,126.98 --start 2024-06-12T06:00Z
  groundstation passes --sat ISS 43017 --station-file home.qth --days 2 --min-elevation 10 --format csv
  groundstation passes --sat Malligyong-1 --station 39.0,125.75,30 --start 2024-06-12T06:00Z --freq 435e6 --plot sky.png
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "passes",
        help="predict passes over a station",
        description="Predict passes (AOS, TCA, LOS in UTC, azimuths, maximum elevation, sunlit) from the element "
        "sets held (bundled, `tle update`, or --tle).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_satellite_options(parser, many=True)
    add_station_options(parser)
    parser.add_argument("--start", metavar="ISO8601", help="start of the search (default: now), e.g. 2024-06-12T06:00Z")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--hours", type=finite_float("--hours", 0, MAX_SEARCH_DAYS * 24, "hours", low_inclusive=False), help="length of the search in hours (default 24)")
    length.add_argument("--days", type=finite_float("--days", 0, MAX_SEARCH_DAYS, "days", low_inclusive=False), help="length of the search in days")
    parser.add_argument("--min-elevation", type=finite_float("--min-elevation", -90.0, 89.0, "degrees"), default=0.0, metavar="DEG",
                        help="minimum elevation of a pass in degrees (default 0)")
    parser.add_argument("--freq", type=finite_float("--freq", *RADIO_FREQ_HZ), metavar="HZ", help="downlink frequency: add the Doppler shift (at AOS and LOS in the table; at TCA too with --wide, json, csv)")
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
    parser.add_argument("--wide", action="store_true", help="the table with every column (default: fits 100 columns)")
    parser.add_argument("--plot", metavar="FILE.png", help="draw the sky track of each pass on a polar plot")
    parser.set_defaults(func=run)


def pass_row(item: Pass, with_doppler: bool) -> dict:
    row = {
        "norad": item.norad,
        "name": item.name,
        "aos": iso_utc(item.aos, "seconds"),
        "tca": iso_utc(item.tca, "seconds"),
        "los": iso_utc(item.los, "seconds"),
        "aos_azimuth_deg": round(item.aos_azimuth_deg, 2),
        "los_azimuth_deg": round(item.los_azimuth_deg, 2),
        "max_elevation_deg": round(item.max_elevation_deg, 2),
        "duration_s": round(item.duration_s, 1),
        "sunlit": item.sunlit,
    }
    if with_doppler:
        row["doppler_aos_hz"] = round(item.doppler_aos_hz, 1)
        row["doppler_tca_hz"] = round(item.doppler_tca_hz, 1)
        row["doppler_los_hz"] = round(item.doppler_los_hz, 1)
    return row


#: The width of the name column of the table for people.
NAME_CHARS = 12


def short_name(name: str, chars: int = NAME_CHARS) -> str:
    """A name that fits ``chars``: itself, else the designation in its brackets, else cut with ``~``.

    >>> short_name("ISS (ZARYA)"), short_name("RADFXSAT (FOX-1B)"), short_name("Kwangmyongsong-4")
    ('ISS (ZARYA)', 'FOX-1B', 'Kwangmyongs~')
    """
    if len(name) <= chars:
        return name
    inside = name[name.find("(") + 1 : name.rfind(")")] if "(" in name and name.endswith(")") else ""
    return inside if 0 < len(inside) <= chars else name[: chars - 1] + "~"


def people_row(row: dict, with_doppler: bool) -> dict:
    """A pass in at most 100 columns: a short name, the date once, times of day, the sky path in whole
    degrees, Doppler in kHz at AOS and LOS (zero at TCA, by definition of closest approach).

    >>> row = {"name": "Malligyong-1", "aos": "2024-06-12T14:22:01Z", "tca": "2024-06-12T14:27:33Z",
    ...        "los": "2024-06-12T14:33:03Z", "aos_azimuth_deg": 0.62, "los_azimuth_deg": 213.6,
    ...        "max_elevation_deg": 31.9, "duration_s": 661.7, "sunlit": False}
    >>> people_row(row, with_doppler=False)
    {'name': 'Malligyong-1', 'AOS (UTC)': '2024-06-12 14:22:01', 'TCA': '14:27:33', 'LOS': '14:33:03', 'max el': '32 deg', 'azimuth': '1 -> 214', 'min': '11.0', 'sunlit': False}
    """
    people = {
        "name": short_name(row["name"]),
        "AOS (UTC)": row["aos"].replace("T", " ").rstrip("Z"),
        "TCA": row["tca"][11:19],
        "LOS": row["los"][11:19],
        "max el": f"{row['max_elevation_deg']:.0f} deg",
        "azimuth": f"{row['aos_azimuth_deg']:.0f} -> {row['los_azimuth_deg']:.0f}",
        "min": f"{row['duration_s'] / 60:.1f}",
        "sunlit": row["sunlit"],
    }
    if with_doppler:
        people["Doppler kHz"] = f"{row['doppler_aos_hz'] / 1e3:+.1f}/{row['doppler_los_hz'] / 1e3:+.1f}"
    return people


def run(args: argparse.Namespace) -> int:
    if not -90 <= args.min_elevation < 90:
        raise UserError(f"--min-elevation {args.min_elevation} must be between -90 and 90 degrees")
    if args.plot is not None:
        plot_format(args.plot, "--plot")
    refuse_same_file({"--plot": args.plot}, list(args.tle) + [args.station_file])
    station = station_from(args)
    start, end = window(start_from(args), args.hours, args.days)
    targets, store = targets_from(args)
    passes: list[Pass] = []
    trackers = {}
    for target in targets:
        element_set = elements_for(target, store, start, end, force=args.force)
        tracker = Tracker(element_set, station, target.name)
        trackers[target.norad] = tracker
        found = tracker.passes(start, end, args.min_elevation, args.freq)
        log.info("%s: %d passes from element set %s", target.name, len(found), element_set.source)
        passes += found
    passes.sort(key=lambda item: item.aos)
    with_doppler = args.freq is not None
    rows = [pass_row(item, with_doppler) for item in passes]
    columns = COLUMNS + (DOPPLER_COLUMNS if with_doppler else [])
    if not rows and args.format == "table":
        log.warning("no passes above %.1f deg between %s and %s", args.min_elevation, iso_utc(start, "seconds"),
                    iso_utc(end, "seconds"))
    if args.format == "table" and not args.wide:
        write_rows([people_row(row, with_doppler) for row in rows], "table", sys.stdout)
    else:
        write_rows(rows, args.format, sys.stdout, columns)
    if args.plot:
        from groundstation.outputs.plots import plot_sky_tracks

        plot_sky_tracks(passes, trackers, args.plot, station)
        log.info("sky plot written to %s", args.plot)
    return 0
