"""GPU workloads W1-W8 of ../shared/bench/workloads.md: kiln on a CUDA device against CuPy,
PyTorch eager, torch.compile and JAX, side by side in one run, with the device-to-device copy
bandwidth measured in the same run as the ceiling.

UNRUN so far (no session has had a GPU). Run on the GPU machine by ``benches/gpu/run.sh device``
with the kiln package it built on PYTHONPATH; prints a markdown table (and writes it to
``$OUT/gpu-workloads.md`` when ``OUT`` is set).

Timing: every call is synchronised (kiln's evaluation returns when its kernels have finished;
its inputs and results stay in device memory, as the peers' do: library steps, matmul and FFT,
still run on the host and so pay two transfers each); the median of ``REPEATS`` after one
warm-up. Effective bandwidth: the bytes the workload must move (each input
read once, each output written once) over the time.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

REPEATS = 5
# KILN_GPU_BENCH_SMALL=1: small sizes, and kiln on the CPU when there is no GPU (to check the
# script itself on a machine without one).
SMALL = os.environ.get("KILN_GPU_BENCH_SMALL") == "1"
N = 1 << (20 if SMALL else 28)
SIDE = 1024 if SMALL else 16384
FFT_SIDE = 512 if SMALL else 8192
MM = 512 if SMALL else 8192


def median_time(run: Callable[[], object], sync: Callable[[], None]) -> float:
    run()
    sync()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def workloads(rng: np.random.Generator) -> dict[str, tuple[list[np.ndarray], int, str]]:
    """Inputs, the bytes each workload must move, and its description."""
    f32 = lambda *s: rng.standard_normal(s, dtype=np.float32)  # noqa: E731
    f64 = lambda *s: rng.standard_normal(s)  # noqa: E731
    x1 = f32(N)
    w2 = [f64(N // 4) for _ in range(5)]
    w4 = f32(SIDE, SIDE)
    w5 = f64(N // 2)
    w6 = (f32(FFT_SIDE, FFT_SIDE) + 1j * f32(FFT_SIDE, FFT_SIDE)).astype(np.complex64)
    a, b = f32(MM, MM), f32(MM, MM)
    return {
        "W1 log(sin(x)+5) f32": ([x1], 2 * x1.nbytes, "elementwise"),
        "W2 a*b+c*d-e f64": (w2, 6 * w2[0].nbytes, "elementwise"),
        "W3 sum(x*x) f32": ([x1], x1.nbytes, "reduction"),
        "W4 row softmax f32": ([w4], 2 * w4.nbytes, "softmax"),
        "W5 variance f64": ([w5], w5.nbytes, "reduction"),
        "W6 fft2 low-pass ifft2 c64": ([w6], 2 * w6.nbytes, "fft"),
        "W7 matmul f32": ([a, b], 3 * a.nbytes, "matmul"),
    }


def programs(xp, fft) -> dict[str, Callable]:  # type: ignore[no-untyped-def]
    """Each workload written once against an Array API namespace ``xp``."""

    def softmax(x):  # type: ignore[no-untyped-def]
        e = xp.exp(x - xp.max(x, axis=1, keepdims=True))
        return e / xp.sum(e, axis=1, keepdims=True)

    def variance(x):  # type: ignore[no-untyped-def]
        return xp.mean((x - xp.mean(x)) ** 2)

    def lowpass(z):  # type: ignore[no-untyped-def]
        f = fft.fftn(z)
        k = z.shape[0] // 8
        mask = xp.zeros_like(z, dtype=xp.float32)
        mask[:k, :k] = 1
        return fft.ifftn(f * mask)

    return {
        "W1": lambda x: xp.log(xp.sin(x) + 5),
        "W2": lambda a, b, c, d, e: a * b + c * d - e,
        "W3": lambda x: xp.sum(x * x),
        "W4": softmax,
        "W5": variance,
        "W6": lowpass,
        "W7": lambda a, b: a @ b,
    }


def peers() -> dict[str, tuple[Callable, Callable, Callable, Callable]]:
    """name -> (to_device, program of a workload id, sync, to_host) for each peer present."""
    found = {}
    try:
        import kiln

        dev = kiln.__array_namespace_info__().devices()[-1]
        if dev.name.startswith("cuda") or SMALL:
            kiln_progs = programs(kiln, kiln.fft)

            def kiln_program(w):  # type: ignore[no-untyped-def]
                def run(*xs):  # type: ignore[no-untyped-def]
                    return kiln_progs[w](*xs).eval()

                return run

            found["kiln"] = (
                lambda a: kiln.asarray(a, device=dev),
                kiln_program,
                lambda: None,
                lambda r: np.asarray(r.to_device("cpu")),
            )
    except Exception as e:  # noqa: BLE001
        print(f"kiln: {e!r}", file=sys.stderr)
    try:
        import cupy as cp

        cupy_progs = programs(cp, cp.fft)
        found["cupy"] = (
            cp.asarray,
            lambda w: cupy_progs[w],
            cp.cuda.Device().synchronize,
            cp.asnumpy,
        )
    except Exception as e:  # noqa: BLE001
        print(f"cupy: {e!r}", file=sys.stderr)
    try:
        import torch

        torch_progs = programs(torch, torch.fft)
        sync = torch.cuda.synchronize

        def to_torch(a):  # type: ignore[no-untyped-def]
            return torch.from_numpy(a).cuda()

        found["torch eager"] = (
            to_torch,
            lambda w: torch_progs[w],
            sync,
            lambda r: r.cpu().numpy(),
        )
        found["torch.compile"] = (
            to_torch,
            lambda w: torch.compile(torch_progs[w]),
            sync,
            lambda r: r.cpu().numpy(),
        )
    except Exception as e:  # noqa: BLE001
        print(f"torch: {e!r}", file=sys.stderr)
    try:
        import jax
        import jax.numpy as jnp

        jax_progs = programs(jnp, jnp.fft)

        def jax_program(w):  # type: ignore[no-untyped-def]
            if w == "W6":
                return jax.jit(
                    lambda z: jnp.fft.ifft2(
                        jnp.fft.fft2(z)
                        * jnp.zeros(z.shape, jnp.float32)
                        .at[: z.shape[0] // 8, : z.shape[0] // 8]
                        .set(1)
                    )
                )
            return jax.jit(jax_progs[w])

        found["jax"] = (
            lambda a: jax.device_put(a, jax.devices("gpu")[0]),
            jax_program,
            lambda: None,
            lambda r: np.asarray(r.block_until_ready()),
        )
    except Exception as e:  # noqa: BLE001
        print(f"jax: {e!r}", file=sys.stderr)
    return found


def copy_bandwidth() -> float | None:
    """Device-to-device copy bandwidth (bytes read + written per second), through PyTorch."""
    try:
        import torch

        x = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
        y = torch.empty_like(x)
        t = median_time(lambda: y.copy_(x), torch.cuda.synchronize)
        return 2 * x.numel() / t
    except Exception as e:  # noqa: BLE001
        print(f"copy bandwidth: {e!r}", file=sys.stderr)
        return None


def first_call_latency() -> list[str]:
    """W8: a fresh process's first W1 evaluation with an empty cache (NVRTC compiles), then
    with the cache that run left (disk hits)."""
    import tempfile

    code = (
        "import time, numpy as np, kiln\n"
        "x = kiln.asarray(np.ones(1 << 16, np.float32), device='cuda:0')\n"
        "s = time.perf_counter(); kiln.log(kiln.sin(x) + 5).eval()\n"
        "print(time.perf_counter() - s)\n"
    )
    rows = []
    import kiln

    device = kiln.__array_namespace_info__().devices()[-1].name
    code = code.replace("cuda:0", device)
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, KILN_CACHE_DIR=cache)
        for what in ("cold (NVRTC)", "warm disk cache"):
            out = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True
            )
            try:
                value = f"{float(out.stdout.strip()) * 1e3:.1f} ms"
            except ValueError:
                value = f"failed: {out.stderr.strip().splitlines()[-1:]}"
            rows.append(f"| W8 first W1 eval, {what} | {value} |")
    return rows


def main() -> None:
    rng = np.random.default_rng(0)
    copy = copy_bandwidth()
    lines = [
        "# GPU workloads (benches/gpu/workloads.py)",
        "",
        f"device-to-device copy: {copy / 1e12:.2f} TB/s" if copy else "copy bandwidth: n/a",
        "",
        "| workload | peer | ms | GB/s | of copy | kiln / peer | max rel err vs cupy |",
        "|---|---|---|---|---|---|---|",
    ]
    found = peers()
    for label, (inputs, nbytes, _) in workloads(rng).items():
        wid = label.split()[0]
        times: dict[str, float] = {}
        results: dict[str, np.ndarray] = {}
        for name, (to_dev, program, sync, to_host) in found.items():
            try:
                args = [to_dev(a) for a in inputs]
                run = program(wid)
                times[name] = median_time(lambda: run(*args), sync)  # noqa: B023
                results[name] = to_host(run(*args))
            except Exception as e:  # noqa: BLE001
                lines.append(f"| {label} | {name} | error: {type(e).__name__}: {e} | | | | |")
        ref = results.get("cupy")
        for name, t in times.items():
            ratio = f"{times['kiln'] / t:.2f}" if "kiln" in times else "n/a"
            err = "n/a"
            if ref is not None and name in results:
                got = np.asarray(results[name], dtype=np.complex128)
                want = np.asarray(ref, dtype=np.complex128)
                scale = np.maximum(np.abs(want), 1e-3)
                err = f"{float(np.max(np.abs(got - want) / scale)):.1e}"
            share = f"{nbytes / t / copy:.0%}" if copy else "n/a"
            lines.append(
                f"| {label} | {name} | {t * 1e3:.2f} | {nbytes / t / 1e9:.0f} | {share} | "
                f"{ratio} | {err} |"
            )
    if "kiln" in found:
        lines += ["", "| latency | time |", "|---|---|", *first_call_latency()]
    text = "\n".join(lines)
    print(text)
    out = os.environ.get("OUT")
    if out:
        with open(os.path.join(out, "gpu-workloads.md"), "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
