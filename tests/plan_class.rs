//! The layout-class plan cache against the reference interpreter: random programs evaluated at
//! one size, then at other sizes of the same layout class (every extent > 1 that no attribute
//! mentions moved to a new value, keeping which extents are equal), each result compared with
//! `kiln_interp`, and the later evaluations checked to be class hits (no optimiser) whenever the
//! class's optimised program was found parametric.
//!
//! The counters are process-wide, so the tests of this file take turns (`SERIAL`).

use kiln_interp::testgen::{GenConfig, arb_program};
use kiln_ir::{Op, Program, Realized, Shape};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use std::collections::BTreeSet;
use std::sync::Mutex;

#[path = "support/local_check.rs"]
mod local_check;

static SERIAL: Mutex<()> = Mutex::new(());

/// Numbers in attributes other than shapes: extents equal to one are not moved (they keep the
/// class only at their exact value). Written independently of the cache's own classification.
fn pinned(p: &Program) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    for n in &p.nodes {
        match &n.op {
            Op::Arange { len, .. } => {
                out.insert(*len);
            }
            Op::Eye { rows, cols, k, .. } => {
                out.extend([*rows, *cols, k.unsigned_abs() as usize]);
            }
            Op::Slice(axes) => {
                for a in axes {
                    out.extend([a.start, a.len, a.step.unsigned_abs()]);
                }
            }
            Op::Permute(perm) => out.extend(perm.iter().copied()),
            Op::Reduce { axes, .. } => out.extend(axes.iter().copied()),
            Op::Scan { axis, .. } => {
                out.insert(*axis);
            }
            // Library ops (sort axes, concat counts, FFT lengths, ...): every number they carry.
            Op::Lib(lib) => out.extend(
                format!("{lib:?}")
                    .split(|c: char| !c.is_ascii_digit())
                    .filter_map(|t| t.parse::<usize>().ok()),
            ),
            _ => {}
        }
    }
    out
}

/// The extents a class mate may move: > 1, in some shape, not pinned.
fn movable(p: &Program) -> Vec<usize> {
    let pins = pinned(p);
    let mut out = BTreeSet::new();
    for n in &p.nodes {
        let attr = match &n.op {
            Op::Full(_, s) | Op::Reshape(s) | Op::Broadcast(s) => s.dims(),
            _ => &[],
        };
        for &d in n.shape.dims().iter().chain(attr) {
            if d > 1 && !pins.contains(&d) {
                out.insert(d);
            }
        }
    }
    out.into_iter().collect()
}

/// `p` with extents moved by `map` (shapes and shape attributes), on inputs of the new shapes
/// filled by cycling the old inputs' values; `None` if that is not a valid program (a reshape
/// whose target multiplies extents, say).
fn class_mate(p: &Program, map: &[(usize, usize)]) -> Option<Program> {
    let mv = |s: &Shape| {
        Shape(
            s.dims()
                .iter()
                .map(|d| map.iter().find(|m| m.0 == *d).map_or(*d, |m| m.1))
                .collect(),
        )
    };
    let mut q = Program::new();
    let mut inputs: Vec<Option<Realized>> = vec![None; p.inputs.len()];
    for n in &p.nodes {
        let op = match &n.op {
            Op::Full(v, s) => Op::Full(*v, mv(s)),
            Op::Reshape(s) => Op::Reshape(mv(s)),
            Op::Broadcast(s) => Op::Broadcast(mv(s)),
            Op::Input(slot) => {
                let shape = mv(&n.shape);
                let old = p.inputs.get(*slot)?.scalars();
                let values: Vec<_> = (0..shape.numel())
                    .map(|i| old[i % old.len().max(1)])
                    .collect();
                let r = if old.is_empty() {
                    Realized::from_scalars(n.dtype, shape, &[]).ok()?
                } else {
                    Realized::from_scalars(n.dtype, shape, &values).ok()?
                };
                *inputs.get_mut(*slot)? = Some(r);
                Op::Input(*slot)
            }
            other => other.clone(),
        };
        if let Op::Input(_) = op {
            q.nodes.push(kiln_ir::Node {
                op,
                inputs: vec![],
                dtype: n.dtype,
                shape: mv(&n.shape),
            });
        } else {
            q.add(op, n.inputs.clone()).ok()?;
        }
    }
    q.inputs = inputs.into_iter().collect::<Option<Vec<_>>>()?;
    q.outputs = p.outputs.clone();
    q.verify().ok()?;
    Some(q)
}

