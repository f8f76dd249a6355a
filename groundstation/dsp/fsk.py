"""Binary FSK on FM (plain NRZI or G3RUH-scrambled) from discriminator audio.

The receive filter is a low-pass at 0.7 times the symbol rate (windowed sinc,
about 6 symbols long): the transmitted pulse is an NRZ symbol smoothed by the
transmitter's own low-pass, so the matched filter is a low-pass a little
narrower than the symbol rate. The DC a frequency offset leaves in FM audio is
removed with a long centred moving average (1024 symbols: short windows are
biased by the long runs at the start of a scrambled transmission); the slicer
level is zero. Timing comes from zero crossings (see ``timing.py``).
"""

from __future__ import annotations

import numpy as np

from groundstation.dsp.filters import DcBlocker, HopFilterBank, lowpass_taps
from groundstation.dsp.slicer import SlicerChain, SlicerGroup

SAMPLES_PER_SYMBOL_OUT = 8
FILTER_CUTOFF_BAUDS = 0.7
FILTER_SYMBOLS = 6.0
DC_WINDOW_SYMBOLS = 1024
TIMING_WINDOWS = (16.0, 48.0)


class FskDemodulator:
    """Audio blocks in (at least 4 samples a symbol), :class:`RawFrame` out."""

    def __init__(self, rate_sps: float, name: str, baud: float, scrambled: bool, check=None, repair: bool = True,
                 windows=TIMING_WINDOWS, cutoff_bauds: float = FILTER_CUTOFF_BAUDS) -> None:
        samples_per_symbol = rate_sps / baud
        self.hop = max(1, int(round(samples_per_symbol / SAMPLES_PER_SYMBOL_OUT)))
        length = int(FILTER_SYMBOLS * samples_per_symbol) // 2 * 2 + 1
        self.bank = HopFilterBank(lowpass_taps(cutoff_bauds * baud, rate_sps, length), self.hop)
        period = samples_per_symbol / self.hop
        self.dc = DcBlocker(int(DC_WINDOW_SYMBOLS * period))
        seconds_per_d = self.hop / rate_sps
        delay_s = ((self.hop - 1) - (self.bank.segments * self.hop - 1) / 2 - self.dc.delay * self.hop) / rate_sps
        self.latency_s = -delay_s + max(windows) / baud
        self.rate_sps = rate_sps
        self.slicers = SlicerGroup([
            SlicerChain(name, f"window {window:g}", period, window, scrambled, seconds_per_d, delay_s, check, repair)
            for window in windows
        ], check)

    def process(self, audio: np.ndarray) -> list:
        filtered = self.bank.process(audio.astype(np.float32, copy=False))[:, 0]
        if len(filtered) == 0:
            return []
        d = self.dc.process(filtered).astype(np.float32)
        return self.slicers.process([d] * len(self.slicers.chains))

    def flush(self) -> list:
        """Push out what the filters and timing still hold (call once, at the end of the input)."""
        return self.process(np.zeros(int((self.latency_s + 0.05) * self.rate_sps), np.float32))
