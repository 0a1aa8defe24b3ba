//! Times contiguous reductions launched straight on the backend (no graph, no optimiser):
//! `cargo run --release -p kiln-cpu --example reduce_probe`. Prints the median of 21 launches
//! of sum(x*x) over 1e7 f32 and max(x) over 1e7 f64, on 1 and 2 threads, with the read
//! bandwidth this means.
use kiln_cpu::CpuBackend;
use kiln_cpu::exec::LaunchBuffer;
use kiln_ir::{
    Access, BinaryOp, DType, InnerStride, Inst, Kernel, LaunchGeometry, Param, ParamLayout,
    ReduceOp, Reduction, Storage, Store, Value, ValueId,
};
use std::time::Instant;

fn kernel(op: ReduceOp, d: DType, square: bool) -> Kernel {
    let mut body = vec![Value {
        inst: Inst::Load { param: 0 },
        dtype: d,
    }];
    if square {
        body.push(Value {
            inst: Inst::Binary {
                op: BinaryOp::Mul,
                lhs: ValueId(0),
                rhs: ValueId(0),
            },
            dtype: d,
        });
    }
    let p = |access, inner| Param {
        dtype: d,
        access,
        inner,
    };
    let reduced = ValueId(body.len() as u32);
    Kernel {
        name: "probe".into(),
        params: vec![
            p(Access::Read, InnerStride::Unit),
            p(Access::Write, InnerStride::Unit),
        ],
        outer_rank: 0,
        reduce: Some(Reduction {
            op,
            value: ValueId(body.len() as u32 - 1),
            dims: 1,
        }),
        body,
        epilogue: vec![Value {
            inst: Inst::Reduced,
            dtype: d,
        }],
        stores: vec![Store {
            param: 1,
            value: reduced,
        }],
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = 10_000_000;
    let f32s: Vec<f32> = (0..n).map(|i| (i % 1000) as f32 * 0.001).collect();
    let f64s: Vec<f64> = (0..n).map(|i| (i % 1000) as f64 * 0.001).collect();
    let cases = [
        (
            "sum(x*x) f32",
            kernel(ReduceOp::Sum, DType::F32, true),
            Storage::from_slice(&f32s)?,
        ),
        (
            "max(x) f64",
            kernel(ReduceOp::Max, DType::F64, false),
            Storage::from_slice(&f64s)?,
        ),
    ];
    // Cold costs: a fresh backend (JIT module + thread pool), then each kernel's first compile.
    for _ in 0..3 {
        let t = Instant::now();
        let backend = CpuBackend::with_threads(2)?;
        let new = t.elapsed();
        let mut line = format!("cold: backend {:.3} ms", new.as_secs_f64() * 1e3);
        for (name, k, _) in &cases {
            let t = Instant::now();
            backend.compile(k)?;
            line += &format!(", compile {name} {:.3} ms", t.elapsed().as_secs_f64() * 1e3);
        }
        println!("{line}");
    }
    if std::env::args().any(|a| a == "--clif") {
        println!("{}", CpuBackend::with_threads(1)?.clif_text(&cases[0].1)?);
        return Ok(());
    }
    for threads in [1, 2] {
        // The machine's ceiling: a native Rust read-only pass with 16 independent sums.
        let mut times = Vec::new();
        let mut sink = 0.0f32;
        for _ in 0..21 {
            let t = Instant::now();
            let per = n.div_ceil(threads);
            sink += std::thread::scope(|s| {
                let hs: Vec<_> = f32s
                    .chunks(per)
                    .map(|c| {
                        s.spawn(move || {
                            let mut acc = [0.0f32; 16];
                            for w in c.chunks_exact(16) {
                                for (a, &v) in acc.iter_mut().zip(w) {
                                    *a += v * v;
                                }
                            }
                            acc.iter().sum::<f32>()
                        })
                    })
                    .collect();
                hs.into_iter().map(|h| h.join().unwrap_or(0.0)).sum::<f32>()
            });
            times.push(t.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let med = times[times.len() / 2];
        println!(
            "{threads} thread(s) native rust sum(x*x) f32 1e7: {:.3} ms ({:.1} GB/s read) [{sink}]",
            med * 1e3,
            (n * 4) as f64 / med / 1e9
        );
        let backend = CpuBackend::with_threads(threads)?;
        for (name, k, x) in &cases {
            let g = LaunchGeometry {
                dims: vec![n],
                params: vec![
                    ParamLayout {
                        offset: 0,
                        strides: vec![1],
                    },
                    ParamLayout {
                        offset: 0,
                        strides: vec![0],
                    },
                ],
            };
            let mut out = Storage::zeroed(k.params[1].dtype, 1)?;
            let mut times = Vec::new();
            for _ in 0..21 {
                let t = Instant::now();
                backend.launch(
                    k,
                    &g,
                    &mut [LaunchBuffer::Read(x), LaunchBuffer::Write(&mut out)],
                )?;
                times.push(t.elapsed().as_secs_f64());
            }
            times.sort_by(f64::total_cmp);
            let med = times[times.len() / 2];
            let bytes = (n * k.params[0].dtype.size_bytes()) as f64;
            println!(
                "{threads} thread(s) {name} 1e7: {:.3} ms ({:.1} GB/s read)",
                med * 1e3,
                bytes / med / 1e9
            );
        }
    }
    Ok(())
}
