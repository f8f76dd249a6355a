"""AFSK (Bell 202: 1200 Hz mark, 2200 Hz space, 1200 baud) from audio.

The audio is first low-passed and decimated to about 8 samples a symbol (the
tones are below 2.5 kHz); there, mark and space correlators 1.75 symbols long
with a sine window give energies that are compared with several space gains
(powers 0.7, 1.0 and 1.4: flat audio and a little twist), each a slicer with
its own timing and HDLC. The ratio (M - gS) / (M + gS) makes the decision
independent of the audio level. Audio with a strong twist (a receiver's
de-emphasised speaker output: the 2200 Hz tone about 5 dB below the 1200 Hz
one, or the other way round) gets one more slicer, whose gain is the measured
ratio of mark to space energy over the last few seconds; it runs only while
that ratio is outside 1/1.8 to 1.8, so flat audio does not pay for it.
"""

from __future__ import annotations

import numpy as np

from groundstation.dsp.filters import Decimator, HopFilterBank
from groundstation.dsp.slicer import (
    DeframerFactory,
    FrameDemodulator,
    SlicerChain,
    SlicerGroup,
)
from groundstation.dsp.timing import TimingRecovery

MARK_HZ = 1200.0  # Bell 202
SPACE_HZ = 2200.0

SPACE_GAINS = (0.7, 1.0, 1.4)
TWIST_ACTIVE = 1.8  # mark/space energy ratio beyond which (or below 1/1.8) the twist slicer runs
TWIST_GAIN_LIMITS = (0.25, 4.0)
TWIST_MEMORY_S = 10.0  # the energies' averaging time
CORRELATOR_SYMBOLS = 1.75
TIMING_WINDOW_SYMBOLS = 24.0
SAMPLES_PER_SYMBOL_OUT = 8
AUDIO_CUTOFF_HZ = 3400.0
DECIMATOR_TAPS_PER_STEP = 8


def correlator_taps(rate_sps: float, baud: float, mark_hz: float, space_hz: float, length_symbols: float) -> np.ndarray:
    """Sine-windowed cosine and sine correlators for both tones: four columns."""
    length = int(round(length_symbols * rate_sps / baud))
    t = (np.arange(length) - (length - 1) / 2) / rate_sps
    window = np.sin(np.pi * (np.arange(length) + 0.5) / length)
    columns = [window * np.cos(2 * np.pi * mark_hz * t), window * np.sin(2 * np.pi * mark_hz * t),
               window * np.cos(2 * np.pi * space_hz * t), window * np.sin(2 * np.pi * space_hz * t)]
    return np.stack(columns, axis=1).astype(np.float32)


class AfskDemodulator(FrameDemodulator):
    """Audio blocks in (any rate of 9.6 kHz or more), :class:`RawFrame` out."""

    def __init__(self, rate_sps: float, make_deframer: DeframerFactory, name: str = "afsk1200",
                 baud: float = 1200.0, mark_hz: float = MARK_HZ, space_hz: float = SPACE_HZ, gains=SPACE_GAINS,
                 correlator_symbols: float = CORRELATOR_SYMBOLS, window_symbols: float = TIMING_WINDOW_SYMBOLS) -> None:
        self.decimator = Decimator(rate_sps, int(rate_sps / baud / SAMPLES_PER_SYMBOL_OUT), AUDIO_CUTOFF_HZ,
                                   DECIMATOR_TAPS_PER_STEP)
        decimated_rate = self.decimator.rate_sps
        delay_s = -self.decimator.delay_s
        taps = correlator_taps(decimated_rate, baud, mark_hz, space_hz, correlator_symbols)
        self.bank = HopFilterBank(taps, 1)
        delay_s -= (len(taps) - 1) / 2 / decimated_rate
        self.latency_s = -delay_s + TimingRecovery.latency_symbols(window_symbols) / baud
        self.rate_sps = rate_sps
        self.gains = np.asarray(gains, np.float32)
        self.slicers = SlicerGroup([
            SlicerChain(name, f"gain {gain:g}", TimingRecovery(decimated_rate / baud, window_symbols), make_deframer(),
                        1.0 / decimated_rate, delay_s)
            for gain in gains
        ])
        self.groups = [self.slicers]
        self._decimated_rate_sps = decimated_rate
        self._energies = np.zeros(2)  # mark, space: decaying sums over about TWIST_MEMORY_S
        self._samples_seen = 0  # decision samples so far, where a waking twist slicer starts its clock
        self._new_twist_chain = lambda: SlicerChain(
            name, "gain measured (twisted audio)", TimingRecovery(decimated_rate / baud, window_symbols),
            make_deframer(), 1.0 / decimated_rate, delay_s + self._samples_seen / decimated_rate)

    def twist_gain(self, mark: np.ndarray, space: np.ndarray) -> float | None:
        """The space gain for strongly twisted audio (the recent mark/space energy ratio), or None when the
        audio is flat enough for the fixed gains.

        >>> demodulator = AfskDemodulator(48000.0, lambda: None)
        >>> ones = np.ones(4800)
        >>> demodulator.twist_gain(ones, ones) is None
        True
        >>> demodulator = AfskDemodulator(48000.0, lambda: None)
        >>> round(demodulator.twist_gain(ones, ones / 3.0), 2)  # the 2200 Hz tone 4.8 dB down
        3.0
        """
        decay = np.exp(-len(mark) / self._decimated_rate_sps / TWIST_MEMORY_S)
        self._energies = decay * self._energies + (float(np.sum(mark)), float(np.sum(space)))
        mark_energy, space_energy = self._energies
        if not space_energy > 0 or not mark_energy > 0:
            return None
        ratio = mark_energy / space_energy
        if 1 / TWIST_ACTIVE <= ratio <= TWIST_ACTIVE:
            return None
        return float(np.clip(ratio, *TWIST_GAIN_LIMITS))

    def demodulate(self, audio: np.ndarray) -> list:
        outputs = self.bank.process(self.decimator.process(audio.astype(np.float32, copy=False)))
        if len(outputs) == 0:
            return []
        mark = outputs[:, 0] ** 2 + outputs[:, 1] ** 2
        space = outputs[:, 2] ** 2 + outputs[:, 3] ** 2
        twist_gain = self.twist_gain(mark, space)
        fixed = self.slicers.chains[:len(self.gains)]
        if twist_gain is None:
            self.slicers.chains = fixed
        elif len(self.slicers.chains) == len(fixed):  # waking: a fresh slicer (clock, HDLC) each time
            self.slicers.chains = fixed + [self._new_twist_chain()]
        self._samples_seen += len(mark)
        signals = []
        for gain in self.gains if twist_gain is None else (*self.gains, twist_gain):
            weighted = gain * space
            signals.append((mark - weighted) / (mark + weighted + 1e-20))
        return self.slicers.process(signals)
