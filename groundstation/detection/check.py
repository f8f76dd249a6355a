"""Did this satellite transmit during this recording? Search, attribution, decoding, a verdict.

The steps, each in its own module: :mod:`~groundstation.detection.search`
plans the search and makes two passes over the recording (a raw search for any
signal, then a search along the satellite's predicted Doppler track);
:mod:`~groundstation.detection.attribution` traces what the raw search found
and says whose it is; the decoder runs on a detection;
:mod:`~groundstation.detection.verdict` words the answer. :class:`CheckResult`
holds all of it, typed, for the report and the JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from groundstation.detection.attribution import (
    UNIDENTIFIED,
    OtherSignal,
    attribute_strongest,
    attribute_track,
    candidate_trackers,
)
from groundstation.detection.data_signal import DataSignal
from groundstation.detection.search import (
    FRAME_S,
    MIN_DURATION_S,
    MIN_SEARCH_BINS,
    PFA_DETECT,
    SearchPlan,
    TrackFinding,
    plan_search,
    raw_pass,
    rest_band,
    track_pass,
)
from groundstation.detection.verdict import (
    CANNOT_TELL,
    NO_SIGNAL,
    NOT_THIS,
    TRANSMITTING,
    Verdict,
    cannot_tell,
    decide,
)
from groundstation.dsp.spectra import Waterfall
from groundstation.errors import UserError
from groundstation.orbits.orbit import Tracker
from groundstation.timefmt import iso_utc

__all__ = ["CANNOT_TELL", "NO_SIGNAL", "NOT_THIS", "TRANSMITTING", "CheckResult", "check_recording"]


@dataclass
class CheckResult:
    """Everything ``check`` found: the verdict, the numbers behind it, and what the report draws.

    ``plan``, ``finding`` and ``waterfall`` are None where the check stopped early (CANNOT TELL).
    """

    verdict: Verdict
    recording_path: str
    satellite: str
    norad: int
    element_set_epoch: datetime
    start: datetime | None
    plan: SearchPlan | None
    freq_hz: float | None  # what the user asked for (--freq), if anything
    searched_hz: tuple[float, float] | None  # absolute rest frequencies searched
    finding: TrackFinding | None
    other_signals: list[OtherSignal]
    waterfall: Waterfall | None
    simulated: bool
    frames: list = field(default_factory=list)
    report_paths: dict[str, str] | None = None
    min_elevation_deg: float = 0.0

    @property
    def line(self) -> str:
        return self.verdict.line

    @property
    def centre_hz(self) -> float | None:
        return None if self.plan is None else self.plan.centre_hz

    @property
    def detected(self) -> bool:
        return self.finding is not None and self.finding.detected

    @property
    def rest_freq_hz(self) -> float | None:
        """The best track's rest frequency (absolute), the detected transmitter's if any."""
        return None if self.finding is None else self.plan.centre_hz + self.finding.best_rest_hz

    @property
    def track_offsets_hz(self) -> np.ndarray | None:
        return None if self.finding is None else self.finding.track_offsets_hz(self.plan)

    @property
    def predicted_offsets_hz(self) -> np.ndarray | None:
        """Where a transmitter at the detected (or the asked-for) frequency would be, frame by frame."""
        if self.plan is None:
            return None
        centre = self.plan.centre_hz
        if self.detected:
            reference = self.finding.best_rest_hz
        elif self.freq_hz is not None:
            reference = self.freq_hz - centre
        else:
            return None
        return reference + (centre + reference) * self.plan.doppler_fraction

    def to_json(self) -> dict:
        """Every number, as ``check --format json`` and ``report.json`` give them."""
        plan, finding = self.plan, self.finding
        document = {
            "recording": self.recording_path,
            "satellite": self.satellite,
            "norad": self.norad,
            "element_set_epoch": iso_utc(self.element_set_epoch),
            "start": None if self.start is None else iso_utc(self.start),
            "duration_s": None if plan is None else round(plan.duration_s, 1),
            "centre_hz": None if plan is None else plan.centre_hz,
            "sample_rate_sps": None if plan is None else plan.rate_sps,
            "min_elevation_deg": self.min_elevation_deg,
            "seconds_searched": None if plan is None or finding is None else plan.seconds_above,
            "searched_hz": None if self.searched_hz is None else list(self.searched_hz),
            "max_elevation_deg": None if plan is None else round(float(np.max(plan.elevation_deg)), 1),
            "track": None,
            "upper_limit_cn0_dbhz": None,
            "other_signals": [signal.as_json() for signal in self.other_signals],
            "simulated": self.simulated,
            "frames": [{"t": round(frame.t, 3), "modem": frame.modem, "crc": frame.crc,
                        "monitor": frame.monitor_line()} for frame in self.frames],
            "verdict": self.verdict.name,
            "line": self.verdict.line,
            "exit_code": self.verdict.exit_code,
        }
        if finding is not None:
            best = finding.best
            document["track"] = {
                "pfa": finding.pfa,
                "detector": {"bursts": "bursts", "lines": "afsk1200 lines in bursts"}.get(finding.detector,
                                                                                         "energy over the pass"),
                "z": round(best.z, 2),
                "resolution_hz": best.level * plan.bin_hz,
                "rest_frequency_hz": self.rest_freq_hz,
                "offset_from_freq_hz": None if self.freq_hz is None else round(self.rest_freq_hz - self.freq_hz, 1),
                "cn0_dbhz": round(finding.cn0_dbhz, 1) if self.detected else None,
                "burst_pfa": None if finding.bursts is None else finding.bursts.pfa,
                "bursts_follow_doppler": None if finding.bursts is None else finding.bursts.follows_doppler,
                "lines_pfa": None if finding.lines is None else finding.lines.pfa,
            }
            document["upper_limit_cn0_dbhz"] = None if finding.limit_dbhz is None else round(finding.limit_dbhz, 1)
            if finding.data_signal is not None:
                signal = finding.data_signal
                document["data_signal"] = {
                    "modem": signal.modem, "burst_s": round(signal.burst_s, 3), "duty_cycle": signal.duty_cycle,
                    "upper_limit_cn0_dbhz": None if finding.data_limit_dbhz is None
                    else round(finding.data_limit_dbhz, 1),
                }
        if self.report_paths is not None:
            document["report"] = self.report_paths
        return document


def check_recording(recording, tracker: Tracker, store, names: dict[int, str], freq_hz: float | None = None,
                    search_bw_hz: float = 10e3, decode: bool = True, progress=None,
                    min_elevation_deg: float = 0.0, data_signal: DataSignal | None = None,
                    state_limits: bool = True) -> CheckResult:
    """Search ``recording`` for ``tracker``'s satellite (around ``freq_hz`` +- ``search_bw_hz`` if given), say
    whose any other signal is, decode a detection, and give the verdict.

    The verdict speaks only of what was searched: the frames in which the satellite is above
    ``min_elevation_deg`` and the part of the asked band that was recorded. Where nothing is left (the
    satellite below the horizon throughout, the band not recorded, no time or centre frequency, too short)
    the verdict is CANNOT TELL, with the reason. ``data_signal`` (``check --modem``): NO SIGNAL DETECTED also
    states the limit for that bursty data signal. ``state_limits=False`` skips the injection trials behind the
    limits (the verdict is decided before them; a benchmark counting false alarms needs only the verdict).

    ``progress(fraction, step)``, if given, is told how far each step is: "searching" (the band, then the
    Doppler track: 0 to 1 over both) and "decoding" (0 to 1 again).
    """
    if not recording.is_complex:
        raise UserError(f"{recording.path}: check needs an IQ recording (this one is real audio)")
    simulated = bool(recording.metadata.get("groundstation:simulated", False))

    def stop(reason: str, plan=None, waterfall=None, others=()) -> CheckResult:
        return CheckResult(cannot_tell(reason), recording.path, tracker.name, tracker.element_set.norad,
                           tracker.element_set.epoch, recording.start_time, plan, freq_hz, None, None, list(others),
                           waterfall, simulated, min_elevation_deg=min_elevation_deg)

    if recording.start_time is None:
        return stop("the recording's start time is unknown, so the satellite's Doppler track cannot be placed "
                    "(give --start-time)")
    if recording.centre_hz is None:
        return stop("the recording's centre frequency is unknown (give --center-freq)")
    if not recording.duration_s or recording.duration_s < MIN_DURATION_S:
        return stop(f"the recording is too short for a search ({recording.duration_s or 0:.1f} s; "
                    f"at least {MIN_DURATION_S:g} s)")
    plan = plan_search(recording, tracker, min_elevation_deg)
    if np.count_nonzero(plan.above) < MIN_DURATION_S / FRAME_S:
        return stop(f"{tracker.name} is below {min_elevation_deg:g} degrees of elevation for the whole recording "
                    f"(highest {float(np.max(plan.elevation_deg)):.1f} degrees), so no signal of it could be heard",
                    plan)
    start = recording.start_time

    waterfall, raw = raw_pass(recording, plan, _step(progress, "searching"))
    candidates = candidate_trackers(store, tracker.station, start, start + timedelta(seconds=plan.duration_s), names)
    if tracker.element_set.norad not in {c.element_set.norad for c in candidates}:
        candidates.append(tracker)
    others = attribute_strongest(raw, waterfall, plan.band_hz[0], plan.bin_hz, plan.centre_hz, plan.start_unix,
                                 tracker, candidates, PFA_DETECT)
    not_this = [signal for signal in others if not signal.belongs_to_target and signal.described != UNIDENTIFIED]

    rest = rest_band(plan, freq_hz, search_bw_hz)
    recorded_mhz = f"{(plan.centre_hz + plan.band_hz[0]) / 1e6:.4f} to {(plan.centre_hz + plan.band_hz[1]) / 1e6:.4f} MHz"
    if len(rest) < MIN_SEARCH_BINS:
        asked = (f"{(freq_hz - search_bw_hz) / 1e6:.4f} to {(freq_hz + search_bw_hz) / 1e6:.4f} MHz"
                 if freq_hz is not None else "the recorded band")
        return stop(f"the band searched ({asked}, with {tracker.name}'s Doppler) was not recorded: the recording "
                    f"holds {recorded_mhz}", plan, waterfall, others)
    finding = track_pass(recording, plan, rest, not_this, _step(progress, "searching"), data_signal, state_limits)
    if finding.detected and not others:
        # the raw search saw nothing (a carrier sweeping fast near the closest approach of a high pass): trace
        # the detection itself, and say whose Doppler curve it fits
        others = attribute_track(waterfall, plan.band_hz[0], plan.bin_hz, plan.centre_hz, plan.start_unix,
                                 plan.frame_times_unix, finding.track_offsets_hz(plan), finding.pfa, finding.best.z,
                                 tracker, candidates)
    frames = (_decode(recording, tracker, plan.centre_hz + finding.best_rest_hz, _step(progress, "decoding"))
              if finding.detected and decode else [])
    searched_hz = (float(plan.centre_hz + rest[0]), float(plan.centre_hz + rest[-1]))
    covered = _coverage(plan, freq_hz, search_bw_hz, searched_hz, min_elevation_deg)
    verdict = decide(tracker.name, finding.detected, plan.centre_hz + finding.best_rest_hz, finding.cn0_dbhz,
                     finding.pfa, frames, not_this, finding.limit_dbhz, searched_hz, covered,
                     data_limit=None if finding.data_limit_dbhz is None
                     else (data_signal.describe(), finding.data_limit_dbhz))
    return CheckResult(verdict, recording.path, tracker.name, tracker.element_set.norad, tracker.element_set.epoch,
                       start, plan, freq_hz, searched_hz, finding, others, waterfall, simulated, frames,
                       min_elevation_deg=min_elevation_deg)


def _coverage(plan: SearchPlan, freq_hz: float | None, search_bw_hz: float, searched_hz: tuple[float, float],
              min_elevation_deg: float) -> str:
    """What of the time and band asked for was searched, in words."""
    parts = [f"{plan.seconds_above:.0f} s above {min_elevation_deg:g} degrees of elevation"
             + (f" of {plan.duration_s:.0f} s recorded" if plan.seconds_above < plan.duration_s - FRAME_S else "")]
    if freq_hz is not None and searched_hz[1] - searched_hz[0] < 2 * search_bw_hz - 4 * plan.bin_hz:
        parts.append(f"only {searched_hz[0] / 1e6:.4f} to {searched_hz[1] / 1e6:.4f} MHz of the band asked for was "
                     "recorded")
    return "; ".join(parts)


def _step(progress, name: str):
    """``progress`` as a one-argument callable for one named step (None stays None)."""
    if progress is None:
        return None
    return lambda fraction: progress(fraction, name)


def _decode(recording, tracker: Tracker, rest_freq_hz: float, progress=None):
    """Decode with the satellite's Doppler at the detected frequency removed."""
    from groundstation.dsp.decoder import Decoder, run_decoder

    doppler_hz = tracker.doppler_curve(rest_freq_hz, recording.start_time)
    decoder = Decoder(recording.rate_sps, True, ["auto"], rest_freq_hz - recording.centre_hz, doppler_hz)
    return list(run_decoder(decoder, recording, progress))
