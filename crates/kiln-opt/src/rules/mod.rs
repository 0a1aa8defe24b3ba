//! The rewrite rules, as data, grouped by topic, and the checked applier they all share.
//!
//! Invariant: a rule never changes a class's dtype or shape. Every right-hand side is typed with
//! the analysis's `node_data` (that is, `kiln_ir::infer`) before anything is added to the e-graph,
//! and a right-hand side whose type differs from the matched class is dropped, so an over-eager
//! pattern can at worst do nothing. Value-changing rules exist only when `fast_math` is on.
//!
//! Families: [`algebra`] (IEEE-754-safe identities, integer-only identities, fast-math
//! identities), [`strength`] (cheaper equivalents of pow and division), [`movement`] (view
//! merging and pushing slices/permutes through elementwise ops), [`reduce`] (reductions).

pub mod algebra;
pub mod movement;
pub mod reduce;
pub mod strength;

use crate::OptConfig;
use crate::analysis::{ArrayGraph, ArrayInfo, ClassData, node_data};
use crate::lang::{ArrayLang, Attr, Const};
use egg::{Applier, ENodeOrVar, Id, Language, Pattern, PatternAst, Rewrite, Subst, Symbol, Var};
use kiln_ir::{DType, Scalar, Shape, SliceAxis};
use std::sync::Arc;

/// An egg rewrite over kiln's language.
pub type ArrayRewrite = Rewrite<ArrayLang, crate::ArrayAnalysis>;

/// The rule families, one module each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    Algebra,
    Strength,
    Movement,
    Reduce,
}

impl Family {
    pub const ALL: [Family; 4] = [
        Family::Algebra,
        Family::Strength,
        Family::Movement,
        Family::Reduce,
    ];
}

/// The rewrite rules in effect for a config: every family.
pub fn rules(cfg: &OptConfig) -> Vec<ArrayRewrite> {
    Family::ALL
        .into_iter()
        .flat_map(|f| family_rules(f, cfg))
        .collect()
}

/// The rules of one family in effect for a config (for tests and `explain()`).
pub fn family_rules(family: Family, cfg: &OptConfig) -> Vec<ArrayRewrite> {
    let rules = match family {
        Family::Algebra => algebra::rules(cfg),
        Family::Strength => strength::rules(cfg),
        Family::Movement => movement::rules(cfg),
        Family::Reduce => reduce::rules(cfg),
    };
    rules.into_iter().map(Rule::build).collect()
}

type Cond = Arc<dyn Fn(&ArrayGraph, &Subst) -> bool + Send + Sync>;
type Derive = Arc<dyn Fn(&mut ArrayGraph, &Subst) -> Option<Vec<(Var, Id)>> + Send + Sync>;

/// A rule under construction: `lhs => rhs`, optionally guarded and with derived variables
/// (new attribute or constant classes the right-hand side refers to).
pub(crate) struct Rule {
    name: String,
    lhs: Pattern<ArrayLang>,
    rhs: Pattern<ArrayLang>,
    cond: Option<Cond>,
    derive: Option<Derive>,
}

impl Rule {
    pub(crate) fn new(name: impl Into<String>, lhs: &str, rhs: &str) -> Rule {
        Rule {
            name: name.into(),
            lhs: pattern(lhs),
            rhs: pattern(rhs),
            cond: None,
            derive: None,
        }
    }

    /// Applies only where `cond` holds for the match.
    pub(crate) fn when(
        mut self,
        cond: impl Fn(&ArrayGraph, &Subst) -> bool + Send + Sync + 'static,
    ) -> Rule {
        self.cond = Some(Arc::new(cond));
        self
    }

    /// Binds right-hand-side variables that the left-hand side does not bind; `None` skips the match.
    pub(crate) fn derive(
        mut self,
        derive: impl Fn(&mut ArrayGraph, &Subst) -> Option<Vec<(Var, Id)>> + Send + Sync + 'static,
    ) -> Rule {
        self.derive = Some(Arc::new(derive));
        self
    }

