//! Hand-checked behaviour of the public Rust API: creation, promotion, operators, views,
//! slicing, reductions, linear algebra, evaluation semantics and `explain`.

use kiln::{Array, DType, Idx, Scalar};

type R = kiln::Result<()>;

fn f64s(a: &Array) -> Vec<f64> {
    a.to_vec::<f64>().unwrap()
}

#[test]
fn creation_functions() -> R {
    assert_eq!(
        kiln::arange(5i64, None, 1i64, None)?.to_vec::<i64>()?,
        vec![0, 1, 2, 3, 4]
    );
    assert_eq!(
        kiln::arange(10i64, Some(2i64.into()), -3i64, None)?.to_vec::<i64>()?,
        vec![10, 7, 4]
    );
    assert_eq!(
        f64s(&kiln::arange(0.0, Some(1.0.into()), 0.25, None)?),
        vec![0.0, 0.25, 0.5, 0.75]
    );
    assert_eq!(
        f64s(&kiln::linspace(0.0, 1.0, 5, true, None)?),
        vec![0.0, 0.25, 0.5, 0.75, 1.0]
    );
    assert_eq!(
        f64s(&kiln::linspace(0.0, 1.0, 4, false, None)?),
        vec![0.0, 0.25, 0.5, 0.75]
    );
    assert_eq!(
        kiln::eye(2, Some(3), 1, DType::I32)?.to_vec::<i32>()?,
        vec![0, 1, 0, 0, 0, 1]
    );
    assert_eq!(
        kiln::full(&[2, 2], 7i64, Some(DType::U8))?.to_vec::<u8>()?,
        vec![7; 4]
    );
    assert_eq!(
        kiln::zeros(&[0, 3], DType::F32)?.to_vec::<f32>()?,
        Vec::<f32>::new()
    );
    let x = Array::from_vec(vec![1.0f32, 2.0, 3.0], &[3])?;
    assert_eq!(kiln::ones_like(&x, None)?.to_vec::<f32>()?, vec![1.0; 3]);
    assert_eq!(Array::scalar(3i16)?.item()?, Scalar::I16(3));
    let nd = ndarray::arr2(&[[1i32, 2], [3, 4]]).into_dyn();
    let a = Array::from_ndarray(&nd)?;
    assert_eq!(a.to_ndarray::<i32>()?, nd);
    Ok(())
}

#[test]
fn promotion_and_scalars() -> R {
    let i8s = Array::from_vec(vec![1i8, -2], &[2])?;
    let u8s = Array::from_vec(vec![3u8, 4], &[2])?;
    assert_eq!((&i8s + &u8s)?.dtype(), DType::I16);
    let f = Array::from_vec(vec![1.5f32, 2.5], &[2])?;
    assert_eq!((&f * 2i64)?.dtype(), DType::F32);
    assert_eq!((&i8s * 2.5)?.dtype(), DType::F64);
    assert_eq!((&i8s + 1)?.to_vec::<i8>()?, vec![2, -1]);
    assert_eq!(kiln::divide(&i8s, 2)?.to_vec::<f64>()?, vec![0.5, -1.0]);
    // Wrap-around integer arithmetic, Python-style floor division and remainder.
    let big = Array::from_vec(vec![127i8, -128], &[2])?;
    assert_eq!((&big + 1)?.to_vec::<i8>()?, vec![-128, -127]);
    let a = Array::from_vec(vec![7i32, -7, 7, -7], &[4])?;
    let b = Array::from_vec(vec![2i32, 2, -2, 0], &[4])?;
    assert_eq!(
        kiln::floor_divide(&a, &b)?.to_vec::<i32>()?,
        vec![3, -4, -4, 0]
    );
    assert_eq!(kiln::remainder(&a, &b)?.to_vec::<i32>()?, vec![1, 1, -1, 0]);
    Ok(())
}

#[test]
fn clip_broadcasts_its_bounds() -> R {
    let x = Array::from_vec(vec![1.0f32, 5.0, 9.0], &[3])?;
    let lo = Array::from_vec(vec![2.0f32, 6.0], &[2, 1])?;
    let y = kiln::clip(&x, Some((&lo).into()), Some(8.0f64.into()))?;
    assert_eq!(y.dtype(), DType::F32);
    assert_eq!(y.to_vec::<f32>()?, vec![2.0, 5.0, 8.0, 6.0, 6.0, 8.0]);
    let empty = Array::from_vec(Vec::<u8>::new(), &[0])?;
    let scalar = Array::scalar(7u8)?;
    assert_eq!(
        kiln::clip(&scalar, Some((&empty).into()), None)?.shape(),
        &[0]
    );
    Ok(())
}

