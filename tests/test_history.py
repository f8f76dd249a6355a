"""The life of each catalogued object from the bundled history: manoeuvres, their absence, re-entry."""

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from groundstation.orbits.catalog import load_catalog
from groundstation.orbits.elements import ElementStore
from groundstation.orbits.history import (
    MIN_RISE_KM,
    find_manoeuvres,
    object_history,
    orbit_point,
)


@pytest.fixture(scope="module")
def lives():
    store, catalog = ElementStore.bundled(), load_catalog()
    return {norad: object_history(store.for_norad(norad), catalog.by_norad(norad))
            for norad in (39026, 41332, 41333, 58400)}


def _brackets(manoeuvre, moment: date) -> bool:
    return manoeuvre.after.date() <= moment <= manoeuvre.before.date()


def test_malligyong_reported_perigee_raise_is_found_across_the_gap(lives):
    # The Space Review: perigee raised on 19-24 February 2024; the sets have a gap from 27 Dec 2023 to 11 Apr 2024.
    (found,) = [m for m in lives[58400].manoeuvres if _brackets(m, date(2024, 2, 21))]
    assert found.after.date() == date(2023, 12, 27) and found.before.date() == date(2024, 4, 11)
    assert found.perigee_change_km == pytest.approx(3.4, abs=0.5)
    assert found.excess_km > found.threshold_km >= MIN_RISE_KM
    assert found.reported and "The Space Review" in found.reported[0]
    assert "perigee +3.4 km" in found.evidence()


def test_malligyong_june_2024_and_late_2025_raises(lives):
    manoeuvres = lives[58400].manoeuvres
    june = [m for m in manoeuvres if m.before.year == 2024 and m.before.month == 6]
    assert june and any(m.semi_major_axis_change_km > 1.0 for m in june)
    # Rounded: the eccentricity falls across the June steps.
    assert sum(m.eccentricity_change for m in june) < -0.0005
    (late_2025,) = [m for m in manoeuvres if m.after >= datetime(2025, 10, 1, tzinfo=timezone.utc)]
    assert late_2025.after.month == 10 and late_2025.before.month == 11
    assert late_2025.semi_major_axis_change_km > 5.0
    summary = lives[58400].life_summary()
    assert summary.startswith("manoeuvred on 2023-12-27..2024-04-11") and "last seen manoeuvring 2025-10-02" in summary


@pytest.mark.parametrize("norad", [39026, 41332, 41333])
def test_decaying_objects_never_manoeuvre(lives, norad):
    life = lives[norad]
    assert len(life.points) >= 15
    assert life.manoeuvres == []
    assert life.life_summary().startswith("no manoeuvre in")


def test_the_detector_fires_on_a_raise_planted_in_a_decaying_history(lives):
    # The same noisy sets of KMS-4, with every set after 2022-09-01 lifted by 2 km: one step must be found there.
    points = lives[41332].points
    cut = datetime(2022, 9, 1, tzinfo=timezone.utc)
    lifted = [replace(p, semi_major_axis_km=p.semi_major_axis_km + (2.0 if p.epoch > cut else 0.0)) for p in points]
    (found,) = find_manoeuvres(lifted)
    assert found.after < cut < found.before


def test_reentry_estimates_against_catalogued_decay(lives):
    for norad, allowed_days in ((41332, 2.0), (39026, 4.0)):
        reentry = lives[norad].reentry
        assert reentry is not None and abs(reentry.difference_days()) <= allowed_days, reentry.describe()
        assert reentry.estimate > reentry.last_epoch
    # The rocket body: its last set is 75 days before the (weaker-sourced) decay date; both estimates land after it.
    body = lives[41333].reentry
    assert body.estimate > body.last_epoch + timedelta(days=30)
    assert lives[58400].reentry is None


def test_orbit_point_heights_are_consistent():
    element_set = ElementStore.bundled().for_norad(41332)[0]
    point = orbit_point(element_set)
    assert point.perigee_km < point.mean_height_km < point.apogee_km
    assert point.semi_major_axis_km - 6378.135 == pytest.approx(point.mean_height_km, abs=1e-6)
    assert 15.0 < point.mean_motion_rev_per_day < 16.0 and point.decay_rate_km_per_day < 0


@pytest.mark.parametrize("norad, moment", [
    (41332, datetime(2022, 8, 1, 12, tzinfo=timezone.utc)),  # dense sets: a fraction of a second
    (58400, datetime(2024, 2, 20, tzinfo=timezone.utc)),  # the early-2024 gap: minutes
])
def test_along_track_spread_matches_positions_projected_on_the_track(norad, moment):
    import numpy as np
    from skyfield.api import load

    from groundstation.orbits.targets import along_track_spread_s

    store = ElementStore.bundled()
    sets = store.for_norad(norad)
    chosen = store.nearest(norad, moment)
    spread_s, compared, unknown = along_track_spread_s(sets, chosen, moment)
    assert compared == 2 and not unknown
    timescale = load.timescale(builtin=True)
    t = timescale.from_datetime(moment)
    reference = chosen.earth_satellite(timescale).at(t)
    velocity = reference.velocity.km_per_s
    others = [s for s in sets if s.epoch <= moment and s is not chosen][-1:] + \
        [s for s in sets if s.epoch > moment and s is not chosen][:1]
    radius = reference.position.km
    rate_rad_s = np.linalg.norm(velocity) / np.linalg.norm(radius)
    # Skyfield's GCRS positions (not sgp4's TEME): the angle between the two position vectors over the angular rate.
    angles_s = []
    for other in others:
        position = other.earth_satellite(timescale).at(t).position.km
        cosine = np.dot(position, radius) / np.linalg.norm(position) / np.linalg.norm(radius)
        angles_s.append(float(np.arccos(np.clip(cosine, -1, 1))) / rate_rad_s)
    assert spread_s == pytest.approx(max(angles_s), rel=0.02, abs=0.05)
