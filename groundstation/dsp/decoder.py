"""The decoder: a recording's blocks in, :class:`DecodedFrame` out, for one modem or several side by side.

IQ goes through :class:`~groundstation.dsp.channel.FmChannel` (offset and
Doppler removed, filtered, FM-demodulated) to audio; audio goes to every
demodulator asked for; every demodulator has several slicers; what they find
is merged: one frame a content and time, ``crc`` ``ok`` if any slicer found it
without repair, ``fixed`` if only a repair did.

>>> from frames import Ax25Frame
>>> ax25_check(Ax25Frame.ui("N0CALL", "CQ", b"hi").to_bytes(), repaired=False)
True
>>> ax25_check(Ax25Frame.ui("N0CALL", "CQ", b"hi").to_bytes().replace(b"\\x9c", b"\\xdc"), repaired=False)  # n0CALL
False
"""

from __future__ import annotations

import functools
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np

from frames import Ax25Frame, FrameError
from groundstation.dsp.afsk import AfskDemodulator
from groundstation.dsp.bpsk import BpskDemodulator, audio_fits
from groundstation.dsp.channel import FmChannel
from groundstation.dsp.fsk import FskDemodulator
from groundstation.dsp.modems import MODEMS, ModemSpec
from groundstation.dsp.slicer import RawFrame
from groundstation.errors import UserError
from groundstation.outputs.records import DecodedFrame

log = logging.getLogger(__name__)

SIGNAL_MARGIN_HZ = 1_000.0  # beyond Carson's half-bandwidth, for what the AFC has not followed yet
HOLD_S = 2.0  # a frame is emitted this long after its end, once every slicer had its say
DUPLICATE_WINDOW_S = 1.5
LEVEL_CHUNK = 1024
COMMON_PIDS = {0xF0, 0xCF, 0xCC, 0xCD, 0x08, 0x01, 0x06, 0x07, 0xC3, 0xC4, 0xCA, 0xCB}


@functools.lru_cache(maxsize=4096)
def ax25_check(raw: bytes, repaired: bool) -> bool:
    """Accept FCS-valid bytes only if they are a sane AX.25 frame (chance FCS passes are not).

    Every frame: it parses, and every address is a plausible callsign or blank
    (some satellites, Quetzal-1 among them, send blank addresses). A repaired
    frame must have no blank address and be a UI, I, S or known U frame with a
    common PID: a repair that passes the FCS by chance rarely survives that.
    """
    try:
        frame = Ax25Frame.from_bytes(raw)
    except FrameError:
        return False
    addresses = (frame.destination, frame.source, *frame.digipeaters)
    if not repaired:
        return all(address.callsign == "" or address.is_plausible() for address in addresses)
    if not frame.is_plausible():
        return False
    if frame.frame_type == "U" and frame.control & ~0x10 & 0xFF not in (0x2F, 0x43, 0x0F, 0x63, 0x87, 0xAF, 0xE3):
        return False
    return frame.pid is None or frame.pid in COMMON_PIDS


def fm_modems_for(names: list[str], audio_rate_sps: float) -> list[ModemSpec]:
    """The frame modems asked for, FM and BPSK (``auto``: all that fit the audio rate)."""
    if names == ["auto"]:
        return [spec for spec in MODEMS.values() if spec.carries_frames
                and (audio_fits(spec.baud, audio_rate_sps) if spec.kind == "bpsk"
                     else spec.kind == "afsk" or audio_rate_sps >= 4 * spec.baud)]
    specs = []
    for name in names:
        spec = MODEMS.get(name)
        if spec is None or not spec.carries_frames:
            raise UserError(f"--modem: {name!r} cannot be decoded; decodable: auto, "
                            + ", ".join(n for n, s in MODEMS.items() if s.carries_frames))
        if spec.kind == "bpsk" and not audio_fits(spec.baud, audio_rate_sps):
            raise UserError(f"--modem {name}: {audio_rate_sps:g} samples/s audio cannot hold its carrier")
        if spec.kind == "fsk" and audio_rate_sps < 4 * spec.baud:
            raise UserError(f"--modem {name}: {audio_rate_sps:g} samples/s is too slow for {spec.baud} baud "
                            f"(need {4 * spec.baud})")
        if spec.kind == "afsk" and audio_rate_sps < 9600:
            raise UserError(f"--modem {name}: needs audio at 9600 samples/s or more")
        specs.append(spec)
    return specs


