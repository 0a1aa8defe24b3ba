//! The generated CUDA C, compiled for the host (one block of one thread, see
//! `support/host_shim.h`), against the reference interpreter: every op and cast on every dtype
//! over special values (NaN, infinities, signed zeros, integer extremes, zero divisors, shift
//! counts out of range), every reduction, and every kernel the scheduler makes for random
//! programs, each kernel on the same inputs as `kiln_interp::run_kernel`. This checks the
//! semantics the generator writes (ops, casts, addressing, strides, epilogues) with no GPU; the
//! parallel parts (grid-stride partitioning, warp shuffles) need the device.
//!
//! Needs a host C++ compiler (`CXX`, default `c++`); says so and passes when there is none.

mod support;

use kiln_interp::compare::{Tolerance, assert_close};
use kiln_interp::{KernelBuffer, run_kernel};
use kiln_ir::{
    Access, BufferRef, C64, C128, DType, Kernel, LaunchGeometry, ParamLayout, Realized, Scalar,
    Shape, Step, Storage,
};
use std::sync::Arc;
use support::host::{HostKernels, copy_storage, cxx};

/// Chunks per row when a build runs reductions in their split form (more chunks than some rows
/// of the tests have points, so empty chunks are covered too).
const SPLITS: usize = 4;

/// Special and ordinary values of a dtype.
fn specials(d: DType) -> Vec<Scalar> {
    let floats = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -1.5,
        2.5,
        3.0,
        -7.25,
        1e-3,
        100.0,
        1e30,
        -1e300,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ];
    let ints: [i64; 14] = [
        0,
        1,
        -1,
        2,
        -2,
        3,
        7,
        -7,
        8,
        63,
        64,
        100,
        i64::MIN,
        i64::MAX,
    ];
    match d {
        DType::Bool => vec![Scalar::Bool(false), Scalar::Bool(true)],
        DType::F32 | DType::F64 => floats.iter().map(|&v| Scalar::from_f64(v, d)).collect(),
        DType::C64 | DType::C128 => {
            let parts = [0.0, -0.0, 1.0, -2.5, 0.5, 1e30, f64::INFINITY, f64::NAN];
            let mut out = Vec::new();
            for &re in &parts {
                for &im in &parts[..6] {
                    out.push(match d {
                        DType::C64 => Scalar::C64(C64::new(re as f32, im as f32)),
                        _ => Scalar::C128(C128::new(re, im)),
                    });
                }
            }
            out
        }
        _ => {
            let mut v: Vec<Scalar> = ints.iter().map(|&i| Scalar::from_i64(i, d)).collect();
            if d.is_unsigned_integer() {
                v.push(Scalar::from_i64(-1, d).cast(d));
            }
            v.push(Scalar::from_i64((d.int_bits() - 1) as i64, d));
            v.push(Scalar::from_i64(d.int_bits() as i64, d));
            v
        }
    }
}

fn storage(d: DType, values: &[Scalar]) -> Storage {
    let mut s = Storage::zeroed(d, values.len()).expect("storage");
    for (i, v) in values.iter().enumerate() {
        s.set(i, *v).expect("set");
    }
    s
}

fn realized(s: Storage) -> Realized {
    let n = s.len();
    Realized::contiguous(Arc::new(s), Shape::from([n])).expect("realized")
}

/// Runs kernel `index` of `host` and the interpreter on copies of `buffers`; compares every
/// written buffer (integers and bools exactly, floats within `tol`).
fn compare_kernel(
    host: &HostKernels,
    index: usize,
    k: &Kernel,
    g: &LaunchGeometry,
    buffers: &[Storage],
    tol: &Tolerance,
) -> Result<Vec<Storage>, String> {
    let mut got: Vec<Storage> = buffers.iter().map(copy_storage).collect();
    host.run(index, k, g, &mut got, SPLITS);
    let mut want: Vec<Storage> = buffers.iter().map(copy_storage).collect();
    {
        let mut bound: Vec<KernelBuffer<'_>> = want
            .iter_mut()
            .zip(&k.params)
            .map(|(s, p)| match p.access {
                Access::Read => KernelBuffer::Read(&*s),
                Access::Write => KernelBuffer::Write(s),
            })
            .collect();
        run_kernel(k, g, &mut bound).map_err(|e| format!("interpreter: {e}"))?;
    }
    let mut failures = Vec::new();
    for (p, param) in k.params.iter().enumerate() {
        if param.access != Access::Write {
            continue;
        }
        let t = if param.dtype.is_floating() {
            *tol
        } else {
            Tolerance::exact()
        };
        let (w, h) = (
            realized(copy_storage(&want[p])),
            realized(copy_storage(&got[p])),
        );
        if let Err(e) = assert_close(&w, &h, &t) {
            let value = k
                .stores
                .iter()
                .find(|s| s.param == p)
                .map(|s| k.value(s.value));
            failures.push(format!("p{p} ({value:?}): {e}"));
        }
    }
    if !failures.is_empty() {
        return Err(format!("{}\n{k}", failures.join("\n")));
    }
    Ok(want)
}