#[test]
fn special_float_values_survive() -> R {
    let x = Array::from_vec(vec![f64::NAN, f64::INFINITY, -0.0, 0.0, -1.0], &[5])?;
    let m = kiln::maximum(&x, 0.0)?.to_vec::<f64>()?;
    assert!(m[0].is_nan());
    assert_eq!(m[1], f64::INFINITY);
    assert_eq!(m[4], 0.0);
    let neg = (-&x)?.to_vec::<f64>()?;
    assert!(neg[3].is_sign_negative() && neg[2].is_sign_positive());
    let s = kiln::sqrt(&x)?.to_vec::<f64>()?;
    assert!(s[4].is_nan() && s[2] == 0.0 && s[2].is_sign_negative());
    assert_eq!(
        kiln::isnan(&x)?.to_vec::<bool>()?,
        vec![true, false, false, false, false]
    );
    assert_eq!(
        kiln::signbit(&x)?.to_vec::<bool>()?,
        vec![false, false, true, false, true]
    );
    let r = kiln::round(&Array::from_vec(vec![0.5f64, 1.5, 2.5, -0.5], &[4])?)?;
    assert_eq!(f64s(&r), vec![0.0, 2.0, 2.0, -0.0]);
    Ok(())
}

#[test]
fn views_do_not_copy_and_compose() -> R {
    let x = Array::from_vec((0..24).collect::<Vec<i64>>(), &[2, 3, 4])?;
    let t = x.permute_dims(&[2, 0, 1])?;
    assert_eq!(t.shape(), &[4, 2, 3]);
    assert_eq!(
        t.slice(&[Idx::Index(1), Idx::Index(0)])?.to_vec::<i64>()?,
        vec![1, 5, 9]
    );
    let f = x
        .flip(Some(&[-1]))?
        .slice(&[Idx::Index(0), Idx::Index(0)])?;
    assert_eq!(f.to_vec::<i64>()?, vec![3, 2, 1, 0]);
    let s = x.slice(&[
        Idx::Ellipsis,
        Idx::Range {
            start: None,
            stop: None,
            step: -2,
        },
    ])?;
    assert_eq!(s.shape(), &[2, 3, 2]);
    assert_eq!(
        s.slice(&[Idx::Index(-1), Idx::Index(-1)])?
            .to_vec::<i64>()?,
        vec![23, 21]
    );
    let e = x.slice(&[
        Idx::NewAxis,
        Idx::Index(0),
        Idx::Range {
            start: Some(1),
            stop: Some(100),
            step: 1,
        },
    ])?;
    assert_eq!(e.shape(), &[1, 2, 4]);
    assert_eq!(x.reshape(&[4, -1])?.shape(), &[4, 6]);
    assert_eq!(x.expand_dims(0)?.squeeze(&[0])?.shape(), &[2, 3, 4]);
    let m = Array::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3])?;
    assert_eq!(
        m.matrix_transpose()?.to_vec::<f32>()?,
        vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
    );
    let b = Array::from_vec(vec![1.0f32, 2.0, 3.0], &[3])?.broadcast_to(&[2, 3])?;
    assert_eq!(b.to_vec::<f32>()?, vec![1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
    Ok(())
}

#[test]
fn reductions() -> R {
    let x = Array::from_vec(vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3])?;
    assert_eq!(f64s(&x.sum(None, false, None)?), vec![21.0]);
    assert_eq!(f64s(&x.sum(Some(&[0]), false, None)?), vec![5.0, 7.0, 9.0]);
    assert_eq!(x.sum(Some(&[1]), true, None)?.shape(), &[2, 1]);
    assert_eq!(f64s(&x.prod(Some(&[1]), false, None)?), vec![6.0, 120.0]);
    assert_eq!(f64s(&x.max(Some(&[1]), false)?), vec![3.0, 6.0]);
    assert_eq!(f64s(&x.min(None, false)?), vec![1.0]);
    assert_eq!(f64s(&x.mean(Some(&[0]), false)?), vec![2.5, 3.5, 4.5]);
    let v = f64s(&x.var(None, 1.0, false)?)[0];
    assert!((v - 3.5).abs() < 1e-12);
    let s = f64s(&x.std(Some(&[1]), 0.0, false)?);
    assert!((s[0] - (2.0f64 / 3.0).sqrt()).abs() < 1e-12);
    assert_eq!(x.argmax(None, false)?.to_vec::<i64>()?, vec![5]);
    assert_eq!(x.argmin(Some(1), false)?.to_vec::<i64>()?, vec![0, 0]);
    let ints = Array::from_vec(vec![1i8, 2, 3], &[3])?;
    let total = ints.sum(None, false, None)?;
    assert_eq!(total.dtype(), DType::I64);
    assert_eq!(total.to_vec::<i64>()?, vec![6]);
    let flags = Array::from_vec(vec![true, false, true, true], &[2, 2])?;
    assert_eq!(
        flags.any(Some(&[1]), false)?.to_vec::<bool>()?,
        vec![true, true]
    );
    assert_eq!(
        flags.all(Some(&[1]), false)?.to_vec::<bool>()?,
        vec![false, true]
    );
    assert_eq!(
        ints.cumulative_sum(None, None, false)?.to_vec::<i64>()?,
        vec![1, 3, 6]
    );
    let empty = kiln::zeros(&[0], DType::F64)?;
    assert_eq!(f64s(&empty.sum(None, false, None)?), vec![0.0]);
    assert!(f64s(&empty.mean(None, false)?)[0].is_nan());
    let with_nan = Array::from_vec(vec![1.0f64, f64::NAN, 3.0], &[3])?;
    assert!(f64s(&with_nan.max(None, false)?)[0].is_nan());
    assert_eq!(with_nan.argmax(None, false)?.to_vec::<i64>()?, vec![1]);
    Ok(())
}

