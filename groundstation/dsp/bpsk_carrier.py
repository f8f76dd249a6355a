"""BPSK carrier recovery, block in / block out: bring the band down, find and follow the carrier, measure its
phase.

:class:`Downconverter` shifts the band around the nominal carrier to zero,
low-passes and decimates it (one matrix product); :class:`CarrierSearch`
finds the line that squaring leaves at twice the carrier's offset, block by
block, and removes the offset it finds; :class:`PhaseEstimator` measures what
phase is left (the squared signal's centred moving average) and turns the
baseband into real decision signals. No loop anywhere: nothing to lose lock,
nothing sequential.
"""

from __future__ import annotations

import numpy as np

from groundstation.dsp.filters import lowpass_taps

DOWNCONVERTER_TAPS_PER_STEP = 16
SEARCH_BLOCK_S = 0.1  # length of a carrier-search block (halved for each hop)
SEARCH_ZERO_PAD = 2
LINE_THRESHOLD = 30.0  # squared-signal line peak over the median of the (whitened) search band, in power


WINDOW_BUDGET_BYTES = 32 << 20
CONVOLVE_MAX_FACTOR = 8  # up to this decimation, convolving at the input rate beats a product of strided windows


class Downconverter:
    """Real or complex samples in; complex baseband (``carrier_hz`` shifted to zero, low-passed to
    ``half_width_hz``) out, decimated by ``factor``.

    The mixer sits inside the filter: the taps are a low-pass modulated to the
    carrier, so one matrix product filters, shifts and decimates; the output is
    then rotated by the phase the carrier had at each output sample.

    >>> rate = 48000.0
    >>> tone = np.cos(2 * np.pi * 1550.0 * np.arange(9600) / rate)
    >>> down = Downconverter(rate, 1500.0, 1000.0, factor=5)
    >>> z = down.process(tone[:5000]); z = np.concatenate([z, down.process(tone[5000:])])
    >>> turns = np.angle(z[1000:] * np.conj(z[999:-1])) * down.rate_sps / (2 * np.pi)
    >>> round(float(np.median(turns)), 1), round(float(np.median(np.abs(z[1000:]))), 2)
    (50.0, 0.5)
    >>> iq = np.exp(-2j * np.pi * 1450.0 * np.arange(9600) / rate)  # complex input: -1450 Hz is not 1450 Hz
    >>> bool(np.abs(Downconverter(rate, 1500.0, 1000.0, factor=5).process(iq)[1000:]).max() < 1e-3)
    True
    """

    def __init__(self, rate_sps: float, carrier_hz: float, half_width_hz: float, factor: int,
                 taps_per_step: int = DOWNCONVERTER_TAPS_PER_STEP) -> None:
        self.factor = max(1, int(factor))
        self.rate_sps = rate_sps / self.factor
        # Long enough for a transition band about as wide as the pass band (the image is 2 carriers away).
        length = max(taps_per_step * self.factor, int(6 * rate_sps / half_width_hz)) // 2 * 2 + 1
        lowpass = lowpass_taps(half_width_hz, rate_sps, length).astype(np.float64)
        self._lowpass, self._input_rate_sps, self._half_width_hz = lowpass, rate_sps, half_width_hz
        omega = 2 * np.pi * carrier_hz / rate_sps
        # correlation form (oldest tap first): tap i multiplies the sample (length - 1 - i) before the output
        bandpass = lowpass * np.exp(1j * omega * (length - 1 - np.arange(length)))
        self._taps = np.stack([bandpass.real, bandpass.imag], axis=1).astype(np.float32)
        self._reversed = None  # the taps reversed, for convolution
        self._length = length
        # Output m is the window of `length` samples ending at input sample m * factor + factor - 1.
        self._buffer = np.zeros(length - self.factor, np.float32)  # becomes complex with complex input
        self._step = self.factor * omega
        self._next = (self.factor - 1) * omega  # carrier phase at the next output sample
        #: Seconds by which the output lags the input.
        self.delay_s = ((length - 1) / 2 - (self.factor - 1)) / rate_sps

    def process(self, samples: np.ndarray) -> np.ndarray:
        buffer = np.concatenate([self._buffer, samples])
        count = (len(buffer) - self._length) // self.factor + 1 if len(buffer) >= self._length else 0
        self._buffer = buffer[count * self.factor :]
        if count == 0:
            return np.zeros(0, np.complex64)
        if np.iscomplexobj(buffer):  # two real products (numpy's complex-by-real product is slow)
            real, imag = self._windowed(buffer.real.copy(), count), self._windowed(buffer.imag.copy(), count)
            z = (real[:, 0] - imag[:, 1]) + 1j * (real[:, 1] + imag[:, 0])
        else:
            out = self._windowed(buffer, count)
            z = out[:, 0] + 1j * out[:, 1]
        phase = self._next + self._step * np.arange(count)
        self._next = float((self._next + self._step * count) % (2 * np.pi))
        return (z * np.exp(-1j * phase)).astype(np.complex64)


    def squared_noise_shape(self, freqs_hz: np.ndarray) -> np.ndarray:
        """The power spectrum of the *squared* output for white noise in, at ``freqs_hz``, peak 1.

        Squaring filtered noise gives the self-convolution of the filter's power
        response: a hump centred on zero, not flat. The carrier search divides it
        out before comparing a line with the noise.

        >>> down = Downconverter(48000.0, 1500.0, 1000.0, factor=5)
        >>> down.squared_noise_shape(np.array([0.0, 1000.0, 2000.0, 4000.0])).round(2).tolist()
        [1.0, 0.49, 0.01, 0.0]
        """
        step = self._half_width_hz / 200
        grid = np.arange(-600, 601) * step
        # The filter's response on the grid, a few frequencies at a time (a long filter at a high input rate
        # would otherwise make a grid-by-taps matrix of gigabytes).
        n = np.arange(len(self._lowpass))
        rows = max(1, (8 << 20) // (16 * len(n)))
        response = np.concatenate([
            np.abs(np.exp(-2j * np.pi * np.outer(grid[first : first + rows], n) / self._input_rate_sps)
                   @ self._lowpass) ** 2
            for first in range(0, len(grid), rows)])
        shape = np.convolve(response, response)  # on the grid from 2 * grid[0], same step
        shape /= shape.max()
        return np.interp(freqs_hz, 2 * grid[0] + step * np.arange(len(shape)), shape, left=0.0, right=0.0)

    def _windowed(self, buffer: np.ndarray, count: int) -> np.ndarray:
        """Every output's window of input times the taps (filter, shift, decimate): for a small factor numpy's
        direct convolution at the input rate, then every ``factor``-th output (faster than the strided
        windows' product, which copies them); otherwise one matrix product."""
        if self.factor <= CONVOLVE_MAX_FACTOR:
            if self._reversed is None:
                self._reversed = [self._taps[::-1, column].copy() for column in range(self._taps.shape[1])]
            valid = buffer[: (count - 1) * self.factor + self._length]
            return np.stack([np.convolve(valid, taps, mode="valid")[:: self.factor] for taps in self._reversed],
                            axis=1)
        stride = buffer.strides[0]
        windows = np.lib.stride_tricks.as_strided(buffer, (count, self._length), (self.factor * stride, stride),
                                                  writeable=False)
        rows = max(1, WINDOW_BUDGET_BYTES // (4 * self._length))  # the product may copy its windows: in slices
        return np.concatenate([windows[first : first + rows] @ self._taps for first in range(0, count, rows)])


class CarrierSearch:
    """Complex baseband in, the same with the carrier's offset (searched within ``+-search_hz``) removed.

    Blocks of ``block`` samples, hopping by half a block, each give the
    frequency of the squared signal's strongest line (halved) and that line's
    strength. The frequency at a sample between two block centres is
    interpolated when both blocks saw a carrier, taken from the one that did
    otherwise, and held from the last carrier seen when neither did. Where no
    carrier was seen in the blocks around a stretch, it comes out as zeros
    (noise there would only feed the slicers chance flags), and
    :attr:`last_present` says which output samples carry something. Output lags input
    by about one block.

    >>> rate = 9600.0
    >>> symbols = np.repeat(np.random.default_rng(2).integers(0, 2, 2400) * 2 - 1, 8)
    >>> z = symbols * np.exp(2j * np.pi * 230.0 * np.arange(len(symbols)) / rate)
    >>> search = CarrierSearch(rate, search_hz=600.0)
    >>> out = np.concatenate([search.process(z[:7000]), search.process(z[7000:])])
    >>> round(search.last_hz), bool(np.median(np.abs(np.diff(np.unwrap(2 * np.angle(out[3000:]))))) < 0.05)
    (230, True)
    """

    def __init__(self, rate_sps: float, search_hz: float, block_s: float = SEARCH_BLOCK_S,
                 noise_shape=None) -> None:
        self.rate_sps = rate_sps
        self.block = int(2 ** np.round(np.log2(max(block_s * rate_sps, 64))))
        self.hop = self.block // 2
        size = self.block * SEARCH_ZERO_PAD
        freqs = np.fft.fftfreq(size, 1.0 / rate_sps) / 2  # carrier offset for each bin of the squared signal
        self._bins = np.flatnonzero(np.abs(freqs) <= search_hz)
        self._freqs = freqs
        # The squared noise's own spectrum over the searched bins (2f), divided out: flat noise, fair peaks.
        shape = np.ones(len(self._bins)) if noise_shape is None else noise_shape(2 * freqs[self._bins])
        self._whiten = 1.0 / np.maximum(shape, 1e-2)
        self._size = size
        self._window = np.hanning(self.block).astype(np.float32)
        self._buffer = np.zeros(0, np.complex64)
        self._buffer_start = 0  # stream index of _buffer[0]
        self._next_block = 0  # index of the next block to measure (it starts at k * hop)
        self._out = 0  # stream index of the next output sample
        self._centres = []  # (centre, frequency or None) of the last two measured blocks
        self._seen = [False, False, False]  # whether each of the last three blocks saw a carrier
        self._held_hz = 0.0
        self._phase = 0.0
        self.last_hz = 0.0
        #: Blocks measured, and those in which a carrier line stood out.
        self.blocks = self.blocks_with_line = 0
        #: For the samples the last :meth:`process` returned: True where a carrier was seen around them.
        self.last_present = np.zeros(0, bool)
        #: Samples by which output lags input (at most).
        self.delay = self.block

    def _measure(self, samples: np.ndarray) -> float | None:
        squared = (samples * samples) * self._window
        power = np.abs(np.fft.fft(squared, self._size)[self._bins]) ** 2 * self._whiten
        peak = int(np.argmax(power))
        if not power[peak] > LINE_THRESHOLD * np.median(power):  # digital silence (all zero) is no line either
            return None
        offset = 0.0
        if 0 < peak < len(power) - 1:  # parabolic interpolation on log power
            a, b, c = np.log(power[peak - 1 : peak + 2] + 1e-30)
            denominator = a - 2 * b + c
            offset = 0.5 * (a - c) / denominator if denominator < 0 else 0.0
        step = self._freqs[1] - self._freqs[0]
        return float(self._freqs[self._bins[peak]] + offset * step)

    def process(self, z: np.ndarray) -> np.ndarray:
        self._buffer = np.concatenate([self._buffer, z.astype(np.complex64, copy=False)])
        end = self._buffer_start + len(self._buffer)
        pieces, present = [], []
        while self._next_block * self.hop + self.block <= end:
            first = self._next_block * self.hop - self._buffer_start
            freq = self._measure(self._buffer[first : first + self.block])
            centre = self._next_block * self.hop + self.block // 2
            self._next_block += 1
            self._centres = (self._centres + [(centre, freq)])[-2:]
            self._seen = self._seen[1:] + [freq is not None]
            present.append(np.full(centre - self._out, any(self._seen)))
            if not any(self._seen):
                pieces.append(np.zeros(centre - self._out, np.complex64))
                self._out = centre
            elif len(self._centres) == 1:
                pieces.append(self._derotate(centre, [freq if freq is not None else self._held_hz] * 2))
            else:
                (_, f0), (_, f1) = self._centres
                if f0 is None and f1 is None:
                    f0 = f1 = self._held_hz
                elif f0 is None:
                    f0 = f1
                elif f1 is None:
                    f1 = f0
                pieces.append(self._derotate(centre, [f0, f1]))
            self.blocks += 1
            if freq is not None:
                self._held_hz = freq
                self.last_hz = freq
                self.blocks_with_line += 1
        keep_from = min(self._next_block * self.hop, self._out) - self._buffer_start
        self._buffer = self._buffer[keep_from:]
        self._buffer_start += keep_from
        self.last_present = np.concatenate(present) if present else np.zeros(0, bool)
        return np.concatenate(pieces) if pieces else np.zeros(0, np.complex64)

    def _derotate(self, until: int, freqs_hz: list[float]) -> np.ndarray:
        """Output samples from :attr:`_out` up to ``until`` (exclusive), the frequency going linearly from
        ``freqs_hz[0]`` to ``freqs_hz[1]`` over those samples."""
        count = until - self._out
        first = self._out - self._buffer_start
        frequency = np.linspace(freqs_hz[0], freqs_hz[1], count, endpoint=False)
        phase = self._phase + 2 * np.pi * np.cumsum(frequency) / self.rate_sps
        out = self._buffer[first : first + count] * np.exp(-1j * (phase - 2 * np.pi * frequency / self.rate_sps))
        self._phase = float(phase[-1] % (2 * np.pi)) if count else self._phase
        self._out = until
        return out.astype(np.complex64)


class PhaseEstimator:
    """Complex baseband (carrier within a few Hz of zero) in; the real decision signal out, scaled to about
    +-1, delayed by half the window.

    The carrier phase is half the angle of the moving average of the squared
    signal over ``window`` samples (centred), unwrapped along the stream; the
    amplitude is the square root of that average's magnitude. Given several
    columns (the same signal through matched filters of one length), the first
    column's phase and amplitude serve them all.

    >>> z = np.repeat([1, -1, -1, 1, -1, 1, 1, 1] * 50, 8) * 0.3 * np.exp(1j * (0.7 + 0.001 * np.arange(3200)))
    >>> estimator = PhaseEstimator(64)
    >>> d = np.concatenate([estimator.process(z[:1000]), estimator.process(z[1000:])])
    >>> signs = np.sign(d[estimator.delay + 200 : estimator.delay + 3000])
    >>> expected = np.sign(np.repeat([1, -1, -1, 1, -1, 1, 1, 1] * 50, 8)[200:3000])
    >>> bool(np.all(signs == expected) or np.all(signs == -expected)), round(float(np.abs(d[2000:2100]).max()), 2)
    (True, 1.0)
    """

    def __init__(self, window: int) -> None:
        self.window = int(window) | 1
        self.delay = self.window // 2
        self._sum_tail = np.zeros(self.window, np.complex128)  # the last `window` squared samples
        self._tail = None
        self._last_angle = 0.0

    def process(self, y: np.ndarray) -> np.ndarray:
        if len(y) == 0:
            return np.zeros(y.shape, np.float32)
        if self._tail is None:
            self._tail = np.zeros((self.delay, *y.shape[1:]), np.complex64)
        first = y if y.ndim == 1 else y[:, 0]
        squared = np.concatenate([self._sum_tail, (first * first).astype(np.complex128)])
        sums = np.cumsum(squared)
        mean = (sums[self.window :] - sums[: -self.window]) / self.window
        self._sum_tail = squared[-self.window :]
        angle = np.unwrap(np.concatenate([[self._last_angle], np.angle(mean)]))[1:]
        self._last_angle = float(angle[-1])
        delayed = np.concatenate([self._tail, y])
        self._tail = delayed[len(delayed) - self.delay :] if self.delay else delayed[:0]
        delayed = delayed[: len(y)]
        rotation = np.exp(-0.5j * angle) / (np.sqrt(np.abs(mean)) + 1e-12)
        if y.ndim > 1:
            rotation = rotation[:, None]
        return np.real(delayed * rotation).astype(np.float32)
