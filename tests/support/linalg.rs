//! Helpers shared by the linalg test files (`linalg_ext.rs`, `linalg_eig.rs`): the float
//! dtypes, a deterministic random stream, complex values in and out of arrays, the reference
//! interpreter's result, machine epsilon per dtype, and the Python kind of an expected error.
#![allow(dead_code)]

use kiln::{Array, C128, DType, PythonKind};

pub const FLOATS: [DType; 4] = [DType::F32, DType::F64, DType::C64, DType::C128];

/// A deterministic pseudo-random stream in [-1, 1).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
}

/// An array of `dtype` and `shape` from complex values (real dtypes keep the real part).
pub fn array(values: &[C128], shape: &[usize], dtype: DType) -> Array {
    let a = Array::from_vec(values.to_vec(), shape).unwrap();
    if dtype.is_complex() {
        a.astype(dtype).unwrap()
    } else {
        kiln::real(&a).unwrap().astype(dtype).unwrap()
    }
}

/// The values of `a` as complex128, row-major.
pub fn values(a: &Array) -> Vec<C128> {
    a.astype(DType::C128).unwrap().to_vec::<C128>().unwrap()
}

/// The reference interpreter's values of `a`.
pub fn reference(a: &Array) -> Vec<C128> {
    let r = kiln::reference(&[a]).unwrap().remove(0);
    values(&Array::from_data(r))
}

/// Machine epsilon of `dtype`'s real part.
pub fn eps(dtype: DType) -> f64 {
    if dtype.real_part() == DType::F32 {
        f32::EPSILON as f64
    } else {
        f64::EPSILON
    }
}

/// The Python exception kind of an expected error (its message must not be empty).
pub fn kind<T: std::fmt::Debug>(r: kiln::Result<T>) -> PythonKind {
    match r {
        Err(e) => {
            assert!(!e.to_string().is_empty());
            e.python_kind()
        }
        Ok(v) => panic!("expected an error, got {v:?}"),
    }
}
