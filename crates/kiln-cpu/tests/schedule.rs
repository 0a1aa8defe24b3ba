//! Whole schedules (kernels, matmuls, scans, temporaries, output views) on the executor against
//! `kiln_interp::run_schedule`; the compiled-kernel cache; the SIMD form of typical kernels.

mod common;

use common::*;
use kiln_cpu::{CpuBackend, CpuError};
use kiln_interp::compare::{Tolerance, assert_close};
use kiln_ir::{
    Access, BinaryOp, BufferDecl, BufferRef, DType, InnerStride, Inst, Kernel, KernelStep,
    LaunchGeometry, LibraryStep, Operand, Realized, ReduceOp, Reduction, Scalar, ScanOp, Schedule,
    Shape, Step, UnaryOp, ValueId, View,
};
use std::sync::Arc;

fn realized(rng: &mut Rng, d: DType, shape: &[usize]) -> Realized {
    let n = shape.iter().product();
    Realized::contiguous(Arc::new(random_storage(rng, d, n)), Shape::from(shape)).unwrap()
}

fn view(shape: &[usize], strides: &[isize], offset: usize) -> View {
    View {
        shape: Shape::from(shape),
        strides: strides.to_vec(),
        offset,
    }
}

fn compare(backend: &CpuBackend, s: &Schedule, inputs: &[Realized], tol: &Tolerance) {
    let got = backend.execute(s, inputs).unwrap();
    let expected = kiln_interp::run_schedule(s, inputs).unwrap();
    assert_eq!(got.len(), expected.len());
    for (i, (e, g)) in expected.iter().zip(&got).enumerate() {
        assert_close(e, g, tol).unwrap_or_else(|err| panic!("output {i}: {err}\n{s}"));
    }
}

/// t0 = 2*x + y (f32 [m,k]); t1 = t0 @ w^T (w stored [n,k]); t2 = cumsum(t1, axis 1);
/// t3 = sum(t2, axis 0) as [n]; outputs: t3, t2 transposed, and the input y.
fn pipeline(d: DType, m: usize, k: usize, n: usize) -> Schedule {
    let ew = Kernel {
        name: "axpy".into(),
        params: vec![
            param(d, Access::Read, InnerStride::Unit),
            param(d, Access::Read, InnerStride::Unit),
            param(d, Access::Write, InnerStride::Unit),
        ],
        outer_rank: 2,
        body: vec![
            val(Inst::Load { param: 0 }, d),
            val(Inst::Const(Scalar::from_f64(2.0, d)), d),
            val(
                Inst::Binary {
                    op: BinaryOp::Mul,
                    lhs: ValueId(0),
                    rhs: ValueId(1),
                },
                d,
            ),
            val(Inst::Load { param: 1 }, d),
            val(
                Inst::Binary {
                    op: BinaryOp::Add,
                    lhs: ValueId(2),
                    rhs: ValueId(3),
                },
                d,
            ),
        ],
        reduce: None,
        epilogue: vec![],
        stores: vec![store(2, 4)],
    };
    let colsum = Kernel {
        name: "colsum".into(),
        params: vec![
            param(d, Access::Read, InnerStride::Any),
            param(d, Access::Write, InnerStride::Unit),
        ],
        outer_rank: 1,
        body: vec![val(Inst::Load { param: 0 }, d)],
        reduce: Some(Reduction {
            op: ReduceOp::Sum,
            value: ValueId(0),
            dims: 1,
        }),
        epilogue: vec![val(Inst::Reduced, d)],
        stores: vec![store(1, 1)],
    };
    let c = |shape: &[usize]| view(shape, &Shape::from(shape).contiguous_strides(), 0);
    Schedule {
        buffers: vec![
            BufferDecl {
                dtype: d,
                len: m * k,
            },
            BufferDecl {
                dtype: d,
                len: m * n,
            },
            BufferDecl {
                dtype: d,
                len: m * n,
            },
            BufferDecl { dtype: d, len: n },
        ],
        steps: vec![
            Step::Kernel(KernelStep {
                kernel: ew,
                geometry: LaunchGeometry {
                    dims: vec![m, k],
                    params: vec![
                        layout(0, vec![k as isize, 1]),
                        layout(0, vec![k as isize, 1]),
                        layout(0, vec![k as isize, 1]),
                    ],
                },
                buffers: vec![BufferRef::Input(0), BufferRef::Input(1), BufferRef::Temp(0)],
            }),
            Step::Library(LibraryStep::MatMul {
                a: Operand {
                    buffer: BufferRef::Temp(0),
                    view: c(&[m, k]),
                },
                b: Operand {
                    buffer: BufferRef::Input(2),
                    view: view(&[k, n], &[1, k as isize], 0),
                },
                out: 1,
                dtype: d,
            }),
            Step::Library(LibraryStep::Scan {
                op: ScanOp::Sum,
                axis: 1,
                input: Operand {
                    buffer: BufferRef::Temp(1),
                    view: c(&[m, n]),
                },
                out: 2,
                dtype: d,
            }),
            Step::Kernel(KernelStep {
                kernel: colsum,
                geometry: LaunchGeometry {
                    dims: vec![n, m],
                    params: vec![layout(0, vec![1, n as isize]), layout(0, vec![1, 0])],
                },
                buffers: vec![BufferRef::Temp(2), BufferRef::Temp(3)],
            }),
        ],
        outputs: vec![
            Operand {
                buffer: BufferRef::Temp(3),
                view: c(&[n]),
            },
            Operand {
                buffer: BufferRef::Temp(2),
                view: view(&[n, m], &[1, n as isize], 0),
            },
            Operand {
                buffer: BufferRef::Input(1),
                view: c(&[m, k]),
            },
        ],
    }
}

