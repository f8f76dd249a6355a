"""The decoder: a source's blocks in, :class:`DecodedFrame` out, for one modem or several side by side.

IQ goes through each modem's channel from the registry: for the FM modems
:class:`~groundstation.dsp.channel.FmChannel` (offset and Doppler removed,
filtered, FM-demodulated) to audio; for BPSK only the Doppler is removed
(:class:`~groundstation.dsp.channel.FrequencyShift`) and the demodulator finds
its carrier around the offset: a BPSK signal never passes through an FM
discriminator. Audio goes straight to every demodulator asked for. Every
demodulator has several slicers; what they find is merged: one frame a
content and time, ``crc`` ``ok`` if any slicer found it without repair,
``fixed`` if only a repair did. Times travel with the blocks.

>>> [spec.name for spec in modems_for(["auto"], 48000.0)][:4]
['afsk1200', 'fsk1200', 'fsk4800', 'fsk9600']
>>> [spec.name for spec in modems_for(["auto"], 22050.0)]
['afsk1200', 'fsk1200', 'fsk4800', 'fsk1200-g3ruh', 'fsk4800-g3ruh', 'bpsk1200', 'bpsk1200-g3ruh']
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from groundstation.allocator import one_blas_thread
from groundstation.dsp.channel import FmChannel, FrequencyShift
from groundstation.dsp.modems import MODEMS, ModemSpec, decodable
from groundstation.dsp.presence import BandMonitor, GatedDemodulator, bands_for
from groundstation.dsp.slicer import RawFrame
from groundstation.errors import UserError
from groundstation.outputs.records import DecodedFrame
from groundstation.outputs.wording import counted
from groundstation.recordings.block import Block, Source

log = logging.getLogger(__name__)

SIGNAL_MARGIN_HZ = 1_000.0  # beyond Carson's half-bandwidth, for what the AFC has not followed yet
HOLD_S = 2.0  # a frame is emitted this long after its end, once every slicer had its say
DUPLICATE_WINDOW_S = 1.5
LEVEL_CHUNK = 1024


def modems_for(names: list[str], audio_rate_sps: float) -> list[ModemSpec]:
    """The frame modems asked for (``auto``: every decodable one that fits the audio rate)."""
    if list(names) == ["auto"]:
        return [spec for spec in decodable() if spec.fits(audio_rate_sps)]
    specs = []
    for name in names:
        spec = MODEMS.get(name)
        if spec is None or not spec.carries_frames:
            raise UserError(f"modem {name!r} cannot be decoded; decodable: auto, "
                            + ", ".join(spec.name for spec in decodable()))
        if not spec.decodable:
            raise UserError(f"modem {name}: decoding {spec.kind.upper()} is not built yet; decodable: auto, "
                            + ", ".join(spec.name for spec in decodable()))
        if not spec.fits(audio_rate_sps):
            raise UserError(f"modem {name}: {audio_rate_sps:g} samples/s of audio is too slow for it")
        specs.append(spec)
    return specs


def _by_bit_rate(specs: list[ModemSpec]) -> list[list[ModemSpec]]:
    """The modems grouped so that plain and G3RUH at one bit rate (same kind) share one demodulator, in the
    order of ``specs``.

    >>> [[spec.name for spec in group] for group in _by_bit_rate(modems_for(["auto"], 48000.0))][:3]
    [['afsk1200'], ['fsk1200', 'fsk1200-g3ruh'], ['fsk4800', 'fsk4800-g3ruh']]
    """
    groups: dict[tuple[str, int], list[ModemSpec]] = {}
    for spec in specs:
        groups.setdefault((spec.kind, spec.baud), []).append(spec)
    return list(groups.values())


class LevelMeter:
    """Power of the demodulator input in chunks, for a per-frame level in dB (relative to full scale)."""

    def __init__(self, keep_s: float = 60.0) -> None:
        self._chunks: deque = deque()
        self._keep_s = keep_s

    def feed(self, block: Block) -> None:
        samples, start_s = block.samples, block.start_s
        count = len(samples) // LEVEL_CHUNK * LEVEL_CHUNK
        if count:
            chunks = samples[:count]
            if np.iscomplexobj(chunks):  # |z|^2 as re^2 + im^2 of the interleaved parts (no square root)
                chunks = np.ascontiguousarray(chunks, np.complex64).view(np.float32)
            chunks = chunks.astype(np.float32, copy=False).reshape(count // LEVEL_CHUNK, -1)
            power = np.einsum("ij,ij->i", chunks, chunks) / LEVEL_CHUNK
            times = start_s + (np.arange(len(power)) + 0.5) * LEVEL_CHUNK / block.rate_sps
            self._chunks.append((times, power))
        while self._chunks and self._chunks[0][0][-1] < start_s - self._keep_s:
            self._chunks.popleft()

    def level_db(self, start_s: float, end_s: float) -> float | None:
        values = [p[(t >= start_s) & (t <= end_s)] for t, p in self._chunks if t[-1] >= start_s and t[0] <= end_s]
        values = np.concatenate(values) if values else np.zeros(0)
        if len(values) == 0:
            return None
        return float(10 * np.log10(np.mean(values) + 1e-30))


@dataclass
class DecodeStats:
    frames_by_modem: Counter = field(default_factory=Counter)
    fixed: int = 0
    seconds: float = 0.0
    elapsed_s: float = 0.0

    def summary(self) -> str:
        total = sum(self.frames_by_modem.values())
        per_modem = ", ".join(f"{name}: {count}" for name, count in sorted(self.frames_by_modem.items()))
        speed = f"{self.seconds / self.elapsed_s:.0f}x real time" if self.elapsed_s > 0 else "-"
        return (counted(total, "frame") + (f" ({per_modem})" if per_modem else "") + f", {self.fixed} repaired (crc fixed); "
                f"{self.seconds:.1f} s of input in {self.elapsed_s:.1f} s ({speed})")


class Decoder:
    """Feed blocks with :meth:`process`, then :meth:`flush`; both return finished frames in time order.

    ``doppler_hz(t_s)`` (seconds from the input start -> Hz) is the satellite's Doppler for IQ inputs;
    ``offset_hz`` where the signal sits relative to the centre frequency. With ``["auto"]`` the chains other
    than AFSK run only where their bands hold something (:mod:`~groundstation.dsp.presence`; ``gate=False``
    runs them everywhere). Making one keeps numpy's BLAS to one thread for the whole process
    (:func:`groundstation.allocator.one_blas_thread`).
    """

    def __init__(self, rate_sps: float, is_complex: bool, modems: list[str], offset_hz: float = 0.0,
                 doppler_hz: Callable[[np.ndarray], np.ndarray] | None = None, repair: bool = True,
                 half_width_hz: float | None = None, gate: bool = True) -> None:
        one_blas_thread()  # the filter banks' products: threads would cost about ten times the CPU
        self.rate_sps = rate_sps
        self.audio_rate_sps = FmChannel.audio_rate_for(rate_sps) if is_complex else rate_sps
        self.specs = modems_for(modems, self.audio_rate_sps)
        if not self.specs:
            raise UserError(f"{rate_sps:g} samples/s is too slow for any modem (AFSK 1200 needs audio at 9600 "
                            "samples/s or more)")
        fm = [spec for spec in self.specs if spec.channel == "fm"]
        ssb = [spec for spec in self.specs if spec.channel == "ssb"]
        self.channel = None  # IQ to FM audio, for the FM modems
        self.shift = None  # IQ with the Doppler removed, for the BPSK modems (never through a discriminator)
        # Without Doppler data the signal may be anywhere within +-12 kHz of --offset (435 MHz at LEO).
        uncertainty_hz = 1_000.0 if doppler_hz is not None else 12_000.0
        if is_complex and fm:
            widest_fm = max(spec.bandwidth_hz() for spec in fm)
            self.channel = FmChannel(rate_sps, offset_hz, half_width_hz or widest_fm / 2 + uncertainty_hz, doppler_hz,
                                     signal_half_width_hz=widest_fm / 2 + SIGNAL_MARGIN_HZ)
        elif not is_complex and (offset_hz or doppler_hz is not None):
            log.warning("--offset and Doppler correction apply to IQ recordings; this input is audio")
        # auto: the chains other than AFSK run only where their bands hold something (presence.py)
        gate = gate and list(modems) == ["auto"]
        self.fm_demodulators = [self._made(group, self.audio_rate_sps, repair, gate) for group in _by_bit_rate(fm)]
        options = {}
        if is_complex and ssb:
            self.shift = FrequencyShift(rate_sps, 0.0, doppler_hz)
            # the carrier is searched around --offset, as far from it as the signal may be
            widest_ssb = max(spec.bandwidth_hz() for spec in ssb)
            search_hz = uncertainty_hz if half_width_hz is None else half_width_hz - widest_ssb / 2
            options = {"carrier_hz": offset_hz, "search_hz": max(search_hz, 600.0)}
        self.ssb_demodulators = [
            self._made(group, rate_sps if is_complex else self.audio_rate_sps, repair, gate and not is_complex,
                       **options)
            for group in _by_bit_rate(ssb)]
        self.demodulators = self.fm_demodulators + self.ssb_demodulators
        gated = {demod.name: demod.bands for demod in self.demodulators if isinstance(demod, GatedDemodulator)}
        self.monitor = BandMonitor(self.audio_rate_sps, gated) if gated else None
        self.levels = LevelMeter()
        self._pending: dict[bytes, list[RawFrame]] = {}
        self._recent: deque = deque()  # (end_s, data) of emitted frames, for duplicates that arrive late
        self._recent_ends: dict[bytes, list[float]] = {}  # the same, by content
        self.stats = DecodeStats()
        self._latest: Block | None = None  # the latest input block: its t0 dates the frames

    def _made(self, group: list[ModemSpec], rate_sps: float, repair: bool, gate: bool, **options):
        """The demodulator of ``group`` (plain and G3RUH of one bit rate), behind a presence gate when ``gate``
        and the modem has bands to watch."""
        def make():
            return group[0].make_demodulator(rate_sps, repair, **self._also(group, repair), **options)

        bands = bands_for(group[0].kind, group[0].baud)
        return GatedDemodulator(make, group[0].name, bands) if gate and bands is not None else make()

    @staticmethod
    def _also(group: list[ModemSpec], repair: bool) -> dict:
        """The demodulator options for the framings after the first of ``group`` (none: no option)."""
        if len(group) == 1:
            return {}
        return {"also": [(spec.name, spec.deframer_factory(repair)) for spec in group[1:]]}

    def process(self, block: Block) -> list[DecodedFrame]:
        self._latest = block
        self.levels.feed(block)
        active = {}  # the gated chains' bands: times of active frames
        if self.fm_demodulators:
            audio = self.channel.process(block) if self.channel is not None else block
            if self.monitor is not None:
                active = self.monitor.measure(audio.samples, audio.start_s)
            for demod in self.fm_demodulators:
                self._run(demod, audio, active)
        if self.ssb_demodulators:
            baseband = self.shift.process(block) if self.shift is not None else block
            for demod in self.ssb_demodulators:  # gated only on audio, measured above
                self._run(demod, baseband, active)
        return self._emit(block.end_s - HOLD_S)

    def _run(self, demod, block: Block, active: dict[str, np.ndarray]) -> None:
        found = demod.process(block, active[demod.name]) if isinstance(demod, GatedDemodulator) else demod.process(block)
        for raw in found:
            self._add(raw)

    def flush(self) -> list[DecodedFrame]:
        """Push the end of the input through every demodulator; return every frame still held."""
        for demod in self.demodulators:
            for raw in demod.flush():
                self._add(raw)
        return self._emit(float("inf"))

    def _add(self, raw: RawFrame) -> None:
        if any(abs(end - raw.end_s) < DUPLICATE_WINDOW_S for end in self._recent_ends.get(raw.data, ())):
            return
        self._pending.setdefault(raw.data, []).append(raw)

    def _emit(self, before_s: float) -> list[DecodedFrame]:
        out = []
        for data, sightings in list(self._pending.items()):
            if max(s.end_s for s in sightings) > before_s:
                continue
            del self._pending[data]
            groups = []  # the same bytes sent again later is a new frame
            for sighting in sorted(sightings, key=lambda s: s.end_s):
                if groups and sighting.end_s - groups[-1][0].end_s < DUPLICATE_WINDOW_S:
                    groups[-1].append(sighting)
                else:
                    groups.append([sighting])
            for group in groups:
                best = min(group, key=lambda s: (s.crc != "ok", s.start_s))
                out.append(self._record(best))
                self._recent.append((best.end_s, data))
                self._recent_ends.setdefault(data, []).append(best.end_s)
        while self._recent and self._recent[0][0] < before_s - 10 * DUPLICATE_WINDOW_S:
            end, data = self._recent.popleft()
            ends = self._recent_ends[data]
            ends.remove(end)
            if not ends:
                del self._recent_ends[data]
        out.sort(key=lambda frame: frame.t)
        return out

    def _record(self, raw: RawFrame) -> DecodedFrame:
        self.stats.frames_by_modem[raw.modem] += 1
        self.stats.fixed += raw.crc == "fixed"
        t = max(raw.start_s, 0.0)
        moment = None if self._latest is None else self._latest.time_of(t)
        return DecodedFrame(raw=raw.data, crc=raw.crc, format=raw.format, t=t, time=moment, modem=raw.modem,
                            level_db=self.levels.level_db(raw.start_s, raw.end_s))


def decode_recording(source: Source, modems: list[str] = ("auto",), offset_hz: float = 0.0, doppler_hz=None,
                     repair: bool = True, progress: Callable[[float], None] | None = None,
                     block_samples: int = 1 << 18) -> Iterator[DecodedFrame]:
    """Decode a :class:`~groundstation.recordings.block.Source` (a recording, stdin, a live stream), frames
    in time order.

    For the statistics (frames per modem, repaired, speed) make a :class:`Decoder` and use :func:`run_decoder`.
    """
    decoder = Decoder(source.rate_sps, source.is_complex, list(modems), offset_hz, doppler_hz, repair)
    yield from run_decoder(decoder, source, progress, block_samples)


def run_decoder(decoder: Decoder, source: Source, progress=None, block_samples: int = 1 << 18) -> Iterator[DecodedFrame]:
    """Feed every block of ``source`` to ``decoder``; ``progress(fraction)`` when the length is known."""
    began = time.perf_counter()
    total_s = source.duration_s
    for block in source.blocks(block_samples):
        yield from decoder.process(block)
        decoder.stats.seconds = block.end_s
        if progress and total_s:
            progress(min(1.0, decoder.stats.seconds / total_s))
    yield from decoder.flush()
    decoder.stats.elapsed_s = time.perf_counter() - began
