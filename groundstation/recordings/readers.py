"""Read what hobbyists have on disk (SigMF, WAV, raw IQ, stdin) as a stream of :class:`Block`.

Reading is chunked (plain reads of fixed size), so memory does not grow with
the file. Sample rate, centre frequency and start time come from the metadata
where the format carries them, else from the file name (SDR++, SDR#, HDSDR
conventions), else from the caller's options.

>>> parse_datatype("ci16_le").sample_bytes
4
>>> guess_from_filename("baseband_435000000Hz_12-30-00_05-06-2024.wav")
(435000000.0, datetime.datetime(2024, 6, 5, 12, 30, tzinfo=datetime.timezone.utc), True)
"""

from __future__ import annotations

import json
import logging
import os
import re
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

import numpy as np

from groundstation.errors import UserError
from groundstation.recordings.block import Block
from groundstation.timefmt import parse_utc
from groundstation.validation import (
    RADIO_FREQ_HZ,
    SAMPLE_RATE_SPS,
    check_number,
    json_number,
    read_limited,
    require_type,
)

log = logging.getLogger(__name__)

DEFAULT_BLOCK_SAMPLES = 1 << 16
#: SigMF metadata larger than this is refused (it is read whole; a day of annotations is far less).
MAX_META_BYTES = 64 << 20

_COMPONENT_TYPES = {
    "f32": np.float32, "f64": np.float64, "i8": np.int8, "i16": np.int16, "i32": np.int32,
    "u8": np.uint8, "u16": np.uint16, "u32": np.uint32,
}
_DATATYPE_PATTERN = re.compile(r"^([rc])(f32|f64|i8|i16|i32|u8|u16|u32)(?:_(le|be))?$")

#: Raw files: extension -> SigMF datatype.
RAW_EXTENSIONS = {
    ".cu8": "cu8", ".cs8": "ci8", ".ci8": "ci8", ".cs16": "ci16_le", ".ci16": "ci16_le",
    ".cf32": "cf32_le", ".fc32": "cf32_le", ".cfile": "cf32_le", ".raw": "cf32_le", ".iq": "cf32_le",
}


@dataclass(frozen=True)
class Datatype:
    """A SigMF ``core:datatype``: real or complex, component type and byte order."""

    name: str
    is_complex: bool
    component: np.dtype

    @property
    def sample_bytes(self) -> int:
        return self.component.itemsize * (2 if self.is_complex else 1)

    @property
    def is_float(self) -> bool:
        return self.component.kind == "f"

    def to_float(self, raw: np.ndarray) -> np.ndarray:
        """Components as read -> complex64 (IQ) or float32 (real), integers scaled to about +-1 (in place on
        one float32 copy: faster than a look-up table for cu8, whose index conversion costs more).

        >>> parse_datatype("cu8").to_float(np.array([0, 255, 255, 0], np.uint8)).tolist()
        [(-1+1j), (1-1j)]
        """
        kind = self.component.kind
        values = raw.astype(np.float32)
        if kind == "u":
            half = float(np.iinfo(self.component).max) / 2.0
            np.subtract(values, half, out=values)
            np.divide(values, half, out=values)
        elif kind == "i":
            values /= float(np.iinfo(self.component).max)
        if self.is_complex:
            return values.view(np.complex64) if values.flags.c_contiguous else values[0::2] + 1j * values[1::2]
        return values


def parse_datatype(name: str) -> Datatype:
    match = _DATATYPE_PATTERN.match(name.strip().lower())
    if not match:
        raise UserError(
            f"unknown datatype {name!r}: use a SigMF name such as cf32_le, ci16_le, ci8, cu8, rf32_le, ri16_le"
        )
    kind, component, order = match.groups()
    dtype = np.dtype(_COMPONENT_TYPES[component])
    if dtype.itemsize > 1:
        dtype = dtype.newbyteorder("<" if order != "be" else ">")
    return Datatype(name=name.strip().lower(), is_complex=kind == "c", component=dtype)


_HZ_PATTERN = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(hz|khz|mhz)(?![a-z])", re.IGNORECASE)
_COMPACT_TIME = re.compile(r"(\d{8})_(\d{6})(z?)", re.IGNORECASE)  # SDR#, HDSDR: 20240605_123000Z
_SDRPP_TIME = re.compile(r"(\d{2})-(\d{2})-(\d{2})_(\d{2})-(\d{2})-(\d{4})")  # SDR++: 12-30-00_05-06-2024


