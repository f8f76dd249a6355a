"""An object's life from its element sets: heights over time, manoeuvres (signs of life), re-entry.

Each set gives a mean orbit (SGP4's Brouwer mean elements): semi-major axis,
perigee and apogee heights above the WGS72 equatorial radius, inclination,
mean motion and its rate (the TLE's drag term). Drag only ever lowers the
semi-major axis, so a rise between two sets, beyond what the sets' own scatter
and the drag of the time allow, means the object was commanded.

>>> from groundstation.orbits.elements import ElementStore
>>> store = ElementStore.bundled()
>>> life = object_history(store.for_norad(58400))
>>> len(life.points), round(life.points[0].perigee_km), round(life.points[0].apogee_km)
(452, 490, 509)
>>> [m.after.date().isoformat() for m in life.manoeuvres][:2]
['2023-12-27', '2024-04-25']
>>> object_history(store.for_norad(41332)).manoeuvres
[]
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import numpy as np

from groundstation.orbits.elements import ElementSet
from groundstation.timefmt import iso_utc

log = logging.getLogger(__name__)

#: Sets on each side of a step that give its drag rate and scatter.
NEIGHBOURS = 6
#: A rise must exceed this many standard deviations of the difference of two sets...
NOISE_SIGMAS = 5.0
#: ...and at least this much (TLE semi-major axes scatter by tens of metres).
MIN_RISE_KM = 0.1
#: Mean height at which the re-entry estimate ends (the last day of an orbit decays from about here).
REENTRY_HEIGHT_KM = 120.0
#: Over a gap of up to this many days, drag is assumed no weaker than half the neighbouring sets' rate;
#: over a longer gap (solar activity may change much more), a quarter of it.
SHORT_GAP_DAYS = 120.0


@dataclass(frozen=True)
class OrbitPoint:
    """The mean orbit of one element set."""

    epoch: datetime
    semi_major_axis_km: float
    perigee_km: float
    apogee_km: float
    eccentricity: float
    inclination_deg: float
    mean_motion_rev_per_day: float
    mean_motion_dot_rev_per_day2: float
    source: str

    @property
    def mean_height_km(self) -> float:
        return (self.perigee_km + self.apogee_km) / 2.0

    @property
    def decay_rate_km_per_day(self) -> float:
        """Rate of change of the semi-major axis implied by the set's own drag term (negative: decaying)."""
        return -2.0 / 3.0 * self.semi_major_axis_km * self.mean_motion_dot_rev_per_day2 / self.mean_motion_rev_per_day


@dataclass(frozen=True)
class Manoeuvre:
    """A rise of the orbit between two consecutive sets that drag cannot make.

    ``after`` and ``before`` are the epochs of the sets that bracket it.
    """

    after: datetime
    before: datetime
    semi_major_axis_change_km: float
    drag_change_km: float
    excess_km: float
    threshold_km: float
    noise_km: float
    perigee_change_km: float
    apogee_change_km: float
    eccentricity_change: float
    reported: tuple[str, ...] = ()

    @property
    def gap_days(self) -> float:
        return (self.before - self.after).total_seconds() / 86400.0

    def evidence(self) -> str:
        """Which quantity rose, by how much, against what the neighbouring sets allow."""
        if self.semi_major_axis_change_km > 0:
            rise = f"semi-major axis rose {self.semi_major_axis_change_km:.2f} km"
        else:
            rise = f"semi-major axis fell only {-self.semi_major_axis_change_km:.2f} km"
        text = (f"{rise} in {self.gap_days:.1f} days where the least drag the neighbouring sets allow takes it "
                f"{self.drag_change_km:+.2f} km: {self.excess_km:.2f} km above drag, against a threshold of "
                f"{self.threshold_km:.2f} km ({NOISE_SIGMAS:g} sigma of the sets' scatter, {self.noise_km * 1000:.0f} m, "
                f"and at least {MIN_RISE_KM:g} km); "
                f"perigee {self.perigee_change_km:+.1f} km, apogee {self.apogee_change_km:+.1f} km, "
                f"eccentricity {self.eccentricity_change:+.5f}")
        if self.reported:
            text += "; matches " + "; ".join(self.reported)
        return text

    def as_dict(self) -> dict:
        return {
            "after": iso_utc(self.after, "seconds"),
            "before": iso_utc(self.before, "seconds"),
            "gap_days": round(self.gap_days, 2),
            "semi_major_axis_change_km": round(self.semi_major_axis_change_km, 3),
            "drag_change_km": round(self.drag_change_km, 3),
            "excess_km": round(self.excess_km, 3),
            "threshold_km": round(self.threshold_km, 3),
            "noise_km": round(self.noise_km, 4),
            "perigee_change_km": round(self.perigee_change_km, 2),
            "apogee_change_km": round(self.apogee_change_km, 2),
            "eccentricity_change": round(self.eccentricity_change, 6),
            "reported": list(self.reported),
            "evidence": self.evidence(),
        }


