"""The orbit over an object's life as a picture: perigee and apogee heights against time, events marked.

>>> import os, tempfile
>>> from groundstation.orbits.elements import ElementStore
>>> from groundstation.orbits.history import object_history
>>> path = os.path.join(tempfile.mkdtemp(), "life.png")
>>> plot_history(object_history(ElementStore.bundled().for_norad(41333)), "UNHA 3 R/B", path)
>>> open(path, "rb").read(8) == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

from datetime import datetime, time, timezone

from groundstation.outputs.plots import save_figure


def _noon(day) -> datetime:
    return datetime.combine(day, time(12), tzinfo=timezone.utc)


def plot_history(history, name: str, path: str, entry=None) -> None:
    """Heights against time; launch, decay and reported manoeuvres (from ``entry``) and detected manoeuvres marked.

    Written whole to a temporary file beside ``path``, then renamed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [point.epoch for point in history.points]
    figure, axes = plt.subplots(figsize=(10, 5))
    axes.plot(epochs, [p.apogee_km for p in history.points], ".-", markersize=3, linewidth=0.8, label="apogee")
    axes.plot(epochs, [p.perigee_km for p in history.points], ".-", markersize=3, linewidth=0.8, label="perigee")
    for number, manoeuvre in enumerate(history.manoeuvres):
        axes.axvspan(manoeuvre.after, manoeuvre.before, color="tab:green", alpha=0.25,
                     label="manoeuvre (between these sets)" if number == 0 else None)
    if entry is not None:
        axes.axvline(_noon(entry.launch_date), color="black", linestyle="--", linewidth=1, label="launch")
        if entry.decay_date is not None:
            axes.axvline(_noon(entry.decay_date), color="tab:red", linestyle="--", linewidth=1, label="decay (catalogue)")
        for number, reported in enumerate(entry.reported_manoeuvres):
            axes.axvspan(_noon(reported.start), _noon(reported.end), color="tab:purple", alpha=0.6,
                         label="reported manoeuvre" if number == 0 else None)
    if history.reentry is not None and history.reentry.estimate is not None:
        axes.axvline(history.reentry.estimate, color="tab:orange", linestyle=":", linewidth=1.5,
                     label="re-entry estimated from the last sets")
    axes.set_ylabel("height above the equatorial radius, km")
    axes.set_xlabel("UTC")
    axes.set_title(f"{name}: mean orbit from {len(epochs)} element sets")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="best")
    figure.autofmt_xdate()
    save_figure(figure, path, "--plot", dpi=100)
