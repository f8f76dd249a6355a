"""The unit of data between stages: samples with their rate, centre frequency and absolute time.

>>> import numpy as np
>>> block = Block(np.zeros(4, np.complex64), rate_sps=48000.0, centre_hz=435e6, t0=None, start_sample=96000)
>>> block.start_s, block.duration_s
(2.0, 8.333333333333333e-05)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np


@dataclass(frozen=True)
class Block:
    """``samples`` (complex64 IQ or float32 audio), ``start_sample`` counted from the start of the input.

    ``t0`` is the absolute UTC time of the input's first sample (None when unknown);
    ``centre_hz`` the RF centre frequency (None for audio or when unknown).
    """

    samples: np.ndarray
    rate_sps: float
    centre_hz: float | None
    t0: datetime | None
    start_sample: int = 0

    @property
    def is_complex(self) -> bool:
        return np.iscomplexobj(self.samples)

    @property
    def start_s(self) -> float:
        """Seconds from the start of the input to this block's first sample."""
        return self.start_sample / self.rate_sps

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.rate_sps

    def time_at(self, seconds_from_input_start: float) -> datetime | None:
        return None if self.t0 is None else self.t0 + timedelta(seconds=seconds_from_input_start)
