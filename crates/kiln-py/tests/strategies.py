"""Hypothesis strategies for kiln's differential tests: dtypes, shapes (with 0 and 1 extents)
and arrays of values, kept finite and in ranges where NumPy's results are well defined."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kiln

FLOATS = [np.float32, np.float64]
INTS = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
SIGNED = [np.int8, np.int16, np.int32, np.int64]
COMPLEX = [np.complex64, np.complex128]

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)


def kiln_dtype(np_dtype):
    return getattr(kiln, np.dtype(np_dtype).name)


def elements(dtype, low=-100.0, high=100.0):
    """Finite values of `dtype`, bounded (integers by the dtype's range and the bounds)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return st.floats(low, high, width=dtype.itemsize * 8, allow_nan=False)
    if dtype.kind == "c":
        part = st.floats(low, high, width=dtype.itemsize * 4, allow_nan=False)
        return st.builds(complex, part, part)
    if dtype.kind == "b":
        return st.booleans()
    info = np.iinfo(dtype)
    return st.integers(max(int(info.min), int(low)), min(int(info.max), int(high)))


def arrays(dtype, shape=shapes, **bounds):
    return hnp.arrays(dtype, shape, elements=elements(dtype, **bounds))
