"""The HDLC receive primitives (flag search, de-stuffing) against plain bit-by-bit definitions, on random bits."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from groundstation.dsp.hdlc import find_flags, stuff_bits, unstuff

bit_lists = st.lists(st.integers(0, 1), max_size=80) | st.lists(st.sampled_from([0, 1, 1, 1, 1]), max_size=80)


def unstuff_by_definition(bits: list[int]) -> list[int] | None:
    out, run, drop_next_zero = [], 0, False
    for bit in bits:
        if bit:
            run += 1
            if run == 6:
                return None
            out.append(1)
            drop_next_zero = run == 5
        else:
            if not drop_next_zero:
                out.append(0)
            run, drop_next_zero = 0, False
    return out


@given(bit_lists)
def test_unstuff_matches_the_bit_by_bit_rule(bits):
    result = unstuff(np.array(bits, np.uint8))
    expected = unstuff_by_definition(bits)
    assert (result is None) == (expected is None)
    if expected is not None:
        assert result.tolist() == expected


@given(st.lists(st.integers(0, 1), max_size=80))
def test_unstuff_undoes_stuffing(bits):
    assert unstuff(stuff_bits(np.array(bits, np.uint8))).tolist() == bits


@given(bit_lists)
def test_flags_are_every_0111_1110(bits):
    expected = [i for i in range(len(bits) - 7) if bits[i : i + 8] == [0, 1, 1, 1, 1, 1, 1, 0]]
    assert find_flags(np.array(bits, np.uint8)).tolist() == expected