#[test]
fn pipeline_matches_the_oracle() {
    let backend = CpuBackend::new().unwrap();
    let mut rng = Rng(11);
    for d in [DType::F32, DType::F64, DType::I32, DType::C64, DType::I64] {
        for (m, k, n) in [(3, 4, 5), (1, 1, 1), (17, 33, 9), (64, 70, 80), (4, 0, 3)] {
            let tame = |rng: &mut Rng, shape: &[usize]| {
                let n: usize = shape.iter().product();
                let vals: Vec<Scalar> = (0..n)
                    .map(|_| Scalar::from_f64(((rng.next() % 19) as f64) - 9.0, d))
                    .collect();
                Realized::from_scalars(d, Shape::from(shape), &vals).unwrap()
            };
            let inputs = vec![
                tame(&mut rng, &[m, k]),
                tame(&mut rng, &[m, k]),
                tame(&mut rng, &[n, k]),
            ];
            compare(
                &backend,
                &pipeline(d, m, k, n),
                &inputs,
                &Tolerance::program(),
            );
        }
    }
}

/// One batched product of input 0 (viewed as `a`, `[b, m, k]`) by input 1 (viewed as `w`,
/// `[b, k, n]`) into a row-major temporary, which is the output.
fn matmul_schedule(d: DType, a: View, w: View) -> Schedule {
    let (b, m, n) = (a.shape.dims()[0], a.shape.dims()[1], w.shape.dims()[2]);
    Schedule {
        buffers: vec![BufferDecl {
            dtype: d,
            len: b * m * n,
        }],
        steps: vec![Step::Library(LibraryStep::MatMul {
            a: Operand {
                buffer: BufferRef::Input(0),
                view: a,
            },
            b: Operand {
                buffer: BufferRef::Input(1),
                view: w,
            },
            out: 0,
            dtype: d,
        })],
        outputs: vec![Operand {
            buffer: BufferRef::Temp(0),
            view: view(&[b, m, n], &[(m * n) as isize, n as isize, 1], 0),
        }],
    }
}

