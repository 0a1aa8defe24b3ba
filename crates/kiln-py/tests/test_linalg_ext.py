"""Differential tests of the ``linalg`` extension against ``numpy.linalg`` on random batched
matrices of every floating dtype: unique results by value (det, inv, solve, cholesky, spectra,
norms), decompositions by their invariants (signs and bases of eigenvectors and singular vectors
are not unique), plus argument handling and the exceptions NumPy users expect."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kiln
import kiln.linalg as la

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
TOL = {np.float32: 2e-4, np.float64: 1e-10, np.complex64: 2e-4, np.complex128: 1e-10}


def random(seed, shape, dtype, kind="plain"):
    """``kind``: plain, dominant (well conditioned), hpd (Hermitian positive definite),
    hermitian."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.uniform(-1, 1, size=shape)
    if kind in ("hpd", "hermitian"):
        x = (x + np.conj(np.swapaxes(x, -1, -2))) / 2
    if kind in ("dominant", "hpd"):
        n = shape[-1]
        x = x + (n + 1) * np.eye(n)
    return x.astype(dtype)


def close(actual, expected, dtype, scale=1.0):
    actual = np.asarray(actual)
    tol = TOL[dtype] * scale
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol)


@st.composite
def cases(draw, square=True):
    batch = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    n = draw(st.integers(0, 6))
    m = n if square else draw(st.integers(0, 6))
    return batch, m, n, draw(st.sampled_from(DTYPES)), draw(st.integers(0, 2**32 - 1))


def _eye(batch, n):
    return np.broadcast_to(np.eye(n), batch + (n, n))


def _h(x):
    return np.conj(np.swapaxes(x, -1, -2))


@given(cases())
def test_det_inv_solve_slogdet(case):
    batch, _, n, dtype, seed = case
    x = random(seed, batch + (n, n), dtype, "dominant")
    a = kiln.asarray(x)
    close(la.det(a), np.linalg.det(x), dtype, 10)
    inv = np.asarray(la.inv(a))
    assert inv.dtype == dtype
    close(inv, np.linalg.inv(x), dtype)
    sign, logabsdet = la.slogdet(a)
    s_np, l_np = np.linalg.slogdet(x)
    assert np.asarray(logabsdet).dtype == np.dtype(dtype).type(0).real.dtype
    close(sign, s_np, dtype)
    close(logabsdet, l_np, dtype)
    b = random(seed + 1, batch + (n, 2), dtype)
    close(la.solve(a, kiln.asarray(b)), np.linalg.solve(x, b), dtype)
    v = random(seed + 2, (n,), dtype)
    expected = np.linalg.solve(x, np.broadcast_to(v[:, None], batch + (n, 1)))[..., 0]
    close(la.solve(a, kiln.asarray(v)), expected, dtype)


@given(cases(), st.booleans())
def test_cholesky_eigh_eigvalsh(case, upper):
    batch, _, n, dtype, seed = case
    x = random(seed, batch + (n, n), dtype, "hpd")
    expected = np.linalg.cholesky(x)
    if upper:
        expected = _h(expected)
    close(la.cholesky(kiln.asarray(x), upper=upper), expected, dtype, 10)
    h = random(seed, batch + (n, n), dtype, "hermitian")
    w, v = la.eigh(kiln.asarray(h))
    w, v = np.asarray(w), np.asarray(v)
    close(w, np.linalg.eigvalsh(h), dtype, 10)
    close(la.eigvalsh(kiln.asarray(h)), np.linalg.eigvalsh(h), dtype, 10)
    close(_h(v) @ v, _eye(batch, n), dtype, 10)
    close(h @ v, v * w[..., None, :], dtype, 10)
    result = la.eigh(kiln.asarray(h))
    assert isinstance(result, la.EighResult)
    assert result.eigenvalues.shape == batch + (n,)


@given(cases(square=False), st.booleans())
def test_qr_svd_svdvals(case, full):
    batch, m, n, dtype, seed = case
    x = random(seed, batch + (m, n), dtype)
    k = min(m, n)
    q, r = la.qr(kiln.asarray(x), mode="complete" if full else "reduced")
    q, r = np.asarray(q), np.asarray(r)
    q_np, r_np = np.linalg.qr(x, mode="complete" if full else "reduced")
    assert q.shape == q_np.shape and r.shape == r_np.shape
    close(q @ r, x, dtype, 10)
    close(_h(q) @ q, _eye(batch, q.shape[-1]), dtype, 10)
    assert np.all(np.tril(r, -1) == 0)
    close(np.abs(np.diagonal(r, axis1=-2, axis2=-1)), np.abs(np.diagonal(r_np, axis1=-2, axis2=-1)), dtype, 10)
    u, s, vh = (np.asarray(t) for t in la.svd(kiln.asarray(x), full_matrices=full))
    u_np, s_np, vh_np = np.linalg.svd(x, full_matrices=full)
    assert (u.shape, s.shape, vh.shape) == (u_np.shape, s_np.shape, vh_np.shape)
    close(s, s_np, dtype, 10)
    close(la.svdvals(kiln.asarray(x)), s_np, dtype, 10)
    close((u[..., :k] * s[..., None, :]) @ vh[..., :k, :], x, dtype, 10)
    close(_h(u) @ u, _eye(batch, u.shape[-1]), dtype, 10)
    close(vh @ _h(vh), _eye(batch, vh.shape[-2]), dtype, 10)