def guess_from_filename(path: str) -> tuple[float | None, datetime | None, bool]:
    """(centre_hz, start_time, time_zone_assumed) from SDR++/SDR#/HDSDR file names."""
    name = os.path.basename(path)
    centre_hz = None
    match = _HZ_PATTERN.search(name)
    if match:
        scale = {"hz": 1.0, "khz": 1e3, "mhz": 1e6}[match.group(2).lower()]
        centre_hz = float(match.group(1)) * scale
    start = None
    assumed = False
    if match := _SDRPP_TIME.search(name):
        hour, minute, second, day, month, year = (int(value) for value in match.groups())
        start, assumed = _safe_datetime(year, month, day, hour, minute, second), True
    elif match := _COMPACT_TIME.search(name):
        date_text, time_text, zulu = match.groups()
        start = _safe_datetime(int(date_text[:4]), int(date_text[4:6]), int(date_text[6:]),
                               int(time_text[:2]), int(time_text[2:4]), int(time_text[4:]))
        assumed = not zulu
    return centre_hz, start, assumed and start is not None


def _safe_datetime(*parts: int) -> datetime | None:
    try:
        return datetime(*parts, tzinfo=timezone.utc)
    except ValueError:
        return None


@dataclass
class Recording:
    """An opened input. :meth:`blocks` streams it; the fields say what it holds."""

    path: str
    kind: str  # sigmf | wav | raw | stdin
    datatype: Datatype
    rate_sps: float
    centre_hz: float | None
    start_time: datetime | None
    data_path: str | None
    data_offset: int = 0
    data_bytes: int | None = None
    metadata: dict = field(default_factory=dict)
    annotations: list = field(default_factory=list)

    @property
    def sample_count(self) -> int | None:
        return None if self.data_bytes is None else self.data_bytes // self.datatype.sample_bytes

    @property
    def is_complex(self) -> bool:
        return self.datatype.is_complex

    @property
    def duration_s(self) -> float | None:
        count = self.sample_count
        return None if count is None else count / self.rate_sps

    def blocks(self, block_samples: int = DEFAULT_BLOCK_SAMPLES) -> Iterator[Block]:
        """The samples in blocks of ``block_samples`` (the last may be shorter)."""
        if self.data_path is None:
            yield from self._blocks_from(sys.stdin.buffer, block_samples)
            return
        try:
            file = open(self.data_path, "rb")
        except OSError as error:
            raise UserError(f"cannot read {self.data_path!r}: {error.strerror}") from None
        with file:
            file.seek(self.data_offset)
            yield from self._blocks_from(file, block_samples)

    def _blocks_from(self, stream: BinaryIO, block_samples: int) -> Iterator[Block]:
        sample_bytes = self.datatype.sample_bytes
        remaining = self.data_bytes
        position = 0
        while remaining is None or remaining > 0:
            want = block_samples * sample_bytes if remaining is None else min(block_samples * sample_bytes, remaining)
            chunk = _read_fully(stream, want)
            if not chunk:
                break
            if remaining is not None:
                remaining -= len(chunk)
            whole = len(chunk) - len(chunk) % sample_bytes
            if whole < len(chunk):
                log.warning("%s: the last %d bytes are a partial sample (truncated recording?); dropped",
                            self.path, len(chunk) - whole)
            if whole == 0:
                break
            raw = np.frombuffer(chunk[:whole], dtype=self.datatype.component)
            samples = self.datatype.to_float(raw)
            if self.datatype.is_float:  # integers are always finite
                samples = _finite(samples, self.path, position)
            yield Block(samples, self.rate_sps, self.centre_hz, self.start_time, position / self.rate_sps)
            position += len(samples)
            if len(chunk) < want:
                if remaining:
                    log.warning("%s: data ends %d bytes before its header says; truncated", self.path, remaining)
                break


def _read_fully(stream: BinaryIO, size: int) -> bytes:
    parts = []
    while size > 0:
        part = stream.read(size)
        if not part:
            break
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


#: A float sample beyond this is not a recording's (full scale is 1, a few tools use 32768): a broken file.
ABSURD_SAMPLE = 1e6


