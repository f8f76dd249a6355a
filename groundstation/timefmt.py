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

from datetime import datetime, timezone

from groundstation.errors import UserError


def iso_utc(moment: datetime, timespec: str = "milliseconds") -> str:
    """``moment`` (timezone-aware) as ISO 8601 UTC ending in ``Z``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times in groundstation are timezone-aware UTC")
    return moment.astimezone(timezone.utc).isoformat(timespec=timespec).replace("+00:00", "Z")


def parse_utc(text: str, option: str = "time") -> datetime:
    """Parse ISO 8601 text; a time without zone is taken as UTC. ``option`` names it in errors."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise UserError(f"{option}: {text!r} is not an ISO 8601 time (e.g. 2024-06-07T05:01:07Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)
