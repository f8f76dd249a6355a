"""The rtl_tcp protocol (``rtl_tcp`` of the rtl-sdr package): a client that survives restarts, and a server.

On connecting, the server sends a 12-byte greeting: ``RTL0``, the tuner type
and the number of gain steps (big-endian uint32 each); then unsigned 8-bit
I/Q, interleaved, for as long as the connection lasts. The client sends
5-byte commands: one command byte and a big-endian uint32 parameter.

>>> greeting = build_greeting(TUNER_R820T, 29)
>>> greeting
b'RTL0\\x00\\x00\\x00\\x05\\x00\\x00\\x00\\x1d'
>>> parse_greeting(greeting)
Greeting(tuner_type=5, gain_count=29)
>>> build_command(SET_FREQUENCY, 435_000_000).hex()
'0119ed92c0'
>>> parse_command(build_command(SET_GAIN, 496))
(4, 496)
>>> cu8_to_complex(complex_to_cu8(np.array([0.5 - 0.25j], np.complex64)))
array([0.49803922-0.24705882j], dtype=complex64)
"""

from __future__ import annotations

import logging
import select
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

import numpy as np

from hardware.errors import HardwareError

log = logging.getLogger(__name__)

MAGIC = b"RTL0"
GREETING = struct.Struct(">4sII")
COMMAND = struct.Struct(">BI")

SET_FREQUENCY = 0x01
SET_SAMPLE_RATE = 0x02
SET_GAIN_MODE = 0x03  # 0 automatic, 1 manual
SET_GAIN = 0x04  # tenths of dB
SET_FREQUENCY_CORRECTION = 0x05  # ppm
COMMAND_NAMES = {SET_FREQUENCY: "frequency", SET_SAMPLE_RATE: "sample rate", SET_GAIN_MODE: "gain mode",
                 SET_GAIN: "gain", SET_FREQUENCY_CORRECTION: "frequency correction"}

TUNER_R820T = 5
DEFAULT_PORT = 1234
LAG_WARNING_S = 2.0
RTL_TCP_QUEUE_BYTES = 500 * 16 * 16384  # rtl_tcp's default: 500 buffers of 256 KiB, then it drops


@dataclass(frozen=True)
class Greeting:
    tuner_type: int
    gain_count: int


def build_greeting(tuner_type: int, gain_count: int) -> bytes:
    return GREETING.pack(MAGIC, tuner_type, gain_count)


def parse_greeting(data: bytes) -> Greeting:
    """The 12 bytes a server sends first; :class:`RtlTcpError` if they are not an rtl_tcp greeting."""
    if len(data) != GREETING.size or data[:4] != MAGIC:
        raise RtlTcpError(f"not an rtl_tcp server: it greeted with {bytes(data[:12])!r}, not 'RTL0...'")
    _, tuner_type, gain_count = GREETING.unpack(data)
    return Greeting(tuner_type, gain_count)


def build_command(command: int, value: int) -> bytes:
    """One 5-byte command; ``value`` as a uint32 (negative corrections wrap, as rtl_tcp's clients send them)."""
    return COMMAND.pack(command, int(value) & 0xFFFFFFFF)


def parse_command(data: bytes) -> tuple[int, int]:
    return COMMAND.unpack(data)


def cu8_to_complex(data: bytes | np.ndarray) -> np.ndarray:
    """Unsigned 8-bit interleaved I/Q -> complex64 in about [-1, 1] (an even number of bytes)."""
    values = (np.frombuffer(data, np.uint8).astype(np.float32) - np.float32(127.5)) / np.float32(127.5)
    return values.view(np.complex64)


def complex_to_cu8(samples: np.ndarray) -> bytes:
    """complex64 in [-1, 1] -> unsigned 8-bit interleaved I/Q (clipped)."""
    interleaved = np.asarray(samples, np.complex64).view(np.float32)
    return np.clip(np.round(interleaved * 127.5 + 127.5), 0, 255).astype(np.uint8).tobytes()


class RtlTcpError(HardwareError):
    """The server is not an rtl_tcp server, or refused what was asked."""


# --- client ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IqBlock:
    """``samples`` (complex64) whose first is sample number ``first_sample`` of the session.

    Sample numbers count every sample received plus every sample a gap is
    estimated to have lost, so ``first_sample / rate_sps`` is the time from the
    session's start. ``stream`` counts connections: a block never joins two.
    """

    samples: np.ndarray
    first_sample: int
    rate_sps: float
    stream: int


@dataclass(frozen=True)
class StreamStarted:
    """A connection was made (``stream`` 1, 2, ...); ``first_sample`` is where its samples start."""

    stream: int
    first_sample: int
    greeting: Greeting