@dataclass(frozen=True)
class ReentryEstimate:
    """When the last sets say the object came down, two ways, and against the catalogued date."""

    from_sets: datetime | None
    from_drag_term: datetime | None
    last_epoch: datetime
    last_mean_height_km: float
    sets_used: int
    catalogued: date | None = None

    @property
    def estimate(self) -> datetime | None:
        return self.from_sets or self.from_drag_term

    def difference_days(self) -> float | None:
        """Estimate minus catalogued decay date (noon), days."""
        if self.estimate is None or self.catalogued is None:
            return None
        noon = datetime.combine(self.catalogued, time(12), tzinfo=timezone.utc)
        return (self.estimate - noon).total_seconds() / 86400.0

    def describe(self) -> str:
        if self.estimate is None:
            return f"no re-entry estimate: the last sets (to {self.last_epoch.date()}) show no usable decay"
        how = [f"{self.from_sets.date().isoformat()} from the decay between the last two sets"] if self.from_sets else []
        if self.from_drag_term:
            how.append(f"{self.from_drag_term.date().isoformat()} from the last set's drag term")
        text = (f"re-entry estimated {self.estimate.date().isoformat()} ({'; '.join(how)}), "
                f"{(self.estimate - self.last_epoch).total_seconds() / 86400:.1f} days after the last set "
                f"(mean height {self.last_mean_height_km:.0f} km)")
        difference = self.difference_days()
        if difference is not None:
            text += f"; catalogued decay {self.catalogued.isoformat()} ({difference:+.1f} days)"
        return text

    def as_dict(self) -> dict:
        return {
            "estimate": iso_utc(self.estimate, "seconds") if self.estimate else None,
            "from_last_two_sets": iso_utc(self.from_sets, "seconds") if self.from_sets else None,
            "from_drag_term": iso_utc(self.from_drag_term, "seconds") if self.from_drag_term else None,
            "last_epoch": iso_utc(self.last_epoch, "seconds"),
            "last_mean_height_km": round(self.last_mean_height_km, 1),
            "sets_used": self.sets_used,
            "catalogued_decay_date": self.catalogued.isoformat() if self.catalogued else None,
            "difference_days": None if self.difference_days() is None else round(self.difference_days(), 1),
        }


@dataclass
class History:
    points: list[OrbitPoint]
    manoeuvres: list[Manoeuvre] = field(default_factory=list)
    reentry: ReentryEstimate | None = None

    def life_summary(self) -> str:
        """``manoeuvred on ...; last seen manoeuvring ...`` or that the sets show none."""
        if not self.points:
            return "no element sets held"
        if not self.manoeuvres:
            return (f"no manoeuvre in {len(self.points)} sets from {self.points[0].epoch.date()} "
                    f"to {self.points[-1].epoch.date()}")
        spans = ", ".join(_span(m) for m in self.manoeuvres)
        return f"manoeuvred on {spans}; last seen manoeuvring {_span(self.manoeuvres[-1])}"


