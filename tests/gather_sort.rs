//! Hand-checked behaviour of the data-movement API: concat, stack, roll, take,
//! take_along_axis, nonzero, advanced indexing, sort, argsort, searchsorted and unique_*,
//! including their errors (typed, of the kind a NumPy user expects, never a panic).

use kiln::{Array, DType, Idx, Index, PythonKind, Side};

type R = kiln::Result<()>;

fn iota(shape: &[usize]) -> Array {
    let n: usize = shape.iter().product();
    Array::from_vec((0..n as i64).collect(), shape).unwrap()
}

fn i64s(a: &Array) -> Vec<i64> {
    a.to_vec::<i64>().unwrap()
}

fn kind<T: std::fmt::Debug>(r: kiln::Result<T>) -> PythonKind {
    match r {
        Err(e) => {
            assert!(!e.to_string().is_empty());
            e.python_kind()
        }
        Ok(v) => panic!("expected an error, got {v:?}"),
    }
}

/// Operands large enough for the CPU backend's parallel blocks (2 x 32768 elements and up):
/// concatenation along the first axis (one contiguous copy per operand), along the last axis
/// (interleaved rows, several rows per task) and an element gather.
#[test]
fn large_concat_and_take_use_every_block() -> R {
    let (rows, cols) = (300usize, 400usize);
    let a = iota(&[rows, cols]);
    let b = (&iota(&[rows, 7]) * -1i64)?;
    let wide = kiln::concat(&[a.clone(), b.clone()], Some(1))?;
    let got = i64s(&wide);
    for r in 0..rows {
        for c in 0..cols + 7 {
            let want = if c < cols {
                (r * cols + c) as i64
            } else {
                -((r * 7 + c - cols) as i64)
            };
            assert_eq!(got[r * (cols + 7) + c], want, "row {r} col {c}");
        }
    }
    // A roll along the last axis concatenates two strided slices, read in place row by row.
    let rolled = i64s(&a.roll(&[7], Some(&[1]))?);
    for r in 0..rows {
        for c in 0..cols {
            let src = (c + cols - 7) % cols;
            assert_eq!(
                rolled[r * cols + c],
                (r * cols + src) as i64,
                "roll row {r} col {c}"
            );
        }
    }
    // Rows of a reversed (negative-stride) outer axis are still dense runs.
    let flipped = kiln::concat(&[a.flip(Some(&[0]))?, a.clone()], Some(1))?;
    let got = i64s(&flipped);
    assert_eq!(got[0], ((rows - 1) * cols) as i64);
    assert_eq!(got[2 * cols], ((rows - 2) * cols) as i64);
    assert_eq!(got[2 * cols + cols], cols as i64);
    let tall = kiln::concat(&[a.reshape(&[-1])?, iota(&[70_001])], Some(0))?;
    let got = i64s(&tall);
    assert_eq!(got.len(), rows * cols + 70_001);
    assert!(
        got[..rows * cols]
            .iter()
            .enumerate()
            .all(|(i, &v)| v == i as i64)
    );
    assert!(
        got[rows * cols..]
            .iter()
            .enumerate()
            .all(|(i, &v)| v == i as i64)
    );
    let n = 100_003i64;
    let idx: Vec<i64> = (0..n)
        .map(|i| (i * 7919) % (rows * cols) as i64 - 5)
        .collect();
    let taken = a
        .reshape(&[-1])?
        .take(&Array::from_vec(idx.clone(), &[n as usize])?, Some(0))?;
    let total = (rows * cols) as i64;
    let want: Vec<i64> = idx
        .iter()
        .map(|&i| if i < 0 { i + total } else { i })
        .collect();
    assert_eq!(i64s(&taken), want);
    Ok(())
}

