"""``groundstation decode``: frames from a recording (IQ or audio) or a KISS file."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections import Counter
from datetime import timedelta

from groundstation.commands.common import (
    add_recording_options,
    add_station_options,
    elements_for,
    station_or_home,
    targets_from,
)
from groundstation.commands.progress import Progress
from groundstation.dsp.decoder import Decoder, run_decoder
from groundstation.dsp.modems import decodable
from groundstation.errors import UserError
from groundstation.orbits.orbit import Tracker
from groundstation.outputs.atomic import refuse_same_file
from groundstation.outputs.sinks import FORMATS, OpenSink
from groundstation.outputs.wording import counted
from groundstation.recordings.kissfile import KissStats, looks_like_kiss, read_kiss_file
from groundstation.recordings.readers import open_recording, recording_files
from groundstation.recordings.writers import add_sigmf_annotations
from groundstation.validation import OFFSET_HZ, finite_float

log = logging.getLogger(__name__)

DECODABLE = ["auto"] + [spec.name for spec in decodable()]
PROGRESS_MIN_S = 5.0
MIN_AUDIO_RATE_SPS = 9600

EXAMPLES = """examples:
  groundstation decode pass.wav                                   # receiver audio, every modem that fits
  groundstation decode pass.sigmf-meta --modem fsk9600-g3ruh --format jsonl --out frames.jsonl
  groundstation decode capture.cu8 --samplerate 240000 --center-freq 435e6 --offset 12000
  groundstation decode pass.sigmf-meta --sat Malligyong-1 --station 37.57,126.98   # follow the Doppler
  rtl_sdr -f 435e6 -s 240000 - | groundstation decode - --samplerate 240000
  groundstation decode frames.kiss --format pcap --out frames.pcap && tshark -r frames.pcap
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "decode",
        help="decode AX.25 frames from a recording or a KISS file",
        description="Decode AX.25 frames from IQ recordings (SigMF, raw, stereo WAV), receiver audio (mono WAV) "
        "or KISS files, and print them as TNC2 monitor lines (or jsonl, kiss, pcap). A summary goes to stderr.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", help="recording (.sigmf-meta, .wav, .cu8, .cs16, .cf32, ...), KISS file, or - (stdin)")
    parser.add_argument("--modem", nargs="+", default=["auto"], choices=DECODABLE, metavar="NAME",
                        help="modems to run side by side (default auto: all that fit the sample rate)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("--out", metavar="FILE", help="write frames to FILE instead of stdout ('-': stdout)")
    add_recording_options(parser)
    parser.add_argument("--iq", action="store_true", help="insist that the input is IQ (stereo WAV, raw IQ)")
    tuning = parser.add_argument_group("where the signal is (IQ inputs)")
    tuning.add_argument("--offset", type=finite_float("--offset", *OFFSET_HZ), default=0.0, metavar="HZ",
                        help="signal at centre + HZ (default 0); without --sat, +-12 kHz around it is searched")
    tuning.add_argument("--sat", metavar="NAME|NORAD", help="remove this satellite's Doppler (needs --station)")
    tuning.add_argument("--tle", action="append", default=[], metavar="FILE", help="element sets for --sat")
    tuning.add_argument("--force", action="store_true", help="use element sets far from their epoch")
    add_station_options(tuning, required=False)
    parser.add_argument("--no-repair", action="store_true", help="no soft-decision repair of failed frames")
    parser.add_argument("--sigmf-annotate", action="store_true",
                        help="add one annotation per decoded frame to the input's .sigmf-meta")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    refuse_same_file({"--out": args.out},
                     recording_files(args.input) + list(args.tle) + [args.station_file])
    if args.input != "-":
        if not os.path.exists(args.input) and not os.path.exists(args.input + "-meta"):
            raise UserError(f"cannot read {args.input!r}: no such file")
        if os.path.isdir(args.input):
            raise UserError(f"cannot read {args.input!r}: it is a directory")
        if looks_like_kiss(args.input):
            return run_kiss(args)
    return run_recording(args)


def run_kiss(args: argparse.Namespace) -> int:
    log.info("%s: a KISS file: its frames as they are (no timing, no level, no repair)", args.input)
    stats = KissStats()
    with OpenSink(args.format, args.out) as sink:
        for frame in read_kiss_file(args.input, stats):
            sink.write(frame)
    problems = stats.problems()
    summary = f"{counted(stats.frames, 'frame')} from the KISS file {args.input}" + (f"; {', '.join(problems)}" if problems else "")
    # The summary line of every decode (stderr), problems included; a KISS file has no timing, level or modem.
    print(f"groundstation: {summary}", file=sys.stderr)
    return 0


def doppler_correction(args: argparse.Namespace, recording):
    """The Doppler of --sat over the recording (seconds from its start -> Hz), or None without --sat."""
    if not args.sat:
        if args.station or args.station_file:
            log.warning("--station without --sat: no Doppler correction")
        return None
    station = station_or_home(args)
    if station is None:
        raise UserError("--sat needs --station (or --station-file, or a home station: groundstation config) "
                        "for the Doppler correction")
    if recording.start_time is None:
        raise UserError(f"{args.input}: the start time is unknown; give --start-time for the Doppler correction")
    if recording.centre_hz is None:
        raise UserError(f"{args.input}: the centre frequency is unknown; give --center-freq")
    (target,), store = targets_from(args)
    end = recording.start_time + timedelta(seconds=recording.duration_s or 3600.0)
    tracker = Tracker(elements_for(target, store, recording.start_time, end, args.force), station, target.name)
    curve = tracker.doppler_curve(recording.centre_hz + args.offset, recording.start_time)
    low_hz, high_hz = curve.extremes_hz(recording.duration_s or 600.0)
    log.info("Doppler of %s at %.0f Hz: %+.0f to %+.0f Hz", target.name, curve.freq_hz, low_hz, high_hz)
    return curve


def run_recording(args: argparse.Namespace) -> int:
    recording = open_recording(args.input, args.datatype, args.samplerate, args.center_freq, args.start_time)
    if args.iq and not recording.datatype.is_complex:
        raise UserError(f"{args.input}: --iq given, but this input is real (mono audio); drop --iq")
    if recording.datatype.is_complex and abs(args.offset) >= recording.rate_sps / 2:
        raise UserError(f"--offset {args.offset:g} Hz is outside the recorded band (+-{recording.rate_sps / 2:g} Hz "
                        f"around the centre at {recording.rate_sps:g} S/s); give an offset inside it")
    if args.sigmf_annotate and recording.kind != "sigmf":
        raise UserError("--sigmf-annotate needs a SigMF input (.sigmf-meta)")
    if not recording.is_complex and (args.sat or args.offset):
        log.warning("%s is audio: --sat and --offset apply to IQ recordings and are ignored", args.input)
    doppler = doppler_correction(args, recording) if recording.is_complex else None
    decoder = Decoder(recording.rate_sps, recording.is_complex, args.modem, args.offset, doppler,
                      repair=not args.no_repair)
    if decoder.audio_rate_sps < MIN_AUDIO_RATE_SPS:
        raise UserError(f"{args.input}: {recording.rate_sps:g} samples/s is too slow for any modem (AFSK 1200 needs "
                        f"{MIN_AUDIO_RATE_SPS} of audio); check --samplerate")
    log.info("%s: %s, %g samples/s, modems %s", args.input, recording.datatype.name, recording.rate_sps,
             ", ".join(spec.name for spec in decoder.specs))
    duration_s = recording.duration_s
    # Progress on a terminal for inputs longer than a few seconds; cleared before every frame printed on stdout.
    progress = Progress("decode", enabled=duration_s is None or duration_s > PROGRESS_MIN_S)
    to_stdout = args.out in (None, "-")
    decoded = []
    with progress, OpenSink(args.format, args.out) as sink:
        for frame in run_decoder(decoder, recording, progress):
            if to_stdout:
                progress.clear()
            sink.write(frame)
            decoded.append(frame)
    print(f"groundstation: {decoder.stats.summary()}", file=sys.stderr)
    if not decoded and args.modem != ["auto"] and recording.data_path is not None:
        hint = other_modems_hint(recording, args.modem, args.offset, doppler)
        if hint:
            print(f"groundstation: hint: {hint}", file=sys.stderr)
    if args.sigmf_annotate:
        add_sigmf_annotations(recording.path, recording.rate_sps, decoded)
    return 0


HINT_MAX_S = 600.0  # a recording longer than this is not decoded a second time for a hint


def other_modems_hint(recording, modems: list[str], offset_hz: float, doppler) -> str | None:
    """After 0 frames with the modems named: what every other modem that fits finds in the same file (the
    plain or G3RUH variant, another family), as a suggestion; None if nothing or the file is long."""
    if (recording.duration_s or HINT_MAX_S + 1) > HINT_MAX_S:
        return None
    decoder = Decoder(recording.rate_sps, recording.is_complex, ["auto"], offset_hz, doppler)
    frames = [frame for frame in run_decoder(decoder, recording) if frame.modem not in modems]
    if not frames:
        return None
    counts = Counter(frame.modem for frame in frames)
    best, count = counts.most_common(1)[0]
    return (f"0 frames with --modem {' '.join(modems)}, but {count} with {best} "
            f"({', '.join(f'{name}: {n}' for name, n in counts.most_common())}): try --modem {best}")
