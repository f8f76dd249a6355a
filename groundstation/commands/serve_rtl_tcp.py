"""``groundstation serve-rtl-tcp``: a recording or a live simulation as an rtl_tcp server (no hardware needed).

gqrx, SDR++, ``rtl_tcp`` clients and ``groundstation listen --rtl-tcp`` can
connect to it. Frequency commands move the band; sample-rate commands re-run
a simulation at that rate (a recording keeps its own rate).
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys
import time

from groundstation.commands.common import add_recording_options, interrupts_end_cleanly
from groundstation.commands.simulate import add_simulation_options, simulation_config
from groundstation.errors import UserError

log = logging.getLogger(__name__)

EXAMPLES = """examples:
  groundstation serve-rtl-tcp pass.sigmf-meta --realtime                   # then: gqrx, device "rtl_tcp=127.0.0.1:1234"
  groundstation serve-rtl-tcp --simulate --sat Malligyong-1 --station 37.57,126.98 --start 2024-06-12T06:00Z \\
      --pass 2 --freq 435e6 --modem afsk1200 --samplerate 240000 --realtime --port 1234
  groundstation serve-rtl-tcp capture.cu8 --samplerate 240000 --center-freq 435e6 --skip 120
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve-rtl-tcp",
        help="serve a recording or a simulated pass as an rtl_tcp server",
        description="Serve IQ as rtl_tcp does (8-bit unsigned I/Q after a 12-byte greeting), from a recording or "
        "a live simulation, honouring frequency and sample-rate commands. Binds 127.0.0.1 unless told otherwise.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("recording", nargs="?", help="an IQ recording (.sigmf-meta, .cu8, .cf32, stereo .wav ...)")
    parser.add_argument("--simulate", action="store_true", help="serve a simulated pass (simulate's options below)")
    parser.add_argument("--bind", default="127.0.0.1", metavar="ADDRESS", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=1234, help="TCP port (default 1234, rtl_tcp's)")
    parser.add_argument("--realtime", action="store_true", help="send at the sample rate (default: as fast as read)")
    parser.add_argument("--skip", type=float, default=0.0, metavar="S", help="start S seconds into the source")
    parser.add_argument("--clock-start", type=float, metavar="UNIX_S",
                        help="the source's first sample was on the air at this POSIX time: each client gets what "
                        "is on the air when it connects, as from a radio that kept going (with --realtime)")
    add_recording_options(parser)
    simulation = parser.add_argument_group("--simulate: the pass (as for simulate)")
    add_simulation_options(simulation, required=False, samplerate=False)
    parser.set_defaults(func=run)


def provider_from(args: argparse.Namespace):
    from groundstation.live.iq_providers import (
        SIMULATION_LEVEL,
        RecordingSource,
        SimulationSource,
        TunedProvider,
    )

    if args.skip < 0:
        raise UserError("--skip: give 0 or more seconds")
    if args.simulate == bool(args.recording):
        raise UserError("give a RECORDING or --simulate (with its --sat, --station, --freq, --modem ...), not both")
    if args.simulate:
        missing = [option for option, value in (("--sat", args.sat), ("--freq", args.freq), ("--modem", args.modem),
                                                 ("--station", args.station or args.station_file),
                                                 ("--pass or --duration", args.pass_number or args.duration))
                   if not value]
        if missing:
            raise UserError(f"--simulate needs {', '.join(missing)}")
        from groundstation.simulation.simulator import pass_simulator

        config, target_name = simulation_config(args)
        log.info("SIMULATED pass of %s from %s, %.0f s, centre %.0f Hz", target_name, config.start.isoformat(),
                 config.duration_s, config.centre_hz)
        return TunedProvider(SimulationSource(pass_simulator(config)), level=SIMULATION_LEVEL, start_s=args.skip)
    from groundstation.recordings.readers import open_recording

    recording = open_recording(args.recording, args.datatype, args.samplerate, args.center_freq, args.start_time)
    if not recording.datatype.is_complex:
        raise UserError(f"{args.recording}: this is audio; rtl_tcp serves IQ (a SigMF, raw IQ or stereo WAV file)")
    if recording.centre_hz is None:
        raise UserError(f"{args.recording}: the centre frequency is unknown; give --center-freq")
    return TunedProvider(RecordingSource(recording), start_s=args.skip)


def run(args: argparse.Namespace) -> int:
    from hardware.errors import HardwareError
    from hardware.rtl_tcp import RtlTcpServer

    try:
        if not ipaddress.ip_address(args.bind).is_loopback:
            log.warning("--bind %s: the server is reachable from other machines", args.bind)
    except ValueError:
        raise UserError(f"--bind: {args.bind!r} is not an IP address (e.g. 127.0.0.1)") from None
    provider = provider_from(args)
    on_client = None
    if args.clock_start is not None:
        if not args.realtime:
            raise UserError("--clock-start needs --realtime (the source runs on the wall clock)")

        def on_client() -> None:
            provider.seek(time.time() - args.clock_start)
    try:
        server = RtlTcpServer(provider, args.bind, args.port, realtime=args.realtime, on_client=on_client)
    except HardwareError as error:
        raise UserError(str(error)) from None
    host, port = server.address
    print(f"serving rtl_tcp on {host}:{port} ({provider.rate_sps:.0f} S/s at {provider.freq_hz:.0f} Hz"
          f"{', real time' if args.realtime else ''})", file=sys.stderr, flush=True)
    try:
        with interrupts_end_cleanly():
            server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    dropped = f", {server.samples_dropped} dropped (the client did not keep up)" if server.samples_dropped else ""
    print(f"groundstation: {server.samples_sent} samples served{dropped}", file=sys.stderr)
    return 0



