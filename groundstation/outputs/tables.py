"""Rows of results as a table for people, or JSON or CSV for programs (``--format``).

>>> import io
>>> stream = io.StringIO()
>>> write_rows([{"name": "ISS", "elevation_deg": 45.12}], "table", stream)
>>> print(stream.getvalue(), end="")
name  elevation_deg
ISS   45.12
"""

from __future__ import annotations

import csv
import json
import math
from typing import IO


def json_safe(value):
    """``value`` with every NaN or infinite float replaced by None (JSON has no NaN).

    >>> json_safe({"a": [1.0, float("nan")], "b": float("inf")})
    {'a': [1.0, None], 'b': None}
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 100 else f"{value:.3g}"
    return str(value)


def _decimals(values: list) -> int | None:
    """The decimals a column of numbers is shown with: as many as its most precise value has (at most 3), so
    a column reads 28.0 / 9.14 -> 28.00 / 9.14; None for a column that is not all numbers."""
    numbers = [value for value in values if value is not None]
    if not numbers or not all(isinstance(value, float) for value in numbers):
        return None
    places = [len(f"{round(value, 3):.3f}".rstrip("0").split(".")[1]) for value in numbers if math.isfinite(value)]
    return max(places, default=1)


def format_table(rows: list[dict], columns: list[str] | None = None) -> str:
    """Left-aligned columns, headed by the keys; numbers in a column with one precision.

    >>> print(format_table([{"az": 0.69, "el": 28.0}, {"az": 352.6, "el": 9.14}]), end="")
    az      el
    0.69    28.00
    352.60  9.14
    """
    if not rows:
        return ""
    columns = columns or list(rows[0])
    decimals = {column: _decimals([row.get(column) for row in rows]) for column in columns}
    cells = [[_cell(row.get(column)) if decimals[column] is None or row.get(column) is None
              else f"{row[column]:.{decimals[column]}f}" for column in columns] for row in rows]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]
    lines = ["  ".join(column.ljust(width) for column, width in zip(columns, widths)).rstrip()]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in cells]
    return "\n".join(lines) + "\n"


def write_rows(rows: list[dict], format_name: str, stream: IO[str], columns: list[str] | None = None) -> None:
    """Write ``rows`` as ``table``, ``json`` (a list of objects) or ``csv`` (a header line, same keys)."""
    if format_name == "json":
        json.dump(json_safe(rows), stream, indent=2, allow_nan=False)
        stream.write("\n")
    elif format_name == "csv":
        keys = columns or (list(rows[0]) if rows else [])
        writer = csv.DictWriter(stream, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        stream.write(format_table(rows, columns))
