"""DLPack and NumPy interchange without copies: round trips for every dtype and for strided views
on both sides, memory sharing, lifetimes (the producer's deleter runs exactly once), the capsule
protocol, the ``copy`` keywords, and bad arguments (an exception of the right type, never a
crash)."""

import gc
import sys
import threading

import numpy as np
import pytest
from conftest import assert_matches
from dlpack_producer import Producer, capsule_name, read_versioned
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import COMPLEX, FLOATS, INTS, arrays

import kiln
from kiln import _kiln

ALL = [np.bool_, *INTS, *FLOATS, *COMPLEX]


def address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def realized(values: np.ndarray) -> kiln.Array:
    """A kiln array with its own storage (a copy of ``values``)."""
    return kiln.asarray(values, copy=True).eval()


class Wrapper:
    """Hands out a capsule made elsewhere, so ``from_dlpack`` can be given the same one twice."""

    def __init__(self, capsule: object) -> None:
        self.capsule = capsule

    def __dlpack__(self, **kwargs: object) -> object:
        return self.capsule


# ---- export: kiln -> NumPy -------------------------------------------------------------------


def test_numpy_views_of_a_kiln_array_share_its_storage_read_only():
    x = realized(np.arange(12.0).reshape(3, 4))
    a = np.from_dlpack(x)
    b = np.asarray(x)
    assert address(a) == address(b)
    assert not a.flags.writeable and not b.flags.writeable
    with pytest.raises(ValueError):
        b[0, 0] = 1.0
    np.testing.assert_array_equal(a, np.arange(12.0).reshape(3, 4))


def test_export_evaluates_a_lazy_array():
    x = kiln.arange(6, dtype=kiln.int32) * 2
    np.testing.assert_array_equal(np.from_dlpack(x), np.arange(6, dtype=np.int32) * 2)
    assert x._raw.is_realized


def test_versioned_capsule_fields():
    x = realized(np.arange(24, dtype=np.int16).reshape(4, 6))
    capsule = x[1:, ::-2].eval().__dlpack__(max_version=(1, 1))
    assert capsule_name(capsule) == "dltensor_versioned"
    managed = read_versioned(capsule)
    tensor = managed.dl_tensor
    assert (managed.major, managed.minor) == (1, 1)
    assert managed.flags & 1  # READ_ONLY
    assert not managed.flags & 2  # not IS_COPIED
    assert (tensor.device_type, tensor.device_id) == (1, 0)
    assert (tensor.code, tensor.bits, tensor.lanes) == (0, 16, 1)
    assert tensor.ndim == 2
    assert [tensor.shape[i] for i in range(2)] == [3, 3]
    del capsule  # unconsumed: its destructor frees the export
    gc.collect()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({}, "dltensor"),
        ({"max_version": None}, "dltensor"),
        ({"max_version": (0, 8)}, "dltensor"),
        ({"max_version": (1, 0)}, "dltensor_versioned"),
        ({"max_version": (1, 1)}, "dltensor_versioned"),
        ({"max_version": (2, 0)}, "dltensor_versioned"),
        ({"max_version": (1, 1), "dl_device": (1, 0), "copy": False}, "dltensor_versioned"),
    ],
)
def test_capsule_kind_follows_max_version(kwargs, name):
    x = realized(np.arange(3.0))
    capsule = x.__dlpack__(**kwargs)
    assert capsule_name(capsule) == name
    np.testing.assert_array_equal(np.from_dlpack(Wrapper(capsule)), np.arange(3.0))
    assert capsule_name(capsule) == "used_" + name


def test_legacy_capsule_round_trips_through_kiln():
    n = np.arange(5, dtype=np.uint32)
    x = realized(n)
    y = kiln.from_dlpack(Wrapper(x.__dlpack__()))
    np.testing.assert_array_equal(np.asarray(y), n)


def test_copy_true_exports_a_writable_copy():
    x = realized(np.arange(4.0))
    a = np.from_dlpack(x, copy=True)
    assert a.flags.writeable
    assert not np.shares_memory(a, np.asarray(x))
    a[0] = 100.0
    np.testing.assert_array_equal(np.asarray(x), np.arange(4.0))
    capsule = x.__dlpack__(max_version=(1, 1), copy=True)
    assert read_versioned(capsule).flags & 2  # IS_COPIED


