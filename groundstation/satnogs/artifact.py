"""SatNOGS DB waterfall artefacts: HDF5, ``artifact_version`` 2.

The layout, as the station client writes it: root attributes
``artifact_version`` (2) and ``metadata`` (JSON: ``observation_id``,
``frequency`` in Hz as text, ``tle`` (three lines), ``location``
{``latitude``, ``longitude``, ``altitude``}); a group ``waterfall`` with the
attribute ``start_time`` (ISO UTC with microseconds) and the datasets ``data``
(uint8, rows x channels; dB = data x ``scale`` + ``offset``, both per
channel), ``relative_time`` (s), ``absolute_time`` and ``frequency``. Two
quirks: ``absolute_time`` is int64 *microseconds* since ``start_time``
(labelled seconds) and ``frequency`` is in *Hz* (labelled kHz).

>>> import os, tempfile, numpy as np
>>> from datetime import datetime, timezone
>>> from groundstation.satnogs.waterfall import SatnogsWaterfall
>>> power = np.random.default_rng(1).normal(-100, 3, (20, 1024)).astype(np.float32)
>>> waterfall = SatnogsWaterfall(datetime(2024, 6, 12, 14, 22, 0, 250000, tzinfo=timezone.utc),
...     np.arange(20) * 1024 * 5 / 48000, (np.arange(1024) - 512) * 48000 / 1024, power, 48000.0, 5, "")
>>> path = os.path.join(tempfile.mkdtemp(), "artifact.h5")
>>> write_artifact(path, waterfall, {"observation_id": 1234, "frequency": "435000000"})
>>> read = read_artifact(path)
>>> read.waterfall.ffts_per_row, read.waterfall.rate_sps, read.metadata["observation_id"], read.frequency_hz
(5, 48000.0, 1234, 435000000.0)
>>> error_db = np.abs(read.waterfall.power_db - power)   # 8 bits from mean - 2 to mean + 6 sigma; below is clipped
>>> bool(np.mean(error_db < 0.1) > 0.95)
True
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import numpy as np

from groundstation.errors import UserError
from groundstation.satnogs.waterfall import SatnogsWaterfall, ffts_per_row, validated
from groundstation.timefmt import parse_utc
from groundstation.validation import check_number, json_object

log = logging.getLogger(__name__)

ARTIFACT_VERSION = 2
#: The 8-bit compression the client uses: offset at mean - 2 sigma, full scale 8 sigma (per channel).
OFFSET_IN_STDS, SCALE_IN_STDS = -2.0, 8.0
MAX_METADATA_CHARS = 1 << 20


@dataclass
class Artifact:
    """A waterfall artefact: the waterfall and the metadata JSON (observation, frequency, TLE, location)."""

    waterfall: SatnogsWaterfall
    metadata: dict

    @property
    def frequency_hz(self) -> float | None:
        value = self.metadata.get("frequency")
        if value is None:
            return None
        return check_number(value, f"{self.waterfall.path}: metadata frequency", 1e3, 300e9, "Hz")


def _h5py(path: str):
    try:
        import h5py
    except ImportError:
        raise UserError(f"{path}: reading SatNOGS artefacts needs h5py: pip install 'groundstation[satnogs]'") from None
    return h5py


def read_artifact(path: str) -> Artifact:
    """The waterfall and metadata of an HDF5 artefact; :class:`UserError` for anything else or a bad value."""
    h5py = _h5py(path)
    try:
        with h5py.File(path, "r") as file:
            version = file.attrs.get("artifact_version")
            if version is None or _whole(version) != ARTIFACT_VERSION:
                raise UserError(f"{path}: artifact_version {version!r}; this reader knows version {ARTIFACT_VERSION}")
            metadata = _metadata(path, file.attrs.get("metadata"))
            if "waterfall" not in file:
                raise UserError(f"{path}: no 'waterfall' group (an artefact without a waterfall)")
            group = file["waterfall"]
            missing = [name for name in ("data", "offset", "scale", "relative_time", "absolute_time", "frequency")
                       if name not in group]
            if missing or "start_time" not in group.attrs:
                raise UserError(f"{path}: the waterfall group lacks {', '.join(missing or ['start_time'])}")
            start_text = group.attrs["start_time"]
            start_text = start_text.decode() if isinstance(start_text, bytes) else str(start_text)
            try:
                data = np.asarray(group["data"][()])
                offset = np.asarray(group["offset"][()], dtype=np.float64)
                scale = np.asarray(group["scale"][()], dtype=np.float64)
                relative = np.asarray(group["relative_time"][()], dtype=np.float64)
                absolute = np.asarray(group["absolute_time"][()])
                frequency = np.asarray(group["frequency"][()], dtype=np.float64)
                if not (np.issubdtype(data.dtype, np.number) and np.issubdtype(absolute.dtype, np.number)):
                    raise TypeError("data or absolute_time is not numbers")
            except (TypeError, ValueError) as error:  # a group, or text, where a dataset of numbers belongs
                raise UserError(f"{path}: the waterfall's datasets are not arrays of numbers ({error})") from None
    except OSError as error:
        raise UserError(f"{path}: not a readable HDF5 artefact ({error})") from None
    if relative.ndim != 1 or absolute.ndim != 1 or frequency.ndim != 1:
        raise UserError(f"{path}: relative_time, absolute_time and frequency must be lists (one value a row or "
                        "channel)")
    start = parse_utc(start_text, f"{path}: waterfall start_time")
    if data.ndim != 2 or offset.shape != (data.shape[1],) or scale.shape != (data.shape[1],):
        raise UserError(f"{path}: data {data.shape}, offset {offset.shape} and scale {scale.shape} do not match "
                        "(rows x channels, one offset and scale a channel)")
    if not (np.all(np.isfinite(offset)) and np.all(np.isfinite(scale))):
        raise UserError(f"{path}: the waterfall's offset or scale holds values that are not finite")
    if np.issubdtype(absolute.dtype, np.integer):
        times_s = absolute.astype(np.float64) / 1e6  # microseconds, whatever the label says
    else:
        log.info("%s: absolute_time is not integer microseconds; taken as seconds", path)
        times_s = absolute.astype(np.float64)
    if len(frequency) > 1 and float(frequency[-1] - frequency[0]) < 1000.0:
        log.info("%s: the channel frequencies span less than 1 kHz; taken as kHz", path)
        frequency = frequency * 1e3
    channels = data.shape[1]
    bin_hz = float(np.median(np.diff(frequency))) if channels > 1 else 0.0
    rate_sps = bin_hz * channels
    row_s = float(np.median(np.diff(relative))) if len(relative) > 1 else float(np.median(np.diff(times_s)))
    if not np.isfinite(row_s) or row_s <= 0:
        raise UserError(f"{path}: relative_time does not increase, so the row length is unknown")
    power_db = (data.astype(np.float32) * scale.astype(np.float32)[None, :] + offset.astype(np.float32)[None, :])
    waterfall = SatnogsWaterfall(start, times_s, frequency, power_db, rate_sps,
                                 ffts_per_row(rate_sps, channels, row_s) if rate_sps > 0 else 1, path)
    return Artifact(validated(waterfall), metadata)


def _whole(value) -> int | None:
    """An attribute's first value as a whole number, or None (text, NaN, empty)."""
    try:
        return int(np.asarray(value).ravel()[0])
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _metadata(path: str, raw) -> dict:
    if raw is None:
        return {}
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    if len(text) > MAX_METADATA_CHARS:
        raise UserError(f"{path}: the metadata attribute holds more than {MAX_METADATA_CHARS} characters")
    return json_object(text, f"{path}: the metadata attribute")