    fn build(self) -> ArrayRewrite {
        let applier = Checked {
            rhs: self.rhs,
            cond: self.cond,
            derive: self.derive,
        };
        match Rewrite::new(self.name.clone(), self.lhs, applier) {
            Ok(rw) => rw,
            // Rules are compile-time data; `rules_are_well_formed` builds every one of them.
            Err(e) => unreachable!("built-in rule {} is malformed: {e}", self.name),
        }
    }
}

/// Parses a built-in pattern.
pub(crate) fn pattern(text: &str) -> Pattern<ArrayLang> {
    match text.parse() {
        Ok(p) => p,
        // Patterns are compile-time data; `rules_are_well_formed` parses every one of them.
        Err(e) => unreachable!("built-in pattern `{text}` is malformed: {e}"),
    }
}

/// A pattern variable (`"?x"`).
pub(crate) fn var(name: &str) -> Var {
    match name.parse() {
        Ok(v) => v,
        Err(e) => unreachable!("built-in variable `{name}` is malformed: {e}"),
    }
}

/// The applier every rule uses: condition, derivation, then a typed instantiation of the RHS.
struct Checked {
    rhs: Pattern<ArrayLang>,
    cond: Option<Cond>,
    derive: Option<Derive>,
}

impl Applier<ArrayLang, crate::ArrayAnalysis> for Checked {
    fn apply_one(
        &self,
        egraph: &mut ArrayGraph,
        eclass: Id,
        subst: &Subst,
        _searcher_ast: Option<&PatternAst<ArrayLang>>,
        _rule_name: Symbol,
    ) -> Vec<Id> {
        if let Some(cond) = &self.cond
            && !cond(egraph, subst)
        {
            return vec![];
        }
        let mut subst = subst.clone();
        if let Some(derive) = &self.derive {
            match derive(egraph, &subst) {
                Some(bindings) => {
                    for (v, id) in bindings {
                        subst.insert(v, id);
                    }
                }
                None => return vec![],
            }
        }
        match instantiate(egraph, &self.rhs.ast, &subst, eclass) {
            Some(id) if egraph.union(eclass, id) => vec![eclass],
            _ => vec![],
        }
    }
}

/// Adds `ast` under `subst` if it type-checks and has the type of `eclass`; returns its class.
fn instantiate(
    egraph: &mut ArrayGraph,
    ast: &PatternAst<ArrayLang>,
    subst: &Subst,
    eclass: Id,
) -> Option<Id> {
    // First type every new node against local data, so nothing is added for a rejected match.
    let nodes = ast.as_ref();
    let mut local: Vec<ClassData> = Vec::with_capacity(nodes.len());
    for node in nodes {
        let data = match node {
            ENodeOrVar::Var(v) => egraph[*subst.get(*v)?].data.clone(),
            ENodeOrVar::ENode(n) => node_data(n, |i| &local[usize::from(i)]),
        };
        if matches!(data, ClassData::Invalid(_)) {
            return None;
        }
        local.push(data);
    }
    let root = local.last()?;
    match (root, &egraph[eclass].data) {
        (ClassData::Array(a), ClassData::Array(b)) if a.dtype == b.dtype && a.shape == b.shape => {}
        _ => return None,
    }
    let mut ids: Vec<Id> = Vec::with_capacity(nodes.len());
    for node in nodes {
        let id = match node {
            ENodeOrVar::Var(v) => *subst.get(*v)?,
            ENodeOrVar::ENode(n) => {
                let n = n.clone().map_children(|i| ids[usize::from(i)]);
                egraph.add(n)
            }
        };
        ids.push(id);
    }
    ids.last().copied()
}

// ----- helpers the rule families share -----

/// The array data bound to `v`.
pub(crate) fn info<'a>(eg: &'a ArrayGraph, s: &Subst, v: Var) -> Option<&'a ArrayInfo> {
    eg[*s.get(v)?].data.array()
}

