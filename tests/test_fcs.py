"""CRC-16/X.25, checked against a published value and an independent implementation."""

import binascii

from hypothesis import given
from hypothesis import strategies as st

from frames.fcs import append_fcs, check_fcs, crc16_x25, crc16_x25_by_table


def _reverse_bits(value: int, width: int) -> int:
    return int(format(value, f"0{width}b")[::-1], 2)


def crc16_x25_via_stdlib(data: bytes) -> int:
    """CRC-16/X.25 from the standard library's non-reflected CRC-CCITT (binascii.crc_hqx).

    X.25 is the reflected form of the same polynomial: reflect each input byte,
    run the MSB-first CRC with init 0xFFFF, reflect the result, XOR 0xFFFF.
    """
    reflected = bytes(_reverse_bits(byte, 8) for byte in data)
    return _reverse_bits(binascii.crc_hqx(reflected, 0xFFFF), 16) ^ 0xFFFF


def test_published_check_value():
    # The catalogue of parametrised CRC algorithms gives check=0x906e for CRC-16/IBM-SDLC (X.25).
    assert crc16_x25(b"123456789") == 0x906E
    assert crc16_x25_via_stdlib(b"123456789") == 0x906E


@given(st.binary(max_size=400))
def test_agrees_with_independent_implementation(data):
    assert crc16_x25(data) == crc16_x25_via_stdlib(data) == crc16_x25_by_table(data)


@given(st.binary(min_size=1, max_size=300), st.integers(min_value=0), st.integers(min_value=0, max_value=7))
def test_fcs_detects_any_single_bit_error(data, position, bit):
    wire = bytearray(append_fcs(data))
    assert check_fcs(bytes(wire))
    wire[position % len(wire)] ^= 1 << bit
    assert not check_fcs(bytes(wire))


def test_fcs_is_appended_little_endian():
    assert append_fcs(b"123456789")[-2:] == bytes([0x6E, 0x90])
    assert not check_fcs(b"\x00\x00")
