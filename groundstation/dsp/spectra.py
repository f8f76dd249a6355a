"""Power spectra of a stream, frame by frame, and a waterfall for people that stays small.

>>> import numpy as np
>>> rate = 8000.0
>>> tone = np.exp(2j * np.pi * 1000.0 * np.arange(16000) / rate).astype(np.complex64)
>>> frames = SpectralFrames(rate, frame_s=0.5)
>>> spectra = list(frames.process(tone[:5000])) + list(frames.process(tone[5000:]))
>>> len(spectra), round(float(frames.freqs_hz[np.argmax(spectra[0][1])]))
(4, 1000)
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


class SpectralFrames:
    """Consecutive, non-overlapping Hann-windowed FFTs of ``frame_s`` seconds; power, zero frequency in the middle.

    Yields ``(t_s, power)`` with ``t_s`` the frame's centre (seconds from the stream start); the power is
    normalised so that white noise of unit variance per sample gives 1 per bin on average.

    ``chirp_hz_per_s[k]``, when given, is removed from frame ``k`` before its FFT (each sample multiplied by
    ``exp(-1j*pi*rate*tau**2)``, ``tau`` from the frame's centre): a signal whose frequency moves at that rate
    (a satellite's Doppler near closest approach, tens of Hz a second) stays in one bin instead of smearing
    over many.
    """

    def __init__(self, rate_sps: float, frame_s: float = 0.5, chirp_hz_per_s: np.ndarray | None = None) -> None:
        self.size = int(round(rate_sps * frame_s))
        self.rate_sps = rate_sps
        self.bin_hz = rate_sps / self.size
        self.window = np.hanning(self.size).astype(np.float32)
        self._scale = np.float32(1.0 / np.sum(self.window**2))
        self.freqs_hz = (np.arange(self.size) - self.size // 2) * self.bin_hz
        self._pending = np.zeros(0, np.complex64)
        self._frames_done = 0
        self._chirp = None if chirp_hz_per_s is None else np.asarray(chirp_hz_per_s, dtype=float)
        self._tau_squared = ((np.arange(self.size) - self.size / 2) / rate_sps) ** 2

    def process(self, samples: np.ndarray) -> Iterator[tuple[float, np.ndarray]]:
        data = np.concatenate([self._pending, samples.astype(np.complex64, copy=False)])
        count = len(data) // self.size
        for index in range(count):
            chunk = data[index * self.size : (index + 1) * self.size] * self.window
            if self._chirp is not None and self._frames_done < len(self._chirp):
                chunk = chunk * np.exp(-1j * np.pi * self._chirp[self._frames_done] * self._tau_squared)
            spectrum = np.fft.fftshift(np.fft.fft(chunk))
            power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32) * self._scale
            t_s = (self._frames_done + 0.5) * self.size / self.rate_sps
            self._frames_done += 1
            yield t_s, power
        self._pending = data[count * self.size :].copy()


class Waterfall:
    """A waterfall of at most ``max_columns`` x ``max_rows`` (dB): columns are pooled (mean) from the frame's
    bins; when rows fill up, neighbouring rows are merged, so memory stays bounded however long the input."""

    def __init__(self, bins: int, max_columns: int = 2048, max_rows: int = 1024) -> None:
        self.pool = max(1, int(np.ceil(bins / max_columns)))
        self.columns = bins // self.pool
        self.max_rows = max_rows
        self.rows: list[np.ndarray] = []
        self.times_s: list[float] = []
        self._weights: list[int] = []

    def add(self, t_s: float, power: np.ndarray) -> None:
        pooled = power[: self.columns * self.pool].reshape(self.columns, self.pool).mean(axis=1)
        self.rows.append(pooled.astype(np.float32))
        self.times_s.append(t_s)
        self._weights.append(1)
        if len(self.rows) > self.max_rows:
            self._halve()

    def _halve(self) -> None:
        rows, times, weights = [], [], []
        for index in range(0, len(self.rows) - 1, 2):
            w1, w2 = self._weights[index], self._weights[index + 1]
            rows.append((self.rows[index] * w1 + self.rows[index + 1] * w2) / (w1 + w2))
            times.append((self.times_s[index] * w1 + self.times_s[index + 1] * w2) / (w1 + w2))
            weights.append(w1 + w2)
        if len(self.rows) % 2:
            rows.append(self.rows[-1])
            times.append(self.times_s[-1])
            weights.append(self._weights[-1])
        self.rows, self.times_s, self._weights = rows, times, weights

    def image_db(self) -> np.ndarray:
        return 10 * np.log10(np.array(self.rows) + 1e-12)
