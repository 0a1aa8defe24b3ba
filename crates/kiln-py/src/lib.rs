//! `kiln._kiln`: the PyO3 extension behind the Python package `kiln` (python/kiln/).
//!
//! Invariant: bindings are thin. Each Python-callable function converts its arguments and makes
//! one facade call through `error::run` (evaluation: GIL released) or `error::run_array` (graph
//! building: GIL kept), both with panics caught and errors mapped to the exception
//! `KilnError::python_kind` names. The one exception is `dlpack`, which implements the DLPack C
//! protocol (capsules, deleters) itself and keeps its own invariant. Signatures, defaults,
//! argument normalisation and docstrings of the Array API namespace live in Python, as polars
//! does.

mod array;
mod convert;
mod creation;
mod device;
mod dlpack;
mod elementwise;
mod error;
mod fft;
mod gather;
mod linalg_ext;
mod manipulation;
mod pipeline;
mod reduction;

use pyo3::prelude::*;

#[pymodule]
fn _kiln(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<array::RawArray>()?;
    elementwise::register(m)?;
    manipulation::register(m)?;
    gather::register(m)?;
    linalg_ext::register(m)?;
    reduction::register(m)?;
    creation::register(m)?;
    device::register(m)?;
    pipeline::register(m)?;
    dlpack::register(m)?;
    fft::register(m)?;
    Ok(())
}
