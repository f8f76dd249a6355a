"""BPSK (plain NRZI or G3RUH-scrambled, differentially decoded) from SSB audio or complex baseband.

The chain, every stage a block-in / block-out array computation:

1. :class:`Downconverter`: the band around the nominal carrier (1.5 kHz at 1200
   baud, 12 kHz at 9600 baud in USB audio; the ``--offset`` in IQ) is shifted
   to zero, low-passed and decimated, in one matrix product.
2. :class:`CarrierSearch`: squaring removes the BPSK modulation and leaves a
   line at twice the carrier's offset; its frequency is measured in blocks of
   about 0.1 s (a zero-padded FFT, interpolated peak), and only blocks where the
   line stands clearly above the noise count. The carrier frequency between
   block centres is interpolated (Doppler drift), the baseband derotated.
3. Matched filters (a root raised cosine for the usual transmit pulse and two
   low-passes for transmitters that shape less or differently), then the
   residual carrier phase: half the angle of the squared signal's centred
   moving average over some tens of symbols, unwrapped (a feed-forward phase
   estimator: no loop, so nothing to lose lock). The real part of the
   derotated signal, scaled by its own amplitude estimate, is a decision
   signal. Four slicers differ in filter and timing window (64 symbols is the
   most sensitive; 24 and 12 follow a transmitter clock off by a few per cent).
4. The 180-degree ambiguity does not matter: the line levels go through NRZI
   (differential) decoding in :class:`~groundstation.dsp.slicer.SlicerChain`,
   which also recovers symbol timing and finds the HDLC frames.

>>> from frames import Ax25Frame, append_fcs
>>> from groundstation.dsp.bpsk_mod import bpsk_baseband
>>> from groundstation.dsp.hdlc import frame_bits, nrzi_encode
>>> frame = Ax25Frame.ui("SIMSAT", "TLM", b"SIMULATED bpsk test").to_bytes()
>>> levels = nrzi_encode(frame_bits(append_fcs(frame), preamble_flags=20, postamble_flags=4))
>>> baseband = bpsk_baseband(levels, 1200.0, 48000.0)
>>> t = np.arange(len(baseband)) / 48000.0
>>> audio = np.real(baseband * np.exp(2j * np.pi * (1500.0 + 170.0 + 20.0 * t) * t))  # off by 170 Hz, drifting
>>> demodulator = BpskDemodulator(48000.0, "bpsk1200", 1200.0, scrambled=False)
>>> found = demodulator.process(audio.astype(np.float32)) + demodulator.flush()
>>> sorted({f.data == frame for f in found}), len(found)  # the same frame from each slicer
([True], 4)
"""

from __future__ import annotations

import numpy as np

from groundstation.dsp.bpsk_mod import rrc_pulse
from groundstation.dsp.filters import HopFilterBank, lowpass_taps
from groundstation.dsp.slicer import FrameDemodulator, SlicerChain, SlicerGroup
from groundstation.dsp.timing import TimingRecovery

SAMPLES_PER_SYMBOL_TARGET = 8  # after decimation, at least (fewer only where the input rate forces it)
DOWNCONVERTER_TAPS_PER_STEP = 16
EXCESS_BANDWIDTH = 0.5  # signal half-width is (1 + this) * baud / 2 at most
SEARCH_BLOCK_S = 0.1  # length of a carrier-search block (halved for each hop)
SEARCH_ZERO_PAD = 2
LINE_THRESHOLD = 30.0  # squared-signal line peak over the median of the search band (power)
# Slicers: (receive filter, see matched_taps; timing window in symbols). The long window is the most
# sensitive at the nominal bit rate; the short ones follow a transmitter clock a few per cent off (the
# 12-symbol one 3 %), the wide filter unshaped symbols.
SLICERS = (("rrc", 64.0), ("rrc", 24.0), (0.6, 24.0), (0.75, 12.0))
FILTER_SYMBOLS = 6.0
PHASE_WINDOW_SYMBOLS = 24.0
AUDIO_CARRIER_HZ = {1200: 1500.0, 9600: 12000.0}  # where USB receivers put the carrier


def default_carrier_hz(baud: float) -> float:
    """The nominal carrier in USB audio: 1.5 kHz at 1200 baud, 12 kHz at 9600 (1.25 baud otherwise).

    >>> default_carrier_hz(1200), default_carrier_hz(9600), default_carrier_hz(2400)
    (1500.0, 12000.0, 3000.0)
    """
    return AUDIO_CARRIER_HZ.get(int(baud), 1.25 * baud)


