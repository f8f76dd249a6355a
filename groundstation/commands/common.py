"""Options several subcommands share: the satellite, the station, the time window."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone

from groundstation.orbits.catalog import load_catalog
from groundstation.orbits.elements import ElementStore
from groundstation.errors import UserError
from groundstation.orbits.station import Station, parse_station, read_station_file
from groundstation.orbits.targets import Target, resolve_target
from groundstation.timefmt import parse_utc


def add_satellite_options(parser: argparse.ArgumentParser, many: bool = False, required: bool = True) -> None:
    if many:
        parser.add_argument("--sat", required=True, nargs="+", action="extend", metavar="NAME|NORAD",
                            help="satellite name, alias or NORAD number (several allowed)")
    else:
        parser.add_argument("--sat", required=required, metavar="NAME|NORAD", help="satellite name, alias or NORAD number")
    parser.add_argument("--tle", action="append", default=[], metavar="FILE",
                        help="element sets to use: TLE (2/3-line) or OMM JSON/CSV; repeatable")
    parser.add_argument("--force", action="store_true",
                        help="propagate even past a decay date or more than 90 days from the epoch")


def add_station_options(parser: argparse.ArgumentParser, required: bool = True) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--station", metavar="LAT,LON[,ALT_M]", help="degrees north, east (negative south, west), metres")
    group.add_argument("--station-file", metavar="FILE", help="a Gpredict .qth file or a TOML file")


def add_recording_options(parser: argparse.ArgumentParser) -> None:
    """What a raw recording cannot tell by itself."""
    source = parser.add_argument_group("when the recording cannot tell")
    source.add_argument("--samplerate", type=positive(float), metavar="SPS")
    source.add_argument("--datatype", metavar="TYPE", help="SigMF datatype: cu8, ci8, ci16_le, cf32_le, ri16_le, ...")
    source.add_argument("--center-freq", type=positive(float), metavar="HZ", help="the recording's centre frequency")
    source.add_argument("--start-time", metavar="ISO8601", help="UTC time of the first sample")


def station_from(args: argparse.Namespace) -> Station:
    if args.station_file:
        return read_station_file(args.station_file)
    return parse_station(args.station)


def targets_from(args: argparse.Namespace) -> tuple[list[Target], ElementStore]:
    store = ElementStore.default(args.tle)
    catalog = load_catalog()
    queries = args.sat if isinstance(args.sat, list) else [args.sat]
    return [resolve_target(query, catalog, store) for query in queries], store


def start_from(args: argparse.Namespace) -> datetime:
    return parse_utc(args.start, "--start") if args.start else datetime.now(timezone.utc).replace(microsecond=0)


def positive(kind):
    """An argparse type: a number > 0."""

    def convert(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
        return value

    return convert


def window(start: datetime, hours: float | None, days: float | None) -> tuple[datetime, datetime]:
    if hours is not None and days is not None:
        raise UserError("give --hours or --days, not both")
    span = timedelta(days=days) if days is not None else timedelta(hours=hours if hours is not None else 24)
    return start, start + span