#[test]
fn concat_stack_and_roll() -> R {
    let a = iota(&[2, 2]);
    let b = Array::from_vec(vec![10.5f64, 11.5], &[1, 2])?;
    let c = kiln::concat(&[a.clone(), b], Some(0))?;
    assert_eq!(c.dtype(), DType::F64);
    assert_eq!(c.shape(), &[3, 2]);
    assert_eq!(c.to_vec::<f64>()?, vec![0.0, 1.0, 2.0, 3.0, 10.5, 11.5]);
    let c1 = kiln::concat(&[a.clone(), a.clone()], Some(-1))?;
    assert_eq!(i64s(&c1), vec![0, 1, 0, 1, 2, 3, 2, 3]);
    let flat = kiln::concat(&[a.clone(), iota(&[3])], None)?;
    assert_eq!(i64s(&flat), vec![0, 1, 2, 3, 0, 1, 2]);
    let s = kiln::stack(&[a.clone(), a.clone()], 1)?;
    assert_eq!(s.shape(), &[2, 2, 2]);
    assert_eq!(i64s(&s), vec![0, 1, 0, 1, 2, 3, 2, 3]);
    let r = iota(&[5]).roll(&[2], None)?;
    assert_eq!(i64s(&r), vec![3, 4, 0, 1, 2]);
    let r2 = iota(&[2, 3]).roll(&[-1], Some(&[1]))?;
    assert_eq!(i64s(&r2), vec![1, 2, 0, 4, 5, 3]);
    let rflat = iota(&[2, 3]).roll(&[1], None)?;
    assert_eq!(rflat.shape(), &[2, 3]);
    assert_eq!(i64s(&rflat), vec![5, 0, 1, 2, 3, 4]);
    // Views and lazy operands on both sides.
    let t = iota(&[3, 2]).matrix_transpose()?;
    let lazy = (&iota(&[2, 3]) * 10i64)?;
    assert_eq!(
        i64s(&kiln::concat(&[t, lazy], Some(0))?),
        vec![0, 2, 4, 1, 3, 5, 0, 10, 20, 30, 40, 50]
    );
    Ok(())
}

#[test]
fn cumulative_sum_with_initial_value() -> R {
    let x = iota(&[2, 3]);
    let s = x.cumulative_sum(Some(1), None, true)?;
    assert_eq!(s.shape(), &[2, 4]);
    assert_eq!(i64s(&s), vec![0, 0, 1, 3, 0, 3, 7, 12]);
    let p = (&iota(&[3]) + 1i64)?.cumulative_prod(None, None, true)?;
    assert_eq!(i64s(&p), vec![1, 1, 2, 6]);
    Ok(())
}

#[test]
fn take_and_take_along_axis() -> R {
    let x = iota(&[3, 4]);
    let idx = Array::from_vec(vec![2i32, -1, 0, 2], &[4])?;
    let rows = x.take(&idx, Some(0))?;
    assert_eq!(rows.shape(), &[4, 4]);
    assert_eq!(
        i64s(&rows),
        vec![8, 9, 10, 11, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11]
    );
    let cols = x.take(&Array::from_vec(vec![3u8, 0], &[2])?, Some(1))?;
    assert_eq!(i64s(&cols), vec![3, 0, 7, 4, 11, 8]);
    let ta = x.take_along_axis(&Array::from_vec(vec![3i64, 0, 1], &[3, 1])?, 1)?;
    assert_eq!(ta.shape(), &[3, 1]);
    assert_eq!(i64s(&ta), vec![3, 4, 9]);
    // Lazy indices (argsort) feeding a gather.
    let v = Array::from_vec(vec![3.0f32, -1.0, 2.0], &[3])?;
    let sorted = v.take(&v.argsort(0, false)?, None)?;
    assert_eq!(sorted.to_vec::<f32>()?, vec![-1.0, 2.0, 3.0]);
    // An empty gather reads no index, so none is out of range (NumPy:
    // `np.take(np.zeros((0, 4)), [9], axis=1).shape == (0, 1)`).
    let lazy_far = (&Array::from_vec(vec![9i64], &[1])? + 0i64)?;
    let empty = iota(&[0, 4]).take(&lazy_far, Some(1))?;
    empty.eval()?;
    assert_eq!(empty.shape(), &[0, 1]);
    Ok(())
}

