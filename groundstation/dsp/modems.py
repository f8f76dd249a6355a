"""The modem names of DESIGN.md's shared vocabulary, and what each one is.

>>> spec = MODEMS["fsk9600-g3ruh"]
>>> spec.kind, spec.baud, spec.scrambled, spec.carrier
('fsk', 9600, True, 'fm')
>>> modem("afsk1200").bandwidth_hz()
10400.0
"""

from __future__ import annotations

from dataclasses import dataclass

from groundstation.errors import UserError

FM_DEVIATION_HZ = 3000.0


@dataclass(frozen=True)
class ModemSpec:
    """``kind``: afsk, fsk, bpsk, cw, morse or none; ``carrier``: fm, psk, cw or none."""

    name: str
    kind: str
    baud: int = 0
    scrambled: bool = False
    carrier: str = "fm"

    @property
    def carries_frames(self) -> bool:
        return self.kind in ("afsk", "fsk", "bpsk")

    def bandwidth_hz(self) -> float:
        """Occupied bandwidth (Carson's rule for FM), for choosing sample rates and filters."""
        if self.carrier == "fm":
            highest_audio_hz = 2200.0 if self.kind == "afsk" else self.baud / 2.0
            return 2.0 * (FM_DEVIATION_HZ + highest_audio_hz)
        if self.carrier == "psk":
            return 2.0 * self.baud
        return 200.0


MODEMS: dict[str, ModemSpec] = {
    spec.name: spec
    for spec in (
        ModemSpec("afsk1200", "afsk", 1200),
        ModemSpec("fsk1200", "fsk", 1200),
        ModemSpec("fsk4800", "fsk", 4800),
        ModemSpec("fsk9600", "fsk", 9600),
        ModemSpec("fsk1200-g3ruh", "fsk", 1200, scrambled=True),
        ModemSpec("fsk4800-g3ruh", "fsk", 4800, scrambled=True),
        ModemSpec("fsk9600-g3ruh", "fsk", 9600, scrambled=True),
        ModemSpec("bpsk1200", "bpsk", 1200, carrier="psk"),
        ModemSpec("bpsk9600", "bpsk", 9600, carrier="psk"),
        ModemSpec("bpsk1200-g3ruh", "bpsk", 1200, scrambled=True, carrier="psk"),
        ModemSpec("bpsk9600-g3ruh", "bpsk", 9600, scrambled=True, carrier="psk"),
        ModemSpec("cw", "cw", carrier="cw"),
        ModemSpec("morse", "morse", carrier="cw"),
        ModemSpec("none", "none", carrier="none"),
    )
}


def modem(name: str) -> ModemSpec:
    """The spec of ``name``; :class:`UserError` listing the known names otherwise."""
    try:
        return MODEMS[name]
    except KeyError:
        raise UserError(f"--modem: {name!r} is not a modem; known: {', '.join(MODEMS)}") from None
