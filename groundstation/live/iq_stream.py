"""rtl_tcp IQ as :class:`Block`\\ s, decoded live by the same :class:`Decoder` as files, one segment per stream.

The client (``hardware.rtl_tcp``) numbers samples over the whole session,
gaps included; here each stream becomes a decoder *segment*: a fresh decoder
whose time axis starts where the stream's first sample sits in the session,
so a frame cut by an outage is dropped, never stitched to the next stream,
and every frame keeps its true time.

>>> import numpy as np
>>> from datetime import datetime, timezone
>>> t0 = datetime(2024, 6, 12, 14, 25, tzinfo=timezone.utc)
>>> class Client:
...     start_time = None
...     def stream(self):
...         from hardware.rtl_tcp import Gap, IqBlock, StreamStarted
...         yield StreamStarted(1, 0, None)
...         yield IqBlock(np.zeros(4, np.complex64), 0, 4.0, 1)
...         yield Gap(4, 8, 4.0)
...         yield StreamStarted(2, 12, None)
...         yield IqBlock(np.zeros(4, np.complex64), 12, 4.0, 2)
>>> [(type(item).__name__, getattr(item, "start_s", None)) for item in rtl_tcp_blocks(Client(), 435e6, t0)]
[('Block', 0.0), ('StreamBreak', None), ('Block', 3.0)]
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from groundstation.dsp.decoder import Decoder
from groundstation.outputs.records import DecodedFrame
from groundstation.recordings.block import Block

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamBreak:
    """The next block belongs to another stream (``lost_samples`` were lost in between, as far as known)."""

    lost_samples: int = 0


def rtl_tcp_blocks(client, centre_hz: float, start_time: datetime | None = None,
                   on_idle: Callable[[], None] | None = None) -> Iterator[Block | StreamBreak]:
    """Blocks of ``client`` (a :class:`hardware.rtl_tcp.RtlTcpClient`), a :class:`StreamBreak` between streams.

    ``start_time`` is the UTC time of the session's first sample (a replay);
    None takes the client's wall-clock estimate.
    """
    from hardware.rtl_tcp import Gap, IqBlock, StreamStarted

    streams_seen = 0
    lost = 0
    for event in client.stream():
        if isinstance(event, Gap):
            lost += event.count
        elif isinstance(event, StreamStarted):
            if streams_seen:
                yield StreamBreak(lost)
            streams_seen += 1
            lost = 0
        elif isinstance(event, IqBlock):
            t0 = start_time or client.start_time
            yield Block(event.samples, event.rate_sps, centre_hz, t0, event.first_sample / event.rate_sps)
        elif event is None and on_idle is not None:
            on_idle()


class SegmentedDecoder:
    """Feed :class:`Block` and :class:`StreamBreak`; get frames with session times, never across a break.

    ``make_decoder(start_time, doppler_hz)`` builds a :class:`Decoder` for a
    segment; ``doppler_hz`` (POSIX seconds -> Hz, or None) is shifted to the
    segment's own time axis.
    """

    def __init__(self, make_decoder: Callable[..., Decoder],
                 doppler_hz: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
        self.make_decoder = make_decoder
        self.doppler_hz = doppler_hz
        self.decoder: Decoder | None = None
        self.segment_start_s = 0.0
        self.segments = 0
        self.frames = 0
        self.seconds = 0.0
        self._next_sample: int | None = None
        self.segment_t0 = None

    def feed(self, item: Block | StreamBreak) -> list[DecodedFrame]:
        if isinstance(item, StreamBreak):
            return self.end_segment()
        out = []
        if self.decoder is not None and item.first_sample != self._next_sample:
            out += self.end_segment()  # a hole in the sample count: not the same stream
        if self.decoder is None:
            self._start_segment(item)
        decoded = self.decoder.process(Block(item.samples, item.rate_sps, item.centre_hz, self.segment_t0,
                                             item.start_s - self.segment_start_s))
        self._next_sample = item.first_sample + len(item.samples)
        self.seconds = self._next_sample / item.rate_sps
        return out + self._to_session(decoded)

    def end_segment(self) -> list[DecodedFrame]:
        if self.decoder is None:
            return []
        decoded = self._to_session(self.decoder.flush())
        self.decoder = None
        return decoded

    def _start_segment(self, block: Block) -> None:
        self.segments += 1
        self.segment_start_s = block.start_s
        segment_t0 = None if block.t0 is None else block.t0 + timedelta(seconds=block.start_s)
        self.segment_t0 = segment_t0
        doppler = None
        if self.doppler_hz is not None and segment_t0 is not None:
            base_s = segment_t0.timestamp()
            doppler = lambda t_s, full=self.doppler_hz, base_s=base_s: full(base_s + np.asarray(t_s))
        self.decoder = self.make_decoder(segment_t0, doppler)

    def _to_session(self, frames: list[DecodedFrame]) -> list[DecodedFrame]:
        self.frames += len(frames)
        return [dataclasses.replace(frame, t=None if frame.t is None else frame.t + self.segment_start_s)
                for frame in frames]
