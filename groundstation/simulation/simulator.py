"""What an SDR would have recorded during a pass: the transmitter, the channel, the noise.

Everything simulated is labelled as simulated: the frames say SIMULATED, the
SigMF metadata says ``groundstation:simulated: true`` and records the truth
(satellite, element set, station, modem, C/N0 over time, every frame's time),
with exactly one annotation per transmitted frame.

The orbit enters only as arrays on a one-second grid (Doppler, C/N0,
elevation); samples are made block by block, so memory does not depend on the
length of the pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from frames import Ax25Frame, append_fcs
from groundstation.dsp.bpsk import default_carrier_hz
from groundstation.dsp.fm import FM_DEVIATION_HZ, FmDiscriminator
from groundstation.dsp.hdlc import frame_bits, g3ruh_scramble, nrzi_encode
from groundstation.dsp.modems import ModemSpec
from groundstation.dsp.modulators import (
    burst_samples,
    keyed_envelope,
    morse_intervals,
)
from groundstation.errors import UserError
from groundstation.orbits.orbit import SPEED_OF_LIGHT_M_S, Tracker, doppler_shift_hz
from groundstation.timefmt import iso_utc

log = logging.getLogger(__name__)

GRID_STEP_S = 1.0
AUDIO_RATE_SPS = 48000
THERMAL_NOISE_DBM_HZ = -174.0
USB_CARRIER_AUDIO_HZ = 1500.0
PREAMBLE_S = 0.1
STANDARD_RATES_SPS = (48_000, 96_000, 192_000, 240_000, 250_000, 1_024_000, 2_048_000, 2_400_000)
#: The sample format ``simulate`` writes unless told otherwise: complex int16, half the size of cf32.
DEFAULT_DATATYPE = "ci16_le"
#: Integer formats: the full scale leaves this many standard deviations of the noise (per component) above
#: the strongest signal and the interferer (a Gaussian passes 7 sigma about once in 4e11 components).
NOISE_PEAK_SIGMAS = 7.0
#: The largest |envelope| of a burst: 1 for FM and keyed carriers; an RRC-shaped BPSK burst overshoots
#: (1.58 on random data), so 2 leaves room.
BPSK_ENVELOPE_PEAK = 2.0
#: cu8 keeps its noise a few levels wide (as an RTL-SDR's is) unless a strong signal needs more room.
CU8_LEVEL = 0.05


@dataclass
class SimulationConfig:
    """Everything that decides the samples. ``cn0_dbhz`` is C/N0 at closest approach, unless
    ``tx_power_dbm`` is given (then C/N0 follows from the link budget)."""

    tracker: Tracker
    start: datetime
    duration_s: float
    freq_hz: float
    modem: ModemSpec
    rate_sps: float
    offset_hz: float = 0.0
    drift_hz: float = 0.0
    cn0_dbhz: float = 60.0
    tx_power_dbm: float | None = None
    tx_gain_dbi: float = 0.0
    rx_gain_dbi: float = 0.0
    noise_figure_db: float = 2.0
    beacon_interval_s: float = 10.0
    frames: list[Ax25Frame] | None = None
    morse_text: str = "SIMULATED BEACON"
    morse_wpm: float = 20.0
    interferer: tuple[float, float] | None = None  # (offset from centre in Hz, received power in dBm)
    seed: int = 0

    @property
    def centre_hz(self) -> float:
        """The recording's centre: the signal sits at centre + offset."""
        return self.freq_hz - self.offset_hz


@dataclass
class ChannelGrid:
    """The orbit as plain arrays, one row a second from the start of the recording."""

    t_s: np.ndarray
    doppler_hz: np.ndarray
    cn0_dbhz: np.ndarray
    elevation_deg: np.ndarray
    range_km: np.ndarray

    def visible(self, t_s) -> np.ndarray:
        return np.interp(t_s, self.t_s, self.elevation_deg) > 0.0


def free_space_loss_db(range_km: np.ndarray, freq_hz: float) -> np.ndarray:
    return 20 * np.log10(4 * np.pi * np.asarray(range_km) * 1000.0 * freq_hz / SPEED_OF_LIGHT_M_S)


