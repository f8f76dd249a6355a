"""FM: the deviation of the FM modems, and a discriminator that is stateful, so a stream cut into
blocks gives the same output as one long array.

>>> import numpy as np
>>> rate = 48000.0
>>> tone = np.exp(2j * np.pi * 1500.0 * np.arange(480) / rate).astype(np.complex64)
>>> discriminator = FmDiscriminator(rate, deviation_hz=3000.0)
>>> first, second = discriminator.process(tone[:100]), discriminator.process(tone[100:])
>>> round(float(np.concatenate([first, second])[1:].mean()), 3)  # 1500 Hz / 3000 Hz deviation
0.5
"""

from __future__ import annotations

import numpy as np

#: The deviation of the FM modems (AFSK and FSK on a narrow-band FM transmitter).
FM_DEVIATION_HZ = 3000.0


class FmDiscriminator:
    """Instantaneous frequency / deviation: 1.0 at +deviation_hz."""

    def __init__(self, rate_sps: float, deviation_hz: float) -> None:
        self.scale = rate_sps / (2 * np.pi * deviation_hz)
        self._previous = np.complex64(1.0)

    def process(self, samples: np.ndarray) -> np.ndarray:
        if len(samples) == 0:
            return np.zeros(0, np.float32)
        delayed = np.empty_like(samples)
        delayed[0] = self._previous
        delayed[1:] = samples[:-1]
        self._previous = samples[-1]
        return (np.angle(samples * np.conj(delayed)) * self.scale).astype(np.float32)
