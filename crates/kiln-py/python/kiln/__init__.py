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

from . import _kiln
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
from ._statistical import *  # noqa: F403
from ._statistical import __all__ as _statistical_all

__array_api_version__ = "2024.12"

e = _math.e
pi = _math.pi
inf = _math.inf
nan = _math.nan
newaxis = None

__all__ = sorted(
    {
        "Array",
        "CPU",
        "Device",
        "__array_api_version__",
        "__array_namespace_info__",
        "e",
        "eval",
        "explain",
        "inf",
        "nan",
        "newaxis",
        "pi",
        *_creation_all,
        *_dtype_functions_all,
        *_dtypes_all,
        *_elementwise_all,
        *_linalg_all,
        *_manipulation_all,
        *_statistical_all,
    }
)
