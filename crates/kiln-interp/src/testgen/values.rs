//! Random scalars, shapes and realized arrays (contiguous or strided views of a larger storage).
//!
//! Invariant: every generated `Realized` has a view that fits its storage; float values mix
//! ordinary numbers with NaN, ±inf, ±0.0, subnormals, tiny and huge values; integers cover the
//! full range including MIN and MAX.

use super::GenConfig;
use kiln_ir::{C64, C128, DType, Realized, Scalar, Shape, Storage, View};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use std::sync::Arc;

/// Float values every backend gets wrong first.
pub(crate) const SPECIAL_F64: [f64; 18] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    1.5,
    2.5,
    -2.5,
    1e-300,
    5e-324,
    f64::MIN_POSITIVE,
    f64::MAX,
    -1e300,
    1e30,
];

pub(crate) const SPECIAL_F32: [f32; 18] = [
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    1.5,
    2.5,
    -2.5,
    1e-38,
    1e-45,
    f32::MIN_POSITIVE,
    f32::MAX,
    -1e30,
    1e20,
];

fn arb_f32() -> BoxedStrategy<f32> {
    prop_oneof![
        4 => -10.0f32..10.0,
        2 => select(SPECIAL_F32.to_vec()),
        1 => any::<u32>().prop_map(f32::from_bits),
    ]
    .boxed()
}

fn arb_f64() -> BoxedStrategy<f64> {
    prop_oneof![
        4 => -10.0f64..10.0,
        2 => select(SPECIAL_F64.to_vec()),
        1 => any::<u64>().prop_map(f64::from_bits),
    ]
    .boxed()
}

macro_rules! int_strategy {
    ($t:ty, $variant:ident, $small:expr) => {
        prop_oneof![
            3 => $small.prop_map(Scalar::$variant),
            2 => any::<$t>().prop_map(Scalar::$variant),
            1 => select(vec![<$t>::MIN, <$t>::MAX, 0, 1, <$t>::MAX - 1, <$t>::MIN + 1])
                .prop_map(Scalar::$variant),
        ]
        .boxed()
    };
}

/// A random scalar of `dtype` (special values included).
pub fn arb_scalar(dtype: DType) -> BoxedStrategy<Scalar> {
    match dtype {
        DType::Bool => any::<bool>().prop_map(Scalar::Bool).boxed(),
        DType::I8 => int_strategy!(i8, I8, -8i8..8),
        DType::I16 => int_strategy!(i16, I16, -8i16..8),
        DType::I32 => int_strategy!(i32, I32, -8i32..8),
        DType::I64 => int_strategy!(i64, I64, -8i64..8),
        DType::U8 => int_strategy!(u8, U8, 0u8..8),
        DType::U16 => int_strategy!(u16, U16, 0u16..8),
        DType::U32 => int_strategy!(u32, U32, 0u32..8),
        DType::U64 => int_strategy!(u64, U64, 0u64..8),
        DType::F32 => arb_f32().prop_map(Scalar::F32).boxed(),
        DType::F64 => arb_f64().prop_map(Scalar::F64).boxed(),
        DType::C64 => (arb_f32(), arb_f32())
            .prop_map(|(re, im)| Scalar::C64(C64::new(re, im)))
            .boxed(),
        DType::C128 => (arb_f64(), arb_f64())
            .prop_map(|(re, im)| Scalar::C128(C128::new(re, im)))
            .boxed(),
    }
}

/// An extent in `0..=max_dim`, biased towards 1 and away from 0.
pub(crate) fn dim_from_byte(r: u8, max_dim: usize) -> usize {
    match r {
        0..=12 => 0,
        13..=76 => 1.min(max_dim),
        _ if max_dim < 2 => max_dim,
        _ => 2 + r as usize % (max_dim - 1),
    }
}