def test_numpy_copy_keywords():
    x = realized(np.arange(4, dtype=np.int64))
    shared = np.asarray(x, copy=False)
    assert address(shared) == address(np.asarray(x))
    copied = np.asarray(x, copy=True)
    assert copied.flags.writeable and not np.shares_memory(copied, shared)
    converted = np.asarray(x, dtype=np.float32)
    assert converted.dtype == np.float32 and converted.flags.writeable
    with pytest.raises(ValueError):
        np.asarray(x, dtype=np.float32, copy=False)
    np.testing.assert_array_equal(np.array(x), np.arange(4))


def test_zero_dimensional_and_empty_arrays():
    for n in [np.array(3.5), np.zeros((0, 3), np.int8), np.zeros((2, 0), np.complex64)]:
        x = realized(n)
        a = np.from_dlpack(x)
        assert a.shape == n.shape and a.dtype == n.dtype
        np.testing.assert_array_equal(a, n)
        back = kiln.from_dlpack(n)
        assert back.shape == n.shape
        np.testing.assert_array_equal(np.asarray(back), n)


# ---- kiln views exported, NumPy views imported ---------------------------------------------------

KILN_VIEWS = {
    "step": lambda x: x[::2],
    "negative step": lambda x: x[::-1, ::-3],
    "transpose": lambda x: x.T,
    "broadcast": lambda x: kiln.broadcast_to(x[0], (3, *x.shape[1:])),
    "lazy then sliced": lambda x: (x * 2)[1:, ::-2],
    "column": lambda x: x[:, 1],
}

NUMPY_VIEWS = {
    "step": lambda n: n[::2],
    "negative step": lambda n: n[::-1, ::-3],
    "transpose": lambda n: n.T,
    "broadcast": lambda n: np.broadcast_to(n[0], (3, *n.shape[1:])),
    "lazy then sliced": lambda n: (n * 2)[1:, ::-2],
    "column": lambda n: n[:, 1],
}


@pytest.mark.parametrize("view", list(KILN_VIEWS))
@pytest.mark.parametrize("dtype", ALL)
def test_kiln_views_export_and_come_back(view, dtype):
    n = (np.arange(24).reshape(4, 6) % 5).astype(dtype)
    expected = NUMPY_VIEWS[view](n)
    x = KILN_VIEWS[view](realized(n))
    exported = np.from_dlpack(x)
    assert exported.dtype == expected.dtype
    np.testing.assert_array_equal(exported, expected)
    back = kiln.from_dlpack(exported)
    assert address(np.asarray(back)) == address(exported)
    np.testing.assert_array_equal(np.asarray(back), expected)


@pytest.mark.parametrize("view", list(NUMPY_VIEWS))
@pytest.mark.parametrize("dtype", ALL)
def test_numpy_views_import_without_a_copy(view, dtype):
    n = (np.arange(24).reshape(4, 6) % 5).astype(dtype)
    v = NUMPY_VIEWS[view](n)
    x = kiln.asarray(v)
    out = np.asarray(x)
    if view != "lazy then sliced":  # (NumPy computed that one into a fresh array)
        assert np.shares_memory(out, n)
    assert address(out) == address(v)
    assert out.strides == v.strides
    np.testing.assert_array_equal(out, v)
    # Computing on the imported view reads the strided foreign memory in place.
    assert_matches(kiln.astype(x, kiln.complex128), v.astype(np.complex128))


@st.composite
def sliced(draw, dtype):
    """A NumPy array and a tuple of slices (steps of either sign) to view it through."""
    n = draw(arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6)))
    index = tuple(
        slice(
            draw(st.none() | st.integers(-d - 1, d + 1)),
            draw(st.none() | st.integers(-d - 1, d + 1)),
            draw(st.sampled_from([1, 2, 3, -1, -2])),
        )
        for d in n.shape
    )
    return n, index


@given(data=st.data(), dtype=st.sampled_from(ALL))
def test_random_views_round_trip_both_ways(data, dtype):
    n, index = data.draw(sliced(dtype))
    expected = n[index]
    # kiln view -> NumPy -> kiln
    x = realized(n)[index]
    exported = np.from_dlpack(x)
    np.testing.assert_array_equal(exported, expected)
    np.testing.assert_array_equal(np.asarray(kiln.from_dlpack(exported)), expected)
    # NumPy view -> kiln (no copy) -> NumPy
    y = kiln.asarray(expected)
    out = np.asarray(y)
    if expected.size:
        assert address(out) == address(expected)
    np.testing.assert_array_equal(out, expected)
    assert_matches(kiln.flip(y), np.flip(expected))