def _span(manoeuvre: Manoeuvre) -> str:
    after, before = manoeuvre.after.date(), manoeuvre.before.date()
    return after.isoformat() if after == before else f"{after.isoformat()}..{before.isoformat()}"


def orbit_point(element_set: ElementSet) -> OrbitPoint:
    """The mean orbit of ``element_set`` (heights above the WGS72 equatorial radius, SGP4's own constants).

    >>> from groundstation.orbits.elements import parse_elements
    >>> (s,) = parse_elements(
    ...     "1 58400U 23179A   24158.19566690  .00000871  00000-0  41535-4 0  9999\\n"
    ...     "2 58400  97.4052  45.2326 0002221 305.1745  54.9283 15.21704003 30052\\n", "x")
    >>> point = orbit_point(s)
    >>> round(point.perigee_km, 1), round(point.apogee_km, 1), round(point.inclination_deg, 4)
    (496.1, 499.2, 97.4052)
    """
    from groundstation.orbits.orbit import timescale

    model = element_set.earth_satellite(timescale()).model
    radius_km = model.radiusearthkm
    rad_per_min_to_rev_per_day = 1440.0 / (2.0 * math.pi)
    return OrbitPoint(
        epoch=element_set.epoch,
        semi_major_axis_km=model.a * radius_km,
        perigee_km=model.altp * radius_km,
        apogee_km=model.alta * radius_km,
        eccentricity=model.ecco,
        inclination_deg=math.degrees(model.inclo),
        mean_motion_rev_per_day=model.no_kozai * rad_per_min_to_rev_per_day,
        # sgp4 keeps the TLE field (half the derivative) in rad/min^2.
        mean_motion_dot_rev_per_day2=2.0 * model.ndot * 1440.0 * rad_per_min_to_rev_per_day,
        source=element_set.source,
    )


def _local_rate_km_per_day(points: list[OrbitPoint]) -> float | None:
    """Median rate of the semi-major axis between consecutive ``points`` at least a day apart."""
    rates = []
    for left, right in zip(points[:-1], points[1:]):
        days = (right.epoch - left.epoch).total_seconds() / 86400.0
        if days >= 1.0:
            rates.append((right.semi_major_axis_km - left.semi_major_axis_km) / days)
    return float(np.median(rates)) if rates else None


def _scatter_km(points: list[OrbitPoint]) -> float | None:
    """Robust scatter of single sets: each middle set against the line through its two neighbours."""
    residuals = []
    for left, middle, right in zip(points[:-2], points[1:-1], points[2:]):
        span = (right.epoch - left.epoch).total_seconds()
        if span <= 0:
            continue
        weight = (middle.epoch - left.epoch).total_seconds() / span
        line = left.semi_major_axis_km + weight * (right.semi_major_axis_km - left.semi_major_axis_km)
        residuals.append(abs(middle.semi_major_axis_km - line))
    return 1.4826 * float(np.median(residuals)) if residuals else None


