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
groundstation.errors.UserError: Kwangmyongsong-4 (NORAD 41332) decayed on 2023-06-30: there is nothing to see after that. Ask for a time before the decay with --start (`groundstation history --sat 41332` lists the sets held), or use --force.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, time, timezone

import numpy as np

from groundstation.errors import UserError
from groundstation.orbits.catalog import Catalog, CatalogEntry, normalise_name
from groundstation.orbits.elements import ElementSet, ElementStore, check_element_set
from groundstation.timefmt import iso_utc

log = logging.getLogger(__name__)

#: Warn when the nearest set is more than this far from the times asked.
WARN_AGE_DAYS = 3.0
#: Outside the history held, refuse when no set is within this many days.
REFUSE_AGE_DAYS = 90.0


@dataclass(frozen=True)
class Target:
    """A satellite to predict: its name, NORAD number and catalogue entry (None if not catalogued)."""

    name: str
    norad: int
    entry: CatalogEntry | None = None


def designation_key(text: str) -> str:
    """A name as hobbyists type it, compared without case, spaces, hyphens or leading zeros of numbers.

    >>> designation_key("AO-07"), designation_key("ao 7"), designation_key("Fox-1B")
    ('ao7', 'ao7', 'fox1b')
    """
    return re.sub(r"(?<=[a-z])0+(?=\d)", "", normalise_name(text))


def name_keys(name: str) -> set[str]:
    """The keys an element-set name answers to: the whole, the part before brackets, and each bracketed
    designation (``SAUDISAT 1C (SO-50)`` answers to ``SO-50``, ``SO50`` and ``Saudisat 1C``).

    >>> sorted(name_keys("OSCAR 7 (AO-7)"))
    ['ao7', 'oscar7', 'oscar7ao7']
    """
    parts = [name, re.sub(r"\(.*?\)", "", name), *re.findall(r"\((.*?)\)", name)]
    return {designation_key(part) for part in parts if designation_key(part)}


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
    if re.fullmatch(r"[+-]\d+", text):
        raise UserError(f"--sat {text!r}: a NORAD number is a positive whole number (e.g. 58400)")
    if text.isascii() and text.isdigit():
        if len(text) > 9:
            raise UserError(f"--sat {text[:20]!r}...: a NORAD number has at most 9 digits")
        norad = int(text)
        if norad in store.norads():
            return Target(store.newest(norad).name, norad)
        raise UserError(f"NORAD {norad} is not catalogued and no element set for it is held; pass one with --tle")
    key = designation_key(text)
    for name, norad in names.items():
        words = re.findall(r"[a-z0-9]+", name.lower())
        if key in name_keys(name) or normalise_name(text) in words:
            return Target(name, norad)
    suggestions = catalog.close_matches(text, list(names))
    hint = f"; did you mean: {', '.join(suggestions)}?" if suggestions else "; `groundstation catalog` lists the objects"
    raise UserError(f"unknown satellite {query!r}{hint}")


@dataclass(frozen=True)
class Choice:
    """The element set chosen for a time window, and how far it is from it.

    ``distance_days``: from the set's epoch to the farther end of the window.
    ``inside_history``: the window lies between the first and last set held.
    ``spread_s``: how far (seconds along the track) the neighbouring sets put the
    satellite from where this set puts it, at the middle of the window; None
    when there is no other set. ``spread_unknown``: they disagree by more than a
    quarter of an orbit, so the position along the orbit is not known at all.
    """

    element_set: ElementSet
    label: str
    moment: datetime
    distance_days: float
    inside_history: bool
    spread_s: float | None = None
    neighbours: int = 0
    spread_unknown: bool = False

    def describe(self) -> str:
        """One line: which set, from where, how far from the times asked."""
        epoch = iso_utc(self.element_set.epoch, "seconds")
        return (f"{self.label}: element set of {epoch} ({self.element_set.source}), "
                f"{self.distance_days:.1f} days from the times asked")

    def uncertainty(self) -> str:
        """The along-track uncertainty in words, from the spread of the neighbouring sets."""
        if self.spread_s is None:
            return "no neighbouring set to measure the uncertainty by"
        if self.spread_unknown:
            return (f"the {self.neighbours} neighbouring sets disagree by more than a quarter of an orbit: "
                    "the position along the orbit is unknown")
        figure = f"{self.spread_s:.1f}" if self.spread_s < 10 else f"{self.spread_s:.0f}"
        text = f"about {figure} s along track (spread of {self.neighbours} neighbouring sets at that time)"
        if not self.inside_history:
            text += "; beyond the sets held, the true error grows faster than their spread"
        return text