@given(n=st.sampled_from(ALL).flatmap(arrays))
def test_every_dtype_round_trips(n):
    x = kiln.from_dlpack(n)
    assert x.dtype.name == n.dtype.name
    out = np.from_dlpack(x)
    assert out.dtype == n.dtype
    np.testing.assert_array_equal(out, n)


# ---- lifetimes ---------------------------------------------------------------------------------


def test_kiln_array_outlives_the_numpy_name():
    n = np.arange(1000.0)
    x = kiln.asarray(n)
    del n
    gc.collect()
    np.testing.assert_array_equal(np.asarray(x), np.arange(1000.0))


def test_numpy_view_outlives_the_kiln_array():
    x = realized(np.arange(1000, dtype=np.int32))
    a = np.from_dlpack(x)
    del x
    gc.collect()
    kiln.eval(kiln.ones(1000) + 1)  # reuse of freed storage would show up here
    np.testing.assert_array_equal(a, np.arange(1000, dtype=np.int32))


def test_numpy_buffer_is_released_when_the_last_kiln_reference_drops():
    n = np.arange(10.0)
    before = sys.getrefcount(n)
    x = kiln.asarray(n)
    y = x[::2]
    assert sys.getrefcount(n) == before + 1  # one export, held by kiln's storage
    del x
    gc.collect()
    assert sys.getrefcount(n) == before + 1  # y still reads it
    del y
    gc.collect()
    assert sys.getrefcount(n) == before  # the deleter ran, once


def test_evaluation_releases_an_input_only_its_graph_held():
    n = np.arange(10.0)
    before = sys.getrefcount(n)
    y = kiln.asarray(n) + 1
    assert sys.getrefcount(n) == before + 1
    y.eval()  # the input node is dropped inside the GIL-free evaluation
    gc.collect()
    assert sys.getrefcount(n) == before
    np.testing.assert_array_equal(np.asarray(y), np.arange(10.0) + 1)


def test_reexported_import_keeps_the_producer_alive():
    n = np.arange(6.0)
    before = sys.getrefcount(n)
    x = kiln.asarray(n)
    capsule = x.__dlpack__(max_version=(1, 1))
    a = np.from_dlpack(x)
    del x
    gc.collect()
    assert sys.getrefcount(n) == before + 1
    del capsule  # an unconsumed capsule: its destructor runs kiln's deleter
    gc.collect()
    assert sys.getrefcount(n) == before + 1  # `a` still holds kiln's storage
    assert address(a) == address(n)
    del a
    gc.collect()
    assert sys.getrefcount(n) == before


def test_deleter_runs_exactly_once_after_a_zero_copy_import():
    buffer = np.arange(8, dtype=np.float32)
    p = Producer(buffer, (2, 4), (4, 1))
    x = kiln.from_dlpack(p)
    y = x.T
    assert p.deleted == 0
    np.testing.assert_array_equal(np.asarray(y), buffer.reshape(2, 4).T)
    del x, y
    gc.collect()
    assert p.deleted == 1


def test_deleter_runs_once_when_the_last_reference_drops_in_another_thread():
    buffer = np.arange(8, dtype=np.float64)
    p = Producer(buffer, (8,), None)
    holder = [kiln.from_dlpack(p) * 3]
    assert p.deleted == 0
    thread = threading.Thread(target=lambda: holder.pop().eval())
    thread.start()
    thread.join()
    gc.collect()
    assert p.deleted == 1


def test_deleter_runs_once_after_a_copy():
    buffer = np.arange(4, dtype=np.int64)
    p = Producer(buffer, (4,), (1,))
    x = kiln.from_dlpack(p, copy=True)
    assert p.deleted == 1  # copied, then released at once
    buffer[:] = 0
    np.testing.assert_array_equal(np.asarray(x), np.arange(4))
    assert p.deleted == 1


def test_legacy_producer_is_consumed_and_deleted_once():
    buffer = np.arange(6, dtype=np.uint16)
    p = Producer(buffer, (3, 2), None, versioned=False)
    capsule = p.capsule()
    x = kiln.from_dlpack(Wrapper(capsule))
    assert capsule_name(capsule) == "used_dltensor"
    del capsule
    gc.collect()
    assert p.deleted == 0
    np.testing.assert_array_equal(np.asarray(x), buffer.reshape(3, 2))
    del x
    gc.collect()
    assert p.deleted == 1


# ---- capsule protocol ----------------------------------------------------------------------------


