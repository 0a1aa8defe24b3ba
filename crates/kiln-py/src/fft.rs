//! The `fft` extension: one facade call per function (`kiln::fft`).
//!
//! Invariant: arguments arrive normalised by `python/kiln/fft.py` (ints, lists, a norm name, a
//! dtype name); each function only builds graph nodes, so it goes through `run_array`.

use kiln::fft::Norm;
use pyo3::prelude::*;

use crate::array::RawArray;
use crate::convert::opt_dtype;
use crate::error::run_array;

fn norm(name: &str) -> Result<Norm, kiln::KilnError> {
    name.parse()
}

macro_rules! one_axis {
    ($($name:ident),*) => {$(
        #[pyfunction]
        fn $name(
            py: Python<'_>,
            x: &RawArray,
            n: Option<i64>,
            axis: isize,
            norm_name: &str,
        ) -> PyResult<RawArray> {
            run_array(py, || kiln::fft::$name(&x.0, n, axis, norm(norm_name)?))
        }
    )*};
}
one_axis!(fft, ifft, rfft, irfft, hfft, ihfft);

macro_rules! many_axes {
    ($($name:ident),*) => {$(
        #[pyfunction]
        fn $name(
            py: Python<'_>,
            x: &RawArray,
            s: Option<Vec<i64>>,
            axes: Option<Vec<isize>>,
            norm_name: &str,
        ) -> PyResult<RawArray> {
            run_array(py, || {
                kiln::fft::$name(&x.0, s.as_deref(), axes.as_deref(), norm(norm_name)?)
            })
        }
    )*};
}
many_axes!(fftn, ifftn, rfftn, irfftn);

#[pyfunction]
fn fftfreq(py: Python<'_>, n: i64, d: f64, dtype: Option<&str>) -> PyResult<RawArray> {
    let dtype = opt_dtype(dtype)?;
    run_array(py, || kiln::fft::fftfreq(n, d, dtype))
}

#[pyfunction]
fn rfftfreq(py: Python<'_>, n: i64, d: f64, dtype: Option<&str>) -> PyResult<RawArray> {
    let dtype = opt_dtype(dtype)?;
    run_array(py, || kiln::fft::rfftfreq(n, d, dtype))
}

#[pyfunction]
fn fftshift(py: Python<'_>, x: &RawArray, axes: Option<Vec<isize>>) -> PyResult<RawArray> {
    run_array(py, || kiln::fft::fftshift(&x.0, axes.as_deref()))
}

#[pyfunction]
fn ifftshift(py: Python<'_>, x: &RawArray, axes: Option<Vec<isize>>) -> PyResult<RawArray> {
    run_array(py, || kiln::fft::ifftshift(&x.0, axes.as_deref()))
}

/// Registers the functions under `fft_`-prefixed names (`fft_fft`, `fft_fftshift`, ...).
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let functions = [
        ("fft", wrap_pyfunction!(fft, m)?),
        ("ifft", wrap_pyfunction!(ifft, m)?),
        ("rfft", wrap_pyfunction!(rfft, m)?),
        ("irfft", wrap_pyfunction!(irfft, m)?),
        ("hfft", wrap_pyfunction!(hfft, m)?),
        ("ihfft", wrap_pyfunction!(ihfft, m)?),
        ("fftn", wrap_pyfunction!(fftn, m)?),
        ("ifftn", wrap_pyfunction!(ifftn, m)?),
        ("rfftn", wrap_pyfunction!(rfftn, m)?),
        ("irfftn", wrap_pyfunction!(irfftn, m)?),
        ("fftfreq", wrap_pyfunction!(fftfreq, m)?),
        ("rfftfreq", wrap_pyfunction!(rfftfreq, m)?),
        ("fftshift", wrap_pyfunction!(fftshift, m)?),
        ("ifftshift", wrap_pyfunction!(ifftshift, m)?),
    ];
    for (name, function) in functions {
        m.add(format!("fft_{name}"), function)?;
    }
    Ok(())
}
