//! kiln's optimiser: equality saturation with egg over the array graph.
//!
//! Pipeline (see [`optimize`]): `Program` -> `RecExpr` with one `outputs` root ([`convert`]) ->
//! egg `Runner` bounded by node, iteration and time limits over the rule families in [`rules`]
//! with the dtype/shape/constant analysis of [`analysis`] -> extraction under the memory-traffic
//! cost model of [`cost`] ([`extract`]: greedy, then a bounded local search for sharing) ->
//! `Program` rebuilt with `Program::add` and verified.
//!
//! Architecture invariants: the optimiser never changes the inputs, the number, order, dtype or
//! shape of outputs; without `fast_math` it never changes a single bit of any output (NaN
//! payloads aside); it is deterministic except when the time limit is what stops it. It knows
//! nothing of scheduling, codegen or the runtime.

pub mod analysis;
pub mod convert;
pub mod cost;
mod error;
pub mod extract;
pub mod lang;
mod optimize;
pub mod rules;

pub use analysis::{ArrayAnalysis, ArrayGraph, ArrayInfo, ClassData};
pub use error::OptError;
pub use lang::{ArrayLang, Attr, Const, InputLeaf};
pub use optimize::{optimize, optimize_expr, optimize_expr_with_rules, optimize_with_rules};
pub use rules::{ArrayRewrite, Family, family_rules, rules};

use std::time::Duration;

/// Optimiser settings.
#[derive(Debug, Clone, PartialEq)]
pub struct OptConfig {
    /// Allow rewrites that change float results (reassociation, `x*0 -> 0`, ...).
    pub fast_math: bool,
    /// Stop once the e-graph holds this many e-nodes.
    pub node_limit: usize,
    /// Stop after this many rewrite iterations.
    pub iter_limit: usize,
    /// Stop after this much time (the only limit that can make results vary between runs).
    pub time_limit: Duration,
    /// Programs with more nodes than this are returned unchanged (the report says so): building
    /// and extracting an e-graph of a program that long costs more than it can save.
    pub max_program_nodes: usize,
}

impl Default for OptConfig {
    fn default() -> Self {
        OptConfig {
            fast_math: false,
            node_limit: 10_000,
            iter_limit: 12,
            time_limit: Duration::from_millis(50),
            max_program_nodes: 2_000,
        }
    }
}

/// What one optimisation did, for `explain()` and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct OptReport {
    /// Why the runner stopped: `saturated`, `iteration limit (12)`, `node limit (10000)`, ...
    pub stop_reason: String,
    pub iterations: usize,
    pub egraph_nodes: usize,
    pub egraph_classes: usize,
    /// Cost (see [`cost`]) of the program before and after.
    pub cost_before: f64,
    pub cost_after: f64,
    /// How many times each rule changed the e-graph, by rule name (rules that never fired omitted).
    pub rules_applied: Vec<(String, usize)>,
}
