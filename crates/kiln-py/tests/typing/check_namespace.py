"""A user's view of ``kiln`` for a static type checker (not a pytest module: no ``test_`` prefix).

Run, with kiln installed in VENV (e.g. by run_tests.sh) and mypy anywhere:
    mypy --strict --python-executable VENV/bin/python crates/kiln-py/tests/typing/check_namespace.py
(plain --strict: kiln/__init__.py has a literal __all__, and kiln/_elementwise.pyi declares the
elementwise functions generated at import time.) Invariant: it type-checks cleanly, so the
installed package's annotations, ``py.typed`` and the stubs give editors precise types for
ordinary code.
"""

from __future__ import annotations

import numpy as np

import kiln as xp
from kiln import _kiln


def creation() -> list[xp.Array]:
    a: xp.Array = xp.zeros((2, 3), dtype=xp.float32)
    b: xp.Array = xp.ones(4)
    c: xp.Array = xp.arange(0, 10, 2, dtype=xp.int64)
    d: xp.Array = xp.linspace(0.0, 1.0, 5)
    e: xp.Array = xp.asarray([[1.0, 2.0], [3.0, 4.0]])
    f: xp.Array = xp.full((2, 2), 7, dtype=xp.int32)
    g: xp.Array = xp.eye(3, k=1)
    return [a, b, c, d, e, f, g]


def attributes(x: xp.Array) -> tuple[xp.DType, tuple[int, ...], int, int]:
    return x.dtype, x.shape, x.ndim, x.size


def reductions(x: xp.Array) -> list[xp.Array]:
    info = xp.__array_namespace_info__()
    assert info.default_dtypes()["real floating"] == xp.float64 and xp.CPU in info.devices()
    assert x.device == xp.CPU and x.to_device(xp.CPU) is x
    return [
        xp.sum(x),
        xp.sum(x, axis=0, keepdims=True),
        xp.mean(x, axis=(0, 1)),
        xp.max(x),
        xp.std(x, correction=1.0),
        xp.argmax(x, axis=1),
        xp.cumulative_sum(x, axis=0),
    ]


def manipulation_and_linalg(x: xp.Array) -> list[xp.Array]:
    return [
        xp.reshape(x, (3, 2)),
        xp.permute_dims(x, (1, 0)),
        xp.matmul(x, x.mT),
        xp.tensordot(x, x, axes=2),
        xp.astype(x, xp.float64),
        x.T,
        x[0, 1:],
    ]


def elementwise_and_operators(x: xp.Array) -> list[xp.Array]:
    y: xp.Array = (x * 2 - 1) / 3**x
    y += 1
    z: xp.Array = (x > 0) & (x <= 1.5)
    w: xp.Array = x == 1.0
    s: xp.Array = xp.log(xp.sin(x) + 5)
    c: xp.Array = xp.clip(x, 0.5, max=2)
    m: xp.Array = xp.where(z, x, 0.0)
    a: xp.Array = xp.add(1, x)
    p: xp.Array = xp.pow(x, xp.asarray(2.0))
    q: xp.Array = xp.logical_not(xp.isnan(x))
    return [y, z, w, s, c, m, a, p, q, -x, abs(x), x @ x.mT, x // 2 % 3, 1.0 - x, ~(x > 1)]


def dtypes(x: xp.Array) -> tuple[xp.DType, bool, bool]:
    promoted: xp.DType = xp.result_type(x, xp.int8)
    return promoted, xp.can_cast(xp.int8, xp.float32), xp.isdtype(x.dtype, "real floating")


def evaluation(x: xp.Array) -> str:
    y = xp.sum(x)
    y.eval()
    one: xp.Array = xp.eval(y)
    both: tuple[xp.Array, ...] = xp.eval(y, x)
    assert one is y and len(both) == 2
    assert x.eval() is x
    values = np.asarray(y)
    assert values.shape == ()
    return xp.explain(y)


def scalars(x: xp.Array) -> tuple[float, int, bool]:
    return float(xp.sum(x)), int(xp.argmax(x)), bool(xp.all(x))


def extension(raw: _kiln.RawArray) -> tuple[str, list[int], _kiln.RawArray, str]:
    doubled = _kiln.multiply(raw, 2)
    total = _kiln.sum(doubled, None, False)
    return raw.dtype, raw.shape, total, _kiln.promote("int8", "float32")


def main() -> None:
    x = xp.reshape(xp.arange(6, dtype=xp.float64), (2, 3))
    print(len(creation()), attributes(x), len(reductions(x)), len(manipulation_and_linalg(x)),
          len(elementwise_and_operators(x)))
    print(dtypes(x), evaluation(x)[:10], scalars(x))


if __name__ == "__main__":
    main()
