"""Which FCS-valid HDLC frames are data a transmitter sent: acceptance by evidence, not by looks.

A frame whose 16-bit FCS passes without repair is kept. If its header is
structurally AX.25 (shifted address bytes with clear low bits, the extension
bit ending 2-10 addresses, a control byte) it is AX.25 whatever its characters:
satellites send ``GS-H20``, ``AO27 T`` or stray characters. Otherwise it is a
raw HDLC frame, which needs more evidence than a chance FCS pass (1 in 65536
for every flag-delimited segment of noise): a preamble of flags before it, or
an accepted frame just before it (frames back to back). Repaired frames pass
the FCS only after symbols were flipped, so they face stricter rules: plausible
callsigns, a known frame type, a common PID.

>>> from frames.ax25 import Ax25Frame
>>> evidence = Evidence(repaired=False, preamble_flags=0, follows_frame=False)
>>> accept(Ax25Frame.ui("N0CALL", "CQ", b"hi").to_bytes(), evidence)
'ax25'
>>> accept(b"ON01SE plain ASCII header", evidence) is None          # no preamble, no frame before it
True
>>> accept(b"ON01SE plain ASCII header", Evidence(False, preamble_flags=4, follows_frame=False))
'hdlc'
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from frames.ax25 import Ax25Frame
from frames.errors import FrameError

#: Flags right before the opening flag that make an unstructured frame credible (a preamble).
MIN_PREAMBLE_FLAGS = 2
#: The shortest raw HDLC frame accepted (bytes without FCS).
MIN_HDLC_BYTES = 8
#: PIDs that real traffic uses; a repaired frame with another PID is taken for a chance FCS pass.
COMMON_PIDS = frozenset({0xF0, 0xCF, 0xCC, 0xCD, 0x08, 0x01, 0x06, 0x07, 0xC3, 0xC4, 0xCA, 0xCB})
#: Control bytes (poll/final bit cleared) of the U frames AX.25 defines.
U_FRAME_CONTROLS = frozenset({0x2F, 0x43, 0x0F, 0x63, 0x87, 0xAF, 0xE3})

#: What :func:`accept` returns: the frame format (a name of :data:`frames.registry.PARSERS`).
AX25 = "ax25"
HDLC = "hdlc"


@dataclass(frozen=True)
class Evidence:
    """What the deframer saw around an FCS-valid frame.

    ``repaired``: symbols were flipped to pass the FCS; ``preamble_flags``: flags
    immediately before the opening flag; ``follows_frame``: the opening flag
    closed an accepted frame.
    """

    repaired: bool
    preamble_flags: int = 0
    follows_frame: bool = False


def is_ax25(data: bytes) -> bool:
    """True when ``data`` (no FCS) is structurally an AX.25 frame.

    >>> is_ax25(b"\\x86\\xa2@@@@`\\x90\\x9c\\x82\\xa8\\x92\\x8e\\xe1\\x03\\xf0TIGRISAT")
    True
    >>> is_ax25(b"ON01SE>CQ")
    False
    """
    return _parse_ax25(bytes(data)) is not None


def accept(data: bytes, evidence: Evidence) -> str | None:
    """The format of FCS-valid ``data`` (:data:`AX25` or :data:`HDLC`), or None to reject it as chance."""
    frame = _parse_ax25(bytes(data))
    if evidence.repaired:
        return AX25 if frame is not None and _plausible_after_repair(frame) else None
    if frame is not None:
        return AX25
    credible = evidence.preamble_flags >= MIN_PREAMBLE_FLAGS or evidence.follows_frame
    return HDLC if credible and len(data) >= MIN_HDLC_BYTES else None


def header_worth_repair(header: bytes) -> bool:
    """The first 14 bytes look like two AX.25 addresses of upper-case letters, digits or spaces.

    A cheap gate in front of the costly repair (which only AX.25 frames get).

    >>> header_worth_repair(Ax25Frame.ui("N0CALL", "CQ", b"").to_bytes()[:14])
    True
    >>> header_worth_repair(bytes(range(14)))
    False
    """
    if len(header) < 14:
        return False
    return all(
        byte & 1 == 0 and (0x41 <= byte >> 1 <= 0x5A or 0x30 <= byte >> 1 <= 0x39 or byte >> 1 == 0x20)
        for index, byte in enumerate(header[:14])
        if index % 7 != 6
    )


@functools.lru_cache(maxsize=4096)
def _parse_ax25(data: bytes) -> Ax25Frame | None:
    try:
        return Ax25Frame.from_bytes(data)
    except FrameError:
        return None


def _plausible_after_repair(frame: Ax25Frame) -> bool:
    if not frame.is_plausible():
        return False
    if frame.frame_type == "U" and frame.control & ~0x10 & 0xFF not in U_FRAME_CONTROLS:
        return False
    return frame.pid is None or frame.pid in COMMON_PIDS
