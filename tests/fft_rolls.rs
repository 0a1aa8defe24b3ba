//! Shifts and rolls folded into transform steps (`kiln/src/fft_fold.rs`, the rolls of
//! `kiln_ir::FftOp`): the folded graph against the same computation with every roll and
//! transform evaluated on its own (so nothing can fold), and against the reference interpreter,
//! on random shapes (size-0 and size-1 dims included), dtypes, transforms, axes and rolls; plus
//! the graph of the W6 filter, which must keep no roll of its own.

use kiln::fft::{self, Norm};
use kiln::{Array, C128, DType, Scalar};
use proptest::prelude::*;

fn complex(a: &Array) -> Vec<C128> {
    a.astype(DType::C128).unwrap().to_vec::<C128>().unwrap()
}

/// `x` evaluated, so that nothing built on it can fold into what produced it.
fn barrier(x: &Array) -> Array {
    kiln::eval(&[x]).unwrap();
    x.clone()
}

fn close(got: &[C128], want: &[C128], tol: f64) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        prop_assert!((g - w).norm() <= tol, "entry {}: {} vs {}", i, g, w);
    }
    Ok(())
}

#[derive(Clone, Copy, Debug)]
enum Func {
    Fftn,
    Ifftn,
    Rfftn,
    Irfftn,
}

fn transform(func: Func, x: &Array, axes: &[isize]) -> kiln::Result<Array> {
    match func {
        Func::Fftn => fft::fftn(x, None, Some(axes), Norm::Backward),
        Func::Ifftn => fft::ifftn(x, None, Some(axes), Norm::Ortho),
        Func::Rfftn => fft::rfftn(x, None, Some(axes), Norm::Forward),
        Func::Irfftn => fft::irfftn(x, None, Some(axes), Norm::Backward),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// `shift_out(transform(shift_in(x)))`, folded, equals the same with barriers between the
    /// steps, and the reference interpreter's value of the folded graph.
    #[test]
    fn folded_rolls_match_unfolded_and_reference(
        dims in proptest::collection::vec(0usize..7, 1..4),
        data in proptest::collection::vec(-4.0f64..4.0, 2 * 6 * 6 * 6),
        func in 0usize..4,
        double in any::<bool>(),
        axes_mask in 1u8..8,
        in_rolls in proptest::collection::vec(-9i64..9, 3),
        in_mask in 0u8..8,
        out_mask in 0u8..8,
        out_inverse in any::<bool>(),
    ) {
        let func = [Func::Fftn, Func::Ifftn, Func::Rfftn, Func::Irfftn][func];
        let rank = dims.len();
        let numel: usize = dims.iter().product();
        let real = matches!(func, Func::Rfftn);
        let x = if real {
            Array::from_vec(data[..numel].to_vec(), &dims).unwrap()
        } else {
            let parts: Vec<C128> = (0..numel).map(|i| C128::new(data[2 * i], data[2 * i + 1])).collect();
            Array::from_vec(parts, &dims).unwrap()
        };
        let x = if double { x } else {
            x.astype(if real { DType::F32 } else { DType::C64 }).unwrap()
        };
        let pick = |mask: u8| -> Vec<isize> { (0..rank as isize).filter(|a| mask & (1 << a) != 0).collect() };
        let axes = pick(axes_mask);
        let axes = if axes.is_empty() { vec![rank as isize - 1] } else { axes };
        let in_axes = pick(in_mask);
        let shifts: Vec<i64> = in_axes.iter().map(|&a| in_rolls[a as usize]).collect();
        let out_axes = pick(out_mask);
        let shift_out = |y: &Array| if out_inverse {
            fft::ifftshift(y, Some(&out_axes))
        } else {
            fft::fftshift(y, Some(&out_axes))
        };
        let rolled = if in_axes.is_empty() { x.clone() } else { x.roll(&shifts, Some(&in_axes)).unwrap() };
        let folded = transform(func, &rolled, &axes).and_then(|y| shift_out(&y));
        let unfolded = transform(func, &barrier(&rolled), &axes)
            .and_then(|y| shift_out(&barrier(&y)));
        match (folded, unfolded) {
            (Ok(folded), Ok(unfolded)) => {
                let l1: f64 = complex(&x).iter().map(|v| v.norm()).sum();
                let tol = if double { 1e-12 } else { 1e-5 } * (1.0 + l1);
                let want = kiln::reference(&[&folded]).unwrap();
                let want: Vec<C128> = want[0].scalars().iter().map(|s| match s.cast(DType::C128) {
                    Scalar::C128(v) => v,
                    _ => C128::new(f64::NAN, 0.0),
                }).collect();
                let got = complex(&folded);
                close(&got, &complex(&unfolded), tol)?;
                close(&got, &want, tol)?;
            }
            (Err(a), Err(b)) => prop_assert_eq!(a.python_kind(), b.python_kind()),
            (a, b) => prop_assert!(false, "folded {:?} vs unfolded {:?}", a.err(), b.err()),
        }
    }
}

/// W6's filter keeps no roll of its own: the shifts fold into the four transform steps, and the
/// result equals the filter with every shift evaluated on its own.
#[test]
fn image_filter_shifts_fold_into_the_transforms() -> kiln::Result<()> {
    let (rows, cols) = (12usize, 10usize);
    let image: Vec<C128> = (0..rows * cols)
        .map(|k| C128::new((k as f64 * 0.7).sin(), (k as f64 * 0.3).cos()))
        .collect();
    let x = Array::from_vec(image, &[rows, cols])?.astype(DType::C64)?;
    let mask: Vec<f32> = (0..rows * cols)
        .map(|k| f32::from((3..9).contains(&(k / cols)) && (2..7).contains(&(k % cols))))
        .collect();
    let mask = Array::from_vec(mask, &[rows, cols])?;
    let filter = |barriers: bool| -> kiln::Result<Array> {
        let cut = |a: Array| if barriers { barrier(&a) } else { a };
        let f = fft::fftshift(&cut(fft::fftn(&x, None, None, Norm::Backward)?), None)?;
        let product = (&cut(f) * &mask)?;
        let z = fft::ifftshift(&cut(product), None)?;
        fft::ifftn(&cut(z), None, None, Norm::Backward)
    };
    let folded = filter(false)?;
    let graph = kiln::explain(&[&folded])?.graph;
    assert!(!graph.contains("concat"), "a roll was left in:\n{graph}");
    assert_eq!(graph.matches("fft[").count(), 4, "{graph}");
    let got = complex(&folded);
    let want = complex(&filter(true)?);
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).norm() <= 1e-5, "{got:?} vs {want:?}");
    }
    Ok(())
}
