"""Current element sets from CelesTrak's GP API, into the cache beside the bundled history: the program's only
network access (``groundstation tle update``).

>>> sorted(default_norads())[:1]
[58400]
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

from groundstation.errors import UserError
from groundstation.orbits.catalog import load_catalog
from groundstation.orbits.elements import parse_tle_text
from groundstation.outputs.atomic import atomic_write

CELESTRAK_GP_URL = "https://celestrak.org/NORAD/elements/gp.php"
TIMEOUT_S = 20.0
MAX_RESPONSE_BYTES = 1 << 20


def default_norads() -> list[int]:
    """Catalogued objects that may still be in orbit."""
    return [entry.norad for entry in load_catalog().entries if entry.status in ("in-orbit", "unknown")]


def fetch_tle(url: str, norad: int) -> str:
    """The GP API's TLE text for ``norad`` (``UserError`` naming the server when it cannot be reached)."""
    if not url.lower().startswith(("http://", "https://")):
        raise UserError(f"--url: {url!r} is not a web address (http:// or https://); e.g. {CELESTRAK_GP_URL}")
    query = urllib.parse.urlencode({"CATNR": norad, "FORMAT": "TLE"})
    address = f"{url}{'&' if '?' in url else '?'}{query}"
    try:
        with urllib.request.urlopen(address, timeout=TIMEOUT_S) as response:
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except ValueError as error:  # not a URL at all
        raise UserError(f"--url: {url!r} is not a web address ({error}); e.g. {CELESTRAK_GP_URL}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise UserError(
            f"cannot download element sets from {url}: {reason}. Offline? The bundled sets still work; "
            "or pass a file with --tle."
        ) from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise UserError(f"{url} sent more than {MAX_RESPONSE_BYTES} bytes for one NORAD number: not a GP API; check --url")
    return body.decode("utf-8", errors="replace")


def save_sets(text: str, norad: int, folder) -> list[str]:
    """Write each new set to ``folder/NORAD_EPOCH.tle`` (written whole, then renamed); return the new paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for element_set in parse_tle_text(text, f"CelesTrak CATNR={norad}"):
        target = folder / f"{element_set.norad}_{element_set.epoch:%Y%m%dT%H%M%S}.tle"
        if target.exists():
            continue
        with atomic_write(str(target), "w", "tle update") as file:
            file.write(f"{element_set.name}\n{element_set.line1}\n{element_set.line2}\n")
        written.append(str(target))
    return written
