//! Throughput of `log(sin(x) + 5)` on 1e7 f32 elements and of `sum(x * x)`, in ns per element,
//! on one thread and on all threads. Run with `cargo run --release -p kiln-cpu --example logsin`.

use kiln_cpu::CpuBackend;
use kiln_cpu::exec::LaunchBuffer;
use kiln_ir::{
    Access, BinaryOp, DType, InnerStride, Inst, Kernel, LaunchGeometry, Param, ParamLayout,
    ReduceOp, Reduction, Scalar, Storage, Store, UnaryOp, Value, ValueId,
};
use std::time::Instant;

fn v(inst: Inst) -> Value {
    Value {
        inst,
        dtype: DType::F32,
    }
}

fn p(access: Access) -> Param {
    Param {
        dtype: DType::F32,
        access,
        inner: InnerStride::Unit,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n = 10_000_000;
    let logsin = Kernel {
        name: "logsin".into(),
        params: vec![p(Access::Read), p(Access::Write)],
        outer_rank: 1,
        body: vec![
            v(Inst::Load { param: 0 }),
            v(Inst::Unary {
                op: UnaryOp::Sin,
                arg: ValueId(0),
            }),
            v(Inst::Const(Scalar::F32(5.0))),
            v(Inst::Binary {
                op: BinaryOp::Add,
                lhs: ValueId(1),
                rhs: ValueId(2),
            }),
            v(Inst::Unary {
                op: UnaryOp::Log,
                arg: ValueId(3),
            }),
        ],
        reduce: None,
        epilogue: vec![],
        stores: vec![Store {
            param: 1,
            value: ValueId(4),
        }],
    };
    let sumsq = Kernel {
        name: "sumsq".into(),
        params: vec![p(Access::Read), p(Access::Write)],
        outer_rank: 0,
        body: vec![
            v(Inst::Load { param: 0 }),
            v(Inst::Binary {
                op: BinaryOp::Mul,
                lhs: ValueId(0),
                rhs: ValueId(0),
            }),
        ],
        reduce: Some(Reduction {
            op: ReduceOp::Sum,
            value: ValueId(1),
            dims: 1,
        }),
        epilogue: vec![v(Inst::Reduced)],
        stores: vec![Store {
            param: 1,
            value: ValueId(2),
        }],
    };
    let data: Vec<f32> = (0..n).map(|i| (i as f32) * 1e-5).collect();
    let x = Storage::from_slice(&data)?;
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    for t in [1, threads] {
        let backend = CpuBackend::with_threads(t)?;
        for (k, out_len, dims, out_strides) in [
            (&logsin, n, vec![n], vec![1]),
            (&sumsq, 1, vec![n], vec![0]),
        ] {
            let g = LaunchGeometry {
                dims,
                params: vec![
                    ParamLayout {
                        offset: 0,
                        strides: vec![1],
                    },
                    ParamLayout {
                        offset: 0,
                        strides: out_strides,
                    },
                ],
            };
            let mut out = Storage::zeroed(DType::F32, out_len)?;
            backend.launch(
                k,
                &g,
                &mut [LaunchBuffer::Read(&x), LaunchBuffer::Write(&mut out)],
            )?;
            let reps = 5;
            let start = Instant::now();
            for _ in 0..reps {
                backend.launch(
                    k,
                    &g,
                    &mut [LaunchBuffer::Read(&x), LaunchBuffer::Write(&mut out)],
                )?;
            }
            let ns = start.elapsed().as_nanos() as f64 / (reps * n) as f64;
            println!("{:>8} threads={t}: {ns:.3} ns/element", k.name);
        }
    }
    Ok(())
}
