"""``groundstation satnogs fetch``: every SatNOGS observation of an object, with its artefacts, on disk."""

from __future__ import annotations

import argparse
import sys

from groundstation.errors import UserError
from groundstation.validation import bounded_int, finite_float

EXAMPLES = """examples:
  groundstation satnogs fetch --norad 58400 --out kms/ --token $SATNOGS_DB_TOKEN
  groundstation satnogs fetch --norad 41332 --out kms4/ --start 2022-01-01T00:00:00Z --end 2022-02-01T00:00:00Z

Without --token only the audio and the waterfall pictures come (the waterfall artefacts that campaign
searches are in SatNOGS DB, which needs your DB API key). A second run downloads only what is missing.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("satnogs", help="the SatNOGS network's observations (fetch)",
                                   description="Work with the SatNOGS network's archive.")
    commands = parser.add_subparsers(dest="satnogs_command", metavar="COMMAND")
    fetch = commands.add_parser("fetch", help="list and download every observation of an object",
                                description="List every observation of an object (politely: rate-limited, every "
                                "page cached, resumable) and download its artefacts, one folder each.",
                                epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    fetch.add_argument("--norad", required=True, type=bounded_int("--norad", 1, 999_999_999), metavar="N")
    fetch.add_argument("--out", required=True, metavar="DIR", help="one folder an observation goes here")
    fetch.add_argument("--start", metavar="ISO8601", help="observations starting from this time")
    fetch.add_argument("--end", metavar="ISO8601", help="observations ending before this time")
    fetch.add_argument("--token", metavar="T", help="SatNOGS DB API key: waterfall artefacts, and a higher rate limit")
    fetch.add_argument("--network-url", default=None, metavar="URL", help="default https://network.satnogs.org")
    fetch.add_argument("--db-url", default=None, metavar="URL", help="default https://db.satnogs.org")
    fetch.add_argument("--page-interval", type=finite_float("--page-interval", 0, 3600, "s"), metavar="S",
                       help="seconds between API requests (default: the network's limit, 60 s, or 15 s with a token)")
    fetch.add_argument("--refresh", action="store_true",
                       help="list again (new observations, new vetting); files already there are not downloaded again")
    fetch.add_argument("--no-audio", action="store_true", help="skip the audio files")
    fetch.add_argument("--no-pictures", action="store_true", help="skip the waterfall PNGs")
    fetch.set_defaults(func=run_fetch)
    parser.set_defaults(func=lambda args: _no_command(parser))


def _no_command(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def run_fetch(args: argparse.Namespace) -> int:
    import os

    from groundstation.satnogs.fetch import fetch_observations
    from groundstation.satnogs.network import DB_URL, NETWORK_URL
    from groundstation.timefmt import iso_utc, parse_utc

    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UserError(f"--out: {args.out!r} is a file; give a folder")
    start = iso_utc(parse_utc(args.start, "--start"), "seconds") if args.start else None
    end = iso_utc(parse_utc(args.end, "--end"), "seconds") if args.end else None
    if start and end and parse_utc(args.start, "--start") >= parse_utc(args.end, "--end"):
        raise UserError(f"--start {args.start} is not before --end {args.end}; give an earlier --start")
    for option, url in (("--network-url", args.network_url), ("--db-url", args.db_url)):
        if url is not None and not url.startswith(("http://", "https://")):
            raise UserError(f"{option}: {url!r} is not an http(s) address")

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\rsatnogs fetch: {done}/{total} files ")
            sys.stderr.flush()

    report = fetch_observations(args.out, args.norad, args.network_url or NETWORK_URL, args.db_url or DB_URL,
                                args.token, start, end, args.page_interval, audio=not args.no_audio,
                                pictures=not args.no_pictures, progress=progress, refresh=args.refresh)
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    print(f"{report.observations} observations of NORAD {args.norad}: {len(report.downloaded)} files downloaded, "
          f"{report.skipped} already there, {len(report.failed)} failed; {report.api_requests} API requests "
          f"({report.throttled} throttled)")
    for problem in report.failed:
        print(f"  failed: {problem}")
    if not args.token:
        print("  no --token: waterfall artefacts (what campaign searches) were not fetched")
    return 1 if report.failed else 0