def choose_elements(target: Target, store: ElementStore, start: datetime, end: datetime, force: bool = False) -> Choice:
    """The set nearest the middle of ``start``-``end``, with its distance and uncertainty; refuse where it would be wrong.

    Past a catalogued decay date, or outside the history held and more than
    90 days from every set: :class:`UserError` unless ``force``. Inside the
    history, a long gap only warns (more than 3 days from the nearest set),
    saying how much the neighbouring sets disagree.

    >>> from groundstation.orbits.catalog import load_catalog
    >>> store = ElementStore.bundled()
    >>> target = resolve_target("KMS-4", load_catalog(), store)
    >>> moment = datetime(2022, 8, 1, tzinfo=timezone.utc)
    >>> choice = choose_elements(target, store, moment, moment)
    >>> iso_utc(choice.element_set.epoch, "seconds"), round(choice.distance_days, 2), choice.inside_history
    ('2022-08-01T11:39:10Z', 0.49, True)
    """
    entry = target.entry
    label = f"{target.name} (NORAD {target.norad})"
    if entry is not None and entry.decay_date is not None and not force:
        decay = datetime.combine(entry.decay_date, time(), tzinfo=timezone.utc)
        if end > decay:
            raise UserError(
                f"{label} decayed on {entry.decay_date.isoformat()}: there is nothing to see after that. "
                f"Ask for a time before the decay with --start (`groundstation history --sat {target.norad}` "
                "lists the sets held), or use --force."
            )
    middle = start + (end - start) / 2
    sets = store.for_norad(target.norad)
    element_set = store.nearest(target.norad, middle)
    if element_set is None:
        raise UserError(
            f"no element set is held for {label}: run `groundstation tle update` or pass one with --tle "
            "(2- or 3-line TLE, or OMM JSON/CSV)"
        )
    distance_days = max(abs(element_set.age_days(start)), abs(element_set.age_days(end)))
    inside = sets[0].epoch <= start and end <= sets[-1].epoch
    epoch = iso_utc(element_set.epoch, "seconds")
    if not inside and distance_days > REFUSE_AGE_DAYS and not force:
        side = "after the last" if start > sets[-1].epoch else "before the first"
        raise UserError(
            f"{label}: no set within {REFUSE_AGE_DAYS:.0f} days of this time (the nearest, of {epoch}, is "
            f"{distance_days:.0f} days away, {side} set held); SGP4 is meaningless that far out. "
            f"Use --start near a set (e.g. --start {epoch}), `groundstation tle update`, --tle with a matching set, "
            "or --force."
        )
    check_element_set(element_set, start, end)
    spread_s, neighbours, unknown = along_track_spread_s(sets, element_set, middle)
    choice = Choice(element_set, label, middle, distance_days, inside, spread_s, neighbours, unknown)
    if distance_days > WARN_AGE_DAYS:
        log.warning("%s: the nearest element set (%s) is %.0f days from the times asked; uncertainty: %s",
                    label, epoch, distance_days, choice.uncertainty())
    return choice


def select_elements(target: Target, store: ElementStore, start: datetime, end: datetime, force: bool = False) -> ElementSet:
    """The set of :func:`choose_elements` alone."""
    return choose_elements(target, store, start, end, force).element_set


#: Outside the history, how many sets before (or after) the nearest are compared with it.
NEIGHBOURS_OUTSIDE = 2


def along_track_spread_s(sets: list[ElementSet], chosen: ElementSet, moment: datetime) -> tuple[float | None, int, bool]:
    """How far, in seconds along the track, the sets nearest ``moment`` (beside ``chosen``) put the satellite.

    The sets that bracket ``moment`` (other than ``chosen``; outside the
    history, the two sets nearest it on the one side there is) are propagated
    to it; the largest difference in argument of latitude from ``chosen``'s
    position, divided by the mean angular rate, is the spread. Returns
    (spread, sets compared, more than a quarter orbit).
    """
    from groundstation.orbits.orbit import timescale

    before = [s for s in sets if s.epoch <= moment and s is not chosen]
    after = [s for s in sets if s.epoch > moment and s is not chosen]
    if before and after:
        others = [before[-1], after[0]]
    else:
        others = before[-NEIGHBOURS_OUTSIDE:] + after[:NEIGHBOURS_OUTSIDE]
    if not others:
        return None, 0, False
    moment_jd = 2440587.5 + moment.timestamp() / 86400.0
    day, fraction = float(np.floor(moment_jd)), float(moment_jd - np.floor(moment_jd))

    def state(element_set):
        model = element_set.earth_satellite(timescale()).model
        error, position, velocity = model.sgp4(day, fraction)
        return error, np.array(position), np.array(velocity)

    error, r_ref, v_ref = state(chosen)
    if error:
        return None, 0, True
    normal = np.cross(r_ref, v_ref)
    normal /= np.linalg.norm(normal)
    rate_rad_s = np.linalg.norm(v_ref) / np.linalg.norm(r_ref)
    largest = 0.0
    unknown = False
    for other in others:
        error, r_other, _ = state(other)
        if error:
            unknown = True
            continue
        angle = float(np.arctan2(np.dot(np.cross(r_ref, r_other), normal), np.dot(r_ref, r_other)))
        unknown |= abs(angle) > np.pi / 2
        largest = max(largest, abs(angle) / rate_rad_s)
    return largest, len(others), unknown
