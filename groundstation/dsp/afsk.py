"""AFSK (Bell 202: 1200 Hz mark, 2200 Hz space, 1200 baud) from audio.

The audio is first low-passed and decimated to about 8 samples a symbol (the
tones are below 2.5 kHz); there, mark and space correlators 1.75 symbols long
with a sine window give energies that are compared with several space gains
(powers: 0.7 to 1.4 for flat and slightly pre-emphasised audio, 2.8 for
de-emphasised audio, whose 2200 Hz tone is about 5 dB weaker), each a slicer
with its own timing and HDLC. The ratio (M - gS) / (M + gS) makes the decision independent
of the audio level.
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

SPACE_GAINS = (0.7, 1.0, 1.4, 2.8)  # bench_decode.py --twist de: 35 frames at 10 dB where (0.7, 1, 1.4) gave 1
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

    def demodulate(self, audio: np.ndarray) -> list:
        outputs = self.bank.process(self.decimator.process(audio.astype(np.float32, copy=False)))
        if len(outputs) == 0:
            return []
        mark = outputs[:, 0] ** 2 + outputs[:, 1] ** 2
        space = outputs[:, 2] ** 2 + outputs[:, 3] ** 2
        signals = []
        for gain in self.gains:
            weighted = gain * space
            signals.append((mark - weighted) / (mark + weighted + 1e-20))
        return self.slicers.process(signals)
