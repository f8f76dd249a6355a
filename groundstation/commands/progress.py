"""A one-line progress display on stderr, shown only when stderr is a terminal (CLI use only).

The line never mixes with output: :meth:`Progress.clear` erases it before a frame line is printed (the next
update draws it again), and while the progress is open (``with Progress(...)``) every log line clears it
first. A step with a name (``progress(0.4, "decoding")``) shows that name and its own estimate of the time
left, so a slow last step does not sit silent at 100 %; a step of unknown length (``progress(None, ...)``)
shows a spinner and the seconds spent.

>>> import io
>>> progress = Progress("simulate", stream=io.StringIO())  # not a terminal: silent
>>> progress(0.5); progress.close()
>>> progress.stream.getvalue()
''
>>> class Terminal(io.StringIO):
...     def isatty(self):
...         return True
>>> shown = Progress("check", stream=Terminal())
>>> shown(0.25, "decoding")
>>> shown.stream.getvalue()
'\\rcheck: decoding  25% (about 0 s left)'
>>> shown.clear(); shown.stream.getvalue().endswith("\\r" + " " * 37 + "\\r")
True
"""

from __future__ import annotations

import logging
import sys
import time
from typing import IO

SPINNER = "|/-\\"


class Progress:
    """``progress(fraction, step="")``: draw ``label: step  NN% (about S s left)`` at most every ``every_s``.

    Silent unless ``stream`` (default stderr) is a terminal and ``enabled``."""

    def __init__(self, label: str, stream: IO[str] | None = None, every_s: float = 0.5, enabled: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.label = label
        self.enabled = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self._every_s = every_s
        self._last_s = -float("inf")
        self._step = ""
        self._step_started_s = time.monotonic()
        self._shown_chars = 0
        self._spins = 0
        self._log_filter = _ClearBeforeLogging(self)

    def __call__(self, fraction: float | None, step: str = "") -> None:
        if not self.enabled:
            return
        now_s = time.monotonic()
        if step != self._step:
            self._step, self._step_started_s, self._last_s = step, now_s, -float("inf")
        if now_s - self._last_s < self._every_s and (fraction is None or fraction < 1.0):
            return
        self._last_s = now_s
        elapsed_s = now_s - self._step_started_s
        name = f"{self.label}: {step} " if step else f"{self.label}: "
        if fraction is None:
            self._spins += 1
            line = f"{name}{SPINNER[self._spins % len(SPINNER)]} {elapsed_s:.0f} s"
        else:
            fraction = min(max(fraction, 0.0), 1.0)
            remaining_s = elapsed_s * (1 - fraction) / fraction if fraction > 0 else 0.0
            line = f"{name}{100 * fraction:3.0f}% (about {remaining_s:.0f} s left)"
        padding = " " * max(0, self._shown_chars - len(line))
        self.stream.write(f"\r{line}{padding}")
        self.stream.flush()
        self._shown_chars = len(line)

    def clear(self) -> None:
        """Erase the line (if one is shown), so that what is printed next starts a clean line."""
        if self.enabled and self._shown_chars:
            self.stream.write("\r" + " " * self._shown_chars + "\r")
            self.stream.flush()
            self._shown_chars = 0
            self._last_s = -float("inf")  # the next update draws again at once

    def close(self) -> None:
        self.clear()
        for handler in logging.getLogger().handlers:
            handler.removeFilter(self._log_filter)

    def __enter__(self) -> Progress:
        """While open, a log line (a warning during a decode) clears the progress line first."""
        for handler in logging.getLogger().handlers:
            handler.addFilter(self._log_filter)
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class _ClearBeforeLogging(logging.Filter):
    """A filter on the root handlers that erases the progress line before a record is written."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self._progress = progress

    def filter(self, record: logging.LogRecord) -> bool:
        self._progress.clear()
        return True
