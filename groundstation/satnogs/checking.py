"""``check`` on one SatNOGS observation: pick what its artefacts can show, and say what they cannot.

- A waterfall (HDF5 artefact or ``.dat``): the search of
  :mod:`groundstation.detection.waterfall_check`, with our element set's Doppler relative to the
  observation's own TLE.
- FM-discriminator audio only (an FM mode): a carrier there shows only as quieting of the receiver's
  noise, never as a line on a Doppler track, so the verdict is CANNOT TELL; the quieting measured is
  given (what the audio can tell).
- Audio of another mode, or only the waterfall picture: CANNOT TELL, saying so.

The answer is a plain dict (JSON), so a Dask worker can send it back and a campaign can cache it.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import numpy as np

from groundstation.detection.verdict import EXIT_CODES, cannot_tell
from groundstation.errors import UserError
from groundstation.orbits.elements import parse_tle_text
from groundstation.orbits.orbit import Tracker
from groundstation.orbits.targets import Target, choose_elements
from groundstation.satnogs.observation import Observation
from groundstation.timefmt import iso_utc

log = logging.getLogger(__name__)

QUIETING_BAND_HZ = (8000.0, 16000.0)  # FM discriminator noise rises with audio frequency: measured up here
QUIETING_WINDOW_S = 1.0
DEFAULT_DURATION_S = 600.0


def observation_set(observation: Observation):
    """The element set the station corrected the Doppler with (the observation's TLE), or None."""
    if not observation.tle_lines:
        return None
    sets = parse_tle_text("\n".join(observation.tle_lines), f"observation {observation.id} TLE")
    return sets[0] if sets else None


def _base(observation: Observation, target: Target) -> dict:
    return {
        "observation": observation.id,
        "folder": observation.folder,
        "satellite": target.name,
        "norad": target.norad,
        "start": None if observation.start is None else iso_utc(observation.start),
        "station_id": observation.station_id,
        "station": None if observation.station is None else
        [observation.station.latitude_deg, observation.station.longitude_deg, observation.station.altitude_m],
        "frequency_hz": observation.frequency_hz,
        "mode": observation.mode,
        "vetting": observation.vetting,
        "simulated": observation.simulated,
    }


def _finish(document: dict, verdict) -> dict:
    document.update(verdict=verdict.name, line=verdict.line, exit_code=verdict.exit_code)
    return document


def check_observation(observation: Observation, target: Target, store, min_elevation_deg: float = 0.0,
                      force: bool = False, freq_hz: float | None = None, search_bw_hz: float = 10e3) -> dict:
    """The verdict on ``observation`` for ``target`` (element sets from ``store``), as a JSON-ready dict;
    ``freq_hz`` +- ``search_bw_hz``: the rest frequencies to search (default: the whole waterfall)."""
    from groundstation.detection.waterfall_check import check_waterfall
    from groundstation.satnogs.artifact import read_artifact
    from groundstation.satnogs.datfile import read_dat

    started = time.perf_counter()
    document = _base(observation, target)
    waterfall, centre_hz = None, observation.frequency_hz
    if observation.artifact_path:
        artifact = read_artifact(observation.artifact_path)
        waterfall = artifact.waterfall
        centre_hz = centre_hz or artifact.frequency_hz
        document["artifact"] = observation.artifact_path
    elif observation.dat_path:
        waterfall, centre_hz = read_dat(observation.dat_path)
        centre_hz = observation.frequency_hz or centre_hz
        document["artifact"] = observation.dat_path
    png_header = None
    if waterfall is None and not observation.audio_path and observation.png_path:
        from groundstation.satnogs.png import read_png_header

        png_header = read_png_header(observation.png_path)  # only its header: the colours are not spectra
        if png_header is not None:
            document["png_header"] = {"start": iso_utc(png_header.start), "channels": png_header.channels,
                                      "rate_sps": png_header.rate_sps, "centre_hz": png_header.centre_hz}
    read_s = time.perf_counter() - started
    start = waterfall.start if waterfall is not None else observation.start or (png_header and png_header.start)
    if start is None:
        return _finish(document, cannot_tell("the observation's start time is unknown"))
    document["start"] = iso_utc(start)
    if observation.station is None:
        return _finish(document, cannot_tell("the station's location is unknown (no station_lat/station_lng)"))
    end = (start + timedelta(seconds=waterfall.duration_s) if waterfall is not None
           else observation.end or start + timedelta(seconds=DEFAULT_DURATION_S))
    choice = choose_elements(target, store, start, end, force)
    tracker = Tracker(choice.element_set, observation.station, target.name)
    document["element_set"] = choice.describe()
    document["element_set_uncertainty"] = choice.uncertainty()
    if waterfall is not None:
        if centre_hz is None:
            return _finish(document, cannot_tell("the observation frequency is unknown, so the waterfall's "
                                                 "channels cannot be placed"))
        obs_set = observation_set(observation)
        obs_tracker = None if obs_set is None else Tracker(obs_set, observation.station)
        if obs_tracker is None:
            log.warning("observation %s: no TLE in its record; taking the waterfall as not Doppler-corrected",
                        observation.id)
        result = check_waterfall(waterfall, centre_hz, obs_tracker, tracker, min_elevation_deg, freq_hz, search_bw_hz)
        document.update(result.to_json())
        document["satellite"] = target.name
        document["exit_code"] = EXIT_CODES[result.verdict.name]
        document["timing_s"] = {"read": round(read_s, 4), "search": round(time.perf_counter() - started - read_s, 4)}
        return document
    if observation.audio_path and observation.fm_audio:
        quieting = fm_quieting_db(observation.audio_path)
        document["audio"] = observation.audio_path
        document["quieting_db"] = None if quieting is None else round(quieting, 1)
        heard = "" if quieting is None else f" (its noise quieted by at most {quieting:.1f} dB)"
        return _finish(document, cannot_tell(
            f"only FM-discriminator audio ({observation.mode}){heard}: a carrier shows there only as quieting of "
            "the noise, never as a line on a Doppler track, so the audio can tell that something strong was in "
            "the receiver's passband, not whose signal it was nor how weak a carrier was ruled out"))
    if observation.audio_path:
        return _finish(document, cannot_tell(f"only audio ({observation.mode or 'mode unknown'}), no waterfall: "
                                             "this version searches waterfalls, not audio of this mode"))
    if observation.png_path:
        return _finish(document, cannot_tell("only the waterfall picture (PNG): its colours are not calibrated "
                                             "spectra; fetch the waterfall artefact (needs a SatNOGS DB token)"))
    return _finish(document, cannot_tell("no waterfall or audio in the observation's folder"))


def fm_quieting_db(path: str) -> float | None:
    """How far (dB) the discriminator's high-frequency noise dropped below its median, in 1 s windows:
    a strong FM carrier quiets it, noise alone does not. None when the audio is shorter than 3 windows."""
    from groundstation.recordings.audio_files import open_audio_file

    recording = open_audio_file(path)
    rate = recording.rate_sps
    window = int(QUIETING_WINDOW_S * rate)
    if rate < 2 * QUIETING_BAND_HZ[1]:
        return None
    powers = []
    for block in recording.blocks(window):
        samples = np.asarray(block.samples.real, dtype=np.float32)
        if len(samples) < window:
            break
        spectrum = np.abs(np.fft.rfft(samples)) ** 2
        freqs = np.fft.rfftfreq(len(samples), 1 / rate)
        band = (freqs >= QUIETING_BAND_HZ[0]) & (freqs < QUIETING_BAND_HZ[1])
        powers.append(float(np.mean(spectrum[band])))
    if len(powers) < 3:
        return None
    level_db = 10 * np.log10(np.maximum(powers, 1e-30))
    return float(np.median(level_db) - np.min(level_db))


def check_observation_safely(observation_path: str, target: Target, store, min_elevation_deg: float = 0.0,
                             force: bool = False) -> dict:
    """:func:`check_observation` on the observation in ``observation_path``; a bad file gives an ``ERROR``
    row (its message) instead of an exception, so one bad observation does not stop a campaign."""
    from groundstation.satnogs.observation import load_observation

    try:
        observation = load_observation(observation_path)
        return check_observation(observation, target, store, min_elevation_deg, force)
    except UserError as error:
        return {"folder": observation_path, "satellite": target.name, "norad": target.norad, "verdict": "ERROR",
                "line": f"ERROR: {error}", "exit_code": 2}
