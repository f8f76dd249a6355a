"""One SatNOGS observation on disk: its metadata (the network API's record) and the artefacts beside it.

``satnogs fetch`` makes one folder an observation: ``metadata.json`` (the
record, with ``files``: name -> bytes), the waterfall artefact
(``artifact_<id>.h5``), the audio (``satnogs_<id>_<start>.ogg``) and the
waterfall picture (``waterfall_<id>_...png``). ``check`` also takes a single
artefact, whose own metadata names the observation, frequency, TLE and station.

>>> import json, os, tempfile
>>> folder = tempfile.mkdtemp()
>>> record = {"id": 9183756, "start": "2024-06-12T14:22:01Z", "end": "2024-06-12T14:32:01Z",
...           "station_lat": 37.57, "station_lng": 126.98, "station_alt": 38, "ground_station": 42,
...           "tle0": "0 MALLIGYONG-1", "tle1": "1 ...", "tle2": "2 ...", "observation_frequency": 435000000,
...           "transmitter_mode": "FM", "waterfall_status": "without-signal"}
>>> with open(os.path.join(folder, "metadata.json"), "w") as file:
...     json.dump(record, file)
>>> observation = load_observation(folder)
>>> observation.id, observation.frequency_hz, observation.station.latitude_deg, observation.vetting
(9183756, 435000000.0, 37.57, 'without-signal')
>>> observation.fm_audio, observation.artifact_path is None
(True, True)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime

from groundstation.errors import UserError
from groundstation.orbits.station import Station
from groundstation.timefmt import parse_utc
from groundstation.validation import (
    ALTITUDE_M,
    LATITUDE_DEG,
    LONGITUDE_DEG,
    RADIO_FREQ_HZ,
    check_number,
    read_limited,
    require_type,
)

METADATA_NAME = "metadata.json"
MAX_METADATA_BYTES = 1 << 20
#: Modes whose SatNOGS audio is the FM discriminator's output (a carrier shows as quieting, not as a tone).
FM_AUDIO_MODES = ("FM", "AFSK", "FSK", "GFSK", "GMSK", "MSK", "APT")
VETTING = ("with-signal", "without-signal", "unknown")


@dataclass
class Observation:
    """What ``check`` needs of an observation: times, station, the TLE the station used, the frequency."""

    id: int
    folder: str
    start: datetime | None
    end: datetime | None
    station: Station | None
    station_id: int | None
    tle_lines: tuple[str, ...] | None
    frequency_hz: float | None
    mode: str | None
    vetting: str | None
    simulated: bool = False
    artifact_path: str | None = None
    dat_path: str | None = None
    png_path: str | None = None
    audio_path: str | None = None
    record: dict = field(default_factory=dict, repr=False)

    @property
    def fm_audio(self) -> bool:
        """The audio is FM-discriminator audio (an FM mode)."""
        return bool(self.mode) and self.mode.upper().split()[0].startswith(FM_AUDIO_MODES)


def _number(record: dict, key: str, where: str, low, high, unit: str = "", integer: bool = False):
    value = record.get(key)
    if value is None:
        return None
    return check_number(value, f"{where}: {key}", low, high, unit, integer=integer)


def observation_from_record(record: dict, folder: str, where: str) -> Observation:
    """An :class:`Observation` from the API's record (every field checked; absent fields are None)."""
    require_type(record, dict, where, "a JSON object (one observation of the SatNOGS network API)")
    identifier = _number(record, "id", where, 1, 10**12, integer=True)
    if identifier is None:
        raise UserError(f"{where}: no observation id")
    start = parse_utc(str(record["start"]), f"{where}: start") if record.get("start") else None
    end = parse_utc(str(record["end"]), f"{where}: end") if record.get("end") else None
    latitude = _number(record, "station_lat", where, *LATITUDE_DEG)
    longitude = _number(record, "station_lng", where, *LONGITUDE_DEG)
    altitude = _number(record, "station_alt", where, *ALTITUDE_M) or 0.0
    station = None if latitude is None or longitude is None else Station(latitude, longitude, altitude)
    lines = tuple(str(record[key]) for key in ("tle0", "tle1", "tle2") if record.get(key))
    frequency = _number(record, "observation_frequency", where, *RADIO_FREQ_HZ)
    if frequency is None:
        frequency = _number(record, "transmitter_downlink_low", where, *RADIO_FREQ_HZ)
    vetting = record.get("waterfall_status")
    if vetting is not None and vetting not in VETTING:
        vetting = "unknown"
    mode = record.get("transmitter_mode")
    return Observation(int(identifier), folder, start, end, station,
                       _number(record, "ground_station", where, 0, 10**9, integer=True),
                       lines if len(lines) >= 2 else None, None if frequency is None else float(frequency),
                       str(mode) if mode else None, vetting, bool(record.get("groundstation:simulated", False)),
                       record=record)


