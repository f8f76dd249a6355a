"""AX.25 v2.2 frames (without the FCS), as a construct definition and a typed record.

Address field: 2 to 10 addresses (destination, source, up to 8 digipeaters),
7 bytes each: six callsign characters shifted left one bit, space padded, then
the SSID byte ``C/H R R S S S S X`` (command or has-been-repeated bit, two
reserved bits, the SSID, and the extension bit that marks the last address).
Then the control byte (modulo-8 operation), a PID byte for I and UI frames,
and the information field.

>>> raw = bytes.fromhex("a284aaa6606260 86a240404040e1 03f0") + b"hello"
>>> frame = Ax25Frame.from_bytes(raw)
>>> frame.tnc2()
'CQ>QBUS01:hello'
>>> frame.frame_type, hex(frame.pid)
('UI', '0xf0')
>>> frame.to_bytes() == raw
True
>>> Ax25Frame.ui("N0CALL-1", "BEACON", b"hi", path=("WIDE1-1",)).tnc2()
'N0CALL-1>BEACON,WIDE1-1:hi'
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import construct as cs

from frames.errors import FrameError

ADDRESS_LEN = 7
MIN_ADDRESSES = 2
MAX_ADDRESSES = 10  # destination, source and 8 digipeaters
CONTROL_UI = 0x03
PID_NO_LAYER3 = 0xF0


class _ShiftedCallsign(cs.Adapter):
    """Six ASCII characters, each shifted left one bit, padded with spaces."""

    def _decode(self, obj, context, path):
        return bytes(byte >> 1 for byte in obj).decode("ascii").rstrip(" ")

    def _encode(self, obj, context, path):
        return bytes(ord(char) << 1 for char in obj.ljust(6))


ADDRESS = cs.Struct(
    "callsign" / _ShiftedCallsign(cs.Bytes(6)),
    "ssid_byte"
    / cs.BitStruct(
        "ch" / cs.Flag,
        "reserved" / cs.BitsInteger(2),
        "ssid" / cs.BitsInteger(4),
        "last" / cs.Flag,
    ),
)


def has_pid(control: int) -> bool:
    """True for I frames and UI frames, the two types that carry a PID byte."""
    is_i_frame = control & 0x01 == 0
    is_ui_frame = control & ~0x10 & 0xFF == CONTROL_UI
    return is_i_frame or is_ui_frame


#: The wire format of an AX.25 frame without its FCS, both ways.
AX25_FRAME = cs.Struct(
    "addresses" / cs.RepeatUntil(lambda address, _lst, _ctx: address["ssid_byte"]["last"], ADDRESS),
    "control" / cs.Int8ub,
    "pid" / cs.If(lambda ctx: has_pid(ctx.control), cs.Int8ub),
    "info" / cs.GreedyBytes,
)

_CALLSIGN_PATTERN = re.compile(r"^([A-Za-z0-9]{1,6})(?:-(\d{1,2}))?$")


@dataclass(frozen=True)
class Address:
    """One AX.25 address: ``callsign`` (up to 6 characters), ``ssid`` (0-15),
    ``ch`` (command bit for destination/source, has-been-repeated for a digipeater)
    and the two ``reserved`` bits (normally both set)."""

    callsign: str
    ssid: int = 0
    ch: bool = False
    reserved: int = 0b11

    @classmethod
    def parse(cls, text: str, ch: bool = False) -> Address:
        """``"N0CALL-7"`` -> ``Address("N0CALL", 7)``; :class:`FrameError` if malformed."""
        match = _CALLSIGN_PATTERN.match(text.strip())
        if not match or int(match.group(2) or 0) > 15:
            raise FrameError(f"AX.25: {text!r} is not a callsign (1-6 letters or digits, optional -SSID 0-15)")
        return cls(callsign=match.group(1).upper(), ssid=int(match.group(2) or 0), ch=ch)

    def __str__(self) -> str:
        return self.callsign if self.ssid == 0 else f"{self.callsign}-{self.ssid}"

    def is_plausible(self) -> bool:
        """A real station's callsign: 1-6 upper-case letters or digits, no inner space.

        Decoders use this (besides the FCS) to reject noise that passed the FCS by chance.
        """
        return bool(re.fullmatch(r"[A-Z0-9]{1,6}", self.callsign))


@dataclass(frozen=True)
class Ax25Frame:
    """An AX.25 frame (no FCS). Build one with :meth:`ui`, parse one with :meth:`from_bytes`."""

    destination: Address
    source: Address
    digipeaters: tuple[Address, ...] = ()
    control: int = CONTROL_UI
    pid: int | None = PID_NO_LAYER3
    info: bytes = field(default=b"", repr=False)

    @classmethod
    def ui(cls, source: str, destination: str, info: bytes, path: tuple[str, ...] = ()) -> Ax25Frame:
        """A UI command frame with PID 0xF0 (no layer 3), as beacons and APRS send."""
        return cls(
            destination=Address.parse(destination, ch=True),
            source=Address.parse(source, ch=False),
            digipeaters=tuple(Address.parse(digi) for digi in path),
            info=bytes(info),
        )

    @classmethod
    def from_tnc2(cls, line: str) -> Ax25Frame:
        """A UI frame from a monitor line ``SRC>DST,DIGI*:info`` (``<0xNN>`` escapes become bytes).

        >>> Ax25Frame.from_tnc2("N0CALL-1>CQ,WIDE1-1*:hi<0x0d>").to_bytes()[-3:]
        b'hi\\r'
        >>> Ax25Frame.from_tnc2("N0CALL>CQ:\u0100")
        Traceback (most recent call last):
        ...
        frames.errors.FrameError: AX.25: character '\u0100' at 0 of the info field is not one byte; write bytes above 0xFF as <0xNN> escapes
        """
        head, separator, info_text = line.rstrip("\r\n").partition(":")
        source, arrow, rest = head.partition(">")
        if not separator or not arrow:
            raise FrameError(f"AX.25: {line!r} is not a monitor line SRC>DST[,PATH]:info")
        destination, *path = rest.split(",")
        digipeaters = tuple(Address.parse(digi.rstrip("*"), ch="*" in digi) for digi in path)
        if any(digi.ch for digi in digipeaters):  # '*' marks the last repeater: all before it repeated too
            last = max(index for index, digi in enumerate(digipeaters) if digi.ch)
            digipeaters = tuple(
                Address(digi.callsign, digi.ssid, index <= last) for index, digi in enumerate(digipeaters)
            )
        try:
            info_bytes = info_text.encode("latin-1")
        except UnicodeEncodeError as error:
            raise FrameError(
                f"AX.25: character {info_text[error.start]!r} at {error.start} of the info field is not one byte; "
                "write bytes above 0xFF as <0xNN> escapes"
            ) from None
        info = re.sub(rb"<0x([0-9a-fA-F]{2})>", lambda m: bytes([int(m.group(1), 16)]), info_bytes)
        return cls(
            destination=Address.parse(destination, ch=True),
            source=Address.parse(source, ch=False),
            digipeaters=digipeaters,
            info=info,
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Ax25Frame:
        """Parse an AX.25 frame without FCS; :class:`FrameError` says what is wrong and where.

        The same bytes parse once: a decoder checks each frame on acceptance and again when it prints it
        (frames are immutable, so the record is shared).
        """
        if cls is not Ax25Frame:
            return cls._parse(bytes(data))
        return _parse_cached(bytes(data))

    @classmethod
    def _parse(cls, data: bytes) -> Ax25Frame:
        """:data:`AX25_FRAME`'s parse, written out (a decoder parses every frame it accepts; construct's
        interpreter took a tenth of the decoding time). ``tests/test_frames.py`` checks that both agree."""
        _validate(data)
        addresses = []
        start = 0
        while True:
            ssid_byte = data[start + 6]
            addresses.append(Address(
                callsign=bytes(byte >> 1 for byte in data[start : start + 6]).decode("ascii").rstrip(" "),
                ssid=(ssid_byte >> 1) & 0x0F, ch=bool(ssid_byte & 0x80), reserved=(ssid_byte >> 5) & 0x03))
            start += ADDRESS_LEN
            if ssid_byte & 0x01:
                break
        control = data[start]
        pid = data[start + 1] if has_pid(control) else None
        return cls(destination=addresses[0], source=addresses[1], digipeaters=tuple(addresses[2:]),
                   control=control, pid=pid, info=data[start + 1 + (pid is not None) :])

    def to_bytes(self) -> bytes:
        """The frame's bytes (no FCS)."""
        addresses = (self.destination, self.source, *self.digipeaters)
        if len(addresses) > MAX_ADDRESSES:
            raise FrameError(f"AX.25: {len(self.digipeaters)} digipeaters, at most 8 allowed")
        for address in addresses:
            _check_address(address)
        if not 0 <= self.control <= 0xFF or not 0 <= (self.pid or 0) <= 0xFF:
            raise FrameError(f"AX.25: control {self.control} and PID {self.pid} must be bytes (0-255)")
        if (self.pid is not None) != has_pid(self.control):
            raise FrameError(f"AX.25: control 0x{self.control:02x} {'needs' if has_pid(self.control) else 'takes no'} PID")
        return AX25_FRAME.build(
            {
                "addresses": [
                    {
                        "callsign": address.callsign,
                        "ssid_byte": {
                            "ch": address.ch,
                            "reserved": address.reserved,
                            "ssid": address.ssid,
                            "last": index == len(addresses) - 1,
                        },
                    }
                    for index, address in enumerate(addresses)
                ],
                "control": self.control,
                "pid": self.pid,
                "info": self.info,
            }
        )

    @property
    def frame_type(self) -> str:
        """``"I"``, ``"S"``, ``"UI"`` or ``"U"`` (other unnumbered frames)."""
        if self.control & 0x01 == 0:
            return "I"
        if self.control & 0x03 == 0x01:
            return "S"
        return "UI" if self.control & ~0x10 & 0xFF == CONTROL_UI else "U"

    @property
    def path(self) -> list[str]:
        """Digipeaters as TNC2 shows them: the last one that repeated the frame marked ``*``."""
        repeated = [index for index, digi in enumerate(self.digipeaters) if digi.ch]
        last_repeated = repeated[-1] if repeated else -1
        return [str(digi) + ("*" if index == last_repeated else "") for index, digi in enumerate(self.digipeaters)]

    def tnc2(self) -> str:
        """The monitor line ``SRC>DST,DIGI1*,DIGI2:info``, non-printable bytes as ``<0xNN>``."""
        head = ",".join([f"{self.source}>{self.destination}", *self.path])
        return f"{head}:{printable(self.info)}"

    def is_plausible(self) -> bool:
        """All addresses look like real callsigns (a check beyond the FCS against chance passes)."""
        return all(address.is_plausible() for address in (self.destination, self.source, *self.digipeaters))