#[test]
fn pairwise_accurate_sum() -> R {
    // 1e6 copies of 0.1f32: a naive sequential f32 sum is off by ~1%; pairwise is ~1e-6.
    let x = kiln::full(&[1_000_000], 0.1, Some(DType::F32))?;
    let s = x.sum(None, false, None)?.to_vec::<f32>()?[0] as f64;
    let exact = 0.1f32 as f64 * 1e6;
    assert!((s - exact).abs() / exact < 1e-5, "sum {s} vs {exact}");
    Ok(())
}

#[test]
fn linear_algebra() -> R {
    let a = Array::from_vec(vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3])?;
    let b = Array::from_vec(vec![1.0f64, 0.0, 0.0, 1.0, 1.0, 1.0], &[3, 2])?;
    assert_eq!(f64s(&kiln::matmul(&a, &b)?), vec![4.0, 5.0, 10.0, 11.0]);
    let v = Array::from_vec(vec![1.0f64, 1.0, 1.0], &[3])?;
    assert_eq!(f64s(&kiln::matmul(&a, &v)?), vec![6.0, 15.0]);
    let batch = Array::from_vec((0..12).map(|i| i as f32).collect(), &[2, 2, 3])?;
    let w = Array::from_vec(vec![1.0f32, 0.0, 0.0, 1.0, 0.0, 0.0], &[3, 2])?;
    let out = kiln::matmul(&batch, &w)?;
    assert_eq!(out.shape(), &[2, 2, 2]);
    assert_eq!(
        out.to_vec::<f32>()?,
        vec![0.0, 1.0, 3.0, 4.0, 6.0, 7.0, 9.0, 10.0]
    );
    let ints = Array::from_vec(vec![1i32, 2, 3, 4], &[2, 2])?;
    assert_eq!(
        kiln::matmul(&ints, &ints)?.to_vec::<i32>()?,
        vec![7, 10, 15, 22]
    );
    assert_eq!(f64s(&kiln::vecdot(&a, &v, -1)?), vec![6.0, 15.0]);
    assert_eq!(
        f64s(&kiln::tensordot(&a, &b, 1)?),
        vec![4.0, 5.0, 10.0, 11.0]
    );
    Ok(())
}

/// A float product's output may be a pooled allocation still holding a dropped array's bytes
/// (it overwrites every element); a `k = 0` product must still come out as zeros.
#[test]
fn matmul_outputs_reused_from_the_pool_are_fully_written() -> R {
    let (m, k, n) = (512, 3, 512); // 1 MiB f32 outputs: large enough to be pooled
    let a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 - 3.0).collect();
    let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 - 2.0).collect();
    let want: Vec<f32> = (0..m * n)
        .map(|ij| (0..k).map(|p| a[ij / n * k + p] * b[p * n + ij % n]).sum())
        .collect();
    let (ka, kb) = (Array::from_vec(a, &[m, k])?, Array::from_vec(b, &[k, n])?);
    for _ in 0..3 {
        // Garbage of the output's size is dropped into the pool before each product.
        let garbage = (kiln::full(&[m, n], 9.0f32, None)? * 1.5)?;
        garbage.eval()?;
        drop(garbage);
        assert_eq!(kiln::matmul(&ka, &kb)?.to_vec::<f32>()?, want);
        let garbage = (kiln::full(&[m, n], 9.0f32, None)? * 1.5)?;
        garbage.eval()?;
        drop(garbage);
        let empty_k = kiln::matmul(
            &kiln::zeros(&[m, 0], DType::F32)?,
            &kiln::zeros(&[0, n], DType::F32)?,
        )?;
        assert!(empty_k.to_vec::<f32>()?.iter().all(|&x| x == 0.0));
    }
    Ok(())
}

