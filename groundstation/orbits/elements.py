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
import logging
import math
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

from groundstation.errors import UserError
from groundstation.validation import check_number, read_limited

log = logging.getLogger(__name__)

TLE_LINE_LENGTH = 69
#: An element file larger than this is refused (it is read whole); a long Space-Track history is a few MB.
MAX_ELEMENT_FILE_BYTES = 100 << 20
EARTH_RADIUS_KM = 6378.137
EARTH_MU_KM3_S2 = 398600.4418
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
    return sum(int(char) if char in "0123456789" else 1 if char == "-" else 0 for char in line[:68]) % 10


def _alpha5_number(text: str) -> int:
    """NORAD number from the 5-character TLE field, including Alpha-5 ('A0001' = 100001).

    >>> _alpha5_number("A0001"), _alpha5_number("58400"), _alpha5_number("  123")
    (100001, 58400, 123)
    >>> _alpha5_number("I0001")
    Traceback (most recent call last):
    ...
    ValueError: 'I0001' is not a catalogue number (5 digits, or a letter other than I and O then 4 digits)
    """
    stripped = text.strip()
    problem = ValueError(f"{text!r} is not a catalogue number (5 digits, or a letter other than I and O then 4 digits)")
    if stripped and stripped[0].isascii() and stripped[0].isalpha():
        letter = stripped[0].upper()
        if letter in "IO" or not (len(stripped) == 5 and stripped[1:].isascii() and stripped[1:].isdigit()):
            raise problem
        value = ord(letter) - ord("A") + 10 - (letter > "I") - (letter > "O")
        return value * 10000 + int(stripped[1:])
    if not (stripped.isascii() and stripped.isdigit()) or int(stripped) == 0:
        raise problem
    return int(stripped)


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
        check_tle_fields(line1, line2, f"{source}, line {index + 1}")
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
    if line[68] not in "0123456789" or tle_checksum(line) != int(line[68]):
        raise UserError(f"{where}: bad checksum (last digit {line[68]}, computed {tle_checksum(line)})")


#: Line, columns (0-based slice), name, low, high of each number field that SGP4 reads.
_TLE_NUMBER_FIELDS = (
    (1, slice(18, 20), "epoch year", 0, 99),
    (1, slice(20, 32), "epoch day of year", 1, 366.99999999),
    (1, slice(33, 43), "first derivative of mean motion", -1, 1),
    (2, slice(8, 16), "inclination (degrees)", 0, 180),
    (2, slice(17, 25), "right ascension of the node (degrees)", 0, 360),
    (2, slice(34, 42), "argument of perigee (degrees)", 0, 360),
    (2, slice(43, 51), "mean anomaly (degrees)", 0, 360),
    (2, slice(52, 63), "mean motion (revolutions a day)", 0, 20),
)
_IMPLIED_DECIMAL = re.compile(r"^[ +-]?\d{5}[ +-]\d$|^ *[+-]?0+[ +-]0$")  # a blank exponent sign occurs in real sets


def check_tle_fields(line1: str, line2: str, where: str) -> None:
    """:class:`UserError` unless every field SGP4 reads is a number in its range (checksums are checked before).

    >>> l1 = "1 58400U 23179A   24164.24788005  .00007135  00000+0  32465-3 0  9998"
    >>> l2 = "2 58400  97.4040  51.1823 0001996 152.6365 207.4976 15.21013721 30973"
    >>> check_tle_fields(l1, l2, "x.tle, line 1")
    >>> check_tle_fields(l1.replace("24164", "24999"), l2, "x.tle, line 1")
    Traceback (most recent call last):
    ...
    groundstation.errors.UserError: x.tle, line 1: TLE epoch day of year: 999.24788005 is outside the range; give a value from 1 to 367 (columns 21-32)
    """
    lines = {1: line1, 2: line2}
    for number in (1, 2):
        try:
            _alpha5_number(lines[number][2:7])
        except ValueError as error:
            raise UserError(f"{where}: line {number}, columns 3-7: {error}") from None
    for number, columns, name, low, high in _TLE_NUMBER_FIELDS:
        text = lines[number][columns]
        span = f"columns {columns.start + 1}-{columns.stop}"
        if not text.strip():
            raise UserError(f"{where}: TLE {name} is blank ({span})")
        try:
            check_number(text, f"TLE {name}", low, high)
        except UserError as error:
            raise UserError(f"{where}: {error} ({span})") from None
    for number, columns, name in ((1, slice(44, 52), "second derivative of mean motion"), (1, slice(53, 61), "BSTAR"),
                                  (2, slice(26, 33), "eccentricity")):
        text = lines[number][columns]
        valid = text.isdigit() if name == "eccentricity" else bool(_IMPLIED_DECIMAL.match(text)) or not text.strip()
        if not text.isascii() or not valid:
            raise UserError(f"{where}: TLE {name} {text!r} is not a number in TLE form "
                            f"(columns {columns.start + 1}-{columns.stop})")


