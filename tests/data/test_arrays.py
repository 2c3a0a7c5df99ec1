"""slopefit.data.arrays against pyarrow's own conversion (``to_numpy(zero_copy_only=False)``): the same
values, NaN where pyarrow gives NaN, for every numeric type, with empty cells, offsets and chunks."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from slopefit.data.arrays import column_values

TYPES = [pa.float32(), pa.float64(), pa.float16(), pa.int8(), pa.int16(), pa.int32(), pa.int64(),
         pa.uint8(), pa.uint16(), pa.uint32(), pa.uint64()]


def values_of(kind, n: int, rng, empty: float) -> pa.Array:
    raw = rng.integers(0, 100, n) if pa.types.is_integer(kind) else rng.normal(size=n) * 100
    cells = [None if rng.random() < empty else v.item() for v in raw]
    return pa.array(cells, type=kind)


@pytest.mark.parametrize("kind", TYPES, ids=str)
@pytest.mark.parametrize("empty", [0.0, 0.3, 1.0])
def test_a_column_reads_as_pyarrow_reads_it(kind, empty):
    rng = np.random.default_rng(len(str(kind)))
    whole = values_of(kind, 203, rng, empty)
    for array in (whole, whole.slice(13, 150), whole.slice(200)):  # offsets that are not whole bytes of bits
        want = array.to_numpy(zero_copy_only=False)
        got = column_values(array)
        assert got.shape == want.shape
        # both are the stored values (or NaN): equal bit for bit, NaN where pyarrow has NaN
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype or (want.dtype == object and array.null_count == len(array))


def test_chunks_are_joined_and_other_types_are_left_to_pyarrow():
    rng = np.random.default_rng(1)
    chunked = pa.chunked_array([values_of(pa.float32(), 50, rng, 0.2), values_of(pa.float32(), 0, rng, 0.0),
                                values_of(pa.float32(), 70, rng, 0.0)])
    np.testing.assert_array_equal(column_values(chunked), chunked.to_numpy())
    assert column_values(pa.chunked_array([], type=pa.float64())).shape == (0,)
    flags = pa.array([True, None, False])
    assert column_values(flags).tolist() == flags.to_numpy(zero_copy_only=False).tolist()
