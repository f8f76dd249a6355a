"""``groundstation listen``: frames from a live source (a KISS TNC now; an rtl_tcp server), as they arrive.

Frames are printed as ``decode`` prints them; with ``--out FILE`` they are also
appended to FILE in ``--format`` (each with its UTC receive time), flushed per
frame so that a crash or an unplugged TNC loses nothing already received.
Ctrl-C (or SIGTERM) ends it with a summary on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import time

from groundstation.errors import UserError
from groundstation.outputs.sinks import FORMATS, OpenSink, TextSink
from groundstation.recordings.kissfile import KissStats, accept_kiss_frame


log = logging.getLogger(__name__)

EXAMPLES = """examples:
  groundstation listen --tnc /dev/ttyUSB0 --baud 9600
  groundstation listen --tnc /tmp/kisstnc --format jsonl --out frames.jsonl     # direwolf -p
  groundstation listen --tnc socket://127.0.0.1:8001 --out frames.kiss --format kiss
  groundstation listen --tnc loop:// --send beacons.kiss --count 4               # a loop test
  groundstation listen --rtl-tcp 127.0.0.1:1234 --freq 435e6 --sat Malligyong-1 --station 37.57,126.98
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "listen",
        help="decode frames live from a KISS TNC or an rtl_tcp server",
        description="Receive frames live: from a KISS TNC on a serial port, pseudo-terminal or pyserial URL "
        "(--tnc), or by decoding IQ from an rtl_tcp server (--rtl-tcp). Sources that go away are retried "
        "at least once a second until they are back.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--tnc", metavar="PORT", help="serial device, pseudo-terminal, or pyserial URL "
                        "(socket://HOST:PORT, rfc2217://HOST:PORT, loop://)")
    source.add_argument("--rtl-tcp", metavar="HOST:PORT", help="an rtl_tcp server to take IQ from")
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="output format of --out (default text); the terminal always gets text lines")
    parser.add_argument("--out", metavar="FILE", help="append every frame to FILE, flushed per frame ('-': stdout "
                        "in --format instead of text)")
    parser.add_argument("--count", type=int, metavar="N", help="stop after N frames")
    tnc = parser.add_argument_group("KISS TNC (--tnc)")
    tnc.add_argument("--baud", type=int, default=9600, help="serial speed (default 9600; ignored by URLs and ptys)")
    tnc.add_argument("--send", metavar="FILE", help="transmit the KISS frames of FILE once connected (loop tests)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.count is not None and args.count < 1:
        raise UserError("--count: give a number of frames of 1 or more")
    with _sigterm_as_interrupt():
        if args.tnc:
            return run_tnc(args)
        raise UserError("--rtl-tcp: not built yet; use --tnc")


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """SIGTERM ends ``listen`` as Ctrl-C does: cleanly, with the summary."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (an embedding program): leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class FrameOutputs:
    """Text lines on stdout, plus ``--out`` in ``--format`` (appended) when given; closes what it opened."""

    def __init__(self, format_name: str, out: str | None) -> None:
        self._stack = contextlib.ExitStack()
        self._sinks = []
        if out == "-":
            self._sinks.append(self._stack.enter_context(OpenSink(format_name, None)))
        else:
            self._sinks.append(TextSink(sys.stdout))
            if out is not None:
                self._sinks.append(self._stack.enter_context(OpenSink(format_name, out, append=True)))

    def write(self, frame) -> None:
        for sink in self._sinks:
            sink.write(frame)

    def close(self) -> None:
        self._stack.close()


def read_send_file(path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as error:
        raise UserError(f"--send: cannot read {path!r}: {error.strerror}") from None


def run_tnc(args: argparse.Namespace) -> int:
    from hardware.errors import HardwareError
    from hardware.kiss_tnc import BadFrame, Connected, KissTnc, ReceivedFrame

    to_send = read_send_file(args.send) if args.send else None
    tnc = KissTnc(args.tnc, baud_rate=args.baud)
    if to_send:
        tnc.queue_send(to_send)
    stats = KissStats()
    began = time.monotonic()
    started = None
    outputs = FrameOutputs(args.format, args.out)
    try:
        for event in tnc.events():
            if isinstance(event, Connected) and started is None:
                started = event
                log.info("--tnc %s: connected", args.tnc)
            elif isinstance(event, BadFrame):
                stats.bad_kiss += 1
                log.warning("--tnc %s: %s", args.tnc, event.error)
            elif isinstance(event, ReceivedFrame):
                frame = accept_kiss_frame(event.frame, stats, f"--tnc {args.tnc}", t=time.monotonic() - began,
                                          time=event.received)
                if frame is not None:
                    outputs.write(frame)
                    if args.count is not None and stats.frames >= args.count:
                        break
    except HardwareError as error:
        raise UserError(str(error)) from None
    except KeyboardInterrupt:
        pass
    finally:
        tnc.close()
        outputs.close()
        print(f"groundstation: {tnc_summary(args.tnc, stats, tnc.outages, time.monotonic() - began)}", file=sys.stderr)
    return 0


def tnc_summary(port: str, stats: KissStats, outages: int, seconds: float) -> str:
    """The last line of ``listen --tnc``.

    >>> tnc_summary("/tmp/kisstnc", KissStats(frames=3, not_ax25=1), outages=1, seconds=12.04)
    '3 frames from /tmp/kisstnc in 12.0 s; 1 outage, 1 not AX.25'
    """
    parts = [f"{outages} outage{'s' if outages != 1 else ''}"] if outages else []
    if stats.not_ax25:
        parts.append(f"{stats.not_ax25} not AX.25")
    if stats.bad_kiss:
        parts.append(f"{stats.bad_kiss} malformed KISS frames")
    if stats.other_commands:
        parts.append(f"{stats.other_commands} KISS commands skipped")
    return f"{stats.frames} frames from {port} in {seconds:.1f} s" + (f"; {', '.join(parts)}" if parts else "")



