"""BPSK (plain NRZI or G3RUH-scrambled, differentially decoded) from SSB audio or complex baseband.

The chain, every stage a block-in / block-out array computation:

1. :class:`~groundstation.dsp.bpsk_carrier.Downconverter`: the band around the nominal carrier (1.5 kHz at 1200
   baud, 12 kHz at 9600 baud in USB audio; the ``--offset`` in IQ) is shifted
   to zero, low-passed and decimated, in one matrix product.
2. :class:`~groundstation.dsp.bpsk_carrier.CarrierSearch`: squaring removes the BPSK modulation and leaves a
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
>>> from groundstation.dsp.modems import MODEMS
>>> demodulator = BpskDemodulator(48000.0, MODEMS["bpsk1200"].deframer_factory(), "bpsk1200", 1200.0)
>>> found = demodulator.demodulate(audio.astype(np.float32)) + demodulator.flush()
>>> sorted({f.data == frame for f in found}), len(found)  # the same frame from each slicer
([True], 4)
"""

from __future__ import annotations

import math

import numpy as np

from groundstation.dsp.bpsk_carrier import CarrierSearch, Downconverter, PhaseEstimator
from groundstation.dsp.bpsk_mod import rrc_pulse
from groundstation.dsp.filters import HopFilterBank, lowpass_taps
from groundstation.dsp.slicer import (
    DeframerFactory,
    FrameDemodulator,
    framing_groups,
    grid_samples,
)

SAMPLES_PER_SYMBOL_TARGET = 8  # after decimation, at least (fewer only where the input rate forces it)
EXCESS_BANDWIDTH = 0.5  # signal half-width is (1 + this) * baud / 2 at most
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


class BpskDemodulator(FrameDemodulator):
    """SSB audio (real) or complex baseband blocks in, :class:`RawFrame` out.

    ``carrier_hz``: the nominal carrier (audio: :func:`default_carrier_hz`; IQ:
    where the signal sits, e.g. ``--offset``); ``search_hz``: how far from it the
    carrier may be. ``also``: more ``(name, make_deframer)`` framings to look for
    in the same symbols (``bpsk1200`` and ``bpsk1200-g3ruh`` share everything up
    to the deframer).
    """

    def __init__(self, rate_sps: float, make_deframer: DeframerFactory, name: str, baud: float,
                 carrier_hz: float | None = None, search_hz: float | None = None,
                 slicers=SLICERS, phase_window_symbols: float = PHASE_WINDOW_SYMBOLS, also=()) -> None:
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
        # the carrier search's blocks, the filters' hops and the clock's symbols fall on the same samples
        self.alignment_samples = factor * math.lcm(self.search.hop, hop * grid_samples(rate2 / baud))
        # Silent samples let through after a carrier goes, before the rest of the silence is left out.
        self._keep_silent = int((FILTER_SYMBOLS + phase_window_symbols + max(w for _, w in slicers) + 32)
                                * samples_per_symbol)
        self._silent = self._keep_silent + 1  # silent samples so far (the start counts as long silent)
        variants = [(f"filter {shape}, window {window:g}", window) for shape, window in slicers]
        self.groups = framing_groups([(name, make_deframer), *also], variants, rate2 / baud, 1.0 / rate2, -delay_s)

    def demodulate(self, samples: np.ndarray) -> list:
        if not np.iscomplexobj(samples):
            samples = samples.astype(np.float32, copy=False)
        z = self.search.process(self.downconverter.process(samples))
        frames = []
        for piece, skipped in self._skip_silence(z, self.search.last_present):
            frames += self._slice(piece)
            if skipped:  # the silence left out: later frames are that much later
                for group in self.groups:
                    for chain in group.chains:
                        chain.delay_s += skipped / self.downconverter.rate_sps
        return frames

    def _skip_silence(self, z: np.ndarray, present: np.ndarray) -> list[tuple[np.ndarray, int]]:
        """Pieces of ``z`` to slice, each with the count of silent samples left out after it.

        Where no carrier was seen the search gives zeros; the first
        :attr:`_keep_silent` of a run of them go through (they flush the
        filters, phase window, timing and deframer), the rest are left out:
        noise-only stretches cost no filtering, timing or deframing.
        """
        if len(z) == 0:
            return []
        index = np.arange(len(z))
        last_present = np.maximum.accumulate(np.where(present, index, -1))
        # how long it has been silent at each sample (0 where a carrier is)
        silent_for = np.where(last_present >= 0, index - last_present, self._silent + 1 + index)
        keep = present | (silent_for <= self._keep_silent)
        self._silent = int(silent_for[-1]) if not present[-1] else 0
        if keep.all():
            return [(z, 0)]
        pieces = []
        edges = np.flatnonzero(np.diff(np.concatenate([[1], keep.astype(np.int8), [1]])))  # starts/ends of drops
        first = 0
        for drop_start, drop_end in zip(edges[::2], edges[1::2]):
            pieces.append((z[first:drop_start], int(drop_end - drop_start)))
            first = drop_end
        pieces.append((z[first:], 0))
        return [(piece, skipped) for piece, skipped in pieces if len(piece) or skipped]

    def _slice(self, z: np.ndarray) -> list:
        if len(z) == 0:
            return []
        filtered = self.filters.process(z)
        if len(filtered) == 0:
            return []
        decisions = self.phase.process(filtered)
        signals = [decisions[:, column] for column in self._columns]
        return [frame for group in self.groups for frame in group.process(signals)]
