"""``groundstation campaign``: check an object across every SatNOGS observation under a folder, on Dask."""

from __future__ import annotations

import argparse
import json
import sys

from groundstation.commands.common import add_satellite_options
from groundstation.errors import UserError
from groundstation.validation import bounded_int, finite_float

EXAMPLES = """examples:
  groundstation campaign kms/ --sat 58400                        # a local cluster, one worker a core
  groundstation campaign kms/ --sat 58400 --workers 2 --plot kms.png --format json
  groundstation campaign kms/ --sat 58400 --scheduler tcp://10.0.0.5:8786   # your own Dask cluster

Results are cached in DIR/.groundstation-campaign/: a rerun checks only new or changed observations.
Exit code: 0 when every observation was checked, 1 when one or more could not be (named in the summary),
2 for bad input.
"""
#: How long a scheduler's address may take to accept and send its handshake (Dask itself would wait forever).
SCHEDULER_PROBE_S = 10.0
#: Some observations could not be checked (2 stays bad input).
EXIT_SOME_NOT_CHECKED = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "campaign", help="check an object across every SatNOGS observation in a folder, on a Dask cluster",
        description="Run check on every observation folder under DIR (as satnogs fetch makes them) in parallel "
        "on Dask, and summarise: verdicts by date and station, the best limit, every TRANSMITTING, agreement "
        "with SatNOGS' human vetting.", epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", metavar="DIR")
    add_satellite_options(parser)
    parser.add_argument("--scheduler", metavar="ADDR", help="a Dask scheduler (tcp://HOST:PORT); default: a local "
                        "cluster on 127.0.0.1")
    parser.add_argument("--workers", type=bounded_int("--workers", 1, 256), metavar="K",
                        help="local cluster: worker processes (default: the number of cores)")
    parser.add_argument("--min-elevation", type=finite_float("--min-elevation", -90.0, 89.0, "degrees"), default=0.0,
                        metavar="DEG", help="search only while the satellite is at least DEG up (default 0)")
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
    parser.add_argument("--plot", metavar="FILE.png", help="verdicts and limits over time")
    parser.set_defaults(func=run)


def _client(args):
    import logging

    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UserError("campaign needs Dask: pip install 'groundstation[satnogs]'") from None
    if not (args.verbose + getattr(args, "verbose_after", 0)):
        for name in list(logging.root.manager.loggerDict):  # Dask's own start and stop lines
            if name == "distributed" or name.startswith("distributed."):
                logging.getLogger(name).setLevel(logging.WARNING)
    if args.scheduler:
        if args.workers:
            raise UserError("--workers is for the local cluster; a scheduler's workers are its own")
        _reachable(args.scheduler)
        try:
            return Client(args.scheduler, timeout="20s"), None
        except (OSError, TimeoutError, ValueError) as error:
            raise UserError(f"--scheduler {args.scheduler}: cannot connect ({error})") from None
    import os

    workers = args.workers or os.cpu_count() or 1
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, scheduler_kwargs={"dashboard": False})
    return Client(cluster), cluster


def _reachable(address: str) -> None:
    """A quick TCP connection to ``tcp://HOST:PORT`` first, so a wrong address fails at once, in one line. A Dask
    scheduler speaks first (its handshake, an 8-byte frame length): a service that says nothing, or something
    else, is refused here rather than left to Dask (which waits without end, or reads its answer as a length)."""
    import socket
    import struct
    from urllib.parse import urlparse

    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    try:
        port = parsed.port
    except ValueError:
        port = None
    if parsed.scheme not in ("tcp", "tls") or not parsed.hostname or not port:
        raise UserError(f"--scheduler {address!r}: give tcp://HOST:PORT (a Dask scheduler's address)")
    try:
        with socket.create_connection((parsed.hostname, port), timeout=SCHEDULER_PROBE_S) as connection:
            if parsed.scheme != "tcp":
                return
            prelude = b""
            while len(prelude) < 8:
                chunk = connection.recv(8 - len(prelude))
                if not chunk:
                    break
                prelude += chunk
    except TimeoutError:
        prelude = b""
    except OSError as error:
        raise UserError(f"--scheduler {address}: cannot connect ({error.strerror or error}); is a dask scheduler "
                        "running there?") from None
    if len(prelude) < 8 or not 0 < struct.unpack("<Q", prelude)[0] < (1 << 20):
        raise UserError(f"--scheduler {address}: something answers there but not as a Dask scheduler (no "
                        "handshake); give the scheduler's address (dask scheduler prints it)")


