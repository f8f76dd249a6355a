"""KISS and AX.25: one line a known case (parse, build), and properties over random input."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frames import Address, Ax25Frame, FrameError, KissDeframer, KissFrame, parse
from frames.ax25 import has_pid, parse_with_construct
from frames.kiss import KissCommand, escape, unescape


def check_roundtrip(record_type, wire: bytes, record) -> None:
    """The declarative check of every case: wire parses to record, record builds to wire."""
    assert record_type.from_bytes(wire) == record
    assert record.to_bytes() == wire


QBUS01_HEADER = bytes.fromhex("a2 84 aa a6 60 62 60 86 a2 40 40 40 40 e1 03 f0")


@pytest.mark.parametrize(
    "wire, record",
    [
        (b"\xc0\x00abc\xc0", KissFrame(0, KissCommand.DATA, b"abc")),
        (b"\xc0\x00a\xdb\xdcb\xc0", KissFrame(0, KissCommand.DATA, b"a\xc0b")),
        (b"\xc0\x00\xdb\xdd\xdb\xdc\xc0", KissFrame(0, KissCommand.DATA, b"\xdb\xc0")),
        (b"\xc0\x30xyz\xc0", KissFrame(3, KissCommand.DATA, b"xyz")),
        (b"\xc0\x01\x32\xc0", KissFrame(0, KissCommand.TXDELAY, b"\x32")),
        (b"\xc0\xff\xc0", KissFrame(15, KissCommand.RETURN, b"")),
    ],
)
def test_kiss_known_frames(wire, record):
    check_roundtrip(KissFrame, wire, record)


@pytest.mark.parametrize(
    "wire, record",
    [
        # A real satellite frame header (US01), quoted from outside the project.
        (
            QBUS01_HEADER + b"test",
            Ax25Frame(Address("QBUS01", 0, False), Address("CQ", 0, True), (), 0x03, 0xF0, b"test"),
        ),
        # Digipeated: WIDE1-1 has repeated it (H bit), WIDE2-1 not yet.
        (
            bytes.fromhex("82a0a4a64040e0 9c60868298986e ae92888a6240e2 ae92888a644063 03f0") + b"!",
            Ax25Frame(
                Address("APRS", 0, True),
                Address("N0CALL", 7, False),
                (Address("WIDE1", 1, True), Address("WIDE2", 1, False)),
                0x03,
                0xF0,
                b"!",
            ),
        ),
        # S frame (RR, N(R)=5): no PID, no info.
        (
            bytes.fromhex("9c6086829898ee 88a0a6a8404061 a1"),
            Ax25Frame(Address("N0CALL", 7, True), Address("DPST", 0, False, 0b11), (), 0xA1, None, b""),
        ),
        # U frame SABM with poll bit: no PID.
        (
            bytes.fromhex("9c6086829898e0 88a0a6a8404061 3f"),
            Ax25Frame(Address("N0CALL", 0, True), Address("DPST", 0, False), (), 0x3F, None, b""),
        ),
        # I frame: carries a PID.
        (
            bytes.fromhex("9c6086829898e0 88a0a6a8404061 10f0") + b"data",
            Ax25Frame(Address("N0CALL", 0, True), Address("DPST", 0, False), (), 0x10, 0xF0, b"data"),
        ),
    ],
)
def test_ax25_known_frames(wire, record):
    check_roundtrip(Ax25Frame, wire, record)


def test_known_satellite_frame_monitor_line():
    frame = parse("ax25", QBUS01_HEADER + b"hello\r")
    assert frame.tnc2() == "CQ>QBUS01:hello<0x0d>"
    assert frame.frame_type == "UI"


def test_monitor_line_marks_last_repeated_digipeater():
    frame = Ax25Frame(
        Address("BEACON", 0, True),
        Address("N0CALL", 1),
        (Address("RELAY", 0, True), Address("WIDE2", 2, True), Address("WIDE3", 3)),
        info=b"x",
    )
    assert frame.tnc2() == "N0CALL-1>BEACON,RELAY,WIDE2-2*,WIDE3-3:x"


def test_ui_builder_and_callsign_errors():
    frame = Ax25Frame.ui("n0call-15", "CQ", b"hi", path=("WIDE1-1",) * 8)
    assert Ax25Frame.from_bytes(frame.to_bytes()) == frame
    with pytest.raises(FrameError, match="at most 8"):
        Ax25Frame.ui("N0CALL", "CQ", b"", path=("WIDE1-1",) * 9).to_bytes()
    for bad in ("TOOLONGCALL", "N0CALL-16", "", "N0 CALL"):
        with pytest.raises(FrameError, match="not a callsign"):
            Address.parse(bad)


@pytest.mark.parametrize(
    "wire, message",
    [
        (b"", "too short"),
        (QBUS01_HEADER[:14], "too short"),
        (bytes([0x82] * 6 + [0x61]) + bytes(9), "only one address"),
        (bytes([0x82] * 70) + b"\x03\xf0", "low bit set|not terminated"),
        (bytes([0x82] * 6 + [0x60]) * 10 + b"\x03", "not terminated within 10"),
        (QBUS01_HEADER[:14] + b"\x03", "needs a PID"),
        (bytes([0x83]) + QBUS01_HEADER[1:], "byte 0 .* low bit"),
        (bytes([0x02]) + QBUS01_HEADER[1:], "not a printable"),
    ],
)
def test_ax25_errors_say_what_and_where(wire, message):
    with pytest.raises(FrameError, match=message):
        Ax25Frame.from_bytes(wire)


@pytest.mark.parametrize(
    "wire, message",
    [
        (b"\xc0\xc0", "too short"),
        (b"\x00ab\xc0", "start and end with FEND"),
        (b"\xc0\x00a\xc0b\xc0", "unescaped FEND"),
        (b"\xc0\x00a\xdbb\xc0", "FESC at byte 2 followed by 0x62"),
        (b"\xc0\x00a\xdb\xc0", "followed by end of frame"),
    ],
)
def test_kiss_errors_say_what_and_where(wire, message):
    with pytest.raises(FrameError, match=message):
        KissFrame.from_bytes(wire)


def test_registry_names_known_formats():
    with pytest.raises(FrameError, match="known: ax25, hdlc, kiss"):
        parse("csp", b"")


# Properties ---------------------------------------------------------------

callsigns = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=6).map(str.rstrip)
addresses = st.builds(
    Address,
    callsign=callsigns,
    ssid=st.integers(0, 15),
    ch=st.booleans(),
    reserved=st.integers(0, 3),
)


@st.composite
def ax25_frames(draw):
    control = draw(st.integers(0, 255))
    return Ax25Frame(
        destination=draw(addresses),
        source=draw(addresses),
        digipeaters=tuple(draw(st.lists(addresses, max_size=8))),
        control=control,
        pid=draw(st.integers(0, 255)) if has_pid(control) else None,
        info=draw(st.binary(max_size=300)),
    )


@given(ax25_frames())
def test_ax25_build_parse_roundtrip(frame):
    wire = frame.to_bytes()
    assert Ax25Frame.from_bytes(wire) == frame
    assert Ax25Frame.from_bytes(wire).to_bytes() == wire


@given(st.binary(max_size=120) | ax25_frames().map(lambda f: f.to_bytes()[: len(f.to_bytes()) // 2 + 7]))
def test_ax25_random_bytes_parse_and_rebuild_or_raise_frame_error(wire):
    try:
        frame = Ax25Frame.from_bytes(wire)
    except FrameError:
        return
    assert frame.to_bytes() == wire


@given(st.binary(max_size=120) | ax25_frames().map(lambda f: f.to_bytes()))
def test_ax25_parse_agrees_with_the_construct_definition(wire):
    """from_bytes parses by hand (speed); the construct definition that builds frames is the reference."""
    try:
        reference = parse_with_construct(wire)
    except FrameError:
        with pytest.raises(FrameError):
            Ax25Frame.from_bytes(wire)
        return
    assert Ax25Frame.from_bytes(wire) == reference


kiss_frames = st.builds(KissFrame, port=st.integers(0, 15), command=st.integers(0, 15), data=st.binary(max_size=200))


@given(kiss_frames)
def test_kiss_build_parse_roundtrip(frame):
    assert KissFrame.from_bytes(frame.to_bytes()) == frame


@given(st.binary(max_size=60) | st.binary(max_size=60).map(lambda body: b"\xc0" + body + b"\xc0"))
def test_kiss_random_bytes_parse_and_rebuild_or_raise_frame_error(wire):
    try:
        frame = KissFrame.from_bytes(wire)
    except FrameError:
        return
    assert frame.to_bytes() == wire


@given(st.binary(max_size=200))
def test_escape_is_undone_by_unescape_and_hides_fend(data):
    escaped = escape(data)
    assert 0xC0 not in escaped
    assert unescape(escaped) == data


@given(
    st.lists(kiss_frames.filter(lambda f: f.data or f.command or f.port), max_size=6),
    st.lists(st.integers(min_value=0, max_value=2000), max_size=8),
    st.booleans(),
)
def test_deframer_finds_frames_whatever_the_chunking(frames_sent, cuts, doubled_fend):
    separator = b"\xc0" if doubled_fend else b""
    stream = b"noise before" + separator.join(frame.to_bytes() for frame in frames_sent)
    boundaries = sorted({0, len(stream), *(cut % (len(stream) + 1) for cut in cuts)})
    deframer = KissDeframer()
    received = []
    for start, end in zip(boundaries, boundaries[1:]):
        received.extend(deframer.feed(stream[start:end]))
    assert received == frames_sent
    assert deframer.errors == 0


def test_deframer_reports_bad_frames_and_keeps_going():
    errors = []
    deframer = KissDeframer(on_error=errors.append)
    stream = b"\xc0\x00good\xc0\xc0\x00bad\xdbX\xc0\xc0\x00after\xc0\xc0\x00trunc"
    assert [frame.data for frame in deframer.feed(stream)] == [b"good", b"after"]
    assert deframer.errors == 1 and "FESC" in str(errors[0]) and "stream byte 7" in str(errors[0])
    assert deframer.pending_bytes == len(b"\x00trunc")
