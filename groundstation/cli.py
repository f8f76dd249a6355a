"""The ``groundstation`` command line.

Every subcommand lives in ``groundstation/commands/``. Errors a user can cause
raise :class:`~groundstation.errors.UserError`; here they become one line on
stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import re
import sys
import warnings

from groundstation import __version__
from groundstation.allocator import keep_freed_memory, one_blas_thread
from groundstation.commands import (
    campaign,
    catalog,
    check,
    config,
    decode,
    demo,
    doppler,
    history,
    listen,
    passes,
    satnogs,
    serve_rtl_tcp,
    simulate,
    tle,
)
from groundstation.errors import UserError
from groundstation.timefmt import forget_warnings

SUBCOMMANDS = (demo, catalog, passes, doppler, simulate, decode, check, listen, serve_rtl_tcp, tle, history,
               config, satnogs, campaign)


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
    _verbose_anywhere(subparsers)
    return parser


def _verbose_anywhere(subparsers: argparse._SubParsersAction) -> None:
    """``-v`` after the subcommand too (``groundstation decode x.wav -v``). A subcommand's own count goes to
    another attribute, since argparse would otherwise reset the main parser's count to the default."""
    for subparser in subparsers.choices.values():
        subparser.add_argument("-v", "--verbose", action="count", default=0, dest="verbose_after",
                               help="more logging (-vv for debug)")
        for action in subparser._actions:
            if isinstance(action, argparse._SubParsersAction):
                _verbose_anywhere(action)


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
    warnings.showwarning = _warning_as_log_line


def _warning_as_log_line(message, category, filename, lineno, file=None, line=None) -> None:
    """A Python warning (numpy, sigmf) as one log line, without the source file and line it came from."""
    text = " ".join(str(message).split())
    logging.getLogger("groundstation").warning("%s", text)


#: A value that starts with '-' but is numbers (``-33.9,18.4``, ``-1e3``, ``-2500,-125``), not an option.
_NEGATIVE_VALUE = re.compile(r"^-(\d|\.\d|inf|nan)[\w.+\-,]*$", re.IGNORECASE)


#: Options whose value is a name, never a negative number: "-1" there stays a usage error.
_NAMES_NOT_NUMBERS = {"--sat"}


def join_negative_values(argv: list[str]) -> list[str]:
    """``--station -33.9,18.4`` -> ``--station=-33.9,18.4``, so argparse does not take the value for an option.

    >>> join_negative_values(["passes", "--station", "-33.9,18.4", "--offset", "-1e3", "--", "-5"])
    ['passes', '--station=-33.9,18.4', '--offset=-1e3', '--', '-5']
    """
    joined: list[str] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--":
            joined += argv[index:]
            break
        following = argv[index + 1] if index + 1 < len(argv) else None
        if (arg.startswith("--") and "=" not in arg and len(arg) > 2 and arg not in _NAMES_NOT_NUMBERS
                and following is not None and _NEGATIVE_VALUE.match(following)):
            joined.append(f"{arg}={following}")
            index += 2
            continue
        joined.append(arg)
        index += 1
    return joined


def _os_error_line(error: OSError) -> str:
    """One line for an operating-system error that escaped the commands (disk full, read-only, ...)."""
    what = error.strerror or str(error)
    where = f" ({error.filename})" if getattr(error, "filename", None) else ""
    hint = {
        errno.ENOSPC: "free some space or write elsewhere",
        errno.EROFS: "write to a folder that is not read-only",
        errno.EACCES: "check the permissions or write elsewhere",
        errno.EPERM: "check the permissions or write elsewhere",
        errno.EDQUOT: "free some space or write elsewhere",
        errno.EBADF: "stdout or stderr is closed; redirect it to a file",
    }.get(error.errno, "check the file names and the disk")
    return f"groundstation: error: {what}{where}; {hint}"


def _quiet_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so the interpreter's final flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> int:
    if sys.stdout is None or sys.stderr is None:
        # Started with stdout or stderr closed (`groundstation ... >&-`): nowhere to say anything.
        if sys.stderr is not None:
            print("groundstation: error: stdout is closed; redirect it to a file or /dev/null", file=sys.stderr)
        return 2
    parser = build_parser()
    try:
        args = parser.parse_args(join_negative_values(list(sys.argv[1:] if argv is None else argv)))
    except SystemExit as stop:  # a usage error (already printed as one line), --help or --version
        return stop.code if isinstance(stop.code, int) else 2
    _configure_logging(args.verbose + getattr(args, "verbose_after", 0))
    forget_warnings()
    one_blas_thread()  # the filter banks' small matrix products gain nothing from threads
    keep_freed_memory()  # no page faults for every block's large arrays
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        code = args.func(args)
        sys.stdout.flush()
        return code
    except UserError as error:
        text = " ".join(str(error).split("\n"))  # one line, whatever a file name or value held
        print(f"groundstation: error: {text}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `groundstation decode x | head`: the reader left; not an error.
        _quiet_stdout()
        return 0
    except KeyboardInterrupt:
        print("groundstation: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("groundstation: error: out of memory; use a shorter input or a lower sample rate", file=sys.stderr)
        return 2
    except OSError as error:
        logging.getLogger(__name__).debug("operating-system error", exc_info=True)
        print(_os_error_line(error), file=sys.stderr)
        return 2
    except Exception as error:  # a bug: one line, the traceback with -v
        logging.getLogger(__name__).info("internal error", exc_info=True)
        text = str(error).splitlines()[0][:200] if str(error) else ""
        print(f"groundstation: internal error ({type(error).__name__}{': ' + text if text else ''}); "
              "please report it with the command line; -v shows the traceback", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
