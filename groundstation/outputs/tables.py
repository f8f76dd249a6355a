"""Rows of results as a table for people, or JSON or CSV for programs (``--format``).

>>> import io
>>> stream = io.StringIO()
>>> write_rows([{"name": "ISS", "elevation_deg": 45.123}], "table", stream)
>>> print(stream.getvalue(), end="")
name  elevation_deg
ISS   45.1
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


def format_table(rows: list[dict], columns: list[str] | None = None) -> str:
    """Left-aligned columns, headed by the keys."""
    if not rows:
        return ""
    columns = columns or list(rows[0])
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
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
