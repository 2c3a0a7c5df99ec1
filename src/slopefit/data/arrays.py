"""pyarrow's numeric columns as numpy arrays, without pyarrow's pandas shim.

``Array.to_numpy`` imports pandas the first time it is called (0.3-0.4 s, more than reading a
million rows of Parquet), although a numeric column is only a buffer of values and a bitmap of
empty cells. :func:`column_values` reads those two buffers itself, for the numeric types a table
of numbers holds, and leaves every other type (booleans, decimals, dictionaries, text) to
``to_numpy``.
"""

from __future__ import annotations

import numpy as np

_NUMERIC = {"float": np.float32, "double": np.float64, "halffloat": np.float16,
            "int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
            "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64}


def column_values(column) -> np.ndarray:
    """The values of a pyarrow Array or ChunkedArray as a numpy array; empty cells become NaN.

    A float column without empty cells is a view of its buffer (read-only); with empty cells, or
    in several chunks, a copy. An integer column with empty cells becomes float64, as
    ``to_numpy(zero_copy_only=False)`` makes it.

    Parameters
    ----------
    column : pyarrow.Array or pyarrow.ChunkedArray

    Returns
    -------
    ndarray, shape (len(column),)

    Examples
    --------
    >>> import pyarrow as pa
    >>> column_values(pa.array([1.5, None, 3.0])).tolist()
    [1.5, nan, 3.0]
    >>> column_values(pa.chunked_array([[1, 2], [None]])).tolist()
    [1.0, 2.0, nan]
    >>> column_values(pa.array([True, False])).tolist()
    [True, False]
    """
    chunks = column.chunks if hasattr(column, "chunks") else [column]
    if str(column.type) not in _NUMERIC:
        return column.to_numpy(zero_copy_only=False)
    if not chunks:
        return np.empty(0, dtype=_NUMERIC[str(column.type)])
    parts = [_array_values(chunk) for chunk in chunks]
    if len(parts) == 1:
        return parts[0]
    kind = np.result_type(*parts)
    return np.concatenate([p.astype(kind, copy=False) for p in parts])


def _array_values(array) -> np.ndarray:
    """One chunk: its values buffer viewed at its offset, NaN where its validity bitmap says empty."""
    dtype = np.dtype(_NUMERIC[str(array.type)])
    n, offset = len(array), array.offset
    validity, data = array.buffers()[:2]
    if data is None or n == 0:  # a chunk of nothing but empty cells may carry no values buffer
        return np.full(n, np.nan) if n else np.empty(0, dtype=dtype)
    values = np.frombuffer(data, dtype=dtype, count=n, offset=offset * dtype.itemsize)
    if not array.null_count:
        return values
    bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
    empty = bits[offset:offset + n] == 0
    filled = values.astype(dtype if dtype.kind == "f" else np.float64)  # a copy: the buffer is read-only
    filled[empty] = np.nan
    return filled