#[test]
fn evaluated_nodes_become_leaves() -> R {
    let x = Array::from_vec(vec![0.5f32; 1000], &[1000])?;
    let y = kiln::log(&(kiln::sin(&x)? + 5.0)?)?;
    assert!(!y.is_realized());
    y.eval()?;
    assert!(y.is_realized());
    let z = (&y * 2.0)?;
    let text = kiln::explain(&[&z])?;
    assert!(
        !text.graph.contains("sin"),
        "y was recomputed:\n{}",
        text.graph
    );
    assert!(text.graph.contains("input#"));
    // Evaluating twice is a no-op (and explaining a realized array says so), and several
    // outputs share their sub-graph.
    y.eval()?;
    assert!(kiln::explain(&[&y])?.graph.contains("already realized"));
    let a = kiln::exp(&x)?;
    let (b, c) = ((&a + 1.0)?, (&a * 3.0)?);
    kiln::eval(&[&b, &c])?;
    assert!(b.is_realized() && c.is_realized());
    Ok(())
}

#[test]
fn explain_shows_every_stage() -> R {
    let x = Array::from_vec(vec![1.0f32; 4096], &[64, 64])?;
    let m = x.max(Some(&[1]), true)?;
    let e = kiln::exp(&(&x - &m)?)?;
    let s = (&e / &e.sum(Some(&[1]), true, None)?)?;
    let ex = kiln::explain(&[&s])?;
    let text = ex.to_string();
    for stage in [
        "== graph ==",
        "== optimised graph ==",
        "== schedule ==",
        "== cranelift",
        "== timings ==",
    ] {
        assert!(text.contains(stage), "missing {stage} in\n{text}");
    }
    let kernels = ex.clif.len();
    assert!(kernels <= 3, "softmax took {kernels} kernels:\n{text}");
    let v = s.to_vec::<f32>()?;
    assert!(v.iter().all(|&p| (p - 1.0 / 64.0).abs() < 1e-7));
    Ok(())
}

#[test]
fn new_length_does_not_recompile() -> R {
    let run = |n: usize| -> kiln::Result<()> {
        let x = Array::from_vec(vec![1.0f32; n], &[n])?;
        kiln::log(&(kiln::sin(&x)? + 5.0)?)?.eval()?;
        Ok(())
    };
    run(1000)?;
    let before = kiln::backend_stats()?.kernels_compiled;
    run(1234)?;
    run(77)?;
    assert_eq!(kiln::backend_stats()?.kernels_compiled, before);
    Ok(())
}

#[test]
fn deep_graphs_do_not_overflow_the_stack() -> R {
    let mut x = Array::from_vec(vec![1i64; 8], &[8])?;
    for _ in 0..20_000 {
        x = (&x + 1)?;
    }
    assert_eq!(x.to_vec::<i64>()?, vec![20_001; 8]);
    let mut y = Array::from_vec(vec![1i64; 8], &[8])?;
    for _ in 0..200_000 {
        y = (&y + 1)?;
    }
    drop(y);
    Ok(())
}

#[test]
fn format_values_reads_like_numpy() -> R {
    let x = Array::from_vec(vec![true, false, true, true], &[2, 2])?;
    assert_eq!(x.format_values()?, "[[True, False], [True, True]]");
    Ok(())
}

#[test]
fn cached_plans_compute_with_the_new_data() -> R {
    // A shape no other test uses, so the first evaluation is a plan-cache miss.
    let run = |values: Vec<f64>| -> kiln::Result<Vec<f64>> {
        let x = Array::from_vec(values, &[7, 3])?;
        let y = (kiln::exp(&x)? - x.max(Some(&[1]), true)?)?.sum(Some(&[0]), false, None)?;
        y.to_vec::<f64>()
    };
    let a: Vec<f64> = (0..21).map(|i| i as f64 * 0.1).collect();
    let b: Vec<f64> = (0..21).map(|i| 2.0 - i as f64 * 0.05).collect();
    let expect = |v: &[f64]| -> Vec<f64> {
        (0..3)
            .map(|c| {
                (0..7)
                    .map(|r| {
                        let row = &v[r * 3..r * 3 + 3];
                        let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                        row[c].exp() - m
                    })
                    .sum()
            })
            .collect()
    };
    let before = kiln::plan_cache_stats();
    let first = run(a.clone())?;
    let second = run(b.clone())?;
    let after = kiln::plan_cache_stats();
    assert!(
        after.hits > before.hits,
        "the second evaluation did not reuse the plan"
    );
    for (got, want) in [(first, expect(&a)), (second, expect(&b))] {
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g - w).abs() <= 1e-12 * w.abs().max(1.0),
                "{got:?} vs {want:?}"
            );
        }
    }
    Ok(())
}
