"""Orbital element sets: TLE text (2- and 3-line) and OMM (CelesTrak/Space-Track JSON and CSV).

A file may hold many objects and many epochs of one object (a Space-Track
history download); :meth:`ElementStore.nearest` picks the set whose epoch is
nearest the time asked for.

The bundled history (``kms-history.tle``) holds every catalogued object's
sets over its life:

>>> store = ElementStore.bundled()
>>> sets = store.for_norad(58400)
>>> sets[0].epoch.isoformat(timespec="seconds"), sets[-1].epoch.isoformat(timespec="seconds")
('2023-11-22T03:57:45+00:00', '2026-08-21T14:47:51+00:00')
>>> from datetime import datetime, timezone
>>> store.nearest(58400, datetime(2024, 6, 7, tzinfo=timezone.utc)).epoch.day
6
>>> store.nearest(41332, datetime(2017, 6, 1, tzinfo=timezone.utc)).source
'bundled kms-history.tle:74'
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

from groundstation.errors import UserError

TLE_LINE_LENGTH = 69
#: The element-set history of the catalogued objects (sources in ``kms-history-provenance.csv``).
HISTORY_FILE = "kms-history.tle"
BUNDLED_FILES = (HISTORY_FILE, "malligyong-1.tle", "amateur-2024-02-11.tle")


@dataclass(frozen=True)
class ElementSet:
    """One element set of one object. ``source`` says where it came from (file and line)."""

    name: str
    norad: int
    epoch: datetime
    source: str
    line1: str | None = None
    line2: str | None = None
    omm: dict | None = field(default=None, compare=False, repr=False)

    def earth_satellite(self, timescale):
        """The Skyfield ``EarthSatellite`` for this set."""
        from skyfield.api import EarthSatellite

        if self.line1 is not None:
            return EarthSatellite(self.line1, self.line2, self.name, timescale)
        return EarthSatellite.from_omm(timescale, self.omm)

    def age_days(self, moment: datetime) -> float:
        """Days from this set's epoch to ``moment`` (negative before the epoch)."""
        return (moment - self.epoch).total_seconds() / 86400.0


def tle_checksum(line: str) -> int:
    """The TLE checksum: digits summed, each '-' counts 1, modulo 10."""
    return sum(int(char) if char.isdigit() else 1 if char == "-" else 0 for char in line[:68]) % 10


def _alpha5_number(text: str) -> int:
    """NORAD number from the 5-character TLE field, including Alpha-5 ('A0001' = 100001)."""
    text = text.strip()
    if text and text[0].isalpha():
        letter = text[0].upper()
        value = ord(letter) - ord("A") + 10 - (letter > "I") - (letter > "O")
        return value * 10000 + int(text[1:])
    return int(text)


def _tle_epoch(line1: str) -> datetime:
    year = int(line1[18:20])
    year += 2000 if year < 57 else 1900
    day_of_year = float(line1[20:32])
    return datetime(year, 1, 1, tzinfo=timezone.utc) + timedelta(days=day_of_year - 1)


def parse_tle_text(text: str, source: str) -> list[ElementSet]:
    """All sets in 2-line or 3-line TLE text; :class:`UserError` names the file and line of a bad one."""
    lines = text.splitlines()
    sets = []
    name = None
    index = 0
    while index < len(lines):
        line = lines[index].rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            index += 1
            continue
        if not line.startswith("1 "):
            if line.startswith("2 "):
                raise UserError(f"{source}, line {index + 1}: TLE line 2 without a line 1 before it")
            name = line[2:].strip() if line.startswith("0 ") else line.strip()
            index += 1
            continue
        line1 = line
        line2 = lines[index + 1].rstrip() if index + 1 < len(lines) else ""
        _check_tle_line(line1, 1, source, index + 1)
        _check_tle_line(line2, 2, source, index + 2)
        norad = _alpha5_number(line1[2:7])
        if _alpha5_number(line2[2:7]) != norad:
            raise UserError(f"{source}, line {index + 2}: catalogue number differs from line {index + 1}")
        try:
            epoch = _tle_epoch(line1)
        except ValueError:
            raise UserError(f"{source}, line {index + 1}: unreadable epoch {line1[18:32]!r}") from None
        sets.append(
            ElementSet(
                name=name or f"NORAD {norad}",
                norad=norad,
                epoch=epoch,
                source=f"{source}:{index + 1}",
                line1=line1,
                line2=line2,
            )
        )
        name = None
        index += 2
    return sets


def _check_tle_line(line: str, number: int, source: str, line_number: int) -> None:
    where = f"{source}, line {line_number}"
    if not line.startswith(f"{number} "):
        raise UserError(f"{where}: expected TLE line {number}, found {line[:20]!r}")
    if len(line) != TLE_LINE_LENGTH:
        raise UserError(f"{where}: TLE line {number} has {len(line)} characters, not {TLE_LINE_LENGTH}")
    if not line[68].isdigit() or tle_checksum(line) != int(line[68]):
        raise UserError(f"{where}: bad checksum (last digit {line[68]}, computed {tle_checksum(line)})")


_OMM_REQUIRED = ("OBJECT_NAME", "NORAD_CAT_ID", "EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION")
_OMM_DEFAULTS = {
    "CLASSIFICATION_TYPE": "U",
    "EPHEMERIS_TYPE": "0",
    "ELEMENT_SET_NO": "999",
    "REV_AT_EPOCH": "0",
    "MEAN_MOTION_DOT": "0",
    "MEAN_MOTION_DDOT": "0",
    "OBJECT_ID": "",
}


