"""Transmit side of the modems: symbol levels -> audio -> FM, and Morse keying.

Sample ``k`` of a burst is at time ``k / rate_sps``; it carries symbol
``floor(k * baud / rate_sps)``, so any sample rate works, integer ratio or not.

>>> audio = afsk_audio(np.array([1, 1, 0, 0], np.uint8), 1200, 48000)
>>> len(audio), round(float(np.abs(audio).max()), 3)
(160, 1.0)
>>> baseband = fm_modulate(audio, 3000.0, 48000)
>>> bool(np.allclose(np.abs(baseband), 1.0))
True
"""

from __future__ import annotations

import numpy as np

from groundstation.dsp.afsk import MARK_HZ, SPACE_HZ

GAUSSIAN_BT = 0.5


def burst_samples(symbol_count: int, baud: float, rate_sps: float) -> int:
    return int(np.ceil(symbol_count * rate_sps / baud))


def _held_symbols(levels: np.ndarray, baud: float, rate_sps: float) -> np.ndarray:
    """Each sample's symbol level (sample-and-hold at an arbitrary rate)."""
    count = burst_samples(len(levels), baud, rate_sps)
    index = np.minimum((np.arange(count) * (baud / rate_sps)).astype(np.int64), len(levels) - 1)
    return np.asarray(levels)[index]


def afsk_audio(levels: np.ndarray, baud: float, rate_sps: float, mark_hz: float = MARK_HZ,
               space_hz: float = SPACE_HZ) -> np.ndarray:
    """Bell 202: level 1 -> mark tone, level 0 -> space tone, phase continuous, amplitude 1."""
    frequency = np.where(_held_symbols(levels, baud, rate_sps) == 1, mark_hz, space_hz)
    phase = 2 * np.pi * np.cumsum(frequency) / rate_sps
    return np.sin(phase).astype(np.float32)


def gaussian_taps(baud: float, rate_sps: float, bt: float = GAUSSIAN_BT, span_symbols: int = 4) -> np.ndarray:
    """A Gaussian pulse-shaping filter (unit DC gain) for symbols of ``baud`` at ``rate_sps``."""
    sigma_s = np.sqrt(np.log(2)) / (2 * np.pi * bt * baud)
    half = int(np.ceil(span_symbols / 2 * rate_sps / baud))
    t = np.arange(-half, half + 1) / rate_sps
    taps = np.exp(-0.5 * (t / sigma_s) ** 2)
    return taps / taps.sum()


def fsk_audio(levels: np.ndarray, baud: float, rate_sps: float, bt: float = GAUSSIAN_BT) -> np.ndarray:
    """NRZ (+1 for level 1, -1 for level 0) through a Gaussian filter: the FM modulating signal of GFSK."""
    nrz = 2.0 * _held_symbols(levels, baud, rate_sps).astype(np.float64) - 1.0
    taps = gaussian_taps(baud, rate_sps, bt)
    half = len(taps) // 2
    padded = np.concatenate([np.full(half, nrz[0]), nrz, np.full(half, nrz[-1])])
    return np.convolve(padded, taps, mode="valid").astype(np.float32)


def fm_modulate(audio: np.ndarray, deviation_hz: float, rate_sps: float, phase_rad: float = 0.0) -> np.ndarray:
    """Unit-amplitude complex baseband whose frequency is ``deviation_hz * audio``."""
    phase = phase_rad + 2 * np.pi * deviation_hz * np.cumsum(audio, dtype=np.float64) / rate_sps
    return np.exp(1j * phase).astype(np.complex64)


MORSE_CODE = {
    "A": ".-", "B": "-...", "C": "-.-.", "D": "-..", "E": ".", "F": "..-.", "G": "--.", "H": "....", "I": "..",
    "J": ".---", "K": "-.-", "L": ".-..", "M": "--", "N": "-.", "O": "---", "P": ".--.", "Q": "--.-", "R": ".-.",
    "S": "...", "T": "-", "U": "..-", "V": "...-", "W": ".--", "X": "-..-", "Y": "-.--", "Z": "--..",
    "0": "-----", "1": ".----", "2": "..---", "3": "...--", "4": "....-", "5": ".....", "6": "-....",
    "7": "--...", "8": "---..", "9": "----.", "/": "-..-.", "=": "-...-", "?": "..--..", ".": ".-.-.-",
    ",": "--..--", "-": "-....-", "+": ".-.-.",
}


def morse_intervals(text: str, wpm: float = 20.0) -> tuple[np.ndarray, np.ndarray, float]:
    """Key-down intervals (start_s, end_s arrays) of ``text`` in Morse, and the total length in seconds.

    PARIS timing: a dot is 1.2 / wpm seconds, a dash three dots, one dot between
    elements, three between letters, seven between words.

    >>> starts, ends, length_s = morse_intervals("E E", wpm=12)
    >>> starts.tolist(), ends.tolist(), length_s
    ([0.0, 0.8], [0.1, 0.9], 0.9)
    """
    dot_s = 1.2 / wpm
    starts, ends = [], []
    clock = 0.0
    for word_index, word in enumerate(text.upper().split()):
        if word_index:
            clock += 4 * dot_s  # 3 already added after the last letter: 7 in all
        for letter in word:
            code = MORSE_CODE.get(letter)
            if code is None:
                continue
            for element in code:
                length = dot_s if element == "." else 3 * dot_s
                starts.append(clock)
                ends.append(clock + length)
                clock += length + dot_s
            clock += 2 * dot_s  # 1 already added after the last element: 3 in all
    total = ends[-1] if ends else 0.0
    return np.round(np.array(starts), 9), np.round(np.array(ends), 9), round(total, 9)


def keyed_envelope(t_s: np.ndarray, starts: np.ndarray, ends: np.ndarray, edge_s: float = 0.005) -> np.ndarray:
    """Amplitude 0..1 at times ``t_s`` for key-down intervals, with raised-cosine edges of ``edge_s``."""
    if len(starts) == 0:
        return np.zeros(len(t_s), np.float32)
    index = np.searchsorted(starts, t_s, side="right") - 1
    valid = index >= 0
    index = np.clip(index, 0, len(starts) - 1)
    since_start = t_s - starts[index]
    until_end = ends[index] - t_s
    inside = valid & (since_start >= 0) & (until_end >= 0)
    ramp = np.clip(np.minimum(since_start, until_end) / edge_s, 0.0, 1.0)
    return np.where(inside, 0.5 - 0.5 * np.cos(np.pi * ramp), 0.0).astype(np.float32)