def run(args: argparse.Namespace) -> int:
    import os

    from groundstation.commands.common import targets_from
    from groundstation.outputs.atomic import check_writable_folder, refuse_same_file
    from groundstation.outputs.tables import json_safe, write_rows
    from groundstation.satnogs.campaign import (
        ResultCache,
        find_observations,
        result_rows,
        run_campaign,
        summarise,
    )

    if not os.path.isdir(args.folder):
        raise UserError(f"{args.folder}: not a folder (give the folder satnogs fetch wrote)")
    (target,), store = targets_from(args)
    paths = find_observations(args.folder, target.norad)
    if not paths:
        raise UserError(f"{args.folder}: no observation folders of NORAD {target.norad} (folders with "
                        "metadata.json) in it")
    if args.plot:
        if not args.plot.lower().endswith(".png"):
            raise UserError(f"--plot: {args.plot!r} must end in .png")
        check_writable_folder(args.plot, "--plot")  # before the campaign runs, not after
    inputs = [os.path.join(path, name) for path in paths for name in os.listdir(path)]  # every observation's files
    refuse_same_file({"--plot": args.plot}, inputs + list(args.tle))
    tle_files = tuple(os.path.abspath(path) for path in args.tle)
    from groundstation import __version__

    sets = store.for_norad(target.norad)
    options = {"norad": target.norad, "tle": [[path, os.stat(path).st_mtime_ns] for path in tle_files],
               "element_sets": [len(sets), sets[-1].epoch.isoformat() if sets else None],
               "min_elevation_deg": args.min_elevation, "force": args.force, "version": __version__}
    cache = ResultCache(args.folder, target.norad, options)
    opened = []

    def connect():
        client, cluster = _client(args)
        opened.extend(item for item in (client, cluster) if item is not None)
        return client

    def show_progress(futures) -> None:
        if sys.stderr.isatty():
            from distributed import progress

            progress(futures)
            sys.stderr.write("\n")

    try:
        results, checked = run_campaign(connect, paths, str(target.norad), target.norad, cache, tle_files,
                                        args.min_elevation, args.force, show_progress)
    finally:
        for item in opened:  # the client, then the local cluster
            item.close()
    summary = summarise(results)
    if args.plot:
        from groundstation.outputs.campaign_plot import plot_campaign

        plot_campaign(results, args.plot, f"{target.name} (NORAD {target.norad})")
    # 1 when an observation could not be checked (its row says why), so a script notices
    status = EXIT_SOME_NOT_CHECKED if any(row.get("verdict") == "ERROR" for row in results) else 0
    if args.format == "json":
        json.dump(json_safe({"summary": summary, "observations": results, "checked_now": checked}), sys.stdout,
                  indent=1, allow_nan=False, default=str)
        print()
        return status
    rows = result_rows(results)
    if args.format == "csv":
        write_rows(rows, "csv", sys.stdout)
        return status
    _print_summary(summary, target, len(paths), checked)
    return status


def _print_summary(summary: dict, target, total: int, checked: int) -> None:
    simulated = " (SIMULATED observations among them)" if summary["simulated"] else ""
    print(f"{target.name} (NORAD {target.norad}): {total} observations, {checked} checked now, "
          f"{total - checked} from the cache{simulated}")
    for name, count in summary["verdicts"].items():
        print(f"  {count:5d}  {name}")
    print("by date:")
    for date, counts in summary["by_date"].items():
        print(f"  {date}  " + ", ".join(f"{name} {count}" for name, count in counts.items()))
    print("by station:")
    for station, counts in summary["by_station"].items():
        print(f"  {station:>8}  " + ", ".join(f"{name} {count}" for name, count in counts.items()))
    best = summary["best_limit"]
    if best:
        print(f"best limit: no carrier stronger than {best['upper_limit_cn0_dbhz']:.1f} dB-Hz "
              f"(observation {best['observation']}, {best['start']})")
    for row in summary["transmitting"]:
        print(f"TRANSMITTING in observation {row['observation']} ({row['start']}, station {row['station_id']}): "
              f"{row['line']}")
    for row in summary["errors"]:
        print(f"ERROR in {row['folder']}: {str(row['line']).removeprefix('ERROR: ')}")
    print("agreement with SatNOGS vetting: " + ", ".join(f"{name} {count}" for name, count in summary["vetting"].items()))