def default_search_hz(baud: float) -> float:
    """How far from the nominal carrier to look: +-600 Hz at 1200 baud, a fifth of the bit rate above.

    >>> default_search_hz(1200), default_search_hz(9600)
    (600.0, 1920.0)
    """
    return max(600.0, 0.2 * baud)


def audio_fits(baud: float, rate_sps: float) -> bool:
    """Whether real audio at ``rate_sps`` holds the carrier's search band at :func:`default_carrier_hz`.

    >>> audio_fits(1200, 8000), audio_fits(9600, 48000), audio_fits(9600, 32000)
    (True, True, False)
    """
    top_hz = default_carrier_hz(baud) + (1 + EXCESS_BANDWIDTH) * baud / 2 + default_search_hz(baud)
    return rate_sps >= 2 * top_hz


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
        n = np.arange(len(self._lowpass))
        response = np.abs(np.exp(-2j * np.pi * np.outer(grid, n) / self._input_rate_sps) @ self._lowpass) ** 2
        shape = np.convolve(response, response)  # on the grid from 2 * grid[0], same step
        shape /= shape.max()
        return np.interp(freqs_hz, 2 * grid[0] + step * np.arange(len(shape)), shape, left=0.0, right=0.0)

    def _windowed(self, buffer: np.ndarray, count: int) -> np.ndarray:
        """One matrix product: every output's window of input times the taps (filter, shift, decimate)."""
        stride = buffer.strides[0]
        windows = np.lib.stride_tricks.as_strided(buffer, (count, self._length), (self.factor * stride, stride),
                                                  writeable=False)
        return windows @ self._taps


class CarrierSearch:
    """Complex baseband in, the same with the carrier's offset (searched within ``+-search_hz``) removed.

    Blocks of ``block`` samples, hopping by half a block, each give the
    frequency of the squared signal's strongest line (halved) and that line's
    strength. The frequency at a sample between two block centres is
    interpolated when both blocks saw a carrier, taken from the one that did
    otherwise, and held from the last carrier seen when neither did. Where no
    carrier was seen in the blocks around a stretch, it comes out as zeros
    (noise there would only feed the slicers chance flags). Output lags input
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
        pieces = []
        while self._next_block * self.hop + self.block <= end:
            first = self._next_block * self.hop - self._buffer_start
            freq = self._measure(self._buffer[first : first + self.block])
            centre = self._next_block * self.hop + self.block // 2
            self._next_block += 1
            self._centres = (self._centres + [(centre, freq)])[-2:]
            self._seen = self._seen[1:] + [freq is not None]
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
            if freq is not None:
                self._held_hz = freq
                self.last_hz = freq
        keep_from = min(self._next_block * self.hop, self._out) - self._buffer_start
        self._buffer = self._buffer[keep_from:]
        self._buffer_start += keep_from
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


def matched_taps(shape, samples_per_symbol: float, length: int) -> np.ndarray:
    """A receive filter of ``length`` taps, unit DC gain: ``"rrc"`` (root raised cosine, roll-off 0.35:
    matched to the usual transmit pulse), ``"box"`` (one symbol long: matched to unshaped symbols), or a
    number: a windowed-sinc low-pass with that cutoff in bauds.

    >>> [round(float(matched_taps(shape, 8.0, 49).sum()), 6) for shape in ("rrc", "box", 0.6)]
    [1.0, 1.0, 1.0]
    >>> int(np.count_nonzero(matched_taps("box", 8.0, 49)))
    9
    """
    if shape == "box":
        t = np.abs(np.arange(length) - (length - 1) / 2) / samples_per_symbol
        taps = np.clip((0.5 - t) * samples_per_symbol + 0.5, 0.0, 1.0)  # one symbol long, edges fractional
        return (taps / taps.sum()).astype(np.float32)
    if shape == "rrc":
        taps = rrc_pulse((np.arange(length) - (length - 1) / 2) / samples_per_symbol)
        return (taps / taps.sum()).astype(np.float32)
    return lowpass_taps(float(shape) / samples_per_symbol, 1.0, length)


class _RecordedTiming:
    """A slicer's timing recovery that keeps its last output, for :class:`_ReplayedTiming`."""

    def __init__(self, timing: TimingRecovery) -> None:
        self.timing = timing
        self.last = (np.zeros(0, np.float32), np.zeros(0))

    def process(self, d: np.ndarray):
        self.last = self.timing.process(d)
        return self.last


