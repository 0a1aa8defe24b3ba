//! Joins, gathers, advanced indexing, sorting and set functions: one facade call each.
//!
//! Invariant: functions that may evaluate (boolean masks, nonzero, unique) go through
//! `error::run` (GIL released); the others only build graph nodes (`run_array`).

use kiln::{Index, Side};
use pyo3::prelude::*;

use crate::array::RawArray;
use crate::convert::index_entry;
use crate::error::{run, run_array, value_error};

const ARRAY: i64 = 4;

fn arrays(xs: &[Bound<'_, RawArray>]) -> Vec<kiln::Array> {
    xs.iter().map(|x| x.get().0.clone()).collect()
}

#[pyfunction]
#[pyo3(signature = (xs, axis=None))]
fn concat(py: Python<'_>, xs: Vec<Bound<'_, RawArray>>, axis: Option<isize>) -> PyResult<RawArray> {
    run_array(py, || kiln::concat(&arrays(&xs), axis))
}

#[pyfunction]
fn stack(py: Python<'_>, xs: Vec<Bound<'_, RawArray>>, axis: isize) -> PyResult<RawArray> {
    run_array(py, || kiln::stack(&arrays(&xs), axis))
}

#[pyfunction]
#[pyo3(signature = (x, shifts, axes=None))]
fn roll(
    py: Python<'_>,
    x: &RawArray,
    shifts: Vec<i64>,
    axes: Option<Vec<isize>>,
) -> PyResult<RawArray> {
    run_array(py, || x.0.roll(&shifts, axes.as_deref()))
}

#[pyfunction]
#[pyo3(signature = (x, indices, axis=None))]
fn take(
    py: Python<'_>,
    x: &RawArray,
    indices: &RawArray,
    axis: Option<isize>,
) -> PyResult<RawArray> {
    run_array(py, || x.0.take(&indices.0, axis))
}

#[pyfunction]
fn take_along_axis(
    py: Python<'_>,
    x: &RawArray,
    indices: &RawArray,
    axis: isize,
) -> PyResult<RawArray> {
    run_array(py, || x.0.take_along_axis(&indices.0, axis))
}

/// Advanced indexing: `entries` as for `getitem`, plus code 4 `(4, k, None, 1)` naming
/// `arrays[k]` (an integer or boolean index array).
#[pyfunction]
fn getitem_advanced(
    py: Python<'_>,
    x: &RawArray,
    entries: Vec<(i64, Option<i64>, Option<i64>, i64)>,
    index_arrays: Vec<Bound<'_, RawArray>>,
) -> PyResult<RawArray> {
    let index = entries
        .into_iter()
        .map(|e| match e {
            (ARRAY, Some(k), _, _) => usize::try_from(k)
                .ok()
                .and_then(|k| index_arrays.get(k))
                .map(|a| Index::Array(a.get().0.clone()))
                .ok_or_else(|| value_error(format!("index array entry {k} out of range"))),
            other => index_entry(other).map(Index::Basic),
        })
        .collect::<PyResult<Vec<_>>>()?;
    let x = x.0.clone();
    run(py, move || x.index(&index)).map(RawArray)
}

#[pyfunction]
fn nonzero(py: Python<'_>, x: &RawArray) -> PyResult<Vec<RawArray>> {
    let x = x.0.clone();
    run(py, move || x.nonzero()).map(|v| v.into_iter().map(RawArray).collect())
}

#[pyfunction]
fn sort(py: Python<'_>, x: &RawArray, axis: isize, descending: bool) -> PyResult<RawArray> {
    run_array(py, || x.0.sort(axis, descending))
}

#[pyfunction]
fn argsort(py: Python<'_>, x: &RawArray, axis: isize, descending: bool) -> PyResult<RawArray> {
    run_array(py, || x.0.argsort(axis, descending))
}

#[pyfunction]
#[pyo3(signature = (x1, x2, right, sorter=None))]
fn searchsorted(
    py: Python<'_>,
    x1: &RawArray,
    x2: &RawArray,
    right: bool,
    sorter: Option<&RawArray>,
) -> PyResult<RawArray> {
    let side = if right { Side::Right } else { Side::Left };
    run_array(py, || {
        kiln::searchsorted(&x1.0, &x2.0, side, sorter.map(|s| &s.0))
    })
}

/// `(values, indices, inverse_indices, counts)`.
#[pyfunction]
fn unique_all(py: Python<'_>, x: &RawArray) -> PyResult<(RawArray, RawArray, RawArray, RawArray)> {
    let x = x.0.clone();
    let u = run(py, move || x.unique_all())?;
    Ok((
        RawArray(u.values),
        RawArray(u.indices),
        RawArray(u.inverse_indices),
        RawArray(u.counts),
    ))
}

/// The distinct values only (a sort, no argsort).
#[pyfunction]
fn unique_values(py: Python<'_>, x: &RawArray) -> PyResult<RawArray> {
    let x = x.0.clone();
    Ok(RawArray(run(py, move || x.unique_values())?))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(concat, m)?)?;
    m.add_function(wrap_pyfunction!(stack, m)?)?;
    m.add_function(wrap_pyfunction!(roll, m)?)?;
    m.add_function(wrap_pyfunction!(take, m)?)?;
    m.add_function(wrap_pyfunction!(take_along_axis, m)?)?;
    m.add_function(wrap_pyfunction!(getitem_advanced, m)?)?;
    m.add_function(wrap_pyfunction!(nonzero, m)?)?;
    m.add_function(wrap_pyfunction!(sort, m)?)?;
    m.add_function(wrap_pyfunction!(argsort, m)?)?;
    m.add_function(wrap_pyfunction!(searchsorted, m)?)?;
    m.add_function(wrap_pyfunction!(unique_all, m)?)?;
    m.add_function(wrap_pyfunction!(unique_values, m)?)?;
    Ok(())
}
