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
from groundstation.validation import (
    ALTITUDE_M,
    LATITUDE_DEG,
    LONGITUDE_DEG,
    check_number,
    read_limited,
)

#: A station file larger than this is not a station file (it is read whole).
MAX_STATION_FILE_BYTES = 1 << 20


@dataclass(frozen=True)
class Station:
    latitude_deg: float
    longitude_deg: float
    altitude_m: float = 0.0
    name: str = ""

    def __post_init__(self) -> None:
        check_number(self.latitude_deg, "station latitude", *LATITUDE_DEG)
        check_number(self.longitude_deg, "station longitude", *LONGITUDE_DEG)
        check_number(self.altitude_m, "station altitude", *ALTITUDE_M)


#: Seoul, the demo's default station.
SEOUL = Station(37.5665, 126.9780, 38.0, "Seoul")


def parse_station(text: str) -> Station:
    """``"LAT,LON"`` or ``"LAT,LON,ALT_M"``, degrees north and east (negative for south and west)."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) not in (2, 3):
        raise UserError(f"--station: {text!r} is not LAT,LON[,ALT_M] (e.g. 39.0,125.75,30)")
    ranges = (("latitude", LATITUDE_DEG), ("longitude", LONGITUDE_DEG), ("altitude", ALTITUDE_M))
    values = [check_number(part, f"--station {text!r}: {label}", *limits) for part, (label, limits) in zip(parts, ranges)]
    return Station(values[0], values[1], values[2] if len(values) == 3 else 0.0, f"{values[0]:.4f},{values[1]:.4f}")


def read_station_file(path: str | Path) -> Station:
    """A Gpredict ``.qth`` file (``LAT``, ``LON``, ``ALT`` keys) or TOML (``latitude_deg``, ``longitude_deg``, ``altitude_m``)."""
    path = Path(path)
    try:
        if path.is_dir():
            raise UserError(f"--station-file: {str(path)!r} is a directory; give a .qth or TOML file")
        text = read_limited(path, MAX_STATION_FILE_BYTES, "--station-file",
                            "too big for a station file; give a .qth or TOML file").decode("utf-8")
    except OSError as error:
        raise UserError(f"--station-file: cannot read {str(path)!r}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise UserError(f"--station-file: {str(path)!r} is not UTF-8 text (byte {error.start}); "
                        "give a .qth or TOML file") from None
    if path.suffix.lower() == ".qth" or text.lstrip().startswith("[QTH]"):
        parser = configparser.ConfigParser()
        try:
            parser.read_string(text)
            section = parser["QTH"]
            where = f"--station-file {str(path)!r}"
            return Station(
                check_number(section["LAT"], f"{where}: LAT", *LATITUDE_DEG),
                check_number(section["LON"], f"{where}: LON", *LONGITUDE_DEG),
                check_number(section.get("ALT", "0"), f"{where}: ALT", *ALTITUDE_M),
                section.get("LOCATION", path.stem),
            )
        except (configparser.Error, KeyError) as error:
            reason = f"no {error}" if isinstance(error, KeyError) else str(error).splitlines()[0]
            raise UserError(f"--station-file {str(path)!r}: not a Gpredict .qth file with LAT and LON ({reason})") from None
    where = f"--station-file {str(path)!r}"
    try:
        table = tomllib.loads(text)
        return Station(
            check_number(table["latitude_deg"], f"{where}: latitude_deg", *LATITUDE_DEG),
            check_number(table["longitude_deg"], f"{where}: longitude_deg", *LONGITUDE_DEG),
            check_number(table.get("altitude_m", 0.0), f"{where}: altitude_m", *ALTITUDE_M),
            str(table.get("name", path.stem)),
        )
    except (tomllib.TOMLDecodeError, KeyError, RecursionError) as error:
        reason = {KeyError: f"no {error}", RecursionError: "nested too deeply"}.get(
            type(error), str(error).splitlines()[0] if str(error) else type(error).__name__)
        raise UserError(
            f"{where}: expected TOML with latitude_deg, longitude_deg [, altitude_m] ({reason})"
        ) from None
