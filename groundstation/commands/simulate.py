"""``groundstation simulate``: a pass as an SDR would record it (SigMF), labelled as simulated."""

from __future__ import annotations

import argparse
import logging
from datetime import timedelta

from frames import Ax25Frame, FrameError
from groundstation.commands.common import (
    add_satellite_options,
    add_station_options,
    positive,
    start_from,
    station_from,
    targets_from,
)
from groundstation.dsp.modems import MODEMS, modem
from groundstation.errors import UserError
from groundstation.orbits.orbit import Tracker
from groundstation.commands.progress import Progress
from groundstation.simulation.simulator import (
    SimulationConfig,
    channel_grid,
    default_rate_sps,
    simulate,
)
from groundstation.orbits.targets import select_elements
from groundstation.timefmt import iso_utc
from groundstation.recordings.writers import WRITE_DATATYPES

log = logging.getLogger(__name__)

PASS_SEARCH_DAYS = 3

EXAMPLES = """examples:
  groundstation simulate --sat Malligyong-1 --station 37.57,126.98 --start 2024-06-12T06:00Z --pass 2 \\
      --freq 435e6 --modem afsk1200 --out pass.sigmf-meta --audio pass.wav
  groundstation simulate --sat 58400 --station 37.57,126.98 --start 2024-06-12T14:24Z --duration 300 \\
      --freq 435e6 --modem cw --cn0 20 --offset 3000 --out cw.sigmf-meta
  groundstation simulate ... --modem none --interferer 2500,-125 --out silent.sigmf-meta
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="simulate a pass as an SDR would record it",
        description="Make a SigMF recording of a pass (Doppler, path loss, receiver noise) with a hypothetical "
        "transmitter. Everything it makes is labelled SIMULATED.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_simulation_options(parser)
    parser.add_argument("--out", required=True, metavar="FILE.sigmf-meta", help="the SigMF recording to write")
    parser.add_argument("--datatype", choices=WRITE_DATATYPES, default="cf32_le", help="sample format (default cf32_le)")
    parser.add_argument("--audio", metavar="FILE.wav",
                        help="also write 48 kHz audio as a receiver with perfect Doppler correction hears it")
    parser.set_defaults(func=run)


def add_simulation_options(parser: argparse.ArgumentParser, required: bool = True, samplerate: bool = True) -> None:
    """The options that decide a simulated pass (``simulate``, ``serve-rtl-tcp --simulate``).

    ``samplerate=False`` leaves ``--samplerate`` to the caller (which defines it for recordings too).
    """
    add_satellite_options(parser, required=required)
    add_station_options(parser, required=required)
    when = parser.add_mutually_exclusive_group(required=required)
    when.add_argument("--pass", dest="pass_number", type=positive(int), metavar="N",
                      help="the Nth pass after --start (default now): the recording runs from AOS to LOS")
    when.add_argument("--duration", type=positive(float), metavar="S", help="record S seconds from --start")
    parser.add_argument("--start", metavar="ISO8601", help="recording start (with --duration) or pass search start")
    parser.add_argument("--freq", type=positive(float), required=required, metavar="HZ", help="transmitter frequency")
    parser.add_argument("--modem", required=required, choices=[name for name, spec in MODEMS.items() if spec.kind != "bpsk"],
                        metavar="NAME", help="afsk1200, fsk9600-g3ruh, ..., cw, morse, none")
    if samplerate:
        parser.add_argument("--samplerate", type=positive(float), metavar="SPS",
                            help="sample rate (default: the lowest standard rate that holds signal, offset and Doppler)")
    parser.add_argument("--offset", type=float, default=0.0, metavar="HZ",
                        help="where the signal sits relative to the recording's centre (default 0)")
    parser.add_argument("--drift", type=float, default=0.0, metavar="HZ",
                        help="transmitter oscillator drift over the recording (linear, default 0)")
    parser.add_argument("--cn0", type=float, metavar="DBHZ",
                        help="C/N0 at closest approach (default 60 dB-Hz unless --tx-power-dbm is given)")
    parser.add_argument("--tx-power-dbm", type=float, metavar="P", help="transmitter power: C/N0 from the link budget")
    parser.add_argument("--tx-gain-dbi", type=float, default=0.0, metavar="G")
    parser.add_argument("--rx-gain-dbi", type=float, default=0.0, metavar="G")
    parser.add_argument("--noise-figure-db", type=float, default=2.0, metavar="NF")
    parser.add_argument("--beacon-interval", type=positive(float), default=10.0, metavar="S",
                        help="seconds between frames (default 10)")
    parser.add_argument("--frames", metavar="FILE", help="frames to send, one TNC2 monitor line each (SRC>DST:info)")
    parser.add_argument("--morse-text", default="SIMULATED BEACON", help="what the morse modem keys")
    parser.add_argument("--interferer", metavar="HZ,DBM",
                        help="a fixed-frequency terrestrial carrier at centre + HZ, received at DBM")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0): same seed, same samples")


def read_frames_file(path: str) -> list[Ax25Frame]:
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError as error:
        raise UserError(f"--frames: cannot read {path!r}: {error.strerror}") from None
    frames = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            frames.append(Ax25Frame.from_tnc2(line))
        except FrameError as error:
            raise UserError(f"--frames {path}, line {number}: {error}") from None
    if not frames:
        raise UserError(f"--frames: {path!r} holds no frames")
    return frames


def parse_interferer(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        offset_hz, power_dbm = (float(part) for part in text.split(","))
    except ValueError:
        raise UserError(f"--interferer: {text!r} is not HZ,DBM (e.g. 2500,-120)") from None
    return offset_hz, power_dbm


def simulation_config(args: argparse.Namespace) -> tuple[SimulationConfig, str]:
    """The :class:`SimulationConfig` the options ask for, and the satellite's name."""
    spec = modem(args.modem)
    if args.cn0 is not None and args.tx_power_dbm is not None:
        raise UserError("give --cn0 or --tx-power-dbm, not both")
    station = station_from(args)
    (target,), store = targets_from(args)
    search_start = start_from(args)
    if args.pass_number:
        search_end = search_start + timedelta(days=PASS_SEARCH_DAYS)
        tracker = Tracker(select_elements(target, store, search_start, search_end, args.force), station, target.name)
        passes = tracker.passes(search_start, search_end)
        if len(passes) < args.pass_number:
            raise UserError(f"only {len(passes)} passes of {target.name} in the {PASS_SEARCH_DAYS} days after "
                            f"{iso_utc(search_start, 'seconds')}; ask for a smaller --pass")
        chosen = passes[args.pass_number - 1]
        start, duration_s = chosen.aos, chosen.duration_s
        log.info("pass %d: AOS %s, max elevation %.1f deg", args.pass_number, iso_utc(chosen.aos), chosen.max_elevation_deg)
    else:
        start, duration_s = search_start, args.duration
        tracker = Tracker(select_elements(target, store, start, start + timedelta(seconds=duration_s), args.force),
                          station, target.name)
    config = SimulationConfig(
        tracker=tracker,
        start=start,
        duration_s=duration_s,
        freq_hz=args.freq,
        modem=spec,
        rate_sps=0.0,
        offset_hz=args.offset,
        drift_hz=args.drift,
        cn0_dbhz=60.0 if args.cn0 is None else args.cn0,
        tx_power_dbm=args.tx_power_dbm,
        tx_gain_dbi=args.tx_gain_dbi,
        rx_gain_dbi=args.rx_gain_dbi,
        noise_figure_db=args.noise_figure_db,
        beacon_interval_s=args.beacon_interval,
        frames=read_frames_file(args.frames) if args.frames else None,
        morse_text=args.morse_text,
        interferer=parse_interferer(args.interferer),
        seed=args.seed,
    )
    max_doppler_hz = float(abs(channel_grid(config).doppler_hz).max()) + abs(args.drift)
    config.rate_sps = args.samplerate or default_rate_sps(spec, args.freq, args.offset, max_doppler_hz)
    if args.interferer and abs(config.interferer[0]) >= config.rate_sps / 2:
        raise UserError(f"--interferer at {config.interferer[0]:g} Hz is outside the recorded band "
                        f"(+-{config.rate_sps / 2:g} Hz)")
    return config, target.name


def run(args: argparse.Namespace) -> int:
    if not args.out.endswith(".sigmf-meta"):
        raise UserError(f"--out: {args.out!r} must end in .sigmf-meta")
    config, target_name = simulation_config(args)
    spec, start, duration_s = config.modem, config.start, config.duration_s
    progress = Progress("simulate")
    try:
        result = simulate(config, args.out, target_name, args.datatype, args.audio, progress=progress)
    finally:
        progress.close()
    cn0 = result.metadata["cn0_dbhz_at_closest_approach"]
    print(f"SIMULATED recording: {args.out} ({duration_s:.0f} s from {iso_utc(start, 'seconds')}, "
          f"{config.rate_sps:g} S/s {args.datatype}, centre {config.centre_hz:.0f} Hz)")
    print(f"  {spec.name} at {args.freq:.0f} Hz + offset {args.offset:g} Hz, C/N0 at closest approach "
          f"{'-' if cn0 is None else f'{cn0:.1f}'} dB-Hz, {len(result.bursts)} transmissions"
          + (f"; audio: {args.audio}" if args.audio else ""))
    return 0
