"""Counts in words for summaries: ``1 frame``, ``2 frames``."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun``, the noun plural unless the count is one.

    >>> counted(1, "frame"), counted(0, "frame"), counted(3, "outage"), counted(2, "match", "matches")
    ('1 frame', '0 frames', '3 outages', '2 matches')
    """
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
