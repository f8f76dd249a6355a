"""SIMULATED SatNOGS observations: what a station would have stored of a pass, made by the project's
simulator, for tests, benchmarks and trying ``campaign`` without the network.

The pass is simulated as IQ at the waterfall's rate (:mod:`groundstation.simulation.simulator`: the
satellite's true Doppler from ``truth``, receiver noise, an optional carrier on the ground); the
station's Doppler correction with the observation's element set is applied to the samples; then the
waterfall sink: FFTs of ``channels`` samples without a window, the maximum of ``ffts_per_row`` of them a row,
in dB. Everything written says SIMULATED (``groundstation:simulated`` in the record and artefact metadata).

>>> from datetime import datetime, timezone
>>> from groundstation.orbits.elements import ElementStore
>>> from groundstation.orbits.orbit import Tracker
>>> from groundstation.orbits.station import Station
>>> store = ElementStore.bundled()
>>> start = datetime(2024, 6, 12, 14, 22, tzinfo=timezone.utc)
>>> truth = Tracker(store.nearest(58400, start), Station(37.57, 126.98, 38.0))
>>> waterfall = simulated_waterfall(truth, truth, start, 4.0, 435e6, "silent", 30.0, seed=1)
>>> waterfall.channels, waterfall.ffts_per_row, waterfall.rows > 30
(1024, 5, True)
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from groundstation.orbits.orbit import Tracker
from groundstation.satnogs.waterfall import SatnogsWaterfall

SCENARIOS = ("carrier", "silent", "terrestrial", "fm-audio")
NOISE_FIGURE_DB = 2.0
THERMAL_NOISE_DBM_HZ = -174.0


def _config(truth: Tracker, start: datetime, duration_s: float, freq_hz: float, scenario: str, cn0_dbhz: float,
            seed: int, rate_sps: float, offset_hz: float, terrestrial_offset_hz: float, drift_hz: float = 0.0):
    from groundstation.dsp.modems import modem
    from groundstation.simulation.simulator import SimulationConfig

    interferer = None
    if scenario == "terrestrial":
        interferer = (terrestrial_offset_hz, cn0_dbhz + THERMAL_NOISE_DBM_HZ + NOISE_FIGURE_DB)
    name = {"carrier": "cw", "fm-audio": "afsk1200"}.get(scenario, "none")
    return SimulationConfig(truth, start, duration_s, freq_hz + offset_hz, modem(name), rate_sps, offset_hz=offset_hz,
                            drift_hz=drift_hz, cn0_dbhz=cn0_dbhz, noise_figure_db=NOISE_FIGURE_DB, interferer=interferer,
                            seed=seed)


def simulated_waterfall(truth: Tracker, station_set: Tracker | None, start: datetime, duration_s: float,
                        freq_hz: float, scenario: str, cn0_dbhz: float, seed: int = 0, offset_hz: float = 0.0,
                        terrestrial_offset_hz: float = 3000.0, rate_sps: float = 48000.0, channels: int = 1024,
                        ffts_per_row: int = 5, path: str = "", drift_hz: float = 0.0) -> SatnogsWaterfall:
    """The waterfall a station tuned to ``freq_hz`` along ``station_set``'s Doppler would record (None: no
    correction). ``scenario``: ``carrier`` (on ``freq_hz + offset_hz`` with ``truth``'s Doppler), ``silent``,
    ``terrestrial`` (a carrier on the ground at ``freq_hz + terrestrial_offset_hz``); ``cn0_dbhz`` at closest
    approach (the terrestrial carrier's, constant); ``drift_hz``: the transmitter's drift over the observation."""
    from groundstation.simulation.simulator import pass_simulator

    config = _config(truth, start, duration_s, freq_hz, scenario, cn0_dbhz, seed, rate_sps, offset_hz,
                     terrestrial_offset_hz, drift_hz)
    simulator = pass_simulator(config)
    grid_s = np.arange(0.0, duration_s + 2.0, 1.0)
    station_fraction = (np.zeros(len(grid_s)) if station_set is None
                        else station_set.doppler_fraction(start.timestamp() + grid_s))
    row_samples = channels * ffts_per_row
    block = row_samples * 64
    rows, phase = [], 0.0
    pending = np.zeros(0, np.complex64)
    for first, samples in simulator.blocks(rate_sps, block):
        t_s = (first + np.arange(len(samples))) / rate_sps
        # the simulator's band is centred on freq_hz (offset_hz from its centre); the station's retuning
        tuning_hz = freq_hz * np.interp(t_s, grid_s, station_fraction)
        phases = phase + 2 * np.pi * np.cumsum(tuning_hz) / rate_sps
        phase = float(phases[-1] % (2 * np.pi))
        data = np.concatenate([pending, samples * np.exp(-1j * phases).astype(np.complex64)])
        whole = len(data) // row_samples * row_samples
        spectra = np.fft.fftshift(np.fft.fft(data[:whole].reshape(-1, channels), axis=1), axes=1) / channels
        power = (spectra.real**2 + spectra.imag**2).reshape(-1, ffts_per_row, channels).max(axis=1)
        rows.append(10 * np.log10(power + 1e-20).astype(np.float32))
        pending = data[whole:]
    power_db = np.concatenate(rows) if rows else np.zeros((0, channels), np.float32)
    times_s = np.arange(len(power_db)) * row_samples / rate_sps
    offsets_hz = (np.arange(channels) - channels // 2) * rate_sps / channels
    return SatnogsWaterfall(start, times_s, offsets_hz, power_db, rate_sps, ffts_per_row, path)


def simulated_fm_audio(truth: Tracker, start: datetime, duration_s: float, freq_hz: float, cn0_dbhz: float,
                       seed: int = 0) -> np.ndarray:
    """48 kHz FM-discriminator audio of an AFSK 1200 beacon (the SatNOGS audio of an FM mode)."""
    from groundstation.simulation.simulator import audio_blocks, pass_simulator

    config = _config(truth, start, duration_s, freq_hz, "fm-audio", cn0_dbhz, seed, 48000.0, 0.0, 0.0)
    return np.concatenate(list(audio_blocks(pass_simulator(config))))


EXPECTED_VERDICT = {"carrier": "TRANSMITTING", "silent": "NO SIGNAL DETECTED",
                    "terrestrial": "SIGNAL NOT FROM THIS SATELLITE", "fm-audio": "CANNOT TELL"}
#: Stations of the simulated campaigns (places, not real SatNOGS stations): Seoul, Tokyo, Leiden.
SIMULATED_STATIONS = ((37.57, 126.98, 38.0), (35.68, 139.69, 40.0), (52.16, 4.49, 0.0))


def write_simulated_observation(folder: str, observation_id: int, truth: Tracker, station_set, start: datetime,
                                duration_s: float, freq_hz: float, scenario: str, cn0_dbhz: float, seed: int,
                                station_id: int, offset_hz: float = 0.0) -> str:
    """One observation folder as ``satnogs fetch`` makes them (``metadata.json`` and an artefact: the HDF5
    waterfall, or the OGG audio for ``fm-audio``), every part labelled SIMULATED. Returns the folder."""
    import json
    import os
    from datetime import timedelta

    import soundfile

    from groundstation.outputs.atomic import atomic_write
    from groundstation.satnogs.artifact import write_artifact
    from groundstation.timefmt import iso_utc

    os.makedirs(folder, exist_ok=True)
    station = truth.station
    lines = [station_set.name, station_set.line1, station_set.line2]
    record = {
        "id": observation_id, "start": iso_utc(start, "seconds"),
        "end": iso_utc(start + timedelta(seconds=duration_s), "seconds"), "ground_station": station_id,
        "station_lat": station.latitude_deg, "station_lng": station.longitude_deg, "station_alt": station.altitude_m,
        "tle0": lines[0], "tle1": lines[1], "tle2": lines[2], "norad_cat_id": truth.element_set.norad,
        "observation_frequency": freq_hz, "transmitter_downlink_low": freq_hz,
        "transmitter_mode": "AFSK" if scenario == "fm-audio" else "CW", "transmitter_baud": 1200 if scenario == "fm-audio" else None,
        "waterfall_status": {"carrier": "with-signal", "silent": "without-signal"}.get(scenario, "unknown"),
        "groundstation:simulated": True, "groundstation:scenario": scenario, "groundstation:cn0_dbhz": cn0_dbhz,
        "groundstation:expected_verdict": EXPECTED_VERDICT[scenario],
        "note": "SIMULATED observation made by groundstation (no real satellite signal; the TLE is a real "
                "bundled set, the station a place)",
    }
    files = {}
    if scenario == "fm-audio":
        audio = simulated_fm_audio(truth, start, duration_s, freq_hz, cn0_dbhz, seed)
        name = f"satnogs_{observation_id}_{start.strftime('%Y-%m-%dT%H-%M-%S')}.ogg"
        # in blocks: one long Vorbis write crashes some libsndfile versions
        with soundfile.SoundFile(os.path.join(folder, name), "w", 48000, 1, format="OGG", subtype="VORBIS") as out:
            for first in range(0, len(audio), 1 << 14):
                out.write(audio[first : first + (1 << 14)])
    else:
        waterfall = simulated_waterfall(truth, Tracker(station_set, station), start, duration_s, freq_hz, scenario,
                                        cn0_dbhz, seed, offset_hz)
        name = f"artifact_{observation_id}.h5"
        metadata = {"observation_id": observation_id, "frequency": f"{freq_hz:.0f}", "tle": "\n".join(lines),
                    "location": {"latitude": station.latitude_deg, "longitude": station.longitude_deg,
                                 "altitude": station.altitude_m},
                    "groundstation:simulated": True}
        write_artifact(os.path.join(folder, name), waterfall, metadata)
    files[name] = os.path.getsize(os.path.join(folder, name))
    with atomic_write(os.path.join(folder, "metadata.json"), "w") as file:
        json.dump(dict(record, files=files), file, indent=1)
    return folder


def build_simulated_campaign(folder: str, counts: dict[str, int], norad: int = 58400, first_day: str = "2024-06-01",
                             duration_s: float = 60.0, freq_hz: float = 435e6, seed: int = 0,
                             cn0_dbhz: dict[str, float] | None = None) -> list[str]:
    """Observation folders under ``folder``: ``counts`` of each scenario, on passes (elevation above 15
    degrees, ``duration_s`` around closest approach) of ``norad`` over :data:`SIMULATED_STATIONS` from
    ``first_day``. The truth is the bundled set nearest each pass; the station's set is the one before it.
    435 MHz is a SIMULATED frequency (none is known for these satellites)."""
    import os
    from datetime import timedelta

    from groundstation.orbits.elements import ElementStore
    from groundstation.orbits.station import Station
    from groundstation.timefmt import parse_utc

    levels = {"carrier": 25.0, "silent": 0.0, "terrestrial": 30.0, "fm-audio": 25.0} | (cn0_dbhz or {})
    store = ElementStore.bundled()
    sets = store.for_norad(norad)
    rng = np.random.default_rng(seed)
    scenarios = [name for name, count in counts.items() for _ in range(count)]
    rng.shuffle(scenarios)
    day = parse_utc(first_day)
    passes = []
    while len(passes) < len(scenarios):
        for index, place in enumerate(SIMULATED_STATIONS):
            tracker = Tracker(store.nearest(norad, day + timedelta(hours=12)), Station(*place))
            passes += [(index, tracker, p) for p in tracker.passes(day, day + timedelta(days=1))
                       if p.max_elevation_deg > 15]
        day += timedelta(days=1)
    folders = []
    for number, (scenario, (station_index, truth, one_pass)) in enumerate(zip(scenarios, passes)):
        earlier = [s for s in sets if s.epoch < truth.element_set.epoch]
        station_set = earlier[-1] if earlier else truth.element_set
        observation_id = 9_000_000 + number
        start = one_pass.tca - timedelta(seconds=duration_s / 2)
        folders.append(write_simulated_observation(
            os.path.join(folder, str(observation_id)), observation_id, truth, station_set, start, duration_s,
            freq_hz, scenario, levels[scenario], seed * 1000 + number, 9000 + station_index,
            offset_hz=float(rng.uniform(-5000, 5000)) if scenario == "carrier" else 0.0))
    return folders
