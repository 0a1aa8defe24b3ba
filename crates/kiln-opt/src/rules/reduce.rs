//! Reduction rules: trivial reductions, nested reductions, reductions of broadcasts and of scaled
//! operands.
//!
//! Invariant: the reference sums floats in f64 with compensation and rounds once, and its float
//! `max`/`min` pick between +0.0 and -0.0 by operand order, so regrouping a float sum, product,
//! max or min changes results: those rules exist for floats only with fast-math. Integer sums and
//! products wrap, which is a ring, so regrouping them is exact; `any`/`all` are exact.
//! A float sum over one element is not the element either (`0.0 + -0.0 = +0.0`).

use super::{Rule, add_attr, add_full, constant, dims, full_like, info, var};
use crate::OptConfig;
use crate::analysis::ArrayGraph;
use crate::lang::Attr;
use egg::{Id, Subst, Var};
use kiln_ir::{DType, ReduceOp, Scalar, Shape};

const ALL_OPS: [ReduceOp; 8] = [
    ReduceOp::Sum,
    ReduceOp::Prod,
    ReduceOp::Max,
    ReduceOp::Min,
    ReduceOp::Any,
    ReduceOp::All,
    ReduceOp::ArgMax,
    ReduceOp::ArgMin,
];

/// Whether `op` over one element returns that element exactly, for dtype `d`.
fn single_element_is_identity(op: ReduceOp, d: DType) -> bool {
    match op {
        ReduceOp::Max | ReduceOp::Min | ReduceOp::Any | ReduceOp::All => true,
        // 1 * x in f64 (or in the integer ring) is x; complex (1+0i)*(a+bi) computes 0*b.
        ReduceOp::Prod => !d.is_complex(),
        ReduceOp::Sum => d.is_integer(),
        ReduceOp::ArgMax | ReduceOp::ArgMin => false,
    }
}

/// Whether reducing in two steps equals reducing once, for dtype `d`.
fn regroups_exactly(op: ReduceOp, d: DType, fast_math: bool) -> bool {
    match op {
        ReduceOp::Any | ReduceOp::All => true,
        ReduceOp::Sum | ReduceOp::Prod | ReduceOp::Max | ReduceOp::Min => {
            d.is_integer() || fast_math
        }
        ReduceOp::ArgMax | ReduceOp::ArgMin => false,
    }
}

/// The reduced axes `?a` and the shape of `?x`.
fn axes_and_shape(eg: &ArrayGraph, s: &Subst) -> Option<(Vec<usize>, Shape, DType)> {
    let axes = dims(eg, s, var("?a"))?.to_vec();
    let x = info(eg, s, var("?x"))?;
    Some((axes, x.shape.clone(), x.dtype))
}

fn all_unit(axes: &[usize], shape: &Shape) -> bool {
    axes.iter().all(|&a| shape.dims().get(a) == Some(&1))
}

