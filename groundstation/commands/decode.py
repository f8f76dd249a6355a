"""``groundstation decode``: frames from a KISS file (recordings come with the DSP core)."""

from __future__ import annotations

import argparse
import logging
import os

from groundstation.errors import UserError
from groundstation.kissfile import KissStats, looks_like_kiss, read_kiss_file
from groundstation.sinks import FORMATS, OpenSink

log = logging.getLogger(__name__)

EXAMPLES = """examples:
  groundstation decode frames.kiss
  groundstation decode frames.kiss --format jsonl --out frames.jsonl
  groundstation decode frames.kiss --format pcap --out frames.pcap && tshark -r frames.pcap
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "decode",
        help="decode frames from a KISS file",
        description="Decode AX.25 frames and print them as TNC2 monitor lines (or jsonl, kiss, pcap).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", help="input file: a KISS byte stream (.kiss)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--out", metavar="FILE", help="write frames to FILE instead of stdout ('-': stdout)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not os.path.exists(args.input):
        raise UserError(f"cannot read {args.input!r}: no such file")
    if os.path.isdir(args.input):
        raise UserError(f"cannot read {args.input!r}: it is a directory")
    if not looks_like_kiss(args.input):
        raise UserError(
            f"{args.input!r} is not a KISS file (no leading FEND byte, no .kiss extension); "
            "this version decodes KISS files only"
        )
    stats = KissStats()
    with OpenSink(args.format, args.out) as sink:
        for frame in read_kiss_file(args.input, stats):
            sink.write(frame)
    problems = []
    if stats.bad_kiss:
        problems.append(f"{stats.bad_kiss} malformed KISS frames")
    if stats.not_ax25:
        problems.append(f"{stats.not_ax25} not AX.25")
    if stats.truncated_bytes:
        problems.append(f"truncated ({stats.truncated_bytes} bytes dropped)")
    summary = f"{stats.frames} frames" + (f"; {', '.join(problems)}" if problems else "")
    if problems or not stats.frames:
        log.warning("%s: %s", args.input, summary)
    else:
        log.info("%s: %s", args.input, summary)
    return 0
