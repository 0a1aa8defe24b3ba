"""Devices: names, ``devices()``, ``to_device``, ``device=`` arguments, and arrays on a CUDA
device against NumPy.

Without a GPU the CUDA tests check that the device is refused with a clear ``RuntimeError`` and
then skip; with ``KILN_REQUIRE_GPU`` set (as ``benches/gpu/run.sh`` does on the GPU machine) a
missing device fails them instead.
"""

import os

import numpy as np
import pytest
from conftest import assert_matches
from hypothesis import given
from hypothesis import strategies as st

import kiln

INFO = kiln.__array_namespace_info__()
CUDA = [d for d in INFO.devices() if d.name.startswith("cuda:")]
MISSING = "cuda:4096"  # no machine has this many


def cuda_or_skip() -> kiln.Device:
    if CUDA:
        return CUDA[0]
    if os.environ.get("KILN_REQUIRE_GPU"):
        pytest.fail("KILN_REQUIRE_GPU is set but kiln sees no CUDA device")
    with pytest.raises(RuntimeError, match="no CUDA device available"):
        kiln.zeros(2, device="cuda:0")
    pytest.skip("no CUDA device on this machine (refused with a RuntimeError, as checked)")


def test_devices_lists_the_cpu_first_then_each_cuda_device():
    devices = INFO.devices()
    assert devices[0] is kiln.CPU and INFO.default_device() is kiln.CPU
    assert [d.name for d in devices[1:]] == [f"cuda:{i}" for i in range(len(devices) - 1)]
    for d in devices:
        assert kiln.zeros(2, device=d).device == d
        assert isinstance(INFO.dtypes(device=d), dict)


def test_names_and_objects_name_the_same_device():
    x = kiln.arange(3.0)
    assert x.device is kiln.CPU
    assert x.to_device("cpu") is x and x.to_device(kiln.CPU) is x
    assert kiln.asarray([1, 2], device="cpu").device is kiln.CPU
    assert kiln.Device("cpu") == kiln.CPU and hash(kiln.Device("cpu")) == hash(kiln.CPU)


@pytest.mark.parametrize("bad", ["tpu", "cuda:x", "cuda:-1", "CPU", 3, object()])
def test_unknown_devices_are_value_errors(bad):
    with pytest.raises(ValueError):
        kiln.ones(2, device=bad)
    with pytest.raises(ValueError):
        kiln.arange(3.0).to_device(bad)


def test_a_missing_cuda_device_is_a_runtime_error_and_changes_nothing():
    x = kiln.arange(4.0) * 2.0
    for call in (
        lambda: x.to_device(MISSING),
        lambda: kiln.asarray(np.arange(3.0), device=MISSING),
        lambda: kiln.zeros_like(x, device=kiln.Device(MISSING)),
        lambda: kiln.astype(x, kiln.float32, device=MISSING),
        lambda: kiln.fft.fftfreq(4, device=MISSING),
    ):
        with pytest.raises(RuntimeError, match="no CUDA device available"):
            call()
    assert not x._raw.is_realized
    assert_matches(x, np.arange(4.0) * 2.0)


def test_like_functions_keep_the_device_of_their_input():
    x = kiln.ones((2, 3), dtype=kiln.float32)
    for made in (kiln.zeros_like(x), kiln.ones_like(x), kiln.empty_like(x), kiln.full_like(x, 7)):
        assert made.device is kiln.CPU and made.shape == (2, 3)


# ---- on a CUDA device (the GPU machine) ---------------------------------------------------


def test_cuda_arrays_move_and_compute_like_numpy():
    dev = cuda_or_skip()
    a = np.linspace(-3, 3, 4097 * 3).reshape(3, 4097).astype(np.float32)
    x = kiln.asarray(a, device=dev)
    assert x.device == dev
    y = kiln.exp(x - kiln.max(x, axis=1, keepdims=True))
    soft = y / kiln.sum(y, axis=1, keepdims=True)
    assert soft.device == dev
    e = np.exp(a - a.max(axis=1, keepdims=True))
    assert_matches(soft.to_device(kiln.CPU), e / e.sum(axis=1, keepdims=True))
    prod = kiln.matmul(x[:, :64], kiln.matrix_transpose(x[:, :64]))
    assert prod.device == dev
    np.testing.assert_allclose(
        np.asarray(prod.to_device("cpu")), a[:, :64] @ a[:, :64].T, rtol=1e-4
    )