def check_element_set(element_set: ElementSet, start: datetime | None = None, end: datetime | None = None,
                      points: int = 200) -> None:
    """:class:`UserError` naming the set if SGP4 cannot use it: an orbit below the surface, an eccentricity
    outside 0-1, or a propagation error (decay) between ``start`` and ``end`` (default: the epoch).

    >>> store = ElementStore.bundled()
    >>> check_element_set(store.newest(58400))
    """
    label = f"element set {element_set.name} (NORAD {element_set.norad}, {element_set.source})"
    try:
        if element_set.line1 is not None:
            eccentricity = int(element_set.line2[26:33]) / 1e7
            revs_per_day = float(element_set.line2[52:63])
        else:
            eccentricity = float(element_set.omm["ECCENTRICITY"])
            revs_per_day = float(element_set.omm["MEAN_MOTION"])
    except (ValueError, KeyError, TypeError):
        raise UserError(f"{label}: unreadable eccentricity or mean motion; fix or replace the set") from None
    if not (math.isfinite(eccentricity) and 0 <= eccentricity < 1):
        raise UserError(f"{label}: eccentricity {eccentricity:g} is outside 0 to 1 (not a closed orbit); "
                        "fix or replace the set")
    if not (math.isfinite(revs_per_day) and revs_per_day > 0):
        raise UserError(f"{label}: mean motion {revs_per_day:g} revolutions a day is not positive; fix or replace the set")
    mean_motion_rad_s = revs_per_day * 2 * math.pi / 86400.0
    semi_major_km = (EARTH_MU_KM3_S2 / mean_motion_rad_s**2) ** (1 / 3)
    perigee_km = semi_major_km * (1 - eccentricity) - EARTH_RADIUS_KM
    if perigee_km < 0:
        raise UserError(f"{label}: its perigee is {-perigee_km:.0f} km below the surface (mean motion "
                        f"{revs_per_day:g} revolutions a day, eccentricity {eccentricity:g}); fix or replace the set")
    _check_propagation(element_set, label, start or element_set.epoch, end or element_set.epoch, points)


