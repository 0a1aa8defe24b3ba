//! The batch dimensions of a library call, collapsed into as few strided groups as the operands'
//! layouts allow: the innermost group becomes the library's own batch (one stride per operand),
//! the outer ones a loop of calls at shifted offsets.
//!
//! Invariant: the groups enumerate exactly the batch index space of the dims they were built from
//! (extent-1 dims dropped, adjacent dims merged only when every operand walks them as one), so
//! `calls` x the inner group visits every batch element once, at the element offset the operands'
//! views give it.

/// At most this many library calls for one step; a layout that needs more goes to the host.
pub const MAX_CALLS: usize = 4096;

/// Batch dims that every operand walks with one stride each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub count: usize,
    /// One stride per operand, in elements.
    pub strides: Vec<isize>,
}

/// Collapses batch dims (outer to inner; `strides[d][o]` is operand `o`'s stride of dim `d`)
/// into groups, outer to inner.
pub fn collapse(extents: &[usize], strides: &[Vec<isize>]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (&count, s) in extents.iter().zip(strides) {
        if count == 1 {
            continue;
        }
        if let Some(last) = groups.last_mut()
            && last
                .strides
                .iter()
                .zip(s)
                .all(|(&outer, &inner)| Some(outer) == inner.checked_mul(count as isize))
        {
            // The previous (outer) group steps exactly one run of this dim: merge.
            last.count *= count;
            last.strides.clone_from(s);
            continue;
        }
        groups.push(Group {
            count,
            strides: s.clone(),
        });
    }
    groups
}

/// Splits `groups` into the library's own batch (the innermost group when every stride of it is
/// positive, or zero where `zero_ok`, else a batch of one) and the element offsets, per operand,
/// of each call over the outer groups (starting from `base`). `None` when that needs more than
/// [`MAX_CALLS`] calls or an offset leaves the address space.
pub fn split(groups: &[Group], base: &[usize], zero_ok: bool) -> Option<(Group, Vec<Vec<usize>>)> {
    let least = if zero_ok { 0 } else { 1 };
    let inner_ok = groups
        .last()
        .is_some_and(|g| g.strides.iter().all(|&s| s >= least));
    let (inner, outer) = match groups.split_last() {
        Some((last, rest)) if inner_ok => (last.clone(), rest),
        _ => (
            Group {
                count: 1,
                strides: vec![0; base.len()],
            },
            groups,
        ),
    };
    let calls: usize = outer
        .iter()
        .try_fold(1usize, |acc, g| acc.checked_mul(g.count))?;
    if calls > MAX_CALLS {
        return None;
    }
    let mut offsets = Vec::with_capacity(calls);
    let mut index = vec![0usize; outer.len()];
    for _ in 0..calls {
        let mut at = Vec::with_capacity(base.len());
        for (o, &b) in base.iter().enumerate() {
            let shift = outer.iter().zip(&index).try_fold(0isize, |acc, (g, &i)| {
                acc.checked_add((i as isize).checked_mul(*g.strides.get(o)?)?)
            })?;
            at.push(b.checked_add_signed(shift)?);
        }
        offsets.push(at);
        // Odometer over the outer groups, innermost fastest.
        for (i, g) in index.iter_mut().zip(outer).rev() {
            *i += 1;
            if *i < g.count {
                break;
            }
            *i = 0;
        }
    }
    Some((inner, offsets))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguous_batch_dims_merge_into_one_group() {
        // [2, 3] batch over matrices of 20 elements, two operands contiguous.
        let g = collapse(&[2, 3], &[vec![60, 60], vec![20, 20]]);
        assert_eq!(
            g,
            vec![Group {
                count: 6,
                strides: vec![20, 20]
            }]
        );
    }

    #[test]
    fn a_transposed_batch_stays_two_groups_and_loops() -> Result<(), String> {
        let g = collapse(&[2, 3, 1], &[vec![20, 60], vec![40, 20], vec![7, 7]]);
        assert_eq!(g.len(), 2);
        let (inner, calls) = split(&g, &[5, 0], false).ok_or("no split")?;
        assert_eq!(inner.count, 3);
        assert_eq!(calls, vec![vec![5, 0], vec![25, 60]]);
        Ok(())
    }

    #[test]
    fn a_negative_inner_stride_becomes_a_loop() -> Result<(), String> {
        let g = collapse(&[4], &[vec![-10, 10]]);
        let (inner, calls) = split(&g, &[30, 0], true).ok_or("no split")?;
        assert_eq!(inner.count, 1);
        assert_eq!(
            calls,
            vec![vec![30, 0], vec![20, 10], vec![10, 20], vec![0, 30]]
        );
        Ok(())
    }

    #[test]
    fn a_broadcast_inner_stride_batches_only_where_zero_is_allowed() -> Result<(), String> {
        let g = collapse(&[3], &[vec![0, 6]]);
        assert_eq!(split(&g, &[0, 0], true).ok_or("no split")?.0.count, 3);
        assert_eq!(split(&g, &[0, 0], false).ok_or("no split")?.1.len(), 3);
        Ok(())
    }

    #[test]
    fn too_many_calls_is_none() {
        let g = collapse(&[MAX_CALLS + 1, 2], &[vec![-2, 1], vec![1, 0]]);
        assert!(split(&g, &[2 * MAX_CALLS, 0], true).is_none());
    }
}