def channel_grid(config: SimulationConfig) -> ChannelGrid:
    t_s = np.arange(0.0, config.duration_s + GRID_STEP_S, GRID_STEP_S)
    look = config.tracker.look(config.start.timestamp() + t_s)
    doppler = doppler_shift_hz(config.freq_hz, look.range_rate_km_s)
    if config.tx_power_dbm is not None:
        received_dbm = (config.tx_power_dbm + config.tx_gain_dbi + config.rx_gain_dbi
                        - free_space_loss_db(look.range_km, config.freq_hz))
        cn0 = received_dbm - (THERMAL_NOISE_DBM_HZ + config.noise_figure_db)
    else:
        visible_range = look.range_km[look.elevation_deg > 0]
        closest_km = visible_range.min() if len(visible_range) else look.range_km.min()
        cn0 = config.cn0_dbhz + 20 * np.log10(closest_km / look.range_km)
    return ChannelGrid(t_s, doppler, cn0, look.elevation_deg, look.range_km)


def default_rate_sps(modem: ModemSpec, freq_hz: float, offset_hz: float, max_doppler_hz: float) -> int:
    """The lowest standard rate whose band (80 % of it usable) holds the signal, its offset and Doppler."""
    needed_hz = abs(offset_hz) + max_doppler_hz + modem.bandwidth_hz() / 2
    for rate in STANDARD_RATES_SPS:
        if needed_hz <= 0.4 * rate:
            return rate
    raise UserError(f"--offset {offset_hz:g} Hz plus Doppler does not fit a standard sample rate; give --samplerate")


@dataclass
class Burst:
    """One transmission: a frame (or a Morse message) from ``start_s`` for ``duration_s``."""

    index: int
    start_s: float
    duration_s: float
    frame: Ax25Frame | None = None
    levels: np.ndarray | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return f"frame {self.index + 1}" if self.frame is not None else f"message {self.index + 1}"


def beacon_frames(count: int, norad: int, rng: np.random.Generator) -> list[Ax25Frame]:
    """Believable telemetry, clearly labelled: a counter, battery voltage, temperature, uptime."""
    voltage = 7.4 + 0.1 * rng.standard_normal()
    temperature = 10.0 + 5.0 * rng.standard_normal()
    frames = []
    for number in range(1, count + 1):
        voltage += 0.01 * rng.standard_normal()
        temperature += 0.2 * rng.standard_normal()
        info = (f"SIMULATED beacon of NORAD {norad} #{number:04d} batt={voltage:.2f}V "
                f"temp={temperature:+.1f}C uptime={int(rng.integers(1000, 99999))}s")
        frames.append(Ax25Frame.ui("SIMSAT", "TLM", info.encode()))
    return frames


def modem_levels(frame: Ax25Frame, modem: ModemSpec) -> np.ndarray:
    """The line levels the modem sends for ``frame``: HDLC, NRZI, then G3RUH scrambling if used."""
    flags = max(4, int(np.ceil(PREAMBLE_S * modem.baud / 8)))
    bits = frame_bits(append_fcs(frame.to_bytes()), preamble_flags=flags, postamble_flags=3)
    levels = nrzi_encode(bits)
    return g3ruh_scramble(levels) if modem.scrambled else levels


def plan_bursts(config: SimulationConfig, grid: ChannelGrid, rng: np.random.Generator) -> list[Burst]:
    """Beacons every ``beacon_interval_s`` while the satellite is above the horizon."""
    modem = config.modem
    if modem.kind in ("none", "cw"):
        return []
    interval = config.beacon_interval_s
    starts = np.arange(min(1.0, interval / 2), config.duration_s, interval)
    if modem.kind == "morse":
        _, _, length_s = morse_intervals(config.morse_text, config.morse_wpm)
        candidates = [Burst(0, start, length_s) for start in starts]
    else:
        supplied = list(config.frames) if config.frames else beacon_frames(len(starts), config.tracker.element_set.norad, rng)
        candidates = []
        for number, start in enumerate(starts):
            frame = supplied[number % len(supplied)]
            levels = modem_levels(frame, modem)
            candidates.append(Burst(0, start, len(levels) / modem.baud, frame, levels))
    bursts = []
    for burst in candidates:
        ends_in_recording = burst.start_s + burst.duration_s <= config.duration_s
        if ends_in_recording and grid.visible([burst.start_s, burst.start_s + burst.duration_s]).all():
            burst.index = len(bursts)
            bursts.append(burst)
    return bursts


