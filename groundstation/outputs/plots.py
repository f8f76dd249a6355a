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


def plot_sky_tracks(passes, trackers, path: str, points_per_pass: int = 120) -> None:
    """A polar plot (north up, east right, zenith in the centre) with one line a pass."""
    plt = _pyplot()
    figure = plt.figure(figsize=(6, 6))
    axes = figure.add_subplot(projection="polar")
    axes.set_theta_zero_location("N")
    axes.set_theta_direction(-1)
    axes.set_rlim(0, 90)
    axes.set_yticks([0, 30, 60, 90])
    axes.set_yticklabels(["90", "60", "30", "0"])
    for item in passes:
        times = np.linspace(item.aos.timestamp(), item.los.timestamp(), points_per_pass)
        look = trackers[item.norad].look(times)
        radius = 90.0 - np.clip(look.elevation_deg, 0, 90)
        label = f"{item.name} {item.aos:%m-%d %H:%M}Z, max {item.max_elevation_deg:.0f} deg"
        line, = axes.plot(np.radians(look.azimuth_deg), radius, label=label)
        axes.plot(np.radians(look.azimuth_deg[0]), radius[0], "o", color=line.get_color())
    if passes:
        axes.legend(loc="lower left", bbox_to_anchor=(-0.15, -0.2), fontsize=7)
    axes.set_title("Sky tracks (dot: AOS)")
    save_figure(figure, path, "--plot")


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
