"""``groundstation simulate``: a pass as an SDR would record it (SigMF), labelled as simulated."""

from __future__ import annotations

import argparse
import logging
import os
from datetime import timedelta

import numpy as np

from frames import Ax25Frame, FrameError
from groundstation.commands.common import (
    add_satellite_options,
    add_station_options,
    elements_for,
    start_from,
    station_from,
    targets_from,
)
from groundstation.commands.progress import Progress
from groundstation.dsp.modems import modem, simulatable
from groundstation.errors import UserError
from groundstation.orbits.orbit import Tracker
from groundstation.outputs.atomic import check_free_space, refuse_same_file
from groundstation.recordings.readers import parse_datatype
from groundstation.recordings.writers import WRITE_DATATYPES
from groundstation.simulation.simulator import (
    DEFAULT_DATATYPE,
    SimulationConfig,
    beacon_frames,
    channel_grid,
    default_rate_sps,
    modem_levels,
    simulate,
)
from groundstation.timefmt import iso_utc
from groundstation.validation import (
    DRIFT_HZ,
    OFFSET_HZ,
    RADIO_FREQ_HZ,
    SAMPLE_RATE_SPS,
    bounded_int,
    check_number,
    finite_float,
)

log = logging.getLogger(__name__)

PASS_SEARCH_DAYS = 3
MAX_DURATION_S = 86400.0  # a day: far longer than any pass
MIN_BEACON_INTERVAL_S = 0.1
MAX_TRANSMISSIONS = 100_000
MAX_FRAMES = 10_000
MAX_MORSE_CHARACTERS = 1_000_000
#: One transmission is made whole at the recording's rate (about 45 bytes a sample in all): keep it to ~300 MB.
MAX_BURST_SAMPLES = 6_000_000
MAX_LINE_CHARS = 4096

MIN_DURATION_S = 0.01  # shorter is not a recording: not one sample at the lowest rates

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
    parser.add_argument("--datatype", choices=WRITE_DATATYPES, default=DEFAULT_DATATYPE,
                        help=f"sample format (default {DEFAULT_DATATYPE}: complex int16, half the size of cf32_le)")
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
    when.add_argument("--pass", dest="pass_number", type=bounded_int("--pass", 1, 1000), metavar="N",
                      help="the Nth pass after --start (default now): the recording runs from AOS to LOS")
    when.add_argument("--duration", type=finite_float("--duration", MIN_DURATION_S, MAX_DURATION_S, "s"),
                      metavar="S", help="record S seconds from --start")
    parser.add_argument("--start", metavar="ISO8601", help="recording start (with --duration) or pass search start")
    parser.add_argument("--freq", type=finite_float("--freq", *RADIO_FREQ_HZ), required=required, metavar="HZ",
                        help="transmitter frequency")
    parser.add_argument("--modem", required=required, choices=[spec.name for spec in simulatable()],
                        metavar="NAME", help="afsk1200, fsk9600-g3ruh, bpsk1200, ..., cw, morse, none")
    if samplerate:
        parser.add_argument("--samplerate", type=finite_float("--samplerate", *SAMPLE_RATE_SPS), metavar="SPS",
                            help="sample rate (default: the lowest standard rate that holds signal, offset and Doppler)")
    parser.add_argument("--offset", type=finite_float("--offset", *OFFSET_HZ), default=0.0, metavar="HZ",
                        help="where the signal sits relative to the recording's centre (default 0)")
    parser.add_argument("--drift", type=finite_float("--drift", *DRIFT_HZ), default=0.0, metavar="HZ",
                        help="transmitter oscillator drift over the recording (linear, default 0)")
    parser.add_argument("--cn0", type=finite_float("--cn0", -20.0, 120.0, "dB-Hz"), metavar="DBHZ",
                        help="C/N0 at closest approach (default 60 dB-Hz unless --tx-power-dbm is given)")
    parser.add_argument("--tx-power-dbm", type=finite_float("--tx-power-dbm", -100.0, 100.0, "dBm"), metavar="P", help="transmitter power: C/N0 from the link budget")
    parser.add_argument("--tx-gain-dbi", type=finite_float("--tx-gain-dbi", -50.0, 80.0, "dBi"), default=0.0, metavar="G")
    parser.add_argument("--rx-gain-dbi", type=finite_float("--rx-gain-dbi", -50.0, 80.0, "dBi"), default=0.0, metavar="G")
    parser.add_argument("--noise-figure-db", type=finite_float("--noise-figure-db", 0.0, 50.0, "dB"), default=2.0, metavar="NF")
    parser.add_argument("--beacon-interval", type=finite_float("--beacon-interval", MIN_BEACON_INTERVAL_S, 86400.0, "s"),
                        default=10.0, metavar="S",
                        help="seconds between frames (default 10)")
    parser.add_argument("--frames", metavar="FILE", help="frames to send, one TNC2 monitor line each (SRC>DST:info)")
    parser.add_argument("--morse-text", default="SIMULATED BEACON", help="what the morse modem keys")
    parser.add_argument("--interferer", metavar="HZ,DBM",
                        help="a fixed-frequency terrestrial carrier at centre + HZ, received at DBM")
    parser.add_argument("--seed", type=bounded_int("--seed", 0, 2**63 - 1), default=0,
                        help="random seed (default 0): same seed, same samples")