def _finite(samples: np.ndarray, path: str, position: int) -> np.ndarray:
    """Replace NaN, infinity and absurd magnitudes (broken float files) with 0, with a warning."""
    bad = ~np.isfinite(samples) | (np.abs(samples) > ABSURD_SAMPLE)
    if bad.any():
        log.warning("%s: %d NaN, infinite or absurd (beyond %g) samples from sample %d on replaced by 0", path,
                    int(bad.sum()), ABSURD_SAMPLE, position)
        samples = np.where(bad, 0, samples).astype(samples.dtype)
    return samples


def recording_files(path: str) -> list[str]:
    """Every file that reading ``path`` touches (a SigMF pair both), for the same-file check of outputs.

    >>> recording_files("pass.sigmf-meta")
    ['pass.sigmf-meta', 'pass.sigmf-data']
    >>> recording_files("-")
    []
    """
    if path == "-":
        return []
    if re.search(r"\.sigmf-(meta|data)?$", path, re.IGNORECASE):
        base = re.sub(r"\.sigmf-(meta|data)?$", "", path, flags=re.IGNORECASE)
        return [base + ".sigmf-meta", base + ".sigmf-data"]
    return [path]


def open_recording(
    path: str,
    datatype: str | None = None,
    rate_sps: float | None = None,
    centre_hz: float | None = None,
    start_time: str | datetime | None = None,
) -> Recording:
    """Open ``path`` (``-`` for stdin); the keyword arguments override or complete what the file says."""
    start = parse_utc(start_time, "--start-time") if isinstance(start_time, str) else start_time
    if path == "-":
        if rate_sps is None:
            raise UserError("reading stdin: give --samplerate (and --datatype, default cu8 as rtl_sdr writes)")
        return Recording("stdin", "stdin", parse_datatype(datatype or "cu8"), float(rate_sps), centre_hz, start, None)
    lower = path.lower()
    if lower.endswith((".sigmf-meta", ".sigmf-data", ".sigmf-")):
        recording = _open_sigmf(path)
    elif lower.endswith(".sigmf"):
        raise UserError(f"{path!r}: SigMF archives are not read directly; extract them with tar first")
    else:
        if not os.path.exists(path):
            raise UserError(f"cannot read {path!r}: no such file")
        if os.path.isdir(path):
            raise UserError(f"cannot read {path!r}: it is a directory")
        if lower.endswith(".wav"):
            recording = _open_wav(path)
        elif lower.endswith((".flac", ".ogg", ".oga")):
            from groundstation.recordings.audio_files import open_audio_file

            recording = open_audio_file(path)
        else:
            recording = _open_raw(path, datatype)
    if datatype is not None and recording.kind not in ("raw", "audio"):
        recording.datatype = parse_datatype(datatype)
    if rate_sps is not None:
        recording.rate_sps = float(rate_sps)
    if centre_hz is not None:
        recording.centre_hz = float(centre_hz)
    if start is not None:
        recording.start_time = start
    if not recording.rate_sps or recording.rate_sps <= 0:
        raise UserError(f"{path!r}: the sample rate is not known; give --samplerate")
    check_number(recording.rate_sps, f"{path}: sample rate", *SAMPLE_RATE_SPS)
    if recording.centre_hz is not None:
        check_number(recording.centre_hz, f"{path}: centre frequency", 0, RADIO_FREQ_HZ[1], "Hz")
    return recording


def _open_raw(path: str, datatype: str | None) -> Recording:
    suffix = Path(path).suffix.lower()
    name = datatype or RAW_EXTENSIONS.get(suffix)
    if name is None:
        raise UserError(
            f"{path!r}: cannot tell the format from the extension {suffix or '(none)'}; give --datatype "
            "(e.g. cu8 for rtl_sdr, ci8 for HackRF, ci16_le, cf32_le for GNU Radio)"
        )
    kind = parse_datatype(name)
    size = os.path.getsize(path)
    if size % kind.sample_bytes:
        raise UserError(
            f"{path!r}: {size} bytes is not a whole number of {kind.name} samples ({kind.sample_bytes} bytes each); "
            "wrong --datatype?"
        )
    centre_hz, start, assumed = guess_from_filename(path)
    if assumed:
        log.warning("%s: start time from the file name, time zone unknown: assuming UTC", path)
    return Recording(path, "raw", kind, 0.0, centre_hz, start, path, 0, size)


