"""The ``groundstation`` command line.

Every subcommand lives in ``groundstation/commands/``. Errors a user can cause
raise :class:`~groundstation.errors.UserError`; here they become one line on
stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import logging
import sys

from groundstation import __version__
from groundstation.commands import (
    catalog,
    check,
    decode,
    demo,
    doppler,
    listen,
    passes,
    serve_rtl_tcp,
    simulate,
    tle,
)
from groundstation.errors import UserError

SUBCOMMANDS = (demo, catalog, passes, doppler, simulate, decode, check, listen, serve_rtl_tcp, tle)


class _OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line that points at ``--help``."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineErrorParser(
        prog="groundstation",
        description="Predict, simulate, decode and check satellite passes.",
    )
    parser.add_argument("--version", action="version", version=f"groundstation {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_OneLineErrorParser)
    for module in SUBCOMMANDS:
        module.register(subparsers)
    return parser


def _configure_logging(verbosity: int) -> None:
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("groundstation: %(levelname)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Library logs above WARNING at -v only; third-party noise stays at WARNING.
    for noisy in ("matplotlib", "PIL", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.func(args)
    except UserError as error:
        print(f"groundstation: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `groundstation decode x | head`: the reader left; not an error.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("groundstation: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
