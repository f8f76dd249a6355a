"""Compressed audio that hobbyists keep: FLAC, and OGG Vorbis as SatNOGS publishes it, read through
libsndfile (``soundfile``) in blocks, like WAV.

Mono is receiver audio, stereo is I/Q (as for WAV). SatNOGS names its audio
``satnogs_<observation>_<YYYY-mm-ddTHH-MM-SS>.ogg`` with the start in UTC; that
start is taken from the name (it may be off by a second or two).

>>> import os, tempfile, numpy as np, soundfile
>>> path = os.path.join(tempfile.mkdtemp(), "satnogs_1234_2024-06-12T14-22-01.ogg")
>>> soundfile.write(path, 0.1 * np.sin(np.arange(48000) / 10.0), 48000, format="OGG", subtype="VORBIS")
>>> recording = open_audio_file(path)
>>> recording.rate_sps, recording.is_complex, recording.start_time.isoformat(), round(recording.duration_s, 2)
(48000.0, False, '2024-06-12T14:22:01+00:00', 1.0)
>>> sum(len(block.samples) for block in recording.blocks(10000))
48000
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from groundstation.errors import UserError
from groundstation.recordings.block import Block
from groundstation.recordings.readers import Recording, parse_datatype

#: Extensions read through libsndfile.
AUDIO_FILE_EXTENSIONS = (".flac", ".ogg", ".oga")
_SATNOGS_NAME = re.compile(r"satnogs_\d+_(\d{4})-(\d\d)-(\d\d)T(\d\d)-(\d\d)-(\d\d)")


def satnogs_start(path: str) -> datetime | None:
    """The start time in a SatNOGS audio file name, or None.

    >>> satnogs_start("satnogs_9183756_2024-06-12T14-22-01.ogg").isoformat()
    '2024-06-12T14:22:01+00:00'
    """
    match = _SATNOGS_NAME.search(Path(path).name)
    if not match:
        return None
    try:
        return datetime(*(int(part) for part in match.groups()), tzinfo=timezone.utc)
    except ValueError:
        return None


class AudioFileRecording(Recording):
    """A :class:`Recording` whose samples come from libsndfile as float32, block by block."""

    def blocks(self, block_samples: int = 1 << 18) -> Iterator[Block]:
        import soundfile

        position = 0
        try:
            with soundfile.SoundFile(self.data_path) as file:
                for frames in file.blocks(blocksize=block_samples, dtype="float32", always_2d=True):
                    samples = frames[:, 0] if frames.shape[1] == 1 else frames[:, 0] + 1j * frames[:, 1]
                    samples = samples.astype(np.complex64 if self.is_complex else np.float32, copy=False)
                    yield Block(samples, self.rate_sps, self.centre_hz, self.start_time, position / self.rate_sps)
                    position += len(samples)
        except (RuntimeError, soundfile.LibsndfileError) as error:
            raise UserError(f"{self.path!r}: cannot decode the audio after {position} samples ({error})") from None


def open_audio_file(path: str) -> AudioFileRecording:
    """A FLAC or OGG file: its rate and length from the header, the start from a SatNOGS name."""
    try:
        import soundfile
    except ImportError:
        raise UserError(f"{path!r}: reading {Path(path).suffix} needs the soundfile package "
                        "(pip install soundfile)") from None
    try:
        info = soundfile.info(path)
    except (RuntimeError, soundfile.LibsndfileError) as error:
        raise UserError(f"{path!r}: not a readable FLAC/OGG audio file ({error})") from None
    if info.channels not in (1, 2):
        raise UserError(f"{path!r}: {info.channels} channels; mono (audio) or stereo (I/Q) only")
    if info.samplerate <= 0 or info.frames < 0:
        raise UserError(f"{path!r}: the header gives no sample rate or length")
    datatype = parse_datatype("cf32_le" if info.channels == 2 else "rf32_le")
    return AudioFileRecording(path, "audio", datatype, float(info.samplerate), None, satnogs_start(path), path,
                              0, info.frames * datatype.sample_bytes)
