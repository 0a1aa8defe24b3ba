//! Kernels for the CUDA backend's tests: the kernels the pipeline schedules for random programs
//! (kiln-interp's `testgen`, the generator of tests/differential.rs, optimised and scheduled as
//! the facade does) and hand-built kernels that cover every op on every dtype it accepts.

#![allow(dead_code)]

pub mod host;
pub mod library_cases;
pub mod workloads;

use kiln_interp::testgen::{GenConfig, arb_program};
use kiln_ir::{
    Access, BinaryOp, DType, InnerStride, Inst, Kernel, Param, ReduceOp, Reduction, Scalar, Step,
    Store, UnaryOp, Value, ValueId,
};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use std::collections::BTreeMap;

/// Whether to run NVRTC: false (with a message) when it is missing and not required
/// (`KILN_REQUIRE_NVRTC`, set by CI after installing the `nvidia-cuda-nvrtc` wheel).
pub fn nvrtc_or_skip(test: &str) -> bool {
    if kiln_cuda::nvrtc_available() {
        return true;
    }
    let required = std::env::var_os("KILN_REQUIRE_NVRTC").is_some_and(|v| !v.is_empty());
    assert!(
        !required,
        "KILN_REQUIRE_NVRTC is set but libnvrtc cannot be loaded (LD_LIBRARY_PATH?)"
    );
    eprintln!(
        "{test}: libnvrtc not found; NVRTC checks SKIPPED (set KILN_REQUIRE_NVRTC=1 to require them)"
    );
    false
}

/// The distinct kernels (by `canonical_text`) of `cases` random programs per generator config,
/// optimised with kiln-opt and scheduled with kiln-sched's defaults, as `pipeline.rs` does.
pub fn scheduled_kernels(cases: usize) -> Vec<Kernel> {
    let configs = [
        GenConfig::default(),
        GenConfig {
            allow_reduce: false,
            allow_library: false,
            max_nodes: 16,
            ..GenConfig::default()
        },
        GenConfig {
            dtypes: vec![DType::F32, DType::F64],
            max_nodes: 12,
            ..GenConfig::default()
        },
        GenConfig {
            dtypes: vec![DType::C64, DType::C128, DType::F32],
            ..GenConfig::default()
        },
    ];
    let mut kernels = BTreeMap::new();
    let mut runner = TestRunner::deterministic();
    for cfg in configs {
        let strategy = arb_program(cfg);
        for _ in 0..cases {
            let Ok(tree) = strategy.new_tree(&mut runner) else {
                continue;
            };
            let program = tree.current();
            let optimized = match kiln_opt::optimize(&program, &kiln_opt::OptConfig::default()) {
                Ok((p, _)) => p,
                Err(e) => panic!("optimiser failed on a generated program: {e}\n{program}"),
            };
            let schedule = kiln_sched::schedule(&optimized, &kiln_sched::SchedConfig::default())
                .unwrap_or_else(|e| panic!("scheduler failed: {e}\n{optimized}"));
            for step in schedule.steps {
                if let Step::Kernel(k) = step {
                    kernels.insert(k.kernel.canonical_text(), k.kernel);
                }
            }
        }
    }
    kernels.into_values().collect()
}

fn read(dtype: DType, inner: InnerStride) -> Param {
    Param {
        dtype,
        access: Access::Read,
        inner,
    }
}

fn write(dtype: DType) -> Param {
    Param {
        dtype,
        access: Access::Write,
        inner: InnerStride::Unit,
    }
}

/// A rank-1 elementwise kernel over `x`, `y` (dtype `d`) and a bool `c` that applies every unary
/// and binary op `d` accepts, `where`, and a cast to every dtype, each stored to its own output.
pub fn all_ops_kernel(d: DType) -> Kernel {
    let mut params = vec![
        read(d, InnerStride::Unit),
        read(d, InnerStride::Any),
        read(DType::Bool, InnerStride::Zero),
    ];
    let mut body = vec![
        Value {
            inst: Inst::Load { param: 0 },
            dtype: d,
        },
        Value {
            inst: Inst::Load { param: 1 },
            dtype: d,
        },
        Value {
            inst: Inst::Load { param: 2 },
            dtype: DType::Bool,
        },
    ];
    let (x, y, c) = (ValueId(0), ValueId(1), ValueId(2));
    let mut stores = Vec::new();
    let mut push = |params: &mut Vec<Param>, body: &mut Vec<Value>, inst: Inst, dtype: DType| {
        body.push(Value { inst, dtype });
        params.push(write(dtype));
        stores.push(Store {
            param: params.len() - 1,
            value: ValueId(body.len() as u32 - 1),
        });
    };
    for op in UnaryOp::ALL {
        if let Some(r) = op.result_dtype(d) {
            push(&mut params, &mut body, Inst::Unary { op, arg: x }, r);
        }
    }
    for op in BinaryOp::ALL {
        if let Some(r) = op.result_dtype(d) {
            let inst = Inst::Binary { op, lhs: x, rhs: y };
            push(&mut params, &mut body, inst, r);
        }
    }
    let select = Inst::Select {
        cond: c,
        then: x,
        otherwise: y,
    };
    push(&mut params, &mut body, select, d);
    for to in DType::ALL {
        push(&mut params, &mut body, Inst::Cast { arg: x, to }, to);
    }
    push(&mut params, &mut body, Inst::Index { dim: 0 }, DType::I64);
    push(&mut params, &mut body, Inst::Const(Scalar::one(d)), d);
    Kernel {
        name: format!("all_ops_{}", d.short_name()),
        params,
        outer_rank: 1,
        body,
        reduce: None,
        epilogue: Vec::new(),
        stores,
    }
}

/// `out[i] = op(x[i, ...])` over `dims` reduce dims (1 for arg reductions), `None` where `op`
/// does not accept `d`.
pub fn reduce_kernel(op: ReduceOp, d: DType, dims: usize) -> Option<Kernel> {
    let r = op.result_dtype(d)?;
    Some(Kernel {
        name: format!("{}_{}_{dims}", op.name(), d.short_name()),
        params: vec![read(d, InnerStride::Unit), write(r)],
        outer_rank: 1,
        body: vec![Value {
            inst: Inst::Load { param: 0 },
            dtype: d,
        }],
        reduce: Some(Reduction {
            op,
            value: ValueId(0),
            dims,
        }),
        epilogue: vec![Value {
            inst: Inst::Reduced,
            dtype: r,
        }],
        stores: vec![Store {
            param: 1,
            value: ValueId(1),
        }],
    })
}

/// Every reduction on every dtype it accepts (over 1 and, for non-arg ops, 2 dims).
pub fn all_reduce_kernels() -> Vec<Kernel> {
    let ops = [
        ReduceOp::Sum,
        ReduceOp::Prod,
        ReduceOp::Max,
        ReduceOp::Min,
        ReduceOp::Any,
        ReduceOp::All,
        ReduceOp::ArgMax,
        ReduceOp::ArgMin,
    ];
    let mut out = Vec::new();
    for op in ops {
        for d in DType::ALL {
            for dims in [1, 2] {
                if dims == 2 && op.is_arg() {
                    continue;
                }
                out.extend(reduce_kernel(op, d, dims));
            }
        }
    }
    out
}
