//! `run_schedule` and `run_kernel` on handwritten kernels, checked against `run_program` of the
//! equivalent program, plus the binding and verification errors.

use kiln_interp::compare::{Tolerance, assert_close};
use kiln_interp::{InterpError, KernelBuffer, run_kernel, run_program, run_schedule};
use kiln_ir::{
    Access, BinaryOp, BufferDecl, BufferRef, DType, InnerStride, Inst, Kernel, KernelStep,
    LaunchGeometry, LibraryStep, Op, Operand, Param, ParamLayout, Program, Realized, ReduceOp,
    Reduction, Scalar, ScanOp, Schedule, Shape, Step, Storage, Store, UnaryOp, Value, ValueId,
    View,
};

fn s(d: &[usize]) -> Shape {
    Shape::from(d)
}

fn param(dtype: DType, access: Access, inner: InnerStride) -> Param {
    Param {
        dtype,
        access,
        inner,
    }
}

fn v(inst: Inst, dtype: DType) -> Value {
    Value { inst, dtype }
}

fn layout(offset: usize, strides: &[isize]) -> ParamLayout {
    ParamLayout {
        offset,
        strides: strides.to_vec(),
    }
}

/// `out[i, j] = a[i, j] * b[j] + 1` over a `[2, 3]` space; `b` is broadcast along rows.
fn elementwise_kernel() -> Kernel {
    let f = DType::F32;
    Kernel {
        name: "fma_row".into(),
        params: vec![
            param(f, Access::Read, InnerStride::Unit),
            param(f, Access::Read, InnerStride::Unit),
            param(f, Access::Write, InnerStride::Unit),
        ],
        outer_rank: 2,
        body: vec![
            v(Inst::Load { param: 0 }, f),
            v(Inst::Load { param: 1 }, f),
            v(
                Inst::Binary {
                    op: BinaryOp::Mul,
                    lhs: ValueId(0),
                    rhs: ValueId(1),
                },
                f,
            ),
            v(Inst::Const(Scalar::F32(1.0)), f),
            v(
                Inst::Binary {
                    op: BinaryOp::Add,
                    lhs: ValueId(2),
                    rhs: ValueId(3),
                },
                f,
            ),
        ],
        reduce: None,
        epilogue: vec![],
        stores: vec![Store {
            param: 2,
            value: ValueId(4),
        }],
    }
}

fn inputs_2x3() -> Vec<Realized> {
    vec![
        Realized::from_vec(&[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], s(&[2, 3])).unwrap(),
        Realized::from_vec(&[10.0f32, -1.0, 0.5], s(&[3])).unwrap(),
    ]
}

#[test]
fn elementwise_kernel_matches_the_program() {
    let inputs = inputs_2x3();
    let schedule = Schedule {
        buffers: vec![BufferDecl {
            dtype: DType::F32,
            len: 6,
        }],
        steps: vec![Step::Kernel(KernelStep {
            kernel: elementwise_kernel(),
            geometry: LaunchGeometry {
                dims: vec![2, 3],
                params: vec![layout(0, &[3, 1]), layout(0, &[0, 1]), layout(0, &[3, 1])],
            },
            buffers: vec![BufferRef::Input(0), BufferRef::Input(1), BufferRef::Temp(0)],
        })],
        outputs: vec![Operand {
            buffer: BufferRef::Temp(0),
            view: View::contiguous(s(&[2, 3])),
        }],
    };
    let got = run_schedule(&schedule, &inputs).unwrap();

    let mut p = Program::new();
    let a = p.add_input(inputs[0].clone());
    let b = p.add_input(inputs[1].clone());
    let b2 = p.add(Op::Reshape(s(&[1, 3])), vec![b]).unwrap();
    let bb = p.add(Op::Broadcast(s(&[2, 3])), vec![b2]).unwrap();
    let m = p.add(Op::Binary(BinaryOp::Mul), vec![a, bb]).unwrap();
    let one = p
        .add(Op::Full(Scalar::F32(1.0), s(&[2, 3])), vec![])
        .unwrap();
    let out = p.add(Op::Binary(BinaryOp::Add), vec![m, one]).unwrap();
    p.outputs.push(out);
    let want = run_program(&p).unwrap();
    assert_close(&want[0], &got[0], &Tolerance::exact()).unwrap();
    assert_eq!(
        got[0].to_vec::<f32>(),
        vec![11.0, -1.0, 2.5, 41.0, -4.0, 4.0]
    );
}

