"""Bytes <-> records for the link layers satellites use: KISS, AX.25 and its FCS.

Every format is a construct definition that both parses and builds, so the
simulator and the decoder share one definition of a frame. This package
depends on construct only.

>>> from frames import Ax25Frame, append_fcs, check_fcs
>>> wire = append_fcs(Ax25Frame.ui("N0CALL", "CQ", b"test").to_bytes())
>>> check_fcs(wire)
True
"""

from frames.acceptance import Evidence, accept, is_ax25
from frames.ax25 import Address, Ax25Frame
from frames.errors import FrameError
from frames.fcs import append_fcs, check_fcs, crc16_x25
from frames.hdlc import HdlcFrame
from frames.kiss import KissDeframer, KissFrame, encode_data_frame
from frames.registry import parse

__all__ = [
    "Address",
    "Ax25Frame",
    "Evidence",
    "FrameError",
    "HdlcFrame",
    "KissDeframer",
    "KissFrame",
    "accept",
    "append_fcs",
    "check_fcs",
    "crc16_x25",
    "encode_data_frame",
    "is_ax25",
    "parse",
]
