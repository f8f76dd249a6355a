"""ISO 8601 UTC text with ``Z``, the one time format of every output.

>>> from datetime import datetime, timezone
>>> iso_utc(datetime(2024, 6, 7, 5, 1, 7, 512000, tzinfo=timezone.utc))
'2024-06-07T05:01:07.512Z'
>>> iso_utc(datetime(2024, 6, 7, 5, 1, 7, 512000, tzinfo=timezone.utc), timespec="seconds")
'2024-06-07T05:01:07Z'
>>> parse_utc("2024-06-07T05:01:07Z")
datetime.datetime(2024, 6, 7, 5, 1, 7, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from groundstation.errors import UserError

log = logging.getLogger(__name__)
_said_utc: set[tuple[str, str]] = set()  # (option, text) already warned about, so a time is named once


def forget_warnings() -> None:
    """Warn again about times already named (the command line calls this at the start of every command)."""
    _said_utc.clear()


def iso_utc(moment: datetime, timespec: str = "milliseconds") -> str:
    """``moment`` (timezone-aware) as ISO 8601 UTC ending in ``Z``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times in groundstation are timezone-aware UTC")
    return moment.astimezone(timezone.utc).isoformat(timespec=timespec).replace("+00:00", "Z")


#: Times this program can work with: the space age to the end of SGP4's two-digit epoch years.
EARLIEST_YEAR, LATEST_YEAR = 1957, 2056


def parse_utc(text: str, option: str = "time") -> datetime:
    """Parse ISO 8601 text; a time without zone is taken as UTC, and a warning says so (once a time).
    ``option`` names it in errors.

    >>> parse_utc("2024-06-12T14:22:00+09:00", "--start").isoformat()
    '2024-06-12T05:22:00+00:00'
    >>> parse_utc("9999-12-31T23:59Z", "--start")
    Traceback (most recent call last):
    ...
    groundstation.errors.UserError: --start: 9999-12-31T23:59Z is outside 1957 to 2056; give a time in that span
    """
    if not isinstance(text, str):
        raise UserError(f"{option}: {text!r} is not an ISO 8601 time (e.g. 2024-06-07T05:01:07Z)")
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
            if (option, text) not in _said_utc:
                _said_utc.add((option, text))
                log.warning("%s %s has no time zone: taken as UTC (write %sZ for UTC, or add your offset, "
                            "e.g. +09:00)", option, text.strip(), text.strip())
        moment = moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise UserError(f"{option}: {shown!r} is not an ISO 8601 time (e.g. 2024-06-07T05:01:07Z)") from None
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise UserError(f"{option}: {text.strip()} is outside {EARLIEST_YEAR} to {LATEST_YEAR}; give a time in that span")
    return moment
