//! Optimised programs on disk, so that a new process evaluating a program an earlier one
//! optimised (or another length of its layout class) skips the optimiser, and building its rule
//! set, entirely.
//!
//! An entry lives in the `plans` section of the disk cache (`kiln-cache`: same directory, entry
//! format, checksum, atomic writes, trust rules and LRU bound as the kernels, with a bound of its
//! own). Its key hashes the code store's target (cache format, kiln and compiler versions,
//! target), a plan format version, the optimiser options and the program's layout class
//! (`plan_class::ClassKey`, written with `Debug`: every op, attribute, constant, dtype and
//! extent class). A class the probe found parametric has one entry for all its lengths; any
//! other program is keyed by its class *and* its symbols' values, which together determine the
//! program exactly. The payload is the plan format line, whether the optimisation was found
//! parametric, the symbols' values the stored program was optimised at, and the optimised
//! program's text form (kiln-opt's s-expression).
//!
//! Invariant: a plan read from disk is used only if its entry passed the store's checks, its
//! format line matches, its text parses and rebuilds over inputs of the stored extents
//! (`expr_to_program` re-infers every node), it is rebound to this program's extents (only a
//! parametric plan to other values) and passes `Program::verify` over this program's inputs, and
//! it has this program's number of outputs, each with the same dtype and shape; anything else is
//! a miss, and the optimiser runs. Disk problems are logged by the store, never fail an
//! evaluation.

use kiln_cache::{CacheConfig, DiskCache, Key, Target};
use kiln_ir::{Program, Realized, Scalar, Shape, View};
use std::sync::Arc;

use crate::plan_class::{self, Classified};

/// Changes whenever the payload's meaning changes.
const PLAN_FORMAT: &str = "kiln-plan 3";

/// Programs longer than this are not stored: egg's text form is printed and parsed recursively
/// (a deep chain would overflow the stack), and such programs gain little from skipping egg.
const MAX_PLAN_NODES: usize = 512;

/// The plans section of the disk cache, and the target its keys are made for.
pub(crate) struct PlanStore {
    disk: DiskCache,
    target: Target,
}

/// The two keys a program may be stored under: its class (a parametric plan) and its class with
/// its symbols' values (any plan).
pub(crate) struct PlanKeys {
    class: Key,
    exact: Key,
}

/// An optimised program read from disk, rebound to the program it was looked up for.
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

    /// The keys of `program` (classified as `classified`) under `options`; `None` for programs
    /// too long to store.
    pub(crate) fn keys(
        &self,
        program: &Program,
        classified: &Classified,
        options: &kiln_opt::OptConfig,
    ) -> Option<PlanKeys> {
        if program.nodes.len() > MAX_PLAN_NODES {
            return None;
        }
        let class = format!("{PLAN_FORMAT}\n{options:?}\n{:?}", classified.key);
        let exact = format!("{class}\nvalues={:?}", classified.values);
        Some(PlanKeys {
            class: self.target.key("plan", &class),
            exact: self.target.key("plan", &exact),
        })
    }

    /// The stored plan for `program`: its class's parametric plan, else its own; checked as the
    /// module docs say.
    pub(crate) fn load(
        &self,
        keys: &PlanKeys,
        program: &Program,
        classified: &Classified,
    ) -> Option<StoredPlan> {
        [&keys.class, &keys.exact].into_iter().find_map(|key| {
            let entry = self.disk.get(key)?;
            let plan = decode(&entry.payload, program, &classified.values);
            if plan.is_none() {
                kiln_cache::warn(format!(
                    "plan entry {key} does not fit its program; ignored"
                ));
            }
            plan
        })
    }

    /// Writes a plan optimised at the symbol values `values`: under the class key when
    /// `parametric`, else under the exact key (a failure is logged by the store).
    pub(crate) fn save(
        &self,
        keys: &PlanKeys,
        optimized: &Program,
        values: &[usize],
        parametric: bool,
    ) {
        if optimized.nodes.len() > MAX_PLAN_NODES {
            return;
        }
        let Ok(expr) = kiln_opt::convert::program_to_expr(optimized) else {
            return;
        };
        let payload = encode(&expr.to_string(), values, parametric);
        let key = if parametric { &keys.class } else { &keys.exact };
        let _ = self.disk.put(key, "plan", payload.as_bytes());
    }

    pub(crate) fn stats(&self) -> kiln_cache::DiskStats {
        self.disk.stats()
    }
}

fn encode(expr: &str, values: &[usize], parametric: bool) -> String {
    let values: Vec<String> = values.iter().map(usize::to_string).collect();
    format!(
        "{PLAN_FORMAT}\nparametric={}\nvalues={}\n{expr}",
        u8::from(parametric),
        values.join(",")
    )
}

