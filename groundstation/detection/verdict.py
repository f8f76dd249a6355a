"""The verdict of ``check`` in words: what the searches found, said only about what was searched.

>>> verdict = decide("KMS-4", detected=False, rest_freq_hz=435e6, cn0_dbhz=0.0, pfa=0.5, frames=[],
...                  not_this=[], limit_dbhz=9.04, band_hz=(434.99e6, 435.01e6))
>>> verdict.name
'NO SIGNAL DETECTED'
>>> verdict.line
"NO SIGNAL DETECTED: no carrier stronger than 9.0 dB-Hz within +-10.0 kHz of 435.0000 MHz on KMS-4's Doppler track"
"""

from __future__ import annotations

from dataclasses import dataclass

TRANSMITTING = "TRANSMITTING"
NO_SIGNAL = "NO SIGNAL DETECTED"
NOT_THIS = "SIGNAL NOT FROM THIS SATELLITE"
CANNOT_TELL = "CANNOT TELL"

#: The exit code of ``groundstation check`` for each verdict (2 stays bad input, 1 an internal error).
EXIT_CODES = {TRANSMITTING: 0, NO_SIGNAL: 3, NOT_THIS: 4, CANNOT_TELL: 5}


@dataclass(frozen=True)
class Verdict:
    """``name`` is one of the verdicts of DESIGN.md; ``line`` is the sentence printed, starting with it."""

    name: str
    line: str

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.name]


def cannot_tell(reason: str) -> Verdict:
    """The recording cannot answer the question: ``reason`` says why.

    >>> cannot_tell("the satellite is below the horizon for the whole recording").line
    'CANNOT TELL: the satellite is below the horizon for the whole recording'
    """
    return Verdict(CANNOT_TELL, f"{CANNOT_TELL}: {reason}")


def decide(satellite: str, detected: bool, rest_freq_hz: float, cn0_dbhz: float, pfa: float, frames: list,
           not_this: list, limit_dbhz: float | None, band_hz: tuple[float, float], covered: str = "",
           data_limit: tuple[str, float] | None = None) -> Verdict:
    """TRANSMITTING when the on-track search detected; else SIGNAL NOT FROM THIS SATELLITE when another
    signal was attributed elsewhere; else NO SIGNAL DETECTED with the search's limit over ``band_hz``
    (absolute frequencies searched) and ``covered`` (what of the time and band was searched, in words), and
    ``data_limit`` (the data signal asked about, in words, and its limit) when given.

    >>> decide("KMS-4", False, 435e6, 0.0, 0.5, [], [], 9.04, (434.99e6, 435.01e6),
    ...        data_limit=("afsk1200 beacon (0.73 s bursts, 7.3 % of the time)", 28.44)).line.split(" on KMS-4")[0]
    'NO SIGNAL DETECTED: no carrier stronger than 9.0 dB-Hz, and no afsk1200 beacon (0.73 s bursts, 7.3 % of the time) stronger than 28.4 dB-Hz while on the air, within +-10.0 kHz of 435.0000 MHz'
    """
    if detected:
        return Verdict(TRANSMITTING, f"{TRANSMITTING}: {satellite} signal on its Doppler track at "
                       f"{rest_freq_hz / 1e6:.4f} MHz, C/N0 {cn0_dbhz:.1f} dB-Hz, false-alarm probability {pfa:.1e}"
                       + (f", {len(frames)} frames decoded" if frames else ""))
    if not_this:
        return Verdict(NOT_THIS, f"{NOT_THIS}: " + "; ".join(
            f"a signal near {signal.freqs_hz[0] / 1e6:.4f} MHz matches {signal.described}" for signal in not_this))
    half_khz = (band_hz[1] - band_hz[0]) / 2e3
    middle_mhz = (band_hz[0] + band_hz[1]) / 2e6
    data = (f", and no {data_limit[0]} stronger than {data_limit[1]:.1f} dB-Hz while on the air,"
            if data_limit is not None else "")
    limit = "no carrier found (limit not computed)" if limit_dbhz is None else \
        f"no carrier stronger than {limit_dbhz:.1f} dB-Hz"
    return Verdict(NO_SIGNAL, f"{NO_SIGNAL}: {limit}{data} within "
                   f"+-{half_khz:.1f} kHz of {middle_mhz:.4f} MHz on {satellite}'s Doppler track"
                   + (f" ({covered})" if covered else ""))
