"""Transmit side of BPSK: line levels -> root-raised-cosine shaped baseband, at any sample rate.

Level 1 is phase 0 (+1), level 0 is phase 180 degrees (-1). Symbol ``k`` is
centred at ``(k + 0.5) / baud`` seconds, so a burst of ``n`` symbols is
``n / baud`` seconds long like the other modulators' bursts (the pulse tails
beyond are cut).

>>> baseband = bpsk_baseband(np.array([1, 0, 0, 1], np.uint8), 1200.0, 48000.0)
>>> len(baseband), baseband.dtype
(160, dtype('complex64'))
>>> [round(float(baseband[k * 40 + 20].real), 2) for k in range(4)]  # symbol centres: 1.1 (unit mean power) less a little ISI
[1.1, -1.04, -1.04, 1.1]
"""

from __future__ import annotations

import numpy as np

ROLL_OFF = 0.35
SPAN_SYMBOLS = 4  # each side of the symbol


def rrc_pulse(t_symbols: np.ndarray, roll_off: float = ROLL_OFF) -> np.ndarray:
    """The root-raised-cosine pulse at times in symbols, scaled to 1 at ``t = 0`` (so a symbol centre is +-1
    plus small inter-symbol interference).

    >>> rrc_pulse(np.array([0.0, 1.0, 2.0])).round(3).tolist()
    [1.0, -0.077, 0.052]
    """
    t = np.asarray(t_symbols, np.float64)
    a = roll_off
    numerator = np.sin(np.pi * t * (1 - a)) + 4 * a * t * np.cos(np.pi * t * (1 + a))
    denominator = np.pi * t * (1 - (4 * a * t) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        pulse = numerator / denominator
    pulse = np.where(np.abs(t) < 1e-9, 1 - a + 4 * a / np.pi, pulse)
    special = np.abs(np.abs(t) - 1 / (4 * a)) < 1e-9 if a > 0 else np.zeros(t.shape, bool)
    value = a / np.sqrt(2) * ((1 + 2 / np.pi) * np.sin(np.pi / (4 * a)) + (1 - 2 / np.pi) * np.cos(np.pi / (4 * a)))
    return np.where(special, value, pulse) / (1 - a + 4 * a / np.pi)


def pulse_energy_symbols(roll_off: float = ROLL_OFF) -> float:
    """The energy of :func:`rrc_pulse` (time in symbols): the mean power of a random symbol stream.

    >>> round(pulse_energy_symbols(), 3)
    0.833
    """
    t = np.arange(-64 * SPAN_SYMBOLS, 64 * SPAN_SYMBOLS + 1) / 64
    return float(np.sum(rrc_pulse(t, roll_off) ** 2) / 64)


def bpsk_baseband(levels: np.ndarray, baud: float, rate_sps: float, roll_off: float = ROLL_OFF) -> np.ndarray:
    """Complex baseband (real valued) of the line ``levels``, pulse shaped, ``ceil(n * rate / baud)`` samples,
    scaled to a mean power of 1 (so the simulator's C/N0 is the BPSK signal's)."""
    symbols = 2.0 * np.asarray(levels, np.float64) - 1.0
    count = int(np.ceil(len(symbols) * rate_sps / baud))
    t_symbols = np.arange(count) * (baud / rate_sps) - 0.5  # time from symbol 0's centre, in symbols
    nearest = np.floor(t_symbols).astype(np.int64)
    out = np.zeros(count)
    for shift in range(-SPAN_SYMBOLS, SPAN_SYMBOLS + 2):
        index = nearest + shift
        valid = (index >= 0) & (index < len(symbols))
        out[valid] += symbols[index[valid]] * rrc_pulse(t_symbols[valid] - index[valid], roll_off)
    return (out / np.sqrt(pulse_energy_symbols(roll_off))).astype(np.complex64)


def usb_audio(baseband: np.ndarray, rate_sps: float, carrier_hz, phase_rad: float = 0.0) -> np.ndarray:
    """What a USB receiver makes of ``baseband``: its real part with the carrier at ``carrier_hz`` (a number,
    or one frequency a sample: Doppler and drift), phase continuous.

    >>> audio = usb_audio(np.ones(48, np.complex64), 48000.0, 1000.0)
    >>> audio.dtype, round(float(audio[0]), 3), round(float(audio[24]), 3)  # 1 kHz: half a period is 24 samples
    (dtype('float32'), 1.0, -1.0)
    """
    frequency = np.broadcast_to(np.asarray(carrier_hz, np.float64), (len(baseband),))
    phase = phase_rad + 2 * np.pi * (np.cumsum(frequency) - frequency) / rate_sps
    return np.real(baseband * np.exp(1j * phase)).astype(np.float32)
