"""A KISS TNC on a serial port, pseudo-terminal or pyserial URL, read and written through outages.

The port is opened with pyserial's ``serial_for_url``, so ``/dev/ttyUSB0``,
direwolf's ``/tmp/kisstnc``, ``socket://127.0.0.1:8001`` (a TNC's KISS TCP
port), ``rfc2217://...`` and ``loop://`` all work. A port that is missing or
goes away (a USB TNC unplugged, direwolf not started yet or restarted, a TCP
connection closed) is logged once and reopened every ``retry_s`` until it is
back. A frame cut by an outage is dropped, never joined to bytes of the next
connection: each connection gets a fresh deframer.

>>> tnc = KissTnc("loop://", retry_s=0.05, poll_s=0.05)
>>> tnc.queue_send(encode_data_frame(b"hello"))
>>> event = next(event for event in tnc.events() if isinstance(event, ReceivedFrame))
>>> event.frame.data, event.received.tzinfo is not None
(b'hello', True)
>>> tnc.close()
"""

from __future__ import annotations

import errno
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

import serial

from frames import KissDeframer, KissFrame, encode_data_frame
from hardware.errors import HardwareError

log = logging.getLogger(__name__)

#: errno values that mean "not there (yet)": retry. Anything else about opening is the user's to fix.
_TRANSIENT_ERRNOS = {errno.ENOENT, errno.ENODEV, errno.ENXIO, errno.EIO, errno.ECONNREFUSED, errno.ECONNRESET,
                     errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT, errno.EBUSY, errno.EAGAIN}


@dataclass(frozen=True)
class ReceivedFrame:
    """A KISS frame and the UTC time its last byte was read."""

    frame: KissFrame
    received: datetime


@dataclass(frozen=True)
class Connected:
    """The port was opened (``attempt`` 1 is the first connection, 2 the first reconnection...)."""

    port: str
    attempt: int


@dataclass(frozen=True)
class Disconnected:
    """The port went away (or could not be opened); ``reason`` is pyserial's message."""

    port: str
    reason: str
    dropped_bytes: int = 0


@dataclass(frozen=True)
class BadFrame:
    """A malformed KISS frame (counted, never raised: one bad frame must not stop a live stream)."""

    error: str