def demodulator(spec: ModemSpec, audio_rate_sps: float, repair: bool = True, **bpsk_options):
    if spec.kind == "bpsk":
        return BpskDemodulator(audio_rate_sps, spec.name, spec.baud, spec.scrambled, check=ax25_check, repair=repair,
                               **bpsk_options)
    if spec.kind == "afsk":
        return AfskDemodulator(audio_rate_sps, spec.name, check=ax25_check, repair=repair)
    return FskDemodulator(audio_rate_sps, spec.name, spec.baud, spec.scrambled, check=ax25_check, repair=repair)


class LevelMeter:
    """Power of the demodulator input in chunks, for a per-frame level in dB (relative to full scale)."""

    def __init__(self, keep_s: float = 60.0) -> None:
        self._chunks: deque = deque()
        self._keep_s = keep_s

    def feed(self, samples: np.ndarray, start_s: float, rate_sps: float) -> None:
        count = len(samples) // LEVEL_CHUNK * LEVEL_CHUNK
        if count:
            power = np.mean(np.abs(samples[:count].reshape(-1, LEVEL_CHUNK)) ** 2, axis=1)
            times = start_s + (np.arange(len(power)) + 0.5) * LEVEL_CHUNK / rate_sps
            self._chunks.append((times, power))
        while self._chunks and self._chunks[0][0][-1] < start_s - self._keep_s:
            self._chunks.popleft()

    def level_db(self, start_s: float, end_s: float) -> float | None:
        values = [p[(t >= start_s) & (t <= end_s)] for t, p in self._chunks]
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
        return (f"{total} frames" + (f" ({per_modem})" if per_modem else "") + f", {self.fixed} repaired (crc fixed); "
                f"{self.seconds:.1f} s of input in {self.elapsed_s:.1f} s ({speed})")


