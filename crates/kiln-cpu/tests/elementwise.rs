//! Differential tests of elementwise kernels: every unary and binary op on every dtype it
//! accepts, every cast, select, and index, against `kiln_interp::run_kernel`, on random values
//! with NaN/±inf/±0/extremes, contiguous, strided (negative) and broadcast layouts, lengths
//! 0..=37 and 3001 (vector bodies and scalar tails).

mod common;

use common::sweeps::*;
use common::*;
use kiln_cpu::CpuBackend;
use kiln_interp::compare::Tolerance;
use kiln_ir::{
    Access, BinaryOp, DType, InnerStride, Inst, LaunchGeometry, Scalar, UnaryOp, ValueId,
};

fn lengths() -> Vec<usize> {
    (0..=37).chain([3001]).collect()
}

#[test]
fn every_unary_op_on_every_dtype() {
    let backend = CpuBackend::new().unwrap();
    let inners = [InnerStride::Unit, InnerStride::Any, InnerStride::Zero];
    report(unary_sweep(
        &backend,
        &mut Rng(0x1234_5678),
        &inners,
        &lengths(),
    ));
}

#[test]
fn every_binary_op_on_every_dtype() {
    let backend = CpuBackend::new().unwrap();
    let layouts = [
        (InnerStride::Unit, InnerStride::Unit),
        (InnerStride::Any, InnerStride::Zero),
        (InnerStride::Zero, InnerStride::Unit),
    ];
    report(binary_sweep(
        &backend,
        &mut Rng(0x9e37_79b9),
        &layouts,
        &lengths(),
    ));
}

#[test]
fn every_cast_between_dtypes() {
    let backend = CpuBackend::new().unwrap();
    report(cast_sweep(&backend, &mut Rng(42), &lengths()));
}

#[test]
fn select_with_comparison_and_constants_in_two_dims() {
    // where(x > c, x * y, -y) over a [5, n] space with a transposed x and a row-broadcast y.
    let backend = CpuBackend::new().unwrap();
    let mut rng = Rng(7);
    let mut failures = Vec::new();
    for d in [
        DType::F32,
        DType::F64,
        DType::I32,
        DType::I64,
        DType::U8,
        DType::I16,
    ] {
        let c = Scalar::from_f64(0.0, d);
        let k = kernel(
            "select2d",
            vec![
                param(d, Access::Read, InnerStride::Any),
                param(d, Access::Read, InnerStride::Unit),
                param(d, Access::Write, InnerStride::Unit),
                param(DType::Bool, Access::Write, InnerStride::Unit),
            ],
            2,
            vec![
                val(Inst::Load { param: 0 }, d),
                val(Inst::Load { param: 1 }, d),
                val(Inst::Const(c), d),
                val(
                    Inst::Binary {
                        op: BinaryOp::Gt,
                        lhs: ValueId(0),
                        rhs: ValueId(2),
                    },
                    DType::Bool,
                ),
                val(
                    Inst::Binary {
                        op: BinaryOp::Mul,
                        lhs: ValueId(0),
                        rhs: ValueId(1),
                    },
                    d,
                ),
                val(
                    Inst::Unary {
                        op: UnaryOp::Neg,
                        arg: ValueId(1),
                    },
                    d,
                ),
                val(
                    Inst::Select {
                        cond: ValueId(3),
                        then: ValueId(4),
                        otherwise: ValueId(5),
                    },
                    d,
                ),
            ],
            vec![store(2, 6), store(3, 3)],
        );
        for n in lengths() {
            let rows = 5;
            let x = random_storage(&mut rng, d, rows * n);
            let y = random_storage(&mut rng, d, n);
            let g = LaunchGeometry {
                dims: vec![rows, n],
                params: vec![
                    layout(0, vec![1, rows as isize]),
                    layout(0, vec![0, 1]),
                    layout(0, vec![n as isize, 1]),
                    layout(0, vec![n as isize, 1]),
                ],
            };
            if let Err(e) = differential(
                &backend,
                &k,
                &g,
                &[x, y],
                &[rows * n, rows * n],
                &Tolerance::single_op(),
            ) {
                failures.push(format!("select2d {d} n={n}: {e}"));
                break;
            }
        }
    }
    report(failures);
}

