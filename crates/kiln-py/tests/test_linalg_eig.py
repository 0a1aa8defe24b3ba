"""``kiln.linalg.eig`` / ``eigvals`` (general, non-Hermitian eigendecomposition) against
``numpy.linalg.eig`` / ``eigvals`` under hypothesis. Eigenpairs are not unique (order, phase),
so the checks are invariants: ``A V = V diag(w)`` relative to ``|A|``, unit-norm eigenvectors,
and the eigenvalue multiset equal to NumPy's (greedy nearest matching) on matrices whose
spectrum is well separated, with complex-conjugate pairs for real dtypes. Plus the result type
and dtypes of the 2025.12 standard, rotations, and the exceptions NumPy users expect."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kiln
import kiln.linalg as la

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
COMPLEX = {np.float32: np.complex64, np.float64: np.complex128, np.complex64: np.complex64, np.complex128: np.complex128}
EPS = {np.float32: 1.2e-7, np.float64: 2.3e-16, np.complex64: 1.2e-7, np.complex128: 2.3e-16}


@st.composite
def cases(draw):
    batch = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    n = draw(st.integers(0, 7))
    return batch, n, draw(st.sampled_from(DTYPES)), draw(st.integers(0, 2**32 - 1))


def random(seed, shape, dtype):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.uniform(-1, 1, size=shape)
    return x.astype(dtype)


def separated(seed, shape, dtype):
    """A well-separated spectrum: real eigenvalues ``3k - n`` and, for real dtypes, 2x2 blocks
    with eigenvalues ``3k - n ± 2i``, plus a perturbation of 0.05 per entry."""
    x = 0.05 * random(seed, shape, dtype).astype(np.complex128)
    n = shape[-1]
    k = 0
    while k < n:
        centre = 3.0 * k - n
        x[..., k, k] += centre
        if np.dtype(dtype).kind == "f" and k + 1 < n and k % 4 == 0:
            x[..., k + 1, k + 1] += centre
            x[..., k, k + 1] -= 2.0
            x[..., k + 1, k] += 2.0
            k += 2
        else:
            if np.dtype(dtype).kind == "c":
                x[..., k, k] += 1j * (k % 3)
            k += 1
    return (x.real if np.dtype(dtype).kind == "f" else x).astype(dtype)


def check_eigenpairs(x, w, v, dtype):
    n = x.shape[-1]
    tol = 50 * (n + 1) * EPS[dtype]
    x = x.astype(np.complex128)
    scale = np.linalg.norm(x, axis=(-2, -1), keepdims=True) if n else 1.0
    residual = np.abs(x @ v - v * w[..., None, :])
    assert np.all(residual <= tol * scale + 1e-300), residual.max()
    np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1.0, atol=tol)


def same_multiset(got, want, tol):
    got = np.asarray(got)
    if got.size == 0:
        assert np.asarray(want).size == 0
        return
    got = got.reshape(-1, got.shape[-1])
    want = np.asarray(want).reshape(got.shape)
    for g, w in zip(got, want):
        unused = list(g)
        for value in w:
            d = [abs(u - value) for u in unused]
            i = int(np.argmin(d))
            assert d[i] <= tol * (1 + abs(value)), (g, w)
            unused.pop(i)


@given(cases())
def test_eig_invariants_on_random_matrices(case):
    batch, n, dtype, seed = case
    x = random(seed, batch + (n, n), dtype)
    result = la.eig(kiln.asarray(x))
    assert isinstance(result, la.EigResult)
    assert result._fields == ("eigenvalues", "eigenvectors")
    w, v = np.asarray(result.eigenvalues), np.asarray(result.eigenvectors)
    assert w.dtype == COMPLEX[dtype] and v.dtype == COMPLEX[dtype]
    assert w.shape == batch + (n,) and v.shape == batch + (n, n)
    check_eigenpairs(x, w, v, dtype)
    values = np.asarray(la.eigvals(kiln.asarray(x)))
    assert values.dtype == COMPLEX[dtype] and values.shape == batch + (n,)


@given(cases())
def test_spectra_match_numpy(case):
    batch, n, dtype, seed = case
    x = separated(seed, batch + (n, n), dtype)
    tol = 500 * (n + 1) * EPS[dtype]
    w, v = (np.asarray(t) for t in la.eig(kiln.asarray(x)))
    expected = np.linalg.eigvals(x)
    same_multiset(w, expected, tol)
    same_multiset(np.asarray(la.eigvals(kiln.asarray(x))), expected, tol)
    check_eigenpairs(x, w, v, dtype)
    # Unit eigenvectors of simple eigenvalues agree with NumPy's up to a phase.
    w_np, v_np = np.linalg.eig(x)
    for idx in np.ndindex(*batch):
        for k in range(n):
            j = int(np.argmin(np.abs(w_np[idx] - w[idx][k])))
            overlap = abs(np.vdot(v_np[idx][:, j], v[idx][:, k]))
            assert abs(overlap - 1) <= 100 * tol, overlap


@pytest.mark.parametrize("dtype", DTYPES)
def test_rotation(dtype):
    x = np.array([[0.0, -1.0], [1.0, 0.0]], dtype=dtype)
    w, v = (np.asarray(t) for t in la.eig(kiln.asarray(x)))
    same_multiset(w, np.array([1j, -1j]), 10 * EPS[dtype])
    check_eigenpairs(x, w, v, dtype)


def test_bad_input():
    with pytest.raises(TypeError):
        la.eig(kiln.asarray([[1, 2], [3, 4]]))
    with pytest.raises(TypeError):
        la.eigvals(kiln.asarray([[True, False], [False, True]]))
    with pytest.raises(ValueError):
        la.eig(kiln.ones((2, 3)))
    with pytest.raises(ValueError):
        la.eigvals(kiln.ones((3,)))
    with pytest.raises(TypeError):
        la.eig(np.eye(2))  # type: ignore[arg-type]
    for bad in (np.nan, np.inf):
        x = kiln.asarray(np.array([[1.0, bad], [0.0, 1.0]]))
        with pytest.raises(ValueError):
            np.asarray(la.eigvals(x))
        with pytest.raises(ValueError):
            np.asarray(la.eig(x).eigenvectors)
