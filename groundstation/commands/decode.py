"""``groundstation decode``: frames from a recording (IQ or audio) or a KISS file."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

import numpy as np

from groundstation.commands.common import (
    add_recording_options,
    add_station_options,
    station_from,
    targets_from,
)
from groundstation.dsp.decoder import Decoder, run_decoder
from groundstation.dsp.modems import MODEMS
from groundstation.errors import UserError
from groundstation.recordings.kissfile import KissStats, looks_like_kiss, read_kiss_file
from groundstation.commands.progress import Progress
from groundstation.recordings.readers import open_recording
from groundstation.outputs.sinks import FORMATS, OpenSink

log = logging.getLogger(__name__)

DECODABLE = ["auto"] + [name for name, spec in MODEMS.items() if spec.carries_frames]
PROGRESS_MIN_S = 5.0

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
    tuning.add_argument("--offset", type=float, default=0.0, metavar="HZ",
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
    if args.input != "-":
        if not os.path.exists(args.input) and not os.path.exists(args.input + "-meta"):
            raise UserError(f"cannot read {args.input!r}: no such file")
        if os.path.isdir(args.input):
            raise UserError(f"cannot read {args.input!r}: it is a directory")
        if looks_like_kiss(args.input):
            return run_kiss(args)
    return run_recording(args)


def run_kiss(args: argparse.Namespace) -> int:
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


def doppler_function(args: argparse.Namespace, recording):
    """``t_s -> Doppler Hz`` for --sat over the recording's absolute time, or None."""
    if not args.sat:
        if args.station or args.station_file:
            log.warning("--station without --sat: no Doppler correction")
        return None
    if not (args.station or args.station_file):
        raise UserError("--sat needs --station (or --station-file) for the Doppler correction")
    if recording.start_time is None:
        raise UserError(f"{args.input}: the start time is unknown; give --start-time for the Doppler correction")
    if recording.centre_hz is None:
        raise UserError(f"{args.input}: the centre frequency is unknown; give --center-freq")
    from datetime import timedelta

    from groundstation.orbits.orbit import Tracker
    from groundstation.orbits.targets import select_elements

    (target,), store = targets_from(args)
    duration_s = recording.duration_s or 3600.0
    end = recording.start_time + timedelta(seconds=duration_s)
    tracker = Tracker(select_elements(target, store, recording.start_time, end, args.force), station_from(args),
                      target.name)
    freq_hz = recording.centre_hz + args.offset
    grid_s = np.arange(0.0, duration_s + 2.0, 1.0)
    doppler_grid = tracker.doppler_hz(freq_hz, recording.start_time.timestamp() + grid_s)
    log.info("Doppler of %s at %.0f Hz: %+.0f to %+.0f Hz", target.name, freq_hz, doppler_grid.min(), doppler_grid.max())
    return lambda t_s: np.interp(t_s, grid_s, doppler_grid)


def run_recording(args: argparse.Namespace) -> int:
    recording = open_recording(args.input, args.datatype, args.samplerate, args.center_freq, args.start_time)
    if args.iq and not recording.datatype.is_complex:
        raise UserError(f"{args.input}: --iq given, but this input is real (mono audio); drop --iq")
    if args.sigmf_annotate and recording.kind != "sigmf":
        raise UserError("--sigmf-annotate needs a SigMF input (.sigmf-meta)")
    doppler = doppler_function(args, recording) if recording.datatype.is_complex else None
    decoder = Decoder(recording.rate_sps, recording.datatype.is_complex, args.modem, recording.start_time,
                      args.offset, doppler, repair=not args.no_repair)
    log.info("%s: %s, %g samples/s, modems %s", args.input, recording.datatype.name, recording.rate_sps,
             ", ".join(spec.name for spec in decoder.specs))
    duration_s = recording.duration_s
    progress = Progress("decode") if duration_s is None or duration_s > PROGRESS_MIN_S else None
    decoded = []
    try:
        with OpenSink(args.format, args.out) as sink:
            for frame in run_decoder(decoder, recording, progress):
                sink.write(frame)
                decoded.append(frame)
    finally:
        if progress:
            progress.close()
    print(f"groundstation: {decoder.stats.summary()}", file=sys.stderr)
    if args.sigmf_annotate:
        annotate_sigmf(recording, decoded)
    return 0


def annotate_sigmf(recording, frames) -> None:
    """Add one ``core:label`` annotation per decoded frame to the input's metadata (rewritten whole)."""
    with open(recording.path, encoding="utf-8") as file:
        document = json.load(file)
    annotations = document.setdefault("annotations", [])
    for number, frame in enumerate(frames, 1):
        annotations.append({
            "core:sample_start": int(round(frame.t * recording.rate_sps)),
            "core:sample_count": 1,
            "core:label": f"decoded {number}: {frame.monitor_line()[:60]}",
            "groundstation:decoded": True,
            "groundstation:crc": frame.crc,
            "groundstation:modem": frame.modem,
            "groundstation:hex": frame.raw.hex(),
        })
    annotations.sort(key=lambda annotation: annotation.get("core:sample_start", 0))
    temporary = recording.path + ".part"
    with open(temporary, "w", encoding="utf-8") as file:
        json.dump(document, file, indent=1)
    os.replace(temporary, recording.path)
    log.info("%s: %d annotations added", recording.path, len(frames))