class _ReplayedTiming:
    """The timing of a second framing (plain and G3RUH at one bit rate) of the same decision signal: what
    the first framing's timing just produced, so the symbols are timed once."""

    def __init__(self, source: _RecordedTiming) -> None:
        self.source = source

    def process(self, d: np.ndarray):
        return self.source.last


class BpskDemodulator(FrameDemodulator):
    """SSB audio (real) or complex baseband blocks in, :class:`RawFrame` out.

    ``carrier_hz``: the nominal carrier (audio: :func:`default_carrier_hz`; IQ:
    where the signal sits, e.g. ``--offset``); ``search_hz``: how far from it the
    carrier may be. ``also``: more (name, scrambled) framings to look for in the
    same symbols (``bpsk1200`` and ``bpsk1200-g3ruh`` share everything up to the
    deframer).
    """

    def __init__(self, rate_sps: float, name: str, baud: float, scrambled: bool, check=None, repair: bool = True,
                 carrier_hz: float | None = None, search_hz: float | None = None,
                 slicers=SLICERS, phase_window_symbols: float = PHASE_WINDOW_SYMBOLS, also=()) -> None:
        check = check or (lambda raw, repaired: True)  # every FCS-valid frame (give a check to gate repairs)
        carrier_hz = default_carrier_hz(baud) if carrier_hz is None else carrier_hz
        search_hz = default_search_hz(baud) if search_hz is None else search_hz
        half_width_hz = (1 + EXCESS_BANDWIDTH) * baud / 2 + search_hz
        # First decimation: keep the whole search band, 8 samples a symbol, and twice the widest offset
        # (the squared signal's line) inside the band.
        needed_rate = max(SAMPLES_PER_SYMBOL_TARGET * baud, 2.5 * half_width_hz, 4.4 * search_hz)
        factor = max(1, int(rate_sps // needed_rate))
        self.downconverter = Downconverter(rate_sps, carrier_hz, half_width_hz, factor)
        rate1 = self.downconverter.rate_sps
        self.search = CarrierSearch(rate1, search_hz, noise_shape=self.downconverter.squared_noise_shape)
        # Second decimation (IQ with a wide search): the matched filters keep every `hop`-th sample.
        hop = max(1, int(rate1 // (SAMPLES_PER_SYMBOL_TARGET * baud)))
        rate2 = rate1 / hop
        samples_per_symbol = rate1 / baud
        length = int(FILTER_SYMBOLS * samples_per_symbol) // 2 * 2 + 1
        shapes = list(dict.fromkeys(shape for shape, _ in slicers))
        self._columns = [shapes.index(shape) for shape, _ in slicers]
        taps = np.stack([matched_taps(shape, samples_per_symbol, length) for shape in shapes], axis=1)
        self.filters = HopFilterBank(taps, hop)
        window = int(phase_window_symbols * rate2 / baud)
        self.phase = PhaseEstimator(window)
        # The carrier search holds samples back but does not shift them: it counts in the latency only.
        delay_s = (self.downconverter.delay_s + ((self.filters.segments * hop - 1) / 2 - (hop - 1)) / rate1
                   + self.phase.delay / rate2)
        self.latency_s = delay_s + self.search.delay / rate1 + max(window for _, window in slicers) / baud
        self.rate_sps = rate_sps
        self.groups = []  # one SlicerGroup a framing; the first times the symbols for all
        for framing, (modem, is_scrambled) in enumerate([(name, scrambled), *also]):
            chains = [SlicerChain(modem, f"filter {shape}, window {window:g}", rate2 / baud, window, is_scrambled,
                                  1.0 / rate2, -delay_s, check, repair)
                      for shape, window in slicers]
            for chain, first in zip(chains, self.groups[0].chains if framing else chains):
                chain.timing = _ReplayedTiming(first.timing) if framing else _RecordedTiming(chain.timing)
            self.groups.append(SlicerGroup(chains, check))

    def process(self, samples: np.ndarray) -> list:
        if not np.iscomplexobj(samples):
            samples = samples.astype(np.float32, copy=False)
        z = self.search.process(self.downconverter.process(samples))
        if len(z) == 0:
            return []
        filtered = self.filters.process(z)
        if len(filtered) == 0:
            return []
        decisions = self.phase.process(filtered)
        signals = [decisions[:, column] for column in self._columns]
        return [frame for group in self.groups for frame in group.process(signals)]