class Decoder:
    """Feed blocks with :meth:`process`, then :meth:`flush`; both return finished frames in time order."""

    def __init__(self, rate_sps: float, is_complex: bool, modems: list[str], start_time=None, offset_hz: float = 0.0,
                 doppler_hz: Callable[[np.ndarray], np.ndarray] | None = None, repair: bool = True,
                 half_width_hz: float | None = None) -> None:
        self.start_time = start_time
        self.channel = None
        audio_rate = rate_sps
        if is_complex:
            widest = max((MODEMS[name].bandwidth_hz() for name in modems if name in MODEMS), default=15_600.0)
            if half_width_hz is None:
                # Without Doppler data the signal may be anywhere within +-12 kHz (435 MHz at LEO).
                half_width_hz = widest / 2 + (1_000.0 if doppler_hz is not None else 12_000.0)
            self.channel = FmChannel(rate_sps, offset_hz, half_width_hz, doppler_hz,
                                     signal_half_width_hz=widest / 2 + SIGNAL_MARGIN_HZ)
            audio_rate = self.channel.audio_rate_sps
        elif offset_hz or doppler_hz is not None:
            log.warning("--offset and Doppler correction apply to IQ recordings; this input is audio")
        self.audio_rate_sps = audio_rate
        self.specs = fm_modems_for(modems, audio_rate)
        self.demodulators = [demodulator(spec, audio_rate, repair) for spec in self.specs if spec.kind != "bpsk"]
        # BPSK never goes through the FM discriminator: from IQ it takes the samples (Doppler removed) itself.
        self.bpsk_shift = FmChannel(rate_sps, 0.0, doppler_hz=doppler_hz).shift if is_complex else None
        iq_options = {}
        if is_complex:  # the carrier is searched around --offset, as far as the signal may be from it
            iq_options = {"carrier_hz": offset_hz, "search_hz": max(half_width_hz - widest / 2, 600.0)}
        by_baud: dict[int, list[ModemSpec]] = {}  # plain and G3RUH at one bit rate share one demodulator
        for spec in self.specs:
            if spec.kind == "bpsk":
                by_baud.setdefault(spec.baud, []).append(spec)
        self.bpsk = [demodulator(specs[0], rate_sps, repair, also=[(s.name, s.scrambled) for s in specs[1:]],
                                 **iq_options) for specs in by_baud.values()]
        self.levels = LevelMeter()
        self._pending: dict[bytes, list[RawFrame]] = {}
        self._recent: deque = deque()  # (end_s, data) of emitted frames, for duplicates that arrive late
        self.stats = DecodeStats()
        self._input_s = 0.0

    def process(self, samples: np.ndarray, start_s: float) -> list[DecodedFrame]:
        self._input_s = start_s + len(samples) / (self.channel.rate_sps if self.channel else self.audio_rate_sps)
        if self.channel is not None:
            audio = self.channel.process(samples, start_s) if self.demodulators else samples[:0]
            self.levels.feed(samples, start_s, self.channel.rate_sps)
        else:
            audio = samples
            self.levels.feed(samples, start_s, self.audio_rate_sps)
        for demod in self.demodulators:
            for raw in demod.process(audio):
                self._add(raw)
        iq = self.bpsk_shift(samples, start_s) if self.bpsk and self.bpsk_shift else samples
        for demod in self.bpsk:
            for raw in demod.process(iq):
                self._add(raw, shifted=False)
        return self._emit(self._input_s - HOLD_S)

    def flush(self) -> list[DecodedFrame]:
        """Push the end of the input through every demodulator; return every frame still held."""
        for demod in self.demodulators:
            for raw in demod.flush():
                self._add(raw)
        for demod in self.bpsk:
            for raw in demod.flush():
                self._add(raw, shifted=False)
        return self._emit(float("inf"))

    def _add(self, raw: RawFrame, shifted: bool = True) -> None:
        shift = self.channel.delay_s if self.channel is not None and shifted else 0.0
        raw = RawFrame(raw.data, raw.crc, raw.start_s - shift, raw.end_s - shift, raw.modem, raw.variant)
        if any(data == raw.data and abs(end - raw.end_s) < DUPLICATE_WINDOW_S for end, data in self._recent):
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
        while self._recent and self._recent[0][0] < before_s - 10 * DUPLICATE_WINDOW_S:
            self._recent.popleft()
        out.sort(key=lambda frame: frame.t)
        return out

    def _record(self, raw: RawFrame) -> DecodedFrame:
        self.stats.frames_by_modem[raw.modem] += 1
        self.stats.fixed += raw.crc == "fixed"
        moment = None if self.start_time is None else self.start_time + timedelta(seconds=raw.start_s)
        return DecodedFrame(raw=raw.data, crc=raw.crc, t=max(raw.start_s, 0.0), time=moment, modem=raw.modem,
                            level_db=self.levels.level_db(raw.start_s, raw.end_s))


def decode_recording(recording, modems: list[str] = ("auto",), offset_hz: float = 0.0, doppler_hz=None,
                     repair: bool = True, progress: Callable[[float], None] | None = None,
                     block_samples: int = 1 << 18) -> Iterator[DecodedFrame]:
    """Decode a :class:`~groundstation.recordings.readers.Recording`, frames in time order.

    For the statistics (frames per modem, repaired, speed) make a :class:`Decoder` and use :func:`run_decoder`.
    """
    decoder = Decoder(recording.rate_sps, recording.datatype.is_complex, list(modems), recording.start_time,
                      offset_hz, doppler_hz, repair)
    yield from run_decoder(decoder, recording, progress, block_samples)


def run_decoder(decoder: Decoder, recording, progress=None, block_samples: int = 1 << 18) -> Iterator[DecodedFrame]:
    began = time.perf_counter()
    total_s = recording.duration_s
    for block in recording.blocks(block_samples):
        yield from decoder.process(block.samples, block.start_s)
        decoder.stats.seconds = block.start_s + block.duration_s
        if progress and total_s:
            progress(min(1.0, decoder.stats.seconds / total_s))
    yield from decoder.flush()
    decoder.stats.elapsed_s = time.perf_counter() - began
