"""Binary FSK on FM (plain NRZI or G3RUH-scrambled) from discriminator audio.

The receive filters are low-passes at 0.55, 0.7 and 0.85 times the symbol rate
(windowed sinc, 6 symbols long), each a slicer of its own: the
transmitted pulse is an NRZ symbol smoothed by the transmitter's own low-pass,
so the matched filter is a low-pass a little narrower than the symbol rate, and
several widths cover transmitters that filter more or less. The DC a frequency offset leaves in FM audio is
removed before the filters with a long centred moving average (1024 symbols: short windows are
biased by the long runs at the start of a scrambled transmission); the slicer
level is zero. Timing comes from zero crossings (see ``timing.py``).
"""

from __future__ import annotations

import numpy as np

from groundstation.dsp.filters import DcBlocker, Decimator, HopFilterBank, lowpass_taps
from groundstation.dsp.slicer import (
    DeframerFactory,
    FrameDemodulator,
    framing_groups,
    grid_samples,
)
from groundstation.dsp.timing import TimingRecovery

SAMPLES_PER_SYMBOL_OUT = 8
DECIMATOR_TAPS_PER_STEP = 8
FILTER_CUTOFFS_BAUDS = (0.55, 0.7, 0.85)
FILTER_SYMBOLS = 6.0
DC_WINDOW_SYMBOLS = 1024
TIMING_WINDOWS = (24.0,)


class FskDemodulator(FrameDemodulator):
    """Audio blocks in (at least 4 samples a symbol), :class:`RawFrame` out.

    ``also``: more ``(name, make_deframer)`` framings to look for in the same symbols (``fsk9600`` and
    ``fsk9600-g3ruh`` share the filters and the timing; only the deframers differ).
    """

    def __init__(self, rate_sps: float, make_deframer: DeframerFactory, name: str, baud: float,
                 windows=TIMING_WINDOWS, cutoffs_bauds=FILTER_CUTOFFS_BAUDS, also=()) -> None:
        # Many samples a symbol (1200 baud at 48 kHz): low-pass and decimate first, then filter every sample.
        self.decimator = Decimator(rate_sps, int(rate_sps / baud / SAMPLES_PER_SYMBOL_OUT), baud,
                                   DECIMATOR_TAPS_PER_STEP)
        decimated_rate = self.decimator.rate_sps
        delay_s = -self.decimator.delay_s
        samples_per_symbol = decimated_rate / baud
        length = int(FILTER_SYMBOLS * samples_per_symbol) // 2 * 2 + 1
        taps = np.stack([lowpass_taps(cutoff * baud, decimated_rate, length) for cutoff in cutoffs_bauds], axis=1)
        self.bank = HopFilterBank(taps, 1)
        period = samples_per_symbol
        # Before the filters: both are linear, so one DC blocker serves every filter.
        self.dc = DcBlocker(int(DC_WINDOW_SYMBOLS * period))
        seconds_per_d = 1.0 / decimated_rate
        delay_s -= ((length - 1) / 2 + self.dc.delay) / decimated_rate
        self.latency_s = -delay_s + TimingRecovery.latency_symbols(max(windows)) / baud
        self.rate_sps = rate_sps
        self.alignment_samples = self.decimator.factor * grid_samples(samples_per_symbol)
        variants = [(f"filter {cutoff:g}, window {window:g}", window) for cutoff in cutoffs_bauds for window in windows]
        self.groups = framing_groups([(name, make_deframer), *also], variants, period, seconds_per_d, delay_s)
        self.windows = len(windows)

    def demodulate(self, audio: np.ndarray) -> list:
        decimated = self.decimator.process(audio.astype(np.float32, copy=False))
        filtered = self.bank.process(self.dc.process(decimated).astype(np.float32))
        if len(filtered) == 0:
            return []
        signals = []
        for column in range(filtered.shape[1]):
            signals += [filtered[:, column]] * self.windows
        return [frame for group in self.groups for frame in group.process(signals)]
