"""The seam between the slicers and the framings: soft symbols in, frames out.

A slicer's timing recovery gives soft symbols (sign: the line level, size: how
sure) with their times; a :class:`Deframer` turns them into frames. HDLC
(``hdlc.HdlcDeframer``) is the one we have; another framing is another class
with these three methods. Which frames are credible is decided by the rules of
the frame formats (``frames.acceptance``), not here.

Repair is two-step so that a demodulator with several slicers repairs only
what none of them decoded: :meth:`Deframer.take_repair_candidates` hands over
the segments that failed, :meth:`Deframer.repair` tries one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class DeframedFrame:
    """A frame's bytes (no FCS), ``crc`` ``ok`` or ``fixed``, its format (``ax25`` or ``hdlc``, the names of
    ``frames.registry``) and the times of its first and last symbol (the slicer's time units)."""

    data: bytes
    crc: str
    format: str
    start: float
    end: float


class RepairCandidate(Protocol):
    """A segment that failed its check; ``quality`` orders the slicers' versions of one segment."""

    start: float
    end: float

    @property
    def quality(self) -> float: ...


class Deframer(Protocol):
    def process(self, soft: np.ndarray, times: np.ndarray) -> list[DeframedFrame]:
        """Frames completed by these soft symbols (``times`` in the slicer's units)."""

    def take_repair_candidates(self) -> list[RepairCandidate]:
        """The failed segments found since the last call (each handed over once)."""

    def repair(self, candidate: RepairCandidate) -> DeframedFrame | None:
        """The frame a repair of ``candidate`` gives, if any passes the acceptance rules."""