class Transmitter:
    """The satellite's complex envelope (amplitude 1 when on) at any sample rate, block by block."""

    def __init__(self, config: SimulationConfig, bursts: list[Burst]) -> None:
        self.config = config
        self.bursts = bursts
        self._cache: dict[tuple[int, float], np.ndarray] = {}
        if config.modem.kind == "morse":
            starts, ends, _ = morse_intervals(config.morse_text, config.morse_wpm)
            self._key_starts = np.concatenate([starts + burst.start_s for burst in bursts]) if bursts else starts[:0]
            self._key_ends = np.concatenate([ends + burst.start_s for burst in bursts]) if bursts else ends[:0]

    def _burst_waveform(self, burst: Burst, rate_sps: float) -> np.ndarray:
        key = (burst.index, rate_sps)
        if key not in self._cache:
            self._cache.clear()  # bursts come in time order: keep one
            modem = self.config.modem
            self._cache[key] = modem.modulator(burst.levels, modem.baud, rate_sps)
        return self._cache[key]

    def envelope(self, rate_sps: float, first_sample: int, count: int) -> np.ndarray:
        kind = self.config.modem.kind
        if kind == "none":
            return np.zeros(count, np.complex64)
        if kind == "cw":
            return np.ones(count, np.complex64)
        t_s = (first_sample + np.arange(count)) / rate_sps
        if kind == "morse":
            return keyed_envelope(t_s, self._key_starts, self._key_ends).astype(np.complex64)
        out = np.zeros(count, np.complex64)
        block_end = first_sample + count
        for burst in self.bursts:
            burst_first = int(round(burst.start_s * rate_sps))
            if burst_first >= block_end:
                break
            if burst_first + burst_samples(len(burst.levels), self.config.modem.baud, rate_sps) <= first_sample:
                continue
            waveform = self._burst_waveform(burst, rate_sps)
            lo, hi = max(burst_first, first_sample), min(burst_first + len(waveform), block_end)
            out[lo - first_sample : hi - first_sample] = waveform[lo - burst_first : hi - burst_first]
        return out


