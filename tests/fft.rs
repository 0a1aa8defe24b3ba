//! The `fft` extension: hand-checked transforms, frequencies and shifts; typed errors for bad
//! arguments; and the CPU backend (rustfft) against the reference interpreter's naive DFT on
//! random shapes (size-0 and size-1 dims included), axes, lengths, norms, dtypes and strided
//! views.

use kiln::fft::{self, Norm};
use kiln::{Array, C64, C128, DType, PythonKind, Scalar};

type R = kiln::Result<()>;

fn c(re: f64, im: f64) -> C128 {
    C128::new(re, im)
}

fn complex(a: &Array) -> Vec<C128> {
    a.astype(DType::C128).unwrap().to_vec::<C128>().unwrap()
}

fn assert_near(got: &[C128], want: &[C128], tol: f64) {
    assert_eq!(got.len(), want.len(), "lengths differ: {got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).norm() <= tol, "got {got:?}, want {want:?}");
    }
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

#[test]
fn one_dimensional_transforms_by_hand() -> R {
    let x = Array::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[4])?;
    let spectrum = vec![c(10.0, 0.0), c(-2.0, 2.0), c(-2.0, 0.0), c(-2.0, -2.0)];
    let f = fft::fft(&x, None, -1, Norm::Backward)?;
    assert_eq!(f.dtype(), DType::C128);
    assert_near(&complex(&f), &spectrum, 1e-12);
    let back = fft::ifft(&f, None, 0, Norm::Backward)?;
    assert_near(&complex(&back), &complex(&x), 1e-12);
    // Norms: ortho scales both ways by 1/sqrt(n), forward puts 1/n on the forward transform.
    let ortho = fft::fft(&x, None, 0, Norm::Ortho)?;
    let half: Vec<C128> = spectrum.iter().map(|v| v / 2.0).collect();
    assert_near(&complex(&ortho), &half, 1e-12);
    let fwd = fft::fft(&x, None, 0, Norm::Forward)?;
    let quarter: Vec<C128> = spectrum.iter().map(|v| v / 4.0).collect();
    assert_near(&complex(&fwd), &quarter, 1e-12);
    let inv_fwd = fft::ifft(&fwd, None, 0, Norm::Forward)?;
    assert_near(&complex(&inv_fwd), &complex(&x), 1e-12);
    // Crop to 2 points ([1, 2] -> [3, -1]) and zero-pad to 5 (entry 0 is the sum).
    let cropped = fft::fft(&x, Some(2), 0, Norm::Backward)?;
    assert_near(&complex(&cropped), &[c(3.0, 0.0), c(-1.0, 0.0)], 1e-12);
    let padded = fft::fft(&x, Some(5), 0, Norm::Backward)?;
    assert_eq!(padded.shape(), &[5]);
    assert_near(&complex(&padded)[..1], &[c(10.0, 0.0)], 1e-12);
    Ok(())
}

#[test]
fn real_and_hermitian_transforms_by_hand() -> R {
    let x = Array::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4])?;
    let r = fft::rfft(&x, None, 0, Norm::Backward)?;
    assert_eq!((r.dtype(), r.shape()), (DType::C64, &[3usize][..]));
    assert_near(
        &complex(&r),
        &[c(10.0, 0.0), c(-2.0, 2.0), c(-2.0, 0.0)],
        1e-5,
    );
    let back = fft::irfft(&r, None, 0, Norm::Backward)?;
    assert_eq!((back.dtype(), back.shape()), (DType::F32, &[4usize][..]));
    assert_near(&complex(&back), &complex(&x), 1e-5);
    // An odd length: n = 3 reads entries 0 and 1 of the half spectrum.
    let odd = fft::irfft(&r, Some(3), 0, Norm::Backward)?;
    // x[j] = (10 + 2 Re((-2+2i) w^j)) / 3 with w = exp(2πi/3).
    let w = |j: f64| C128::from_polar(1.0, 2.0 * std::f64::consts::PI * j / 3.0);
    let want: Vec<C128> = (0..3)
        .map(|j| c((10.0 + 2.0 * (c(-2.0, 2.0) * w(j as f64)).re) / 3.0, 0.0))
        .collect();
    assert_near(&complex(&odd), &want, 1e-5);
    // ihfft is the conjugated half spectrum over n; hfft inverts it.
    let xd = x.astype(DType::F64)?;
    let ih = fft::ihfft(&xd, None, 0, Norm::Backward)?;
    assert_near(
        &complex(&ih),
        &[c(2.5, 0.0), c(-0.5, -0.5), c(-0.5, 0.0)],
        1e-12,
    );
    let h = fft::hfft(&ih, Some(4), 0, Norm::Backward)?;
    assert_eq!(h.dtype(), DType::F64);
    assert_near(&complex(&h), &complex(&xd), 1e-12);
    Ok(())
}