/// New distinct values for `from`, avoiding 0, 1, the pinned numbers and the old values.
fn new_values(p: &Program, from: &[usize], seed: u64) -> Vec<(usize, usize)> {
    let pins = pinned(p);
    let mut candidates: Vec<usize> = (2..=11)
        .filter(|v| !pins.contains(v) && !from.contains(v))
        .collect();
    let mut state = seed | 1;
    let mut out = Vec::new();
    for &f in from {
        if candidates.is_empty() {
            break;
        }
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let v = candidates.remove((state % candidates.len() as u64) as usize);
        out.push((f, v));
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Exact,
    Class,
    Disk,
    Miss,
}

fn run_counted(p: &Program) -> Result<(Vec<Realized>, Outcome), String> {
    let before = kiln::plan_cache_stats();
    let out = kiln::run_program(p).map_err(|e| format!("{e}\n{p}"))?;
    let after = kiln::plan_cache_stats();
    let outcome = match (
        after.hits - before.hits,
        after.class_hits - before.class_hits,
        after.disk_hits - before.disk_hits,
        after.misses - before.misses,
    ) {
        (1, 0, 0, 0) => Outcome::Exact,
        (0, 1, 0, 0) => Outcome::Class,
        (0, 0, 1, 0) => Outcome::Disk,
        (0, 0, 0, 1) => Outcome::Miss,
        other => return Err(format!("one evaluation counted {other:?}")),
    };
    Ok((out, outcome))
}

#[test]
fn class_hits_agree_with_the_interpreter_on_random_programs() {
    let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let mut runner = TestRunner::new(RunnerConfig {
        cases: 160,
        max_shrink_iters: 100,
        ..RunnerConfig::default()
    });
    let tally = Mutex::new((0usize, 0usize));
    let strategy = (
        arb_program(local_check::real_dtypes(GenConfig::default())),
        any::<u64>(),
        any::<u64>(),
    );
    runner
        .run(&strategy, |(generated, seed_a, seed_b)| {
            let fail = TestCaseError::fail;
            // The generator's inputs may be strided views; class mates are built on contiguous
            // inputs (another layout class), so the program starts from contiguous copies too.
            let Some(p) = class_mate(&generated, &[]) else {
                return Err(fail(format!("cannot copy\n{generated}")));
            };
            let (first, _) = run_counted(&p).map_err(fail)?;
            local_check::check_outputs(&p, &first).map_err(fail)?;
            let from = movable(&p);
            prop_assume!(!from.is_empty());
            let mates: Vec<Program> = [seed_a, seed_b]
                .iter()
                .filter_map(|&s| {
                    let map = new_values(&p, &from, s);
                    (map.len() == from.len())
                        .then(|| class_mate(&p, &map))
                        .flatten()
                })
                .collect();
            prop_assume!(!mates.is_empty());
            let mut outcomes = Vec::new();
            for q in &mates {
                // Index values computed in the program (an `arange` feeding a `take`) may fall
                // outside a smaller extent: then the mate is no program at all. kiln refuses it
                // too, unless the optimiser removed the gather (`where(c, x, x)` does not read
                // `c`); either way it returns, never panics.
                if kiln_interp::run_program(q).is_err() {
                    let _refused_or_optimised_away = kiln::run_program(q);
                    continue;
                }
                let (got, outcome) = run_counted(q).map_err(fail)?;
                local_check::check_outputs(q, &got).map_err(fail)?;
                outcomes.push(outcome);
            }
            // Whether the class hits depends on the probe; once it has hit, it keeps hitting.
            prop_assert!(
                !matches!(outcomes[..], [Outcome::Class, Outcome::Miss]),
                "a class hit followed by a miss: {outcomes:?}\n{p}"
            );
            prop_assume!(!outcomes.is_empty());
            let mut t = tally.lock().unwrap();
            t.0 += 1;
            t.1 += usize::from(outcomes[0] == Outcome::Class);
            Ok(())
        })
        .unwrap();
    let (cases, class_hits) = *tally.lock().unwrap();
    eprintln!("{class_hits} of {cases} second evaluations were class hits");
    // Most random programs are parametric; a rebinding that always failed would fail here.
    assert!(
        cases > 20 && class_hits * 2 > cases,
        "{class_hits} of {cases}"
    );
}

/// Everyday shapes of work (elementwise chains, broadcasting, reductions, softmax) built through
/// the API: a second length is a class hit, computes the same values as the interpreter, and
/// compiles nothing.
#[test]
fn api_programs_at_a_new_length_are_class_hits() -> kiln::Result<()> {
    let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let build = |rows: usize, cols: usize, which: usize| -> kiln::Result<kiln::Array> {
        let xs: Vec<f32> = (0..rows * cols)
            .map(|i| ((i * 37) % 101) as f32 / 13.0 - 3.0)
            .collect();
        let x = kiln::Array::from_vec(xs, &[rows, cols])?;
        let y = kiln::Array::from_vec((0..cols).map(|i| i as f32 * 0.25).collect(), &[cols])?;
        match which {
            0 => kiln::sin(&(&x * 2.5)?)? + &y,
            1 => (&x * &x)?.sum(None, false, None),
            2 => {
                let m = x.max(Some(&[1]), true)?;
                let e = kiln::exp(&(&x - &m)?)?;
                &e / &e.sum(Some(&[1]), true, None)?
            }
            _ => {
                let mean = x.mean(Some(&[1]), true)?;
                let d = (&x - &mean)?;
                (&d * &d)?.mean(Some(&[1]), true)
            }
        }
    };
    for which in 0..4 {
        // The mean divides by its row length (a constant of the program, so part of the key):
        // only the number of rows varies there.
        let sizes: [(usize, usize); 3] = if which == 3 {
            [(3, 700), (5, 700), (9, 700)]
        } else {
            [(3, 700), (5, 260), (9, 1031)]
        };
        for (i, (rows, cols)) in sizes.into_iter().enumerate() {
            let z = build(rows, cols, which)?;
            let p = kiln::program_of(&[&z])?;
            let compiles = kiln::cache_stats()?.compiles;
            let (got, outcome) = run_counted(&p)
                .map_err(|e| kiln::KilnError::Invalid(kiln_ir::IrError::Verify(e)))?;
            local_check::check_outputs(&p, &got)
                .map_err(|e| kiln::KilnError::Invalid(kiln_ir::IrError::Verify(e)))?;
            if i > 0 {
                assert_eq!(outcome, Outcome::Class, "workload {which} at {rows}x{cols}");
                assert_eq!(
                    kiln::cache_stats()?.compiles,
                    compiles,
                    "a class hit compiled"
                );
            }
        }
    }
    Ok(())
}

/// `sum(broadcast(x, [n]))` of integers is optimised to `x * n`: the count is folded into a
/// constant, so the
/// optimised program of one length is wrong for another. The probe must see that, and the
/// second length must be optimised afresh (a miss), with the right answer.
#[test]
fn extents_folded_into_constants_are_never_rebound() {
    let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let program = |n: usize| {
        let mut p = Program::new();
        let x = p.add_input(Realized::from_vec(&[3i64], Shape(vec![1])).unwrap());
        let b = p.add(Op::Broadcast(Shape(vec![n])), vec![x]).unwrap();
        let s = p
            .add(
                Op::Reduce {
                    op: kiln_ir::ReduceOp::Sum,
                    axes: vec![0],
                },
                vec![b],
            )
            .unwrap();
        p.outputs.push(s);
        p
    };
    for (n, expected) in [(37usize, 111i64), (41, 123), (43, 129)] {
        let p = program(n);
        let (got, outcome) = run_counted(&p).unwrap();
        assert_eq!(got[0].to_vec::<i64>(), vec![expected], "n = {n}");
        assert_ne!(outcome, Outcome::Class, "n = {n}");
        local_check::check_outputs(&p, &got).unwrap();
    }
}

/// An extent equal to a number a library op carries (here the sort axis 2) keeps its exact value
/// in the class key: `[n, n, n]` for n = 4 and 6 share a class, n = 2 is a class of its own (never
/// a wrong rebinding). The random test above pins the same numbers (`pinned`).
#[test]
fn extents_equal_to_a_library_axis_stay_exact() {
    let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let program = |n: usize| {
        let mut p = Program::new();
        let values: Vec<i8> = (0..n * n * n).map(|i| ((i * 5) % 7) as i8 - 3).collect();
        let x = p.add_input(Realized::from_vec(&values, Shape(vec![n, n, n])).unwrap());
        let sort = kiln_ir::LibOp::Sort {
            axis: 2,
            descending: true,
        };
        let s = p.add(Op::Lib(sort), vec![x]).unwrap();
        p.outputs.extend([s, x]);
        p
    };
    let mut outcomes = Vec::new();
    for n in [4usize, 6, 2] {
        let p = program(n);
        let (got, outcome) = run_counted(&p).unwrap();
        local_check::check_outputs(&p, &got).unwrap();
        outcomes.push(outcome);
    }
    // The n = 2 plan may come from the disk cache of an earlier run; it is never a class hit.
    assert_eq!(outcomes[1], Outcome::Class);
    assert_ne!(outcomes[2], Outcome::Class);
}

/// NaN constants of either sign (or another payload) are different programs, plans and
/// kernels: the caches key on bit-exact texts. Before, `signbit(-nan)` evaluated after
/// `signbit(nan)` reused the plan of the latter (its text printed both as `nan`) and said false.
#[test]
fn nan_constants_of_another_sign_are_never_confused() -> kiln::Result<()> {
    let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let payload = f64::from_bits(0xfff8_0000_0000_0123);
    for round in 0..2 {
        for (v, negative) in [(f64::NAN, false), (-f64::NAN, true), (payload, true)] {
            for shape in [&[][..], &[1000][..]] {
                let x = kiln::full(shape, v, None)?;
                let sign = kiln::signbit(&x)?.to_vec::<bool>()?;
                assert!(
                    sign.iter().all(|&s| s == negative),
                    "{v:?} {shape:?} round {round}"
                );
                // A kernel that carries the constant: every element keeps its bits.
                let y = kiln::Array::from_vec(vec![1.0f64; shape.iter().product()], shape)?;
                let z = kiln::where_(&kiln::greater(&y, 0.0)?, &x, &y)?;
                let bits: Vec<u64> = z.to_vec::<f64>()?.iter().map(|f| f.to_bits()).collect();
                assert!(bits.iter().all(|&b| b == v.to_bits()), "{v:?} {shape:?}");
            }
        }
    }
    Ok(())
}
