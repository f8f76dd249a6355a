"""A client of Hamlib's ``rigctld`` (TCP, port 4532 by default), and Doppler steps for a real radio.

``rigctld`` speaks lines: ``F 435001234`` sets the frequency (reply
``RPRT 0``), ``f`` reads it (reply: the frequency). The radio is retuned only
when the wanted frequency has moved by more than a step from what was last
set, not on a timer: a radio that is retuned ten times a second clicks and
drops bits.

>>> needs_retune(None, 435_000_000.0, 10.0)
True
>>> needs_retune(435_000_000.0, 435_000_009.9, 10.0), needs_retune(435_000_000.0, 434_999_989.0, 10.0)
(False, True)
>>> default_step_hz(435e6), default_step_hz(145.8e6), default_step_hz(2.4e9)
(10.0, 3.0, 55.0)
"""

from __future__ import annotations

import logging
import socket

from hardware.errors import HardwareError

log = logging.getLogger(__name__)

DEFAULT_PORT = 4532
UHF_STEP_HZ = 10.0
UHF_HZ = 435e6


def needs_retune(set_hz: float | None, wanted_hz: float, step_hz: float) -> bool:
    """True when nothing was set yet, or ``wanted_hz`` is more than ``step_hz`` from ``set_hz``."""
    return set_hz is None or abs(wanted_hz - set_hz) > step_hz


def default_step_hz(freq_hz: float) -> float:
    """10 Hz at 435 MHz, scaled with frequency (the same fraction of the Doppler swing), at least 1 Hz."""
    return max(1.0, float(round(UHF_STEP_HZ * freq_hz / UHF_HZ)))


class RigctlError(HardwareError):
    """rigctld is not reachable, or refused a command."""


class Rigctl:
    """One connection to ``rigctld`` at ``host:port``, reopened after a failure.

    Every method raises :class:`RigctlError` when the daemon cannot be reached
    or answers with an error; the next call tries to connect again.
    """

    def __init__(self, host: str, port: int = DEFAULT_PORT, timeout_s: float = 2.0) -> None:
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self._socket: socket.socket | None = None
        self._reader = None

    def close(self) -> None:
        sock, self._socket = self._socket, None
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if sock is not None:
            sock.close()

    def set_frequency(self, freq_hz: float) -> None:
        reply = self._command(f"F {int(round(freq_hz))}")
        if reply != "RPRT 0":
            raise RigctlError(f"--rigctl {self.host}:{self.port}: setting {freq_hz:.0f} Hz failed ({reply})")

    def get_frequency(self) -> float:
        reply = self._command("f")
        try:
            return float(reply)
        except ValueError:
            raise RigctlError(f"--rigctl {self.host}:{self.port}: reading the frequency failed ({reply})") from None

    def _command(self, line: str) -> str:
        try:
            if self._socket is None:
                self._socket = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
                self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._reader = self._socket.makefile("r", encoding="ascii", newline="\n")
            self._socket.sendall(line.encode("ascii") + b"\n")
            reply = self._reader.readline()
        except OSError as error:
            self.close()
            raise RigctlError(f"--rigctl {self.host}:{self.port}: {error.strerror or error}; "
                              "is rigctld running (rigctld -m MODEL -r DEVICE)?") from None
        if not reply:
            self.close()
            raise RigctlError(f"--rigctl {self.host}:{self.port}: rigctld closed the connection")
        return reply.strip()


class DopplerFollower:
    """Keep a radio on a moving frequency with the fewest retunes: call :meth:`update` as often as you like.

    A failure is logged once (and again only after a success), never raised:
    a live capture must not stop because the radio's daemon restarted.
    """

    def __init__(self, rig: Rigctl, step_hz: float) -> None:
        self.rig = rig
        self.step_hz = step_hz
        self.set_hz: float | None = None
        self.retunes = 0
        self.failures = 0
        self._failing = False

    def update(self, wanted_hz: float) -> float | None:
        """Retune if :func:`needs_retune`; return the frequency set now, or None."""
        wanted_hz = float(round(wanted_hz))
        if not needs_retune(self.set_hz, wanted_hz, self.step_hz):
            return None
        try:
            self.rig.set_frequency(wanted_hz)
        except RigctlError as error:
            self.failures += 1
            if not self._failing:
                log.warning("%s; retrying", error)
            self._failing = True
            return None
        if self._failing:
            log.warning("--rigctl %s:%d: the radio follows the Doppler again", self.rig.host, self.rig.port)
        self._failing = False
        self.set_hz = wanted_hz
        self.retunes += 1
        return wanted_hz