def parse_with_construct(data: bytes) -> Ax25Frame:
    """The frame as :data:`AX25_FRAME` parses it (the reference for :meth:`_parse`)."""
    _validate(data)
    parsed = AX25_FRAME.parse(data)
    addresses = [
        Address(
            callsign=address.callsign,
            ssid=address.ssid_byte.ssid,
            ch=address.ssid_byte.ch,
            reserved=address.ssid_byte.reserved,
        )
        for address in parsed.addresses
    ]
    return Ax25Frame(
        destination=addresses[0],
        source=addresses[1],
        digipeaters=tuple(addresses[2:]),
        control=parsed.control,
        pid=parsed.pid,
        info=parsed.info,
    )


@functools.lru_cache(maxsize=1024)
def _parse_cached(data: bytes) -> Ax25Frame:
    return Ax25Frame._parse(data)


def printable(info: bytes) -> str:
    """``info`` with bytes outside 0x20-0x7e shown as ``<0xNN>``, as direwolf prints them.

    >>> printable(b"T#001\\r")
    'T#001<0x0d>'
    """
    return "".join(chr(byte) if 0x20 <= byte <= 0x7E else f"<0x{byte:02x}>" for byte in info)


def _check_address(address: Address) -> None:
    if len(address.callsign) > 6 or not all(0x20 <= ord(char) <= 0x7E for char in address.callsign):
        raise FrameError(f"AX.25: callsign {address.callsign!r} must be at most 6 printable ASCII characters")
    if not 0 <= address.ssid <= 15 or not 0 <= address.reserved <= 3:
        raise FrameError(f"AX.25: SSID {address.ssid} (0-15) or reserved bits {address.reserved} (0-3) out of range")