def compress_db(power_db: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(data uint8, offset, scale) per channel, as the client compresses a waterfall."""
    std = np.std(power_db, axis=0)
    std = np.where(std > 0, std, 1e-3)
    offset = np.mean(power_db, axis=0) + OFFSET_IN_STDS * std
    scale = SCALE_IN_STDS * std / 255.0
    data = np.clip(np.rint((power_db - offset) / scale), 0, 255).astype(np.uint8)
    return data, offset.astype(np.float32), scale.astype(np.float32)


def write_artifact(path: str, waterfall: SatnogsWaterfall, metadata: dict) -> None:
    """An artefact in the layout above (for tests and simulated campaigns), written atomically."""
    from groundstation.outputs.atomic import AtomicFile

    h5py = _h5py(path)
    data, offset, scale = compress_db(np.asarray(waterfall.power_db, dtype=np.float64))
    atomic = AtomicFile(path, "wb")
    atomic.file.close()
    try:
        with h5py.File(atomic.temporary, "w") as file:
            file.attrs["artifact_version"] = ARTIFACT_VERSION
            file.attrs["metadata"] = json.dumps(metadata)
            group = file.create_group("waterfall")
            group.attrs["start_time"] = waterfall.start.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            group.create_dataset("data", data=data, compression="gzip")
            group.create_dataset("offset", data=offset)
            group.create_dataset("scale", data=scale)
            row_s = waterfall.ffts_per_row * waterfall.channels / waterfall.rate_sps
            group.create_dataset("relative_time", data=np.arange(waterfall.rows) * row_s)
            group.create_dataset("absolute_time", data=np.rint(np.asarray(waterfall.times_s) * 1e6).astype(np.int64))
            group.create_dataset("frequency", data=np.asarray(waterfall.offsets_hz, dtype=np.float64))
        atomic.file = open(atomic.temporary, "ab")
        atomic.commit()
    except BaseException:
        atomic.discard()
        raise