/// A random shape of rank `0..=max_rank` with extents in `0..=max_dim` (0 and 1 included).
pub fn arb_shape(cfg: &GenConfig) -> BoxedStrategy<Shape> {
    let max_dim = cfg.max_dim;
    vec(any::<u8>(), 0..=cfg.max_rank)
        .prop_map(move |bytes| {
            Shape(
                bytes
                    .into_iter()
                    .map(|b| dim_from_byte(b, max_dim))
                    .collect(),
            )
        })
        .boxed()
}

/// Where an array's elements sit in a storage of `storage_len` elements.
#[derive(Clone, Debug)]
struct Layout {
    storage_len: usize,
    view: View,
}

/// A strided layout: axes stored in order `perm`, each with a gap (stride multiplier), maybe
/// flipped (negative stride) or broadcast (stride 0), after `pad` unused leading elements.
fn strided_layout(
    shape: &Shape,
    perm: &[usize],
    gaps: &[usize],
    flips: &[bool],
    zeros: &[bool],
    pad: usize,
) -> Layout {
    let dims = shape.dims();
    let rank = dims.len();
    let extent = |i: usize| {
        if zeros[i] {
            dims[i].min(1)
        } else {
            dims[i] * gaps[i]
        }
    };
    // Storage strides, axes laid out outermost-first in `perm` order.
    let mut storage_stride = vec![0usize; rank];
    let mut acc = 1usize;
    for &axis in perm.iter().rev() {
        storage_stride[axis] = acc;
        acc *= extent(axis).max(1);
    }
    let body: usize = (0..rank).map(extent).product();
    let mut offset = pad;
    let mut strides = Vec::with_capacity(rank);
    for i in 0..rank {
        if zeros[i] {
            strides.push(0);
            continue;
        }
        let s = (gaps[i] * storage_stride[i]) as isize;
        if flips[i] && dims[i] > 0 {
            offset += (dims[i] - 1) * s as usize;
            strides.push(-s);
        } else {
            strides.push(s);
        }
    }
    Layout {
        storage_len: pad + body + pad / 2,
        view: View {
            shape: shape.clone(),
            strides,
            offset,
        },
    }
}

fn arb_layout(shape: Shape) -> BoxedStrategy<Layout> {
    let rank = shape.rank();
    let contiguous = Layout {
        storage_len: shape.numel(),
        view: View::contiguous(shape.clone()),
    };
    let strided = (
        Just((0..rank).collect::<Vec<usize>>()).prop_shuffle(),
        vec(1usize..=2, rank),
        vec(any::<bool>(), rank),
        vec(proptest::bool::weighted(0.15), rank),
        0usize..4,
    )
        .prop_map(move |(perm, gaps, flips, zeros, pad)| {
            strided_layout(&shape, &perm, &gaps, &flips, &zeros, pad)
        });
    prop_oneof![1 => Just(contiguous), 1 => strided].boxed()
}

fn realized_from(dtype: DType, layout: &Layout, values: &[Scalar]) -> Realized {
    let build = || -> Result<Realized, kiln_ir::IrError> {
        let mut storage = Storage::zeroed(dtype, layout.storage_len)?;
        for (i, v) in values.iter().enumerate() {
            storage.set(i, *v)?;
        }
        Realized::with_view(Arc::new(storage), layout.view.clone())
    };
    // The layouts above always fit their storage and test arrays are tiny, so `build` cannot
    // fail; zeros of the right shape keep the strategy total if it ever did.
    build().unwrap_or_else(|_| {
        let zeros = vec![Scalar::zero(dtype); layout.view.shape.numel()];
        Realized::from_scalars(dtype, layout.view.shape.clone(), &zeros)
            .unwrap_or_else(|e| unreachable!("a test-sized array always allocates: {e}"))
    })
}

/// A random realized array of `dtype` and `shape`: half the time contiguous, otherwise a strided
/// view (permuted axis order, gaps, negative and zero strides, an offset) of a larger storage.
pub fn arb_realized(dtype: DType, shape: Shape) -> impl Strategy<Value = Realized> {
    arb_layout(shape).prop_flat_map(move |layout| {
        vec(arb_scalar(dtype), layout.storage_len)
            .prop_map(move |values| realized_from(dtype, &layout, &values))
    })
}