#[test]
fn advanced_indexing_matches_numpy() -> R {
    let x = iota(&[3, 4, 5]);
    let ia = |v: Vec<i64>, s: &[usize]| Array::from_vec(v, s).unwrap();
    // x[[0, 2]] -> (2, 4, 5)
    let a = x.index(&[Index::Array(ia(vec![0, 2], &[2]))])?;
    assert_eq!(a.shape(), &[2, 4, 5]);
    assert_eq!(i64s(&a)[..3], [0, 1, 2]);
    assert_eq!(i64s(&a)[20..23], [40, 41, 42]);
    // x[:, [1, 3], 0] -> ints are advanced; adjacent -> (3, 2)
    let b = x.index(&[
        Index::Basic(Idx::Full),
        Index::Array(ia(vec![1, 3], &[2])),
        Index::Basic(Idx::Index(0)),
    ])?;
    assert_eq!(b.shape(), &[3, 2]);
    assert_eq!(i64s(&b), vec![5, 15, 25, 35, 45, 55]);
    // x[[0, 2], :, [1, 4]] -> not adjacent: broadcast dims first -> (2, 4)
    let c = x.index(&[
        Index::Array(ia(vec![0, 2], &[2])),
        Index::Basic(Idx::Full),
        Index::Array(ia(vec![1, -1], &[2])),
    ])?;
    assert_eq!(c.shape(), &[2, 4]);
    assert_eq!(i64s(&c), vec![1, 6, 11, 16, 44, 49, 54, 59]);
    // x[..., [[0], [4]]] with broadcasting of a 2-D index array -> (3, 4, 2, 1)
    let d = x.index(&[
        Index::Basic(Idx::Ellipsis),
        Index::Array(ia(vec![0, 4], &[2, 1])),
    ])?;
    assert_eq!(d.shape(), &[3, 4, 2, 1]);
    assert_eq!(i64s(&d)[..4], [0, 4, 5, 9]);
    // Boolean mask over the first two axes -> (count, 5)
    let mask = kiln::remainder(&x.slice(&[Idx::Full, Idx::Full, Idx::Index(0)])?, 3i64)?;
    let mask = kiln::equal(&mask, 0i64)?;
    let m = x.index(&[Index::Array(mask)])?;
    let firsts: Vec<i64> = i64s(&m).chunks(5).map(|c| c[0]).collect();
    assert_eq!(firsts, vec![0, 15, 30, 45]);
    // 0-d masks
    let t = Array::scalar(true)?;
    let f = Array::scalar(false)?;
    assert_eq!(x.index(&[Index::Array(t)])?.shape(), &[1, 3, 4, 5]);
    assert_eq!(
        x.index(&[Index::Basic(Idx::Ellipsis), Index::Array(f)])?
            .shape(),
        &[3, 4, 5, 0]
    );
    Ok(())
}

#[test]
fn nonzero_evaluates_and_continues_lazily() -> R {
    let x = Array::from_vec(vec![0.0f64, 1.5, 0.0, -2.0, f64::NAN, -0.0], &[2, 3])?;
    let nz = x.nonzero()?;
    assert_eq!(nz.len(), 2);
    assert_eq!(i64s(&nz[0]), vec![0, 1, 1]);
    assert_eq!(i64s(&nz[1]), vec![1, 0, 1]);
    let next = (&nz[0] + 1i64)?;
    assert!(!next.is_realized());
    assert_eq!(i64s(&next), vec![1, 2, 2]);
    Ok(())
}

#[test]
fn sort_argsort_and_searchsorted() -> R {
    let nan = f64::NAN;
    let x = Array::from_vec(vec![3.0, nan, -0.0, 1.0, 0.0, 1.0], &[6])?;
    let s = x.sort(0, false)?.to_vec::<f64>()?;
    assert_eq!(&s[..5], &[-0.0, 0.0, 1.0, 1.0, 3.0]);
    assert!(s[5].is_nan());
    assert!(s[0].is_sign_negative(), "stable: -0.0 came first");
    assert_eq!(i64s(&x.argsort(0, false)?), vec![2, 4, 3, 5, 0, 1]);
    // Descending: NaN first, equal elements keep their order.
    assert_eq!(i64s(&x.argsort(0, true)?), vec![1, 0, 3, 5, 2, 4]);
    let m = Array::from_vec(vec![3i32, 1, 2, 9, 7, 8], &[2, 3])?;
    assert_eq!(m.sort(0, false)?.to_vec::<i32>()?, vec![3, 1, 2, 9, 7, 8]);
    assert_eq!(m.sort(-1, true)?.to_vec::<i32>()?, vec![3, 2, 1, 9, 8, 7]);
    let sorted = Array::from_vec(vec![1.0f32, 2.0, 2.0, 5.0], &[4])?;
    let v = Array::from_vec(vec![2i64, 0, 6, 5], &[2, 2])?;
    let left = kiln::searchsorted(&sorted, &v, Side::Left, None)?;
    assert_eq!(left.shape(), &[2, 2]);
    assert_eq!(i64s(&left), vec![1, 0, 4, 3]);
    let right = kiln::searchsorted(&sorted, &v, Side::Right, None)?;
    assert_eq!(i64s(&right), vec![3, 0, 4, 4]);
    let unsorted = Array::from_vec(vec![5.0f32, 1.0, 2.0], &[3])?;
    let sorter = Array::from_vec(vec![1i64, 2, 0], &[3])?;
    let via = kiln::searchsorted(&unsorted, &v, Side::Left, Some(&sorter))?;
    assert_eq!(i64s(&via), vec![1, 0, 3, 2]);
    Ok(())
}