def find_manoeuvres(points: list[OrbitPoint], reported=()) -> list[Manoeuvre]:
    """Steps between consecutive sets where the semi-major axis ends above what drag allows.

    For the step from set i to set i+1: the drag rate is the median rate of the
    ``NEIGHBOURS`` sets on each side, the slower (less negative, never above 0)
    of the two; the least drag change is that rate times the gap, times a half
    (a quarter over gaps longer than ``SHORT_GAP_DAYS``: solar activity changes
    the density). The step is a manoeuvre when the semi-major axis change
    exceeds that least drag change by more than ``NOISE_SIGMAS`` times the
    scatter of the sets (for a difference of two sets; the smallest of the
    scatter before, after, and over the whole history, so that a nearby
    manoeuvre does not hide this one), and by at least ``MIN_RISE_KM``. ``reported``: catalogued
    :class:`~groundstation.orbits.catalog.ReportedManoeuvre` to match.
    """
    found = []
    whole_scatter_km = _scatter_km(points)
    for index in range(len(points) - 1):
        left, right = points[index], points[index + 1]
        days = (right.epoch - left.epoch).total_seconds() / 86400.0
        change_km = right.semi_major_axis_km - left.semi_major_axis_km
        side_before = points[max(0, index - NEIGHBOURS) : index + 1]
        side_after = points[index + 1 : index + 2 + NEIGHBOURS]
        rates = [rate for rate in (_local_rate_km_per_day(side_before), _local_rate_km_per_day(side_after))
                 if rate is not None]
        rate = min(0.0, max(rates)) if rates else 0.0
        drag_change_km = rate * days * (0.5 if days <= SHORT_GAP_DAYS else 0.25)
        scatters = [value for value in (_scatter_km(side_before), _scatter_km(side_after), whole_scatter_km)
                    if value is not None]
        noise_km = min(scatters) if scatters else MIN_RISE_KM
        threshold_km = max(NOISE_SIGMAS * math.sqrt(2.0) * noise_km, MIN_RISE_KM)
        excess_km = change_km - drag_change_km
        if excess_km <= threshold_km:
            continue
        matches = tuple(
            f"{item.source}: {item.note} ({item.start.isoformat()} to {item.end.isoformat()})"
            for item in reported
            if left.epoch.date() <= item.end and item.start <= right.epoch.date()
        )
        found.append(Manoeuvre(
            after=left.epoch,
            before=right.epoch,
            semi_major_axis_change_km=change_km,
            drag_change_km=drag_change_km,
            excess_km=excess_km,
            threshold_km=threshold_km,
            noise_km=noise_km,
            perigee_change_km=right.perigee_km - left.perigee_km,
            apogee_change_km=right.apogee_km - left.apogee_km,
            eccentricity_change=right.eccentricity - left.eccentricity,
            reported=matches,
        ))
    return found


#: Exponential atmosphere (base height km, density kg/m^3, scale height km), from Vallado, Fundamentals of
#: Astrodynamics and Applications, table 8-4. Only the shape matters here: ratios of density between heights.
ATMOSPHERE = (
    (100, 5.297e-07, 5.877), (110, 9.661e-08, 7.263), (120, 2.438e-08, 9.473), (130, 8.484e-09, 12.636),
    (140, 3.845e-09, 16.149), (150, 2.070e-09, 22.523), (180, 5.464e-10, 29.740), (200, 2.789e-10, 37.105),
    (250, 7.248e-11, 45.546), (300, 2.418e-11, 53.628), (350, 9.518e-12, 53.298), (400, 3.725e-12, 58.515),
    (450, 1.585e-12, 60.828), (500, 6.967e-13, 63.822), (600, 1.454e-13, 71.835), (700, 3.614e-14, 88.667),
)


def density_kg_m3(height_km):
    """The exponential atmosphere's density at ``height_km`` (array or number).

    >>> round(float(density_kg_m3(200.0)) * 1e10, 3)
    2.789
    """
    heights = np.asarray(height_km, dtype=float)
    bases = np.array([row[0] for row in ATMOSPHERE], dtype=float)
    index = np.clip(np.searchsorted(bases, heights, side="right") - 1, 0, len(bases) - 1)
    base_density = np.array([row[1] for row in ATMOSPHERE])[index]
    scale = np.array([row[2] for row in ATMOSPHERE])[index]
    return base_density * np.exp(-(heights - bases[index]) / scale)


def _time_integral(low_km: float, high_km: float) -> float:
    """The integral of 1/density from ``low_km`` to ``high_km`` (time to decay between them, times the drag constant)."""
    heights = np.linspace(low_km, high_km, 2000)
    values = 1.0 / density_kg_m3(heights)
    # The trapezoid rule by hand: numpy renamed trapz to trapezoid in 2.0, and the project allows numpy 1.24.
    return float(np.sum((values[1:] + values[:-1]) / 2.0 * np.diff(heights)))