/// `out[i] = sqrt(sum_j x[i, j]^2) + bias[i]`: a reduction with an epilogue read.
fn norm_kernel() -> Kernel {
    let f = DType::F64;
    Kernel {
        name: "row_norm_bias".into(),
        params: vec![
            param(f, Access::Read, InnerStride::Any),
            param(f, Access::Read, InnerStride::Unit),
            param(f, Access::Write, InnerStride::Unit),
        ],
        outer_rank: 1,
        body: vec![
            v(Inst::Load { param: 0 }, f),
            v(
                Inst::Binary {
                    op: BinaryOp::Mul,
                    lhs: ValueId(0),
                    rhs: ValueId(0),
                },
                f,
            ),
        ],
        reduce: Some(Reduction {
            op: ReduceOp::Sum,
            value: ValueId(1),
            dims: 1,
        }),
        epilogue: vec![
            v(Inst::Reduced, f),
            v(
                Inst::Unary {
                    op: UnaryOp::Sqrt,
                    arg: ValueId(2),
                },
                f,
            ),
            v(Inst::Load { param: 1 }, f),
            v(
                Inst::Binary {
                    op: BinaryOp::Add,
                    lhs: ValueId(3),
                    rhs: ValueId(4),
                },
                f,
            ),
        ],
        stores: vec![Store {
            param: 2,
            value: ValueId(5),
        }],
    }
}

#[test]
fn reduction_kernel_with_epilogue_matches_the_program() {
    // x is read transposed: x[i, j] = storage[j * 3 + i] for a [3, 2] logical array.
    let storage = Realized::from_vec(&[3.0f64, 1.0, 0.0, 4.0, 0.0, -2.0], s(&[6])).unwrap();
    let bias = Realized::from_vec(&[0.5f64, -1.0, 2.0], s(&[3])).unwrap();
    let inputs = vec![storage.clone(), bias.clone()];
    let schedule = Schedule {
        buffers: vec![BufferDecl {
            dtype: DType::F64,
            len: 3,
        }],
        steps: vec![Step::Kernel(KernelStep {
            kernel: norm_kernel(),
            geometry: LaunchGeometry {
                dims: vec![3, 2],
                params: vec![layout(0, &[1, 3]), layout(0, &[1, 0]), layout(0, &[1, 0])],
            },
            buffers: vec![BufferRef::Input(0), BufferRef::Input(1), BufferRef::Temp(0)],
        })],
        outputs: vec![Operand {
            buffer: BufferRef::Temp(0),
            view: View::contiguous(s(&[3])),
        }],
    };
    let got = run_schedule(&schedule, &inputs).unwrap();

    let mut p = Program::new();
    let flat = p.add_input(storage);
    let b = p.add_input(bias);
    let m = p.add(Op::Reshape(s(&[2, 3])), vec![flat]).unwrap();
    let x = p.add(Op::Permute(vec![1, 0]), vec![m]).unwrap();
    let sq = p.add(Op::Binary(BinaryOp::Mul), vec![x, x]).unwrap();
    let sum = p
        .add(
            Op::Reduce {
                op: ReduceOp::Sum,
                axes: vec![1],
            },
            vec![sq],
        )
        .unwrap();
    let flat_sum = p.add(Op::Reshape(s(&[3])), vec![sum]).unwrap();
    let norm = p.add(Op::Unary(UnaryOp::Sqrt), vec![flat_sum]).unwrap();
    let out = p.add(Op::Binary(BinaryOp::Add), vec![norm, b]).unwrap();
    p.outputs.push(out);
    let want = run_program(&p).unwrap();
    assert_close(&want[0], &got[0], &Tolerance::exact()).unwrap();
    assert_eq!(got[0].to_vec::<f64>(), vec![5.5, 0.0, 4.0]);
}