class KissTnc:
    """A KISS TNC at ``port``: :meth:`events` yields what happens, :meth:`send` writes frames.

    ``events()`` runs until :meth:`close` (from another thread or between
    events) and reconnects by itself; between events it returns at least every
    ``poll_s`` seconds (it yields None then), so a caller can stop it.
    """

    def __init__(self, port: str, baud_rate: int = 9600, retry_s: float = 0.5, poll_s: float = 0.2,
                 option: str = "--tnc") -> None:
        if retry_s > 1.0:
            raise ValueError("retry_s: the port is retried at least once a second")
        self.port = port
        self.baud_rate = baud_rate
        self.retry_s = retry_s
        self.poll_s = poll_s
        self.option = option
        self._serial: serial.SerialBase | None = None
        self._closed = False
        self._to_send: list[bytes] = []
        self.connections = 0
        self.outages = 0

    def queue_send(self, wire: bytes) -> None:
        """KISS bytes to write as soon as the port is open (now, if it is)."""
        self._to_send.append(bytes(wire))
        if self._serial is not None:
            self._flush_sends()

    def send(self, data: bytes, tnc_port: int = 0) -> None:
        """Transmit ``data`` (an AX.25 frame without FCS) as a KISS data frame."""
        self.queue_send(encode_data_frame(data, tnc_port))

    def close(self) -> None:
        self._closed = True
        self._drop_port()

    def events(self) -> Iterator[ReceivedFrame | Connected | Disconnected | BadFrame | None]:
        outage_reason = None
        while not self._closed:
            if self._serial is None:
                try:
                    self._open()
                except _Unavailable as problem:
                    if outage_reason is None:
                        outage_reason = str(problem)
                        self.outages += 1
                        log.warning("%s %s: not available (%s); retrying every %g s", self.option, self.port,
                                    problem, self.retry_s)
                        yield Disconnected(self.port, str(problem))
                    else:
                        yield None
                    time.sleep(self.retry_s)
                    continue
                self.connections += 1
                if outage_reason is not None or self.connections > 1:
                    log.warning("%s %s: connected", self.option, self.port)
                outage_reason = None
                yield Connected(self.port, self.connections)
                deframer_errors: list[str] = []
                deframer = KissDeframer(on_error=deframer_errors.append)
                self._flush_sends()
            try:
                chunk = self._serial.read(max(1, self._serial.in_waiting))
            except (serial.SerialException, OSError) as error:
                reason = str(error) or type(error).__name__
                dropped = deframer.pending_bytes
                self._drop_port()
                outage_reason = reason
                self.outages += 1
                log.warning("%s %s: lost (%s)%s; retrying every %g s", self.option, self.port, reason,
                            f", {dropped} bytes of an unfinished frame dropped" if dropped else "", self.retry_s)
                yield Disconnected(self.port, reason, dropped)
                continue
            if not chunk:
                yield None
                continue
            received = datetime.now(timezone.utc)
            for frame in deframer.feed(chunk):
                yield ReceivedFrame(frame, received)
            while deframer_errors:
                yield BadFrame(str(deframer_errors.pop(0)))

    def _open(self) -> None:
        try:
            port = serial.serial_for_url(self.port, baudrate=self.baud_rate, timeout=self.poll_s,
                                         write_timeout=2.0, do_not_open=True)
            _open_keeping_input(port)
        except ValueError as error:
            raise HardwareError(f"{self.option}: {self.port!r} is not a serial port or pyserial URL ({error}); "
                                "use a device path, socket://HOST:PORT, rfc2217://HOST:PORT or loop://") from None
        except serial.SerialException as error:
            code = _errno_in(error)
            if code == errno.EACCES:
                raise HardwareError(f"{self.option}: no permission to open {self.port!r}; "
                                    "add yourself to the dialout group (and log in again)") from None
            if code == errno.ENOTTY:
                raise HardwareError(f"{self.option}: {self.port!r} is not a serial port or terminal") from None
            if code is None or code in _TRANSIENT_ERRNOS or code < 0:  # < 0: a name lookup that failed
                raise _Unavailable(str(error)) from None
            raise HardwareError(f"{self.option}: cannot open {self.port!r}: {error}") from None
        self._serial = port

    def _flush_sends(self) -> None:
        while self._to_send and self._serial is not None:
            wire = self._to_send[0]
            try:
                self._serial.write(wire)
                self._serial.flush()
            except (serial.SerialException, OSError) as error:
                log.warning("%s %s: write failed (%s); will retry after reconnecting", self.option, self.port, error)
                return
            self._to_send.pop(0)

    def _drop_port(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            try:
                port.close()
            except (serial.SerialException, OSError):
                pass


def _open_keeping_input(port: serial.SerialBase) -> None:
    """Open ``port`` without pyserial's flush of waiting input.

    pyserial empties the input on open (``tcflush`` on a tty, read-and-discard
    on ``socket://``): on a live TNC that throws away the first frames after
    a reconnection, and on a socket it also swallows the end of stream, so a
    server that sent its data and closed would look alive forever.
    """
    port.reset_input_buffer = lambda: None
    port._reset_input_buffer = lambda: None
    try:
        port.open()
    finally:
        del port.reset_input_buffer
        del port._reset_input_buffer


class _Unavailable(Exception):
    """The port is not there now; try again later."""


def _errno_in(error: serial.SerialException) -> int | None:
    """The errno behind pyserial's exception (it keeps the OSError or termios.error as the context)."""
    if error.errno is not None:
        return error.errno
    context = error.__context__
    if context is not None and context.args and isinstance(context.args[0], int):
        return context.args[0]
    return None
