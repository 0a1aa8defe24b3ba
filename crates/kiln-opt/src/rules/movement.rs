//! Movement (view) rules: merging and cancelling views, and pushing slices and permutes through
//! elementwise ops so only the elements that are used get computed.
//!
//! Invariant: every rule here only reorders or re-addresses elements, so all are exact for every
//! dtype. Constants need no rule: the analysis keeps a view of a constant constant (`full`).

use super::{Rule, add_attr, dims, info, slices, var};
use crate::OptConfig;
use crate::analysis::ArrayGraph;
use crate::lang::Attr;
use egg::{Id, Subst, Var};
use kiln_ir::{BinaryOp, SliceAxis, UnaryOp};

/// The attribute bound to `?s` equals the shape of `?x`.
fn attr_is_shape_of_x(eg: &ArrayGraph, s: &Subst) -> bool {
    match (dims(eg, s, var("?s")), info(eg, s, var("?x"))) {
        (Some(d), Some(x)) => d == x.shape.dims(),
        _ => false,
    }
}

pub(crate) fn rules(_cfg: &OptConfig) -> Vec<Rule> {
    let mut rules = vec![
        // reshape(reshape(x, a), b) = reshape(x, b) (row-major reshapes compose)
        Rule::new(
            "reshape-reshape",
            "(reshape ?b (reshape ?a ?x))",
            "(reshape ?b ?x)",
        ),
        // reshape(x, shape(x)) = x
        Rule::new("reshape-id", "(reshape ?s ?x)", "?x").when(attr_is_shape_of_x),
        // broadcast(broadcast(x, a), b) = broadcast(x, b) (same rank; stretched axes stay stretched)
        Rule::new(
            "broadcast-broadcast",
            "(broadcast ?b (broadcast ?a ?x))",
            "(broadcast ?b ?x)",
        ),
        // broadcast(x, shape(x)) = x
        Rule::new("broadcast-id", "(broadcast ?s ?x)", "?x").when(attr_is_shape_of_x),
        // permute(permute(x, p), q) = permute(x, [p[q[i]]])
        Rule::new(
            "permute-permute",
            "(permute ?q (permute ?p ?x))",
            "(permute ?r ?x)",
        )
        .derive(compose_permutations),
        // permute(x, identity) = x
        Rule::new("permute-id", "(permute ?s ?x)", "?x").when(|eg, s| {
            dims(eg, s, var("?s")).is_some_and(|p| p.iter().enumerate().all(|(i, &a)| i == a))
        }),
        // slice(slice(x, a), b) = slice(x, a∘b) (start a.start + b.start*a.step, step a.step*b.step)
        Rule::new("slice-slice", "(slice ?b (slice ?a ?x))", "(slice ?c ?x)")
            .derive(compose_slices),
        // slice(x, everything) = x
        Rule::new("slice-id", "(slice ?s ?x)", "?x").when(|eg, s| {
            let Some(specs) = slices(eg, s, var("?s")) else {
                return false;
            };
            info(eg, s, var("?x")).is_some_and(|x| {
                specs.len() == x.shape.rank()
                    && specs
                        .iter()
                        .zip(x.shape.dims())
                        .all(|(a, &d)| a.len == d && (a.step == 1 && a.start == 0 || d <= 1))
            })
        }),
    ];
    // view(f(x, y)) = f(view x, view y) for view = slice or permute: f is elementwise, so it
    // commutes with any re-addressing of its (equal-shaped) operands; for slices the pushed form
    // computes only the kept elements.
    for view in ["slice", "permute"] {
        for u in UnaryOp::ALL {
            let name = u.name();
            rules.push(Rule::new(
                format!("{view}-through-{name}"),
                &format!("({view} ?s ({name} ?x))"),
                &format!("({name} ({view} ?s ?x))"),
            ));
        }
        for b in BinaryOp::ALL {
            let name = b.name();
            rules.push(Rule::new(
                format!("{view}-through-{name}"),
                &format!("({view} ?s ({name} ?x ?y))"),
                &format!("({name} ({view} ?s ?x) ({view} ?s ?y))"),
            ));
        }
        rules.push(Rule::new(
            format!("{view}-through-where"),
            &format!("({view} ?s (where ?c ?x ?y))"),
            &format!("(where ({view} ?s ?c) ({view} ?s ?x) ({view} ?s ?y))"),
        ));
        rules.push(Rule::new(
            format!("{view}-through-cast"),
            &format!("({view} ?s (cast ?d ?x))"),
            &format!("(cast ?d ({view} ?s ?x))"),
        ));
    }
    rules
}

fn compose_permutations(eg: &mut ArrayGraph, s: &Subst) -> Option<Vec<(Var, Id)>> {
    let p = dims(eg, s, var("?p"))?;
    let q = dims(eg, s, var("?q"))?;
    let r: Vec<usize> = q
        .iter()
        .map(|&i| p.get(i).copied())
        .collect::<Option<_>>()?;
    let id = add_attr(eg, Attr::Dims(r));
    Some(vec![(var("?r"), id)])
}

fn compose_slices(eg: &mut ArrayGraph, s: &Subst) -> Option<Vec<(Var, Id)>> {
    let inner = slices(eg, s, var("?a"))?.to_vec();
    let outer = slices(eg, s, var("?b"))?.to_vec();
    if inner.len() != outer.len() {
        return None;
    }
    let composed: Vec<SliceAxis> = inner
        .iter()
        .zip(&outer)
        .map(|(a, b)| compose_axis(a, b))
        .collect::<Option<_>>()?;
    let id = add_attr(eg, Attr::Slices(composed));
    Some(vec![(var("?c"), id)])
}

/// Element `i` of `slice(slice(x, a), b)` is element `a.start + (b.start + i*b.step)*a.step` of x.
fn compose_axis(a: &SliceAxis, b: &SliceAxis) -> Option<SliceAxis> {
    if b.len == 0 {
        return Some(SliceAxis {
            start: 0,
            step: 1,
            len: 0,
        });
    }
    let start = a.start as i128 + b.start as i128 * a.step as i128;
    let step = a.step as i128 * b.step as i128;
    Some(SliceAxis {
        start: usize::try_from(start).ok()?,
        step: isize::try_from(step).ok()?,
        len: b.len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_axes_compose() {
        // x[1:9:2][::-1] over 10 elements: inner picks 1,3,5,7; reversed gives 7,5,3,1.
        let a = SliceAxis {
            start: 1,
            step: 2,
            len: 4,
        };
        let b = SliceAxis {
            start: 3,
            step: -1,
            len: 4,
        };
        assert_eq!(
            compose_axis(&a, &b),
            Some(SliceAxis {
                start: 7,
                step: -2,
                len: 4
            })
        );
    }
}
