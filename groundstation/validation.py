"""One check for every number a user or a file gives: finite, in a physical range, with units in the message.

Command-line options use the argparse converters (:func:`finite_float`,
:func:`bounded_int`); numbers read from files (SigMF fields, station files,
element sets) use :func:`check_number`, which raises
:class:`~groundstation.errors.UserError` naming the file and field.

>>> samplerate = finite_float("--samplerate", 1e3, 100e6, "S/s")
>>> samplerate("2.4e6")
2400000.0
>>> samplerate("nan")
Traceback (most recent call last):
...
argparse.ArgumentTypeError: 'nan' is not a finite number of S/s; give a value from 1000 to 1e+08 S/s
>>> check_number(435e6, "core:frequency in x.sigmf-meta", 0, 300e9, "Hz", low_inclusive=False)
435000000.0
>>> check_number("fast", "core:sample_rate in x.sigmf-meta", 1, 100e6, "S/s")
Traceback (most recent call last):
...
groundstation.errors.UserError: core:sample_rate in x.sigmf-meta: 'fast' is not a number; give a value from 1 to 1e+08 S/s
"""

from __future__ import annotations

import argparse
import json
import math
import re

from groundstation.errors import UserError

#: The physical ranges the options share (low, high, unit).
SAMPLE_RATE_SPS = (1e3, 100e6, "S/s")  # audio cards to the fastest hobbyist SDRs (about 61 MS/s)
RADIO_FREQ_HZ = (1e3, 300e9, "Hz")  # VLF to the top of EHF
OFFSET_HZ = (-50e6, 50e6, "Hz")
DRIFT_HZ = (-1e6, 1e6, "Hz")
LATITUDE_DEG = (-90.0, 90.0, "degrees")
LONGITUDE_DEG = (-180.0, 360.0, "degrees")
ALTITUDE_M = (-500.0, 50_000.0, "m")  # the Dead Sea shore to a stratospheric balloon

_NUMBER_TEXT = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$", re.ASCII)  # 0-9 only


def _range_text(low: float | None, high: float | None, unit: str) -> str:
    unit = f" {unit}" if unit else ""
    if low is not None and high is not None:
        return f"a value from {low:g} to {high:g}{unit}"
    if low is not None:
        return f"a value of at least {low:g}{unit}"
    if high is not None:
        return f"a value of at most {high:g}{unit}"
    return f"a finite number{unit}"


def number_problem(
    value,
    low: float | None,
    high: float | None,
    unit: str = "",
    low_inclusive: bool = True,
    integer: bool = False,
) -> tuple[float | int | None, str | None]:
    """``(number, None)`` when ``value`` is a finite number in range, else ``(None, what is wrong)``.

    ``value`` may be text (an option) or a JSON value (``bool`` is not a number).

    >>> number_problem("1e3", 0, 10, "s")
    (None, '1e3 s is outside the range; give a value from 0 to 10 s')
    >>> number_problem(5, 0, 10, "s", integer=True)
    (5, None)
    """
    wanted = _range_text(low, high, unit)
    kind = "a whole number" if integer else "a number"
    if isinstance(value, bool) or value is None:
        return None, f"{value!r} is not {kind}; give {wanted}"
    if isinstance(value, str):
        text = value.strip()
        if integer:
            if not re.fullmatch(r"[-+]?\d{1,18}", text, re.ASCII):
                return None, f"{value!r} is not {kind}; give {wanted}"
            number = int(text)
        else:
            if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
                return None, f"{value!r} is not a finite number{' of ' + unit if unit else ''}; give {wanted}"
            if not _NUMBER_TEXT.match(text):
                return None, f"{value!r} is not {kind}; give {wanted}"
            number = float(text)
    elif isinstance(value, (int, float)):
        number = value
        if integer and isinstance(value, float):
            if not math.isfinite(value) or value != int(value):
                return None, f"{value!r} is not {kind}; give {wanted}"
            number = int(value)
    else:
        return None, f"{value!r} is not {kind}; give {wanted}"
    if not integer:
        number = float(number)
        if not math.isfinite(number):
            return None, f"{value!r} is not a finite number{' of ' + unit if unit else ''}; give {wanted}"
    too_low = low is not None and (number < low if low_inclusive else number <= low)
    too_high = high is not None and number > high
    if too_low or too_high:
        shown = value.strip() if isinstance(value, str) else f"{value:g}"
        return None, f"{shown}{' ' + unit if unit else ''} is outside the range; give {wanted}" + (
            "" if low_inclusive or low is None else f" (more than {low:g})")
    return number, None


