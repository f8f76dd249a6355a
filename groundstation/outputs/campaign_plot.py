"""A campaign's verdicts over time: C/N0 of each detection, the limit of each search, and the rest as ticks.

>>> import os, tempfile
>>> rows = [{"start": "2024-06-12T01:21:32Z", "verdict": "NO SIGNAL DETECTED", "upper_limit_cn0_dbhz": 11.5},
...         {"start": "2024-06-13T01:21:32Z", "verdict": "TRANSMITTING", "track": {"cn0_dbhz": 20.0}}]
>>> path = os.path.join(tempfile.mkdtemp(), "campaign.png")
>>> plot_campaign(rows, path, "Malligyong-1 (NORAD 58400)")
>>> os.path.getsize(path) > 1000
True
"""

from __future__ import annotations

from groundstation.outputs.atomic import atomic_write
from groundstation.timefmt import parse_utc

STYLE = {
    "TRANSMITTING": ("o", "tab:red", "TRANSMITTING (C/N0)"),
    "NO SIGNAL DETECTED": ("v", "tab:blue", "NO SIGNAL DETECTED (limit)"),
    "SIGNAL NOT FROM THIS SATELLITE": ("x", "tab:orange", "SIGNAL NOT FROM THIS SATELLITE"),
    "CANNOT TELL": ("|", "tab:gray", "CANNOT TELL"),
    "ERROR": ("|", "black", "ERROR"),
}


def plot_campaign(results: list[dict], path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(9, 4.5))
    floor = None
    values = [row.get("upper_limit_cn0_dbhz") or (row.get("track") or {}).get("cn0_dbhz") for row in results]
    numbers = [value for value in values if value is not None]
    floor = (min(numbers) - 5) if numbers else 0.0
    for verdict, (marker, colour, label) in STYLE.items():
        times, levels = [], []
        for row, value in zip(results, values):
            if row.get("verdict") != verdict or not row.get("start"):
                continue
            times.append(parse_utc(row["start"]))
            levels.append(value if value is not None and verdict in ("TRANSMITTING", "NO SIGNAL DETECTED") else floor)
        if times:
            axis.scatter(times, levels, marker=marker, color=colour, label=f"{label}: {len(times)}")
    axis.set_ylabel("C/N0, dB-Hz")
    axis.set_title(title + (" (SIMULATED observations)" if any(r.get("simulated") for r in results) else ""))
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8, loc="best")
    figure.autofmt_xdate()
    with atomic_write(path, "wb", option="--plot") as file:
        figure.savefig(file, format="png", dpi=100)
    plt.close(figure)
