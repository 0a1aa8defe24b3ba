//! Combining the partial accumulators of a reduction split across threads.
//!
//! Invariant: partials arrive in reduce-range order, so arg reductions keep the first extremum
//! (and the first NaN); float sums of partials are Neumaier-compensated in f64 (complex: per
//! part) and rounded once; max/min propagate NaN and order -0 below +0 like the kernels do.

use crate::abi::ACC_BYTES;
use crate::error::CpuError;
use kiln_ir::{C64, C128, DType, ReduceOp, Scalar};

pub type Record = [u64; ACC_BYTES / 8];

fn bytes(r: &Record) -> [u8; ACC_BYTES] {
    let mut out = [0u8; ACC_BYTES];
    for (chunk, w) in out.chunks_mut(8).zip(r) {
        chunk.copy_from_slice(&w.to_ne_bytes());
    }
    out
}

fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&b[..N]);
    a
}

/// The value and index stored in a record.
pub fn read_record(d: DType, r: &Record) -> (Scalar, i64) {
    let b = bytes(r);
    let value = match d {
        DType::Bool => Scalar::Bool(b[0] != 0),
        DType::I8 => Scalar::I8(b[0] as i8),
        DType::U8 => Scalar::U8(b[0]),
        DType::I16 => Scalar::I16(i16::from_ne_bytes(arr(&b))),
        DType::U16 => Scalar::U16(u16::from_ne_bytes(arr(&b))),
        DType::I32 => Scalar::I32(i32::from_ne_bytes(arr(&b))),
        DType::U32 => Scalar::U32(u32::from_ne_bytes(arr(&b))),
        DType::I64 => Scalar::I64(i64::from_ne_bytes(arr(&b))),
        DType::U64 => Scalar::U64(u64::from_ne_bytes(arr(&b))),
        DType::F32 => Scalar::F32(f32::from_ne_bytes(arr(&b))),
        DType::F64 => Scalar::F64(f64::from_ne_bytes(arr(&b))),
        DType::C64 => Scalar::C64(C64::new(
            f32::from_ne_bytes(arr(&b)),
            f32::from_ne_bytes(arr(&b[4..])),
        )),
        DType::C128 => Scalar::C128(C128::new(
            f64::from_ne_bytes(arr(&b)),
            f64::from_ne_bytes(arr(&b[8..])),
        )),
    };
    (value, i64::from_ne_bytes(arr(&b[16..])))
}

/// A record holding a value and an index.
pub fn write_record(value: Scalar, index: i64) -> Record {
    let mut b = [0u8; ACC_BYTES];
    match value {
        Scalar::Bool(v) => b[0] = v as u8,
        Scalar::I8(v) => b[0] = v as u8,
        Scalar::U8(v) => b[0] = v,
        Scalar::I16(v) => b[..2].copy_from_slice(&v.to_ne_bytes()),
        Scalar::U16(v) => b[..2].copy_from_slice(&v.to_ne_bytes()),
        Scalar::I32(v) => b[..4].copy_from_slice(&v.to_ne_bytes()),
        Scalar::U32(v) => b[..4].copy_from_slice(&v.to_ne_bytes()),
        Scalar::I64(v) => b[..8].copy_from_slice(&v.to_ne_bytes()),
        Scalar::U64(v) => b[..8].copy_from_slice(&v.to_ne_bytes()),
        Scalar::F32(v) => b[..4].copy_from_slice(&v.to_ne_bytes()),
        Scalar::F64(v) => b[..8].copy_from_slice(&v.to_ne_bytes()),
        Scalar::C64(c) => {
            b[..4].copy_from_slice(&c.re.to_ne_bytes());
            b[4..8].copy_from_slice(&c.im.to_ne_bytes());
        }
        Scalar::C128(c) => {
            b[..8].copy_from_slice(&c.re.to_ne_bytes());
            b[8..16].copy_from_slice(&c.im.to_ne_bytes());
        }
    }
    b[16..].copy_from_slice(&index.to_ne_bytes());
    let mut r = [0u64; ACC_BYTES / 8];
    for (w, chunk) in r.iter_mut().zip(b.chunks(8)) {
        *w = u64::from_ne_bytes(arr(chunk));
    }
    r
}

/// Neumaier-compensated sum.
fn neumaier(xs: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for x in xs {
        let t = s + x;
        c += if s.abs() >= x.abs() {
            (s - t) + x
        } else {
            (x - t) + s
        };
        s = t;
    }
    if s.is_finite() { s + c } else { s }
}

/// Integer value widened for ordering (u64 stays non-negative).
fn ordinal(s: Scalar) -> i128 {
    match s {
        Scalar::U64(v) => v as i128,
        other => other.to_i64() as i128,
    }
}

fn fmax(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == b {
        if a.is_sign_positive() { a } else { b }
    } else {
        a.max(b)
    }
}

fn fmin(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == b {
        if a.is_sign_negative() { a } else { b }
    } else {
        a.min(b)
    }
}