def _omm_set(record: dict, source: str) -> ElementSet:
    fields = {key.upper(): "" if value is None else str(value) for key, value in record.items()}
    missing = [key for key in _OMM_REQUIRED if not fields.get(key)]
    if missing:
        raise UserError(f"{source}: OMM record lacks {', '.join(missing)}")
    for key, default in _OMM_DEFAULTS.items():
        if not fields.get(key):
            fields[key] = default
    epoch_text = fields["EPOCH"].rstrip("Z")
    if "." not in epoch_text:
        epoch_text += ".0"
    fields["EPOCH"] = epoch_text
    try:
        epoch = datetime.strptime(epoch_text, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc)
        norad = int(fields["NORAD_CAT_ID"])
        for key in ("MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE", "ARG_OF_PERICENTER",
                    "MEAN_ANOMALY", "BSTAR"):
            float(fields.get(key, "x"))
    except ValueError as error:
        raise UserError(f"{source}: unreadable OMM field ({error})") from None
    return ElementSet(name=fields["OBJECT_NAME"], norad=norad, epoch=epoch, source=source, omm=fields)


def parse_omm_json(text: str, source: str) -> list[ElementSet]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise UserError(f"{source}, line {error.lineno}: not valid JSON ({error.msg})") from None
    records = document if isinstance(document, list) else [document]
    return [_omm_set(record, f"{source}[{index}]") for index, record in enumerate(records)]


def parse_omm_csv(text: str, source: str) -> list[ElementSet]:
    reader = csv.DictReader(io.StringIO(text))
    return [_omm_set(row, f"{source}:{index + 2}") for index, row in enumerate(reader)]


def parse_elements(text: str, source: str) -> list[ElementSet]:
    """Sets from TLE, OMM JSON or OMM CSV text, told apart by content."""
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        sets = parse_omm_json(text, source)
    elif stripped[:200].upper().startswith("OBJECT_NAME") or "NORAD_CAT_ID" in stripped.split("\n", 1)[0].upper():
        sets = parse_omm_csv(text, source)
    else:
        sets = parse_tle_text(text, source)
    if not sets:
        raise UserError(f"{source}: no element sets found (expected TLE lines or OMM JSON/CSV)")
    return sets


def read_elements(path: str | Path) -> list[ElementSet]:
    """Sets from a user's ``--tle`` file."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise UserError(f"--tle: cannot read {str(path)!r}: {error.strerror}") from None
    return parse_elements(text, str(path))


def cache_dir() -> Path:
    """Where ``tle update`` keeps downloaded sets: ``$XDG_CACHE_HOME/groundstation/tle``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "groundstation" / "tle"


class ElementStore:
    """Every set held, by NORAD number: the bundled files, the ``tle update`` cache, and ``--tle`` files."""

    def __init__(self, sets: list[ElementSet] = ()) -> None:
        self._by_norad: dict[int, list[ElementSet]] = defaultdict(list)
        self.add(sets)

    @classmethod
    def bundled(cls) -> ElementStore:
        sets = []
        folder = resources.files("groundstation").joinpath("data/tle")
        for name in BUNDLED_FILES:
            sets += parse_tle_text(folder.joinpath(name).read_text(encoding="utf-8"), f"bundled {name}")
        return cls(sets)

    @classmethod
    def default(cls, user_files: list[str] = (), use_cache: bool = True) -> ElementStore:
        """Bundled sets (the history), then cached downloads, then the user's files.

        Every set joins the history of its object; the set nearest the time asked
        is used, so a freshly fetched set wins near its epoch and the bundled
        history elsewhere. A later layer replaces a set of the same epoch.
        """
        store = cls.bundled()
        if use_cache and cache_dir().is_dir():
            for path in sorted(cache_dir().glob("*.tle")):
                try:
                    store.add(read_elements(path), replace=True)
                except UserError:
                    continue
        for path in user_files:
            store.add(read_elements(path), replace=True)
        return store

    def add(self, sets: list[ElementSet], replace: bool = False) -> None:
        """Add ``sets``; one of the same object and epoch as a held one is dropped (or replaces it)."""
        for element_set in sets:
            known = self._by_norad[element_set.norad]
            same = [index for index, other in enumerate(known) if other.epoch == element_set.epoch]
            if same and replace:
                known[same[0]] = element_set
            elif not same:
                known.append(element_set)
                known.sort(key=lambda s: s.epoch)

    def for_norad(self, norad: int) -> list[ElementSet]:
        return list(self._by_norad.get(norad, []))

    def norads(self) -> list[int]:
        return sorted(norad for norad, sets in self._by_norad.items() if sets)

    def names(self) -> dict[str, int]:
        """Object name (as in the element files) -> NORAD number."""
        return {sets[-1].name: norad for norad, sets in self._by_norad.items() if sets}

    def nearest(self, norad: int, moment: datetime) -> ElementSet | None:
        sets = self._by_norad.get(norad)
        if not sets:
            return None
        return min(sets, key=lambda s: abs(s.age_days(moment)))

    def newest(self, norad: int) -> ElementSet | None:
        sets = self._by_norad.get(norad)
        return sets[-1] if sets else None
