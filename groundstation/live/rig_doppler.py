"""Keep a radio (through rigctld) on a satellite's Doppler-shifted downlink.

The orbit gives the shift (``doppler_hz(unix_s)``, as the decoder gets it);
:class:`hardware.rigctl.DopplerFollower` decides when a retune is worth it.

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

    def start(self, tick_s: float = TICK_S) -> Callable[[], None]:
        """Tick on the wall clock in a background thread; return the function that stops it."""
        stop = threading.Event()

        def run() -> None:
            while not stop.is_set():
                self.tick(time.time())
                stop.wait(tick_s)

        thread = threading.Thread(target=run, name="rig-doppler", daemon=True)
        thread.start()

        def stopper() -> None:
            stop.set()
            thread.join(5.0)

        return stopper