/// Inputs of `program`'s dtypes with every extent equal to `to[i]` moved to `from[i]`: a
/// zero-stride view of one element each (only their types matter to `expr_to_program`).
fn stand_in_inputs(program: &Program, to: &[usize], from: &[usize]) -> Option<Vec<Realized>> {
    program
        .inputs
        .iter()
        .map(|input| {
            let dims: Vec<usize> = input
                .view
                .shape
                .dims()
                .iter()
                .map(|d| to.iter().position(|v| v == d).map_or(*d, |i| from[i]))
                .collect();
            let dtype = input.dtype();
            let one = Realized::from_scalars(dtype, Shape(vec![1]), &[Scalar::zero(dtype)]).ok()?;
            Some(Realized {
                storage: Arc::clone(&one.storage),
                view: View {
                    strides: vec![0; dims.len()],
                    shape: Shape(dims),
                    offset: 0,
                },
            })
        })
        .collect()
}

/// Parses and checks a payload against the program it must optimise, whose symbols have the
/// values `values`.
fn decode(payload: &[u8], program: &Program, values: &[usize]) -> Option<StoredPlan> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut lines = text.splitn(4, '\n');
    if lines.next()? != PLAN_FORMAT {
        return None;
    }
    let parametric = match lines.next()? {
        "parametric=1" => true,
        "parametric=0" => false,
        _ => return None,
    };
    let stored: Vec<usize> = match lines.next()?.strip_prefix("values=")? {
        "" => Vec::new(),
        list => list
            .split(',')
            .map(|v| v.parse().ok())
            .collect::<Option<_>>()?,
    };
    if stored.len() != values.len() || (!parametric && stored != values) {
        return None;
    }
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
    let inputs = stand_in_inputs(program, values, &stored)?;
    let template = kiln_opt::convert::expr_to_program(&expr, &inputs).ok()?;
    template.verify().ok()?;
    let optimized = plan_class::rebind(&template, &stored, values, program.inputs.clone())?;
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

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn program(n: usize) -> Result<Program, kiln_ir::IrError> {
        let mut p = Program::new();
        let x = p.add_input(Realized::from_vec(&vec![0.25f64; n], Shape(vec![n]))?);
        let y = p.add(Op::Unary(kiln_ir::UnaryOp::Exp), vec![x])?;
        p.outputs.push(y);
        Ok(p)
    }

    #[test]
    fn payloads_round_trip_and_bad_ones_are_refused() -> TestResult {
        let p = program(5)?;
        let expr = kiln_opt::convert::program_to_expr(&p)?.to_string();
        let good = encode(&expr, &[5], true);
        let plan = decode(good.as_bytes(), &p, &[5]).ok_or("good payload refused")?;
        assert!(plan.parametric);
        assert_eq!(plan.optimized.nodes, p.nodes);
        // Another format, a damaged flag or value list, damaged text, or a plan for other
        // shapes: misses.
        let bad = [
            good.replace(PLAN_FORMAT, "kiln-plan 2"),
            good.replace("parametric=1", "parametric=2"),
            good.replace("values=5", "values=5,x"),
            good.replace("values=5", "values=5,6"),
            encode("(exp input#0:f64[5]", &[5], true),
            encode("(sin input#0:f64[5])", &[5], true),
        ];
        for b in &bad[..5] {
            assert!(decode(b.as_bytes(), &p, &[5]).is_none(), "{b}");
        }
        // A plan computing something else of the same type is not detectable here (the entry
        // checksum and the owner check guard against that); one of another type is.
        assert!(decode(bad[5].as_bytes(), &p, &[5]).is_some());
        assert!(decode(good.as_bytes(), &program(6)?, &[5]).is_none());
        assert!(decode(&[0xff, 0xfe], &p, &[5]).is_none());
        // Nesting deeper than any stored plan is refused before parsing (no deep recursion).
        let deep = encode(
            &format!(
                "{}input#0:f64[5]{}",
                "(exp ".repeat(100_000),
                ")".repeat(100_000)
            ),
            &[5],
            false,
        );
        assert!(decode(deep.as_bytes(), &p, &[5]).is_none());
        Ok(())
    }

    /// A parametric plan stored at one length serves another (rebound to its extents); a plan
    /// that is not parametric serves only the values it was optimised at.
    #[test]
    fn parametric_plans_serve_every_length_of_their_class() -> TestResult {
        let stored = program(5)?;
        let expr = kiln_opt::convert::program_to_expr(&stored)?.to_string();
        let other = program(9)?;
        let plan = decode(encode(&expr, &[5], true).as_bytes(), &other, &[9])
            .ok_or("parametric plan refused at another length")?;
        assert_eq!(plan.optimized.nodes, other.nodes);
        assert!(plan.optimized.verify().is_ok());
        assert!(decode(encode(&expr, &[5], false).as_bytes(), &other, &[9]).is_none());
        assert!(decode(encode(&expr, &[5], false).as_bytes(), &stored, &[5]).is_some());
        Ok(())
    }
}