def _validate(data: bytes) -> None:
    """Raise :class:`FrameError` unless ``data`` parses (and builds back) as AX.25."""
    minimum = MIN_ADDRESSES * ADDRESS_LEN + 1
    if len(data) < minimum:
        raise FrameError(f"AX.25: frame of {len(data)} bytes is too short (at least {minimum})")
    count = 0
    while True:
        start = count * ADDRESS_LEN
        if start + ADDRESS_LEN > len(data):
            raise FrameError(f"AX.25: address {count + 1} at byte {start} runs past the end of the frame")
        for offset in range(start, start + 6):
            byte = data[offset]
            if byte & 0x01:
                raise FrameError(f"AX.25: callsign byte {offset} (address {count + 1}) has its low bit set")
            if not 0x20 <= byte >> 1 <= 0x7E:
                raise FrameError(f"AX.25: callsign byte {offset} (address {count + 1}) is not a printable character")
        count += 1
        if data[start + 6] & 0x01:
            break
        if count == MAX_ADDRESSES:
            raise FrameError(f"AX.25: address field not terminated within {MAX_ADDRESSES} addresses")
    if count < MIN_ADDRESSES:
        raise FrameError("AX.25: only one address (the extension bit is set on the destination)")
    control_at = count * ADDRESS_LEN
    if control_at >= len(data):
        raise FrameError(f"AX.25: no control byte after the address field (byte {control_at})")
    if has_pid(data[control_at]) and control_at + 1 >= len(data):
        raise FrameError(f"AX.25: control 0x{data[control_at]:02x} needs a PID byte at {control_at + 1}")
