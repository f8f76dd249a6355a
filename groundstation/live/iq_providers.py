"""What ``serve-rtl-tcp`` serves: a recording or a live simulation, following the client's tuning.

A client's frequency command moves the band: the samples are shifted by the
difference between the source's centre and the frequency asked for, so a
signal stays at its true RF frequency. A sample-rate command re-runs a
simulation at that rate; a recording has one rate, and other rates are
refused with a warning (it is served at its own).

>>> import numpy as np
>>> class Tone:
...     rate_sps, centre_hz = 1000.0, 100e6
...     def samples_from(self, rate_sps, start_sample):
...         while True:
...             yield np.ones(250, np.complex64)
>>> provider = TunedProvider(Tone(), level=1.0)
>>> provider.tune(100e6 - 250.0)          # tuned 250 Hz low: the source's DC shows at +250 Hz
>>> samples = provider.read(4)
>>> np.round(np.angle(samples[1:] / samples[:-1]) / (2 * np.pi) * 1000.0, 3).tolist()
[250.0, 250.0, 250.0]
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

SIMULATION_LEVEL = 0.05  # noise a few LSB of 8 bits, headroom for the signal (as simulate's integer formats)
RECORDING_RMS = 0.1


class SampleSource(Protocol):
    rate_sps: float
    centre_hz: float

    def samples_from(self, rate_sps: float, start_sample: int) -> Iterator[np.ndarray]: ...


class TunedProvider:
    """An :class:`hardware.rtl_tcp.IqProvider` over a :class:`SampleSource`: tuning, rate changes, levels."""

    def __init__(self, source: SampleSource, level: float | None = None, start_s: float = 0.0) -> None:
        self.source = source
        self.rate_sps = float(source.rate_sps)
        self.freq_hz = float(source.centre_hz)
        self.level = level
        self.position = int(round(start_s * self.rate_sps))  # samples served so far, at the current rate
        self._blocks = source.samples_from(self.rate_sps, self.position)
        self._buffer = np.zeros(0, np.complex64)
        self._phase = 0.0

    def tune(self, freq_hz: float) -> None:
        if freq_hz != self.freq_hz:
            log.info("tuned to %.0f Hz (the source is centred on %.0f Hz)", freq_hz, self.source.centre_hz)
        self.freq_hz = freq_hz

    def set_rate(self, rate_sps: float) -> None:
        if rate_sps == self.rate_sps:
            return
        seconds = self.position / self.rate_sps
        try:
            blocks = self.source.samples_from(rate_sps, int(round(seconds * rate_sps)))
        except ValueError as error:
            log.warning("sample rate %.0f S/s asked for: %s; serving %.0f S/s", rate_sps, error, self.rate_sps)
            return
        log.info("sample rate %.0f S/s from %.3f s", rate_sps, seconds)
        self.rate_sps = float(rate_sps)
        self.position = int(round(seconds * rate_sps))
        self._blocks = blocks
        self._buffer = np.zeros(0, np.complex64)

    def seek(self, seconds: float) -> None:
        """Serve from ``seconds`` into the source next (a live source that kept going while no one listened)."""
        seconds = max(0.0, seconds)
        self.position = int(round(seconds * self.rate_sps))
        self._blocks = self.source.samples_from(self.rate_sps, self.position)
        self._buffer = np.zeros(0, np.complex64)
        log.info("serving from %.3f s", seconds)

    def read(self, count: int) -> np.ndarray | None:
        while len(self._buffer) < count:
            block = next(self._blocks, None)
            if block is None:
                break
            self._buffer = np.concatenate([self._buffer, np.asarray(block, np.complex64)])
        if len(self._buffer) == 0:
            return None
        samples, self._buffer = self._buffer[:count], self._buffer[count:]
        if self.level is None:
            rms = float(np.sqrt(np.mean(np.abs(samples) ** 2)))
            self.level = RECORDING_RMS / rms if rms > 0 else 1.0
        shift_hz = self.source.centre_hz - self.freq_hz
        if shift_hz:
            steps = self._phase + 2 * np.pi * shift_hz * np.arange(len(samples)) / self.rate_sps
            samples = samples * np.exp(1j * steps).astype(np.complex64)
            self._phase = float((self._phase + 2 * np.pi * shift_hz * len(samples) / self.rate_sps) % (2 * np.pi))
        self.position += len(samples)
        return (samples * np.float32(self.level)).astype(np.complex64)


class SimulationSource:
    """A :class:`~groundstation.simulation.simulator.PassSimulator` at any rate, from any sample."""

    def __init__(self, simulator, block_samples: int = 1 << 15) -> None:
        self.simulator = simulator
        self.rate_sps = simulator.config.rate_sps
        self.centre_hz = simulator.config.centre_hz
        self.block_samples = block_samples

    def samples_from(self, rate_sps: float, start_sample: int) -> Iterator[np.ndarray]:
        for _, samples in self.simulator.blocks(rate_sps, self.block_samples, start_sample=start_sample):
            yield samples


class RecordingSource:
    """A :class:`~groundstation.recordings.readers.Recording` of complex samples, at its own rate only."""

    def __init__(self, recording, block_samples: int = 1 << 15) -> None:
        self.recording = recording
        self.rate_sps = recording.rate_sps
        self.centre_hz = recording.centre_hz
        self.block_samples = block_samples

    def samples_from(self, rate_sps: float, start_sample: int) -> Iterator[np.ndarray]:
        if rate_sps != self.rate_sps:
            raise ValueError(f"the recording is {self.rate_sps:.0f} S/s and is not resampled")
        return self._from(start_sample)

    def _from(self, start_sample: int) -> Iterator[np.ndarray]:
        for block in self.recording.blocks(self.block_samples):
            end = block.first_sample + len(block.samples)
            if end <= start_sample:
                continue
            yield block.samples[max(0, start_sample - block.first_sample):]
