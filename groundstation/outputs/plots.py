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


def save_figure(figure, path: str, option: str, dpi: int = 100) -> None:
    """Write ``figure`` as PNG and close it; a path that cannot be written is the user's ``option``'s fault."""
    plt = _pyplot()
    try:
        figure.savefig(path, dpi=dpi, bbox_inches="tight")
    except OSError as error:
        raise UserError(f"{option}: cannot write {path!r}: {error.strerror}") from None
    finally:
        plt.close(figure)
