"""The user's settings, kept in ``$XDG_CONFIG_HOME/groundstation/config.toml`` (``~/.config/...`` by default):
for now the home station, used whenever ``--station`` and ``--station-file`` are not given.

>>> import os, tempfile
>>> os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp()
>>> home_station() is None
True
>>> path = save_home_station(Station(37.57, 126.98, 38.0, "Seoul"))
>>> print(path.read_text(), end="")
[station]
latitude_deg = 37.57
longitude_deg = 126.98
altitude_m = 38.0
name = "Seoul"
>>> home_station()
Station(latitude_deg=37.57, longitude_deg=126.98, altitude_m=38.0, name='Seoul')
>>> del os.environ["XDG_CONFIG_HOME"]
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

from groundstation.errors import UserError
from groundstation.orbits.station import Station
from groundstation.outputs.atomic import atomic_write

MAX_CONFIG_BYTES = 1 << 20


def config_path() -> Path:
    """Where the settings live (XDG base directories)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "groundstation" / "config.toml"


def load_config() -> dict:
    """The settings as a table ({} when there is no file); :class:`UserError` naming the file if it is broken."""
    path = config_path()
    if not path.is_file():
        return {}
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_CONFIG_BYTES + 1)
        if len(data) > MAX_CONFIG_BYTES:
            raise UserError(f"{path}: more than {MAX_CONFIG_BYTES} bytes: not a groundstation config file")
        return tomllib.loads(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as error:
        raise UserError(f"{path}: cannot read the settings ({error}); fix or delete the file "
                        "(groundstation config --station ... writes a new one)") from None


def home_station() -> Station | None:
    """The ``[station]`` of the settings, or None."""
    table = load_config().get("station")
    if table is None:
        return None
    path = config_path()
    try:
        return Station(float(table["latitude_deg"]), float(table["longitude_deg"]), float(table.get("altitude_m", 0.0)),
                       str(table.get("name", "home")))
    except (KeyError, TypeError, ValueError) as error:
        raise UserError(f"{path}: [station] needs latitude_deg and longitude_deg numbers ({error}); fix it, or "
                        "save it again with groundstation config --station LAT,LON[,ALT_M]") from None


def save_home_station(station: Station) -> Path:
    """Write ``station`` as the home station (the other settings are kept); return the file's path."""
    path = config_path()
    settings = load_config()
    settings["station"] = {"latitude_deg": station.latitude_deg, "longitude_deg": station.longitude_deg,
                           "altitude_m": station.altitude_m, "name": station.name or "home"}
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(str(path), "w", "config", encoding="utf-8") as file:
        file.write(_to_toml(settings))
    return path


def _to_toml(settings: dict) -> str:
    """Tables of numbers and strings as TOML (all the settings hold)."""
    lines = []
    for section, table in settings.items():
        if not isinstance(table, dict):
            continue
        lines.append(f"[{section}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"
