//! Kernels through the disk cache: saved by one backend, loaded (not compiled) by another, and
//! still equal to the oracle; strict mode's miss is a typed error naming the kernel.

mod common;

use common::*;
use kiln_cpu::{CacheConfig, CpuBackend, CpuError};
use kiln_interp::compare::Tolerance;
use kiln_ir::{Access, DType, InnerStride, Inst, Kernel, LaunchGeometry, UnaryOp, ValueId};

/// y = sin(x) * x: calls a helper (a relocation) on some dtypes.
fn sin_mul(d: DType) -> Kernel {
    kernel(
        "sin_mul",
        vec![
            param(d, Access::Read, InnerStride::Unit),
            param(d, Access::Write, InnerStride::Unit),
        ],
        1,
        vec![
            val(Inst::Load { param: 0 }, d),
            val(
                Inst::Unary {
                    op: UnaryOp::Sin,
                    arg: ValueId(0),
                },
                d,
            ),
            val(
                Inst::Binary {
                    op: kiln_ir::BinaryOp::Mul,
                    lhs: ValueId(1),
                    rhs: ValueId(0),
                },
                d,
            ),
        ],
        vec![store(1, 2)],
    )
}

fn config(dir: &std::path::Path, strict: bool) -> CacheConfig {
    CacheConfig {
        dir: Some(dir.to_path_buf()),
        strict,
        ..CacheConfig::default()
    }
}

fn check(backend: &CpuBackend, k: &Kernel, d: DType) {
    let mut rng = Rng(11);
    for n in [1usize, 7, 1000] {
        let g = LaunchGeometry {
            dims: vec![n],
            params: vec![layout(0, vec![1]), layout(0, vec![1])],
        };
        let x = random_storage(&mut rng, d, n);
        differential(backend, k, &g, &[x], &[n], &Tolerance::program()).unwrap();
    }
}

#[test]
fn code_saved_by_one_backend_is_loaded_by_another() {
    let tmp = tempfile::tempdir().unwrap();
    for d in [DType::F32, DType::F64, DType::C64, DType::C128] {
        let k = sin_mul(d);
        let first = CpuBackend::with_cache(1, &config(tmp.path(), false)).unwrap();
        check(&first, &k, d);
        assert_eq!(first.stats().kernels_compiled, 1, "{d}");
        let second = CpuBackend::with_cache(2, &config(tmp.path(), true)).unwrap();
        check(&second, &k, d);
        let s = second.stats();
        assert_eq!((s.kernels_compiled, s.disk_hits), (0, 1), "{d}");
        assert_eq!(
            first.compile(&k).unwrap().vectorized(),
            second.compile(&k).unwrap().vectorized()
        );
    }
}

#[test]
fn strict_mode_miss_is_a_typed_error() {
    let tmp = tempfile::tempdir().unwrap();
    let strict = CpuBackend::with_cache(1, &config(tmp.path(), true)).unwrap();
    match strict.compile(&sin_mul(DType::F32)) {
        Err(CpuError::StrictMiss { kernel, .. }) => assert_eq!(kernel, "sin_mul"),
        other => panic!("expected a strict-mode miss, got {other:?}"),
    }
    assert_eq!(strict.stats().kernels_compiled, 0);
}