def _open_sigmf(path: str) -> Recording:
    base = re.sub(r"\.sigmf-(meta|data)?$", "", path)
    meta_path, data_path = base + ".sigmf-meta", base + ".sigmf-data"
    if not os.path.exists(meta_path):
        raise UserError(f"cannot read {meta_path!r}: no such file")
    if not os.path.exists(data_path):
        raise UserError(f"{meta_path!r}: its data file {data_path!r} is missing")
    document = read_sigmf_meta(meta_path)
    info, captures = document["global"], document["captures"]
    if len(captures) > 1:
        log.warning("%s: %d captures; using the first one's frequency and time", meta_path, len(captures))
    first = captures[0] if captures else {}
    start = None
    if first.get("core:datetime"):
        start = parse_utc(first["core:datetime"], f"{meta_path} core:datetime")
    kind = parse_datatype(info["core:datatype"])
    if info.get("core:num_channels", 1) != 1:
        raise UserError(f"{meta_path!r}: {info['core:num_channels']} channels; only single-channel SigMF is read")
    offset = first.get("core:header_bytes", 0) or 0
    data_size = os.path.getsize(data_path)
    if offset > data_size:
        raise UserError(f"{meta_path!r}: core:header_bytes {offset} is more than the {data_size} bytes of "
                        f"{data_path!r}; fix the metadata")
    if data_size - offset < kind.sample_bytes:
        raise UserError(f"{data_path!r}: the data file holds no samples ({data_size} bytes); nothing to read")
    if info.get("core:dataset"):
        log.warning("%s: core:dataset %r is not followed; reading %s", meta_path, str(info["core:dataset"])[:80],
                    data_path)
    _check_with_sigmf(meta_path, document)
    return Recording(
        path=meta_path,
        kind="sigmf",
        datatype=kind,
        rate_sps=float(info.get("core:sample_rate", 0) or 0),
        centre_hz=first.get("core:frequency"),
        start_time=start,
        data_path=data_path,
        data_offset=offset,
        data_bytes=data_size - offset,
        metadata=info,
        annotations=document["annotations"],
    )


