"""From what the user typed (``--sat``) to an element set that is honest for the times asked.

>>> from datetime import datetime, timezone
>>> from groundstation.orbits.catalog import load_catalog
>>> catalog, store = load_catalog(), ElementStore.bundled()
>>> target = resolve_target("malligyong-1", catalog, store)
>>> target.name, target.norad
('Malligyong-1', 58400)
>>> moment = datetime(2024, 6, 7, tzinfo=timezone.utc)
>>> select_elements(target, store, moment, moment).epoch.date().isoformat()
'2024-06-06'
>>> select_elements(resolve_target("KMS-4", catalog, store), store, moment, moment)
Traceback (most recent call last):
...
groundstation.errors.UserError: Kwangmyongsong-4 (NORAD 41332) decayed on 2023-06-30: there is nothing to see after that. Ask for a time before the decay with --start and pass an older element set with --tle (a Space-Track history download), or use --force.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, time, timezone

from groundstation.orbits.catalog import Catalog, CatalogEntry, normalise_name
from groundstation.orbits.elements import ElementSet, ElementStore, check_element_set
from groundstation.errors import UserError
from groundstation.timefmt import iso_utc

log = logging.getLogger(__name__)

WARN_AGE_DAYS = 7.0
REFUSE_AGE_DAYS = 90.0


@dataclass(frozen=True)
class Target:
    """A satellite to predict: its name, NORAD number and catalogue entry (None if not catalogued)."""

    name: str
    norad: int
    entry: CatalogEntry | None = None


def resolve_target(query: str, catalog: Catalog, store: ElementStore) -> Target:
    """Find ``query`` (a name, alias or NORAD number) in the catalogue, then among the element sets held."""
    matches = catalog.find(query)
    if matches:
        orbital = [entry for entry in matches if entry.reached_orbit]
        if not orbital:
            described = "; ".join(f"{entry.name}: {entry.status_note}" for entry in matches)
            raise UserError(f"{query!r}: nothing reached orbit, so there is nothing to predict ({described})")
        if len(orbital) > 1:
            raise UserError(f"{query!r} matches several objects: {', '.join(e.name for e in orbital)}; use a NORAD number")
        entry = orbital[0]
        return Target(entry.name, entry.norad, entry)
    text = str(query).strip()
    names = store.names()
    if text.isdigit():
        norad = int(text)
        if norad in store.norads():
            return Target(store.newest(norad).name, norad)
        raise UserError(f"NORAD {norad} is not catalogued and no element set for it is held; pass one with --tle")
    key = normalise_name(text)
    for name, norad in names.items():
        words = re.findall(r"[a-z0-9]+", name.lower())
        if normalise_name(name) == key or key in words:
            return Target(name, norad)
    suggestions = catalog.close_matches(text, list(names))
    hint = f"; did you mean: {', '.join(suggestions)}?" if suggestions else "; `groundstation catalog` lists the objects"
    raise UserError(f"unknown satellite {query!r}{hint}")


def select_elements(target: Target, store: ElementStore, start: datetime, end: datetime, force: bool = False) -> ElementSet:
    """The set nearest the middle of ``start``-``end``; refuse where propagation would be wrong.

    Past a decay date, or more than 90 days from the epoch: :class:`UserError`
    unless ``force``. More than 7 days from the epoch: a warning.
    """
    entry = target.entry
    label = f"{target.name} (NORAD {target.norad})"
    if entry is not None and entry.decay_date is not None and not force:
        decay = datetime.combine(entry.decay_date, time(), tzinfo=timezone.utc)
        if end > decay:
            raise UserError(
                f"{label} decayed on {entry.decay_date.isoformat()}: there is nothing to see after that. "
                "Ask for a time before the decay with --start and pass an older element set with --tle "
                "(a Space-Track history download), or use --force."
            )
    middle = start + (end - start) / 2
    element_set = store.nearest(target.norad, middle)
    if element_set is None:
        raise UserError(
            f"no element set is held for {label}: run `groundstation tle update` or pass one with --tle "
            "(2- or 3-line TLE, or OMM JSON/CSV)"
        )
    age_days = max(abs(element_set.age_days(start)), abs(element_set.age_days(end)))
    epoch = iso_utc(element_set.epoch, "seconds")
    if age_days > REFUSE_AGE_DAYS and not force:
        raise UserError(
            f"{label}: the nearest element set has epoch {epoch}, {age_days:.0f} days from the times asked; "
            f"SGP4 is meaningless that far out. Use --start near the epoch (e.g. --start {epoch}), "
            "`groundstation tle update`, --tle with a matching set, or --force."
        )
    check_element_set(element_set, start, end)
    if age_days > WARN_AGE_DAYS:
        log.warning(
            "%s: element set epoch %s is %.0f days from the times asked; positions may be off by many km",
            label,
            epoch,
            age_days,
        )
    return element_set