@given(cases(square=False), st.sampled_from(["fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf]), st.booleans())
def test_matrix_norm_rank_pinv(case, ord, keepdims):
    batch, m, n, dtype, seed = case
    if m == 0 or n == 0:
        return  # NumPy rejects norms of empty matrices other than 'fro'
    x = random(seed, batch + (m, n), dtype)
    a = kiln.asarray(x)
    close(la.matrix_norm(a, ord=ord, keepdims=keepdims), np.linalg.matrix_norm(x, ord=ord, keepdims=keepdims), dtype, 10)
    low_rank = x[..., :1] * np.ones(n, dtype)  # every column equal: rank 1
    assert np.array_equal(np.asarray(la.matrix_rank(kiln.asarray(low_rank))), np.linalg.matrix_rank(low_rank))
    assert np.array_equal(np.asarray(la.matrix_rank(a)), np.linalg.matrix_rank(x))
    close(la.pinv(a), np.linalg.pinv(x), dtype, 100)


@given(
    st.lists(st.integers(0, 4), min_size=1, max_size=3),
    st.sampled_from([1, 2, 3, 0.5, math.inf, -math.inf, 0, -1]),
    st.booleans(),
    st.sampled_from(DTYPES),
    st.integers(0, 2**32 - 1),
)
def test_vector_norm(shape, ord, keepdims, dtype, seed):
    x = random(seed, tuple(shape), dtype)
    axis = (-1,) if len(shape) > 1 and seed % 2 else None
    if x.size == 0 and ord in (math.inf, -math.inf):
        return  # max/min of nothing
    expected = np.linalg.vector_norm(x, axis=axis, ord=ord, keepdims=keepdims)
    got = la.vector_norm(kiln.asarray(x), axis=axis, ord=ord, keepdims=keepdims)
    close(got, expected, dtype, 10)
    assert np.asarray(got).dtype == expected.dtype


@given(cases(square=False), st.integers(-7, 7))
def test_diagonal_trace(case, offset):
    batch, m, n, dtype, seed = case
    x = random(seed, batch + (m, n), dtype)
    close(la.diagonal(kiln.asarray(x), offset=offset), np.diagonal(x, offset, -2, -1), dtype)
    close(la.trace(kiln.asarray(x), offset=offset), np.trace(x, offset, -2, -1), dtype, 10)
    ints = np.arange(np.prod(batch + (m, n)), dtype=np.int32).reshape(batch + (m, n))
    t = la.trace(kiln.asarray(ints), offset=offset)
    assert np.asarray(t).dtype == np.int64
    assert np.array_equal(np.asarray(t), np.trace(ints, offset, -2, -1, dtype=np.int64))


@given(st.integers(0, 2**32 - 1), st.sampled_from(DTYPES), st.integers(-3, 5))
def test_cross_outer_matrix_power(seed, dtype, power):
    a, b = random(seed, (4, 3), dtype), random(seed + 1, (3,), dtype)
    close(la.cross(kiln.asarray(a), kiln.asarray(b)), np.cross(a, b), dtype)
    close(la.cross(kiln.asarray(a.T), kiln.asarray(b[:, None]), axis=0), np.cross(a.T, b[:, None], axis=0), dtype)
    close(la.outer(kiln.asarray(a[0]), kiln.asarray(b)), np.outer(a[0], b), dtype)
    x = random(seed, (2, 3, 3), dtype, "dominant") / 4
    close(la.matrix_power(kiln.asarray(x), power), np.linalg.matrix_power(x, power), dtype, 10)


def test_namespace_and_results():
    assert hasattr(kiln, "linalg") and kiln.linalg is la
    for name in la.__all__:
        assert getattr(la, name).__doc__, name
    assert la.matmul is kiln.matmul and la.vecdot is kiln.vecdot
    x = kiln.asarray(np.array([[2.0, 1.0], [1.0, 3.0]]))
    assert isinstance(la.svd(x), la.SVDResult) and la.svd(x).Vh.shape == (2, 2)
    assert isinstance(la.qr(x), la.QRResult) and la.qr(x).R.shape == (2, 2)
    assert isinstance(la.slogdet(x), la.SlogdetResult)
    close(la.matrix_rank(x, rtol=0.9), [1], np.float64)
    close(la.matrix_rank(kiln.stack([x, x]), rtol=kiln.asarray([0.1, 0.9])), [2, 1], np.float64)
    close(la.pinv(x, rtol=1e-3), np.linalg.pinv(np.asarray(x), rtol=1e-3), np.float64)


def test_errors():
    ints = kiln.asarray(np.array([[1, 2], [3, 4]]))
    with pytest.raises(TypeError):
        la.inv(ints)
    with pytest.raises(TypeError):
        la.inv(np.eye(2))
    with pytest.raises(ValueError):
        la.det(kiln.ones((2, 3)))
    with pytest.raises(ValueError):
        la.eigh(kiln.ones(3))
    with pytest.raises(ValueError):
        la.qr(kiln.ones((2, 2)), mode="r")
    with pytest.raises(ValueError):
        la.matrix_norm(kiln.ones((2, 2)), ord=3)
    with pytest.raises(ValueError):
        la.cross(kiln.ones(4), kiln.ones(4))
    singular = kiln.asarray(np.array([[1.0, 2.0], [2.0, 4.0]]))
    with pytest.raises(ValueError, match="singular"):
        np.asarray(la.inv(singular))
    with pytest.raises(ValueError, match="singular"):
        np.asarray(la.solve(singular, kiln.ones(2, dtype=kiln.float64)))
    with pytest.raises(ValueError, match="positive definite"):
        np.asarray(la.cholesky(singular))
    assert float(la.det(singular)) == 0.0
    sign, logabsdet = la.slogdet(singular)
    assert float(sign) == 0.0 and float(logabsdet) == -math.inf
