"""Write recordings: SigMF (cf32_le, ci16_le or cu8, with captures and annotations) and mono WAV audio.

>>> import os, tempfile, json, numpy as np
>>> from datetime import datetime, timezone
>>> meta = os.path.join(tempfile.mkdtemp(), "x.sigmf-meta")
>>> with SigMFWriter(meta, "cu8", 48000, 435e6, datetime(2024, 6, 12, tzinfo=timezone.utc)) as writer:
...     writer.write(np.array([0.5 + 0.5j, -1 - 1j], np.complex64))
...     writer.annotate(0, 2, "frame 1")
>>> os.path.getsize(meta.replace("meta", "data"))
4
>>> json.load(open(meta))["annotations"][0]["core:label"]
'frame 1'
"""

from __future__ import annotations

import json
import logging
import wave
from datetime import datetime

import numpy as np

from groundstation import __version__
from groundstation.errors import UserError
from groundstation.outputs.atomic import AtomicFile, atomic_write
from groundstation.timefmt import iso_utc

log = logging.getLogger(__name__)

WRITE_DATATYPES = ("cf32_le", "ci16_le", "cu8")
SIGMF_VERSION = "1.2.0"


def quantise(samples: np.ndarray, datatype: str) -> tuple[bytes, int]:
    """Complex samples (1.0 = full scale for integers) -> file bytes, and how many components clipped."""
    if datatype == "cf32_le":
        return np.asarray(samples, dtype="<c8").tobytes(), 0
    components = np.empty(2 * len(samples), dtype=np.float32)
    components[0::2], components[1::2] = samples.real, samples.imag
    if datatype == "ci16_le":
        scaled = np.rint(components * 32767.0)
        clipped = int(np.count_nonzero(np.abs(scaled) > 32767))
        return np.clip(scaled, -32767, 32767).astype("<i2").tobytes(), clipped
    if datatype == "cu8":
        scaled = np.rint(components * 127.5 + 127.5)
        clipped = int(np.count_nonzero((scaled < 0) | (scaled > 255)))
        return np.clip(scaled, 0, 255).astype(np.uint8).tobytes(), clipped
    raise UserError(f"--datatype: cannot write {datatype!r}; use one of {', '.join(WRITE_DATATYPES)}")


class SigMFWriter:
    """A SigMF recording written as it goes: the data streams to a temporary file beside its final
    name; :meth:`close` renames it into place and then writes the metadata. A failure inside the
    ``with`` block (or :meth:`discard`) leaves neither file, and an old recording untouched."""

    def __init__(
        self,
        meta_path: str,
        datatype: str,
        rate_sps: float,
        centre_hz: float | None,
        start_time: datetime | None,
        description: str = "",
        extension: dict | None = None,
    ) -> None:
        if not meta_path.endswith(".sigmf-meta"):
            raise UserError(f"--out: {meta_path!r} must end in .sigmf-meta")
        if datatype not in WRITE_DATATYPES:
            raise UserError(f"--datatype: cannot write {datatype!r}; use one of {', '.join(WRITE_DATATYPES)}")
        self.meta_path = meta_path
        self.data_path = meta_path[: -len("meta")] + "data"
        self.datatype = datatype
        self.global_info = {
            "core:datatype": datatype,
            "core:sample_rate": float(rate_sps),
            "core:version": SIGMF_VERSION,
            "core:recorder": f"groundstation {__version__}",
            "core:description": description,
        }
        self.extension = dict(extension or {})
        if self.extension:
            self.global_info["core:extensions"] = [{"name": "groundstation", "version": __version__, "optional": True}]
        capture = {"core:sample_start": 0}
        if centre_hz is not None:
            capture["core:frequency"] = float(centre_hz)
        if start_time is not None:
            capture["core:datetime"] = iso_utc(start_time, "microseconds")
        self.captures = [capture]
        self.annotations: list[dict] = []
        self.samples_written = 0
        self.clipped = 0
        self._atomic = AtomicFile(self.data_path, "wb", "--out")
        self._data = self._atomic.file

    def __enter__(self) -> SigMFWriter:
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()

    def write(self, samples: np.ndarray) -> None:
        data, clipped = quantise(samples, self.datatype)
        self._data.write(data)
        self.samples_written += len(samples)
        self.clipped += clipped

    def annotate(self, sample_start: int, sample_count: int, label: str, lower_hz: float | None = None,
                 upper_hz: float | None = None, **fields) -> None:
        """One annotation; extra ``fields`` go under the ``groundstation:`` namespace."""
        annotation = {"core:sample_start": int(sample_start), "core:sample_count": int(sample_count),
                      "core:label": label}
        if lower_hz is not None and upper_hz is not None:
            annotation["core:freq_lower_edge"] = float(lower_hz)
            annotation["core:freq_upper_edge"] = float(upper_hz)
        annotation.update({f"groundstation:{key}": value for key, value in fields.items()})
        self.annotations.append(annotation)

    def close(self) -> None:
        """Put the data file in place, then the metadata (which is what makes the recording exist)."""
        if self._data.closed:
            return
        self._atomic.commit()
        if self.clipped:
            log.warning("%s: %d sample components clipped when quantising to %s", self.data_path, self.clipped,
                        self.datatype)
        self._write_meta()

    def discard(self) -> None:
        """Give up: remove the temporary data file; nothing is written."""
        self._atomic.discard()

    def _write_meta(self) -> None:
        document = {
            "global": {**self.global_info, **{f"groundstation:{k}": v for k, v in self.extension.items()}},
            "captures": self.captures,
            "annotations": sorted(self.annotations, key=lambda a: a["core:sample_start"]),
        }
        write_json_atomically(self.meta_path, document, "--out")