class PassSimulator:
    """Signal + interferer + receiver noise, block by block, at a chosen rate.

    Noise has unit power per complex sample, so a carrier of C/N0 has power
    10^(C/N0/10) / rate. With ``corrected=True`` the receiver follows the Doppler
    and the offset perfectly (the ``--audio`` path).
    """

    def __init__(self, config: SimulationConfig, grid: ChannelGrid, transmitter: Transmitter) -> None:
        self.config = config
        self.grid = grid
        self.transmitter = transmitter

    def blocks(self, rate_sps: float, block_samples: int, corrected: bool = False, stream: int = 0,
               start_sample: int = 0) -> Iterator[tuple[int, np.ndarray]]:
        """``(first sample, samples)`` from ``start_sample`` to the end (a live server starts mid-pass)."""
        config, grid = self.config, self.grid
        rng = np.random.default_rng([config.seed, 1 + stream] + ([start_sample] if start_sample else []))
        total = int(round(config.duration_s * rate_sps))
        signal_phase = 0.0
        interferer_phase = 0.0
        visible_amplitude = signal_amplitude(grid, rate_sps)
        if config.interferer is not None:
            interferer_offset_hz = config.interferer[0]
            interferer_amplitude = interferer_amplitude_at(config, rate_sps)
            if corrected:
                interferer_offset_hz -= config.offset_hz  # the corrected receiver is tuned to the signal
        for first in range(start_sample, total, block_samples):
            count = min(block_samples, total - first)
            t_s = (first + np.arange(count)) / rate_sps
            samples = (rng.standard_normal(2 * count, dtype=np.float32).view(np.complex64) * np.float32(np.sqrt(0.5)))
            envelope = self.transmitter.envelope(rate_sps, first, count)
            if envelope.any():
                amplitude = np.interp(t_s, grid.t_s, visible_amplitude).astype(np.float32)
                if corrected:
                    carrier = np.ones(count, np.complex64)
                else:
                    frequency = config.offset_hz + np.interp(t_s, grid.t_s, grid.doppler_hz)
                    frequency += config.drift_hz * t_s / max(config.duration_s, 1e-9)
                    phase = signal_phase + 2 * np.pi * np.cumsum(frequency) / rate_sps
                    signal_phase = float(phase[-1] % (2 * np.pi))
                    carrier = np.exp(1j * (phase - 2 * np.pi * frequency / rate_sps)).astype(np.complex64)
                samples += amplitude * envelope * carrier
            elif not corrected:
                # Keep the carrier phase running through silence, as a real oscillator does.
                frequency_hz = config.offset_hz + float(np.interp(t_s[count // 2], grid.t_s, grid.doppler_hz))
                signal_phase = (signal_phase + 2 * np.pi * frequency_hz * count / rate_sps) % (2 * np.pi)
            if config.interferer is not None:
                phase = interferer_phase + 2 * np.pi * interferer_offset_hz * np.arange(count) / rate_sps
                samples += np.float32(interferer_amplitude) * np.exp(1j * phase).astype(np.complex64)
                interferer_phase = float((interferer_phase + 2 * np.pi * interferer_offset_hz * count / rate_sps)
                                         % (2 * np.pi))
            yield first, samples


def signal_amplitude(grid: ChannelGrid, rate_sps: float) -> np.ndarray:
    """The carrier's amplitude on the grid (0 below the horizon), noise having unit power per complex sample."""
    return np.where(grid.elevation_deg > 0, np.sqrt(10 ** (grid.cn0_dbhz / 10) / rate_sps), 0.0)


def interferer_amplitude_at(config: SimulationConfig, rate_sps: float) -> float:
    """The ``--interferer``'s amplitude (0 without one), noise having unit power per complex sample."""
    if config.interferer is None:
        return 0.0
    interferer_cn0 = config.interferer[1] - (THERMAL_NOISE_DBM_HZ + config.noise_figure_db)
    return float(np.sqrt(10 ** (interferer_cn0 / 10) / rate_sps))


def full_scale_level(config: SimulationConfig, grid: ChannelGrid, datatype: str) -> float:
    """The factor from the simulator's samples (noise of unit power) to the file's full scale of 1.0.

    1 for ``cf32_le``. For the integer formats, the largest factor at which noise (to ``NOISE_PEAK_SIGMAS``),
    the strongest signal of the pass and the interferer, all at their peaks at once, stay inside full scale:
    nothing clips, and the noise spans thousands of levels in ``ci16_le`` (cu8 at most ``CU8_LEVEL``).
    """
    if datatype == "cf32_le":
        return 1.0
    envelope_peak = {"none": 0.0, "bpsk": BPSK_ENVELOPE_PEAK}.get(config.modem.kind, 1.0)
    signal_peak = envelope_peak * float(np.max(signal_amplitude(grid, config.rate_sps), initial=0.0))
    peak = signal_peak + interferer_amplitude_at(config, config.rate_sps) + NOISE_PEAK_SIGMAS * np.sqrt(0.5)
    level = 1.0 / peak
    return min(level, CU8_LEVEL) if datatype == "cu8" else level


def pass_simulator(config: SimulationConfig) -> PassSimulator:
    """The simulator of ``config``'s pass (its bursts planned with ``config.seed``), for streaming."""
    grid = channel_grid(config)
    bursts = plan_bursts(config, grid, np.random.default_rng([config.seed, 0]))
    return PassSimulator(config, grid, Transmitter(config, bursts))


def audio_blocks(simulator: PassSimulator, block_samples: int = 1 << 15) -> Iterator[np.ndarray]:
    """What a receiver tuned with perfect Doppler correction gives at 48 kHz: FM-demodulated audio for the
    FM modems (at half scale), USB audio with the carrier at 1.5 kHz for the others (``cw``, ``morse``,
    BPSK 1200; BPSK 9600 at 12 kHz)."""
    from scipy.signal import firwin, lfilter

    channel = simulator.config.modem.channel
    discriminator = FmDiscriminator(AUDIO_RATE_SPS, FM_DEVIATION_HZ)
    blocks = simulator.blocks(AUDIO_RATE_SPS, block_samples, corrected=True, stream=1)
    if channel in ("fm", "none"):
        # The receiver's IF filter: Carson's bandwidth of the modem (12.5 kHz for ``none``).
        bandwidth_hz = simulator.config.modem.bandwidth_hz() if channel == "fm" else 12_500.0
        taps = firwin(129, 0.55 * bandwidth_hz, fs=AUDIO_RATE_SPS).astype(np.float32)
        state = np.zeros(len(taps) - 1, np.complex64)
        for _, samples in blocks:
            filtered, state = lfilter(taps, 1.0, samples, zi=state)
            yield 0.25 * np.clip(discriminator.process(filtered.astype(np.complex64)), -2.0, 2.0)
        return
    level = None
    spec = simulator.config.modem
    carrier_hz = default_carrier_hz(spec.baud) if spec.kind == "bpsk" else USB_CARRIER_AUDIO_HZ
    for first, samples in blocks:
        t_s = (first + np.arange(len(samples))) / AUDIO_RATE_SPS
        audio = np.real(samples * np.exp(2j * np.pi * carrier_hz * t_s)).astype(np.float32)
        if level is None:
            level = 0.25 / max(float(np.sqrt(np.mean(audio**2))), 1e-9)  # fixed gain, set once, as a receiver's AGC would settle
        yield np.clip(audio * level, -1.0, 1.0)


@dataclass
class SimulationResult:
    bursts: list[Burst]
    grid: ChannelGrid
    samples: int
    metadata: dict


def truth_metadata(config: SimulationConfig, grid: ChannelGrid, bursts: list[Burst], target_name: str) -> dict:
    """The ``groundstation:`` extension: what was simulated, for tests, benchmarks and people."""
    element_set = config.tracker.element_set
    station = config.tracker.station
    step = max(1, int(round(5.0 / GRID_STEP_S)))
    return {
        "simulated": True,
        "note": "SIMULATED recording made by groundstation: no real satellite signal",
        "satellite": target_name,
        "norad": element_set.norad,
        "tle": [element_set.line1, element_set.line2] if element_set.line1 else None,
        "tle_epoch": iso_utc(element_set.epoch),
        "station": {"latitude_deg": station.latitude_deg, "longitude_deg": station.longitude_deg,
                    "altitude_m": station.altitude_m},
        "modem": config.modem.name,
        "freq_hz": config.freq_hz,
        "offset_hz": config.offset_hz,
        "drift_hz": config.drift_hz,
        "seed": config.seed,
        "cn0_dbhz_at_closest_approach": float(np.max(np.where(grid.elevation_deg > 0, grid.cn0_dbhz, -np.inf)))
        if (grid.elevation_deg > 0).any() else None,
        "cn0_dbhz": [[float(t), round(float(c), 2)] for t, c in zip(grid.t_s[::step], grid.cn0_dbhz[::step])],
        "doppler_hz": [[float(t), round(float(d), 2)] for t, d in zip(grid.t_s[::step], grid.doppler_hz[::step])],
        "interferer": None if config.interferer is None else
        {"offset_hz": config.interferer[0], "power_dbm": config.interferer[1]},
        "frames": [
            {"label": burst.label, "t_start_s": round(burst.start_s, 6), "t_end_s": round(burst.start_s + burst.duration_s, 6),
             "tnc2": burst.frame.tnc2() if burst.frame else config.morse_text,
             "hex": burst.frame.to_bytes().hex() if burst.frame else None}
            for burst in bursts
        ],
    }


def simulate(
    config: SimulationConfig,
    out_meta: str,
    target_name: str,
    datatype: str = DEFAULT_DATATYPE,
    audio_path: str | None = None,
    block_samples: int = 1 << 16,
    progress: Callable[[float], None] | None = None,
) -> SimulationResult:
    """Write the SigMF recording (and the ``--audio`` WAV); return the truth.

    The samples are scaled by :func:`full_scale_level` (recorded as ``groundstation:sample_level``: noise
    has power ``sample_level ** 2`` per complex sample in the file's full-scale units)."""
    from groundstation.recordings.writers import SigMFWriter, WavWriter

    rng = np.random.default_rng([config.seed, 0])
    grid = channel_grid(config)
    if not (grid.elevation_deg > 0).any():
        log.warning("%s is below the horizon for the whole recording: it will hold noise only", target_name)
    bursts = plan_bursts(config, grid, rng)
    transmitter = Transmitter(config, bursts)
    simulator = PassSimulator(config, grid, transmitter)
    level = full_scale_level(config, grid, datatype)
    metadata = truth_metadata(config, grid, bursts, target_name) | {"sample_level": level}
    description = (f"SIMULATED pass of {target_name} (NORAD {config.tracker.element_set.norad}), "
                   f"{config.modem.name} at {config.freq_hz:.0f} Hz: made by groundstation simulate")
    with SigMFWriter(out_meta, datatype, config.rate_sps, config.centre_hz, config.start, description,
                     metadata) as writer:
        half_width_hz = config.modem.bandwidth_hz() / 2
        for burst in bursts:
            doppler = float(np.interp(burst.start_s, grid.t_s, grid.doppler_hz))
            centre_offset = config.offset_hz + doppler
            writer.annotate(
                int(round(burst.start_s * config.rate_sps)),
                int(round(burst.duration_s * config.rate_sps)),
                burst.label,
                config.centre_hz + centre_offset - half_width_hz,
                config.centre_hz + centre_offset + half_width_hz,
                simulated=True,
                tnc2=burst.frame.tnc2() if burst.frame else config.morse_text,
            )
        total = int(round(config.duration_s * config.rate_sps))
        for first, samples in simulator.blocks(config.rate_sps, block_samples):
            writer.write(samples * np.float32(level) if level != 1.0 else samples)
            if progress:
                progress((first + len(samples)) / total)
        if audio_path:  # inside the SigMF block: a failure here leaves no recording either
            with WavWriter(audio_path, AUDIO_RATE_SPS) as wav:
                for audio in audio_blocks(simulator):
                    wav.write(audio)
    return SimulationResult(bursts, grid, total, metadata)

