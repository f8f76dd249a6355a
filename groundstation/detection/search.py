"""The two passes of ``check`` over a recording, each frame a 0.5 s spectrum normalised to its noise floor.

1. :func:`raw_pass`: a waterfall for people, and a search for any signal at all
   (128 Hz groups, allowed to move a group a frame, so a low-orbit Doppler
   curve and a fixed carrier are both followed).
2. :func:`track_pass`: the spectra shifted by the satellite's predicted Doppler
   (scaled to each frequency), so a transmitter of unknown frequency stays in
   one bin give or take a slow drift; energy is integrated along that track at
   resolutions from 2 Hz (a carrier) to 8 kHz (an FM data signal). Signals that
   pass 1 attributed to something else are masked first.

The detection statistic is the track's score against the scores of all other
positions (their median and spread), with a false-alarm probability that counts
every position and resolution searched.

A bursty data beacon (on the air a few per cent of the time) loses most of its
energy in that average; :mod:`~groundstation.detection.bursts` looks for it as
energy a few kHz wide that comes and goes at one rest frequency of the track,
and :mod:`~groundstation.detection.line_bursts` looks for an AFSK 1200 beacon's
spectral lines, frame by frame, along every drifting track. Any search
detecting gives TRANSMITTING.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace

import numpy as np

from groundstation.detection.attribution import OtherSignal
from groundstation.detection.burst_limit import data_limit_dbhz
from groundstation.detection.bursts import (
    BurstFinding,
    BurstRecorder,
    burst_centroid_groups,
    burst_search,
    covered_frames,
)
from groundstation.detection.data_signal import DataSignal
from groundstation.detection.limit import StripRecorder, calibrated_limit_dbhz
from groundstation.detection.line_bursts import LineFinding, LineRecorder, line_search
from groundstation.dsp.spectra import SpectralFrames, Waterfall
from groundstation.dsp.track import TrackSearch
from groundstation.errors import UserError
from groundstation.orbits.orbit import Tracker

log = logging.getLogger(__name__)

FRAME_S = 0.5
MIN_DURATION_S = 4 * FRAME_S
MIN_SEARCH_BINS = 64
# The false-alarm probability computed from a Gaussian fit of the off-track scores is optimistic (the
# dynamic-programming scores have a heavier tail). At 1e-4 it gave 3 TRANSMITTING verdicts in 200 fresh
# noise-only passes (2026-11-27, seeds 507501-507600 and 507751-507850); 240 training passes (seeds 880100-880379)
# gave smallest values of 1.2e-4, 2.0e-4, 2.2e-4 and 8.9e-4 (about 2 % below 3e-4, so perhaps 1 % below 1e-4): a
# decade lower, at the cost of about 0.3 dB for a carrier. tests/benchmarks/bench_check.py measures the rate on
# fresh seeds.
PFA_DETECT = 1e-5
# The burst search's threshold (its probability counts every channel and window; the Monte Carlo null with an
# exponential tail over-states the noise's tail): see bursts.py and the benchmark's false-alarm figure.
PFA_BURST = 1e-3
# The AFSK line search's threshold: its probability is exact for one track on noise (the scores made Gaussian by
# rank) times the tracks searched; on 30 training noise passes its smallest value was 2e-3 (seeds 9101-9130).
PFA_LINES = 1e-3
EDGE_FRACTION = 0.05  # of the band at each edge, where the receiver's filter rolls off
RAW_LEVELS = (64, 512)
MASK_HALF_WIDTH_BINS = 96
LIMIT_SEED = 20261127  # the injection trials of the limit: the same for every run, so a check is repeatable


@dataclass(frozen=True)
class SearchPlan:
    """What both passes share: the spectra, the frame times and the satellite's Doppler at each."""

    spectra: SpectralFrames
    rate_sps: float
    centre_hz: float
    start_unix: float
    duration_s: float
    frame_times_unix: np.ndarray
    elevation_deg: np.ndarray
    doppler_fraction: np.ndarray
    above: np.ndarray  # frames in which the satellite is above the minimum elevation: the time searched
    lo: int  # the band's usable bins (the receiver filter's edges left out)
    hi: int
    block_samples: int

    @property
    def frame_count(self) -> int:
        return len(self.frame_times_unix)

    @property
    def seconds_above(self) -> float:
        return float(np.count_nonzero(self.above)) * FRAME_S

    @property
    def bin_hz(self) -> float:
        return self.spectra.bin_hz

    @property
    def band_hz(self) -> tuple[float, float]:
        """The usable band's first and last bin, relative to the centre."""
        return float(self.spectra.freqs_hz[self.lo]), float(self.spectra.freqs_hz[self.hi - 1])


