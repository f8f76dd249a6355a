"""A SatNOGS waterfall in memory, whatever file it came from: max-hold spectra with absolute times.

The station's client corrects the Doppler of the observation's own element set
before the waterfall sink, so channel offsets are relative to the observation
frequency as the station retuned it. Rows are max-hold power spectra (dB): the
largest of ``ffts_per_row`` consecutive FFTs of ``channels`` samples, taken
without a window (gr-satnogs ``lib/waterfall_sink_impl.cc``, max-hold mode).

>>> import numpy as np
>>> from datetime import datetime, timezone
>>> waterfall = SatnogsWaterfall(datetime(2024, 6, 12, 14, 22, tzinfo=timezone.utc), np.arange(3) * 0.1,
...                              (np.arange(4) - 2) * 12000.0, np.zeros((3, 4), np.float32), 48000.0, 5, "x.h5")
>>> waterfall.bin_hz, waterfall.rows, waterfall.channels, round(waterfall.duration_s, 2)
(12000.0, 3, 4, 0.2)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from groundstation.errors import UserError

#: Sample rates SatNOGS flowgraphs give their waterfalls (48 kHz FM/CW/AFSK, 57.6 kHz FSK 9k6, 76.8 kHz BPSK 9k6)
#: and a wide margin either side; a file outside it is not a SatNOGS waterfall.
RATE_RANGE_SPS = (1e3, 10e6)
MAX_CHANNELS = 1 << 16
MAX_ROWS = 1 << 20
MAX_DURATION_S = 6 * 3600.0


@dataclass
class SatnogsWaterfall:
    """Rows of max-hold power (dB) at ``times_s`` (row starts, seconds from ``start``), channels at
    ``offsets_hz`` from the observation frequency; ``ffts_per_row`` FFTs held in each row."""

    start: datetime
    times_s: np.ndarray
    offsets_hz: np.ndarray
    power_db: np.ndarray
    rate_sps: float
    ffts_per_row: int
    path: str

    @property
    def rows(self) -> int:
        return self.power_db.shape[0]

    @property
    def channels(self) -> int:
        return self.power_db.shape[1]

    @property
    def bin_hz(self) -> float:
        return self.rate_sps / self.channels

    @property
    def duration_s(self) -> float:
        if self.rows == 0:
            return 0.0
        row_s = self.ffts_per_row * self.channels / self.rate_sps
        return float(self.times_s[-1] - self.times_s[0]) + row_s

    @property
    def times_unix(self) -> np.ndarray:
        return self.start.timestamp() + self.times_s


def ffts_per_row(rate_sps: float, channels: int, row_s: float) -> int:
    """FFTs held in a row, from the row spacing (at least 1).

    >>> ffts_per_row(48000.0, 1024, 0.1067)
    5
    """
    return max(1, int(round(row_s * rate_sps / channels)))


def validated(waterfall: SatnogsWaterfall) -> SatnogsWaterfall:
    """``waterfall`` if its numbers are usable, else :class:`UserError` naming the file and what is wrong."""
    where = waterfall.path
    rows, channels = waterfall.power_db.shape if waterfall.power_db.ndim == 2 else (0, 0)
    if waterfall.power_db.ndim != 2 or rows == 0 or channels < 16:
        raise UserError(f"{where}: the waterfall holds {waterfall.power_db.shape} values; it needs rows of at least "
                        "16 channels")
    if rows > MAX_ROWS or channels > MAX_CHANNELS:
        raise UserError(f"{where}: {rows} rows of {channels} channels is more than a SatNOGS waterfall holds "
                        f"(at most {MAX_ROWS} rows, {MAX_CHANNELS} channels)")
    if len(waterfall.times_s) != rows or len(waterfall.offsets_hz) != channels:
        raise UserError(f"{where}: {len(waterfall.times_s)} row times and {len(waterfall.offsets_hz)} channel "
                        f"frequencies for {rows} rows of {channels} channels")
    steps = np.diff(waterfall.offsets_hz)
    if not np.all(np.isfinite(waterfall.offsets_hz)) or np.any(steps <= 0):
        raise UserError(f"{where}: the channel frequencies are not finite and increasing")
    low, high = RATE_RANGE_SPS
    if not (np.isfinite(waterfall.rate_sps) and low <= waterfall.rate_sps <= high):
        raise UserError(f"{where}: a band of {waterfall.rate_sps:g} Hz is outside {low:g} to {high:g} Hz")
    if not np.all(np.isfinite(waterfall.times_s)) or np.any(np.diff(waterfall.times_s) <= 0):
        raise UserError(f"{where}: the row times are not finite and increasing")
    if waterfall.times_s[0] < -60 or waterfall.times_s[-1] > MAX_DURATION_S:
        raise UserError(f"{where}: the rows span {waterfall.times_s[0]:g} to {waterfall.times_s[-1]:g} s from the "
                        f"start; a SatNOGS observation lasts at most {MAX_DURATION_S / 3600:g} h")
    if not np.allclose(steps, waterfall.bin_hz, rtol=0.02):
        raise UserError(f"{where}: channels {float(np.median(steps)):g} Hz apart do not fill the "
                        f"{waterfall.rate_sps:g} Hz band in {channels} channels")
    finite = np.isfinite(waterfall.power_db)
    if not finite.all():
        raise UserError(f"{where}: {int((~finite).sum())} power values are not finite numbers")
    if not 1 <= waterfall.ffts_per_row <= 100_000:
        raise UserError(f"{where}: {waterfall.ffts_per_row} FFTs per row is not a SatNOGS waterfall's")
    return waterfall