/// The constant bound to `v`, if its class is constant.
pub(crate) fn constant(eg: &ArrayGraph, s: &Subst, v: Var) -> Option<Scalar> {
    info(eg, s, v)?.constant
}

/// The `[..]` attribute bound to `v`.
pub(crate) fn dims<'a>(eg: &'a ArrayGraph, s: &Subst, v: Var) -> Option<&'a [usize]> {
    match eg[*s.get(v)?].data.attr()? {
        Attr::Dims(d) => Some(d),
        _ => None,
    }
}

/// The slice-spec attribute bound to `v`.
pub(crate) fn slices<'a>(eg: &'a ArrayGraph, s: &Subst, v: Var) -> Option<&'a [SliceAxis]> {
    match eg[*s.get(v)?].data.attr()? {
        Attr::Slices(specs) => Some(specs),
        _ => None,
    }
}

/// The dtype attribute bound to `v`.
pub(crate) fn dtype_attr(eg: &ArrayGraph, s: &Subst, v: Var) -> Option<DType> {
    match eg[*s.get(v)?].data.attr()? {
        Attr::DType(d) => Some(*d),
        _ => None,
    }
}

/// Whether the class bound to `v` is the constant `value` (by bits: `-0.0` is not `0.0`).
pub(crate) fn is_const(eg: &ArrayGraph, s: &Subst, v: Var, value: f64) -> bool {
    constant(eg, s, v).is_some_and(|c| is_value(c, value))
}

/// Whether `c` is exactly `value` in its own dtype (integers by wrap-around, so `-1` is `255u8`).
pub(crate) fn is_value(c: Scalar, value: f64) -> bool {
    if c.dtype().is_integer() && value.fract() == 0.0 {
        return c == Scalar::from_i64(value as i64, c.dtype());
    }
    c.is_exactly(value)
}

/// Adds an attribute leaf.
pub(crate) fn add_attr(eg: &mut ArrayGraph, attr: Attr) -> Id {
    eg.add(ArrayLang::Attr(attr))
}

/// Adds `full(value, shape)`.
pub(crate) fn add_full(eg: &mut ArrayGraph, value: Scalar, shape: &Shape) -> Id {
    let v = add_attr(eg, Attr::Value(Const(value)));
    let d = add_attr(eg, Attr::Dims(shape.0.clone()));
    eg.add(ArrayLang::Full([v, d]))
}

/// Derivation binding `out` to a constant `value(dtype)` with the shape of `like`.
pub(crate) fn full_like(
    like: Var,
    out: Var,
    value: impl Fn(DType) -> Option<Scalar> + Send + Sync + 'static,
) -> impl Fn(&mut ArrayGraph, &Subst) -> Option<Vec<(Var, Id)>> + Send + Sync + 'static {
    move |eg, s| {
        let x = info(eg, s, like)?;
        let (dtype, shape) = (x.dtype, x.shape.clone());
        let id = add_full(eg, value(dtype)?, &shape);
        Some(vec![(out, id)])
    }
}

/// Real (non-complex) numeric or bool dtype.
pub(crate) fn is_real(d: DType) -> bool {
    !d.is_complex()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_well_formed() {
        for fast_math in [false, true] {
            let cfg = OptConfig {
                fast_math,
                ..OptConfig::default()
            };
            let rules = rules(&cfg);
            let mut names: Vec<String> = rules.iter().map(|r| r.name.to_string()).collect();
            let count = names.len();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), count, "rule names are unique");
        }
    }

    #[test]
    fn fast_math_only_adds_rules() {
        let safe = rules(&OptConfig::default()).len();
        let fast = rules(&OptConfig {
            fast_math: true,
            ..OptConfig::default()
        })
        .len();
        assert!(fast > safe);
    }

    #[test]
    fn integer_constants_wrap() {
        assert!(is_value(Scalar::U8(255), -1.0));
        assert!(is_value(Scalar::I32(-1), -1.0));
        assert!(!is_value(Scalar::F32(0.0), -0.0));
        assert!(is_value(Scalar::F32(-0.0), -0.0));
    }
}