#[test]
fn multi_axis_transforms_by_hand() -> R {
    let x = Array::from_vec(
        vec![c(1.0, 0.0), c(2.0, 0.0), c(3.0, 0.0), c(4.0, 0.0)],
        &[2, 2],
    )?;
    let f = fft::fftn(&x, None, None, Norm::Backward)?;
    let want = [c(10.0, 0.0), c(-2.0, 0.0), c(-4.0, 0.0), c(0.0, 0.0)];
    assert_near(&complex(&f), &want, 1e-12);
    assert_near(
        &complex(&fft::ifftn(&f, None, None, Norm::Backward)?),
        &complex(&x),
        1e-12,
    );
    // One axis only, and an `s` that pads axis 0 to 3 rows.
    let rows = fft::fftn(&x, None, Some(&[1]), Norm::Backward)?;
    assert_near(
        &complex(&rows),
        &[c(3.0, 0.0), c(-1.0, 0.0), c(7.0, 0.0), c(-1.0, 0.0)],
        1e-12,
    );
    let padded = fft::fftn(&x, Some(&[3, -1]), Some(&[0, 1]), Norm::Backward)?;
    assert_eq!(padded.shape(), &[3, 2]);
    assert_near(&complex(&padded)[..2], &[c(10.0, 0.0), c(-2.0, 0.0)], 1e-12);
    // rfftn / irfftn round trip on a 2 x 4 real array.
    let xr = Array::from_vec((0..8).map(|v| v as f64).collect::<Vec<_>>(), &[2, 4])?;
    let half = fft::rfftn(&xr, None, None, Norm::Ortho)?;
    assert_eq!(half.shape(), &[2, 3]);
    let back = fft::irfftn(&half, Some(&[2, 4]), None, Norm::Ortho)?;
    assert_eq!((back.dtype(), back.shape()), (DType::F64, &[2usize, 4][..]));
    assert_near(&complex(&back), &complex(&xr), 1e-12);
    Ok(())
}

#[test]
fn frequencies_and_shifts_by_hand() -> R {
    let f = fft::fftfreq(4, 1.0, None)?;
    assert_eq!(f.dtype(), DType::F64);
    assert_eq!(f.to_vec::<f64>()?, vec![0.0, 0.25, -0.5, -0.25]);
    let f5 = fft::fftfreq(5, 0.5, Some(DType::F32))?;
    assert_eq!(f5.to_vec::<f32>()?, vec![0.0, 0.4, 0.8, -0.8, -0.4]);
    let r5 = fft::rfftfreq(5, 1.0, None)?;
    assert_eq!(r5.to_vec::<f64>()?, vec![0.0, 0.2, 0.4]);
    let x = Array::from_vec((0..5i64).collect(), &[5])?;
    let s = fft::fftshift(&x, None)?;
    assert_eq!(s.to_vec::<i64>()?, vec![3, 4, 0, 1, 2]);
    assert_eq!(
        fft::ifftshift(&s, None)?.to_vec::<i64>()?,
        vec![0, 1, 2, 3, 4]
    );
    let grid = Array::from_vec((0..6i64).collect(), &[2, 3])?;
    assert_eq!(
        fft::fftshift(&grid, None)?.to_vec::<i64>()?,
        vec![5, 3, 4, 2, 0, 1]
    );
    assert_eq!(
        fft::fftshift(&grid, Some(&[-1]))?.to_vec::<i64>()?,
        vec![2, 0, 1, 5, 3, 4]
    );
    Ok(())
}