/// Every way a float product is spread over threads (`matmul.rs`): blocks of output columns,
/// blocks of rows (tall outputs), faer's own split (a long inner dimension with a narrow output),
/// one product per thread (a batch of small products), and one thread; operands transposed
/// through their strides, for real and complex dtypes, on 1, 2 and 3 threads (3 leaves a short
/// last block).
#[test]
fn float_products_split_over_threads_match_the_reference() {
    let mut rng = Rng(29);
    let shapes = [
        (1, 70, 90, 300),  // columns
        (1, 300, 90, 70),  // rows
        (1, 40, 2000, 40), // inner dimension
        (8, 20, 30, 25),   // batch
        (1, 3, 4, 5),      // one thread
    ];
    for threads in [1, 2, 3] {
        let backend = CpuBackend::with_threads(threads).unwrap();
        for d in [DType::F32, DType::F64, DType::C64] {
            for &(b, m, k, n) in &shapes {
                let x = realized(&mut rng, d, &[b * m * k]);
                let w = realized(&mut rng, d, &[k * n]);
                // Small integers: every partial sum is exact, so any summation order (faer's
                // blocking, the reference's loop) gives the same bits and a dropped or doubly
                // written block cannot hide in a tolerance.
                let tame = |r: &Realized| {
                    let vals: Vec<Scalar> = r
                        .scalars()
                        .iter()
                        .map(|v| {
                            let x = v.to_f64();
                            let x = if x.is_nan() { 0.0 } else { x };
                            Scalar::from_f64((x.clamp(-4.0, 4.0) * 2.0).round(), d)
                        })
                        .collect();
                    Realized::from_scalars(d, r.shape().clone(), &vals).unwrap()
                };
                // x row-major per batch; w read transposed (stored n x k).
                let s = matmul_schedule(
                    d,
                    view(&[b, m, k], &[(m * k) as isize, k as isize, 1], 0),
                    view(&[b, k, n], &[0, 1, k as isize], 0),
                );
                compare(&backend, &s, &[tame(&x), tame(&w)], &Tolerance::program());
            }
        }
    }
}

#[test]
fn batched_matmul_with_negative_and_broadcast_strides() {
    let backend = CpuBackend::new().unwrap();
    let mut rng = Rng(12);
    for d in [DType::F32, DType::F64, DType::C128, DType::U16, DType::I8] {
        let (b, m, k, n) = (3, 5, 6, 4);
        let a = realized(&mut rng, d, &[b * m * k]);
        let w = realized(&mut rng, d, &[k * n]);
        // a read with its rows reversed; w broadcast over the batch.
        let s = matmul_schedule(
            d,
            view(
                &[b, m, k],
                &[(m * k) as isize, -(k as isize), 1],
                (m - 1) * k,
            ),
            view(&[b, k, n], &[0, n as isize, 1], 0),
        );
        // Random extremes make float products differ in rounding only; tolerate that.
        let tame = |r: &Realized| {
            let vals: Vec<Scalar> = r
                .scalars()
                .iter()
                .map(|v| {
                    if d.is_floating() {
                        Scalar::from_f64(v.to_f64().clamp(-10.0, 10.0), d)
                    } else {
                        *v
                    }
                })
                .collect();
            let vals: Vec<Scalar> = vals
                .into_iter()
                .map(|v| {
                    if v.to_f64().is_nan() {
                        Scalar::zero(d)
                    } else {
                        v
                    }
                })
                .collect();
            Realized::from_scalars(d, r.shape().clone(), &vals).unwrap()
        };
        compare(&backend, &s, &[tame(&a), tame(&w)], &Tolerance::program());
    }
}