/// Combines per-chunk records (in reduce order) into one record.
pub fn combine_partials(op: ReduceOp, d: DType, parts: &[Record]) -> Result<Record, CpuError> {
    let vals: Vec<(Scalar, i64)> = parts.iter().map(|r| read_record(d, r)).collect();
    let float = d.is_real_float();
    let value = match op {
        ReduceOp::Sum if d.is_complex() => {
            let re = neumaier(vals.iter().map(|(v, _)| v.to_c128().re));
            let im = neumaier(vals.iter().map(|(v, _)| v.to_c128().im));
            Scalar::C128(C128::new(re, im)).cast(d)
        }
        ReduceOp::Sum if float => {
            Scalar::from_f64(neumaier(vals.iter().map(|(v, _)| v.to_f64())), d)
        }
        ReduceOp::Sum => Scalar::from_i64(
            vals.iter()
                .fold(0i64, |a, (v, _)| a.wrapping_add(v.to_i64())),
            d,
        ),
        ReduceOp::Prod if d.is_complex() => {
            let p = vals
                .iter()
                .fold(C128::new(1.0, 0.0), |a, (v, _)| a * v.to_c128());
            Scalar::C128(p).cast(d)
        }
        ReduceOp::Prod if float => {
            Scalar::from_f64(vals.iter().fold(1.0, |a, (v, _)| a * v.to_f64()), d)
        }
        ReduceOp::Prod => Scalar::from_i64(
            vals.iter()
                .fold(1i64, |a, (v, _)| a.wrapping_mul(v.to_i64())),
            d,
        ),
        ReduceOp::Max | ReduceOp::Min if float => {
            let f = if op == ReduceOp::Max { fmax } else { fmin };
            let init = if op == ReduceOp::Max {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            };
            Scalar::from_f64(vals.iter().fold(init, |a, (v, _)| f(a, v.to_f64())), d)
        }
        ReduceOp::Max | ReduceOp::Min => {
            let mut best: Option<Scalar> = None;
            for (v, _) in &vals {
                best = Some(match best {
                    None => *v,
                    Some(b) => {
                        let take = if op == ReduceOp::Max {
                            ordinal(*v) > ordinal(b)
                        } else {
                            ordinal(*v) < ordinal(b)
                        };
                        if take { *v } else { b }
                    }
                });
            }
            best.ok_or_else(|| CpuError::Internal("max/min of no partials".into()))?
        }
        ReduceOp::Any => Scalar::Bool(vals.iter().any(|(v, _)| *v == Scalar::Bool(true))),
        ReduceOp::All => Scalar::Bool(vals.iter().all(|(v, _)| *v == Scalar::Bool(true))),
        ReduceOp::ArgMax | ReduceOp::ArgMin => {
            let max = op == ReduceOp::ArgMax;
            let mut best: Option<(Scalar, i64)> = None;
            for &(v, i) in vals.iter().filter(|(_, i)| *i >= 0) {
                best = Some(match best {
                    None => (v, i),
                    Some((b, bi)) => {
                        let better = if float {
                            let (x, y) = (v.to_f64(), b.to_f64());
                            (x.is_nan() && !y.is_nan()) || if max { x > y } else { x < y }
                        } else if max {
                            ordinal(v) > ordinal(b)
                        } else {
                            ordinal(v) < ordinal(b)
                        };
                        if better { (v, i) } else { (b, bi) }
                    }
                });
            }
            let (v, i) = best.unwrap_or((Scalar::zero(d), -1));
            return Ok(write_record(v, i));
        }
    };
    Ok(write_record(value, -1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        for v in [
            Scalar::F32(1.5),
            Scalar::I16(-3),
            Scalar::C128(C128::new(1.0, -2.0)),
            Scalar::Bool(true),
        ] {
            assert_eq!(read_record(v.dtype(), &write_record(v, 7)), (v, 7));
        }
    }

    #[test]
    fn arg_combination_keeps_first_extremum_and_first_nan() {
        let parts = [
            write_record(Scalar::F64(3.0), 1),
            write_record(Scalar::F64(3.0), 10),
            write_record(Scalar::F64(f64::NAN), 20),
            write_record(Scalar::F64(f64::NAN), 30),
        ];
        let r = combine_partials(ReduceOp::ArgMax, DType::F64, &parts[..2]).unwrap();
        assert_eq!(read_record(DType::F64, &r).1, 1);
        let r = combine_partials(ReduceOp::ArgMin, DType::F64, &parts).unwrap();
        assert_eq!(read_record(DType::F64, &r).1, 20);
    }

    #[test]
    fn max_propagates_nan_and_orders_zeros() {
        let parts = [
            write_record(Scalar::F32(-0.0), -1),
            write_record(Scalar::F32(0.0), -1),
        ];
        let r = combine_partials(ReduceOp::Max, DType::F32, &parts).unwrap();
        assert!(read_record(DType::F32, &r).0 == Scalar::F32(0.0));
        let parts = [
            write_record(Scalar::F32(1.0), -1),
            write_record(Scalar::F32(f32::NAN), -1),
        ];
        let r = combine_partials(ReduceOp::Min, DType::F32, &parts).unwrap();
        assert!(read_record(DType::F32, &r).0.to_f64().is_nan());
    }
}