def read_frames_file(path: str) -> list[Ax25Frame]:
    """The frames of a ``--frames`` file, read line by line (at most MAX_FRAMES frames, MAX_LINE_CHARS a line)."""
    frames = []
    try:
        with open(path, encoding="utf-8", newline="") as file:
            for number, line in enumerate(iter(lambda: file.readline(MAX_LINE_CHARS + 1), ""), 1):
                if len(line) > MAX_LINE_CHARS:
                    raise UserError(f"--frames {path}, line {number}: longer than {MAX_LINE_CHARS} characters; "
                                    "one TNC2 monitor line (SRC>DST:info) a line")
                line = line.rstrip("\r\n")
                if not line.strip() or line.startswith("#"):
                    continue
                if len(frames) >= MAX_FRAMES:
                    raise UserError(f"--frames: {path!r} holds more than {MAX_FRAMES} frames; give fewer")
                try:
                    frame = Ax25Frame.from_tnc2(line)
                    frame.to_bytes()  # what the simulator will send: 8 digipeaters at most, valid fields
                    frames.append(frame)
                except FrameError as error:
                    raise UserError(f"--frames {path}, line {number}: {error}") from None
    except OSError as error:
        raise UserError(f"--frames: cannot read {path!r}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise UserError(f"--frames: {path!r} is not UTF-8 text (byte {error.start} of a line); "
                        "give TNC2 monitor lines") from None
    if not frames:
        raise UserError(f"--frames: {path!r} holds no frames")
    return frames


def longest_frame_s(config: SimulationConfig) -> float:
    """Seconds on air of the longest frame the modem will send (0 for cw, morse and none)."""
    spec = config.modem
    if spec.kind in ("none", "cw", "morse"):
        return 0.0
    frames = config.frames or beacon_frames(1, config.tracker.element_set.norad, np.random.default_rng(0))
    return max(len(modem_levels(frame, spec)) for frame in frames) / spec.baud


