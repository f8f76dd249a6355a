"""Options several subcommands share: the satellite, the station, the time window."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from datetime import datetime, timedelta, timezone

from groundstation.config import home_station
from groundstation.errors import UserError
from groundstation.orbits.catalog import load_catalog
from groundstation.orbits.elements import ElementSet, ElementStore
from groundstation.orbits.station import Station, parse_station, read_station_file
from groundstation.orbits.targets import Target, choose_elements, resolve_target
from groundstation.timefmt import parse_utc
from groundstation.validation import RADIO_FREQ_HZ, SAMPLE_RATE_SPS, finite_float


def add_satellite_options(parser: argparse.ArgumentParser, many: bool = False, required: bool = True) -> None:
    if many:
        parser.add_argument("--sat", required=True, nargs="+", action="extend", metavar="NAME|NORAD",
                            help="satellite name, alias or NORAD number (several allowed)")
    else:
        parser.add_argument("--sat", required=required, metavar="NAME|NORAD", help="satellite name, alias or NORAD number")
    parser.add_argument("--tle", action="append", default=[], metavar="FILE",
                        help="element sets to use: TLE (2/3-line) or OMM JSON/CSV; repeatable")
    parser.add_argument("--force", action="store_true",
                        help="propagate even past a decay date or beyond the sets held by more than 90 days")


def add_station_options(parser: argparse.ArgumentParser, required: bool = True) -> None:
    """``--station`` or ``--station-file``; without either, the home station of ``groundstation config``."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--station", metavar="LAT,LON[,ALT_M]", help="degrees north, east (negative south, west), metres")
    group.add_argument("--station-file", metavar="FILE", help="a Gpredict .qth file or a TOML file")


def add_recording_options(parser: argparse.ArgumentParser) -> None:
    """What a raw recording cannot tell by itself."""
    source = parser.add_argument_group("when the recording cannot tell")
    source.add_argument("--samplerate", type=finite_float("--samplerate", *SAMPLE_RATE_SPS), metavar="SPS",
                        help="samples per second (1000 to 1e8)")
    source.add_argument("--datatype", metavar="TYPE", help="SigMF datatype: cu8, ci8, ci16_le, cf32_le, ri16_le, ...")
    source.add_argument("--center-freq", type=finite_float("--center-freq", *RADIO_FREQ_HZ), metavar="HZ", help="the recording's centre frequency")
    source.add_argument("--start-time", metavar="ISO8601", help="UTC time of the first sample")


def station_from(args: argparse.Namespace) -> Station:
    """The station given, or the home station; :class:`UserError` saying how to give one otherwise."""
    station = station_or_home(args)
    if station is None:
        raise UserError("where is the antenna? give --station LAT,LON[,ALT_M] (e.g. --station 37.57,126.98,38) or "
                        "--station-file, or save a home station: groundstation config --station LAT,LON[,ALT_M]")
    return station


def station_or_home(args: argparse.Namespace) -> Station | None:
    """``--station`` / ``--station-file`` if given, else the home station of the settings, else None."""
    if getattr(args, "station_file", None):
        return read_station_file(args.station_file)
    if getattr(args, "station", None):
        return parse_station(args.station)
    return home_station()


def targets_from(args: argparse.Namespace) -> tuple[list[Target], ElementStore]:
    store = ElementStore.default(args.tle)
    catalog = load_catalog()
    queries = args.sat if isinstance(args.sat, list) else [args.sat]
    return [resolve_target(query, catalog, store) for query in queries], store


def elements_for(target: Target, store: ElementStore, start: datetime, end: datetime, force: bool) -> ElementSet:
    """The set nearest the window; says on stderr which one it is and how far from the times asked."""
    choice = choose_elements(target, store, start, end, force)
    print(f"groundstation: {choice.describe()}", file=sys.stderr)
    return choice.element_set


def start_from(args: argparse.Namespace) -> datetime:
    return parse_utc(args.start, "--start") if args.start else datetime.now(timezone.utc).replace(microsecond=0)


def positive(kind):
    """An argparse type: a finite number > 0 (kept for callers outside this package; prefer
    :func:`groundstation.validation.finite_float` with a physical range)."""
    from groundstation.validation import bounded_int

    return bounded_int("number", 1) if kind is int else finite_float("number", 0, None, low_inclusive=False)


def window(start: datetime, hours: float | None, days: float | None) -> tuple[datetime, datetime]:
    if hours is not None and days is not None:
        raise UserError("give --hours or --days, not both")
    span = timedelta(days=days) if days is not None else timedelta(hours=hours if hours is not None else 24)
    return start, start + span


@contextlib.contextmanager
def interrupts_end_cleanly():
    """Within it, SIGINT (Ctrl-C, ``kill -INT``) and SIGTERM raise KeyboardInterrupt, so a long-running command
    (``listen``, ``serve-rtl-tcp``) ends cleanly, with its summary.

    SIGINT is set explicitly: a program started in the background by a non-interactive shell inherits SIGINT
    ignored, and Python then leaves it ignored, so ``kill -INT`` would never stop it.
    """

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = {number: signal.signal(number, handler)
                    for number, handler in ((signal.SIGINT, signal.default_int_handler), (signal.SIGTERM, interrupt))}
    except ValueError:  # not the main thread (an embedding program): leave signals alone
        yield
        return
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