#[test]
fn invalid_schedules_are_typed_errors() {
    let backend = CpuBackend::new().unwrap();
    let mut rng = Rng(13);
    let mut s = pipeline(DType::F32, 3, 4, 5);
    let inputs = vec![
        realized(&mut rng, DType::F32, &[3, 4]),
        realized(&mut rng, DType::F32, &[2, 4]),
        realized(&mut rng, DType::F32, &[5, 4]),
    ];
    // Input 1 is too short for its layout.
    assert!(matches!(backend.execute(&s, &inputs), Err(CpuError::Ir(_))));
    s.steps.swap(0, 1);
    let inputs = vec![
        realized(&mut rng, DType::F32, &[3, 4]),
        realized(&mut rng, DType::F32, &[3, 4]),
        realized(&mut rng, DType::F32, &[5, 4]),
    ];
    // The matmul now reads t0 before it is written.
    assert!(matches!(backend.execute(&s, &inputs), Err(CpuError::Ir(_))));
}

fn add_kernel(d: DType) -> Kernel {
    kernel(
        "add",
        vec![
            param(d, Access::Read, InnerStride::Unit),
            param(d, Access::Read, InnerStride::Zero),
            param(d, Access::Write, InnerStride::Unit),
        ],
        1,
        vec![
            val(Inst::Load { param: 0 }, d),
            val(Inst::Load { param: 1 }, d),
            val(
                Inst::Binary {
                    op: BinaryOp::Add,
                    lhs: ValueId(0),
                    rhs: ValueId(1),
                },
                d,
            ),
        ],
        vec![store(2, 2)],
    )
}

#[test]
fn compiled_kernels_are_cached_and_reused_for_new_lengths() {
    let backend = CpuBackend::new().unwrap();
    let k = add_kernel(DType::F32);
    let a = backend.compile(&k).unwrap();
    let mut renamed = k.clone();
    renamed.name = "other_name".into();
    let b = backend.compile(&renamed).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    let stats = backend.stats();
    assert_eq!((stats.kernels_compiled, stats.cache_hits), (1, 1));
    let mut rng = Rng(3);
    for n in [5usize, 1000, 77_777] {
        let g = LaunchGeometry {
            dims: vec![n],
            params: vec![layout(0, vec![1]), layout(0, vec![0]), layout(0, vec![1])],
        };
        let x = random_storage(&mut rng, DType::F32, n);
        let y = random_storage(&mut rng, DType::F32, 1);
        differential(&backend, &k, &g, &[x, y], &[n], &Tolerance::exact()).unwrap();
    }
    let stats = backend.stats();
    assert_eq!(stats.kernels_compiled, 1, "a new length must not recompile");
    assert!(stats.compile_time.as_nanos() > 0);
    // A different dtype is a different kernel.
    backend.compile(&add_kernel(DType::F64)).unwrap();
    assert_eq!(backend.stats().kernels_compiled, 2);
}

#[test]
fn typical_kernels_use_vector_code() {
    let backend = CpuBackend::new().unwrap();
    let text = backend.clif_text(&add_kernel(DType::F32)).unwrap();
    assert!(text.contains("f32x4"), "{text}");
    assert!(
        backend
            .compile(&add_kernel(DType::F32))
            .unwrap()
            .vectorized()
    );
    // x > 0 stored as bool from f64: a mask of i64x2 lanes narrowed to bytes.
    let k = kernel(
        "gt",
        vec![
            param(DType::F64, Access::Read, InnerStride::Unit),
            param(DType::Bool, Access::Write, InnerStride::Unit),
        ],
        1,
        vec![
            val(Inst::Load { param: 0 }, DType::F64),
            val(Inst::Const(Scalar::F64(0.0)), DType::F64),
            val(
                Inst::Binary {
                    op: BinaryOp::Gt,
                    lhs: ValueId(0),
                    rhs: ValueId(1),
                },
                DType::Bool,
            ),
        ],
        vec![store(1, 2)],
    );
    assert!(backend.clif_text(&k).unwrap().contains("f64x2"));
    assert!(backend.compile(&k).unwrap().vectorized());
    // A strided (Any) input keeps the scalar loop only.
    let mut strided = add_kernel(DType::F32);
    strided.params[0].inner = InnerStride::Any;
    assert!(!backend.clif_text(&strided).unwrap().contains("f32x4"));
    let sqrt = kernel(
        "sqrt",
        vec![
            param(DType::F32, Access::Read, InnerStride::Unit),
            param(DType::F32, Access::Write, InnerStride::Unit),
        ],
        1,
        vec![
            val(Inst::Load { param: 0 }, DType::F32),
            val(
                Inst::Unary {
                    op: UnaryOp::Sqrt,
                    arg: ValueId(0),
                },
                DType::F32,
            ),
        ],
        vec![store(1, 1)],
    );
    assert!(backend.compile(&sqrt).unwrap().vectorized());
}

