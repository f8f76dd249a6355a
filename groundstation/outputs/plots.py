"""Pictures (matplotlib, Agg backend, so no screen is needed): sky tracks of passes.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "empty.png")
>>> plot_sky_tracks([], {}, path)
>>> open(path, "rb").read(8) == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import numpy as np

from groundstation.errors import UserError
from groundstation.outputs.atomic import atomic_write


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


#: Compass points on the sky plot, every 45 degrees of azimuth from north, clockwise.
COMPASS_POINTS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
#: Elevations with a labelled ring on the sky plot, degrees (the horizon is the outer ring; 90, the zenith, the centre).
ELEVATION_RINGS_DEG = (0, 30, 60)


def station_words(station) -> str:
    """Where the station is, for a title: its name if it has one, then latitude, longitude and height.

    >>> from groundstation.orbits.station import Station
    >>> station_words(Station(-33.92, 18.42, 10, "Cape Town"))
    'Cape Town (33.92° S, 18.42° E, 10 m)'
    >>> station_words(Station(37.57, 226.98, 0, "37.5700,226.9800"))
    '37.57° N, 133.02° W, 0 m'
    """
    longitude_deg = (station.longitude_deg + 180.0) % 360.0 - 180.0
    where = (f"{abs(station.latitude_deg):.2f}° {'N' if station.latitude_deg >= 0 else 'S'}, "
             f"{abs(longitude_deg):.2f}° {'E' if longitude_deg >= 0 else 'W'}, "
             f"{station.altitude_m:.0f} m")
    name = station.name if station.name and not station.name[:1] in "-0123456789" else ""
    return f"{name} ({where})" if name else where


def sky_figure(passes, trackers, station=None, points_per_pass: int = 120):
    """A polar plot of the sky seen from ``station``: north up, east right, the compass points around the
    horizon, the elevation rings in degrees (zenith in the centre), one line a pass with a dot at AOS."""
    plt = _pyplot()
    figure = plt.figure(figsize=(6, 6.4))
    axes = figure.add_subplot(projection="polar")
    axes.set_theta_zero_location("N")
    axes.set_theta_direction(-1)
    axes.set_thetagrids(np.arange(0, 360, 45), COMPASS_POINTS)
    axes.set_rlim(0, 90)
    axes.set_yticks([90 - elevation for elevation in ELEVATION_RINGS_DEG])
    axes.set_yticklabels([f"{elevation}°" for elevation in ELEVATION_RINGS_DEG], fontsize=8)
    axes.set_rlabel_position(22.5)  # between N and NE, clear of the compass points
    axes.text(np.radians(22.5), 104, "elevation", fontsize=8, ha="center", va="center")
    for item in passes:
        times = np.linspace(item.aos.timestamp(), item.los.timestamp(), points_per_pass)
        look = trackers[item.norad].look(times)
        radius = 90.0 - np.clip(look.elevation_deg, 0, 90)
        label = f"{item.name} {item.aos:%m-%d %H:%M}Z, max {item.max_elevation_deg:.0f}°"
        line, = axes.plot(np.radians(look.azimuth_deg), radius, label=label)
        axes.plot(np.radians(look.azimuth_deg[0]), radius[0], "o", color=line.get_color())
    if passes:
        axes.legend(loc="lower left", bbox_to_anchor=(-0.15, -0.2), fontsize=7)
    title = "Sky tracks" + (f" from {station_words(station)}" if station is not None else "")
    axes.set_title(f"{title}\n(times UTC; dot: AOS)", pad=24)
    return figure


def plot_sky_tracks(passes, trackers, path: str, station=None, points_per_pass: int = 120) -> None:
    """:func:`sky_figure`, written to ``path`` (.png, .svg or .pdf)."""
    save_figure(sky_figure(passes, trackers, station, points_per_pass), path, "--plot")


#: What ``--plot`` can write, by file extension.
PLOT_FORMATS = ("png", "svg", "pdf")


def plot_format(path: str, option: str) -> str:
    """The picture format for ``path`` from its extension, or :class:`UserError`.

    >>> plot_format("sky.PNG", "--plot")
    'png'
    >>> plot_format("sky.xyz", "--plot")
    Traceback (most recent call last):
    ...
    groundstation.errors.UserError: --plot: 'sky.xyz' must end in .png, .svg or .pdf
    """
    extension = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if extension not in PLOT_FORMATS:
        raise UserError(f"{option}: {path!r} must end in .png, .svg or .pdf")
    return extension


def save_figure(figure, path: str, option: str, dpi: int = 100) -> None:
    """Write ``figure`` (format from the extension, written whole then renamed into place) and close it;
    a path that cannot be written is the user's ``option``'s fault."""
    plt = _pyplot()
    try:
        with atomic_write(path, "wb", option) as file:
            figure.savefig(file, format=plot_format(path, option), dpi=dpi, bbox_inches="tight")
    except OSError as error:
        raise UserError(f"{option}: cannot write {path!r}: {error.strerror}") from None
    finally:
        plt.close(figure)
