"""Bad input raises the exception type an Array API / NumPy user expects (ValueError,
TypeError, IndexError, MemoryError), never a PanicException or another BaseException."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kiln


def a(values, dtype=None):
    return kiln.asarray(values, dtype=dtype)


CASES = [
    # (description, call, expected exception)
    ("broadcast mismatch", lambda: a([1, 2, 3]) + a([1, 2]), ValueError),
    ("matmul shapes", lambda: kiln.matmul(kiln.ones((2, 3)), kiln.ones((2, 3))), ValueError),
    ("matmul rank 0", lambda: kiln.matmul(a(1.0), a(1.0)), ValueError),
    ("reshape size", lambda: kiln.reshape(kiln.ones((2, 3)), (4,)), ValueError),
    ("axis out of range", lambda: kiln.sum(kiln.ones((2, 3)), axis=2), IndexError),
    ("repeated axis", lambda: kiln.sum(kiln.ones((2, 3)), axis=(0, 0)), ValueError),
    ("index out of range", lambda: kiln.ones((2, 3))[2], IndexError),
    ("too many indices", lambda: kiln.ones((2,))[0, 0], IndexError),
    ("two ellipses", lambda: kiln.ones((2,))[..., ...], IndexError),
    ("float index", lambda: kiln.ones((2,))[1.5], IndexError),
    ("array index out of range", lambda: kiln.ones((2,))[a([0, 2])], IndexError),
    ("float array index", lambda: kiln.ones((2,))[a([0.0])], IndexError),
    ("mask of the wrong length", lambda: kiln.ones((2,))[a([True, False, True])], IndexError),
    ("zero step", lambda: kiln.ones((2,))[::0], ValueError),
    ("sin of bool", lambda: kiln.sin(a([True])), TypeError),
    ("bitwise on floats", lambda: kiln.bitwise_and(a([1.0]), a([2.0])), TypeError),
    ("logical_not of ints", lambda: kiln.logical_not(a([1])), TypeError),
    ("two scalars", lambda: kiln.add(1, 2), TypeError),
    ("string operand", lambda: kiln.add(a([1]), "x"), TypeError),
    ("list operand to a unary function", lambda: kiln.sin([1.0]), TypeError),
    ("unknown dtype", lambda: kiln.zeros((2,), dtype="float32"), TypeError),
    ("numpy dtype object", lambda: kiln.zeros((2,), dtype=np.float32), TypeError),
    ("float16 input", lambda: kiln.asarray(np.zeros(2, dtype=np.float16)), TypeError),
    ("object input", lambda: kiln.asarray([{}]), TypeError),
    ("scalar out of range", lambda: a([1], kiln.int8) + 1000, ValueError),
    ("python int beyond int64", lambda: a([1]) + 2**70, ValueError),
    ("negative shape", lambda: kiln.zeros((-1,)), ValueError),
    ("float shape", lambda: kiln.zeros((1.5,)), TypeError),
    ("empty max", lambda: kiln.max(kiln.ones((0,))), ValueError),
    ("empty argmax", lambda: kiln.argmax(kiln.ones((0,))), ValueError),
    ("cumulative_sum without axis", lambda: kiln.cumulative_sum(kiln.ones((2, 2))), ValueError),
    ("arange zero step", lambda: kiln.arange(0, 5, 0), ValueError),
    ("arange huge", lambda: kiln.arange(0, 2**62), MemoryError),
    ("shape overflowing usize", lambda: kiln.ones((2**40, 2**40)), MemoryError),
    ("broadcast overflowing usize", lambda: kiln.broadcast_to(kiln.ones((1, 1)), (2**40, 2**40)), MemoryError),
    ("huge eye", lambda: kiln.eye(2**31, 2**31).eval(), MemoryError),
    ("squeeze non-one axis", lambda: kiln.squeeze(kiln.ones((2, 3)), axis=0), ValueError),
    ("permute bad axes", lambda: kiln.permute_dims(kiln.ones((2, 3)), (0,)), ValueError),
    ("unknown device", lambda: kiln.zeros((2,), device="tpu"), ValueError),
    ("missing device", lambda: kiln.zeros((2,), device="cuda:4096"), RuntimeError),
    ("bool of many", lambda: bool(kiln.ones((3,))), ValueError),
    ("int of complex", lambda: int(a(1j)), TypeError),
    ("setitem float into int", lambda: kiln.ones((3,), dtype=kiln.int32).__setitem__(0, 1.0), TypeError),
    ("T of 3-d", lambda: kiln.ones((2, 2, 2)).T, ValueError),
    ("mT of 1-d", lambda: kiln.ones((2,)).mT, ValueError),
    ("copy=False from a list", lambda: kiln.asarray([1.0, 2.0], copy=False), ValueError),
    ("copy=False byte-swapped", lambda: kiln.asarray(np.ones(2, ">f8"), copy=False), ValueError),
    ("from_dlpack of a list", lambda: kiln.from_dlpack([1, 2]), AttributeError),
    ("dlpack stream on cpu", lambda: kiln.ones(2).__dlpack__(stream=1), ValueError),
    ("dlpack to cuda", lambda: kiln.ones(2).__dlpack__(dl_device=(2, 0)), BufferError),
    ("float16 via dlpack", lambda: kiln.from_dlpack(np.ones(2, np.float16)), TypeError),
    ("isdtype bad kind", lambda: kiln.isdtype(kiln.int8, "fancy"), ValueError),
    ("finfo of int", lambda: kiln.finfo(kiln.int8), TypeError),
    ("api version", lambda: kiln.ones(1).__array_namespace__(api_version="1999.01"), ValueError),
    ("Array constructor", lambda: kiln.Array([1, 2]), TypeError),
]


@pytest.mark.parametrize("description,call,expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_the_expected_exception(description, call, expected):
    with pytest.raises(expected):
        call()


FUNCTIONS = ["sin", "add", "sum", "matmul", "reshape", "permute_dims", "where", "astype", "clip", "vecdot", "tensordot", "flip", "squeeze", "expand_dims", "broadcast_to"]
JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=3),
    st.lists(st.integers(-3, 3), max_size=3), st.tuples(st.integers(-3, 3)),
    st.sampled_from([kiln.float32, kiln.int8, kiln.bool]),
    st.builds(lambda s: kiln.ones(s), st.lists(st.integers(0, 3), max_size=3).map(tuple)),
)


@given(name=st.sampled_from(FUNCTIONS), args=st.lists(JUNK, max_size=3))
def test_junk_arguments_never_escape_as_panics(name, args):
    """Random arguments either work or raise an ordinary Exception (a PanicException derives
    from BaseException, so it would escape this `except Exception`)."""
    try:
        result = getattr(kiln, name)(*args)
        if isinstance(result, kiln.Array):
            result.eval()
    except (ValueError, TypeError, IndexError, MemoryError, OverflowError, NotImplementedError):
        pass
