"""Live IQ through the file decoder: a hole in the sample numbers (or a new stream) starts a new segment.

A frame cut by the hole is lost, never stitched from two streams; the frames
around it keep their true times.
"""

from __future__ import annotations

import json

from groundstation.dsp.decoder import Decoder
from groundstation.live.iq_stream import SegmentedDecoder, StreamBreak
from groundstation.recordings.readers import open_recording

SIM = ["--sat", "Malligyong-1", "--station", "37.57,126.98", "--freq", "435e6", "--start", "2024-06-12T14:26:00Z",
       "--duration", "14", "--beacon-interval", "2", "--modem", "afsk1200"]


def test_a_hole_cuts_one_frame_and_keeps_the_others_with_their_times(run_cli, tmp_path):
    meta = tmp_path / "pass.sigmf-meta"
    assert run_cli("simulate", *SIM, "--out", meta).code == 0
    truth = json.loads(meta.read_text())["global"]["groundstation:frames"]
    recording = open_recording(str(meta))
    rate = recording.rate_sps
    cut = next(frame for frame in truth if frame["t_start_s"] > 5.0)  # the hole takes the middle of this frame
    hole = (cut["t_start_s"] + 0.2, cut["t_start_s"] + 0.4)

    segmented = SegmentedDecoder(lambda t0, doppler: Decoder(rate, True, ["afsk1200"]))
    decoded = []
    for block in recording.blocks(4096):
        if hole[0] * rate <= block.first_sample < hole[1] * rate:
            continue  # lost in transit: the next block's sample number jumps
        decoded += segmented.feed(block)
    decoded += segmented.end_segment()
    assert segmented.segments == 2
    expected = [frame for frame in truth if frame is not cut]
    assert [frame.raw.hex() for frame in decoded] == [frame["hex"] for frame in expected]
    for frame, sent in zip(decoded, expected):
        assert abs(frame.t - sent["t_start_s"]) < 0.2
        assert abs((frame.time - recording.start_time).total_seconds() - sent["t_start_s"]) < 0.2


def test_a_stream_break_starts_a_segment_even_without_a_hole(run_cli, tmp_path):
    meta = tmp_path / "pass.sigmf-meta"
    assert run_cli("simulate", *SIM, "--out", meta).code == 0
    truth = json.loads(meta.read_text())["global"]["groundstation:frames"]
    recording = open_recording(str(meta))
    cut = next(frame for frame in truth if frame["t_start_s"] > 5.0)
    at_sample = int((cut["t_start_s"] + 0.3) * recording.rate_sps)
    segmented = SegmentedDecoder(lambda t0, doppler: Decoder(recording.rate_sps, True, ["afsk1200"]))
    decoded = []
    broken = False
    for block in recording.blocks(4096):
        if not broken and block.first_sample >= at_sample:
            decoded += segmented.feed(StreamBreak())
            broken = True
        decoded += segmented.feed(block)
    decoded += segmented.end_segment()
    assert segmented.segments == 2
    assert cut["hex"] not in [frame.raw.hex() for frame in decoded]
    assert len(decoded) == len(truth) - 1
