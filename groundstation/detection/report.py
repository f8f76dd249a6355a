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
    _waterfall_png(result, paths["waterfall"])
    _elevation_png(result, paths["elevation"])
    with atomic_write(paths["json"], "w", "--report") as file:
        json.dump(result.numbers, file, indent=2)
    with atomic_write(paths["html"], "w", "--report") as file:
        file.write(_html(result, paths))
    return paths


def _waterfall_png(result, path: str) -> None:
    plt = _pyplot()
    image = result.waterfall.image_db()
    times = np.array(result.waterfall.times_s)
    low_hz, high_hz = result.band_hz
    figure, axes = plt.subplots(figsize=(9, 6))
    floor = np.median(image)
    axes.imshow(image, aspect="auto", origin="lower", cmap="viridis", vmin=floor - 3, vmax=floor + 15,
                extent=(low_hz / 1e3, high_hz / 1e3, times[0] if len(times) else 0, times[-1] if len(times) else 1))
    t_s = result.frame_times_unix - result.frame_times_unix[0] + (times[0] if len(times) else 0)
    if result.predicted_offsets_hz is not None:
        axes.plot(result.predicted_offsets_hz / 1e3, t_s, "w--", linewidth=1, label="predicted Doppler curve")
    if result.track_offsets_hz is not None:
        axes.plot(result.track_offsets_hz / 1e3, t_s[: len(result.track_offsets_hz)], "r-", linewidth=1,
                  alpha=0.7, label="detected track")
    for signal in result.numbers.get("other_signals", []):
        if not signal["belongs_to_target"]:
            axes.axvline((signal["frequency_start_hz"] - result.numbers["centre_hz"]) / 1e3, color="orange",
                         linestyle=":", label="other signal")
    axes.set_xlabel(f"offset from {result.numbers['centre_hz'] / 1e6:.4f} MHz (kHz)")
    axes.set_ylabel("seconds from start")
    simulated = " (SIMULATED recording)" if result.numbers.get("simulated") else ""
    axes.set_title(f"{result.numbers['satellite']}: {result.verdict}{simulated}", fontsize=10)
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="upper right", fontsize=8)
    save_figure(figure, path, "--report", dpi=90)


def _elevation_png(result, path: str) -> None:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(9, 2.5))
    t_s = result.frame_times_unix - result.frame_times_unix[0]
    axes.plot(t_s, result.elevation_deg)
    axes.axhline(0, color="grey", linewidth=0.5)
    axes.set_xlabel("seconds from start")
    axes.set_ylabel("elevation (deg)")
    axes.set_title(f"{result.numbers['satellite']} seen from the station", fontsize=10)
    save_figure(figure, path, "--report", dpi=90)


def _html(result, paths: dict[str, str]) -> str:
    def embedded(kind: str) -> str:
        with open(paths[kind], "rb") as file:
            return "data:image/png;base64," + base64.b64encode(file.read()).decode("ascii")

    numbers = html.escape(json.dumps(result.numbers, indent=2))
    frames = "".join(f"<li><code>{html.escape(frame['monitor'])}</code></li>" for frame in result.numbers["frames"])
    simulated = "<p><strong>This recording is SIMULATED.</strong></p>" if result.numbers.get("simulated") else ""
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>groundstation check: {html.escape(result.numbers['satellite'])}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}} pre{{background:#f4f4f4;padding:1em}}</style>
</head><body>
<h1>{html.escape(result.numbers['satellite'])}: {html.escape(result.verdict)}</h1>
{simulated}<p>{html.escape(result.line)}</p>
<img alt="waterfall" src="{embedded('waterfall')}" style="width:100%">
<img alt="elevation" src="{embedded('elevation')}" style="width:100%">
<h2>Frames decoded</h2><ul>{frames or '<li>none</li>'}</ul>
<h2>All numbers</h2><pre>{numbers}</pre>
</body></html>
"""
