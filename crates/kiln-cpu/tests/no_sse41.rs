//! Code compiled for an x86-64 CPU without SSE4.1 (and without AVX or FMA): cranelift calls
//! libcalls (`FloorF32`, `NearestF64`, ...) where the host has `roundps`/`vfmadd`, and the
//! loader must resolve each to the function cranelift defines. Every unary and binary op on
//! every dtype, and every cast, runs against the interpreter on such a backend, and the
//! rounding kernels' machine code is checked to really call the libcalls.

#![cfg(target_arch = "x86_64")]

mod common;

use common::*;
use kiln_cpu::objcode::{ObjCode, RelocTarget};
use kiln_cpu::{CacheConfig, CpuBackend};
use kiln_interp::compare::Tolerance;
use kiln_ir::{
    Access, BinaryOp, DType, InnerStride, Inst, Kernel, LaunchGeometry, UnaryOp, ValueId,
};

const NO_SSE41: &[(&str, &str)] = &[
    ("has_sse41", "false"),
    ("has_sse42", "false"),
    ("has_avx", "false"),
    ("has_avx2", "false"),
    ("has_fma", "false"),
    ("has_avx512f", "false"),
    ("has_avx512vl", "false"),
    ("has_avx512dq", "false"),
    ("has_avx512bitalg", "false"),
    ("has_avx512vbmi", "false"),
    ("has_avx512vnni", "false"),
    ("has_avx_vnni", "false"),
];

fn lengths() -> [usize; 8] {
    [0, 1, 3, 4, 5, 8, 17, 301]
}

fn unary_kernel(op: UnaryOp, d: DType, rd: DType, inner: InnerStride) -> Kernel {
    kernel(
        &format!("{}_{}", op.name(), d.short_name()),
        vec![
            param(d, Access::Read, inner),
            param(rd, Access::Write, InnerStride::Unit),
        ],
        1,
        vec![
            val(Inst::Load { param: 0 }, d),
            val(
                Inst::Unary {
                    op,
                    arg: ValueId(0),
                },
                rd,
            ),
        ],
        vec![store(1, 1)],
    )
}

fn geometry(n: usize, inner: InnerStride, params: usize) -> (usize, LaunchGeometry) {
    let (len, offset, stride) = match inner {
        InnerStride::Any => (2 * n + 1, 2 * n, -2),
        _ => (n, 0, 1),
    };
    let mut layouts = vec![layout(offset, vec![stride]); params - 1];
    layouts.push(layout(0, vec![1]));
    (
        len,
        LaunchGeometry {
            dims: vec![n],
            params: layouts,
        },
    )
}

fn report(failures: Vec<String>) {
    if !failures.is_empty() {
        let shown: Vec<&String> = failures.iter().take(20).collect();
        panic!("{} failures, first ones:\n{shown:#?}", failures.len());
    }
}

#[test]
fn every_unary_op_and_cast_without_sse41_matches_the_oracle() {
    let backend = CpuBackend::with_isa_flags(1, &CacheConfig::default(), NO_SSE41).unwrap();
    let features = backend.target_info().cpu_features;
    assert!(
        !features.iter().any(|f| f == "sse41" || f == "avx"),
        "{features:?}"
    );
    let mut rng = Rng(0x5e41);
    let mut failures = Vec::new();
    for op in UnaryOp::ALL {
        for d in DType::ALL {
            let Some(rd) = op.result_dtype(d) else {
                continue;
            };
            for inner in [InnerStride::Unit, InnerStride::Any] {
                let k = unary_kernel(op, d, rd, inner);
                for n in lengths() {
                    let (len, g) = geometry(n, inner, 2);
                    let mut input = random_storage(&mut rng, d, len);
                    if op == UnaryOp::Acosh {
                        // As in elementwise.rs: the oracle's acosh is wrong below -1.
                        fold_negatives(&mut input);
                    }
                    if let Err(e) =
                        differential(&backend, &k, &g, &[input], &[n], &Tolerance::single_op())
                    {
                        failures.push(format!("{} {d} {inner:?} n={n}: {e}", op.name()));
                        break;
                    }
                }
            }
        }
    }
    for from in DType::ALL {
        for to in DType::ALL {
            let k = kernel(
                &format!("cast_{}_{}", from.short_name(), to.short_name()),
                vec![
                    param(from, Access::Read, InnerStride::Unit),
                    param(to, Access::Write, InnerStride::Unit),
                ],
                1,
                vec![
                    val(Inst::Load { param: 0 }, from),
                    val(
                        Inst::Cast {
                            arg: ValueId(0),
                            to,
                        },
                        to,
                    ),
                ],
                vec![store(1, 1)],
            );
            for n in lengths() {
                let (_, g) = geometry(n, InnerStride::Unit, 2);
                let input = random_storage(&mut rng, from, n);
                if let Err(e) = differential(&backend, &k, &g, &[input], &[n], &Tolerance::exact())
                {
                    failures.push(format!("cast {from} -> {to} n={n}: {e}"));
                    break;
                }
            }
        }
    }
    report(failures);
}

#[test]
fn every_binary_op_without_sse41_matches_the_oracle() {
    let backend = CpuBackend::with_isa_flags(1, &CacheConfig::default(), NO_SSE41).unwrap();
    let mut rng = Rng(0x41_5e);
    let mut failures = Vec::new();
    for op in BinaryOp::ALL {
        for d in DType::ALL {
            let Some(rd) = op.result_dtype(d) else {
                continue;
            };
            let k = kernel(
                &format!("{}_{}", op.name(), d.short_name()),
                vec![
                    param(d, Access::Read, InnerStride::Unit),
                    param(d, Access::Read, InnerStride::Unit),
                    param(rd, Access::Write, InnerStride::Unit),
                ],
                1,
                vec![
                    val(Inst::Load { param: 0 }, d),
                    val(Inst::Load { param: 1 }, d),
                    val(
                        Inst::Binary {
                            op,
                            lhs: ValueId(0),
                            rhs: ValueId(1),
                        },
                        rd,
                    ),
                ],
                vec![store(2, 2)],
            );
            for n in lengths() {
                let (_, g) = geometry(n, InnerStride::Unit, 3);
                let a = random_storage(&mut rng, d, n);
                let b = random_storage(&mut rng, d, n);
                if let Err(e) =
                    differential(&backend, &k, &g, &[a, b], &[n], &Tolerance::single_op())
                {
                    failures.push(format!("{} {d} n={n}: {e}", op.name()));
                    break;
                }
            }
        }
    }
    report(failures);
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
            let (_, g) = geometry(301, InnerStride::Unit, 2);
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

/// |x| for real values (as in elementwise.rs: keeps acosh inputs where the oracle is right).
fn fold_negatives(s: &mut kiln_ir::Storage) {
    for i in 0..s.len() {
        if let Some(v) = s.get(i) {
            let x = v.to_f64();
            if x < 0.0 {
                s.set(i, kiln_ir::Scalar::from_f64(-x, v.dtype())).unwrap();
            }
        }
    }
}
