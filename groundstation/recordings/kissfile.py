"""Read a KISS byte stream from a file (as gr-satellites ``--kiss_out`` or direwolf write it).

>>> import tempfile, os
>>> from frames import Ax25Frame, encode_data_frame
>>> path = os.path.join(tempfile.mkdtemp(), "x.kiss")
>>> _ = open(path, "wb").write(encode_data_frame(Ax25Frame.ui("N0CALL", "CQ", b"hi").to_bytes()))
>>> [frame.monitor_line() for frame in read_kiss_file(path, KissStats())]
['N0CALL>CQ:hi']
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from frames import Ax25Frame, FrameError, KissDeframer, KissFrame
from frames.kiss import FEND, KissCommand
from groundstation.errors import UserError
from groundstation.outputs.records import DecodedFrame

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 16


@dataclass
class KissStats:
    """What reading one KISS file found."""

    frames: int = 0
    bad_kiss: int = 0
    not_ax25: int = 0
    other_commands: int = 0
    truncated_bytes: int = 0

    def problems(self) -> list[str]:
        """What went wrong, in words, for a summary line (KISS commands skipped are not problems).

        >>> KissStats(frames=3, bad_kiss=1, not_ax25=2).problems()
        ['1 malformed KISS frames', '2 not AX.25']
        """
        problems = []
        if self.bad_kiss:
            problems.append(f"{self.bad_kiss} malformed KISS frames")
        if self.not_ax25:
            problems.append(f"{self.not_ax25} not AX.25")
        if self.truncated_bytes:
            problems.append(f"truncated ({self.truncated_bytes} bytes dropped)")
        return problems


RECORDING_SUFFIXES = (".wav", ".sigmf-meta", ".sigmf-data", ".sigmf", ".cu8", ".cs8", ".ci8", ".cs16", ".ci16",
                      ".cf32", ".fc32", ".cfile", ".raw", ".iq")


def looks_like_kiss(path: str) -> bool:
    """True for a ``.kiss``/``.kss`` file name, or a file that is not named as a recording and starts with FEND."""
    lower = path.lower()
    if lower.endswith((".kiss", ".kss")):
        return True
    if lower.endswith(RECORDING_SUFFIXES):
        return False
    try:
        with open(path, "rb") as file:
            return file.read(1) == bytes([FEND])
    except OSError:
        return False


def accept_kiss_frame(kiss_frame: KissFrame, stats: KissStats, where: str, t: float | None = None,
                      time: datetime | None = None) -> DecodedFrame | None:
    """The :class:`DecodedFrame` of a KISS data frame that holds AX.25, else None (counted in ``stats``, logged).

    The acceptance rule of every KISS input (files, live TNCs): commands other
    than data are skipped; data that is not AX.25 is skipped with a warning.
    """
    if kiss_frame.command != KissCommand.DATA:
        stats.other_commands += 1
        log.info("%s: skipping KISS command %d (not a data frame)", where, kiss_frame.command)
        return None
    try:
        Ax25Frame.from_bytes(kiss_frame.data)
    except FrameError as error:
        stats.not_ax25 += 1
        log.warning("%s: KISS data frame %d is not AX.25: %s", where, stats.frames + stats.not_ax25, error)
        return None
    stats.frames += 1
    return DecodedFrame(raw=kiss_frame.data, crc="none", t=t, time=time)


def read_kiss_file(path: str, stats: KissStats) -> Iterator[DecodedFrame]:
    """Yield each AX.25 data frame of the KISS file at ``path`` (``crc`` is ``none``: KISS carries no FCS).

    Damage is logged as a warning and counted in ``stats``; frames before and
    after it are still yielded. Only a file that cannot be opened raises
    :class:`UserError`.
    """

    def on_error(error: FrameError) -> None:
        stats.bad_kiss += 1
        log.warning("%s: %s", path, error)

    deframer = KissDeframer(on_error=on_error)
    try:
        file = open(path, "rb")
    except OSError as error:
        raise UserError(f"cannot read {path!r}: {error.strerror}") from None
    with file:
        while True:
            try:
                chunk = file.read(CHUNK_BYTES)
            except OSError as error:
                raise UserError(f"cannot read {path!r}: {error.strerror}") from None
            if not chunk:
                break
            for kiss_frame in deframer.feed(chunk):
                frame = accept_kiss_frame(kiss_frame, stats, path)
                if frame is not None:
                    yield frame
    if deframer.pending_bytes:
        stats.truncated_bytes = deframer.pending_bytes
        log.warning(
            "%s: truncated: %d bytes of an unfinished frame at the end (from byte %d), dropped",
            path,
            deframer.pending_bytes,
            deframer.pending_start,
        )
