"""IQ to FM audio: shift the signal to zero (fixed offset and Doppler), filter, decimate, track the
remaining carrier offset (AFC), filter to the signal's width, discriminate.

>>> import numpy as np
>>> rate = 240_000.0
>>> t = np.arange(240_000) / rate
>>> tone = 0.5 * np.sin(2 * np.pi * 1000 * t)                     # 1 kHz audio, 1.5 kHz deviation
>>> iq = np.exp(1j * (2 * np.pi * 12_000 * t + 2 * np.pi * 3000 * np.cumsum(tone) / rate)).astype(np.complex64)
>>> channel = FmChannel(rate, offset_hz=12_000, half_width_hz=9_000)
>>> first = channel.process(Block(iq[:100_000], rate, 435e6, None, 0.0))
>>> second = channel.process(Block(iq[100_000:], rate, 435e6, None, 100_000 / rate))
>>> audio = np.concatenate([first.samples, second.samples])
>>> first.rate_sps, round(float(np.std(audio[2000:])), 2)   # 0.5 / sqrt(2)
(48000.0, 0.35)
>>> round(second.start_s - first.end_s, 9)                 # the blocks join up
0.0
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from groundstation.dsp.filters import (
    Decimator,
    HopFilterBank,
    RunningMean,
    lowpass_taps,
)
from groundstation.dsp.fm import FM_DEVIATION_HZ, FmDiscriminator
from groundstation.recordings.block import Block, StreamClock

MIN_AUDIO_RATE_SPS = 44_000.0  # room for 9600 baud FSK (4.6 samples a symbol or more)
TAPS_PER_DECIMATION = 10
AFC_WINDOW_S = 0.05
SIGNAL_FILTER_TAPS = 63


class Afc:
    """Automatic frequency control: the power-weighted mean instantaneous frequency over a centred window
    (the spectral centroid: the carrier, for symmetric FM) is mixed to zero.

    Noise-only stretches weigh little, so a burst is caught within a few milliseconds; the signal is
    delayed by half the window so the estimate is centred on it.
    """

    def __init__(self, rate_sps: float, window_s: float = AFC_WINDOW_S) -> None:
        length = int(rate_sps * window_s) | 1
        self.rate_sps = rate_sps
        self.delay = length // 2
        self._weighted = RunningMean(length)
        self._weights = RunningMean(length)
        self._tail = np.zeros(self.delay, np.complex64)
        self._previous = np.complex64(0)
        self._phase = 0.0
        self.last_offset_hz = 0.0

    def process(self, baseband: np.ndarray) -> np.ndarray:
        if len(baseband) == 0:
            return baseband
        delayed_by_one = np.concatenate([[self._previous], baseband[:-1]])
        self._previous = baseband[-1]
        product = baseband * np.conj(delayed_by_one)
        frequency_hz = np.angle(product) * (self.rate_sps / (2 * np.pi))
        weight = np.abs(product)
        offset_hz = self._weighted.process(weight * frequency_hz) / (self._weights.process(weight) + 1e-30)
        self.last_offset_hz = float(offset_hz[-1])
        signal = np.concatenate([self._tail, baseband])
        self._tail = signal[len(signal) - self.delay :] if self.delay else signal[:0]
        signal = signal[: len(baseband)]
        phase = self._phase - 2 * np.pi * np.cumsum(offset_hz) / self.rate_sps
        self._phase = float(phase[-1] % (2 * np.pi))
        return signal * np.exp(1j * (phase + 2 * np.pi * offset_hz / self.rate_sps)).astype(np.complex64)


class FrequencyShift:
    """IQ blocks shifted so that ``offset_hz`` (plus ``doppler_hz(t_s)``, seconds from the input start -> Hz)
    comes to zero: multiplied by exp(-2j*pi*f*t), the phase continuous across blocks; no delay.

    >>> shift = FrequencyShift(1000.0, offset_hz=100.0)
    >>> tone = np.exp(2j * np.pi * 100.0 * np.arange(20) / 1000.0).astype(np.complex64)
    >>> out = [shift.process(Block(tone[a:a + 10], 1000.0, None, None, a / 1000.0)).samples for a in (0, 10)]
    >>> bool(np.allclose(np.concatenate(out), 1.0, atol=1e-5))
    True
    """

    def __init__(self, rate_sps: float, offset_hz: float = 0.0,
                 doppler_hz: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
        self.rate_sps = float(rate_sps)
        self.offset_hz = offset_hz
        self.doppler_hz = doppler_hz
        self._phase = 0.0

    def process(self, block: Block) -> Block:
        iq = block.samples.astype(np.complex64, copy=False)
        count = len(iq)
        if count == 0 or (self.doppler_hz is None and self.offset_hz == 0):
            return block.derived(iq, block.rate_sps, block.start_s, block.centre_hz)
        if self.doppler_hz is None:
            step = 2 * np.pi * self.offset_hz / self.rate_sps
            phase = self._phase + step * np.arange(count)
            self._phase = float((self._phase + step * count) % (2 * np.pi))
        else:
            t_s = block.start_s + np.arange(count) / self.rate_sps
            frequency = self.offset_hz + self.doppler_hz(t_s)
            phase = self._phase + 2 * np.pi * np.concatenate([[0.0], np.cumsum(frequency[:-1])]) / self.rate_sps
            self._phase = float((phase[-1] + 2 * np.pi * frequency[-1] / self.rate_sps) % (2 * np.pi))
        return block.derived(iq * np.exp(-1j * phase.astype(np.float32)), block.rate_sps, block.start_s, block.centre_hz)


class FmChannel:
    """IQ blocks at ``rate_sps`` in, blocks of FM-demodulated audio at :attr:`audio_rate_sps` out.

    ``doppler_hz(t_s)`` (seconds from the input start -> Hz), when given, is added
    to ``offset_hz``: the frequency shifted to zero follows the satellite. The
    audio blocks' times account for the filters' delay.
    """

    def __init__(self, rate_sps: float, offset_hz: float = 0.0, half_width_hz: float = 17_000.0,
                 doppler_hz: Callable[[np.ndarray], np.ndarray] | None = None,
                 deviation_hz: float = FM_DEVIATION_HZ, signal_half_width_hz: float | None = None) -> None:
        self.rate_sps = float(rate_sps)
        self.decimation = self.decimation_for(rate_sps)
        self.audio_rate_sps = self.rate_sps / self.decimation
        cutoff_hz = min(half_width_hz, 0.45 * self.audio_rate_sps)
        # A fixed offset is removed inside the decimating filter (nothing else at the full rate); a Doppler
        # curve by a frequency shift before it.
        fold = doppler_hz is None and self.decimation > 1
        self.shifter = None if fold else FrequencyShift(rate_sps, offset_hz, doppler_hz)
        self.decimator = Decimator(self.rate_sps, self.decimation, cutoff_hz, TAPS_PER_DECIMATION,
                                   shift_hz=offset_hz if fold else 0.0)
        self.discriminator = FmDiscriminator(self.audio_rate_sps, deviation_hz)
        #: Seconds by which the audio lags the IQ (the filters' group delay and the AFC's).
        self.delay_s = self.decimator.delay_s
        self.afc = None
        self.signal_filter = None
        if signal_half_width_hz is not None:
            self.afc = Afc(self.audio_rate_sps)
            taps = lowpass_taps(min(signal_half_width_hz, 0.45 * self.audio_rate_sps), self.audio_rate_sps,
                                SIGNAL_FILTER_TAPS)
            self.signal_filter = HopFilterBank(taps, 1)
            self.delay_s += (self.afc.delay + (SIGNAL_FILTER_TAPS - 1) / 2) / self.audio_rate_sps
        self._clock = StreamClock(self.audio_rate_sps, self.delay_s)

    @staticmethod
    def decimation_for(rate_sps: float) -> int:
        return max(1, int(rate_sps // MIN_AUDIO_RATE_SPS))

    @classmethod
    def audio_rate_for(cls, rate_sps: float) -> float:
        """The audio rate of a channel fed IQ at ``rate_sps`` (44 kS/s or more, an integer fraction)."""
        return float(rate_sps) / cls.decimation_for(rate_sps)

    def process(self, block: Block) -> Block:
        """The audio of this IQ block."""
        iq = block.samples if self.shifter is None else self.shifter.process(block).samples
        baseband = self.decimator.process(iq.astype(np.complex64, copy=False))
        if self.afc is not None:
            baseband = self.signal_filter.process(self.afc.process(baseband.astype(np.complex64, copy=False)))[:, 0]
        audio = self.discriminator.process(baseband.astype(np.complex64, copy=False))
        return block.derived(audio, self.audio_rate_sps, self._clock.next_start_s(block.start_s, len(audio)))
