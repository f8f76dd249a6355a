"""A one-line progress display on stderr, shown only when stderr is a terminal (CLI use only).

>>> import io
>>> progress = Progress("simulate", stream=io.StringIO())  # not a terminal: silent
>>> progress(0.5); progress.close()
"""

from __future__ import annotations

import sys
import time
from typing import IO


class Progress:
    def __init__(self, label: str, stream: IO[str] | None = None, every_s: float = 0.5) -> None:
        self.stream = stream or sys.stderr
        self.label = label
        self.enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._every_s = every_s
        self._last = 0.0
        self._started = time.monotonic()

    def __call__(self, fraction: float, detail: str = "") -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < self._every_s and fraction < 1.0:
            return
        self._last = now
        elapsed = now - self._started
        remaining = elapsed * (1 - fraction) / fraction if fraction > 0 else 0.0
        self.stream.write(f"\r{self.label}: {100 * fraction:5.1f}% {detail} (about {remaining:.0f} s left) ")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 70 + "\r")
            self.stream.flush()
