"""Where the antenna is: ``--station LAT,LON[,ALT_M]`` or a station file (Gpredict ``.qth`` or TOML).

>>> parse_station("39.0,125.75,30")
Station(latitude_deg=39.0, longitude_deg=125.75, altitude_m=30.0, name='39.0000,125.7500')
"""

from __future__ import annotations

import configparser
import tomllib
from dataclasses import dataclass
from pathlib import Path

from groundstation.errors import UserError


@dataclass(frozen=True)
class Station:
    latitude_deg: float
    longitude_deg: float
    altitude_m: float = 0.0
    name: str = ""

    def __post_init__(self) -> None:
        if not -90 <= self.latitude_deg <= 90:
            raise UserError(f"station latitude {self.latitude_deg} is outside -90..90 degrees")
        if not -180 <= self.longitude_deg <= 360:
            raise UserError(f"station longitude {self.longitude_deg} is outside -180..360 degrees")


#: Seoul, the demo's default station.
SEOUL = Station(37.5665, 126.9780, 38.0, "Seoul")


def parse_station(text: str) -> Station:
    """``"LAT,LON"`` or ``"LAT,LON,ALT_M"``, degrees north and east (negative for south and west)."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) not in (2, 3):
        raise UserError(f"--station: {text!r} is not LAT,LON[,ALT_M] (e.g. 39.0,125.75,30)")
    try:
        values = [float(part) for part in parts]
    except ValueError:
        raise UserError(f"--station: {text!r} is not LAT,LON[,ALT_M] numbers (e.g. 39.0,125.75,30)") from None
    return Station(values[0], values[1], values[2] if len(values) == 3 else 0.0, f"{values[0]:.4f},{values[1]:.4f}")


def read_station_file(path: str | Path) -> Station:
    """A Gpredict ``.qth`` file (``LAT``, ``LON``, ``ALT`` keys) or TOML (``latitude_deg``, ``longitude_deg``, ``altitude_m``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UserError(f"--station-file: cannot read {str(path)!r}: {error.strerror}") from None
    if path.suffix.lower() == ".qth" or text.lstrip().startswith("[QTH]"):
        parser = configparser.ConfigParser()
        try:
            parser.read_string(text)
            section = parser["QTH"]
            return Station(
                float(section["LAT"]),
                float(section["LON"]),
                float(section.get("ALT", "0")),
                section.get("LOCATION", path.stem),
            )
        except (configparser.Error, KeyError, ValueError) as error:
            raise UserError(f"--station-file {str(path)!r}: not a Gpredict .qth file with LAT and LON ({error})") from None
    try:
        table = tomllib.loads(text)
        return Station(
            float(table["latitude_deg"]),
            float(table["longitude_deg"]),
            float(table.get("altitude_m", 0.0)),
            str(table.get("name", path.stem)),
        )
    except (tomllib.TOMLDecodeError, KeyError, ValueError, TypeError) as error:
        raise UserError(
            f"--station-file {str(path)!r}: expected TOML with latitude_deg, longitude_deg [, altitude_m] ({error})"
        ) from None