#[test]
fn index_values_and_bool_vectors() {
    // out_i64[i, j] = i * 1000 + j; out_bool[i, j] = !(b[j] xor (j even)).
    let backend = CpuBackend::new().unwrap();
    let mut rng = Rng(99);
    let k = kernel(
        "index",
        vec![
            param(DType::Bool, Access::Read, InnerStride::Unit),
            param(DType::I64, Access::Write, InnerStride::Unit),
            param(DType::Bool, Access::Write, InnerStride::Unit),
        ],
        2,
        vec![
            val(Inst::Index { dim: 0 }, DType::I64),
            val(Inst::Index { dim: 1 }, DType::I64),
            val(Inst::Const(Scalar::I64(1000)), DType::I64),
            val(
                Inst::Binary {
                    op: BinaryOp::Mul,
                    lhs: ValueId(0),
                    rhs: ValueId(2),
                },
                DType::I64,
            ),
            val(
                Inst::Binary {
                    op: BinaryOp::Add,
                    lhs: ValueId(3),
                    rhs: ValueId(1),
                },
                DType::I64,
            ),
            val(Inst::Load { param: 0 }, DType::Bool),
            val(Inst::Const(Scalar::I64(1)), DType::I64),
            val(
                Inst::Binary {
                    op: BinaryOp::BitAnd,
                    lhs: ValueId(1),
                    rhs: ValueId(6),
                },
                DType::I64,
            ),
            val(
                Inst::Cast {
                    arg: ValueId(7),
                    to: DType::Bool,
                },
                DType::Bool,
            ),
            val(
                Inst::Binary {
                    op: BinaryOp::LogicalXor,
                    lhs: ValueId(5),
                    rhs: ValueId(8),
                },
                DType::Bool,
            ),
            val(
                Inst::Unary {
                    op: UnaryOp::Not,
                    arg: ValueId(9),
                },
                DType::Bool,
            ),
        ],
        vec![store(1, 4), store(2, 10)],
    );
    for n in lengths() {
        let b = random_storage(&mut rng, DType::Bool, n);
        let g = LaunchGeometry {
            dims: vec![3, n],
            params: vec![
                layout(0, vec![0, 1]),
                layout(0, vec![n as isize, 1]),
                layout(0, vec![n as isize, 1]),
            ],
        };
        differential(&backend, &k, &g, &[b], &[3 * n, 3 * n], &Tolerance::exact()).unwrap();
    }
}

#[test]
fn scalar_space_of_rank_zero() {
    let backend = CpuBackend::new().unwrap();
    let k = kernel(
        "rank0",
        vec![
            param(DType::F64, Access::Read, InnerStride::Unit),
            param(DType::F64, Access::Write, InnerStride::Unit),
        ],
        0,
        vec![
            val(Inst::Load { param: 0 }, DType::F64),
            val(
                Inst::Unary {
                    op: UnaryOp::Exp,
                    arg: ValueId(0),
                },
                DType::F64,
            ),
        ],
        vec![store(1, 1)],
    );
    let g = LaunchGeometry {
        dims: vec![],
        params: vec![layout(2, vec![]), layout(0, vec![])],
    };
    let input = kiln_ir::Storage::from_slice(&[0.0f64, 0.0, 1.5]).unwrap();
    differential(&backend, &k, &g, &[input], &[1], &Tolerance::exact()).unwrap();
}

#[test]
fn acosh_below_one_is_nan() {
    let backend = CpuBackend::new().unwrap();
    for d in [DType::F32, DType::F64] {
        let k = kernel(
            "acosh",
            vec![
                param(d, Access::Read, InnerStride::Unit),
                param(d, Access::Write, InnerStride::Unit),
            ],
            1,
            vec![
                val(Inst::Load { param: 0 }, d),
                val(
                    Inst::Unary {
                        op: UnaryOp::Acosh,
                        arg: ValueId(0),
                    },
                    d,
                ),
            ],
            vec![store(1, 1)],
        );
        // Long enough for the vector loop and the scalar tail.
        let xs = [-3077.0, -1.5, -0.3, 0.5, 0.999, -1e30, 1.0, 3077.0, -2.0];
        let mut input = kiln_ir::Storage::zeroed(d, xs.len()).unwrap();
        for (i, &x) in xs.iter().enumerate() {
            input.set(i, Scalar::from_f64(x, d)).unwrap();
        }
        let mut out = kiln_ir::Storage::zeroed(d, xs.len()).unwrap();
        let g = LaunchGeometry {
            dims: vec![xs.len()],
            params: vec![layout(0, vec![1]), layout(0, vec![1])],
        };
        backend
            .launch(
                &k,
                &g,
                &mut [
                    kiln_cpu::exec::LaunchBuffer::Read(&input),
                    kiln_cpu::exec::LaunchBuffer::Write(&mut out),
                ],
            )
            .unwrap();
        for (i, &x) in xs.iter().enumerate() {
            let y = out.get(i).unwrap().to_f64();
            if x < 1.0 {
                assert!(y.is_nan(), "acosh({x}) = {y} on {d}");
            } else {
                assert!(
                    (y - x.acosh()).abs() <= 1e-6 * x.acosh().max(1.0),
                    "acosh({x}) = {y}"
                );
            }
        }
    }
}
