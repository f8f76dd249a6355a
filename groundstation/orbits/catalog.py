"""The catalogue of North Korean objects (a TOML file shipped in the package), validated on load.

>>> catalog = load_catalog()
>>> entry = catalog.find("KMS-4")[0]
>>> entry.norad, entry.status, str(entry.decay_date)
(41332, 'decayed', '2023-06-30')
>>> catalog.find("Malligyong-1")[0].reported_manoeuvres[0].start.isoformat()
'2024-02-19'
>>> [e.name for e in catalog.find("chollima-1")]
['Chollima-1 launch of 2023-05-31', 'Chollima-1 launch of 2023-08-24']
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

from groundstation.errors import UserError

STATUSES = ("in-orbit", "decayed", "unknown", "not-orbital")


@dataclass(frozen=True)
class Downlink:
    """What is known of an object's transmitter; mostly ``"unknown"``."""

    band: str
    modulation: str
    note: str
    frequency_hz: float | None = None


@dataclass(frozen=True)
class ReportedManoeuvre:
    """A manoeuvre reported by a published source (dates inclusive, UTC)."""

    start: date
    end: date
    note: str
    source: str


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    aliases: tuple[str, ...]
    norad: int | None
    cospar: str | None
    launch_date: date
    status: str
    status_note: str
    downlink: Downlink
    sources: tuple[str, ...]
    orbit: str | None = None
    decay_date: date | None = None
    reported_manoeuvres: tuple[ReportedManoeuvre, ...] = ()

    @property
    def reached_orbit(self) -> bool:
        return self.status != "not-orbital"

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


class Catalog:
    """Look up entries by name, alias or NORAD number (case and punctuation ignored)."""

    def __init__(self, entries: list[CatalogEntry]) -> None:
        self.entries = entries

    def find(self, query: str | int) -> list[CatalogEntry]:
        """All entries whose NORAD number, name or an alias matches ``query``."""
        text = str(query).strip()
        if text.isascii() and text.isdigit():
            return [entry for entry in self.entries if len(text) <= 9 and entry.norad == int(text)]
        key = normalise_name(text)
        return [entry for entry in self.entries if key in {normalise_name(name) for name in entry.names()}]

    def by_norad(self, norad: int) -> CatalogEntry | None:
        matches = self.find(norad)
        return matches[0] if matches else None

    def close_matches(self, query: str, extra_names: list[str] = ()) -> list[str]:
        """Names a user may have meant by ``query``, best first."""
        names = [name for entry in self.entries for name in entry.names()] + list(extra_names)
        by_key = {normalise_name(name): name for name in names}
        keys = difflib.get_close_matches(normalise_name(query), list(by_key), n=5, cutoff=0.5)
        return list(dict.fromkeys(by_key[key] for key in keys))


def normalise_name(name: str) -> str:
    return "".join(char for char in name.lower() if char.isalnum())


def load_catalog(path: Path | None = None) -> Catalog:
    """Read and validate the catalogue (the packaged one unless ``path`` is given)."""
    if path is None:
        text = resources.files("groundstation").joinpath("data/catalog.toml").read_text(encoding="utf-8")
        where = "the packaged catalog.toml"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise UserError(f"cannot read catalogue {str(path)!r}: {error.strerror}") from None
        where = str(path)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"{where}: not valid TOML: {error}") from None
    objects = document.get("object")
    if not isinstance(objects, list) or not objects:
        raise UserError(f"{where}: no [[object]] tables")
    return Catalog([_entry(table, f"{where}, object {index + 1}") for index, table in enumerate(objects)])


def _entry(table: dict, where: str) -> CatalogEntry:
    def field(name, kind, required=True, default=None):
        if name not in table:
            if required:
                raise UserError(f"{where}: missing key {name!r}")
            return default
        value = table[name]
        if not isinstance(value, kind):
            raise UserError(f"{where}: {name!r} must be {getattr(kind, '__name__', kind)}, not {value!r}")
        return value

    status = field("status", str)
    if status not in STATUSES:
        raise UserError(f"{where}: status {status!r} is not one of {', '.join(STATUSES)}")
    decay_date = field("decay_date", date, required=status == "decayed")
    norad = field("norad", int, required=status != "not-orbital")
    downlink_table = field("downlink", dict)
    frequency = downlink_table.get("frequency_hz")
    if frequency is not None and not isinstance(frequency, int | float):
        raise UserError(f"{where}: downlink frequency_hz must be a number")
    return CatalogEntry(
        name=field("name", str),
        aliases=tuple(field("aliases", list, required=False, default=[])),
        norad=norad,
        cospar=field("cospar", str, required=False),
        launch_date=field("launch_date", date),
        status=status,
        status_note=field("status_note", str),
        downlink=Downlink(
            band=str(downlink_table.get("band", "unknown")),
            modulation=str(downlink_table.get("modulation", "unknown")),
            note=str(downlink_table.get("note", "")),
            frequency_hz=None if frequency is None else float(frequency),
        ),
        sources=tuple(downlink_table.get("sources", [])),
        orbit=field("orbit", str, required=False),
        decay_date=decay_date,
        reported_manoeuvres=tuple(
            _reported_manoeuvre(item, f"{where}, reported_manoeuvre {index + 1}")
            for index, item in enumerate(field("reported_manoeuvre", list, required=False, default=[]))
        ),
    )


def _reported_manoeuvre(table, where: str) -> ReportedManoeuvre:
    if not isinstance(table, dict):
        raise UserError(f"{where}: must be a table with start, end, note, source")
    values = {}
    for key, kind in (("start", date), ("end", date), ("note", str), ("source", str)):
        if not isinstance(table.get(key), kind):
            raise UserError(f"{where}: {key!r} must be {kind.__name__}")
        values[key] = table[key]
    if values["end"] < values["start"]:
        raise UserError(f"{where}: end {values['end']} is before start {values['start']}")
    return ReportedManoeuvre(**values)
