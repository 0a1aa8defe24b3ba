//! Code compiled for an x86-64 CPU without SSE4.1 (and without AVX or FMA): cranelift calls
//! libcalls (`FloorF32`, `NearestF64`, ...) where the host has `roundps`/`vfmadd`, and the
//! loader must resolve each to the function cranelift defines. Every unary and binary op on
//! every dtype, and every cast, runs against the interpreter on such a backend, and the
//! rounding kernels' machine code is checked to really call the libcalls.

#![cfg(target_arch = "x86_64")]

mod common;

use common::sweeps::*;
use common::*;
use kiln_cpu::objcode::{ObjCode, RelocTarget};
use kiln_cpu::{CacheConfig, CpuBackend};
use kiln_interp::compare::Tolerance;
use kiln_ir::{DType, InnerStride, UnaryOp};

use kiln_cpu::X86_NO_SSE41_FLAGS as NO_SSE41;

const LENGTHS: [usize; 8] = [0, 1, 3, 4, 5, 8, 17, 301];

fn no_sse41_backend() -> CpuBackend {
    CpuBackend::with_isa_flags(1, &CacheConfig::default(), NO_SSE41).unwrap()
}

#[test]
fn every_unary_op_and_cast_without_sse41_matches_the_oracle() {
    let backend = no_sse41_backend();
    let features = backend.target_info().cpu_features;
    assert!(
        !features.iter().any(|f| f == "sse41" || f == "avx"),
        "{features:?}"
    );
    let mut rng = Rng(0x5e41);
    let inners = [InnerStride::Unit, InnerStride::Any];
    let mut failures = unary_sweep(&backend, &mut rng, &inners, &LENGTHS);
    failures.extend(cast_sweep(&backend, &mut rng, &LENGTHS));
    report(failures);
}

#[test]
fn every_binary_op_without_sse41_matches_the_oracle() {
    let layouts = [(InnerStride::Unit, InnerStride::Unit)];
    report(binary_sweep(
        &no_sse41_backend(),
        &mut Rng(0x41_5e),
        &layouts,
        &LENGTHS,
    ));
}

#[test]
fn rounding_kernels_call_the_libcalls_and_reload_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let config = CacheConfig {
        dir: Some(dir.path().to_path_buf()),
        ..CacheConfig::default()
    };
    let backend = CpuBackend::with_isa_flags(1, &config, NO_SSE41).unwrap();
    let ops = [
        UnaryOp::Floor,
        UnaryOp::Ceil,
        UnaryOp::Trunc,
        UnaryOp::Round,
    ];
    for op in ops {
        for d in [DType::F32, DType::F64] {
            backend
                .compile(&unary_kernel(op, d, d, InnerStride::Unit))
                .unwrap();
        }
    }
    // Every entry's code, decoded as the loader sees it: the libcalls it calls.
    let disk = backend.code_store().disk().expect("disk cache");
    let mut called = std::collections::BTreeSet::new();
    for e in disk.list().unwrap() {
        let entry = disk.get(&e.key).unwrap();
        let obj = ObjCode::decode(&entry.payload).unwrap();
        for r in &obj.relocs {
            if let RelocTarget::Symbol(s) = &r.target
                && let Some(lc) = s.strip_prefix("libcall:")
            {
                called.insert(lc.to_string());
            }
        }
    }
    for want in [
        "FloorF32",
        "FloorF64",
        "CeilF32",
        "CeilF64",
        "TruncF32",
        "TruncF64",
        "NearestF32",
        "NearestF64",
    ] {
        assert!(called.contains(want), "no {want} in {called:?}");
    }
    // A second backend (a new process) loads the same code from disk and still computes
    // correct results: the libcalls resolve at load time, not compile time.
    let again = CpuBackend::with_isa_flags(1, &config, NO_SSE41).unwrap();
    let mut rng = Rng(7);
    for op in ops {
        for d in [DType::F32, DType::F64] {
            let k = unary_kernel(op, d, d, InnerStride::Unit);
            let (_, g) = launch(301, &[InnerStride::Unit]);
            let input = random_storage(&mut rng, d, 301);
            differential(&again, &k, &g, &[input], &[301], &Tolerance::exact())
                .unwrap_or_else(|e| panic!("{} {d}: {e}", op.name()));
        }
    }
    let stats = again.stats();
    assert_eq!(stats.disk_hits, 8, "{stats:?}");
    // Native code has another key: a native backend on the same directory compiles.
    let native = CpuBackend::with_cache(1, &config).unwrap();
    native
        .compile(&unary_kernel(
            UnaryOp::Floor,
            DType::F32,
            DType::F32,
            InnerStride::Unit,
        ))
        .unwrap();
    assert_eq!(native.stats().disk_hits, 0);
}
