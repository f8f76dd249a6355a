"""The station client's waterfall file (``.dat``): a 52-byte header, then rows.

Header: a 32-byte ISO UTC timestamp, then big-endian int32 channel count,
sample rate and FFTs per row, a big-endian float32 centre frequency, and a
little-endian int32 endianness flag (nonzero: the rows are little-endian).
Each row: an int64 time (microseconds from the timestamp) and a float32 power
(dB) per channel, the band from -rate/2 to +rate/2.

>>> import os, tempfile, numpy as np
>>> from datetime import datetime, timezone
>>> from groundstation.satnogs.waterfall import SatnogsWaterfall
>>> power = np.full((4, 1024), -100.0, np.float32)
>>> waterfall = SatnogsWaterfall(datetime(2024, 6, 12, 14, 22, tzinfo=timezone.utc), np.arange(4) * 0.1067,
...     (np.arange(1024) - 512) * 48000 / 1024, power, 48000.0, 5, "")
>>> path = os.path.join(tempfile.mkdtemp(), "waterfall.dat")
>>> write_dat(path, waterfall, 435e6)
>>> read, centre_hz = read_dat(path)
>>> read.rows, read.channels, read.ffts_per_row, centre_hz, read.start.isoformat()
(4, 1024, 5, 435000000.0, '2024-06-12T14:22:00+00:00')
"""

from __future__ import annotations

import os

import numpy as np

from groundstation.errors import UserError
from groundstation.satnogs.waterfall import MAX_CHANNELS, SatnogsWaterfall, validated
from groundstation.timefmt import parse_utc
from groundstation.validation import check_number

HEADER_BYTES = 52
MAX_DAT_BYTES = 4 << 30


def _header_dtype() -> np.dtype:
    return np.dtype([("timestamp", "S32"), ("nchan", ">i4"), ("samp_rate", ">i4"), ("nfft_per_row", ">i4"),
                     ("center_freq", ">f4"), ("endianness", "<i4")])


def read_dat(path: str) -> tuple[SatnogsWaterfall, float]:
    """The waterfall of a ``.dat`` file and its centre frequency (Hz)."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as file:
            header_bytes = file.read(HEADER_BYTES)
            if len(header_bytes) < HEADER_BYTES:
                raise UserError(f"{path}: {len(header_bytes)} bytes; a waterfall .dat starts with a "
                                f"{HEADER_BYTES}-byte header")
            header = np.frombuffer(header_bytes, _header_dtype())[0]
            stamp = header["timestamp"].split(b"\0")[0].decode("ascii", "replace")
            start = parse_utc(stamp, f"{path}: header timestamp")
            channels = check_number(int(header["nchan"]), f"{path}: header channel count", 16, MAX_CHANNELS,
                                    integer=True)
            rate_sps = check_number(int(header["samp_rate"]), f"{path}: header sample rate", 1e3, 10e6, "S/s")
            per_row = check_number(int(header["nfft_per_row"]), f"{path}: header FFTs per row", 1, 100_000,
                                   integer=True)
            centre_hz = check_number(float(header["center_freq"]), f"{path}: header centre frequency", 0, 300e9, "Hz")
            prefix = "<" if int(header["endianness"]) else ">"
            row_dtype = np.dtype([("tabs", prefix + "i8"), ("spec", prefix + "f4", (channels,))])
            if size > MAX_DAT_BYTES:
                raise UserError(f"{path}: {size / 1e9:.1f} GB is more than a waterfall holds")
            rows = np.fromfile(file, dtype=row_dtype)
    except OSError as error:
        raise UserError(f"{path}: cannot read the waterfall ({error.strerror})") from None
    if (size - HEADER_BYTES) % row_dtype.itemsize:
        raise UserError(f"{path}: {size - HEADER_BYTES} bytes after the header are not whole rows of "
                        f"{row_dtype.itemsize} bytes ({channels} channels); a cut file?")
    offsets_hz = (np.arange(channels) - channels // 2) * (rate_sps / channels)
    waterfall = SatnogsWaterfall(start, rows["tabs"].astype(np.float64) / 1e6, offsets_hz,
                                 rows["spec"].astype(np.float32), float(rate_sps), int(per_row), path)
    return validated(waterfall), float(centre_hz)


def write_dat(path: str, waterfall: SatnogsWaterfall, centre_hz: float) -> None:
    """A ``.dat`` file of ``waterfall`` (little-endian rows), written atomically (tests, simulated data)."""
    from groundstation.outputs.atomic import atomic_write

    header = np.zeros(1, _header_dtype())
    header["timestamp"] = waterfall.start.strftime("%Y-%m-%dT%H:%M:%S.%fZ").encode()
    header["nchan"], header["samp_rate"] = waterfall.channels, int(round(waterfall.rate_sps))
    header["nfft_per_row"], header["center_freq"], header["endianness"] = waterfall.ffts_per_row, centre_hz, 1
    rows = np.zeros(waterfall.rows, np.dtype([("tabs", "<i8"), ("spec", "<f4", (waterfall.channels,))]))
    rows["tabs"] = np.rint(np.asarray(waterfall.times_s) * 1e6).astype(np.int64)
    rows["spec"] = waterfall.power_db
    with atomic_write(path, "wb") as file:
        file.write(header.tobytes())
        file.write(rows.tobytes())
