//! Optimised programs on disk, so that a new process evaluating a program an earlier one
//! optimised skips the optimiser (and building its rule set) entirely.
//!
//! An entry lives in the `plans` section of the disk cache (`kiln-cache`: same directory, entry
//! format, checksum, atomic writes, trust rules and LRU bound as the kernels, with a bound of its
//! own). Its key hashes the code store's target (cache format, kiln and compiler versions,
//! target), a plan format version, the optimiser options and the program's text form (kiln-opt's
//! s-expression of the live program: every op, attribute, constant, dtype and shape). The
//! payload is the plan format line, whether the optimisation was found parametric (see
//! `plan_class`), and the optimised program's text form.
//!
//! Invariant: a plan read from disk is used only if its entry passed the store's checks, its
//! format line matches, its text parses, rebuilds over this program's inputs (`expr_to_program`
//! re-infers every node), passes `Program::verify`, and has this program's number of outputs,
//! each with the same dtype and shape; anything else is a miss, and the optimiser runs. Disk
//! problems are logged by the store, never fail an evaluation.

use kiln_cache::{CacheConfig, DiskCache, Key, Target};
use kiln_ir::Program;

/// Changes whenever the payload's meaning changes.
const PLAN_FORMAT: &str = "kiln-plan 1";

/// Programs longer than this are not stored: egg's text form is printed and parsed recursively
/// (a deep chain would overflow the stack), and such programs gain little from skipping egg.
const MAX_PLAN_NODES: usize = 512;

/// The plans section of the disk cache, and the target its keys are made for.
pub(crate) struct PlanStore {
    disk: DiskCache,
    target: Target,
}

/// An optimised program read from disk.
pub(crate) struct StoredPlan {
    pub optimized: Program,
    pub parametric: bool,
}

impl PlanStore {
    /// The store of the configured cache directory; `None` when the disk cache is off or the
    /// directory cannot be used (the kernel store logs that already).
    pub(crate) fn open(config: &CacheConfig, target: &Target) -> Option<PlanStore> {
        let root = config.dir.as_deref()?;
        // Plans are small text; an eighth of the kernels' bound is plenty.
        let disk = DiskCache::open_section(root, "plans", (config.max_bytes / 8).max(1 << 20))
            .map_err(|e| kiln_cache::warn(format!("plan cache disabled: {e}")))
            .ok()?;
        Some(PlanStore {
            disk,
            target: target.clone(),
        })
    }

    /// The key of `program` under `options` (`None` if the program cannot be written as text).
    pub(crate) fn key(&self, program: &Program, options: &kiln_opt::OptConfig) -> Option<Key> {
        if program.nodes.len() > MAX_PLAN_NODES {
            return None;
        }
        let expr = kiln_opt::convert::program_to_expr(program).ok()?;
        let text = format!("{PLAN_FORMAT}\n{options:?}\n{expr}");
        Some(self.target.key("plan", &text))
    }

    /// The stored plan of `key` for `program`, checked as the module docs say.
    pub(crate) fn load(&self, key: &Key, program: &Program) -> Option<StoredPlan> {
        let entry = self.disk.get(key)?;
        let plan = decode(&entry.payload, program);
        if plan.is_none() {
            kiln_cache::warn(format!(
                "plan entry {key} does not fit its program; ignored"
            ));
        }
        plan
    }

    /// Writes a plan (a failure is logged by the store).
    pub(crate) fn save(&self, key: &Key, optimized: &Program, parametric: bool) {
        if optimized.nodes.len() > MAX_PLAN_NODES {
            return;
        }
        let Ok(expr) = kiln_opt::convert::program_to_expr(optimized) else {
            return;
        };
        let payload = format!("{PLAN_FORMAT}\nparametric={}\n{expr}", u8::from(parametric));
        let _ = self.disk.put(key, "plan", payload.as_bytes());
    }

    pub(crate) fn stats(&self) -> kiln_cache::DiskStats {
        self.disk.stats()
    }
}

/// Parses and checks a payload against the program it must optimise.
fn decode(payload: &[u8], program: &Program) -> Option<StoredPlan> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut lines = text.splitn(3, '\n');
    if lines.next()? != PLAN_FORMAT {
        return None;
    }
    let parametric = match lines.next()? {
        "parametric=1" => true,
        "parametric=0" => false,
        _ => return None,
    };
    let body = lines.next()?;
    // The parser recurses per nesting level: refuse text nested deeper than any stored plan.
    let mut depth = 0usize;
    for c in body.bytes() {
        match c {
            b'(' => depth += 1,
            b')' => depth = depth.checked_sub(1)?,
            _ => {}
        }
        if depth > MAX_PLAN_NODES + 1 {
            return None;
        }
    }
    let expr: egg::RecExpr<kiln_opt::ArrayLang> = body.parse().ok()?;
    let optimized = kiln_opt::convert::expr_to_program(&expr, &program.inputs).ok()?;
    optimized.verify().ok()?;
    let same_outputs = optimized.outputs.len() == program.outputs.len()
        && optimized
            .outputs
            .iter()
            .zip(&program.outputs)
            .all(|(&a, &b)| {
                let (a, b) = (optimized.node(a), program.node(b));
                a.dtype == b.dtype && a.shape == b.shape
            });
    same_outputs.then_some(StoredPlan {
        optimized,
        parametric,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_ir::{Op, Realized, Shape};

    fn program(n: usize) -> Program {
        let mut p = Program::new();
        let x = p
            .add_input(Realized::from_vec(&vec![0.25f64; n], Shape(vec![n])).unwrap())
            .index();
        let y = p
            .add(
                Op::Unary(kiln_ir::UnaryOp::Exp),
                vec![kiln_ir::NodeId(x as u32)],
            )
            .unwrap();
        p.outputs.push(y);
        p
    }

    #[test]
    fn payloads_round_trip_and_bad_ones_are_refused() {
        let p = program(5);
        let expr = kiln_opt::convert::program_to_expr(&p).unwrap();
        let good = format!("{PLAN_FORMAT}\nparametric=1\n{expr}");
        let plan = decode(good.as_bytes(), &p).unwrap();
        assert!(plan.parametric);
        assert_eq!(plan.optimized.nodes, p.nodes);
        // Another format, a damaged flag, damaged text, or a plan for other shapes: misses.
        let bad = [
            format!("kiln-plan 0\nparametric=1\n{expr}"),
            format!("{PLAN_FORMAT}\nparametric=2\n{expr}"),
            format!("{PLAN_FORMAT}\nparametric=1\n(exp input#0:f64[5]"),
            format!("{PLAN_FORMAT}\nparametric=1\n(sin input#0:f64[5])"),
        ];
        for b in &bad[..3] {
            assert!(decode(b.as_bytes(), &p).is_none(), "{b}");
        }
        // A plan computing something else of the same type is not detectable here (the entry
        // checksum and the owner check guard against that); one of another type is.
        assert!(decode(bad[3].as_bytes(), &p).is_some());
        assert!(decode(good.as_bytes(), &program(6)).is_none());
        assert!(decode(&[0xff, 0xfe], &p).is_none());
        // Nesting deeper than any stored plan is refused before parsing (no deep recursion).
        let deep = format!(
            "{PLAN_FORMAT}\nparametric=0\n{}input#0:f64[5]{}",
            "(exp ".repeat(100_000),
            ")".repeat(100_000)
        );
        assert!(decode(deep.as_bytes(), &p).is_none());
    }
}