#[test]
fn bad_arguments_are_typed_errors() -> R {
    let x = Array::from_vec(vec![C64::new(1.0, 0.0); 6], &[2, 3])?;
    let ints = Array::from_vec(vec![1i32, 2, 3], &[3])?;
    let b = Norm::Backward;
    assert_eq!(kind(fft::fft(&x, Some(0), -1, b)), PythonKind::ValueError);
    assert_eq!(kind(fft::fft(&x, Some(-3), -1, b)), PythonKind::ValueError);
    assert_eq!(kind(fft::fft(&x, None, 2, b)), PythonKind::IndexError);
    assert_eq!(kind(fft::ifft(&x, None, -3, b)), PythonKind::IndexError);
    assert_eq!(kind(fft::fft(&ints, None, 0, b)), PythonKind::TypeError);
    assert_eq!(kind(fft::rfft(&x, None, 0, b)), PythonKind::TypeError);
    assert_eq!(kind(fft::ihfft(&x, None, 0, b)), PythonKind::TypeError);
    assert_eq!(kind(fft::irfft(&ints, None, 0, b)), PythonKind::TypeError);
    let one = Array::from_vec(vec![C64::new(1.0, 0.0)], &[1])?;
    assert_eq!(kind(fft::irfft(&one, None, 0, b)), PythonKind::ValueError);
    assert_eq!(
        kind(fft::fftn(&x, None, Some(&[0, 0]), b)),
        PythonKind::ValueError
    );
    assert_eq!(
        kind(fft::fftn(&x, Some(&[2]), Some(&[0, 1]), b)),
        PythonKind::ValueError
    );
    assert_eq!(
        kind(fft::fftn(&x, Some(&[2, 2, 2]), None, b)),
        PythonKind::ValueError
    );
    assert_eq!(kind(fft::fftfreq(0, 1.0, None)), PythonKind::ValueError);
    assert_eq!(
        kind(fft::fftfreq(4, 1.0, Some(DType::I32))),
        PythonKind::TypeError
    );
    assert_eq!(kind(fft::fftshift(&x, Some(&[5]))), PythonKind::IndexError);
    assert_eq!(kind("sideways".parse::<Norm>()), PythonKind::ValueError);
    Ok(())
}

/// A transform large enough to take several blocks and threads, along both axes, against the
/// separable definition (the transform of a product of two lines is their outer product).
#[test]
fn large_two_dimensional_transform_is_separable() -> R {
    let (rows, cols) = (96usize, 160usize);
    let u: Vec<C128> = (0..rows)
        .map(|i| c((i as f64 * 0.37).sin(), 0.25))
        .collect();
    let v: Vec<C128> = (0..cols)
        .map(|j| c((j as f64 * 0.11).cos(), -0.5))
        .collect();
    let grid: Vec<C64> = (0..rows * cols)
        .map(|k| {
            let p = u[k / cols] * v[k % cols];
            C64::new(p.re as f32, p.im as f32)
        })
        .collect();
    let x = Array::from_vec(grid, &[rows, cols])?;
    let f = fft::fftn(&x, None, None, Norm::Backward)?;
    let fu = complex(&fft::fft(
        &Array::from_vec(u.clone(), &[rows])?,
        None,
        0,
        Norm::Backward,
    )?);
    let fv = complex(&fft::fft(
        &Array::from_vec(v.clone(), &[cols])?,
        None,
        0,
        Norm::Backward,
    )?);
    let want: Vec<C128> = (0..rows * cols)
        .map(|k| fu[k / cols] * fv[k % cols])
        .collect();
    let scale = want.iter().map(|w| w.norm()).fold(0.0, f64::max);
    assert_near(&complex(&f), &want, 1e-4 * scale);
    Ok(())
}

