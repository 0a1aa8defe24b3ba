//! The optimisation pipeline, written once: convert, saturate, extract, rebuild, check.
//!
//! Invariant: what `optimize` returns passes `Program::verify`, reads the same `inputs` vector,
//! and has as many outputs as the input, each of the same dtype and shape; if extraction finds
//! nothing cheaper than the input (by the cost model), the input expression is kept.

use crate::analysis::ArrayAnalysis;
use crate::convert::{expr_to_program, program_to_expr};
use crate::cost::expr_cost;
use crate::extract::extract;
use crate::lang::ArrayLang;
use crate::rules::{ArrayRewrite, rules};
use crate::{OptConfig, OptError, OptReport};
use egg::{RecExpr, Runner, StopReason};
use kiln_ir::Program;
use std::collections::BTreeMap;

/// Optimises a verified program: same inputs (same `inputs` vector, same slots), same number and
/// order of outputs, every output with identical dtype and shape. The result passes
/// `Program::verify`.
pub fn optimize(p: &Program, cfg: &OptConfig) -> Result<(Program, OptReport), OptError> {
    optimize_with_rules(p, cfg, cached_rules(cfg.fast_math))
}

/// The default rule sets, built once: parsing ~200 patterns costs about 2 ms, more than
/// optimising a typical program.
fn cached_rules(fast_math: bool) -> &'static [ArrayRewrite] {
    static SAFE: std::sync::OnceLock<Vec<ArrayRewrite>> = std::sync::OnceLock::new();
    static FAST: std::sync::OnceLock<Vec<ArrayRewrite>> = std::sync::OnceLock::new();
    let cell = if fast_math { &FAST } else { &SAFE };
    cell.get_or_init(|| {
        rules(&OptConfig {
            fast_math,
            ..OptConfig::default()
        })
    })
}

/// [`optimize`] with an explicit rule set (one family, for tests; `rules(cfg)` is the default).
pub fn optimize_with_rules(
    p: &Program,
    cfg: &OptConfig,
    rules: &[ArrayRewrite],
) -> Result<(Program, OptReport), OptError> {
    p.verify()?;
    if p.nodes.len() > cfg.max_program_nodes {
        let report = OptReport {
            stop_reason: format!(
                "skipped: {} nodes exceed max_program_nodes ({})",
                p.nodes.len(),
                cfg.max_program_nodes
            ),
            iterations: 0,
            egraph_nodes: 0,
            egraph_classes: 0,
            cost_before: 0.0,
            cost_after: 0.0,
            rules_applied: Vec::new(),
        };
        return Ok((p.clone(), report));
    }
    let expr = program_to_expr(p)?;
    let (best, report) = optimize_expr_with_rules(&expr, cfg, rules)?;
    let out = expr_to_program(&best, &p.inputs)
        .map_err(|e| OptError::Internal(format!("rebuilding the program: {e}")))?;
    out.verify()
        .map_err(|e| OptError::Internal(format!("optimised program: {e}")))?;
    check_outputs(p, &out)?;
    Ok((out, report))
}

/// Optimises an expression (its root is usually `(outputs ...)`): the engine behind [`optimize`],
/// public so tests and `explain()` can work on the text form.
pub fn optimize_expr(
    expr: &RecExpr<ArrayLang>,
    cfg: &OptConfig,
) -> Result<(RecExpr<ArrayLang>, OptReport), OptError> {
    optimize_expr_with_rules(expr, cfg, &rules(cfg))
}

/// [`optimize_expr`] with an explicit rule set.
pub fn optimize_expr_with_rules(
    expr: &RecExpr<ArrayLang>,
    cfg: &OptConfig,
    rules: &[ArrayRewrite],
) -> Result<(RecExpr<ArrayLang>, OptReport), OptError> {
    let runner = Runner::<ArrayLang, ArrayAnalysis>::new(ArrayAnalysis::new(cfg.fast_math))
        .with_node_limit(cfg.node_limit)
        .with_iter_limit(cfg.iter_limit)
        .with_time_limit(cfg.time_limit)
        .with_expr(expr);
    if let Some(problem) = runner.egraph.analysis.conflicts.first() {
        return Err(OptError::InvalidExpr(problem.clone()));
    }
    let root = *runner
        .roots
        .first()
        .ok_or_else(|| OptError::InvalidExpr("empty expression".into()))?;
    let runner = runner.run(rules);
    if let Some(problem) = runner.egraph.analysis.conflicts.first() {
        return Err(OptError::Unsound(problem.clone()));
    }
    let extracted = extract(&runner.egraph, root)
        .ok_or_else(|| OptError::Internal("extraction found a cycle".into()))?;
    let cost_before = expr_cost(expr);
    let cost_extracted = expr_cost(&extracted);
    let (best, cost_after) = if cost_extracted <= cost_before {
        (extracted, cost_extracted)
    } else {
        (expr.clone(), cost_before)
    };
    let mut applied: BTreeMap<String, usize> = BTreeMap::new();
    for iteration in &runner.iterations {
        for (rule, &count) in &iteration.applied {
            if count > 0 {
                *applied.entry(rule.to_string()).or_default() += count;
            }
        }
    }
    let report = OptReport {
        stop_reason: stop_reason_text(runner.stop_reason.as_ref()),
        iterations: runner.iterations.len(),
        egraph_nodes: runner.egraph.total_number_of_nodes(),
        egraph_classes: runner.egraph.number_of_classes(),
        cost_before,
        cost_after,
        rules_applied: applied.into_iter().collect(),
    };
    Ok((best, report))
}

fn stop_reason_text(reason: Option<&StopReason>) -> String {
    match reason {
        None => "not run".into(),
        Some(StopReason::Saturated) => "saturated".into(),
        Some(StopReason::IterationLimit(n)) => format!("iteration limit ({n})"),
        Some(StopReason::NodeLimit(n)) => format!("node limit ({n})"),
        Some(StopReason::TimeLimit(s)) => format!("time limit ({s}s)"),
        Some(StopReason::Other(why)) => why.clone(),
    }
}

/// The output contract: same count, and each output keeps its dtype and shape.
fn check_outputs(before: &Program, after: &Program) -> Result<(), OptError> {
    if before.outputs.len() != after.outputs.len() {
        return Err(OptError::Internal(format!(
            "{} outputs became {}",
            before.outputs.len(),
            after.outputs.len()
        )));
    }
    for (i, (&a, &b)) in before.outputs.iter().zip(&after.outputs).enumerate() {
        let (a, b) = (before.node(a), after.node(b));
        if a.dtype != b.dtype || a.shape != b.shape {
            return Err(OptError::Unsound(format!(
                "output {i} changed from {}{} to {}{}",
                a.dtype.short_name(),
                a.shape,
                b.dtype.short_name(),
                b.shape
            )));
        }
    }
    Ok(())
}
