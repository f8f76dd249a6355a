"""The data signal a user asks ``check`` about (``--modem``, ``--duty-cycle``): its spectrum and its bursts.

The limit stated for a data signal needs to know what it looks like to the
burst search: how its power spreads over frequency around the carrier (measured
once on the modem's own modulator, the one the simulator uses, with random
bits) and how long it is on the air (an AX.25 beacon frame of
:data:`BEACON_BYTES` with its preamble) and how often (the duty cycle).

>>> import numpy as np
>>> signal = DataSignal.of("afsk1200")
>>> round(signal.burst_s, 2), round(signal.duty_cycle, 3), signal.period_s
(0.73, 0.073, 10.0)
>>> signal.describe()
'afsk1200 beacon (0.73 s bursts, 7.3 % of the time)'
>>> fractions = signal.group_fractions(np.array([-2000.0, -1000.0, 0.0, 1000.0, 2000.0]), 0.0, group_hz=1000.0)
>>> [round(float(value), 2) for value in fractions]   # its carrier, and lines 1200 and 2200 Hz away
[0.24, 0.12, 0.15, 0.12, 0.24]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from groundstation.dsp.modems import MODEMS, modem
from groundstation.errors import UserError

SPECTRUM_RESOLUTION_HZ = 50.0
SPECTRUM_HALF_WIDTH_HZ = 12000.0
SPECTRUM_RATE_SPS = 48000.0
SPECTRUM_SECONDS = 8.0
SPECTRUM_SEED = 20261129
#: A beacon frame's length in bytes (an AX.25 telemetry frame with its header and FCS), and its preamble of flags.
BEACON_BYTES = 92
PREAMBLE_S = 0.1
#: Without --duty-cycle: one beacon every this many seconds.
DEFAULT_PERIOD_S = 10.0


def data_modems() -> list[str]:
    """The modems whose limit ``check`` can state: FM data modems (the burst search sees their spectrum)."""
    return [name for name, spec in MODEMS.items() if spec.channel == "fm" and spec.kind in ("afsk", "fsk")]


@lru_cache(maxsize=16)
def modem_spectrum(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(frequency offsets from the carrier in Hz, the fraction of the power at each, summing to 1): the average
    of Hann-windowed spectra of the modem's modulator driven by random bits."""
    spec = modem(name)
    rng = np.random.default_rng(SPECTRUM_SEED)
    levels = rng.integers(0, 2, int(SPECTRUM_SECONDS * spec.baud)).astype(np.int8)
    samples = spec.modulator(levels, spec.baud, SPECTRUM_RATE_SPS)
    size = int(round(SPECTRUM_RATE_SPS / SPECTRUM_RESOLUTION_HZ))
    window = np.hanning(size)
    power = np.zeros(size)
    for index in range(len(samples) // size):
        power += np.abs(np.fft.fftshift(np.fft.fft(samples[index * size : (index + 1) * size] * window))) ** 2
    freqs_hz = (np.arange(size) - size // 2) * SPECTRUM_RESOLUTION_HZ
    inside = np.abs(freqs_hz) <= SPECTRUM_HALF_WIDTH_HZ
    return freqs_hz[inside], power[inside] / power[inside].sum()


def beacon_seconds(name: str, frame_bytes: int = BEACON_BYTES) -> float:
    """How long a beacon frame of ``frame_bytes`` lasts on the air: a 0.1 s preamble, the frame, a few per cent of
    bit stuffing (0.73 s at 1200 baud, 0.18 s at 9600)."""
    return PREAMBLE_S + 8 * frame_bytes * 1.03 / modem(name).baud


@dataclass(frozen=True)
class DataSignal:
    """A bursty FM data signal: ``modem``, bursts of ``burst_s`` on the air a fraction ``duty_cycle`` of the time."""

    modem: str
    burst_s: float
    duty_cycle: float

    @classmethod
    def of(cls, modem_name: str, duty_cycle: float | None = None) -> DataSignal:
        if modem_name not in data_modems():
            raise UserError(f"--modem {modem_name}: check states a data signal's limit for {', '.join(data_modems())}")
        burst_s = beacon_seconds(modem_name)
        if duty_cycle is None:
            duty_cycle = burst_s / DEFAULT_PERIOD_S
        if not 0 < duty_cycle <= 1:
            raise UserError(f"--duty-cycle {duty_cycle:g}: give a fraction of the time above 0 and at most 1")
        return cls(modem_name, burst_s, min(1.0, max(duty_cycle, burst_s / 3600.0)))

    @property
    def period_s(self) -> float:
        return round(self.burst_s / self.duty_cycle, 6)

    def describe(self) -> str:
        return f"{self.modem} beacon ({self.burst_s:.2f} s bursts, {100 * self.duty_cycle:.1f} % of the time)"

    def group_fractions(self, group_centres_hz: np.ndarray, carrier_hz: float, group_hz: float) -> np.ndarray:
        """The fraction of the signal's power in each group of ``group_hz`` centred at ``group_centres_hz`` for a
        carrier at ``carrier_hz``."""
        freqs_hz, fractions = modem_spectrum(self.modem)
        edges = np.concatenate([[freqs_hz[0] - SPECTRUM_RESOLUTION_HZ / 2], freqs_hz + SPECTRUM_RESOLUTION_HZ / 2])
        cumulative = np.concatenate([[0.0], np.cumsum(fractions)])
        low = np.asarray(group_centres_hz, dtype=float) - group_hz / 2 - carrier_hz
        return np.interp(low + group_hz, edges, cumulative) - np.interp(low, edges, cumulative)