def write_json_atomically(path: str, document, option: str = "--out") -> None:
    """Write ``document`` as JSON to a temporary file beside ``path``, then rename it into place: a reader
    never sees half a file, and a failure leaves the old one."""
    with atomic_write(path, "w", option) as file:
        json.dump(document, file, indent=1, allow_nan=False)


def add_sigmf_annotations(meta_path: str, rate_sps: float, frames) -> None:
    """Add one ``core:label`` annotation per decoded frame to a SigMF metadata file (rewritten atomically)."""
    with open(meta_path, encoding="utf-8") as file:
        document = json.load(file)
    annotations = document.setdefault("annotations", [])
    for number, frame in enumerate(frames, 1):
        annotations.append({
            "core:sample_start": int(round(frame.t * rate_sps)),
            "core:sample_count": 1,
            "core:label": f"decoded {number}: {frame.monitor_line()[:60]}",
            "groundstation:decoded": True,
            "groundstation:crc": frame.crc,
            "groundstation:modem": frame.modem,
            "groundstation:hex": frame.raw.hex(),
        })
    annotations.sort(key=lambda annotation: annotation.get("core:sample_start", 0))
    write_json_atomically(meta_path, document)
    log.info("%s: %d annotations added", meta_path, len(frames))


class WavWriter:
    """Mono 16-bit WAV, written beside its final name and renamed into place by :meth:`close`
    (a failure inside the ``with`` block leaves no file); samples are floats with 1.0 = full scale."""

    def __init__(self, path: str, rate_sps: int) -> None:
        self._atomic = AtomicFile(path, "wb", "--audio")
        self._wave = wave.open(self._atomic.file, "wb")
        self._wave.setnchannels(1)
        self._wave.setsampwidth(2)
        self._wave.setframerate(int(rate_sps))

    def __enter__(self) -> WavWriter:
        return self

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        if exc_type is None:
            self.close()
            return
        try:
            self._wave.close()  # before the file goes, or its __del__ writes to a closed file
        except (OSError, ValueError):
            pass
        self._atomic.discard()

    def write(self, samples: np.ndarray) -> None:
        self._wave.writeframes(np.clip(np.rint(samples * 32767.0), -32767, 32767).astype("<i2").tobytes())

    def close(self) -> None:
        self._wave.close()  # patches the header sizes; leaves the file open (it is not the wave's own)
        self._atomic.commit()
