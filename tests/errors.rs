//! Every bad input returns a typed error of the kind a NumPy / Array API user expects, at the
//! call that caused it; nothing panics and no array is changed.

use kiln::{Array, DType, Idx, PythonKind};

fn kind<T: std::fmt::Debug>(r: kiln::Result<T>) -> PythonKind {
    match r {
        Err(e) => {
            assert!(!e.to_string().is_empty());
            e.python_kind()
        }
        Ok(v) => panic!("expected an error, got {v:?}"),
    }
}

fn arr(shape: &[usize]) -> Array {
    let n = shape.iter().product();
    Array::from_vec(vec![1.0f32; n], shape).unwrap()
}

#[test]
fn shape_errors_are_value_errors_at_the_call() {
    assert_eq!(kind(&arr(&[3]) + &arr(&[4])), PythonKind::ValueError);
    assert_eq!(kind(arr(&[2, 3]).reshape(&[4, 2])), PythonKind::ValueError);
    assert_eq!(
        kind(arr(&[2, 3]).reshape(&[-1, -1])),
        PythonKind::ValueError
    );
    assert_eq!(
        kind(arr(&[2, 3]).broadcast_to(&[3, 3])),
        PythonKind::ValueError
    );
    assert_eq!(
        kind(kiln::matmul(&arr(&[2, 3]), &arr(&[2, 3]))),
        PythonKind::ValueError
    );
    assert_eq!(kind(arr(&[2, 3]).squeeze(&[0])), PythonKind::ValueError);
    assert_eq!(
        kind(Array::from_vec(vec![1.0f32; 5], &[2, 3])),
        PythonKind::ValueError
    );
    assert_eq!(kind(arr(&[0]).max(None, false)), PythonKind::ValueError);
    assert_eq!(kind(arr(&[0]).argmax(None, false)), PythonKind::ValueError);
    assert_eq!(
        kind(kiln::arange(0i64, Some(5i64.into()), 0i64, None)),
        PythonKind::ValueError
    );
    assert_eq!(
        kind(arr(&[3]).slice(&[Idx::Range {
            start: None,
            stop: None,
            step: 0
        }])),
        PythonKind::ValueError
    );
}

#[test]
fn axis_and_index_errors_are_index_errors() {
    assert_eq!(
        kind(arr(&[2, 3]).sum(Some(&[2]), false, None)),
        PythonKind::IndexError
    );
    assert_eq!(
        kind(arr(&[2, 3]).sum(Some(&[-3]), false, None)),
        PythonKind::IndexError
    );
    assert_eq!(
        kind(arr(&[2, 3]).slice(&[Idx::Index(2)])),
        PythonKind::IndexError
    );
    assert_eq!(
        kind(arr(&[2, 3]).slice(&[Idx::Index(-3)])),
        PythonKind::IndexError
    );
    assert_eq!(
        kind(arr(&[2]).slice(&[Idx::Index(0), Idx::Index(0)])),
        PythonKind::IndexError
    );
    assert_eq!(
        kind(arr(&[2]).slice(&[Idx::Ellipsis, Idx::Ellipsis])),
        PythonKind::IndexError
    );
    assert_eq!(
        kind(arr(&[2, 3]).permute_dims(&[0, 0])),
        PythonKind::ValueError
    );
}

#[test]
fn dtype_errors_are_type_errors() {
    let b = Array::from_vec(vec![true, false], &[2]).unwrap();
    let f = arr(&[2]);
    let i = Array::from_vec(vec![1i32, 2], &[2]).unwrap();
    assert_eq!(kind(kiln::logical_and(&f, &f)), PythonKind::TypeError);
    assert_eq!(kind(kiln::bitwise_and(&f, &f)), PythonKind::TypeError);
    assert_eq!(
        kind(kiln::bitwise_left_shift(&f, &f)),
        PythonKind::TypeError
    );
    assert_eq!(kind(kiln::negative(&b)), PythonKind::TypeError);
    assert_eq!(kind(kiln::sin(&b)), PythonKind::TypeError);
    assert_eq!(kind(kiln::where_(&f, &f, &f)), PythonKind::TypeError);
    assert_eq!(
        kind(
            b.sum(None, false, Some(DType::Bool))
                .and_then(|s| s.eval().map(|_| ()))
        ),
        PythonKind::TypeError
    );
    assert_eq!(kind(f.to_vec::<f64>()), PythonKind::TypeError);
    assert_eq!(kind(i.to_vec::<i64>()), PythonKind::TypeError);
    assert_eq!(
        kind(kiln::less(
            kiln::full(
                &[1],
                kiln::ScalarArg::Complex(kiln::C128::new(1.0, 1.0)),
                None
            )
            .unwrap(),
            1.0
        )),
        PythonKind::TypeError
    );
}

#[test]
fn out_of_range_scalars_and_conversions() {
    let u = Array::from_vec(vec![1u8, 2], &[2]).unwrap();
    assert_eq!(kind(&u + 300), PythonKind::ValueError);
    assert_eq!(kind(&u + -1), PythonKind::ValueError);
    assert_eq!(kind(arr(&[2]).item()), PythonKind::ValueError);
    assert_eq!(
        kind(Array::from_vec(vec![0u8; 1], &[usize::MAX, 2])),
        PythonKind::ValueError
    );
}

#[test]
fn a_failed_call_leaves_operands_untouched() {
    let a = arr(&[3]);
    let b = arr(&[4]);
    let _ = &a + &b;
    assert_eq!(a.to_vec::<f32>().unwrap(), vec![1.0; 3]);
    assert_eq!(b.to_vec::<f32>().unwrap(), vec![1.0; 4]);
}

#[test]
fn shapes_whose_size_overflows_fail_at_the_call() {
    assert_eq!(
        kind(kiln::ones(&[1 << 40, 1 << 40], DType::F32)),
        PythonKind::MemoryError
    );
    let x = arr(&[4]);
    assert_eq!(
        kind(x.broadcast_to(&[1 << 40, 1 << 40, 4])),
        PythonKind::MemoryError
    );
    assert_eq!(
        kind(kiln::eye(1 << 40, Some(1 << 40), 0, DType::F64)),
        PythonKind::MemoryError
    );
}

#[test]
fn huge_allocations_are_memory_errors_not_aborts() {
    let big = kiln::zeros(&[1 << 40, 1 << 22], DType::F64).and_then(|z| z.eval().map(|_| ()));
    match big {
        Err(e) => assert_eq!(e.python_kind(), PythonKind::MemoryError, "{e}"),
        Ok(()) => panic!("allocated 2^62 elements"),
    }
}