#[test]
fn argmax_kernel_and_output_views() {
    let f = DType::F32;
    let kernel = Kernel {
        name: "argmax_rows".into(),
        params: vec![
            param(f, Access::Read, InnerStride::Unit),
            param(DType::I64, Access::Write, InnerStride::Unit),
        ],
        outer_rank: 1,
        body: vec![v(Inst::Load { param: 0 }, f)],
        reduce: Some(Reduction {
            op: ReduceOp::ArgMax,
            value: ValueId(0),
            dims: 1,
        }),
        epilogue: vec![v(Inst::Reduced, DType::I64)],
        stores: vec![Store {
            param: 1,
            value: ValueId(1),
        }],
    };
    let x = Realized::from_vec(&[1.0f32, 7.0, 7.0, f32::NAN, 0.0, f32::NAN], s(&[2, 3])).unwrap();
    let schedule = Schedule {
        buffers: vec![BufferDecl {
            dtype: DType::I64,
            len: 2,
        }],
        steps: vec![Step::Kernel(KernelStep {
            kernel,
            geometry: LaunchGeometry {
                dims: vec![2, 3],
                params: vec![layout(0, &[3, 1]), layout(0, &[1, 0])],
            },
            buffers: vec![BufferRef::Input(0), BufferRef::Temp(0)],
        })],
        // The output is the result reversed: a view with a negative stride.
        outputs: vec![Operand {
            buffer: BufferRef::Temp(0),
            view: View {
                shape: s(&[2]),
                strides: vec![-1],
                offset: 1,
            },
        }],
    };
    let got = run_schedule(&schedule, &[x]).unwrap();
    assert!(got[0].view.is_contiguous());
    assert_eq!(got[0].to_vec::<i64>(), vec![0, 1]);
}

#[test]
fn library_steps_scan_then_matmul() {
    let x = Realized::from_vec(&[1i32, 2, 3, 4], s(&[2, 2])).unwrap();
    let schedule = Schedule {
        buffers: vec![
            BufferDecl {
                dtype: DType::I32,
                len: 4,
            },
            BufferDecl {
                dtype: DType::I32,
                len: 4,
            },
        ],
        steps: vec![
            Step::Library(LibraryStep::Scan {
                op: ScanOp::Sum,
                axis: 1,
                input: Operand {
                    buffer: BufferRef::Input(0),
                    view: View::contiguous(s(&[2, 2])),
                },
                out: 0,
                dtype: DType::I32,
            }),
            Step::Library(LibraryStep::MatMul {
                a: Operand {
                    buffer: BufferRef::Temp(0),
                    view: View::contiguous(s(&[2, 2])),
                },
                // x transposed, read straight from the input.
                b: Operand {
                    buffer: BufferRef::Input(0),
                    view: View {
                        shape: s(&[2, 2]),
                        strides: vec![1, 2],
                        offset: 0,
                    },
                },
                out: 1,
                dtype: DType::I32,
            }),
        ],
        outputs: vec![Operand {
            buffer: BufferRef::Temp(1),
            view: View::contiguous(s(&[2, 2])),
        }],
    };
    let got = run_schedule(&schedule, &[x]).unwrap();
    // cumsum = [[1, 3], [3, 7]]; x^T = [[1, 3], [2, 4]].
    assert_eq!(got[0].to_vec::<i32>(), vec![7, 15, 17, 37]);
}

