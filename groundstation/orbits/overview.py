"""The catalogued objects at a glance: status, downlink, the newest element set held, and what the history
of element sets shows (manoeuvres, a re-entry estimate).

>>> rows = catalog_rows()
>>> [row["norad"] for row in rows if row["name"] == "Malligyong-1"]
[58400]
"""

from __future__ import annotations

from datetime import datetime, timezone

from groundstation.orbits.catalog import load_catalog
from groundstation.orbits.elements import ElementStore
from groundstation.orbits.history import object_history
from groundstation.timefmt import iso_utc


def catalog_rows(now: datetime | None = None) -> list[dict]:
    """One dict an object, with the newest element set's epoch and age at ``now``."""
    now = now or datetime.now(timezone.utc)
    store = ElementStore.default()
    rows = []
    for entry in load_catalog().entries:
        newest = store.newest(entry.norad) if entry.norad else None
        sets = store.for_norad(entry.norad) if entry.norad else []
        life = object_history(sets, entry) if len(sets) >= 2 else None
        status = entry.status
        if entry.decay_date:
            status = f"decayed {entry.decay_date.isoformat()}"
        rows.append(
            {
                "name": entry.name,
                "norad": entry.norad,
                "cospar": entry.cospar,
                "launch_date": entry.launch_date.isoformat(),
                "status": status,
                "status_note": entry.status_note,
                "downlink_band": entry.downlink.band,
                "downlink_frequency_hz": entry.downlink.frequency_hz,
                "downlink_modulation": entry.downlink.modulation,
                "downlink_note": entry.downlink.note,
                "sources": list(entry.sources),
                "newest_tle_epoch": iso_utc(newest.epoch, "seconds") if newest else None,
                "newest_tle_age_days": round(newest.age_days(now), 1) if newest else None,
                "element_sets": len(sets),
                "history": life.life_summary() if life else None,
                "manoeuvres": [m.as_dict() for m in life.manoeuvres] if life else [],
                "reentry_estimate": life.reentry.as_dict() if life and life.reentry else None,
            }
        )
    return rows