def parse_interferer(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) != 2:
        raise UserError(f"--interferer: {text!r} is not HZ,DBM (e.g. 2500,-120)")
    offset_hz = check_number(parts[0], f"--interferer {text}: offset", *OFFSET_HZ)
    power_dbm = check_number(parts[1], f"--interferer {text}: power", -250.0, 30.0, "dBm")
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
        tracker = Tracker(elements_for(target, store, search_start, search_end, args.force), station, target.name)
        passes = tracker.passes(search_start, search_end)
        if len(passes) < args.pass_number:
            raise UserError(f"only {len(passes)} passes of {target.name} in the {PASS_SEARCH_DAYS} days after "
                            f"{iso_utc(search_start, 'seconds')}; ask for a smaller --pass")
        chosen = passes[args.pass_number - 1]
        start, duration_s = chosen.aos, chosen.duration_s
        log.info("pass %d: AOS %s, max elevation %.1f deg", args.pass_number, iso_utc(chosen.aos), chosen.max_elevation_deg)
    else:
        start, duration_s = search_start, args.duration
        tracker = Tracker(elements_for(target, store, start, start + timedelta(seconds=duration_s), args.force),
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
    needed_hz = abs(args.offset) + max_doppler_hz + spec.bandwidth_hz() / 2
    if args.samplerate and needed_hz > config.rate_sps / 2:
        raise UserError(f"--samplerate {config.rate_sps:g} S/s records +-{config.rate_sps / 2:g} Hz, but the signal "
                        f"reaches {needed_hz:.0f} Hz from the centre (offset {args.offset:g} Hz, Doppler up to "
                        f"{max_doppler_hz:.0f} Hz, {spec.bandwidth_hz():.0f} Hz wide); raise --samplerate or lower --offset")
    longest_s = longest_frame_s(config)
    if longest_s * config.rate_sps > MAX_BURST_SAMPLES:
        raise UserError(f"--samplerate {config.rate_sps:g} S/s: a {longest_s:.2f} s {spec.name} frame would take "
                        f"{longest_s * config.rate_sps:.3g} samples in memory (at most {MAX_BURST_SAMPLES:g}); "
                        "lower --samplerate or send shorter frames")
    transmissions = duration_s / args.beacon_interval
    if spec.kind == "morse" and transmissions * len(args.morse_text) > MAX_MORSE_CHARACTERS:
        raise UserError(f"--morse-text of {len(args.morse_text)} characters every {args.beacon_interval:g} s over "
                        f"{duration_s:.0f} s is more than {MAX_MORSE_CHARACTERS} characters to key; "
                        "use a shorter text or a longer --beacon-interval")
    if spec.kind not in ("none", "cw") and transmissions > MAX_TRANSMISSIONS:
        raise UserError(f"--beacon-interval {args.beacon_interval:g} s over {duration_s:.0f} s is {transmissions:.0f} "
                        f"transmissions, more than {MAX_TRANSMISSIONS}; use a longer interval or a shorter recording")
    if args.interferer and abs(config.interferer[0]) >= config.rate_sps / 2:
        raise UserError(f"--interferer at {config.interferer[0]:g} Hz is outside the recorded band "
                        f"(+-{config.rate_sps / 2:g} Hz)")
    return config, target.name


def run(args: argparse.Namespace) -> int:
    if not args.out.endswith(".sigmf-meta"):
        raise UserError(f"--out: {args.out!r} must end in .sigmf-meta")
    data_path = args.out[: -len("meta")] + "data"
    if args.audio and not args.audio.lower().endswith(".wav"):
        raise UserError(f"--audio: {args.audio!r} must end in .wav")
    refuse_same_file({"--out": args.out, "--out (data)": data_path, "--audio": args.audio},
                     list(args.tle) + [args.station_file, args.frames])
    config, target_name = simulation_config(args)
    spec, start, duration_s = config.modem, config.start, config.duration_s
    data_bytes = duration_s * config.rate_sps * parse_datatype(args.datatype).sample_bytes
    check_free_space(args.out, data_bytes + (duration_s * 48000 * 2 if args.audio else 0), "--out")
    progress = Progress("simulate")
    try:
        result = simulate(config, args.out, target_name, args.datatype, args.audio, progress=progress)
    finally:
        progress.close()
    cn0 = result.metadata["cn0_dbhz_at_closest_approach"]
    print(f"SIMULATED recording: {args.out} ({duration_s:.0f} s from {iso_utc(start, 'seconds')}, "
          f"{config.rate_sps:g} S/s {args.datatype}, centre {config.centre_hz:.0f} Hz; "
          f"{size_words(os.path.getsize(data_path))} of samples)")
    print(f"  {spec.name} at {args.freq:.0f} Hz + offset {args.offset:g} Hz, C/N0 at closest approach "
          f"{'-' if cn0 is None else f'{cn0:.1f}'} dB-Hz, {len(result.bursts)} transmissions"
          + (f"; audio: {args.audio} ({size_words(os.path.getsize(args.audio))})" if args.audio else ""))
    return 0


def size_words(size_bytes: int) -> str:
    """A file size as people read it (decimal units, as ``ls -lh --si`` and file managers give them).

    >>> size_words(127_104_000), size_words(2_650_000), size_words(880_000), size_words(12)
    ('127 MB', '2.6 MB', '880 kB', '12 bytes')
    """
    for unit, factor in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size_bytes >= factor:
            value = size_bytes / factor
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{size_bytes} bytes"