def plan_search(recording, tracker: Tracker, min_elevation_deg: float = 0.0) -> SearchPlan:
    """The spectra and frame times of ``recording`` (at least :data:`MIN_DURATION_S` long), and where the
    satellite is in each frame."""
    duration_s = recording.duration_s
    spectra = SpectralFrames(recording.rate_sps, FRAME_S)
    start_unix = recording.start_time.timestamp()
    frame_times = start_unix + (np.arange(int(duration_s / FRAME_S)) + 0.5) * FRAME_S
    look = tracker.look(frame_times)
    edge = int(EDGE_FRACTION * spectra.size)
    return SearchPlan(spectra, recording.rate_sps, recording.centre_hz, start_unix, duration_s, frame_times,
                      look.elevation_deg, tracker.doppler_fraction(frame_times), look.elevation_deg >= min_elevation_deg,
                      edge, spectra.size - edge, spectra.size * max(1, int(2**20 // spectra.size)))


def raw_pass(recording, plan: SearchPlan, progress=None) -> tuple[Waterfall, TrackSearch]:
    """The waterfall, and the search for any signal at all."""
    lo, hi = plan.lo, plan.hi
    waterfall = Waterfall(hi - lo)
    raw = TrackSearch(hi - lo, levels=RAW_LEVELS, dp_levels=(), expected_frames=plan.frame_count)
    for t_s, power in _frames(recording, plan, progress, 0.0, 0.5):
        waterfall.add(t_s, power[lo:hi])
        raw.add(_normalise(power, lo, hi)[lo:hi])
    return waterfall, raw


def rest_band(plan: SearchPlan, freq_hz: float | None, search_bw_hz: float) -> np.ndarray:
    """The rest frequencies to search (relative to the centre): ``freq_hz`` +- ``search_bw_hz``, or the whole
    band, less what leaves the recorded band at some moment when the satellite is above the minimum elevation.

    Empty when nothing of the asked band was recorded all that time.
    """
    bin_hz, centre = plan.bin_hz, plan.centre_hz
    low_hz, high_hz = plan.band_hz
    if freq_hz is not None:
        rest = np.arange(freq_hz - centre - search_bw_hz, freq_hz - centre + search_bw_hz, bin_hz)
        if len(rest) < MIN_SEARCH_BINS:
            raise UserError(f"--search-bw {search_bw_hz:g} Hz is too narrow: at least "
                            f"{MIN_SEARCH_BINS * bin_hz / 2:g} Hz (+-{MIN_SEARCH_BINS // 2} bins of {bin_hz:g} Hz)")
    else:
        rest = np.arange(low_hz, high_hz, bin_hz)
    fraction = plan.doppler_fraction[plan.above]
    if len(fraction) == 0:
        return rest[:0]
    lowest = rest + (centre + rest) * fraction.min()
    highest = rest + (centre + rest) * fraction.max()
    return rest[(lowest >= low_hz) & (highest <= high_hz)]


@dataclass
class TrackFinding:
    """The best track of the on-track search: where, how strong, how likely noise; and the search's limit."""

    rest_hz: np.ndarray  # the rest frequencies searched, relative to the centre
    search: TrackSearch
    best: object  # the TrackSearch result at the finest resolution where the detection stands
    best_rest_hz: float  # the transmitter's rest frequency relative to the centre
    wideband: bool  # a data signal (energy spread over kHz), located by its centroid
    cn0_dbhz: float
    limit_dbhz: float | None  # calibrated by injection; None when the search detected
    bursts: BurstFinding | None = None  # the burst search (data signals that come and go)
    burst_groups: np.ndarray | None = None  # its input: on-track power in groups, frames x groups
    data_signal: DataSignal | None = None  # the data signal asked about (check --modem), if any
    data_limit_dbhz: float | None = None  # its limit, calibrated by injection; None when the search detected
    lines: LineFinding | None = None  # the AFSK line search (a beacon's spectral lines, burst by burst)

    @property
    def detector(self) -> str | None:
        """Which search detected: ``energy`` (integrated over the pass), ``bursts`` (energy a few kHz wide that
        comes and goes: a data beacon), ``lines`` (an AFSK beacon's spectral lines, burst by burst), or None."""
        if self.best.pfa < PFA_DETECT:
            return "energy"
        if self.bursts is not None and self.bursts.pfa < PFA_BURST and self.bursts.follows_doppler:
            return "bursts"
        if self.lines is not None and self.lines.pfa < PFA_LINES and self.lines.follows_doppler:
            return "lines"
        return None

    @property
    def by_bursts(self) -> bool:
        """Detected by a burst search only (bursts or lines; not by the energy integrated over the pass)."""
        return self.detector in ("bursts", "lines")

    @property
    def detected(self) -> bool:
        return self.detector is not None

    @property
    def pfa(self) -> float:
        """The false-alarm probability of the search that detected (of the pass-integrated one if none did)."""
        return {"bursts": self.bursts, "lines": self.lines}.get(self.detector, self.best).pfa

    def track_offsets_hz(self, plan: SearchPlan) -> np.ndarray | None:
        """The detected track (received frequency relative to the centre, frame by frame; NaN where the
        satellite was not searched), or None."""
        if not self.detected:
            return None
        centre, fraction = plan.centre_hz, plan.doppler_fraction[plan.above]
        if self.best.path_groups is not None and not self.wideband and not self.by_bursts:
            rest = self.rest_hz[0] + (self.best.path_groups + 0.5) * self.best.level * plan.bin_hz - 0.5 * plan.bin_hz
        else:
            rest = self.best_rest_hz
        offsets = np.full(plan.frame_count, np.nan)
        offsets[plan.above] = rest + (centre + rest) * fraction
        return offsets


def track_pass(recording, plan: SearchPlan, rest: np.ndarray, masks: list[OtherSignal], progress=None,
               data_signal: DataSignal | None = None, state_limits: bool = True) -> TrackFinding:
    """Energy along the predicted Doppler track of every rest frequency, other signals masked; and bursts of
    energy a few kHz wide at any rest frequency. With nothing found, the limits: for a carrier, and for
    ``data_signal`` if given."""
    size, bin_hz, centre = plan.spectra.size, plan.bin_hz, plan.centre_hz
    lo, hi = plan.lo, plan.hi
    frames_above = int(np.count_nonzero(plan.above))
    on_track = TrackSearch(len(rest), expected_frames=frames_above)
    strips = StripRecorder(len(rest), frames_above, np.random.default_rng(LIMIT_SEED))
    bursts = BurstRecorder(len(rest), bin_hz, frames_above)
    lines = LineRecorder(len(rest), bin_hz, frames_above)
    # The Doppler rate at each frame (the same to 1 part in 10^4 across the band), removed within the frame.
    chirp_hz_per_s = centre * np.gradient(plan.doppler_fraction, FRAME_S) if plan.frame_count > 1 else None
    for index, (_, power) in enumerate(_frames(recording, plan, progress, 0.5, 1.0, chirp_hz_per_s)):
        if index >= plan.frame_count:
            break
        if not plan.above[index]:
            continue
        normalised = _normalise(power, lo, hi)
        for signal in masks:  # its trace, at this frame's time
            offset_hz = float(np.interp(plan.frame_times_unix[index], signal.times_unix, signal.freqs_hz)) - centre
            position = int(round(offset_hz / bin_hz)) + size // 2
            normalised[max(0, position - MASK_HALF_WIDTH_BINS) : position + MASK_HALF_WIDTH_BINS] = 1.0
        received = rest + (centre + rest) * plan.doppler_fraction[index]
        where = np.rint(received / bin_hz).astype(np.int64) + size // 2
        row = normalised[np.clip(where, lo, hi - 1)]  # rest_band keeps every track in the band
        on_track.add(row)
        strips.add(row)
        bursts.add(row)
        lines.add(row)
    best = _refined(on_track, on_track.best())
    best_rest_hz = float(rest[0] + best.position_bins * bin_hz)
    wideband = best.pfa < PFA_DETECT and _is_wideband(on_track, best)
    # C/N0 averaged over the recording: the energy of the whole signal (a data signal: within +-8 kHz; a
    # carrier: its 16 or 128 Hz group, which hold its drift and the window's leakage), per frame, times the bin width.
    if wideband:
        energy = _excess_energy(on_track, best.position_bins)
        # A data signal: its FM spectrum is symmetric about the carrier, so the centroid is the carrier
        # (its strongest line, found at fine resolution, may be a sideband).
        best_rest_hz = float(rest[0] + _centroid_bins(on_track, best.position_bins) * bin_hz)
    else:
        energy = max(on_track.result(level, around=int(best.position_bins // level)).excess_per_frame()
                     for level in (8, CENTROID_LEVEL) if level in on_track.levels)
    burst_finding = burst_search(bursts.rows, bursts.group_bins * bin_hz)
    if burst_finding is not None and burst_finding.pfa < PFA_BURST:
        burst_finding = _doppler_checked(burst_finding, plan, rest, bursts.group_bins * bin_hz)
    line_finding = line_search(lines)
    line_rest_hz = None if line_finding is None else float(rest[0] + line_finding.carrier_bins * bin_hz)
    if line_finding is not None and line_finding.pfa < PFA_LINES:
        line_finding = _line_doppler_checked(line_finding, plan, line_rest_hz)
    finding = TrackFinding(rest, on_track, best, best_rest_hz, wideband, 0.0, None, burst_finding, bursts.rows,
                           lines=line_finding)
    if finding.detector == "bursts":
        # found by the burst search alone: a data signal, located by the centre of its bursts' spectrum, its
        # C/N0 the excess energy of the frames it stood out in, averaged over the pass like the other figures
        wideband = True
        group_bins = bursts.group_bins
        centre_groups = burst_centroid_groups(bursts.rows, burst_finding)
        best_rest_hz = float(rest[0] + (centre_groups + 0.5) * group_bins * bin_hz - 0.5 * bin_hz)
        energy = _burst_energy(bursts.rows, burst_finding.burst_windows, burst_finding.window_frames,
                               burst_finding.centre_groups, burst_finding.width_groups) * group_bins
    elif finding.detector == "lines":
        # an AFSK beacon, located by its carrier line (at the middle of the time searched); its C/N0 the excess
        # energy within +-5 kHz of the frames its track stood out in, averaged over the pass
        wideband = True
        best_rest_hz = line_rest_hz
        group_bins = bursts.group_bins
        centre_groups = (line_finding.carrier_bins + 0.5) / group_bins - 0.5
        half_width_groups = LINE_HALF_WIDTH_HZ / (group_bins * bin_hz)
        energy = _burst_energy(bursts.rows, line_finding.burst_frames, 1, centre_groups, half_width_groups) * group_bins
    elif wideband and _lines_agree(line_finding, line_rest_hz, best_rest_hz):
        # an AFSK beacon strong enough for the pass average: its carrier line, found to a few Hz, places it
        # better than the centroid of its energy (which was more than 1.5 kHz off in 5 of 50 at 30 dB-Hz)
        best_rest_hz = line_rest_hz
    finding.best_rest_hz, finding.wideband = best_rest_hz, wideband
    finding.cn0_dbhz = 10 * math.log10(max(energy * bin_hz, 1e-3))
    finding.data_signal = data_signal
    if not finding.detected and state_limits:
        finding.limit_dbhz = calibrated_limit_dbhz(strips, on_track, bin_hz, PFA_DETECT)
        if data_signal is not None and burst_finding is not None:
            finding.data_limit_dbhz = data_limit_dbhz(bursts.rows, bursts.group_bins * bin_hz, FRAME_S,
                                                      (hi - lo) * bin_hz, data_signal, PFA_BURST)
    return finding


def _burst_energy(groups_matrix: np.ndarray, windows: np.ndarray, window_frames: int, centre_groups: float,
                  half_width_groups: float) -> float:
    """Excess power (in group units, per frame, averaged over the pass) of the frames where a burst search's
    candidate stood out, summed over +-``half_width_groups`` around it (an FM data signal's skirts included)."""
    frames, groups = groups_matrix.shape
    if not len(windows):
        return 0.0
    rows = covered_frames(windows, window_frames, frames)
    lo = max(0, int(centre_groups - half_width_groups))
    hi = min(groups, int(centre_groups + half_width_groups) + 1)
    floor = np.median(groups_matrix[:, lo:hi], axis=0)
    excess = (groups_matrix[rows, lo:hi] - floor).sum()
    return max(float(excess), 0.0) / frames


def _doppler_checked(finding: BurstFinding, plan: SearchPlan, rest: np.ndarray, group_hz: float) -> BurstFinding:
    """The finding, marked as not following the Doppler curve when the satellite's Doppler moved less than the
    channel's width between the frames the bursts stood out in: bursts from a fixed frequency (a terrestrial
    station) would have stood out in the same frames, so they are no evidence of the satellite."""
    frames_searched = np.flatnonzero(plan.above)
    rows = covered_frames(finding.burst_windows, finding.window_frames, len(frames_searched))
    rest_hz = rest[0] + (finding.centre_groups + 0.5) * group_hz
    doppler_hz = (plan.centre_hz + rest_hz) * plan.doppler_fraction[frames_searched[rows]]
    moved_hz = float(np.ptp(doppler_hz)) if len(doppler_hz) else 0.0
    if moved_hz >= finding.width_groups * group_hz:
        return finding
    log.info("bursts at %.0f Hz stood out while the Doppler moved %.0f Hz: as consistent with a fixed frequency",
             rest_hz, moved_hz)
    return replace(finding, follows_doppler=False)


LINE_HALF_WIDTH_HZ = 5000.0  # an AFSK 1200 signal on FM (3 kHz deviation): its energy for the C/N0 figure
LINE_FIXED_HZ = 8.0  # a line track whose frames' Doppler is this close to a straight line could be a fixed signal


def _lines_agree(finding: LineFinding | None, line_rest_hz: float | None, placed_hz: float) -> bool:
    """Whether the line search detected (on the Doppler track) a carrier, at ``line_rest_hz``, within
    :data:`LINE_HALF_WIDTH_HZ` of ``placed_hz``, where the pass average put a wideband signal: the same AFSK
    beacon, better placed by its line."""
    return (finding is not None and finding.pfa < PFA_LINES and finding.follows_doppler
            and abs(line_rest_hz - placed_hz) < LINE_HALF_WIDTH_HZ)


def _line_doppler_checked(finding: LineFinding, plan: SearchPlan, rest_hz: float) -> LineFinding:
    """The finding, marked as not following the Doppler curve when the satellite's Doppler, over the frames its
    track stood out in, departs from a straight line in time by less than :data:`LINE_FIXED_HZ`: a fixed
    frequency (a terrestrial station) seen on the track would then look like a linear drift."""
    frames_searched = np.flatnonzero(plan.above)
    rows = finding.burst_frames[finding.burst_frames < len(frames_searched)]
    doppler_hz = (plan.centre_hz + rest_hz) * plan.doppler_fraction[frames_searched[rows]]
    if len(rows) >= 3:
        times_s = plan.frame_times_unix[frames_searched[rows]] - plan.start_unix
        residual_hz = doppler_hz - np.polyval(np.polyfit(times_s, doppler_hz, 1), times_s)
        if float(np.max(np.abs(residual_hz))) >= LINE_FIXED_HZ:
            return finding
    log.info("AFSK lines at %.0f Hz: the Doppler over its frames is as consistent with a fixed frequency", rest_hz)
    return replace(finding, follows_doppler=False)


def _normalise(power: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Power / noise floor (median of the band, 1 on average for noise: chi-squared, 2 degrees of freedom)."""
    floor = np.median(power[lo:hi:4]) / math.log(2)
    return power / max(floor, 1e-30)


def _frames(recording, plan: SearchPlan, progress, first_fraction: float, last_fraction: float,
            chirp_hz_per_s: np.ndarray | None = None):
    """One pass over the recording: (frame centre, power spectrum) pairs; progress from first to last fraction.

    ``chirp_hz_per_s``: the Doppler rate to remove within each frame (the on-track pass)."""
    spectra_pass = SpectralFrames(plan.rate_sps, FRAME_S, chirp_hz_per_s)
    for block in recording.blocks(plan.block_samples):
        yield from spectra_pass.process(block.samples)
        if progress:
            done = min(1.0, block.end_s / plan.duration_s)
            progress(first_fraction + (last_fraction - first_fraction) * done)


WIDE_RATIO = 2.0  # a signal with twice the energy within 8 kHz as within 512 Hz of its strongest line is wideband
CENTROID_LEVEL = 64
CENTROID_HALF_WIDTH_BINS = 4096  # +-8 kHz at 2 Hz bins: an FM data signal's spectrum
NEAR_HALF_WIDTH_BINS = 256  # +-512 Hz: a drifting carrier's neighbourhood


def _excess_energy(search: TrackSearch, position_bins: float, half_width_bins: int = CENTROID_HALF_WIDTH_BINS) -> float:
    """Signal energy (bin units, per frame) above the noise within +-half_width_bins (default +-8 kHz) of a
    position, at 128 Hz resolution."""
    scores = search.scores[CENTROID_LEVEL]
    result = search.result(CENTROID_LEVEL)
    centre = int(position_bins // CENTROID_LEVEL)
    span = half_width_bins // CENTROID_LEVEL
    window = scores[max(0, centre - span) : centre + span + 1]
    significant = window[window > result.noise_mean + 3 * result.noise_std]
    return float(np.sum(significant - result.noise_mean)) / max(search.frames, 1) * CENTROID_LEVEL


def _is_wideband(search: TrackSearch, best) -> bool:
    """Most of the signal's energy lies outside its strongest line (an FM data signal, not a carrier)."""
    if CENTROID_LEVEL not in search.levels:
        return False
    around = _excess_energy(search, best.position_bins)
    # a carrier drifting a few hundred Hz stays within +-512 Hz; an FM data signal spreads over kHz
    near = _excess_energy(search, best.position_bins, NEAR_HALF_WIDTH_BINS)
    log.debug("wideband test: energy within 8 kHz %.2f, within 512 Hz %.2f", around, near)
    return around > WIDE_RATIO * max(near, 1e-9)


def _centroid_bins(search: TrackSearch, position_bins: float, iterations: int = 3) -> float:
    """Centre of the excess energy (at 64-bin resolution) within +-8 kHz, re-centred a few times so that a
    strong sideband line to one side does not pull the window with it."""
    scores = search.scores[CENTROID_LEVEL]
    excess = np.maximum(scores - np.median(scores), 0.0)
    span = CENTROID_HALF_WIDTH_BINS // CENTROID_LEVEL
    for _ in range(iterations):
        centre = int(position_bins // CENTROID_LEVEL)
        lo, hi = max(0, centre - span), min(len(scores), centre + span + 1)
        weights = excess[lo:hi]
        if weights.sum() <= 0:
            break
        groups = np.arange(lo, hi)
        position_bins = float(((groups + 0.5) * CENTROID_LEVEL - 0.5) @ weights / weights.sum())
    return position_bins


def _refined(search: TrackSearch, best):
    """The finest resolution at which the detection still stands, around where it was found: a data signal is
    detected in wide groups, but its carrier line (or the middle of its spectrum) pins the frequency down."""
    if best.pfa >= PFA_DETECT:
        return best
    for level in sorted(level for level in search.levels if level < best.level):
        around = int(best.position_bins // level)
        finer = search.result(level, around=around)
        if finer.pfa * len(search.levels) < PFA_DETECT and abs(finer.position_bins - best.position_bins) <= best.level:
            return finer
    return best
