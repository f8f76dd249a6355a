"""``groundstation listen``: frames from a live source (a KISS TNC now; an rtl_tcp server), as they arrive.

Frames are printed as ``decode`` prints them (``--format`` on stdout); with
``--out FILE`` they are appended to FILE in ``--format`` (each with its UTC
receive time), flushed per frame so that a crash or an unplugged TNC loses
nothing already received, and text lines go to stdout.
Ctrl-C (or SIGTERM) ends it with a summary on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import time
from datetime import datetime, timedelta, timezone

import numpy as np

from groundstation.commands.common import (
    add_station_options,
    interrupts_end_cleanly,
    positive,
    station_from,
    targets_from,
)
from groundstation.commands.decode import DECODABLE
from groundstation.errors import UserError
from groundstation.outputs.sinks import FORMATS, OpenSink, TextSink
from groundstation.outputs.wording import counted
from groundstation.recordings.kissfile import KissStats, accept_kiss_frame
from groundstation.timefmt import parse_utc

log = logging.getLogger(__name__)

LIVE_HOURS = 12.0  # element sets are checked for this long from the start of listening

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
    source.add_argument("--rtl-sdr", type=int, metavar="INDEX", help="a USB RTL-SDR through pyrtlsdr "
                        "(pip install 'groundstation[rtlsdr]')")
    source.add_argument("--soapy", metavar="ARGS", help="a SoapySDR device, e.g. driver=rtlsdr (needs the system's "
                        "SoapySDR Python bindings)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--out", metavar="FILE", help="append every frame to FILE in --format, flushed per frame, "
                        "and show text lines on stdout ('-' or absent: --format on stdout)")
    parser.add_argument("--count", type=int, metavar="N", help="stop after N frames")
    tnc = parser.add_argument_group("KISS TNC (--tnc)")
    tnc.add_argument("--baud", type=positive(int), default=9600, help="serial speed (default 9600; ignored by URLs and ptys)")
    tnc.add_argument("--send", metavar="FILE", help="transmit the KISS frames of FILE once connected (loop tests)")
    sdr = parser.add_argument_group("SDR over rtl_tcp (--rtl-tcp)")
    sdr.add_argument("--freq", type=positive(float), metavar="HZ",
                     help="centre frequency to tune (--rtl-tcp); the downlink for --rigctl")
    sdr.add_argument("--samplerate", type=positive(float), default=240_000.0, metavar="SPS",
                     help="sample rate to ask for (default 240000)")
    sdr.add_argument("--gain", default="auto", metavar="DB|auto", help="tuner gain in dB, or auto (default)")
    sdr.add_argument("--ppm", type=int, default=0, help="frequency correction of the tuner, ppm")
    sdr.add_argument("--offset", type=float, default=0.0, metavar="HZ", help="signal at centre + HZ (default 0)")
    sdr.add_argument("--modem", nargs="+", default=["auto"], choices=DECODABLE, metavar="NAME",
                     help="modems to run side by side (default auto)")
    sdr.add_argument("--record", metavar="FILE.sigmf-meta", help="also record the IQ (cu8) to SigMF while decoding")
    sdr.add_argument("--start-time", metavar="ISO8601",
                     help="UTC time of the first sample (a replayed pass; --rigctl then follows the samples' time); "
                     "default: the clock when it arrives. With --tnc: the time listening starts, for --rigctl")
    sdr.add_argument("--no-repair", action="store_true", help="no soft-decision repair of failed frames")
    orbit = parser.add_argument_group("Doppler (--rtl-tcp decoding, --rigctl radio)")
    orbit.add_argument("--sat", metavar="NAME|NORAD", help="follow this satellite's Doppler (needs --station)")
    orbit.add_argument("--tle", action="append", default=[], metavar="FILE", help="element sets for --sat")
    orbit.add_argument("--force", action="store_true", help="use element sets far from their epoch")
    add_station_options(orbit, required=False)
    orbit.add_argument("--rigctl", metavar="HOST:PORT", help="keep a radio on the Doppler-shifted --freq through "
                       "Hamlib's rigctld (default port 4532)")
    orbit.add_argument("--doppler-step-hz", type=positive(float), metavar="HZ",
                       help="retune the radio when the Doppler moved by more than this (default 10 Hz at 435 MHz, "
                       "in proportion elsewhere)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.count is not None and args.count < 1:
        raise UserError("--count: give a number of frames of 1 or more")
    sdr_option = sdr_source_option(args)
    if sdr_option and args.freq is None:
        raise UserError(f"{sdr_option} needs --freq (the centre frequency to tune)")
    if args.record and not sdr_option:
        raise UserError("--record records IQ: use it with --rtl-tcp, --rtl-sdr or --soapy")
    if args.record and not args.record.endswith(".sigmf-meta"):
        raise UserError(f"--record: {args.record!r} must end in .sigmf-meta")
    sample_clock = None
    if sdr_option and args.start_time:
        from groundstation.live.rig_doppler import SampleClock

        sample_clock = SampleClock()  # the stream carries its time: the radio follows the samples
    stop_rig = start_rig_doppler(args, sample_clock)
    try:
        with interrupts_end_cleanly():
            if args.tnc:
                return run_tnc(args)
            return run_sdr(args, sample_clock)
    finally:
        stop_rig()


def orbit_doppler(args: argparse.Namespace, freq_hz: float, start: datetime):
    """``unix_s -> Hz`` of --sat from --station at ``freq_hz``, or None without --sat."""
    if not args.sat:
        if args.station or args.station_file:
            log.warning("--station without --sat: no Doppler correction")
        return None
    if not (args.station or args.station_file):
        raise UserError("--sat needs --station (or --station-file) for the Doppler correction")
    from groundstation.live.orbit_doppler import OrbitDoppler
    from groundstation.orbits.orbit import Tracker
    from groundstation.orbits.targets import select_elements

    (target,), store = targets_from(args)
    element_set = select_elements(target, store, start, start + timedelta(hours=LIVE_HOURS), args.force)
    return OrbitDoppler(Tracker(element_set, station_from(args), target.name), freq_hz)


def start_rig_doppler(args: argparse.Namespace, sample_clock=None):
    """With --rigctl: a background thread that keeps the radio on the Doppler; returns its stop function.

    The Doppler is for the time of the samples when the stream carries its time (``sample_clock``: an SDR
    stream with --start-time), for --start-time plus the time since listening began for a TNC with
    --start-time, and for the wall clock otherwise (a live source)."""
    if not args.rigctl:
        return lambda: None
    if not (args.sat and args.freq):
        raise UserError("--rigctl needs --sat, --station and --freq (the downlink to follow)")
    from groundstation.live.rig_doppler import RigDoppler, ShiftedClock
    from hardware.errors import HardwareError
    from hardware.net import parse_host_port
    from hardware.rigctl import DEFAULT_PORT, DopplerFollower, Rigctl, default_step_hz

    try:
        host, port = parse_host_port(args.rigctl, "--rigctl", DEFAULT_PORT)
    except HardwareError as error:
        raise UserError(str(error)) from None
    freq_hz = args.freq + args.offset
    doppler = orbit_doppler(args, freq_hz, _start_of(args))
    step_hz = args.doppler_step_hz or default_step_hz(freq_hz)
    tracking = RigDoppler(DopplerFollower(Rigctl(host, port), step_hz), doppler, freq_hz)
    if sample_clock is not None:
        clock, clock_name = sample_clock, "the time of the samples"
    elif getattr(args, "start_time", None):
        clock, clock_name = ShiftedClock(_start_of(args)), "--start-time plus the time since listening began"
    else:
        clock, clock_name = time.time, "the clock"
    log.info("--rigctl %s:%d: following the Doppler of %s at %.0f Hz in steps of %g Hz, for %s", host, port,
             args.sat, freq_hz, step_hz, clock_name)
    return tracking.start(clock)


def _start_of(args: argparse.Namespace) -> datetime:
    start_time = getattr(args, "start_time", None)
    return parse_utc(start_time, "--start-time") if start_time else datetime.now(timezone.utc)


class FrameOutputs:
    """``--format`` on stdout as ``decode`` does; with ``--out FILE``, appended to FILE and text lines on stdout."""

    def __init__(self, format_name: str, out: str | None) -> None:
        self._stack = contextlib.ExitStack()
        self._sinks = []
        if out in (None, "-"):
            self._sinks.append(self._stack.enter_context(OpenSink(format_name, None)))
        else:
            self._sinks.append(TextSink(sys.stdout))  # the live monitor
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
    parts = [counted(outages, "outage")] if outages else []
    parts += stats.problems()
    if stats.other_commands:
        parts.append(f"{stats.other_commands} KISS commands skipped")
    return f"{counted(stats.frames, 'frame')} from {port} in {seconds:.1f} s" + (f"; {', '.join(parts)}" if parts else "")





def sdr_source_option(args: argparse.Namespace) -> str | None:
    for option, value in (("--rtl-tcp", args.rtl_tcp), ("--rtl-sdr", args.rtl_sdr), ("--soapy", args.soapy)):
        if value is not None:
            return option
    return None


def open_sdr(args: argparse.Namespace, settings):
    """The IQ source asked for: an rtl_tcp client, or a direct driver (imported only now)."""
    from hardware.errors import HardwareError
    from hardware.net import parse_host_port
    from hardware.rtl_tcp import DEFAULT_PORT, RtlTcpClient

    try:
        if args.rtl_tcp:
            host, port = parse_host_port(args.rtl_tcp, "--rtl-tcp", DEFAULT_PORT)
            return RtlTcpClient(host, port, settings), f"rtl_tcp {args.rtl_tcp}"
        from hardware.sdr_drivers import RtlSdrDriver, SoapyDriver

        if args.rtl_sdr is not None:
            return RtlSdrDriver(args.rtl_sdr, settings), f"RTL-SDR {args.rtl_sdr}"
        return SoapyDriver(args.soapy, settings), f"SoapySDR {args.soapy}"
    except HardwareError as error:
        raise UserError(str(error)) from None


def run_sdr(args: argparse.Namespace, sample_clock=None) -> int:
    from groundstation.dsp.decoder import Decoder
    from groundstation.live.iq_stream import (
        SegmentedDecoder,
        StreamBreak,
        rtl_tcp_blocks,
    )
    from hardware.errors import HardwareError
    from hardware.rtl_tcp import TunerSettings

    gain_db = parse_gain(args.gain)
    start_time = parse_utc(args.start_time, "--start-time") if args.start_time else None
    doppler = orbit_doppler(args, args.freq + args.offset, start_time or datetime.now(timezone.utc))
    settings = TunerSettings(args.freq, args.samplerate, gain_db, args.ppm)
    client, source_name = open_sdr(args, settings)

    def make_decoder(segment_t0, segment_doppler):
        return Decoder(args.samplerate, True, args.modem, args.offset, segment_doppler, repair=not args.no_repair)

    make_decoder(None, doppler)  # a bad --modem for this rate fails now, not at the first sample
    decoder = SegmentedDecoder(make_decoder, doppler)
    recorder = None
    outputs = FrameOutputs(args.format, args.out)
    began = time.monotonic()
    frames = 0
    try:
        for item in rtl_tcp_blocks(client, args.freq, start_time):
            if args.record and recorder is None and not isinstance(item, StreamBreak):
                recorder = open_recorder(args, item)
            if recorder is not None:
                record_item(recorder, item)
            if sample_clock is not None and not isinstance(item, StreamBreak):
                sample_clock.saw(item)
            for frame in decoder.feed(item):
                outputs.write(frame)
                frames += 1
            if args.count is not None and frames >= args.count:
                break
    except HardwareError as error:
        raise UserError(str(error)) from None
    except KeyboardInterrupt:
        pass
    finally:
        client.close()
        try:
            for frame in decoder.end_segment():
                outputs.write(frame)
                frames += 1
        finally:
            outputs.close()
            if recorder is not None:
                recorder.close()
        print(f"groundstation: {sdr_summary(source_name, frames, client, time.monotonic() - began)}",
              file=sys.stderr)
    return 0


def parse_gain(text: str) -> float | None:
    """``auto`` -> None, else dB.

    >>> parse_gain("auto"), parse_gain("49.6")
    (None, 49.6)
    """
    if text.strip().lower() == "auto":
        return None
    try:
        return float(text)
    except ValueError:
        raise UserError(f"--gain: {text!r} is not a number of dB or auto") from None


def open_recorder(args: argparse.Namespace, block):
    """The SigMF writer of --record, its time and station in the metadata (so ``check`` can run on it)."""
    from groundstation.recordings.writers import SigMFWriter

    source = sdr_source_option(args)
    description = f"live capture ({source} {getattr(args, source[2:].replace('-', '_'))}) by groundstation listen"
    recorder = SigMFWriter(args.record, "cu8", block.rate_sps, block.centre_hz, block.t0, description,
                           {"source": description, "gain": args.gain})
    if args.station or args.station_file:
        station = station_from(args)
        recorder.global_info["core:geolocation"] = {
            "type": "Point", "coordinates": [station.longitude_deg, station.latitude_deg, station.altitude_m]}
    return recorder


def record_item(recorder, item) -> None:
    """Samples as received; a gap is recorded as zeros (the time axis stays true) and annotated."""
    from groundstation.live.iq_stream import StreamBreak

    if isinstance(item, StreamBreak):
        return
    missing = item.first_sample - recorder.samples_written
    if missing > 0:
        recorder.annotate(recorder.samples_written, missing, f"gap: {missing} samples lost, recorded as zeros",
                          gap=True)
        for first in range(0, missing, 1 << 20):
            recorder.write(np.zeros(min(1 << 20, missing - first), np.complex64))
    recorder.write(item.samples)


def sdr_summary(source_name: str, frames: int, client, seconds: float) -> str:
    lost = client.samples_lost
    rate = client.settings.rate_sps
    parts = [f"{client.samples_received} samples"]
    if lost:
        parts.append(f"{lost} lost in gaps ({lost / rate:.1f} s)")
    if client.streams > 1:
        parts.append(f"{client.streams} streams")
    if getattr(client, "max_lag_s", 0.0) > 0.5:
        parts.append(f"up to {client.max_lag_s:.1f} s behind real time")
    return f"{counted(frames, 'frame')} from {source_name} in {seconds:.1f} s; " + ", ".join(parts)