def _check_propagation(element_set: ElementSet, label: str, start: datetime, end: datetime, points: int) -> None:
    import numpy as np
    from sgp4.api import SGP4_ERRORS

    from groundstation.orbits.orbit import timescale

    try:
        model = element_set.earth_satellite(timescale()).model
    except (ValueError, KeyError, TypeError, IndexError) as error:
        raise UserError(f"{label}: SGP4 cannot read it ({str(error).splitlines()[0][:100]}); fix or replace the set") from None
    if getattr(model, "error", 0):
        raise UserError(f"{label}: SGP4 refuses it ({SGP4_ERRORS.get(model.error, model.error)}); fix or replace the set")
    epoch_s = start.timestamp()
    seconds = np.linspace(epoch_s, max(epoch_s, end.timestamp()), points)
    jd = 2440587.5 + np.floor(seconds / 86400.0)
    fraction = (seconds % 86400.0) / 86400.0
    errors, positions, _ = model.sgp4_array(jd, fraction)
    failed = np.flatnonzero(errors)
    if len(failed):
        first = failed[0]
        moment = datetime.fromtimestamp(float(seconds[first]), tz=timezone.utc).isoformat(timespec="seconds")
        reason = SGP4_ERRORS.get(int(errors[first]), f"error {int(errors[first])}")
        raise UserError(f"{label}: SGP4 fails at {moment} ({reason}): the orbit has decayed or the set is wrong; "
                        "use a set nearer the time asked for, or another time")
    if not np.isfinite(positions).all():
        raise UserError(f"{label}: SGP4 gives no position (NaN); fix or replace the set")


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
    if not isinstance(record, dict):
        raise UserError(f"{source}: an OMM record must be a JSON object with OBJECT_NAME, NORAD_CAT_ID, EPOCH, ..., "
                        f"not {str(record)[:40]!r}")
    if None in record:  # a CSV row with more fields than its header
        raise UserError(f"{source}: an OMM CSV row has more fields than the header line names")
    fields = {str(key).upper(): "" if value is None else str(value) for key, value in record.items()}
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
    except ValueError as error:
        raise UserError(f"{source}: unreadable OMM field ({error})") from None
    check_number(fields["NORAD_CAT_ID"], f"{source}: NORAD_CAT_ID", 1, 999_999_999, integer=True)
    for key, low, high, unit in _OMM_RANGES:
        check_number(fields.get(key, ""), f"{source}: {key}", low, high, unit)
    return ElementSet(name=fields["OBJECT_NAME"], norad=norad, epoch=epoch, source=source, omm=fields)


_OMM_RANGES = (
    ("MEAN_MOTION", 0, 20, "revolutions a day"),
    ("ECCENTRICITY", 0, 0.999999, ""),
    ("INCLINATION", 0, 180, "degrees"),
    ("RA_OF_ASC_NODE", 0, 360, "degrees"),
    ("ARG_OF_PERICENTER", 0, 360, "degrees"),
    ("MEAN_ANOMALY", 0, 360, "degrees"),
    ("BSTAR", -1, 1, "per Earth radius"),
    ("MEAN_MOTION_DOT", -1, 1, ""),
    ("MEAN_MOTION_DDOT", -1, 1, ""),
)


def parse_omm_json(text: str, source: str) -> list[ElementSet]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise UserError(f"{source}, line {error.lineno}: not valid JSON ({error.msg})") from None
    except RecursionError:
        raise UserError(f"{source}: not valid OMM JSON (nested too deep)") from None
    records = document if isinstance(document, list) else [document]
    return [_omm_set(record, f"{source}[{index}]") for index, record in enumerate(records)]


def parse_omm_csv(text: str, source: str) -> list[ElementSet]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        return [_omm_set(row, f"{source}:{index + 2}") for index, row in enumerate(reader)]
    except csv.Error as error:
        raise UserError(f"{source}: not valid OMM CSV ({error})") from None


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
        if Path(path).is_dir():
            raise UserError(f"--tle: {str(path)!r} is a directory; give a TLE or OMM file")
        text = read_limited(path, MAX_ELEMENT_FILE_BYTES, "--tle",
                            "more than any element file; split it").decode("utf-8", errors="replace")
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
        history elsewhere. A later layer replaces a set of the same epoch. The
        user's files (``--tle``) replace everything held for the objects they
        hold: a user who brings sets of an object means those sets.
        """
        store = cls.bundled()
        if use_cache and cache_dir().is_dir():
            for path in sorted(cache_dir().glob("*.tle")):
                try:
                    store.add(read_elements(path), replace=True)
                except UserError as error:
                    log.warning("skipping %s in the tle update cache: %s", path.name, error)
                    continue
        user_sets = [element_set for path in user_files for element_set in read_elements(path)]
        for norad in {element_set.norad for element_set in user_sets}:
            store._by_norad.pop(norad, None)
        store.add(user_sets, replace=True)
        return store

    def add(self, sets: list[ElementSet], replace: bool = False) -> None:
        """Add ``sets``; a set with the epoch of one already held is skipped, or takes its place if ``replace``
        (the user's ``--tle`` files win over bundled and cached sets)."""
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