#[test]
fn schedules_failing_verification_are_rejected() {
    let inputs = inputs_2x3();
    let mut schedule = Schedule {
        buffers: vec![BufferDecl {
            dtype: DType::F32,
            len: 6,
        }],
        steps: vec![Step::Kernel(KernelStep {
            kernel: elementwise_kernel(),
            geometry: LaunchGeometry {
                dims: vec![2, 3],
                params: vec![layout(0, &[3, 1]), layout(0, &[0, 1]), layout(0, &[3, 1])],
            },
            buffers: vec![BufferRef::Input(0), BufferRef::Input(1), BufferRef::Temp(0)],
        })],
        outputs: vec![Operand {
            buffer: BufferRef::Temp(0),
            view: View::contiguous(s(&[2, 3])),
        }],
    };
    // A layout that leaves the input.
    if let Step::Kernel(k) = &mut schedule.steps[0] {
        k.geometry.params[0] = layout(1, &[3, 1]);
    }
    assert!(matches!(
        run_schedule(&schedule, &inputs),
        Err(InterpError::Ir(_))
    ));
    // A write param bound to a program input is refused (by `Schedule::verify`).
    if let Step::Kernel(k) = &mut schedule.steps[0] {
        k.geometry.params[0] = layout(0, &[3, 1]);
        k.buffers[2] = BufferRef::Input(0);
    }
    schedule.outputs[0].buffer = BufferRef::Input(0);
    assert!(matches!(
        run_schedule(&schedule, &inputs),
        Err(InterpError::Ir(_))
    ));
}

#[test]
fn run_kernel_checks_bindings() {
    let k = elementwise_kernel();
    let g = LaunchGeometry {
        dims: vec![2, 3],
        params: vec![layout(0, &[3, 1]), layout(0, &[0, 1]), layout(0, &[3, 1])],
    };
    let a = Storage::from_slice(&[1.0f32; 6]).unwrap();
    let b = Storage::from_slice(&[2.0f32; 3]).unwrap();
    let wrong_dtype = Storage::from_slice(&[2.0f64; 3]).unwrap();
    let mut out = Storage::zeroed(DType::F32, 6).unwrap();
    let mut short = Storage::zeroed(DType::F32, 5).unwrap();
    {
        let mut bufs = [
            KernelBuffer::Read(&a),
            KernelBuffer::Read(&wrong_dtype),
            KernelBuffer::Write(&mut out),
        ];
        assert!(matches!(
            run_kernel(&k, &g, &mut bufs),
            Err(InterpError::Binding(_))
        ));
    }
    {
        let mut bufs = [
            KernelBuffer::Read(&a),
            KernelBuffer::Read(&b),
            KernelBuffer::Write(&mut short),
        ];
        assert!(matches!(
            run_kernel(&k, &g, &mut bufs),
            Err(InterpError::Binding(_))
        ));
    }
    {
        let mut bufs = [KernelBuffer::Read(&a), KernelBuffer::Read(&b)];
        assert!(matches!(
            run_kernel(&k, &g, &mut bufs),
            Err(InterpError::Binding(_))
        ));
    }
    let mut bufs = [
        KernelBuffer::Read(&a),
        KernelBuffer::Read(&b),
        KernelBuffer::Write(&mut out),
    ];
    run_kernel(&k, &g, &mut bufs).unwrap();
    assert_eq!(out.as_slice::<f32>().unwrap(), &[3.0; 6]);
}

#[test]
fn epilogue_may_use_reduce_invariant_body_values_only() {
    let f = DType::F64;
    let mut k = norm_kernel();
    // A body constant used by the epilogue is fine: out = sqrt(sum) + 2.
    k.body.push(v(Inst::Const(Scalar::F64(2.0)), f));
    // Renumber the epilogue: body now has 3 values.
    k.epilogue = vec![
        v(Inst::Reduced, f),
        v(
            Inst::Unary {
                op: UnaryOp::Sqrt,
                arg: ValueId(3),
            },
            f,
        ),
        v(
            Inst::Binary {
                op: BinaryOp::Add,
                lhs: ValueId(4),
                rhs: ValueId(2),
            },
            f,
        ),
    ];
    k.stores[0].value = ValueId(5);
    k.params[1] = param(f, Access::Read, InnerStride::Unit);
    // p1 is now unused; keep it bound to a harmless buffer.
    let g = LaunchGeometry {
        dims: vec![1, 2],
        params: vec![layout(0, &[2, 1]), layout(0, &[0, 0]), layout(0, &[1, 0])],
    };
    let x = Storage::from_slice(&[3.0f64, 4.0]).unwrap();
    let unused = Storage::from_slice(&[0.0f64]).unwrap();
    let mut out = Storage::zeroed(f, 1).unwrap();
    let mut bufs = [
        KernelBuffer::Read(&x),
        KernelBuffer::Read(&unused),
        KernelBuffer::Write(&mut out),
    ];
    run_kernel(&k, &g, &mut bufs).unwrap();
    assert_eq!(out.as_slice::<f64>().unwrap(), &[7.0]);

    // Using the loaded body value (which varies over the reduce dim) is ambiguous.
    if let Inst::Binary { rhs, .. } = &mut k.epilogue[2].inst {
        *rhs = ValueId(0);
    }
    let mut out = Storage::zeroed(f, 1).unwrap();
    let mut bufs = [
        KernelBuffer::Read(&x),
        KernelBuffer::Read(&unused),
        KernelBuffer::Write(&mut out),
    ];
    assert!(matches!(
        run_kernel(&k, &g, &mut bufs),
        Err(InterpError::Unsupported(_))
    ));
}