def finite_float(name: str, low: float | None = None, high: float | None = None, unit: str = "",
                 low_inclusive: bool = True):
    """An argparse ``type``: a finite float in ``[low, high]`` (``(low, high]`` if not ``low_inclusive``).

    >>> finite_float("--step", 0, 86400, "s", low_inclusive=False)("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: 0 s is outside the range; give a value from 0 to 86400 s (more than 0)
    """

    def convert(text: str) -> float:
        number, problem = number_problem(text, low, high, unit, low_inclusive)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return number

    convert.__name__ = name  # argparse names the converter in some messages
    return convert


def bounded_int(name: str, low: int | None = None, high: int | None = None, unit: str = ""):
    """An argparse ``type``: a whole number in ``[low, high]``.

    >>> bounded_int("--pass", 1, 100)("2")
    2
    """

    def convert(text: str) -> int:
        number, problem = number_problem(text, low, high, unit, integer=True)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return number

    convert.__name__ = name
    return convert


def check_number(value, where: str, low: float | None = None, high: float | None = None, unit: str = "",
                 low_inclusive: bool = True, integer: bool = False):
    """``value`` as a number, or :class:`UserError` naming ``where`` (a file and field) and the range."""
    number, problem = number_problem(value, low, high, unit, low_inclusive, integer)
    if problem:
        raise UserError(f"{where}: {problem}")
    return number


def json_number(value, where: str, low: float | None = None, high: float | None = None, unit: str = "",
                low_inclusive: bool = True, integer: bool = False):
    """A number from a JSON document: like :func:`check_number`, but text such as ``"435MHz"`` or ``"5"``
    is refused (the field must hold a JSON number).

    >>> json_number(2.0, "core:header_bytes", 0, None, "bytes", integer=True)
    2
    >>> json_number("5", "core:header_bytes", 0, None, "bytes", integer=True)
    Traceback (most recent call last):
    ...
    groundstation.errors.UserError: core:header_bytes: '5' is not a whole number; give a value of at least 0 bytes
    """
    if isinstance(value, str):
        wanted = _range_text(low, high, unit)
        shown = repr(value) if len(value) <= 40 else repr(value[:37] + "...")
        raise UserError(f"{where}: {shown} is not {'a whole number' if integer else 'a number'}; give {wanted}")
    return check_number(value, where, low, high, unit, low_inclusive, integer)


def read_limited(path, max_bytes: int, what: str, hint: str) -> bytes:
    """The bytes of ``path``, reading at most ``max_bytes + 1`` (so ``/dev/zero`` or a huge file cannot fill
    memory); :class:`UserError` naming ``what`` (the option) if there is more. ``OSError`` is the caller's.

    >>> import os
    >>> read_limited(os.devnull, 10, "--tle", "give a TLE file")
    b''
    >>> read_limited("/dev/zero", 10, "--tle", "give a TLE file")  # doctest: +SKIP
    Traceback (most recent call last):
    ...
    groundstation.errors.UserError: --tle: '/dev/zero' holds more than 10 bytes; give a TLE file
    """
    with open(path, "rb") as file:
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UserError(f"{what}: {str(path)!r} holds more than {max_bytes} bytes; {hint}")
    return data


def require_type(value, kinds: type | tuple[type, ...], where: str, wanted: str):
    """``value`` if it is one of ``kinds`` (JSON types), else :class:`UserError` saying what was expected.

    >>> require_type([], list, "captures in x.sigmf-meta", "a list of objects")
    []
    >>> require_type("x", list, "captures in x.sigmf-meta", "a list of objects")
    Traceback (most recent call last):
    ...
    groundstation.errors.UserError: captures in x.sigmf-meta: 'x' is not a list of objects
    """
    if isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,)):
        raise UserError(f"{where}: {value!r} is not {wanted}")
    if not isinstance(value, kinds):
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        raise UserError(f"{where}: {shown} is not {wanted}")
    return value


def json_object(text: str | bytes, what: str) -> dict:
    """``text`` parsed as a JSON object, else :class:`UserError` saying that ``what`` is not one (too deep a
    nesting counts as not JSON).

    >>> json_object('{"nchan": 1024}', "x.png: the satnogs:wf-dat text")
    {'nchan': 1024}
    >>> json_object("[1]", "x.png: the satnogs:wf-dat text")
    Traceback (most recent call last):
    ...
    groundstation.errors.UserError: x.png: the satnogs:wf-dat text is not a JSON object
    """
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise UserError(f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise UserError(f"{what} is not a JSON object")
    return value