#[test]
fn every_op_and_cast_matches_the_interpreter_on_special_values() {
    let Some(cxx) = cxx() else {
        eprintln!("no host C++ compiler: host emulation SKIPPED");
        return;
    };
    let kernels: Vec<Kernel> = DType::ALL
        .into_iter()
        .map(support::all_ops_kernel)
        .collect();
    let host = HostKernels::build(&cxx, "ops", &kernels, false);
    let mut failures = Vec::new();
    for (i, k) in kernels.iter().enumerate() {
        let d = k.params[0].dtype;
        let vals = specials(d);
        // Every pair (x, y); the condition is a broadcast scalar.
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for a in &vals {
            for b in &vals {
                xs.push(*a);
                ys.push(*b);
            }
        }
        let n = xs.len();
        let mut buffers = vec![
            storage(d, &xs),
            storage(d, &ys),
            storage(DType::Bool, &[Scalar::Bool(true)]),
        ];
        for p in &k.params[3..] {
            buffers.push(Storage::zeroed(p.dtype, n).expect("out"));
        }
        let layouts = k
            .params
            .iter()
            .enumerate()
            .map(|(p, _)| ParamLayout {
                offset: 0,
                strides: vec![if p == 2 { 0 } else { 1 }],
            })
            .collect();
        let g = LaunchGeometry {
            dims: vec![n],
            params: layouts,
        };
        // One op each: the single-op budget, except complex transcendentals (closed forms).
        let tol = if d.is_complex() {
            Tolerance::program()
        } else {
            Tolerance::single_op()
        };
        if let Err(e) = compare_kernel(&host, i, k, &g, &buffers, &tol) {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} dtypes failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_reduction_matches_the_interpreter() {
    check_every_reduction(false);
}

#[test]
fn every_split_reduction_matches_the_interpreter() {
    check_every_reduction(true);
}

fn check_every_reduction(split: bool) {
    let Some(cxx) = cxx() else {
        eprintln!("no host C++ compiler: host emulation SKIPPED");
        return;
    };
    let kernels = support::all_reduce_kernels();
    let tag = if split { "split" } else { "reduce" };
    let host = HostKernels::build(&cxx, tag, &kernels, split);
    let mut failures = Vec::new();
    for (i, k) in kernels.iter().enumerate() {
        let d = k.params[0].dtype;
        let mut vals = specials(d);
        let op = k.reduce.as_ref().map(|r| r.op);
        if d.is_complex() && op == Some(kiln_ir::ReduceOp::Prod) {
            // The textbook complex product is not associative once a part overflows (inf * 0
            // gives NaN), so the result of such a product depends on the combination order,
            // which a parallel reduction chooses: small finite factors only.
            vals.retain(|v| {
                let c = v.to_c128();
                c.re.abs() < 10.0 && c.im.abs() < 10.0
            });
        }
        let dims = k.reduce.as_ref().map_or(1, |r| r.dims);
        // Rows of 5 (or 2 x 3) values walking through the specials, plus an empty-row case
        // for the reductions with an identity.
        let inner: Vec<usize> = if dims == 1 { vec![5] } else { vec![2, 3] };
        let per_row: usize = inner.iter().product();
        let rows = vals.len();
        let xs: Vec<Scalar> = (0..rows * per_row)
            .map(|j| vals[(j * 7 + j / per_row) % vals.len()])
            .collect();
        let mut strides = vec![per_row as isize];
        if dims == 2 {
            strides.extend([3, 1]);
        } else {
            strides.push(1);
        }
        let out_strides = vec![1; 1 + dims];
        let g = LaunchGeometry {
            dims: std::iter::once(rows).chain(inner).collect(),
            params: vec![
                ParamLayout { offset: 0, strides },
                ParamLayout {
                    offset: 0,
                    strides: out_strides,
                },
            ],
        };
        let buffers = vec![
            storage(d, &xs),
            Storage::zeroed(k.params[1].dtype, rows).expect("out"),
        ];
        // Float sums and products accumulate in the element type here (the reference in f64).
        if let Err(e) = compare_kernel(&host, i, k, &g, &buffers, &Tolerance::program()) {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} kernels failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The kernels the scheduler makes for random programs (real dtypes, no library steps), each
/// run on the interpreter's state before it: generated code and interpreter must agree kernel
/// by kernel.
#[test]
fn scheduled_kernels_of_random_programs_match_the_interpreter() {
    check_random_programs(false);
}

/// The same with every reduction in its split form.
#[test]
fn split_reductions_of_random_programs_match_the_interpreter() {
    check_random_programs(true);
}

fn check_random_programs(split: bool) {
    use kiln_interp::testgen::{GenConfig, arb_program};
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    let Some(cxx) = cxx() else {
        eprintln!("no host C++ compiler: host emulation SKIPPED");
        return;
    };
    let cfg = GenConfig {
        dtypes: DType::ALL.into_iter().filter(|d| !d.is_complex()).collect(),
        allow_library: false,
        ..GenConfig::default()
    };
    let strategy = arb_program(cfg);
    let mut runner = TestRunner::deterministic();
    let mut cases = Vec::new();
    while cases.len() < 60 {
        let p = strategy.new_tree(&mut runner).expect("program").current();
        let (opt, _) = kiln_opt::optimize(&p, &kiln_opt::OptConfig::default()).expect("opt");
        let s = kiln_sched::schedule(&opt, &kiln_sched::SchedConfig::default()).expect("sched");
        if s.steps.iter().all(|st| matches!(st, Step::Kernel(_))) {
            cases.push((opt, s));
        }
    }
    let kernels: Vec<Kernel> = cases
        .iter()
        .flat_map(|(_, s)| s.steps.iter())
        .filter_map(|st| match st {
            Step::Kernel(k) => Some(k.kernel.clone()),
            Step::Library(_) => None,
        })
        .collect();
    let host = HostKernels::build(
        &cxx,
        if split { "random-split" } else { "random" },
        &kernels,
        split,
    );
    let mut index = 0;
    let mut failures = Vec::new();
    for (p, s) in &cases {
        let mut temps: Vec<Storage> = s
            .buffers
            .iter()
            .map(|b| Storage::zeroed(b.dtype, b.len).expect("temp"))
            .collect();
        for st in &s.steps {
            let Step::Kernel(ks) = st else { continue };
            let buffers: Vec<Storage> = ks
                .buffers
                .iter()
                .map(|b| match *b {
                    BufferRef::Input(i) => copy_storage(&p.inputs[i].storage),
                    BufferRef::Temp(t) => copy_storage(&temps[t]),
                })
                .collect();
            match compare_kernel(
                &host,
                index,
                &ks.kernel,
                &ks.geometry,
                &buffers,
                &Tolerance::program(),
            ) {
                Ok(after) => {
                    for ((b, param), storage) in ks.buffers.iter().zip(&ks.kernel.params).zip(after)
                    {
                        if let (BufferRef::Temp(t), Access::Write) = (b, param.access) {
                            temps[*t] = storage;
                        }
                    }
                }
                Err(e) => failures.push(format!("{e}\nprogram:\n{p}")),
            }
            index += 1;
        }
    }
    assert!(index > 60, "too few kernels: {index}");
    assert!(
        failures.is_empty(),
        "{} kernels failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// `out = where(c, x * y + 1, x)`: a vectorizable kernel (real params, no index values).
fn vector_kernel(d: DType, x_inner: kiln_ir::InnerStride, y_inner: kiln_ir::InnerStride) -> Kernel {
    use kiln_ir::{BinaryOp, InnerStride, Inst, Param, Store, Value, ValueId};
    let read = |dtype, inner| Param {
        dtype,
        access: Access::Read,
        inner,
    };
    let v = |inst, dtype| Value { inst, dtype };
    Kernel {
        name: format!("vec_{}", d.short_name()),
        params: vec![
            read(d, x_inner),
            read(d, y_inner),
            read(DType::Bool, InnerStride::Unit),
            Param {
                dtype: d,
                access: Access::Write,
                inner: InnerStride::Unit,
            },
        ],
        outer_rank: 2,
        body: vec![
            v(Inst::Load { param: 0 }, d),
            v(Inst::Load { param: 1 }, d),
            v(Inst::Load { param: 2 }, DType::Bool),
            v(
                Inst::Binary {
                    op: BinaryOp::Mul,
                    lhs: ValueId(0),
                    rhs: ValueId(1),
                },
                d,
            ),
            v(Inst::Const(Scalar::from_f64(1.0, d)), d),
            v(
                Inst::Binary {
                    op: BinaryOp::Add,
                    lhs: ValueId(3),
                    rhs: ValueId(4),
                },
                d,
            ),
            v(
                Inst::Select {
                    cond: ValueId(2),
                    then: ValueId(5),
                    otherwise: ValueId(0),
                },
                d,
            ),
        ],
        reduce: None,
        epilogue: vec![],
        stores: vec![Store {
            param: 3,
            value: ValueId(6),
        }],
    }
}

/// The vectorised path of elementwise kernels against the interpreter: every tail length, a
/// broadcast scalar operand (`FLAT_FIXED`), a misaligned offset (the scalar fallback on the
/// device), a contiguous 2-D space, and a transposed operand (the general loop).
#[test]
fn vectorised_elementwise_paths_match_the_interpreter() {
    use kiln_ir::InnerStride;
    let Some(cxx) = cxx() else {
        eprintln!("no host C++ compiler: host emulation SKIPPED");
        return;
    };
    let dtypes = [DType::F32, DType::F64, DType::I32, DType::U8];
    let kernels: Vec<Kernel> = dtypes
        .iter()
        .flat_map(|&d| {
            [
                vector_kernel(d, InnerStride::Unit, InnerStride::Unit),
                vector_kernel(d, InnerStride::Any, InnerStride::Zero),
            ]
        })
        .collect();
    assert!(kernels.iter().all(kiln_cuda::codegen::vectorizable));
    let host = HostKernels::build(&cxx, "vector", &kernels, false);
    let layout = |offset: usize, strides: [isize; 2]| ParamLayout {
        offset,
        strides: strides.to_vec(),
    };
    let mut failures = Vec::new();
    let mut cases = 0;
    for (i, k) in kernels.iter().enumerate() {
        let d = k.params[0].dtype;
        let transposable = k.params[0].inner == InnerStride::Any;
        for (rows, cols) in [
            (1, 0),
            (1, 1),
            (1, 3),
            (1, 4),
            (1, 5),
            (1, 13),
            (3, 5),
            (4, 67),
        ] {
            let n = rows * cols;
            let len = n + 1;
            let values = |seed: usize| -> Vec<Scalar> {
                (0..len)
                    .map(|j| Scalar::from_f64(((j * 7 + seed) % 11) as f64 - 3.0, d))
                    .collect()
            };
            let conds: Vec<Scalar> = (0..len).map(|j| Scalar::Bool(j % 3 != 0)).collect();
            let buffers = vec![
                storage(d, &values(1)),
                storage(d, &values(5)),
                storage(DType::Bool, &conds),
                Storage::zeroed(d, len).expect("out"),
            ];
            let row = [cols as isize, 1];
            let y = if transposable {
                layout(n.min(2), [0, 0])
            } else {
                layout(0, row)
            };
            let mut xs = vec![(layout(0, row), true), (layout(1, row), true)];
            if transposable && rows > 1 {
                // Column-major reads: the general loop.
                xs.push((
                    ParamLayout {
                        offset: 0,
                        strides: vec![1, rows as isize],
                    },
                    false,
                ));
            }
            for (x, flat) in xs {
                let g = LaunchGeometry {
                    dims: vec![rows, cols],
                    params: vec![x, y.clone(), layout(0, row), layout(0, row)],
                };
                assert_eq!(
                    kiln_cuda::codegen::vectorized_layouts(k, &g),
                    flat,
                    "{}: {g:?}",
                    k.name
                );
                cases += 1;
                if let Err(e) = compare_kernel(&host, i, k, &g, &buffers, &Tolerance::exact()) {
                    failures.push(format!("{rows}x{cols} {g:?}: {e}"));
                }
            }
        }
    }
    assert!(cases > 100, "{cases}");
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