@dataclass(frozen=True)
class Gap:
    """Samples lost between two streams (a server dropped or restarted): from ``first_sample``, ``count`` of them.

    The count is estimated from the wall clock (the server cannot say), to the nearest sample.
    """

    first_sample: int
    count: int
    rate_sps: float

    @property
    def duration_s(self) -> float:
        return self.count / self.rate_sps


@dataclass(frozen=True)
class StreamLost:
    reason: str


@dataclass
class TunerSettings:
    """What the client asks of the server on every connection."""

    freq_hz: float
    rate_sps: float
    gain_db: float | None = None  # None: automatic gain
    ppm: int = 0

    def commands(self) -> bytes:
        out = build_command(SET_SAMPLE_RATE, int(round(self.rate_sps))) + build_command(SET_FREQUENCY,
                                                                                        int(round(self.freq_hz)))
        if self.gain_db is None:
            out += build_command(SET_GAIN_MODE, 0)
        else:
            out += build_command(SET_GAIN_MODE, 1) + build_command(SET_GAIN, int(round(self.gain_db * 10)))
        if self.ppm:
            out += build_command(SET_FREQUENCY_CORRECTION, self.ppm)
        return out


class RtlTcpClient:
    """IQ from an rtl_tcp server at ``host:port``, through disconnections.

    :meth:`stream` yields :class:`StreamStarted`, :class:`IqBlock` (of
    ``block_samples``), :class:`StreamLost`, :class:`Gap` and None (nothing
    happened for ``poll_s``: the caller may stop). It retries a missing
    server every ``retry_s``, logging the outage once.
    """

    def __init__(self, host: str, port: int, settings: TunerSettings, block_samples: int = 1 << 14,
                 retry_s: float = 0.5, poll_s: float = 0.2, option: str = "--rtl-tcp") -> None:
        if retry_s > 1.0:
            raise ValueError("retry_s: a missing server is retried at least once a second")
        self.host = host
        self.port = port
        self.settings = settings
        self.block_samples = block_samples
        self.retry_s = retry_s
        self.poll_s = poll_s
        self.option = option
        self.samples_received = 0
        self.samples_lost = 0
        self.streams = 0
        self.start_time: datetime | None = None  # wall-clock UTC of sample 0 (estimated at the first block)
        self.max_lag_s = 0.0  # how far reception fell behind the sample rate (real-time servers only)
        self._closed = False
        self._socket: socket.socket | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def next_sample(self) -> int:
        return self.samples_received + self.samples_lost

    def close(self) -> None:
        self._closed = True
        self._drop()

    def stream(self) -> Iterator[IqBlock | StreamStarted | StreamLost | Gap | None]:
        outage_logged = False
        lost_at: float | None = None  # monotonic time of the end of the last stream's last sample
        while not self._closed:
            try:
                greeting = self._connect()
            except OSError as error:
                if not outage_logged:
                    log.warning("%s %s: no server (%s); retrying every %g s", self.option, self.address,
                                error.strerror or error, self.retry_s)
                    outage_logged = True
                    yield StreamLost(str(error.strerror or error))
                else:
                    yield None
                time.sleep(self.retry_s)
                continue
            self.streams += 1
            if self.streams > 1 or outage_logged:
                log.warning("%s %s: connected (stream %d)", self.option, self.address, self.streams)
            outage_logged = False
            yield StreamStarted(self.streams, self.next_sample, greeting)
            first = True
            stream_began = None
            stream_samples = 0
            lag_warned = False
            while not self._closed:
                data = self._read_block_bytes()
                if data is None:
                    break
                if not data:
                    yield None
                    continue
                samples = cu8_to_complex(data)
                if first and lost_at is not None:
                    yield from self._gap_since(lost_at, len(samples))
                first = False
                if self.start_time is None:
                    self.start_time = datetime.now(timezone.utc) - timedelta(seconds=len(samples) / self.settings.rate_sps)
                block = IqBlock(samples, self.next_sample, self.settings.rate_sps, self.streams)
                self.samples_received += len(samples)
                now = time.monotonic()
                if stream_began is None:
                    stream_began = now - len(samples) / self.settings.rate_sps
                stream_samples += len(samples)
                # When the last sample was made: by the sample clock if we are behind a real-time server
                # (samples waited in buffers), else now.
                lost_at = min(now, stream_began + stream_samples / self.settings.rate_sps)
                # Behind real time: the samples arrive more slowly than the server makes them (a real rtl_tcp
                # server queues, then drops, what its client has not read).
                lag_s = (now - stream_began) - stream_samples / self.settings.rate_sps
                self.max_lag_s = max(self.max_lag_s, lag_s)
                if lag_s > LAG_WARNING_S and not lag_warned:
                    lag_warned = True
                    log.warning("%s %s: %.1f s behind real time; a real rtl_tcp server drops samples it cannot "
                                "send: use a lower --samplerate or fewer --modem", self.option, self.address, lag_s)
                yield block
            if self._closed:
                return
            reason = self._lost_reason or "the server closed the connection"
            self._drop()
            log.warning("%s %s: stream %d lost after sample %d (%s); reconnecting", self.option, self.address,
                        self.streams, self.next_sample, reason)
            yield StreamLost(reason)
            outage_logged = True  # the retries that follow stay quiet

    def _gap_since(self, lost_at: float, arrived_samples: int) -> Iterator[Gap]:
        """The samples a real-time source made between the last stream's end and this block's first sample."""
        elapsed_s = time.monotonic() - lost_at
        count = max(0, int(round(elapsed_s * self.settings.rate_sps)) - arrived_samples)
        if count:
            gap = Gap(self.next_sample, count, self.settings.rate_sps)
            self.samples_lost += count
            log.warning("%s %s: gap of %d samples (%.2f s) before stream %d", self.option, self.address,
                        count, gap.duration_s, self.streams)
            yield gap

    def _connect(self) -> Greeting:
        sock = socket.create_connection((self.host, self.port), timeout=max(self.poll_s, 2.0))
        try:
            sock.settimeout(5.0)
            greeting = parse_greeting(_recv_exactly(sock, GREETING.size))
            sock.sendall(self.settings.commands())
            sock.settimeout(self.poll_s)
        except (OSError, RtlTcpError) as error:
            sock.close()
            if isinstance(error, RtlTcpError):
                raise RtlTcpError(f"{self.option} {self.address}: {error}") from None
            raise
        self._socket = sock
        self._pending = bytearray()
        self._lost_reason = None
        self._eof = False
        return greeting

    def _read_block_bytes(self) -> bytes | None:
        """Up to ``block_samples`` samples' bytes (whole samples); b"" if the server was quiet for ``poll_s``;
        None at the end of the stream."""
        want = 2 * self.block_samples
        while len(self._pending) < want and not self._eof:
            try:
                chunk = self._socket.recv(max(65536, want - len(self._pending)))
            except socket.timeout:
                break  # hand over what there is: low rates stay live
            except OSError as error:
                self._lost_reason = str(error.strerror or error)
                self._eof = True
                break
            if not chunk:
                self._eof = True
                break
            self._pending += chunk
        usable = min(len(self._pending), want) // 2 * 2
        if usable == 0:
            return None if self._eof else b""
        data = bytes(self._pending[:usable])
        del self._pending[:usable]
        return data

    def _drop(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionResetError(f"connection closed after {len(data)} of {size} greeting bytes")
        data += chunk
    return bytes(data)


# --- server ------------------------------------------------------------------------------------------

class IqProvider(Protocol):
    """What :class:`RtlTcpServer` serves: samples at full scale +-1 that follow the tuning commands."""

    rate_sps: float

    def tune(self, freq_hz: float) -> None: ...

    def set_rate(self, rate_sps: float) -> None: ...

    def read(self, count: int) -> np.ndarray | None:
        """The next ``count`` samples (complex64), fewer at the end, None when there are no more."""


class RtlTcpServer:
    """Serve ``provider`` to rtl_tcp clients, one at a time, on ``host:port`` (127.0.0.1 unless told otherwise).

    Frequency and sample-rate commands go to the provider; gain commands are
    acknowledged by being ignored, as by an SDR without gain control. With
    ``realtime`` samples are made at the sample rate and queued for the
    client; what a slow client leaves beyond ``queue_limit_bytes`` is dropped
    and counted, as rtl_tcp does. Without, they go as fast as the client reads. ``on_client`` runs as each client connects (before any
    sample). Serving ends when the provider has no more samples.
    """

    def __init__(self, provider: IqProvider, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                 realtime: bool = False, chunk_s: float = 0.05, gain_count: int = 29,
                 on_client: Callable[[], None] | None = None,
                 queue_limit_bytes: int = RTL_TCP_QUEUE_BYTES) -> None:
        self.provider = provider
        self.on_client = on_client
        self.queue_limit_bytes = queue_limit_bytes
        self.samples_dropped = 0
        self.realtime = realtime
        self.chunk_s = chunk_s
        self.gain_count = gain_count
        self.samples_sent = 0
        self.commands: list[tuple[int, int]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        try:
            self._listener = socket.create_server((host, port))
        except OSError as error:
            raise RtlTcpError(f"--port {port}: cannot listen on {host}:{port} ({error.strerror or error}); "
                              "choose another --port") from None
        self._listener.settimeout(0.2)
        self.address = self._listener.getsockname()[:2]

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()

    def serve(self) -> None:
        """Accept clients until :meth:`stop` or the end of the provider's samples."""
        finished = False
        while not self._stop.is_set() and not finished:
            try:
                connection, peer = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            log.info("rtl_tcp client %s:%d connected", *peer[:2])
            with connection:
                finished = self._serve_client(connection)
            log.info("rtl_tcp client %s:%d gone (%d samples sent in all)", *peer[:2], self.samples_sent)

    def _serve_client(self, connection: socket.socket) -> bool:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        gone = threading.Event()
        reader = threading.Thread(target=self._read_commands, args=(connection, gone), daemon=True)
        try:
            connection.sendall(build_greeting(TUNER_R820T, self.gain_count))
        except OSError:
            return False
        if self.on_client is not None:
            with self._lock:
                self.on_client()
        reader.start()
        chunks = self._realtime_chunks(gone) if self.realtime else self._chunks(gone)
        try:
            for data in chunks:
                if data is None:
                    return True
                try:
                    connection.sendall(data)
                except OSError:
                    return False
                self.samples_sent += len(data) // 2
            return False
        finally:
            gone.set()
            chunks.close()
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            reader.join(2.0)

    def _read_chunk(self) -> tuple[bytes, float] | None:
        """The next ``chunk_s`` of samples as cu8, and the rate they were made at; None at the end."""
        with self._lock:
            rate_sps = self.provider.rate_sps
            samples = self.provider.read(max(1, int(rate_sps * self.chunk_s)))
        if samples is None or len(samples) == 0:
            return None
        return complex_to_cu8(samples), rate_sps

    def _chunks(self, gone: threading.Event) -> Iterator[bytes | None]:
        """As fast as the client reads; None at the end of the samples."""
        while not self._stop.is_set() and not gone.is_set():
            item = self._read_chunk()
            yield None if item is None else item[0]
            if item is None:
                return

    def _realtime_chunks(self, gone: threading.Event) -> Iterator[bytes | None]:
        """Made at the sample rate whether the client keeps up or not, as by a radio: what waits beyond
        ``queue_limit_bytes`` is dropped (counted in :attr:`samples_dropped`), as rtl_tcp drops it."""
        queue: deque[bytes] = deque()
        ready = threading.Condition()
        state = {"queued": 0, "done": False, "warned": False}

        def produce() -> None:
            began = time.monotonic()
            made_s = 0.0
            while not self._stop.is_set() and not gone.is_set():
                item = self._read_chunk()
                with ready:
                    if item is None:
                        state["done"] = True
                        ready.notify()
                        return
                    data, rate_sps = item
                    queue.append(data)
                    state["queued"] += len(data)
                    while state["queued"] > self.queue_limit_bytes:
                        dropped = queue.popleft()
                        state["queued"] -= len(dropped)
                        self.samples_dropped += len(dropped) // 2
                        if not state["warned"]:
                            state["warned"] = True
                            log.warning("rtl_tcp client too slow: dropping samples (as rtl_tcp does)")
                    ready.notify()
                made_s += len(data) / 2 / rate_sps
                ahead_s = made_s - (time.monotonic() - began)
                if ahead_s > 0:
                    gone.wait(ahead_s)

        producer = threading.Thread(target=produce, name="rtl_tcp-samples", daemon=True)
        producer.start()
        try:
            while True:
                with ready:
                    while not queue and not state["done"] and not gone.is_set() and not self._stop.is_set():
                        ready.wait(0.2)
                    if queue:
                        data = queue.popleft()
                        state["queued"] -= len(data)
                    elif state["done"]:
                        data = None
                    else:
                        return
                yield data
                if data is None:
                    return
        finally:
            gone.set()
            producer.join(5.0)

    def _read_commands(self, connection: socket.socket, gone: threading.Event) -> None:
        # select, not a socket timeout: a timeout would also apply to the sender's sendall (one socket, two
        # threads) and drop a client that is slow for a moment.
        buffer = bytearray()
        while not gone.is_set():
            try:
                readable, _, _ = select.select([connection], [], [], 0.2)
                if not readable:
                    continue
                chunk = connection.recv(64)
            except (OSError, ValueError):  # ValueError: the socket was closed meanwhile
                break
            if not chunk:
                break
            buffer += chunk
            while len(buffer) >= COMMAND.size:
                command, value = parse_command(bytes(buffer[:COMMAND.size]))
                del buffer[:COMMAND.size]
                self._apply(command, value)
        gone.set()

    def _apply(self, command: int, value: int) -> None:
        self.commands.append((command, value))
        log.info("rtl_tcp command: %s = %d", COMMAND_NAMES.get(command, f"0x{command:02x}"), value)
        with self._lock:
            if command == SET_FREQUENCY:
                self.provider.tune(float(value))
            elif command == SET_SAMPLE_RATE and value > 0:
                self.provider.set_rate(float(value))