#[test]
fn unique_groups_values_with_nan_distinct() -> R {
    let nan = f64::NAN;
    let x = Array::from_vec(vec![2.0, nan, 1.0, 2.0, -0.0, nan, 0.0], &[7])?;
    let u = x.unique_all()?;
    let v = u.values.to_vec::<f64>()?;
    assert_eq!(v.len(), 5);
    assert_eq!(&v[..3], &[0.0, 1.0, 2.0]);
    assert!(v[3].is_nan() && v[4].is_nan());
    assert_eq!(i64s(&u.counts), vec![2, 1, 2, 1, 1]);
    assert_eq!(i64s(&u.indices), vec![4, 2, 0, 1, 5]);
    assert_eq!(i64s(&u.inverse_indices), vec![2, 3, 1, 2, 0, 4, 0]);
    let m = iota(&[2, 2]);
    let um = kiln::remainder(&m, 2i64)?.unique_all()?;
    assert_eq!(um.inverse_indices.shape(), &[2, 2]);
    assert_eq!(i64s(&um.values), vec![0, 1]);
    // The values-only path (a sort) agrees with unique_all's values, also on empty and 1-element.
    let vo = x.unique_values()?.to_vec::<f64>()?;
    assert_eq!(vo.len(), 5);
    assert_eq!(&vo[..3], &[0.0, 1.0, 2.0]);
    assert!(vo[3].is_nan() && vo[4].is_nan());
    assert_eq!(iota(&[0]).unique_values()?.shape(), &[0]);
    assert_eq!(i64s(&iota(&[1]).unique_values()?), vec![0]);
    assert_eq!(
        i64s(&kiln::remainder(&m, 2i64)?.unique_values()?),
        vec![0, 1]
    );
    Ok(())
}

#[test]
fn bad_input_gives_typed_errors() {
    let x = iota(&[3, 4]);
    let floats = Array::from_vec(vec![0.0f32], &[1]).unwrap();
    assert_eq!(kind(kiln::concat(&[], Some(0))), PythonKind::ValueError);
    assert_eq!(
        kind(kiln::concat(&[x.clone(), iota(&[3, 5])], Some(0))),
        PythonKind::ValueError
    );
    assert_eq!(
        kind(kiln::concat(&[x.clone(), iota(&[3])], Some(0))),
        PythonKind::ValueError
    );
    assert_eq!(
        kind(kiln::concat(std::slice::from_ref(&x), Some(2))),
        PythonKind::IndexError
    );
    assert_eq!(
        kind(kiln::stack(&[x.clone(), iota(&[4, 3])], 0)),
        PythonKind::ValueError
    );
    assert_eq!(kind(x.take(&floats, Some(0))), PythonKind::TypeError);
    assert_eq!(
        kind(x.take(&iota(&[1, 1]), Some(0))),
        PythonKind::ValueError
    );
    assert_eq!(kind(x.take(&iota(&[2]), None)), PythonKind::ValueError);
    // Realized out-of-range indices fail at the call.
    let far = Array::from_vec(vec![3i64], &[1]).unwrap();
    assert_eq!(kind(x.take(&far, Some(0))), PythonKind::IndexError);
    let neg = Array::from_vec(vec![-4i64], &[1]).unwrap();
    assert_eq!(kind(x.take(&neg, Some(0))), PythonKind::IndexError);
    // Lazy out-of-range indices fail when evaluated, with the same kind; x is untouched.
    let lazy = (&far + 0i64).unwrap();
    let g = x.take(&lazy, Some(0)).unwrap();
    assert_eq!(kind(g.eval().map(|_| ())), PythonKind::IndexError);
    assert_eq!(i64s(&x)[..2], [0, 1]);
    // Two lazy index arrays, one out of range.
    let rows = (&Array::from_vec(vec![0i64, 1], &[2]).unwrap() + 0i64).unwrap();
    let cols = (&Array::from_vec(vec![0i64, 9], &[2]).unwrap() + 0i64).unwrap();
    let g2 = x.index(&[Index::Array(rows), Index::Array(cols)]).unwrap();
    assert_eq!(kind(g2.eval().map(|_| ())), PythonKind::IndexError);
    // Masks of the wrong shape, float index arrays, too many indices.
    let bad_mask = kiln::equal(iota(&[4]), 1i64).unwrap();
    assert_eq!(
        kind(x.index(&[Index::Array(bad_mask)])),
        PythonKind::IndexError
    );
    // Index arrays that do not broadcast together: IndexError, as NumPy says.
    let two = Array::from_vec(vec![0i64, 0], &[2]).unwrap();
    let three = Array::from_vec(vec![0i64, 0, 0], &[3]).unwrap();
    assert_eq!(
        kind(iota(&[1, 1, 1]).index(&[
            Index::Array(two),
            Index::Basic(Idx::Index(0)),
            Index::Array(three)
        ])),
        PythonKind::IndexError
    );
    // A mask axis of extent 0 selects nothing (the conformance suite's rule), whatever x's extent.
    let empty_mask = kiln::equal(iota(&[0]), 1i64).unwrap();
    let none = x.index(&[Index::Array(empty_mask)]).unwrap();
    assert_eq!(none.shape()[0], 0);
    assert_eq!(&none.shape()[1..], &x.shape()[1..]);
    assert_eq!(
        kind(x.index(&[Index::Array(floats.clone())])),
        PythonKind::IndexError
    );
    let i = Array::from_vec(vec![0i64], &[1]).unwrap();
    assert_eq!(
        kind(x.index(&[
            Index::Array(i.clone()),
            Index::Array(i.clone()),
            Index::Array(i)
        ])),
        PythonKind::IndexError
    );
    assert_eq!(
        kind(Array::scalar(1.0f64).unwrap().sort(0, false)),
        PythonKind::ValueError
    );
    assert_eq!(kind(x.argsort(2, false)), PythonKind::IndexError);
    assert_eq!(
        kind(kiln::searchsorted(&x, &x, Side::Left, None)),
        PythonKind::ValueError
    );
    assert_eq!(
        kind(Array::scalar(1i64).unwrap().nonzero()),
        PythonKind::ValueError
    );
    assert_eq!(kind(x.roll(&[1, 2], Some(&[0]))), PythonKind::ValueError);
}

