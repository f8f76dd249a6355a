"""Optional direct SDR drivers, imported only when asked for: pyrtlsdr (a USB RTL-SDR) and SoapySDR.

Each yields the events of :class:`hardware.rtl_tcp.RtlTcpClient` (a
:class:`~hardware.rtl_tcp.StreamStarted`, then :class:`~hardware.rtl_tcp.IqBlock`\\ s),
so everything downstream is the same as for rtl_tcp. Without the library the
error names what to install.

>>> import sys
>>> sys.modules["rtlsdr"] = None  # as if pyrtlsdr were not installed
>>> try:
...     RtlSdrDriver(0, TunerSettings(435e6, 240e3))
... except HardwareError as error:
...     print(error)
--rtl-sdr needs pyrtlsdr: pip install 'groundstation[rtlsdr]' (and librtlsdr from your system's rtl-sdr package)
>>> del sys.modules["rtlsdr"]
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import numpy as np

from hardware.errors import HardwareError
from hardware.rtl_tcp import Greeting, IqBlock, StreamStarted, TunerSettings

log = logging.getLogger(__name__)


def _import(module: str, option: str, extra: str, hint: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise HardwareError(f"{option} needs {hint}") from None


class _Driver:
    """Shared: sample counting and the event stream."""

    option = ""

    def __init__(self, settings: TunerSettings, block_samples: int) -> None:
        self.settings = settings
        self.block_samples = block_samples
        self.samples_received = 0
        self.samples_lost = 0
        self.streams = 1
        self.start_time: datetime | None = None
        self._closed = False

    def close(self) -> None:
        self._closed = True

    def _read(self, count: int) -> np.ndarray:
        raise NotImplementedError

    def stream(self) -> Iterator[StreamStarted | IqBlock]:
        yield StreamStarted(1, 0, Greeting(0, 0))
        try:
            while not self._closed:
                samples = np.asarray(self._read(self.block_samples), np.complex64)
                if self.start_time is None:
                    self.start_time = datetime.now(timezone.utc) - timedelta(
                        seconds=len(samples) / self.settings.rate_sps)
                block = IqBlock(samples, self.samples_received, self.settings.rate_sps, 1)
                self.samples_received += len(samples)
                yield block
        finally:
            self._release()

    def _release(self) -> None:
        pass


class RtlSdrDriver(_Driver):
    """A USB RTL-SDR through pyrtlsdr (``pip install 'groundstation[rtlsdr]'``)."""

    option = "--rtl-sdr"

    def __init__(self, device_index: int, settings: TunerSettings, block_samples: int = 1 << 16) -> None:
        rtlsdr = _import("rtlsdr", "--rtl-sdr", "rtlsdr",
                         "pyrtlsdr: pip install 'groundstation[rtlsdr]' (and librtlsdr from your system's rtl-sdr "
                         "package)")
        super().__init__(settings, block_samples)
        try:
            self._sdr = rtlsdr.RtlSdr(device_index)
        except Exception as error:  # librtlsdr reports a missing or busy dongle in several ways
            raise HardwareError(f"--rtl-sdr {device_index}: cannot open the device ({error}); is it plugged in "
                                "and not used by another program?") from None
        self._sdr.sample_rate = settings.rate_sps
        self._sdr.center_freq = settings.freq_hz
        if settings.ppm:
            self._sdr.freq_correction = settings.ppm
        self._sdr.gain = "auto" if settings.gain_db is None else settings.gain_db

    def _read(self, count: int) -> np.ndarray:
        return self._sdr.read_samples(count)

    def _release(self) -> None:
        self._sdr.close()


class SoapyDriver(_Driver):
    """Any SoapySDR device (``--soapy driver=rtlsdr``); needs the system's SoapySDR Python bindings."""

    option = "--soapy"

    def __init__(self, device_args: str, settings: TunerSettings, block_samples: int = 1 << 16) -> None:
        soapy = _import("SoapySDR", "--soapy", "soapy",
                        "SoapySDR's Python bindings: install your system's python3-soapysdr package "
                        "(pip cannot provide them)")
        super().__init__(settings, block_samples)
        self._soapy = soapy
        try:
            self._device = soapy.Device(device_args)
        except Exception as error:
            raise HardwareError(f"--soapy {device_args!r}: no such device ({error}); list them with "
                                "SoapySDRUtil --find") from None
        rx = soapy.SOAPY_SDR_RX
        self._device.setSampleRate(rx, 0, settings.rate_sps)
        self._device.setFrequency(rx, 0, settings.freq_hz)
        if settings.gain_db is None:
            self._device.setGainMode(rx, 0, True)
        else:
            self._device.setGain(rx, 0, settings.gain_db)
        self._stream = self._device.setupStream(rx, soapy.SOAPY_SDR_CF32)
        self._device.activateStream(self._stream)
        self._buffer = np.zeros(block_samples, np.complex64)

    def _read(self, count: int) -> np.ndarray:
        result = self._device.readStream(self._stream, [self._buffer], count)
        if result.ret < 0:
            raise HardwareError(f"--soapy: reading failed ({self._soapy.errToStr(result.ret)})")
        return self._buffer[: result.ret].copy()

    def _release(self) -> None:
        self._device.deactivateStream(self._stream)
        self._device.closeStream(self._stream)