def test_unconsumed_capsules_are_freed():
    x = realized(np.arange(100.0))
    for kwargs in [{}, {"max_version": (1, 1)}, {"copy": True}]:
        capsule = x.__dlpack__(**kwargs)
        del capsule
    gc.collect()
    np.testing.assert_array_equal(np.asarray(x), np.arange(100.0))


def test_a_capsule_is_consumed_once():
    x = realized(np.arange(3.0))
    wrapper = Wrapper(x.__dlpack__(max_version=(1, 1)))
    kiln.from_dlpack(wrapper)
    assert capsule_name(wrapper.capsule) == "used_dltensor_versioned"
    with pytest.raises(ValueError, match="already consumed"):
        kiln.from_dlpack(wrapper)
    with pytest.raises(ValueError, match="already consumed"):
        _kiln.from_dlpack(wrapper.capsule)


def test_a_rejected_capsule_stays_with_its_destructor():
    buffer = np.zeros(4, dtype=np.float16)
    p = Producer(buffer, (4,), None)
    capsule = p.capsule()
    with pytest.raises(TypeError, match="float16"):
        _kiln.from_dlpack(capsule)
    assert capsule_name(capsule) == "dltensor_versioned"  # not consumed
    assert p.deleted == 0
    del capsule
    gc.collect()
    assert p.deleted == 1


def test_a_future_major_version_is_refused_and_left_to_the_capsule():
    buffer = np.arange(3.0)
    p = Producer(buffer, (3,), None, version=(2, 0))
    capsule = p.capsule()
    with pytest.raises(BufferError, match="version 2.0"):
        _kiln.from_dlpack(capsule)
    del capsule
    gc.collect()
    assert p.deleted == 1


def test_not_a_capsule():
    with pytest.raises(TypeError, match="DLPack capsule"):
        _kiln.from_dlpack(object())
    with pytest.raises(TypeError, match="DLPack capsule"):
        kiln.from_dlpack(Wrapper(42))


# ---- copy semantics of asarray and from_dlpack ------------------------------------------------


def test_asarray_shares_numpy_memory_like_np_asarray():
    n = np.arange(5.0)
    x = kiln.asarray(n)
    assert address(np.asarray(x)) == address(n)
    n[0] = 42.0  # documented: visible, as through np.asarray
    assert float(x[0]) == 42.0


def test_asarray_copy_true_is_independent():
    n = np.arange(5.0)
    x = kiln.asarray(n, copy=True)
    n[0] = 42.0
    assert float(x[0]) == 0.0
    assert not np.shares_memory(np.asarray(x), n)


def test_asarray_copy_false():
    n = np.arange(6, dtype=np.int32).reshape(2, 3)[:, ::-1]
    x = kiln.asarray(n, copy=False)
    assert address(np.asarray(x)) == address(n)
    for needs_a_copy in [
        lambda: kiln.asarray([1, 2, 3], copy=False),
        lambda: kiln.asarray(3.0, copy=False),
        lambda: kiln.asarray(n, dtype=kiln.float64, copy=False),
        lambda: kiln.asarray(np.arange(3, dtype=">i4"), copy=False),
    ]:
        with pytest.raises(ValueError):
            needs_a_copy()


def test_asarray_converts_what_dlpack_cannot_carry():
    swapped = np.arange(4, dtype=">f8")
    np.testing.assert_array_equal(np.asarray(kiln.asarray(swapped)), np.arange(4.0))
    with pytest.raises(TypeError, match="float16"):
        kiln.asarray(np.zeros(2, np.float16))
    readonly = np.arange(3)
    readonly.flags.writeable = False
    x = kiln.asarray(readonly, copy=False)
    assert address(np.asarray(x)) == address(readonly)


def test_from_dlpack_copy_keywords():
    n = np.arange(4.0)
    shared = kiln.from_dlpack(n, copy=False)
    assert address(np.asarray(shared)) == address(n)
    copied = kiln.from_dlpack(n, copy=True)
    assert not np.shares_memory(np.asarray(copied), n)
    n[1] = -1.0
    assert float(shared[1]) == -1.0 and float(copied[1]) == 1.0
    x = realized(n)
    assert kiln.from_dlpack(x) is x
    assert kiln.from_dlpack(x, copy=True) is not x