def estimate_reentry(points: list[OrbitPoint], catalogued: date | None = None) -> ReentryEstimate | None:
    """When the last sets say the object's mean height reaches ``REENTRY_HEIGHT_KM``.

    A circular orbit decays as dh/dt = -k density(h), with k (the ballistic
    coefficient and the solar activity of the time) unknown and the density's
    shape from the exponential atmosphere. Two estimates: (1) k from the decay
    between the last two sets a day or more apart; (2) k from the last set's
    own drag term (its mean-motion rate). None when neither shows decay.
    """
    if not points:
        return None
    last = points[-1]
    integral_to_end = _time_integral(REENTRY_HEIGHT_KM, last.mean_height_km)
    from_sets = None
    used = 1
    earlier = [p for p in points[:-1] if (last.epoch - p.epoch).total_seconds() >= 86400.0]
    if earlier and earlier[-1].mean_height_km > last.mean_height_km:
        previous = earlier[-1]
        gap_days = (last.epoch - previous.epoch).total_seconds() / 86400.0
        days = gap_days * integral_to_end / _time_integral(last.mean_height_km, previous.mean_height_km)
        from_sets = last.epoch + timedelta(days=days)
        used = 2
    from_drag = None
    rate_km_per_day = last.decay_rate_km_per_day
    if rate_km_per_day < 0:
        days = integral_to_end * float(density_kg_m3(last.mean_height_km)) / -rate_km_per_day
        from_drag = last.epoch + timedelta(days=days)
    if from_sets is None and from_drag is None:
        return None
    return ReentryEstimate(from_sets, from_drag, last.epoch, last.mean_height_km, used, catalogued)


def object_history(sets: list[ElementSet], entry=None) -> History:
    """The orbit over an object's life from ``sets`` (sorted by epoch), with manoeuvres and, if decayed, re-entry.

    ``entry``: its :class:`~groundstation.orbits.catalog.CatalogEntry`, for reported manoeuvres and the decay date.
    """
    points = [orbit_point(element_set) for element_set in sorted(sets, key=lambda s: s.epoch)]
    reported = entry.reported_manoeuvres if entry is not None else ()
    history = History(points, find_manoeuvres(points, reported))
    decay_date = entry.decay_date if entry is not None else None
    if decay_date is not None:
        history.reentry = estimate_reentry(points, decay_date)
    log.info("%d sets, %d manoeuvres", len(points), len(history.manoeuvres))
    return history


SET_COLUMNS = ["epoch", "perigee_km", "apogee_km", "semi_major_axis_km", "eccentricity", "inclination_deg",
               "mean_motion_rev_per_day", "mean_motion_dot_rev_per_day2", "semi_major_axis_rate_km_per_day",
               "source"]


def set_rows(history: History) -> list[dict]:
    """One dict a set (keys ``SET_COLUMNS``); the rate of the semi-major axis is from the set before.

    >>> from groundstation.orbits.elements import ElementStore
    >>> rows = set_rows(object_history(ElementStore.bundled().for_norad(41333)))
    >>> rows[1]["epoch"], rows[1]["perigee_km"], rows[1]["semi_major_axis_rate_km_per_day"]
    ('2017-04-25T18:42:34Z', 424.17, -0.0147)
    """
    rows = []
    previous = None
    for point in history.points:
        rate = None
        if previous is not None:
            days = (point.epoch - previous.epoch).total_seconds() / 86400.0
            if days > 0:
                rate = round((point.semi_major_axis_km - previous.semi_major_axis_km) / days, 4)
        rows.append({
            "epoch": iso_utc(point.epoch, "seconds"),
            "perigee_km": round(point.perigee_km, 2),
            "apogee_km": round(point.apogee_km, 2),
            "semi_major_axis_km": round(point.semi_major_axis_km, 3),
            "eccentricity": round(point.eccentricity, 7),
            "inclination_deg": round(point.inclination_deg, 4),
            "mean_motion_rev_per_day": round(point.mean_motion_rev_per_day, 8),
            "mean_motion_dot_rev_per_day2": float(f"{point.mean_motion_dot_rev_per_day2:.5g}"),
            "semi_major_axis_rate_km_per_day": rate,
            "source": point.source,
        })
        previous = point
    return rows
