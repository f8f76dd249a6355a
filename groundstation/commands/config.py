"""``groundstation config``: show the settings file and what it holds; ``--station`` saves the home station."""

from __future__ import annotations

import argparse

from groundstation.config import config_path, home_station, save_home_station
from groundstation.orbits.station import parse_station

EXAMPLES = """examples:
  groundstation config                                  # where the settings are, and what they hold
  groundstation config --station 37.57,126.98,38 --name Seoul
  groundstation passes --sat Malligyong-1               # then no --station is needed
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "config",
        help="show or set the settings (the home station)",
        description="Show the settings file and the home station; with --station, save the home station, used by "
        "every command when neither --station nor --station-file is given.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--station", metavar="LAT,LON[,ALT_M]", help="save this as the home station")
    parser.add_argument("--name", default="home", help="the home station's name (default home)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.station:
        station = parse_station(args.station)
        path = save_home_station(type(station)(station.latitude_deg, station.longitude_deg, station.altitude_m,
                                               args.name))
        print(f"home station saved in {path}")
    station = home_station()
    print(f"settings: {config_path()}" + ("" if config_path().exists() else " (none yet)"))
    if station is None:
        print("home station: none (save one with: groundstation config --station LAT,LON[,ALT_M])")
    else:
        print(f"home station: {station.name} {station.latitude_deg:g},{station.longitude_deg:g},"
              f"{station.altitude_m:g} (latitude, longitude in degrees; altitude in metres)")
    return 0