def _read_json(path: str) -> dict:
    try:
        data = read_limited(path, MAX_METADATA_BYTES, path, "a SatNOGS observation record is a few kB")
    except OSError as error:
        raise UserError(f"{path}: cannot read ({error.strerror})") from None
    try:
        return json.loads(data)
    except ValueError:
        raise UserError(f"{path}: not JSON") from None
    except RecursionError:
        raise UserError(f"{path}: not a SatNOGS observation record (JSON nested too deep)") from None


def _attach_files(observation: Observation, folder: str) -> None:
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name.startswith(".") or not os.path.isfile(path):
            continue
        lower = name.lower()
        if lower.endswith((".h5", ".hdf5")):
            observation.artifact_path = observation.artifact_path or path
        elif lower.endswith(".dat"):
            observation.dat_path = observation.dat_path or path
        elif lower.endswith(".png") and lower.startswith("waterfall"):  # the network's name; not a plot of ours
            observation.png_path = observation.png_path or path
        elif lower.endswith((".ogg", ".oga", ".flac", ".wav")):
            observation.audio_path = observation.audio_path or path


def is_observation(path: str) -> bool:
    """A folder with ``metadata.json``, or an artefact file (``.h5``)."""
    if os.path.isdir(path):
        return os.path.isfile(os.path.join(path, METADATA_NAME))
    return path.lower().endswith((".h5", ".hdf5"))


def load_observation(path: str) -> Observation:
    """The observation in ``path``: a folder (``metadata.json`` and its artefacts) or one artefact (``.h5``)."""
    if os.path.isdir(path):
        metadata_path = os.path.join(path, METADATA_NAME)
        if not os.path.isfile(metadata_path):
            raise UserError(f"{path}: no {METADATA_NAME}; a SatNOGS observation folder holds the network's record "
                            "of it (groundstation satnogs fetch makes them)")
        observation = observation_from_record(_read_json(metadata_path), path, metadata_path)
        _attach_files(observation, path)
        return observation
    if not os.path.isfile(path):
        raise UserError(f"{path}: no such file or folder")
    folder = os.path.dirname(os.path.abspath(path))
    if path.lower().endswith((".h5", ".hdf5")):
        beside = os.path.join(folder, METADATA_NAME)
        if os.path.isfile(beside):
            observation = observation_from_record(_read_json(beside), folder, beside)
        else:
            observation = _from_artifact(path)
        observation.artifact_path = path
        return observation
    raise UserError(f"{path}: not a SatNOGS observation (give its folder, or its .h5 artefact)")


def _from_artifact(path: str) -> Observation:
    """An observation described only by an artefact's own metadata."""
    from groundstation.satnogs.artifact import read_artifact

    artifact = read_artifact(path)
    metadata = artifact.metadata
    where = f"{path}: metadata"
    location = metadata.get("location") or {}
    require_type(location, dict, f"{where} location", "an object with latitude, longitude, altitude")
    tle = metadata.get("tle")
    lines = tuple(line for line in str(tle).splitlines() if line.strip()) if tle else None
    record = {"id": metadata.get("observation_id"), "station_lat": location.get("latitude"),
              "station_lng": location.get("longitude"), "station_alt": location.get("altitude"),
              "observation_frequency": artifact.frequency_hz}
    if lines and len(lines) >= 2:
        record.update(dict(zip(("tle0", "tle1", "tle2") if len(lines) == 3 else ("tle1", "tle2"), lines)))
    observation = observation_from_record(record, os.path.dirname(os.path.abspath(path)), where)
    observation.start = artifact.waterfall.start
    return observation
