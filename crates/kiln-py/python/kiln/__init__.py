"""kiln: a lazy array compiler with an Array API namespace.

    import kiln as xp
    x = xp.linspace(0, 1, 1_000_000, dtype=xp.float32)
    y = xp.log(xp.sin(x) + 5)      # builds a graph; nothing runs yet
    y.eval()                        # optimise (egg), fuse, compile (cranelift), run
    print(xp.explain(xp.sum(y)))    # the text of every pipeline stage

The namespace follows the Python Array API standard; arrays are immutable and lazy, and
anything that needs values (printing, ``bool(x)``, ``np.asarray(x)``) evaluates them.
"""

from __future__ import annotations

import math as _math

from . import _kiln, fft, linalg
from ._array import Array
from ._creation import *  # noqa: F403
from ._creation import __all__ as _creation_all
from ._data_type_functions import *  # noqa: F403
from ._data_type_functions import __all__ as _dtype_functions_all
from ._device import CPU, Device
from ._dtypes import *  # noqa: F403
from ._dtypes import __all__ as _dtypes_all
from ._elementwise import *  # noqa: F403
from ._elementwise import __all__ as _elementwise_all
from ._info import __array_namespace_info__
from ._linalg import *  # noqa: F403
from ._linalg import __all__ as _linalg_all
from ._manipulation import *  # noqa: F403
from ._manipulation import __all__ as _manipulation_all
from ._pipeline import eval, explain
from ._searching import *  # noqa: F403
from ._searching import __all__ as _searching_all
from ._statistical import *  # noqa: F403
from ._statistical import __all__ as _statistical_all

__array_api_version__ = "2025.12"

e = _math.e
pi = _math.pi
inf = _math.inf
nan = _math.nan
newaxis = None

# A literal list (not computed) so static checkers read it: under ``mypy --strict`` a name is
# re-exported only if __all__ lists it. tests/test_namespace.py checks it equals the union of
# the submodules' __all__ plus the constants and re-exports above.
__all__ = [
    "Array",
    "CPU",
    "DType",
    "Device",
    "__array_api_version__",
    "__array_namespace_info__",
    "abs",
    "acos",
    "acosh",
    "add",
    "all",
    "any",
    "arange",
    "argmax",
    "argmin",
    "argsort",
    "asarray",
    "asin",
    "asinh",
    "astype",
    "atan",
    "atan2",
    "atanh",
    "bitwise_and",
    "bitwise_invert",
    "bitwise_left_shift",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "bool",
    "broadcast_arrays",
    "broadcast_shapes",
    "broadcast_to",
    "can_cast",
    "ceil",
    "clip",
    "complex128",
    "complex64",
    "concat",
    "conj",
    "copysign",
    "cos",
    "cosh",
    "count_nonzero",
    "cumulative_prod",
    "cumulative_sum",
    "diff",
    "divide",
    "e",
    "empty",
    "empty_like",
    "equal",
    "eval",
    "exp",
    "expand_dims",
    "explain",
    "expm1",
    "eye",
    "finfo",
    "flip",
    "float32",
    "float64",
    "floor",
    "floor_divide",
    "from_dlpack",
    "full",
    "full_like",
    "greater",
    "greater_equal",
    "hypot",
    "iinfo",
    "imag",
    "inf",
    "int16",
    "int32",
    "int64",
    "int8",
    "isdtype",
    "isfinite",
    "isin",
    "isinf",
    "isnan",
    "less",
    "less_equal",
    "linspace",
    "log",
    "log10",
    "log1p",
    "log2",
    "logaddexp",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "matmul",
    "matrix_transpose",
    "max",
    "maximum",
    "mean",
    "meshgrid",
    "min",
    "minimum",
    "moveaxis",
    "multiply",
    "nan",
    "negative",
    "newaxis",
    "nextafter",
    "nonzero",
    "not_equal",
    "ones",
    "ones_like",
    "permute_dims",
    "pi",
    "positive",
    "pow",
    "prod",
    "real",
    "reciprocal",
    "remainder",
    "repeat",
    "reshape",
    "result_type",
    "roll",
    "round",
    "searchsorted",
    "sign",
    "signbit",
    "sin",
    "sinh",
    "sort",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "subtract",
    "sum",
    "take",
    "take_along_axis",
    "tan",
    "tanh",
    "tensordot",
    "tile",
    "tril",
    "triu",
    "trunc",
    "uint16",
    "uint32",
    "uint64",
    "uint8",
    "unique_all",
    "unique_counts",
    "unique_inverse",
    "unique_values",
    "unstack",
    "var",
    "vecdot",
    "where",
    "zeros",
    "zeros_like",
]
