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
    candidate_trackers,
)
from groundstation.detection.search import (
    PFA_DETECT,
    SearchPlan,
    TrackFinding,
    plan_search,
    raw_pass,
    rest_band,
    track_pass,
)
from groundstation.detection.verdict import (
    NO_SIGNAL,
    NOT_THIS,
    TRANSMITTING,
    Verdict,
    decide,
)
from groundstation.dsp.spectra import Waterfall
from groundstation.errors import UserError
from groundstation.orbits.orbit import Tracker
from groundstation.timefmt import iso_utc

__all__ = ["NO_SIGNAL", "NOT_THIS", "TRANSMITTING", "CheckResult", "check_recording"]


@dataclass
class CheckResult:
    """Everything ``check`` found: the verdict, the numbers behind it, and what the report draws."""

    verdict: Verdict
    recording_path: str
    satellite: str
    norad: int
    element_set_epoch: datetime
    start: datetime
    plan: SearchPlan
    freq_hz: float | None  # what the user asked for (--freq), if anything
    searched_hz: tuple[float, float]  # absolute rest frequencies searched
    finding: TrackFinding
    other_signals: list[OtherSignal]
    waterfall: Waterfall
    simulated: bool
    frames: list = field(default_factory=list)
    report_paths: dict[str, str] | None = None

    @property
    def line(self) -> str:
        return self.verdict.line

    @property
    def centre_hz(self) -> float:
        return self.plan.centre_hz

    @property
    def detected(self) -> bool:
        return self.finding.detected

    @property
    def rest_freq_hz(self) -> float:
        """The detected transmitter's rest frequency (absolute)."""
        return self.plan.centre_hz + self.finding.best_rest_hz

    @property
    def track_offsets_hz(self) -> np.ndarray | None:
        return self.finding.track_offsets_hz(self.plan)

    @property
    def predicted_offsets_hz(self) -> np.ndarray | None:
        """Where a transmitter at the detected (or the asked-for) frequency would be, frame by frame."""
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
        plan, best = self.plan, self.finding.best
        document = {
            "recording": self.recording_path,
            "satellite": self.satellite,
            "norad": self.norad,
            "element_set_epoch": iso_utc(self.element_set_epoch),
            "start": iso_utc(self.start),
            "duration_s": round(plan.duration_s, 1),
            "centre_hz": plan.centre_hz,
            "sample_rate_sps": plan.rate_sps,
            "searched_hz": list(self.searched_hz),
            "max_elevation_deg": round(float(np.max(plan.elevation_deg)), 1),
            "track": {
                "pfa": best.pfa,
                "z": round(best.z, 2),
                "resolution_hz": best.level * plan.bin_hz,
                "rest_frequency_hz": self.rest_freq_hz,
                "offset_from_freq_hz": None if self.freq_hz is None else round(self.rest_freq_hz - self.freq_hz, 1),
                "cn0_dbhz": round(self.finding.cn0_dbhz, 1) if self.detected else None,
            },
            "upper_limit_cn0_dbhz": round(self.finding.limit_dbhz, 1),
            "other_signals": [signal.as_json() for signal in self.other_signals],
            "simulated": self.simulated,
            "frames": [{"t": round(frame.t, 3), "modem": frame.modem, "crc": frame.crc,
                        "monitor": frame.monitor_line()} for frame in self.frames],
            "verdict": self.verdict.name,
            "line": self.verdict.line,
        }
        if self.report_paths is not None:
            document["report"] = self.report_paths
        return document


def check_recording(recording, tracker: Tracker, store, names: dict[int, str], freq_hz: float | None = None,
                    search_bw_hz: float = 10e3, decode: bool = True, progress=None) -> CheckResult:
    """Search ``recording`` for ``tracker``'s satellite (around ``freq_hz`` +- ``search_bw_hz`` if given), say
    whose any other signal is, decode a detection, and give the verdict."""
    if not recording.is_complex:
        raise UserError(f"{recording.path}: check needs an IQ recording (this one is real audio)")
    if recording.start_time is None or recording.centre_hz is None:
        raise UserError(f"{recording.path}: check needs the start time and centre frequency "
                        "(--start-time, --center-freq)")
    plan = plan_search(recording, tracker)
    start = recording.start_time

    waterfall, raw = raw_pass(recording, plan, progress)
    candidates = candidate_trackers(store, tracker.station, start, start + timedelta(seconds=plan.duration_s), names)
    if tracker.element_set.norad not in {c.element_set.norad for c in candidates}:
        candidates.append(tracker)
    others = attribute_strongest(raw, waterfall, plan.band_hz[0], plan.bin_hz, plan.centre_hz, plan.start_unix,
                                 tracker, candidates, PFA_DETECT)
    not_this = [signal for signal in others if not signal.belongs_to_target and signal.described != UNIDENTIFIED]

    rest = rest_band(plan, freq_hz, search_bw_hz)
    finding = track_pass(recording, plan, rest, not_this, progress)
    frames = _decode(recording, tracker, plan.centre_hz + finding.best_rest_hz) if finding.detected and decode else []
    searched_hz = (float(plan.centre_hz + rest[0]), float(plan.centre_hz + rest[-1]))
    verdict = decide(tracker.name, finding.detected, plan.centre_hz + finding.best_rest_hz, finding.cn0_dbhz,
                     finding.best.pfa, frames, not_this, finding.limit_dbhz, searched_hz)
    return CheckResult(verdict, recording.path, tracker.name, tracker.element_set.norad, tracker.element_set.epoch,
                       start, plan, freq_hz, searched_hz, finding, others, waterfall,
                       bool(recording.metadata.get("groundstation:simulated", False)), frames)


def _decode(recording, tracker: Tracker, rest_freq_hz: float):
    """Decode with the satellite's Doppler at the detected frequency removed."""
    from groundstation.dsp.decoder import Decoder, run_decoder

    doppler_hz = tracker.doppler_curve(rest_freq_hz, recording.start_time)
    decoder = Decoder(recording.rate_sps, True, ["auto"], rest_freq_hz - recording.centre_hz, doppler_hz)
    return list(run_decoder(decoder, recording))
