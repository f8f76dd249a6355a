"""``groundstation demo``: the whole mission offline, in well under a minute."""

from __future__ import annotations

import argparse
import os
import time

from groundstation.errors import UserError

DEFAULT_OUT = "groundstation-demo"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the whole mission offline on bundled data (simulated recordings)",
        description="Catalogue, passes of Malligyong-1 over Seoul, two SIMULATED recordings of one pass (a "
        "hypothetical beacon; silence with a terrestrial interferer), and a check of each, with reports.",
    )
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="DIR", help=f"where to write (default ./{DEFAULT_OUT}/)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from groundstation.demo import run_demo

    began = time.monotonic()
    if not args.out:
        raise UserError("--out: the folder name is empty; give a name")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UserError(f"--out: {args.out!r} is a file; give a folder name for the demo's files")
    verdicts = run_demo(args.out, lambda line: print(line, flush=True))
    print(f"\ndemo finished in {time.monotonic() - began:.0f} s; everything above marked SIMULATED is simulated")
    for name, verdict in verdicts:
        print(f"verdict: {name}: {verdict}")
    return 0