def test_cuda_arrays_never_meet_cpu_arrays_and_never_convert_implicitly():
    dev = cuda_or_skip()
    x = kiln.arange(4.0, device=dev) + 1.0
    c = kiln.asarray(np.arange(4.0))
    with pytest.raises(ValueError, match="different devices"):
        x + c
    assert (x + kiln.zeros(4)).device == dev  # a generated array follows the data
    with pytest.raises(TypeError, match="to_device"):
        np.asarray(x)
    n = int(dev.name.split(":")[1])
    assert x.__dlpack_device__() == (2, n)
    x.__dlpack__()  # the device memory, in place
    for bad in [dict(copy=True), dict(dl_device=(1, 0), copy=False), dict(dl_device=(2, n + 1))]:
        with pytest.raises(BufferError):
            x.__dlpack__(**bad)
    with pytest.raises(TypeError, match="stream"):
        x.__dlpack__(stream="default")
    host = np.from_dlpack(x, device="cpu", copy=True)
    assert_matches(kiln.asarray(host), np.arange(4.0) + 1.0)
    assert float(kiln.sum(x)) == 10.0


def test_cuda_arrays_share_their_device_memory_through_dlpack():
    dev = cuda_or_skip()
    torch = pytest.importorskip("torch")
    a = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    x = (kiln.asarray(a, device=dev) * 2.0)[:, 1:3]  # a strided view of a device result
    t = torch.from_dlpack(x)
    assert t.device.type == "cuda"
    del x  # the exported memory outlives the array
    np.testing.assert_array_equal(t.cpu().numpy(), (a * 2.0)[:, 1:3])


def test_torch_cuda_tensors_import_in_place():
    dev = cuda_or_skip()
    torch = pytest.importorskip("torch")
    t = torch.arange(24, dtype=torch.float32, device="cuda").reshape(4, 6)[:, ::2]
    x = kiln.from_dlpack(t)
    assert x.device == dev
    # The same device memory both ways: kiln reads torch's tensor, torch reads it back.
    back = torch.from_dlpack(x)
    assert back.data_ptr() == t.data_ptr()
    expected = t.cpu().numpy()
    np.testing.assert_array_equal(np.asarray(x.to_device("cpu")), expected)
    y = kiln.sin(x) * 2.0 + x
    np.testing.assert_allclose(
        np.asarray(y.to_device("cpu")), np.sin(expected) * 2.0 + expected, rtol=1e-6
    )
    del t, back
    # The imported memory lives as long as kiln's array does.
    np.testing.assert_array_equal(np.asarray(x.to_device("cpu")), expected)
    # copy=True: torch's CPU copy, placed back on the device.
    z = kiln.from_dlpack(torch.ones(3, device="cuda"), copy=True)
    assert z.device == dev
    assert float(kiln.sum(z)) == 3.0


@given(
    st.lists(st.sampled_from(["add", "mul", "sin", "abs", "max"]), min_size=1, max_size=6),
    st.integers(1, 3000),
    st.sampled_from([np.float32, np.float64, np.int32]),
)
def test_random_chains_on_the_device_match_numpy(ops, n, dtype):
    dev = cuda_or_skip()
    rng = np.random.default_rng(n)
    a = (rng.standard_normal(n) * 10).astype(dtype)
    x, want = kiln.asarray(a, device=dev), a
    for op in ops:
        if op == "add":
            x, want = x + x, want + want
        elif op == "mul":
            x, want = x * 3, want * dtype(3)
        elif op == "sin" and np.issubdtype(dtype, np.floating):
            x, want = kiln.sin(x), np.sin(want)
        elif op == "abs":
            x, want = kiln.abs(x), np.abs(want)
        elif op == "max":
            x, want = kiln.maximum(x, x[::-1]), np.maximum(want, want[::-1])
    assert x.device == dev
    assert_matches(x.to_device("cpu"), want)


def test_indexing_and_unique_on_the_device_keep_to_the_device():
    """Index data made on the host (list and NumPy indices, mask coordinates, ``unique``'s
    indices) is placed on the array's device, so none of these meet across devices."""
    dev = cuda_or_skip()
    a = np.array([3.0, -1.0, 3.0, 7.0, -1.0, 0.5])
    x = kiln.asarray(a, device=dev)
    for key in ([0, 2, 5], np.array([4, 1]), x > 0):
        np_key = np.asarray(key.to_device("cpu")) if isinstance(key, kiln.Array) else key
        got = x[key]
        assert got.device == dev
        np.testing.assert_array_equal(np.asarray(got.to_device("cpu")), a[np_key])
    u = kiln.unique_all(x)
    assert all(part.device == dev for part in u)
    np.testing.assert_array_equal(np.asarray(u.values.to_device("cpu")), np.unique(a))
    y = kiln.asarray(a.copy(), device=dev)
    y[[1, 4]] = 9.0
    want = a.copy()
    want[[1, 4]] = 9.0
    np.testing.assert_array_equal(np.asarray(y.to_device("cpu")), want)