pub(crate) fn rules(cfg: &OptConfig) -> Vec<Rule> {
    let fast_math = cfg.fast_math;
    let mut rules = Vec::new();
    for op in ALL_OPS {
        let name = op.name();
        let reduce = format!("reduce.{name}");
        if op.is_arg() {
            // argmax/argmin over an axis of extent 1 is 0 everywhere
            rules.push(
                Rule::new(format!("{name}-unit"), &format!("({reduce} ?a ?x)"), "?z")
                    .when(|eg, s| axes_and_shape(eg, s).is_some_and(|(a, sh, _)| all_unit(&a, &sh)))
                    .derive(full_like(var("?x"), var("?z"), |_| Some(Scalar::I64(0)))),
            );
            continue;
        }
        // reduce(x, axes of extent 1) = x (where one element reduces to itself)
        rules.push(
            Rule::new(format!("{name}-unit"), &format!("({reduce} ?a ?x)"), "?x").when(
                move |eg, s| {
                    axes_and_shape(eg, s).is_some_and(|(a, sh, d)| {
                        all_unit(&a, &sh) && single_element_is_identity(op, d)
                    })
                },
            ),
        );
        // reduce(x, A) = reduce(x, A without its extent-1 axes): same elements, same order
        rules.push(
            Rule::new(
                format!("{name}-drop-unit-axes"),
                &format!("({reduce} ?a ?x)"),
                &format!("({reduce} ?b ?x)"),
            )
            .derive(drop_unit_axes),
        );
        // reduce(reduce(x, A), B) = reduce(x, A ∪ B)
        rules.push(
            Rule::new(
                format!("{name}-{name}"),
                &format!("({reduce} ?b ({reduce} ?a ?x))"),
                &format!("({reduce} ?c ?x)"),
            )
            .when(move |eg, s| {
                info(eg, s, var("?x")).is_some_and(|x| regroups_exactly(op, x.dtype, fast_math))
            })
            .derive(union_axes),
        );
    }
    // max/min/any/all(broadcast(x), stretched axes) = broadcast(x) without those axes stretched
    for op in [ReduceOp::Max, ReduceOp::Min, ReduceOp::Any, ReduceOp::All] {
        let name = op.name();
        rules.push(
            Rule::new(
                format!("{name}-broadcast"),
                &format!("(reduce.{name} ?a (broadcast ?s ?x))"),
                "(broadcast ?t ?x)",
            )
            .derive(|eg, s| unstretch(eg, s).map(|(t, _)| vec![(var("?t"), t)])),
        );
    }
    // sum(broadcast(x), stretched axes) = broadcast(x) * n (integers: n wrapping additions are
    // one wrapping multiplication; floats round once instead of n times: fast-math)
    rules.push(
        Rule::new(
            "sum-broadcast",
            "(reduce.sum ?a (broadcast ?s ?x))",
            "(mul (broadcast ?t ?x) ?n)",
        )
        .when(move |eg, s| {
            info(eg, s, var("?x")).is_some_and(|x| x.dtype.is_integer() || fast_math)
        })
        .derive(|eg, s| {
            let (t, count) = unstretch(eg, s)?;
            let x = info(eg, s, var("?x"))?;
            let dtype = x.dtype;
            let shape = match eg[t].data.attr()? {
                Attr::Dims(d) => Shape(d.clone()),
                _ => return None,
            };
            let n = if dtype.is_integer() {
                Scalar::from_i64(count as i64, dtype)
            } else {
                Scalar::from_f64(count as f64, dtype)
            };
            let n = add_full(eg, n, &shape);
            Some(vec![(var("?t"), t), (var("?n"), n)])
        }),
    );
    // sum(c * x) = c * sum(x) for a constant c (integers exact; floats fast-math)
    for (name, lhs) in [
        ("sum-scale-l", "(reduce.sum ?a (mul ?c ?x))"),
        ("sum-scale-r", "(reduce.sum ?a (mul ?x ?c))"),
    ] {
        rules.push(
            Rule::new(name, lhs, "(mul ?k (reduce.sum ?a ?x))")
                .when(move |eg, s| {
                    info(eg, s, var("?x")).is_some_and(|x| x.dtype.is_integer() || fast_math)
                })
                .derive(scale_after_sum),
        );
    }
    rules
}

/// Binds `?b` to the axes of `?a` whose extent in `?x` is not 1, when that drops some but not all.
fn drop_unit_axes(eg: &mut ArrayGraph, s: &Subst) -> Option<Vec<(Var, Id)>> {
    let (axes, shape, _) = axes_and_shape(eg, s)?;
    let kept: Vec<usize> = axes
        .iter()
        .copied()
        .filter(|&a| shape.dims().get(a) != Some(&1))
        .collect();
    if kept.is_empty() || kept.len() == axes.len() {
        return None;
    }
    let id = add_attr(eg, Attr::Dims(kept));
    Some(vec![(var("?b"), id)])
}

/// Binds `?c` to the sorted union of `?a` and `?b`.
fn union_axes(eg: &mut ArrayGraph, s: &Subst) -> Option<Vec<(Var, Id)>> {
    let mut axes = dims(eg, s, var("?a"))?.to_vec();
    axes.extend_from_slice(dims(eg, s, var("?b"))?);
    axes.sort_unstable();
    axes.dedup();
    let id = add_attr(eg, Attr::Dims(axes));
    Some(vec![(var("?c"), id)])
}

/// For `reduce(broadcast(x, s), a)` where every axis of `a` has extent 1 in `x` and at least 1 in
/// `s`: the attribute `s` with those axes set back to 1, and the number of copies reduced.
fn unstretch(eg: &mut ArrayGraph, s: &Subst) -> Option<(Id, usize)> {
    let axes = dims(eg, s, var("?a"))?.to_vec();
    let mut target = dims(eg, s, var("?s"))?.to_vec();
    let x = info(eg, s, var("?x"))?;
    let mut count = 1usize;
    for &a in &axes {
        if x.shape.dims().get(a) != Some(&1) || *target.get(a)? == 0 {
            return None;
        }
        count = count.checked_mul(target[a])?;
        target[a] = 1;
    }
    Some((add_attr(eg, Attr::Dims(target)), count))
}

/// Binds `?k` to the constant `?c` over the shape of `sum(?x, ?a)`.
fn scale_after_sum(eg: &mut ArrayGraph, s: &Subst) -> Option<Vec<(Var, Id)>> {
    let value = constant(eg, s, var("?c"))?;
    let (axes, mut shape, _) = axes_and_shape(eg, s)?;
    for &a in &axes {
        *shape.0.get_mut(a)? = 1;
    }
    let id = add_full(eg, value, &shape);
    Some(vec![(var("?k"), id)])
}