mod strided_kernels {
    use super::*;
    use kiln_interp::testgen::arb_realized;
    use proptest::prelude::*;

    fn dtype_and_op() -> impl Strategy<Value = (DType, UnaryOp)> {
        proptest::sample::select(DType::ALL.to_vec()).prop_flat_map(|d| {
            let ops: Vec<UnaryOp> = UnaryOp::ALL
                .into_iter()
                .filter(|op| op.result_dtype(d).is_some())
                .collect();
            (Just(d), proptest::sample::select(ops))
        })
    }

    fn input() -> impl Strategy<Value = (UnaryOp, Realized)> {
        (dtype_and_op(), proptest::collection::vec(0usize..4, 0..=3))
            .prop_flat_map(|((dtype, op), dims)| (Just(op), arb_realized(dtype, Shape(dims))))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// A one-op kernel loading a strided input through its layout agrees bit for bit with
        /// the graph interpreter reading the same view.
        #[test]
        fn unary_kernel_over_strided_input_matches_program((op, x) in input()) {
            let dtype = x.dtype();
            let out_dtype = op.result_dtype(dtype).unwrap_or(dtype);
            let shape = x.shape().clone();
            let rank = shape.rank();
            let kernel = Kernel {
                name: "unary".into(),
                params: vec![
                    param(dtype, Access::Read, InnerStride::Any),
                    param(out_dtype, Access::Write, InnerStride::Unit),
                ],
                outer_rank: rank,
                body: vec![
                    v(Inst::Load { param: 0 }, dtype),
                    v(Inst::Unary { op, arg: ValueId(0) }, out_dtype),
                ],
                reduce: None,
                epilogue: vec![],
                stores: vec![Store { param: 1, value: ValueId(1) }],
            };
            let schedule = Schedule {
                buffers: vec![BufferDecl { dtype: out_dtype, len: shape.numel() }],
                steps: vec![Step::Kernel(KernelStep {
                    kernel,
                    geometry: LaunchGeometry {
                        dims: shape.0.clone(),
                        params: vec![
                            layout(x.view.offset, &x.view.strides),
                            layout(0, &shape.contiguous_strides()),
                        ],
                    },
                    buffers: vec![BufferRef::Input(0), BufferRef::Temp(0)],
                })],
                outputs: vec![Operand { buffer: BufferRef::Temp(0), view: View::contiguous(shape.clone()) }],
            };
            let got = run_schedule(&schedule, std::slice::from_ref(&x));
            prop_assert!(got.is_ok(), "{:?}", got.err());
            let mut p = Program::new();
            let input = p.add_input(x.clone());
            let y = p.add(Op::Unary(op), vec![input]).map_err(|e| TestCaseError::fail(e.to_string()))?;
            p.outputs.push(y);
            let want = run_program(&p).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let got = got.unwrap_or_default();
            prop_assert!(assert_close(&want[0], &got[0], &Tolerance::exact()).is_ok());
        }
    }
}
