"""The unit of data between stages, and the seam every input implements.

A :class:`Block` is samples with their rate, centre frequency and time: ``t0``
is the absolute UTC time of the input's first sample (None when unknown) and
``start_s`` the time of this block's first sample in seconds from there. Each
DSP stage takes blocks and gives blocks, and carries the times through: a
filter that delays its output by 2 ms gives blocks whose ``start_s`` is 2 ms
earlier than their position in its output stream, so nothing downstream
recomputes a delay.

A :class:`Source` is anything that yields blocks: a file, stdin, an SDR over
the network, the simulator; it may never end.

>>> import numpy as np
>>> from datetime import datetime, timezone
>>> t0 = datetime(2024, 6, 12, 14, 22, tzinfo=timezone.utc)
>>> block = Block(np.zeros(4, np.complex64), rate_sps=48000.0, centre_hz=435e6, t0=t0, start_s=2.0)
>>> block.is_complex, block.duration_s, block.end_s
(True, 8.333333333333333e-05, 2.0000833333333334)
>>> block.time_of(block.start_s).isoformat()
'2024-06-12T14:22:02+00:00'
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Block:
    """``samples`` (complex64 IQ or float32 audio) at ``rate_sps``, the first at ``start_s`` seconds from the
    input's start ``t0`` (UTC, or None); ``centre_hz`` is the RF centre frequency (None for audio or unknown)."""

    samples: np.ndarray
    rate_sps: float
    centre_hz: float | None
    t0: datetime | None
    start_s: float = 0.0

    @property
    def is_complex(self) -> bool:
        return np.iscomplexobj(self.samples)

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.rate_sps

    @property
    def end_s(self) -> float:
        """Seconds from the input's start to just after this block's last sample."""
        return self.start_s + self.duration_s

    @property
    def first_sample(self) -> int:
        """The index of this block's first sample in its input (for a stage's own output: in that output)."""
        return int(round(self.start_s * self.rate_sps))

    def time_of(self, seconds_from_input_start: float) -> datetime | None:
        """The UTC time of a moment given in seconds from the input's start (None when ``t0`` is)."""
        return None if self.t0 is None else self.t0 + timedelta(seconds=seconds_from_input_start)

    def derived(self, samples: np.ndarray, rate_sps: float, start_s: float, centre_hz: float | None = None) -> Block:
        """A block that a stage made from this one: new samples, rate and start, the same ``t0``."""
        return replace(self, samples=samples, rate_sps=rate_sps, start_s=start_s, centre_hz=centre_hz)


@runtime_checkable
class Source(Protocol):
    """Anything that yields :class:`Block` s: files, stdin, a network SDR, the simulator (possibly endless).

    ``duration_s`` is None when the length is not known in advance (a stream).
    """

    rate_sps: float
    centre_hz: float | None
    start_time: datetime | None

    @property
    def is_complex(self) -> bool: ...

    @property
    def duration_s(self) -> float | None: ...

    def blocks(self, block_samples: int) -> Iterator[Block]: ...


class StreamClock:
    """The ``start_s`` of a stage's output blocks: the first input block's start, plus the output samples
    given so far, minus the stage's delay.

    >>> clock = StreamClock(rate_sps=1000.0, delay_s=0.002)
    >>> clock.next_start_s(10.0, 50), clock.next_start_s(10.05, 50)
    (9.998, 10.048)
    """

    def __init__(self, rate_sps: float, delay_s: float = 0.0) -> None:
        self.rate_sps = rate_sps
        self.delay_s = delay_s
        self._origin_s: float | None = None
        self._given = 0

    def next_start_s(self, input_start_s: float, output_count: int) -> float:
        """The start of the next ``output_count`` output samples (the input block began at ``input_start_s``)."""
        if self._origin_s is None:
            self._origin_s = input_start_s
        start_s = self._origin_s + self._given / self.rate_sps - self.delay_s
        self._given += output_count
        return start_s
