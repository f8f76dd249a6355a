"""The modem registry: every modem name of DESIGN.md's shared vocabulary, and what serves it.

Each :class:`ModemSpec` names its channel (``fm``: an FM receiver's
discriminator audio; ``ssb``: a carrier heard on SSB or taken as IQ; ``none``),
its demodulator (a :class:`~groundstation.dsp.slicer.FrameDemodulator` class
taking ``(rate_sps, make_deframer, name, baud)``) and its modulator (line levels
to the complex envelope of a burst). The decoder, the simulator, ``check`` and
the command line read this table; a new modem is a new demodulator module and
one line here.

>>> spec = MODEMS["fsk9600-g3ruh"]
>>> spec.kind, spec.baud, spec.scrambled, spec.channel, spec.demodulator.__name__
('fsk', 9600, True, 'fm', 'FskDemodulator')
>>> modem("afsk1200").bandwidth_hz()
10400.0
>>> [spec.name for spec in decodable()][:3]
['afsk1200', 'fsk1200', 'fsk4800']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from groundstation.dsp.afsk import SPACE_HZ, AfskDemodulator
from groundstation.dsp.bpsk import BpskDemodulator, audio_fits
from groundstation.dsp.bpsk_mod import bpsk_baseband
from groundstation.dsp.fm import FM_DEVIATION_HZ
from groundstation.dsp.fsk import FskDemodulator
from groundstation.dsp.hdlc import HdlcDeframer
from groundstation.dsp.modulators import afsk_audio, fm_modulate, fsk_audio
from groundstation.dsp.slicer import DeframerFactory, FrameDemodulator
from groundstation.errors import UserError

#: ``modulator(levels, baud, rate_sps)``: a burst's line levels -> its complex envelope (amplitude 1).
Modulator = Callable[[np.ndarray, float, float], np.ndarray]


def afsk_fm(levels: np.ndarray, baud: float, rate_sps: float) -> np.ndarray:
    """Bell 202 tones on FM."""
    return fm_modulate(afsk_audio(levels, baud, rate_sps), FM_DEVIATION_HZ, rate_sps)


def fsk_fm(levels: np.ndarray, baud: float, rate_sps: float) -> np.ndarray:
    """Gaussian-shaped binary FSK on FM."""
    return fm_modulate(fsk_audio(levels, baud, rate_sps), FM_DEVIATION_HZ, rate_sps)


@dataclass(frozen=True)
class ModemSpec:
    """``kind``: afsk, fsk, bpsk, cw, morse or none; ``channel``: fm, ssb or none."""

    name: str
    kind: str
    baud: int = 0
    scrambled: bool = False
    channel: str = "fm"
    demodulator: type[FrameDemodulator] | None = None
    modulator: Modulator | None = None

    @property
    def carries_frames(self) -> bool:
        return self.kind in ("afsk", "fsk", "bpsk")

    @property
    def decodable(self) -> bool:
        """A demodulator is built for it."""
        return self.demodulator is not None

    def deframer_factory(self, repair: bool = True) -> DeframerFactory:
        """Fresh deframers for this modem's slicers: HDLC, G3RUH-descrambled if the modem scrambles."""
        return partial(HdlcDeframer, self.scrambled, repair)

    def make_demodulator(self, audio_rate_sps: float, repair: bool = True, **options) -> FrameDemodulator:
        """This modem's demodulator for audio (or baseband) at ``audio_rate_sps``."""
        if self.demodulator is None:
            raise UserError(f"modem {self.name}: decoding {self.kind.upper()} is not built yet")
        return self.demodulator(audio_rate_sps, self.deframer_factory(repair), self.name, self.baud, **options)

    def bandwidth_hz(self) -> float:
        """Occupied bandwidth (Carson's rule for FM), for choosing sample rates and filters."""
        if self.channel == "fm":
            highest_audio_hz = SPACE_HZ if self.kind == "afsk" else self.baud / 2.0
            return 2.0 * (FM_DEVIATION_HZ + highest_audio_hz)
        if self.kind == "bpsk":
            return 2.0 * self.baud
        return 200.0

    def fits(self, rate_sps: float) -> bool:
        """Whether audio at ``rate_sps`` can hold this modem (for BPSK: its carrier's search band in USB audio)."""
        if self.kind == "bpsk":
            return audio_fits(self.baud, rate_sps)
        return rate_sps >= (9600.0 if self.kind == "afsk" else 4.0 * self.baud)


MODEMS: dict[str, ModemSpec] = {
    spec.name: spec
    for spec in (
        ModemSpec("afsk1200", "afsk", 1200, demodulator=AfskDemodulator, modulator=afsk_fm),
        ModemSpec("fsk1200", "fsk", 1200, demodulator=FskDemodulator, modulator=fsk_fm),
        ModemSpec("fsk4800", "fsk", 4800, demodulator=FskDemodulator, modulator=fsk_fm),
        ModemSpec("fsk9600", "fsk", 9600, demodulator=FskDemodulator, modulator=fsk_fm),
        ModemSpec("fsk1200-g3ruh", "fsk", 1200, scrambled=True, demodulator=FskDemodulator, modulator=fsk_fm),
        ModemSpec("fsk4800-g3ruh", "fsk", 4800, scrambled=True, demodulator=FskDemodulator, modulator=fsk_fm),
        ModemSpec("fsk9600-g3ruh", "fsk", 9600, scrambled=True, demodulator=FskDemodulator, modulator=fsk_fm),
        ModemSpec("bpsk1200", "bpsk", 1200, channel="ssb", demodulator=BpskDemodulator, modulator=bpsk_baseband),
        ModemSpec("bpsk9600", "bpsk", 9600, channel="ssb", demodulator=BpskDemodulator, modulator=bpsk_baseband),
        ModemSpec("bpsk1200-g3ruh", "bpsk", 1200, scrambled=True, channel="ssb", demodulator=BpskDemodulator,
                  modulator=bpsk_baseband),
        ModemSpec("bpsk9600-g3ruh", "bpsk", 9600, scrambled=True, channel="ssb", demodulator=BpskDemodulator,
                  modulator=bpsk_baseband),
        ModemSpec("cw", "cw", channel="ssb"),
        ModemSpec("morse", "morse", channel="ssb"),
        ModemSpec("none", "none", channel="none"),
    )
}


def modem(name: str) -> ModemSpec:
    """The spec of ``name``; :class:`UserError` listing the known names otherwise."""
    try:
        return MODEMS[name]
    except KeyError:
        raise UserError(f"{name!r} is not a modem; known: {', '.join(MODEMS)}") from None


def decodable() -> list[ModemSpec]:
    """The modems the decoder can run (those with a demodulator)."""
    return [spec for spec in MODEMS.values() if spec.decodable]


def simulatable() -> list[ModemSpec]:
    """The modems the simulator can send: those with a modulator, and the frameless ones."""
    return [spec for spec in MODEMS.values() if spec.modulator is not None or not spec.carries_frames]
