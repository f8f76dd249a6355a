"""``groundstation check``: did this satellite transmit during this recording?"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import timedelta

from groundstation.commands.common import (
    add_recording_options,
    add_satellite_options,
    add_station_options,
    elements_for,
    station_from,
    targets_from,
)
from groundstation.commands.progress import Progress
from groundstation.detection.data_signal import DataSignal
from groundstation.detection.verdict import CANNOT_TELL, EXIT_CODES
from groundstation.errors import UserError
from groundstation.orbits.catalog import load_catalog
from groundstation.orbits.orbit import Tracker
from groundstation.outputs.atomic import refuse_same_file
from groundstation.outputs.tables import json_safe
from groundstation.recordings.readers import open_recording, recording_files
from groundstation.validation import RADIO_FREQ_HZ, finite_float

#: check holds spectra of 0.5 s at the full rate: about 100 MB a MS/s, so ~350 MB at this rate (an RTL-SDR's top).
MAX_RATE_SPS = 3.2e6
#: A pass lasts minutes; hours of recording (a satellite's Doppler and spectra for every 0.5 s) cost memory.
MAX_DURATION_S = 6 * 3600.0

EXAMPLES = """examples:
  groundstation check pass.sigmf-meta --sat Malligyong-1 --station 37.57,126.98 --freq 435e6 --report out/
  groundstation check capture.cu8 --samplerate 2.4e6 --center-freq 436e6 --start-time 2024-06-12T14:22:00Z \\
      --sat 58400 --station 37.57,126.98 --format json