#[test]
fn invalid_kernels_are_rejected_before_codegen() {
    let backend = CpuBackend::new().unwrap();
    let mut k = add_kernel(DType::F32);
    k.body[2].dtype = DType::F64;
    assert!(matches!(backend.compile(&k), Err(CpuError::Ir(_))));
    assert!(matches!(backend.clif_text(&k), Err(CpuError::Ir(_))));
}

#[test]
fn prepared_schedules_match_execute_and_reject_other_layouts() {
    let backend = CpuBackend::new().unwrap();
    let mut rng = Rng(21);
    let d = DType::F32;
    let (m, k, n) = (6, 5, 4);
    let s = pipeline(d, m, k, n);
    let fresh = |rng: &mut Rng| {
        vec![
            realized(rng, d, &[m, k]),
            realized(rng, d, &[m, k]),
            realized(rng, d, &[n, k]),
        ]
    };
    let prepared = backend.prepare(&s, &fresh(&mut rng)).unwrap();
    let hits = backend.stats().cache_hits;
    for _ in 0..3 {
        let inputs = fresh(&mut rng);
        let got = backend.execute_prepared(&prepared, &inputs).unwrap();
        let expected = backend.execute(&s, &inputs).unwrap();
        assert_eq!(got.len(), expected.len());
        for (i, (e, g)) in expected.iter().zip(&got).enumerate() {
            assert_close(e, g, &Tolerance::exact())
                .unwrap_or_else(|err| panic!("output {i}: {err}"));
        }
    }
    // Each `execute` above looked its two kernels up; the prepared runs did not.
    assert_eq!(backend.stats().cache_hits, hits + 3 * 2);
    assert_eq!(backend.stats().kernels_compiled, 2);

    let reject = |inputs: &[Realized], what: &str| match backend.execute_prepared(&prepared, inputs)
    {
        Err(CpuError::Ir(_)) => {}
        other => panic!("{what}: expected a verify error, got {other:?}"),
    };
    let good = fresh(&mut rng);
    let mut other_dtype = good.clone();
    other_dtype[0] = realized(&mut rng, DType::F64, &[m, k]);
    reject(&other_dtype, "dtype");
    let mut other_shape = good.clone();
    other_shape[1] = realized(&mut rng, d, &[m, k + 1]);
    reject(&other_shape, "shape");
    // Same shape and storage length, transposed strides.
    let mut other_strides = good.clone();
    other_strides[0] = Realized::with_view(
        Arc::new(random_storage(&mut rng, d, m * k)),
        view(&[m, k], &[1, m as isize], 0),
    )
    .unwrap();
    reject(&other_strides, "strides");
    // Same shape and strides, another offset into a longer storage.
    let mut other_offset = good.clone();
    other_offset[2] = Realized::with_view(
        Arc::new(random_storage(&mut rng, d, n * k + 3)),
        view(&[n, k], &[k as isize, 1], 3),
    )
    .unwrap();
    reject(&other_offset, "offset");
    reject(&good[..2], "input count");
    // The good inputs still run after the rejections.
    backend.execute_prepared(&prepared, &good).unwrap();
}
