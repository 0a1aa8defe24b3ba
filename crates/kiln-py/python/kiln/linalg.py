"""The Array API ``linalg`` extension: ``kiln.linalg.inv(x)``, ``kiln.linalg.svd(x)``, ...

Factorisations (cholesky, det, slogdet, inv, solve, qr, eig, eigvals, eigh, eigvalsh, svd,
svdvals) are lazy
library nodes computed by faer on the CPU, batched over leading dimensions; everything else is
built from existing graph operations. Results with several parts are named tuples whose arrays
share one factorisation. A singular matrix (inv, solve) or a matrix that is not positive
definite (cholesky), and a matrix with NaN or infinite entries for eig/eigvals, raises
``ValueError`` when the result is evaluated, as NumPy raises
``LinAlgError`` (a ``ValueError``).

Invariant: shape and dtype rules are the facade's; this module only normalises arguments
(``axis``, ``ord``, ``mode``) and wraps results.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from . import _kiln
from ._args import axes as _axes
from ._args import check_array as _check_array
from ._args import integer as _integer
from ._array import Array, _wrap
from ._dtypes import DType, _dtype_name
from ._linalg import matmul, matrix_transpose, tensordot, vecdot

__all__ = [
    "EigResult",
    "EighResult",
    "QRResult",
    "SVDResult",
    "SlogdetResult",
    "cholesky",
    "cross",
    "det",
    "diagonal",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "inv",
    "matmul",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "matrix_transpose",
    "outer",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "tensordot",
    "trace",
    "vecdot",
    "vector_norm",
]


class EigResult(NamedTuple):
    eigenvalues: Array
    eigenvectors: Array


class EighResult(NamedTuple):
    eigenvalues: Array
    eigenvectors: Array


class QRResult(NamedTuple):
    Q: Array
    R: Array


class SVDResult(NamedTuple):
    U: Array
    S: Array
    Vh: Array


class SlogdetResult(NamedTuple):
    sign: Array
    logabsdet: Array


def cholesky(x: Array, /, *, upper: bool = False) -> Array:
    """The Cholesky factor ``L`` (``x = L @ L^H``), or ``U = L^H`` when ``upper``."""
    _check_array(x, "cholesky")
    return _wrap(_kiln.linalg_cholesky(x._raw, bool(upper)))


def cross(x1: Array, x2: Array, /, *, axis: int = -1) -> Array:
    """The cross product of 3-element vectors along ``axis`` (operands broadcast)."""
    _check_array(x1, "cross")
    _check_array(x2, "cross")
    return _wrap(_kiln.linalg_cross(x1._raw, x2._raw, _integer(axis, "axis")))


def det(x: Array, /) -> Array:
    """The determinant of each matrix."""
    _check_array(x, "det")
    return _wrap(_kiln.linalg_det(x._raw))


def diagonal(x: Array, /, *, offset: int = 0) -> Array:
    """The ``offset``-th diagonal of each matrix (a view)."""
    _check_array(x, "diagonal")
    return _wrap(_kiln.linalg_diagonal(x._raw, _integer(offset, "offset")))


def eig(x: Array, /) -> EigResult:
    """Eigenvalues and eigenvectors (columns of unit norm) of general square matrices.

    Both are complex (``complex64`` for ``float32`` and ``complex64`` inputs, ``complex128`` for
    ``float64`` and ``complex128``) and come in no particular order.
    """
    _check_array(x, "eig")
    values, vectors = _kiln.linalg_eig(x._raw)
    return EigResult(_wrap(values), _wrap(vectors))


def eigvals(x: Array, /) -> Array:
    """Eigenvalues of general square matrices (complex; see ``eig``)."""
    _check_array(x, "eigvals")
    return _wrap(_kiln.linalg_eigvals(x._raw))


def eigh(x: Array, /) -> EighResult:
    """Ascending eigenvalues and eigenvectors (columns) of Hermitian matrices."""
    _check_array(x, "eigh")
    values, vectors = _kiln.linalg_eigh(x._raw)
    return EighResult(_wrap(values), _wrap(vectors))


def eigvalsh(x: Array, /) -> Array:
    """Ascending eigenvalues of Hermitian matrices."""
    _check_array(x, "eigvalsh")
    return _wrap(_kiln.linalg_eigvalsh(x._raw))


def inv(x: Array, /) -> Array:
    """The inverse of each matrix (``ValueError`` at evaluation if one is singular)."""
    _check_array(x, "inv")
    return _wrap(_kiln.linalg_inv(x._raw))


_MATRIX_ORDS = {
    "fro": "fro",
    "nuc": "nuc",
    1: "1",
    -1: "-1",
    2: "2",
    -2: "-2",
    math.inf: "inf",
    -math.inf: "-inf",
}


def matrix_norm(
    x: Array, /, *, keepdims: bool = False, ord: int | float | str | None = "fro"
) -> Array:
    """Frobenius, nuclear, 1, -1, 2, -2, inf or -inf norm of each matrix."""
    _check_array(x, "matrix_norm")
    if ord is None:
        ord = "fro"
    if isinstance(ord, bool) or ord not in _MATRIX_ORDS:
        raise ValueError(f"matrix_norm: unsupported ord {ord!r}")
    return _wrap(_kiln.linalg_matrix_norm(x._raw, bool(keepdims), _MATRIX_ORDS[ord]))


def matrix_power(x: Array, n: int, /) -> Array:
    """``x`` multiplied by itself ``n`` times (the identity for 0, powers of ``inv(x)`` for
    negative ``n``)."""
    _check_array(x, "matrix_power")
    return _wrap(_kiln.linalg_matrix_power(x._raw, _integer(n, "n")))


def _rtol(rtol: float | Array | None) -> _kiln.RawArray | float | None:
    if rtol is None or isinstance(rtol, Array):
        return None if rtol is None else rtol._raw
    if isinstance(rtol, bool) or not isinstance(rtol, (int, float)):
        raise TypeError(f"rtol must be a real number or an array, got {rtol!r}")
    return float(rtol)


def matrix_rank(x: Array, /, *, rtol: float | Array | None = None) -> Array:
    """The number of singular values above ``rtol`` times the largest (int64)."""
    _check_array(x, "matrix_rank")
    return _wrap(_kiln.linalg_matrix_rank(x._raw, _rtol(rtol)))


def outer(x1: Array, x2: Array, /) -> Array:
    """The outer product of two vectors."""
    _check_array(x1, "outer")
    _check_array(x2, "outer")
    return _wrap(_kiln.linalg_outer(x1._raw, x2._raw))


def pinv(x: Array, /, *, rtol: float | Array | None = None) -> Array:
    """The Moore-Penrose pseudo-inverse (singular values up to ``rtol`` times the largest are
    treated as zero)."""
    _check_array(x, "pinv")
    return _wrap(_kiln.linalg_pinv(x._raw, _rtol(rtol)))


def qr(x: Array, /, *, mode: str = "reduced") -> QRResult:
    """``x = Q @ R``; ``mode`` is ``'reduced'`` or ``'complete'``."""
    _check_array(x, "qr")
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr mode must be 'reduced' or 'complete', got {mode!r}")
    q, r = _kiln.linalg_qr(x._raw, mode == "complete")
    return QRResult(_wrap(q), _wrap(r))


def slogdet(x: Array, /) -> SlogdetResult:
    """The sign and the natural log of the absolute value of the determinant."""
    _check_array(x, "slogdet")
    sign, logabsdet = _kiln.linalg_slogdet(x._raw)
    return SlogdetResult(_wrap(sign), _wrap(logabsdet))


def solve(x1: Array, x2: Array, /) -> Array:
    """``X`` with ``x1 @ X == x2`` (``x2`` a stack of matrices or one vector)."""
    _check_array(x1, "solve")
    _check_array(x2, "solve")
    return _wrap(_kiln.linalg_solve(x1._raw, x2._raw))


def svd(x: Array, /, *, full_matrices: bool = True) -> SVDResult:
    """``x = U @ diag(S) @ Vh`` with descending singular values."""
    _check_array(x, "svd")
    u, s, vh = _kiln.linalg_svd(x._raw, bool(full_matrices))
    return SVDResult(_wrap(u), _wrap(s), _wrap(vh))


def svdvals(x: Array, /) -> Array:
    """Descending singular values."""
    _check_array(x, "svdvals")
    return _wrap(_kiln.linalg_svdvals(x._raw))


def trace(x: Array, /, *, offset: int = 0, dtype: DType | None = None) -> Array:
    """The sum of the ``offset``-th diagonal (dtype rules of ``sum``)."""
    _check_array(x, "trace")
    return _wrap(_kiln.linalg_trace(x._raw, _integer(offset, "offset"), _dtype_name(dtype)))


def vector_norm(
    x: Array,
    /,
    *,
    axis: int | tuple[int, ...] | None = None,
    keepdims: bool = False,
    ord: int | float = 2,
) -> Array:
    """The ``ord``-norm over ``axis`` (all axes if None)."""
    _check_array(x, "vector_norm")
    if isinstance(ord, bool) or not isinstance(ord, (int, float)):
        raise TypeError(f"vector_norm ord must be a real number, got {ord!r}")
    return _wrap(_kiln.linalg_vector_norm(x._raw, _axes(axis), bool(keepdims), float(ord)))