verdicts and exit codes (2: bad input):
  0  TRANSMITTING                     energy on the satellite's predicted Doppler track (C/N0, false alarms)
  3  NO SIGNAL DETECTED               with the C/N0 upper limit, for the band and time searched (with
                                      --modem, also the limit for that bursty data signal)
  4  SIGNAL NOT FROM THIS SATELLITE   a signal is there, but it follows another satellite or no Doppler at all
  5  CANNOT TELL                      the recording cannot answer (satellite below the horizon, band not
                                      recorded, no start time or centre frequency, too short), with why
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="did this satellite transmit during this recording?",
        description="Search an IQ recording for energy that follows the satellite's predicted Doppler curve, "
        "attribute any signal found, try to decode it, and give a verdict.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("recording", help="an IQ recording (.sigmf-meta, .cu8, .cs16, .cf32, stereo .wav), or a "
                        "SatNOGS observation (its folder from satnogs fetch, or its .h5 waterfall artefact)")
    add_satellite_options(parser)
    add_station_options(parser)
    parser.add_argument("--freq", type=finite_float("--freq", *RADIO_FREQ_HZ), metavar="HZ",
                        help="expected downlink frequency (default: search the whole recorded band)")
    parser.add_argument("--search-bw", type=finite_float("--search-bw", 1.0, 50e6, "Hz"), default=10e3, metavar="HZ",
                        help="with --freq: search +-HZ around it (default 10000)")
    parser.add_argument("--min-elevation", type=finite_float("--min-elevation", -90.0, 89.0, "degrees"), default=0.0,
                        metavar="DEG",
                        help="search only while the satellite is at least DEG above the horizon (default 0)")
    parser.add_argument("--modem", metavar="NAME",
                        help="also state the limit for this bursty FM data signal when nothing is found "
                        "(afsk1200, fsk1200, fsk9600-g3ruh, ...: a beacon of 92 bytes)")
    parser.add_argument("--duty-cycle", type=finite_float("--duty-cycle", 1e-4, 1.0, ""), metavar="FRACTION",
                        help="with --modem: the fraction of the time it is on the air (default: one beacon every 10 s)")
    parser.add_argument("--report", metavar="DIR", help="write waterfall.png, elevation.png, report.json, report.html")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--no-decode", action="store_true", help="skip the decode attempt")
    add_recording_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from groundstation.detection.check import check_recording
    from groundstation.satnogs.observation import is_observation

    if is_observation(args.recording):
        from groundstation.commands.satnogs_check import run_satnogs_check

        return run_satnogs_check(args)
    extension = os.path.splitext(args.recording)[1].lower()
    if extension in (".dat", ".png") and not args.datatype and os.path.isfile(args.recording):
        raw = "; for a raw IQ .dat give --datatype" if extension == ".dat" else ""
        raise UserError(f"{args.recording}: a SatNOGS waterfall {extension} is checked in its observation folder: "
                        f"give the folder (with metadata.json; satnogs fetch makes it){raw}")

    report_files = {f"--report ({name})": os.path.join(args.report, name) if args.report else None
                    for name in ("waterfall.png", "elevation.png", "report.json", "report.html")}
    refuse_same_file(report_files, recording_files(args.recording) + list(args.tle) + [args.station_file])
    if args.report == "":
        raise UserError("--report: the folder name is empty; give a name")
    if args.report and os.path.exists(args.report) and not os.path.isdir(args.report):
        raise UserError(f"--report: {args.report!r} is a file; give a folder name")
    recording = open_recording(args.recording, args.datatype, args.samplerate, args.center_freq, args.start_time)
    if not recording.is_complex:
        raise UserError(f"{args.recording}: check needs an IQ recording (this one is real audio)")
    if (recording.duration_s or 0) > MAX_DURATION_S:
        raise UserError(f"{args.recording}: {recording.duration_s / 3600:.1f} hours is longer than check handles "
                        f"({MAX_DURATION_S / 3600:g} h: its memory grows with the length); cut the recording to the "
                        "pass (groundstation passes tells when it is)")
    if recording.rate_sps > MAX_RATE_SPS:
        raise UserError(f"{args.recording}: {recording.rate_sps:g} S/s is more than check handles ({MAX_RATE_SPS:g} S/s: "
                        "its memory grows by about 100 MB a MS/s); decimate the recording first")
    if args.duty_cycle is not None and not args.modem:
        raise UserError("--duty-cycle needs --modem (the data signal whose limit to state)")
    data_signal = DataSignal.of(args.modem, args.duty_cycle) if args.modem else None
    (target,), store = targets_from(args)
    station = station_from(args)
    if recording.start_time is None:
        line = (f"{CANNOT_TELL}: {args.recording}: the start time is unknown, so {target.name}'s Doppler track "
                "cannot be placed (give --start-time)")
        if args.format == "json":
            json.dump({"recording": args.recording, "satellite": target.name, "verdict": CANNOT_TELL, "line": line,
                       "exit_code": EXIT_CODES[CANNOT_TELL]}, sys.stdout, indent=2)
            print()
        else:
            print(line)
        return EXIT_CODES[CANNOT_TELL]
    end = recording.start_time + timedelta(seconds=recording.duration_s or 0)
    tracker = Tracker(elements_for(target, store, recording.start_time, end, args.force), station, target.name)
    names = {entry.norad: entry.name for entry in load_catalog().entries if entry.norad}
    # On a terminal: the step running ("searching", "decoding", "writing the report") and its progress.
    with Progress("check") as progress:
        result = check_recording(recording, tracker, store, names, args.freq, args.search_bw,
                                 decode=not args.no_decode, progress=progress, min_elevation_deg=args.min_elevation,
                                 data_signal=data_signal)
        if args.report:
            from groundstation.detection.report import write_report

            progress(None, "writing the report")
            result.report_paths = write_report(result, args.report)
    if args.format == "json":
        json.dump(json_safe(result.to_json()), sys.stdout, indent=2, allow_nan=False, default=str)
        print()
    else:
        for frame in result.frames:
            print(f"  frame: {frame.monitor_line()}")
        print(result.line)
        if args.report:
            print(f"report: {result.report_paths['html']}")
    return result.verdict.exit_code
