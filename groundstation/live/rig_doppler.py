"""Keep a radio (through rigctld) on a satellite's Doppler-shifted downlink.

The orbit gives the shift (``doppler_hz(unix_s)``, as the decoder gets it);
:class:`hardware.rigctl.DopplerFollower` decides when a retune is worth it; a
clock says for which moment: the wall clock for a live source, the time of
the newest sample for a stream that carries its time (:class:`SampleClock`: a
replayed or simulated pass), or a given start plus the time since listening
began (:class:`ShiftedClock`).

>>> class Rig:
...     host, port, log = "127.0.0.1", 4532, []
...     def set_frequency(self, freq_hz): self.log.append(freq_hz)
>>> from hardware.rigctl import DopplerFollower
>>> tracking = RigDoppler(DopplerFollower(Rig(), step_hz=10.0), lambda t: -2.0 * (t - 100.0), 435e6)
>>> [tracking.tick(t) for t in (100.0, 102.0, 104.0, 106.0, 108.0)]
[435000000.0, None, None, 434999988.0, None]
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import numpy as np

from hardware.rigctl import DopplerFollower

log = logging.getLogger(__name__)

TICK_S = 0.1


class RigDoppler:
    """``tick(unix_s)`` sets the radio to ``freq_hz + doppler_hz(unix_s)`` when it moved by more than a step."""

    def __init__(self, follower: DopplerFollower, doppler_hz: Callable[[np.ndarray], np.ndarray],
                 freq_hz: float) -> None:
        self.follower = follower
        self.doppler_hz = doppler_hz
        self.freq_hz = freq_hz

    def tick(self, unix_s: float) -> float | None:
        shift_hz = float(np.asarray(self.doppler_hz(np.array([unix_s])))[0])
        return self.follower.update(self.freq_hz + shift_hz)

    def start(self, clock: Callable[[], float | None] = time.time, tick_s: float = TICK_S) -> Callable[[], None]:
        """Tick every ``tick_s`` in a background thread for the time ``clock()`` gives (POSIX seconds; None:
        not known yet, no retune); return the function that stops it."""
        stop = threading.Event()

        def run() -> None:
            while not stop.is_set():
                unix_s = clock()
                if unix_s is not None:
                    self.tick(unix_s)
                stop.wait(tick_s)

        thread = threading.Thread(target=run, name="rig-doppler", daemon=True)
        thread.start()

        def stopper() -> None:
            stop.set()
            thread.join(5.0)

        return stopper


class SampleClock:
    """The time of a stream's newest sample (its block's ``t0`` + ``end_s``): a radio following it is tuned
    for the time of the samples, so a replayed or simulated pass tunes it as the pass did, whatever the date.

    >>> from datetime import datetime, timezone
    >>> from groundstation.recordings.block import Block
    >>> clock = SampleClock()
    >>> clock() is None  # before the first sample
    True
    >>> t0 = datetime(2024, 6, 12, 14, 25, tzinfo=timezone.utc)
    >>> clock.saw(Block(np.zeros(4800, np.complex64), 48000.0, 435e6, t0, 10.0))
    >>> round(clock() - t0.timestamp(), 6)
    10.1
    """

    def __init__(self) -> None:
        self._unix_s: float | None = None

    def saw(self, block) -> None:
        """A block arrived (a block without a time leaves the clock as it was)."""
        if block.t0 is not None:
            self._unix_s = block.t0.timestamp() + block.end_s

    def __call__(self) -> float | None:
        return self._unix_s


class ShiftedClock:
    """``start`` plus the seconds since this clock was made: a source with no samples (a TNC) replayed as from
    ``start``.

    >>> from datetime import datetime, timezone
    >>> start = datetime(2024, 6, 12, 14, 25, tzinfo=timezone.utc)
    >>> 0 <= ShiftedClock(start)() - start.timestamp() < 1
    True
    """

    def __init__(self, start) -> None:
        self._start_unix_s = start.timestamp()
        self._began_s = time.monotonic()

    def __call__(self) -> float:
        return self._start_unix_s + time.monotonic() - self._began_s