def read_sigmf_meta(meta_path: str) -> dict:
    """The metadata document with every field this program uses checked for type and range.

    Returns ``{"global": dict, "captures": [dict], "annotations": [dict]}``; anything wrong is a
    :class:`UserError` naming the file and the field.
    """
    try:
        text = read_limited(meta_path, MAX_META_BYTES, "SigMF metadata",
                            "too big for metadata: is it a data file named .sigmf-meta?").decode("utf-8")
        document = json.loads(text)
    except OSError as error:
        raise UserError(f"cannot read {meta_path!r}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise UserError(f"{meta_path!r}: not valid SigMF metadata (not UTF-8 text at byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise UserError(f"{meta_path!r}: not valid SigMF metadata (not JSON: {error.msg} at line {error.lineno})") from None
    except RecursionError:
        raise UserError(f"{meta_path!r}: not valid SigMF metadata (JSON nested too deep)") from None
    where = f"{meta_path}:"
    require_type(document, dict, f"{where} the document", "a JSON object with global, captures and annotations")
    info = require_type(document.get("global"), dict, f"{where} global", "an object (SigMF needs one)")
    captures = require_type(document.get("captures", []), list, f"{where} captures", "a list of objects")
    annotations = require_type(document.get("annotations", []), list, f"{where} annotations", "a list of objects")
    if "core:datatype" not in info:
        raise UserError(f"{meta_path!r}: global has no core:datatype; not valid SigMF metadata")
    require_type(info["core:datatype"], str, f"{where} core:datatype", "a datatype name such as cf32_le or cu8")
    if info.get("core:sample_rate") is not None:
        info["core:sample_rate"] = json_number(info["core:sample_rate"], f"{where} core:sample_rate", *SAMPLE_RATE_SPS)
    if "core:num_channels" in info:
        info["core:num_channels"] = json_number(info["core:num_channels"], f"{where} core:num_channels", 1, 1 << 16,
                                                integer=True)
    for index, capture in enumerate(captures):
        field = f"{where} captures[{index}]"
        require_type(capture, dict, field, "an object")
        if capture.get("core:frequency") is not None:
            capture["core:frequency"] = json_number(capture["core:frequency"], f"{field} core:frequency", 0,
                                                    RADIO_FREQ_HZ[1], "Hz")
        if capture.get("core:datetime") is not None:
            require_type(capture["core:datetime"], str, f"{field} core:datetime",
                         "an ISO 8601 UTC time such as 2024-06-12T14:22:00Z")
        for key in ("core:header_bytes", "core:sample_start"):
            if capture.get(key) is not None:
                capture[key] = json_number(capture[key], f"{field} {key}", 0, 1 << 62,
                                           "bytes" if "bytes" in key else "", integer=True)
    for index, annotation in enumerate(annotations):
        require_type(annotation, dict, f"{where} annotations[{index}]", "an object")
    return {"global": info, "captures": captures, "annotations": annotations}


def _check_with_sigmf(meta_path: str, document: dict) -> None:
    """Let the sigmf package validate the metadata too (against its schema; the data file is ours to read,
    so a partial last sample is dropped with a warning rather than refused)."""
    from jsonschema.exceptions import ValidationError  # sigmf validates with jsonschema
    from sigmf import sigmffile  # imported here: only SigMF inputs pay for it
    from sigmf.error import SigMFError

    try:
        sigmffile.SigMFFile(metadata=document, skip_checksum=True).validate()
    except (SigMFError, ValidationError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            OSError) as error:
        reason = str(error).splitlines()[0][:120] if str(error) else type(error).__name__
        raise UserError(f"{meta_path!r}: not valid SigMF metadata ({reason})") from None


_WAVE_FORMAT_PCM = 1
_WAVE_FORMAT_FLOAT = 3
_WAVE_FORMAT_EXTENSIBLE = 0xFFFE


def _open_wav(path: str) -> Recording:
    """A RIFF/WAVE file: PCM 8/16/32-bit or float32; mono is audio, stereo is I/Q."""
    size = os.path.getsize(path)
    with open(path, "rb") as file:
        header = file.read(12)
        if len(header) < 12 or header[:4] not in (b"RIFF", b"RF64") or header[8:12] != b"WAVE":
            raise UserError(f"{path!r}: not a WAV file (no RIFF/WAVE header)")
        fmt = None
        position = 12
        while True:
            file.seek(position)
            chunk_header = file.read(8)
            if len(chunk_header) < 8:
                raise UserError(f"{path!r}: WAV file has no data chunk")
            chunk_id, chunk_size = chunk_header[:4], struct.unpack("<I", chunk_header[4:])[0]
            if chunk_id == b"fmt ":
                fmt = file.read(min(chunk_size, 40))
            elif chunk_id == b"data":
                data_offset = position + 8
                break
            position += 8 + chunk_size + (chunk_size & 1)
    if fmt is None or len(fmt) < 16:
        raise UserError(f"{path!r}: WAV file has no valid fmt chunk before its data")
    format_tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", fmt[:16])
    if format_tag == _WAVE_FORMAT_EXTENSIBLE and len(fmt) >= 26:
        format_tag = struct.unpack("<H", fmt[24:26])[0]
    if channels not in (1, 2):
        raise UserError(f"{path!r}: {channels} channels; mono (audio) or stereo (I/Q) WAV only")
    names = {(_WAVE_FORMAT_PCM, 8): "u8", (_WAVE_FORMAT_PCM, 16): "i16_le", (_WAVE_FORMAT_PCM, 32): "i32_le",
             (_WAVE_FORMAT_FLOAT, 32): "f32_le"}
    component = names.get((format_tag, bits))
    if component is None or rate == 0:
        raise UserError(f"{path!r}: unsupported WAV encoding (format {format_tag}, {bits} bits, {rate} Hz)")
    kind = parse_datatype(("c" if channels == 2 else "r") + component)
    available = size - data_offset
    data_bytes = chunk_size if 0 < chunk_size <= available else available
    if chunk_size > available and chunk_size != 0xFFFFFFFF:
        log.warning("%s: WAV header says %d data bytes, the file holds %d; reading what is there",
                    path, chunk_size, available)
    centre_hz, start, assumed = guess_from_filename(path)
    if assumed:
        log.warning("%s: start time from the file name, time zone unknown: assuming UTC", path)
    return Recording(path, "wav", kind, float(rate), centre_hz if channels == 2 else None, start, path,
                     data_offset, data_bytes)
