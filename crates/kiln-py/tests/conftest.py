"""Shared test settings and helpers: hypothesis profiles and NumPy comparison.

Every differential test compiles kernels for the shapes it draws, so example counts are kept
modest; set KILN_HYPOTHESIS_PROFILE=thorough for a longer run.
"""

import os

# SciPy (and so scikit-learn) reads this once, when first imported: set it before any test
# module imports them, so their array-API dispatch accepts kiln arrays.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "default",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("thorough", parent=settings.get_profile("default"), max_examples=300)
settings.load_profile(os.environ.get("KILN_HYPOTHESIS_PROFILE", "default"))

# Tolerances of kiln's math against NumPy's (both a few ULP from the true value).
RTOL = {np.float32: 2e-5, np.float64: 1e-12, np.complex64: 2e-5, np.complex128: 1e-12}
ATOL = {np.float32: 1e-6, np.float64: 1e-13, np.complex64: 1e-6, np.complex128: 1e-13}


def assert_matches(actual, expected, check_dtype=True):
    """kiln's result (a kiln array) equals NumPy's (values, shape and, by default, dtype)."""
    got = np.asarray(actual)
    want = np.asarray(expected)
    assert got.shape == want.shape, f"shape {got.shape} != {want.shape}"
    if check_dtype:
        assert got.dtype == want.dtype, f"dtype {got.dtype} != {want.dtype}"
    kind = np.result_type(got.dtype, want.dtype).type
    if kind in RTOL:
        np.testing.assert_allclose(got, want, rtol=RTOL[kind], atol=ATOL[kind], equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)
