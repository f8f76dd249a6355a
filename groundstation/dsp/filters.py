"""FIR filters evaluated only where they are needed, as matrix products over reshaped blocks.

A filter of ``k * hop`` taps evaluated every ``hop`` samples is the sum of ``k``
products of the input reshaped to rows of ``hop`` samples with ``hop``-long
slices of the taps: one BLAS call and ``k`` shifted adds, no per-sample Python.
State (the last samples of the previous block) is carried, so a stream cut into
blocks gives exactly the output of one long array.

>>> import numpy as np
>>> taps = np.ones((8, 1), np.float32)           # an 8-sample sum ...
>>> bank = HopFilterBank(taps, hop=4)            # ... evaluated every 4 samples
>>> x = np.arange(32, dtype=np.float32)
>>> whole = bank.process(x)[:, 0]
>>> bank = HopFilterBank(taps, hop=4)
>>> parts = np.concatenate([bank.process(x[:10])[:, 0], bank.process(x[10:])[:, 0]])
>>> bool(np.array_equal(whole, parts)), whole[:3].tolist()
(True, [6.0, 28.0, 60.0])
"""

from __future__ import annotations

import numpy as np


class HopFilterBank:
    """Several FIR filters (columns of ``taps``) applied to one stream, output every ``hop`` input samples.

    Output ``m`` is the dot product of each column with the ``len(taps)`` input
    samples ending at input sample ``(m + 1) * hop - 1`` (counted over the whole
    stream), i.e. a causal filter sampled at the end of each hop.
    """

    def __init__(self, taps: np.ndarray, hop: int) -> None:
        taps = np.asarray(taps)
        if taps.ndim == 1:
            taps = taps[:, None]
        length = int(np.ceil(len(taps) / hop)) * hop
        padded = np.zeros((length, taps.shape[1]), dtype=taps.dtype)
        padded[length - len(taps) :] = taps  # pad at the old end: the filter's delay grows, its shape does not
        self.hop = hop
        self.segments = length // hop
        self.filters = taps.shape[1]
        # segment j (oldest first) as a (hop, filters) matrix, side by side: (hop, segments * filters)
        self._matrix = np.ascontiguousarray(
            padded.reshape(self.segments, hop, taps.shape[1]).transpose(1, 0, 2).reshape(hop, -1)
        )
        self._complex_matrix = None  # made on first complex input: one BLAS cgemm instead of two sgemm
        self._pending = None
        self._history = None  # partial products of the last (segments - 1) rows

    def process(self, samples: np.ndarray) -> np.ndarray:
        """Filter outputs for every complete hop in (pending + ``samples``): shape (hops, filters)."""
        if self.hop == 1:
            return self._process_every_sample(samples)
        if self.filters == 1 and not np.iscomplexobj(samples) and not np.iscomplexobj(self._matrix):
            return self._process_strided(samples)
        data = np.concatenate([self._pending, samples]) if self._pending is not None and len(self._pending) else samples
        rows = len(data) // self.hop
        self._pending = data[rows * self.hop :].copy()
        matrix = self._matrix
        if np.iscomplexobj(data):
            if self._complex_matrix is None:
                self._complex_matrix = self._matrix.astype(np.complex64)
            matrix = self._complex_matrix
        if rows == 0:
            return np.zeros((0, self.filters), dtype=np.result_type(data.dtype, matrix.dtype))
        products = (data[: rows * self.hop].reshape(rows, self.hop) @ matrix).reshape(rows, self.segments, self.filters)
        if self._history is None:
            self._history = np.zeros((self.segments - 1, self.segments, self.filters), dtype=products.dtype)
        stacked = np.concatenate([self._history, products])
        out = np.zeros((rows, self.filters), dtype=products.dtype)
        for segment in range(self.segments):
            # output m uses row m + segment of the stack for segment `segment` (oldest segment first)
            out += stacked[segment : segment + rows, segment, :]
        self._history = stacked[len(stacked) - (self.segments - 1) :] if self.segments > 1 else stacked[:0]
        return out


    def _process_strided(self, samples: np.ndarray) -> np.ndarray:
        """One filter on real samples: a dot product with each window of the input, the windows ``hop``
        apart (a strided view, no copy)."""
        taps = self._matrix.T.reshape(-1)  # (hop, segments) -> oldest tap first
        width = len(taps)
        if self._pending is None:
            self._pending = np.zeros(width - self.hop, np.float32)
        data = np.concatenate([self._pending, samples.astype(np.float32, copy=False)])
        rows = max(0, (len(data) - width) // self.hop + 1)
        self._pending = data[rows * self.hop :]
        if rows == 0:
            return np.zeros((0, 1), np.float32)
        windows = np.lib.stride_tricks.as_strided(data, shape=(rows, width), strides=(self.hop * data.itemsize,
                                                                                      data.itemsize), writeable=False)
        return np.einsum("ij,j->i", windows, taps)[:, None]

    def _process_every_sample(self, samples: np.ndarray) -> np.ndarray:
        """Hop 1: several filters on real samples as one matrix product over the input's sliding windows;
        one filter, or complex samples, as numpy's direct convolution (faster there)."""
        length = self._matrix.shape[1] // self.filters
        taps = self._matrix.reshape(length, self.filters)  # oldest tap first
        if self._pending is None:
            self._pending = np.zeros(length - 1, dtype=samples.dtype)
            # reversed, so that convolution computes the correlation with the taps (oldest tap first)
            self._reversed = [taps[::-1, column].copy() for column in range(self.filters)]
        data = np.concatenate([self._pending, samples])
        self._pending = data[max(0, len(data) - (length - 1)) :] if length > 1 else data[:0]
        rows = len(data) - length + 1
        out = np.empty((max(rows, 0), self.filters), dtype=np.result_type(data.dtype, np.float32))
        if rows <= 0:  # fewer samples than taps so far (np.convolve would swap its arguments)
            return out
        if self.filters > 1 and not np.iscomplexobj(data):
            return _windows_times(data.astype(np.float32, copy=False), taps)
        for column, reversed_taps in enumerate(self._reversed):
            out[:, column] = np.convolve(data, reversed_taps, mode="valid")
        return out


def _windows_times(data: np.ndarray, matrix: np.ndarray, rows_per_product: int = 1 << 15) -> np.ndarray:
    """Each window of ``len(matrix)`` consecutive samples times ``matrix``: the filters' outputs (in chunks,
    so the windows' copy stays small)."""
    windows = np.lib.stride_tricks.sliding_window_view(data, len(matrix))
    out = np.empty((len(windows), matrix.shape[1]), np.float32)
    for first in range(0, len(windows), rows_per_product):
        out[first : first + rows_per_product] = windows[first : first + rows_per_product] @ matrix
    return out


class Decimator:
    """Low-pass (windowed sinc, ``taps_per_step`` taps for each input sample dropped) and keep every
    ``factor``-th sample; a factor of 1 passes the samples through. Real or complex input.

    ``shift_hz``: the band around ``shift_hz`` is brought to zero (as multiplying by exp(-2j*pi*shift*t) before
    the low-pass would), folded into the filter: complex taps, and each output turned by the phase the shift
    has reached there, so nothing but the filter runs at the input rate.

    >>> decimator = Decimator(48000.0, 5, cutoff_hz=3400.0)
    >>> decimator.rate_sps, len(decimator.process(np.ones(1000, np.float32)))
    (9600.0, 200)
    >>> tone = np.exp(2j * np.pi * 10_000.0 * np.arange(4800) / 48000.0).astype(np.complex64)
    >>> out = Decimator(48000.0, 5, cutoff_hz=3400.0, shift_hz=10_000.0).process(tone)
    >>> bool(np.allclose(out[20:], 1.0, atol=1e-3))  # the tone at +10 kHz, now at zero
    True
    """

    def __init__(self, rate_sps: float, factor: int, cutoff_hz: float, taps_per_step: int = 8,
                 shift_hz: float = 0.0) -> None:
        self.factor = max(1, int(factor))
        self.rate_sps = rate_sps / self.factor
        self.bank = None
        self.shift_hz = shift_hz
        #: Seconds by which the output lags the input (the filter's group delay, less what the hop hides).
        self.delay_s = 0.0
        if self.factor > 1:
            length = taps_per_step * self.factor + 1
            taps = lowpass_taps(cutoff_hz, rate_sps, length)
            if shift_hz:
                padded = np.zeros(int(np.ceil(length / self.factor)) * self.factor)
                padded[len(padded) - length :] = taps  # as the bank pads: at the old end
                self._step = 2 * np.pi * shift_hz / rate_sps  # radians a sample
                self._outputs = 0
                taps = (padded * np.exp(-1j * self._step * np.arange(len(padded)))).astype(np.complex64)
            self.bank = HopFilterBank(taps, self.factor)
            self.delay_s = ((self.bank.segments * self.factor - 1) / 2 - (self.factor - 1)) / rate_sps
        elif shift_hz:
            raise ValueError("Decimator: a shift needs a factor of 2 or more (use FrequencyShift)")

    def process(self, samples: np.ndarray) -> np.ndarray:
        if self.bank is None:
            return samples
        out = self.bank.process(samples)[:, 0]
        if self.shift_hz and len(out):
            # output m ends at input sample (m + 1) * factor - 1; its window starts `width - 1` samples before
            first = (self._outputs + 1) * self.factor - self.bank.segments * self.factor
            self._outputs += len(out)
            start = (self._step * first) % (2 * np.pi)
            out = out * np.exp(-1j * (start + self._step * self.factor * np.arange(len(out)))).astype(np.complex64)
        return out


class RunningMean:
    """Causal moving average over ``length`` samples, stateful across blocks.

    >>> mean = RunningMean(4)
    >>> mean.process(np.array([4.0, 4.0, 4.0, 4.0, 8.0])).tolist()
    [1.0, 2.0, 3.0, 4.0, 5.0]
    """

    def __init__(self, length: int) -> None:
        self.length = length
        self._tail = np.zeros(length, dtype=np.float64)

    def process(self, samples: np.ndarray) -> np.ndarray:
        data = np.concatenate([self._tail, np.asarray(samples, np.float64)])
        sums = np.cumsum(data)
        out = (sums[self.length :] - sums[: -self.length]) / self.length
        self._tail = data[-self.length :]
        return out


def lowpass_taps(cutoff_hz: float, rate_sps: float, length: int) -> np.ndarray:
    """A windowed-sinc (Blackman) low-pass filter with unit DC gain.

    >>> taps = lowpass_taps(1000.0, 48000.0, 101)
    >>> round(float(taps.sum()), 6), len(taps)
    (1.0, 101)
    """
    n = np.arange(length) - (length - 1) / 2
    taps = np.sinc(2 * cutoff_hz / rate_sps * n) * np.blackman(length)
    return (taps / taps.sum()).astype(np.float32)


class DcBlocker:
    """Subtract a centred moving average of ``length`` samples (the signal is delayed by ``length // 2``
    samples so that the average is centred on it: no lag when a transmission starts).

    >>> blocker = DcBlocker(4)
    >>> blocker.process(np.array([3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 5.0, 1.0])).round(2).tolist()
    [-0.75, -1.5, 0.75, 0.0, 0.0, 0.0, -0.5, 0.0]
    """

    def __init__(self, length: int) -> None:
        self.delay = length // 2
        self.mean = RunningMean(length)
        self._tail = np.zeros(self.delay)

    def process(self, samples: np.ndarray) -> np.ndarray:
        delayed = np.concatenate([self._tail, samples])
        self._tail = delayed[len(delayed) - self.delay :] if self.delay else delayed[:0]
        return delayed[: len(samples)] - self.mean.process(samples)