mod random {
    //! The CPU backend against the reference interpreter's naive DFT.

    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Copy, Debug)]
    enum Func {
        Fft,
        Ifft,
        Rfft,
        Irfft,
        Hfft,
        Ihfft,
        Fftn,
        Ifftn,
        Rfftn,
        Irfftn,
    }

    const FUNCS: [Func; 10] = [
        Func::Fft,
        Func::Ifft,
        Func::Rfft,
        Func::Irfft,
        Func::Hfft,
        Func::Ihfft,
        Func::Fftn,
        Func::Ifftn,
        Func::Rfftn,
        Func::Irfftn,
    ];

    fn real_input(f: Func) -> bool {
        matches!(f, Func::Rfft | Func::Ihfft | Func::Rfftn)
    }

    /// Checks `got` (CPU) against the reference: within `tol` times the input's 1-norm (which
    /// bounds every unnormalised output) plus one.
    fn check(got: &Array, l1: f64, tol: f64) -> Result<(), TestCaseError> {
        let want = kiln::reference(&[got]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let want: Vec<C128> = want[0]
            .scalars()
            .iter()
            .map(|s| s.cast(DType::C128))
            .map(|s| match s {
                Scalar::C128(v) => v,
                _ => C128::new(f64::NAN, 0.0),
            })
            .collect();
        let have = complex(got);
        prop_assert_eq!(have.len(), want.len());
        for (i, (h, w)) in have.iter().zip(&want).enumerate() {
            prop_assert!(
                (h - w).norm() <= tol * (1.0 + l1),
                "entry {}: cpu {} vs reference {}",
                i,
                h,
                w
            );
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn transforms_match_the_reference(
            dims in proptest::collection::vec(0usize..7, 1..4),
            data in proptest::collection::vec(-4.0f64..4.0, 2 * 6 * 6 * 6),
            func in 0usize..FUNCS.len(),
            double in any::<bool>(),
            transpose in any::<bool>(),
            n in proptest::option::of(1i64..10),
            axis_pick in 0usize..8,
            axes_mask in 0u8..8,
            norm in 0usize..3,
        ) {
            let func = FUNCS[func];
            let norm = [Norm::Backward, Norm::Ortho, Norm::Forward][norm];
            let numel: usize = dims.iter().product();
            let real = real_input(func);
            let x = if real {
                Array::from_vec(data[..numel].to_vec(), &dims).unwrap()
            } else {
                let parts: Vec<C128> = (0..numel).map(|i| c(data[2 * i], data[2 * i + 1])).collect();
                Array::from_vec(parts, &dims).unwrap()
            };
            let x = if double { x } else {
                x.astype(if real { DType::F32 } else { DType::C64 }).unwrap()
            };
            // A strided operand: the transposed view.
            let x = if transpose { x.permute_dims(&(0..dims.len() as isize).rev().collect::<Vec<_>>()).unwrap() } else { x };
            let rank = x.ndim();
            let axis = (axis_pick % rank) as isize - if axis_pick % 2 == 0 { rank as isize } else { 0 };
            let axes: Vec<isize> = (0..rank as isize).filter(|a| axes_mask & (1 << a) != 0).collect();
            let axes = if axes.is_empty() { vec![axis] } else { axes };
            let s: Option<Vec<i64>> = n.map(|n| axes.iter().map(|&a| if a % 2 == 0 { n } else { -1 }).collect());
            let result = match func {
                Func::Fft => fft::fft(&x, n, axis, norm),
                Func::Ifft => fft::ifft(&x, n, axis, norm),
                Func::Rfft => fft::rfft(&x, n, axis, norm),
                Func::Irfft => fft::irfft(&x, n, axis, norm),
                Func::Hfft => fft::hfft(&x, n, axis, norm),
                Func::Ihfft => fft::ihfft(&x, n, axis, norm),
                Func::Fftn => fft::fftn(&x, s.as_deref(), Some(&axes), norm),
                Func::Ifftn => fft::ifftn(&x, s.as_deref(), Some(&axes), norm),
                Func::Rfftn => fft::rfftn(&x, s.as_deref(), Some(&axes), norm),
                Func::Irfftn => fft::irfftn(&x, s.as_deref(), Some(&axes), norm),
            };
            match result {
                Ok(y) => {
                    let l1: f64 = complex(&x).iter().map(|v| v.norm()).sum();
                    let tol = if double { 1e-12 } else { 1e-5 };
                    check(&y, l1, tol)?;
                }
                // Only a default length below 1 (an empty axis, or one entry for the real
                // inverse transforms) may fail.
                Err(e) => prop_assert_eq!(e.python_kind(), PythonKind::ValueError, "{}", e),
            }
        }
    }
}