mod random {
    //! The CPU backend against the reference interpreter on larger random inputs than the
    //! program generator makes: many duplicates, NaNs and signed zeros, strided views.

    use super::*;
    use kiln_interp::compare::{Tolerance, assert_close};
    use proptest::prelude::*;

    fn values() -> impl Strategy<Value = f64> {
        prop_oneof![
            4 => (-4i32..4).prop_map(|v| v as f64),
            1 => Just(f64::NAN),
            1 => Just(-0.0),
            1 => any::<f64>(),
        ]
    }

    fn check(got: &Array) -> Result<(), TestCaseError> {
        let want = kiln::reference(&[got]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let have = got.data().map_err(|e| TestCaseError::fail(e.to_string()))?;
        assert_close(&want[0], &have, &Tolerance::exact()).map_err(TestCaseError::fail)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn library_ops_match_the_reference(
            rows in 1usize..40,
            cols in 1usize..70,
            data in proptest::collection::vec(values(), 40 * 70),
            axis in 0isize..2,
            descending in any::<bool>(),
            picks in proptest::collection::vec(any::<i64>(), 0..50),
            as_f32 in any::<bool>(),
        ) {
            let n = rows * cols;
            let mut x = Array::from_vec(data[..n].to_vec(), &[rows, cols]).unwrap();
            if as_f32 {
                x = x.astype(DType::F32).unwrap();
            }
            // A strided, reversed view as the operand.
            let v = x.slice(&[Idx::Range { start: None, stop: None, step: -1 }, Idx::Full]).unwrap();
            check(&v.sort(axis, descending).unwrap())?;
            let order = v.argsort(axis, descending).unwrap();
            check(&order)?;
            check(&v.take_along_axis(&order, axis).unwrap())?;
            let extent = v.shape()[axis as usize] as i64;
            let idx: Vec<i64> = picks.iter().map(|p| p.rem_euclid(2 * extent) - extent).collect();
            let idx = Array::from_vec(idx.clone(), &[idx.len()]).unwrap();
            check(&v.take(&idx, Some(axis)).unwrap())?;
            check(&kiln::concat(&[v.clone(), x.clone(), v.matrix_transpose().unwrap().matrix_transpose().unwrap()], Some(axis)).unwrap())?;
            let flat = x.reshape(&[-1]).unwrap().sort(0, false).unwrap();
            check(&kiln::searchsorted(&flat, &v, Side::Left, None).unwrap())?;
            check(&kiln::searchsorted(&flat, &v, Side::Right, None).unwrap())?;
        }
    }
}