def test_misaligned_memory_is_copied_unless_copy_is_false():
    raw = np.zeros(8 * 5, dtype=np.uint8)
    raw[1:33] = np.arange(4.0).view(np.uint8)
    p = Producer(raw, (4,), None, byte_offset=1, dtype=np.float64)
    x = kiln.from_dlpack(p)
    assert p.deleted == 1  # copied, then released
    np.testing.assert_array_equal(np.asarray(x), np.arange(4.0))
    p = Producer(raw, (4,), None, byte_offset=1, dtype=np.float64)
    capsule = p.capsule()
    with pytest.raises(ValueError, match="copy=False"):
        _kiln.from_dlpack(capsule, False)
    del capsule
    gc.collect()
    assert p.deleted == 1


def test_bool_bytes_other_than_zero_and_one_are_normalised():
    raw = np.array([0, 1, 2, 255], dtype=np.uint8)
    p = Producer(raw, (4,), None, dtype=np.bool_)
    x = kiln.from_dlpack(p)
    assert p.deleted == 1  # copied: kiln's bools are 0 or 1
    np.testing.assert_array_equal(np.asarray(x), [False, True, True, True])
    assert_matches(kiln.logical_not(x), np.array([True, False, False, False]))


def test_negative_strides_and_offsets_from_a_producer():
    buffer = np.arange(12, dtype=np.int32)
    # Element [0, 0] is buffer[11]; rows step back by 4, columns by 1.
    p = Producer(buffer, (3, 4), (-4, -1), byte_offset=11 * 4)
    x = kiln.from_dlpack(p)
    np.testing.assert_array_equal(np.asarray(x), buffer[::-1].reshape(3, 4))
    assert_matches(kiln.sum(x, axis=0), buffer[::-1].reshape(3, 4).sum(axis=0))


# ---- bad arguments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"stream": 1}, ValueError),
        ({"stream": -1}, ValueError),
        ({"dl_device": (2, 0)}, BufferError),
        ({"dl_device": (1, 1)}, BufferError),
        ({"dl_device": "cpu"}, TypeError),
        ({"max_version": "11"}, TypeError),
        ({"max_version": (1,)}, TypeError),
        ({"copy": "yes"}, TypeError),
    ],
)
def test_bad_export_arguments(kwargs, error):
    x = realized(np.arange(3.0))
    with pytest.raises(error):
        x.__dlpack__(**kwargs)


def test_dlpack_device():
    assert realized(np.arange(3.0)).__dlpack_device__() == (1, 0)


def test_bad_import_inputs():
    with pytest.raises(AttributeError, match="__dlpack__"):
        kiln.from_dlpack([1, 2, 3])
    with pytest.raises(ValueError):
        kiln.from_dlpack(np.arange(3.0), device="tpu")
    with pytest.raises(RuntimeError, match="no CUDA device available"):
        kiln.from_dlpack(np.arange(3.0), device="cuda:4096")


def test_foreign_devices_are_refused():
    buffer = np.arange(3.0)
    gpu = Producer(buffer, (3,), None, device=(2, 0))
    with pytest.raises(BufferError):
        kiln.from_dlpack(gpu)  # asks for a CPU copy, which this producer cannot make
    with pytest.raises(ValueError, match="copy=False"):
        kiln.from_dlpack(gpu, copy=False)
    # A capsule on a device kiln cannot read (7: kDLVulkan).
    liar = Producer(buffer, (3,), None, claimed_device=(7, 0))
    capsule = liar.capsule()
    with pytest.raises(BufferError, match="CPU"):
        _kiln.from_dlpack(capsule)
    del capsule
    gc.collect()
    assert liar.deleted == 1
    # A capsule that claims CUDA memory but holds host memory: with no CUDA device kiln says so
    # and leaves the capsule alone; on a GPU machine the driver does not know the address. The
    # tensor is released exactly once either way.
    liar = Producer(buffer, (3,), None, claimed_device=(2, 0))
    capsule = liar.capsule()
    with pytest.raises((RuntimeError, BufferError), match="CUDA|cuda"):
        _kiln.from_dlpack(capsule)
    del capsule
    gc.collect()
    assert liar.deleted == 1


def test_torch_exchange():
    torch = pytest.importorskip("torch")
    t = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    x = kiln.from_dlpack(t)
    assert address(np.asarray(x)) == t.data_ptr()
    np.testing.assert_array_equal(np.asarray(x), t.numpy())
    back = torch.from_dlpack(x[:, ::-1].eval())
    assert torch.equal(back, torch.flip(t, dims=[1]))
    u = torch.from_dlpack(realized(np.arange(5, dtype=np.int64)))
    assert u.tolist() == [0, 1, 2, 3, 4]
