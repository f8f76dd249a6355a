"""The ``check --report DIR`` files: waterfall and elevation PNGs, the numbers as JSON, one HTML page."""

from __future__ import annotations

import base64
import html
import json
import os

import numpy as np

from groundstation.errors import UserError
from groundstation.outputs.atomic import atomic_write
from groundstation.outputs.plots import _pyplot, save_figure


def write_report(result, folder: str) -> dict[str, str]:
    """Write the report files into ``folder``; return their paths by kind."""
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise UserError(f"--report: cannot create {folder!r}: {error.strerror}") from None
    paths = {
        "waterfall": os.path.join(folder, "waterfall.png"),
        "elevation": os.path.join(folder, "elevation.png"),
        "json": os.path.join(folder, "report.json"),
        "html": os.path.join(folder, "report.html"),
    }
    if result.waterfall is None:
        del paths["waterfall"]
    else:
        _waterfall_png(result, paths["waterfall"])
    if result.plan is None:
        del paths["elevation"]
    else:
        _elevation_png(result, paths["elevation"])
    with atomic_write(paths["json"], "w", "--report") as file:
        json.dump(result.to_json(), file, indent=2)
    with atomic_write(paths["html"], "w", "--report") as file:
        file.write(_html(result, paths))
    return paths


def _waterfall_png(result, path: str) -> None:
    """The waterfall in dB with a colour bar; the searched band's edges and the predicted and detected tracks
    drawn thin and half-transparent, offset a little so the signal under them stays visible."""
    plt = _pyplot()
    image = result.waterfall.image_db()
    times = np.array(result.waterfall.times_s)
    low_hz, high_hz = result.plan.band_hz
    figure, axes = plt.subplots(figsize=(9, 6))
    floor = np.median(image)
    shown = axes.imshow(image, aspect="auto", origin="lower", cmap="viridis", vmin=floor - 3, vmax=floor + 15,
                        extent=(low_hz / 1e3, high_hz / 1e3, times[0] if len(times) else 0,
                                times[-1] if len(times) else 1))
    figure.colorbar(shown, ax=axes, label="power (dB, relative)")
    t_s = result.plan.frame_times_unix - result.plan.frame_times_unix[0] + (times[0] if len(times) else 0)
    fraction = result.plan.doppler_fraction
    centre = result.centre_hz
    if result.searched_hz is not None:
        for index, edge_hz in enumerate(result.searched_hz):
            rest = edge_hz - centre
            axes.plot((rest + edge_hz * fraction) / 1e3, t_s, color="white", linestyle=":", linewidth=0.8, alpha=0.6,
                      label="band searched" if index == 0 else None)
    if result.predicted_offsets_hz is not None:
        axes.plot(result.predicted_offsets_hz / 1e3, t_s, "w--", linewidth=0.8, alpha=0.5,
                  label="predicted Doppler curve")
    if result.track_offsets_hz is not None:
        # drawn 200 Hz to the right of the track, so that the trace it points at stays visible
        axes.plot((result.track_offsets_hz + 200.0) / 1e3, t_s[: len(result.track_offsets_hz)], "r-",
                  linewidth=0.8, alpha=0.6, label="detected track (offset 0.2 kHz right)")
    for signal in result.other_signals:
        if not signal.belongs_to_target:
            start_s = signal.times_unix - result.plan.frame_times_unix[0] + (times[0] if len(times) else 0)
            axes.plot((signal.freqs_hz - centre + 200.0) / 1e3, start_s, color="orange", linestyle=":",
                      linewidth=0.8, alpha=0.7, label=f"other signal: {signal.described[:40]}")
    axes.set_xlabel(f"offset from {centre / 1e6:.4f} MHz (kHz)")
    axes.set_ylabel("seconds from start")
    simulated = " (SIMULATED recording)" if result.simulated else ""
    axes.set_title(f"{result.satellite}: {result.verdict.name}{simulated}", fontsize=10)
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="upper right", fontsize=7, framealpha=0.6)
    save_figure(figure, path, "--report", dpi=90)


def _elevation_png(result, path: str) -> None:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(9, 2.5))
    t_s = result.plan.frame_times_unix - result.plan.frame_times_unix[0]
    axes.plot(t_s, result.plan.elevation_deg)
    axes.axhline(0, color="grey", linewidth=0.5)
    if result.min_elevation_deg:
        axes.axhline(result.min_elevation_deg, color="orange", linewidth=0.8, linestyle=":",
                     label=f"--min-elevation {result.min_elevation_deg:g}")
        axes.legend(loc="upper right", fontsize=7)
    axes.set_xlabel("seconds from start")
    axes.set_ylabel("elevation (deg)")
    axes.set_title(f"{result.satellite} seen from the station", fontsize=10)
    save_figure(figure, path, "--report", dpi=90)


def _html(result, paths: dict[str, str]) -> str:
    def picture(kind: str) -> str:
        if kind not in paths:
            return ""
        with open(paths[kind], "rb") as file:
            data = "data:image/png;base64," + base64.b64encode(file.read()).decode("ascii")
        return f'<img alt="{kind}" src="{data}" style="width:100%">'

    numbers = html.escape(json.dumps(result.to_json(), indent=2))
    frames = "".join(f"<li><code>{html.escape(frame.monitor_line())}</code></li>" for frame in result.frames)
    simulated = "<p><strong>This recording is SIMULATED.</strong></p>" if result.simulated else ""
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>groundstation check: {html.escape(result.satellite)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}} pre{{background:#f4f4f4;padding:1em}}</style>
</head><body>
<h1>{html.escape(result.satellite)}: {html.escape(result.verdict.name)}</h1>
{simulated}<p>{html.escape(result.line)}</p>
{picture('waterfall')}
{picture('elevation')}
<h2>Frames decoded</h2><ul>{frames or '<li>none</li>'}</ul>
<h2>All numbers</h2><pre>{numbers}</pre>
</body></html>
"""
