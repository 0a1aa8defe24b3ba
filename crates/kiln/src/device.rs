//! Devices an array can live on, and moving arrays between them.
//!
//! Invariants: an operation's operands share one device (arrays with data on two devices are a
//! ValueError naming both; a generated array, a constant or `arange` not yet evaluated, holds no
//! data and takes the device of the arrays it meets); the CPU is always available; a CUDA device
//! is only handed out by `Device::cuda` or `to_device`, which check that the driver and the
//! device exist and otherwise return `KilnError::Cuda(NoDevice)` (never a panic, even without
//! libcuda). Data moves between devices only in `to_device`.
//!
//! An array on a CUDA device is computed there (kernels through `kiln_cuda::CudaRuntime`), and
//! its realized data stays in that device's memory between evaluations (`NodeState::Resident`,
//! see `cuda_exec`); it is copied to the host only when the host needs its values.

use crate::error::{Result, invalid};
use crate::graph::{Array, NodeState};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Device {
    #[default]
    Cpu,
    /// CUDA device with this ordinal (kernels generated as CUDA C, compiled by NVRTC, run by
    /// `kiln_cuda::CudaRuntime`).
    Cuda(usize),
}

impl Device {
    /// CUDA device `ordinal`, if this machine has one: a typed "no CUDA device available" error
    /// otherwise (missing driver library, failed initialisation, or too few devices).
    pub fn cuda(ordinal: usize) -> Result<Device> {
        kiln_cuda::discover(ordinal)?;
        Ok(Device::Cuda(ordinal))
    }
}

impl std::str::FromStr for Device {
    type Err = crate::KilnError;

    /// `"cpu"`, `"cuda"` (device 0) or `"cuda:N"`; anything else is an invalid argument. Says
    /// nothing about whether the device exists (`Device::cuda` does).
    fn from_str(name: &str) -> Result<Device> {
        let name = name.trim();
        match name {
            "cpu" => Ok(Device::Cpu),
            "cuda" => Ok(Device::Cuda(0)),
            _ => name
                .strip_prefix("cuda:")
                .and_then(|n| n.parse::<usize>().ok())
                .map(Device::Cuda)
                .ok_or_else(|| {
                    invalid(format!(
                        "unknown device {name:?}: kiln places arrays on \"cpu\" or \"cuda:N\""
                    ))
                }),
        }
    }
}

/// The number of CUDA devices this machine has (0 when the driver is missing or fails).
pub fn cuda_device_count() -> usize {
    kiln_cuda::device_count().unwrap_or(0)
}

/// The device of a node over `inputs`: the one device of those that hold data (generated arrays
/// follow it), the CPU when none does; an error when two differ.
pub(crate) fn common_device(inputs: &[Array]) -> Result<Device> {
    let mut found: Option<Device> = None;
    let mut generated: Option<Device> = None;
    for a in inputs {
        if a.is_generated() {
            generated.get_or_insert(a.device());
            continue;
        }
        match found {
            None => found = Some(a.device()),
            Some(d) if d != a.device() => {
                return Err(invalid(format!(
                    "operands live on different devices ({d} and {}); move them with to_device",
                    a.device()
                )));
            }
            Some(_) => {}
        }
    }
    Ok(found.or(generated).unwrap_or_default())
}

impl Array {
    /// This array on `device`: the same array when it is already there; otherwise it is
    /// evaluated on its own device and its data placed on `device` (a generated array is
    /// re-made there, never evaluated). A CUDA device that is missing is a typed error and
    /// leaves `self` as it was.
    pub fn to_device(&self, device: Device) -> Result<Array> {
        if device == self.device() {
            return Ok(self.clone());
        }
        if let Device::Cuda(n) = device {
            Device::cuda(n)?;
        }
        if let Some((op, inputs)) = self.pending_op()
            && inputs.is_empty()
        {
            let state = NodeState::Pending { op, inputs };
            return Ok(Array::new_cell(
                self.dtype(),
                self.shape_ref().clone(),
                device,
                state,
            ));
        }
        self.evaluated_on(device)
    }

    /// Values computed on the host from another array's data (`nonzero` coordinates, `unique`
    /// indices) as an array on that array's `device`, so that they meet it without a device
    /// mismatch.
    pub(crate) fn from_vec_on<T: kiln_ir::Element>(
        data: Vec<T>,
        shape: &[usize],
        device: Device,
    ) -> Result<Array> {
        Array::from_vec(data, shape)?.to_device(device)
    }

    /// The device memory holding this array's values when it lives on a CUDA device
    /// (evaluating it first), `None` on the CPU: what DLPack hands to another CUDA library.
    pub fn device_data(&self) -> Result<Option<kiln_cuda::Resident>> {
        if self.device() == Device::Cpu {
            return Ok(None);
        }
        crate::pipeline::eval(&[self])?;
        Ok(self.resident())
    }

    /// An array over memory of CUDA device `ordinal` that another library owns (a DLPack
    /// `kDLCUDA` import): `len` elements of `dtype` from device address `address`, seen through
    /// `view`, read in place and never written; `owner` (the producer's deleter) is dropped
    /// when the last array over the memory is gone. The driver must know the address as memory
    /// of that device (else a `Cuda` error).
    ///
    /// # Safety
    /// The memory must stay allocated and unwritten while `owner` lives, and writes enqueued on
    /// it before this call must be visible to work enqueued on kiln's stream afterwards (the
    /// DLPack stream handshake: the producer synchronises with the stream kiln names).
    pub unsafe fn from_cuda_memory(
        ordinal: usize,
        address: u64,
        dtype: kiln_ir::DType,
        len: usize,
        view: kiln_ir::View,
        owner: Box<dyn std::any::Any + Send + Sync>,
    ) -> Result<Array> {
        if !view.fits(len) {
            return Err(invalid(format!(
                "a view of shape {} does not fit {len} elements of device memory",
                view.shape
            )));
        }
        // SAFETY: the caller's guarantees are `foreign`'s.
        let memory = unsafe { crate::cuda_exec::foreign(ordinal, address, dtype, len, owner) }?;
        let shape = view.shape.clone();
        let state = NodeState::Resident(kiln_cuda::Resident { memory, view });
        Ok(Array::new_cell(dtype, shape, Device::Cuda(ordinal), state))
    }

    /// This array's value (evaluated on its own device, another than `device`) as a realized
    /// leaf on `device`: host data on the CPU, device memory on a CUDA device (copied through
    /// the host).
    pub(crate) fn evaluated_on(&self, device: Device) -> Result<Array> {
        crate::pipeline::eval(&[self])?;
        let host = self
            .host_data()?
            .ok_or_else(|| invalid("to_device: the array was not realized by its evaluation"))?;
        let state = match device {
            Device::Cpu => NodeState::Realized(host),
            Device::Cuda(n) => NodeState::Resident(crate::cuda_exec::upload(n, &host)?),
        };
        Ok(Array::new_cell(
            self.dtype(),
            self.shape_ref().clone(),
            device,
            state,
        ))
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KilnError;
    use kiln_ir::{DType, PythonKind};
    use std::sync::Arc;

    #[test]
    fn asking_for_a_missing_cuda_device_is_a_typed_error() {
        // No machine has this many devices; with no driver at all the error says so too.
        match Device::cuda(usize::MAX) {
            Err(KilnError::Cuda(kiln_cuda::CudaError::NoDevice(msg))) => assert!(!msg.is_empty()),
            other => panic!("expected NoDevice, got {other:?}"),
        }
        let zero = Device::cuda(0);
        if !kiln_cuda::driver_available() {
            let err = zero.expect_err("no driver, so no device");
            assert!(
                err.to_string().contains("no CUDA device available"),
                "{err}"
            );
            assert_eq!(err.python_kind(), kiln_ir::PythonKind::RuntimeError);
        } else if let Ok(d) = zero {
            assert_eq!(d, Device::Cuda(0));
            assert_eq!(d.to_string(), "cuda:0");
        }
    }

    /// Device memory emulated in host memory: what these tests put on a CUDA device that the
    /// machine lacks. Counts its reads; `fail` makes them fail.
    #[derive(Debug)]
    struct HostMemory {
        values: Vec<kiln_ir::Scalar>,
        dtype: DType,
        ordinal: usize,
        reads: std::sync::atomic::AtomicUsize,
        fail: std::sync::atomic::AtomicBool,
    }

    impl kiln_cuda::DeviceMemory for HostMemory {
        fn ordinal(&self) -> usize {
            self.ordinal
        }
        fn dtype(&self) -> DType {
            self.dtype
        }
        fn len(&self) -> usize {
            self.values.len()
        }
        fn to_host(&self) -> std::result::Result<kiln_ir::Storage, kiln_cuda::CudaError> {
            use std::sync::atomic::Ordering::Relaxed;
            if self.fail.load(Relaxed) {
                return Err(kiln_cuda::CudaError::Call(
                    "copy to host: device lost".into(),
                ));
            }
            self.reads.fetch_add(1, Relaxed);
            let call = |e: kiln_ir::IrError| kiln_cuda::CudaError::Call(e.to_string());
            let mut s = kiln_ir::Storage::zeroed(self.dtype, self.values.len()).map_err(call)?;
            for (i, v) in self.values.iter().enumerate() {
                s.set(i, *v).map_err(call)?;
            }
            Ok(s)
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
        fn into_any(self: Arc<Self>) -> Arc<dyn std::any::Any + Send + Sync> {
            self
        }
    }

    /// `a`'s value as an array resident on CUDA device `n` (in emulated memory), and that
    /// memory: these tests build arrays on a CUDA device on a machine that has none.
    fn resident_on(a: &Array, n: usize) -> Result<(Array, Arc<HostMemory>)> {
        let host = a.data()?;
        let storage = &host.storage;
        let memory = Arc::new(HostMemory {
            values: (0..storage.len()).filter_map(|i| storage.get(i)).collect(),
            dtype: a.dtype(),
            ordinal: n,
            reads: Default::default(),
            fail: Default::default(),
        });
        let state = NodeState::Resident(kiln_cuda::Resident {
            memory: memory.clone(),
            view: host.view.clone(),
        });
        let placed = Array::new_cell(a.dtype(), a.shape_ref().clone(), Device::Cuda(n), state);
        Ok((placed, memory))
    }

    fn placed(a: &Array, device: Device) -> Result<Array> {
        match device {
            Device::Cpu => a.evaluated_on(device),
            Device::Cuda(n) => Ok(resident_on(a, n)?.0),
        }
    }

    fn cuda_missing() -> bool {
        Device::cuda(0).is_err()
    }

    #[test]
    fn device_names_parse_and_print_back() -> Result<()> {
        for (name, d) in [
            ("cpu", Device::Cpu),
            ("cuda:0", Device::Cuda(0)),
            ("cuda:3", Device::Cuda(3)),
        ] {
            assert_eq!(name.parse::<Device>()?, d);
            assert_eq!(d.to_string(), name);
        }
        assert_eq!("cuda".parse::<Device>()?, Device::Cuda(0));
        for bad in ["gpu", "cuda:", "cuda:-1", "cuda:x", "CPU", ""] {
            match bad.parse::<Device>() {
                Err(e) => assert_eq!(e.python_kind(), PythonKind::ValueError, "{bad}: {e}"),
                Ok(d) => return Err(invalid(format!("{bad:?} parsed as {d}"))),
            }
        }
        Ok(())
    }

    #[test]
    fn moving_to_the_same_device_is_the_same_array() -> Result<()> {
        let x = (&Array::from_vec(vec![1.0f32, 2.0], &[2])? + 1.0)?;
        let y = x.to_device(Device::Cpu)?;
        assert!(Arc::ptr_eq(&x.0, &y.0));
        assert!(!y.is_realized(), "no evaluation for a move to where it is");
        Ok(())
    }

    #[test]
    fn moving_to_a_missing_cuda_device_fails_and_keeps_the_array() -> Result<()> {
        if !cuda_missing() {
            return Ok(());
        }
        let x = (&Array::from_vec(vec![1.0f32, 2.0], &[2])? + 1.0)?;
        match x.to_device(Device::Cuda(0)) {
            Err(KilnError::Cuda(kiln_cuda::CudaError::NoDevice(_))) => {}
            other => return Err(invalid(format!("expected NoDevice, got {other:?}"))),
        }
        assert!(!x.is_realized(), "a refused move evaluates nothing");
        assert_eq!(x.to_vec::<f32>()?, vec![2.0, 3.0]);
        Ok(())
    }

    #[test]
    fn data_on_two_devices_never_meets_in_one_operation() -> Result<()> {
        let x = Array::from_vec(vec![1.0f32, 2.0], &[2])?;
        let y = placed(&Array::from_vec(vec![3.0f32, 4.0], &[2])?, Device::Cuda(0))?;
        for (what, r) in [
            ("add", &x + &y),
            ("where", crate::where_(&crate::greater(&x, &x)?, &x, &y)),
        ] {
            match r {
                Err(e) => {
                    assert_eq!(e.python_kind(), PythonKind::ValueError, "{what}: {e}");
                    let text = e.to_string();
                    assert!(text.contains("cpu") && text.contains("cuda:0"), "{text}");
                }
                Ok(a) => return Err(invalid(format!("{what} mixed devices: {a:?}"))),
            }
        }
        match crate::concat(&[x.clone(), y.clone()], Some(0)) {
            Err(e) => assert_eq!(e.python_kind(), PythonKind::ValueError),
            Ok(a) => return Err(invalid(format!("concat mixed devices: {a:?}"))),
        }
        // A generated array (no data yet) follows the data it meets; a scalar too.
        let z = (&y + &crate::zeros(&[2], DType::F32)?)?;
        assert_eq!(z.device(), Device::Cuda(0));
        assert_eq!((&y * 2.0)?.device(), Device::Cuda(0));
        Ok(())
    }

    #[test]
    fn evaluating_on_a_missing_device_realizes_nothing() -> Result<()> {
        if !cuda_missing() {
            return Ok(());
        }
        let x = (&Array::from_vec(vec![1.0f32, 2.0], &[2])? * 3.0)?;
        let y = (&placed(&Array::from_vec(vec![3.0f32, 4.0], &[2])?, Device::Cuda(0))? + 1.0)?;
        match crate::eval(&[&x, &y]) {
            Err(e) => assert_eq!(e.python_kind(), PythonKind::RuntimeError, "{e}"),
            Ok(()) => return Err(invalid("evaluated on a device that is not there")),
        }
        assert!(!x.is_realized() && !y.is_realized());
        match crate::explain(&[&y]) {
            Err(KilnError::Cuda(kiln_cuda::CudaError::NoDevice(_))) => {}
            other => return Err(invalid(format!("expected NoDevice, got {other:?}"))),
        }
        // Moving it back to the CPU needs its value, which needs the device.
        assert!(y.to_device(Device::Cpu).is_err());
        x.eval()?;
        assert_eq!(x.to_vec::<f32>()?, vec![3.0, 6.0]);
        Ok(())
    }

    #[test]
    fn a_generated_array_moves_without_being_evaluated() -> Result<()> {
        let z = crate::arange(0.0, Some(4.0.into()), 1.0, Some(DType::F64))?;
        // Placing it on a CUDA device needs the device; without one it is refused.
        match z.to_device(Device::Cuda(0)) {
            Ok(moved) => assert_eq!(moved.device(), Device::Cuda(0)),
            Err(KilnError::Cuda(kiln_cuda::CudaError::NoDevice(_))) => {}
            Err(e) => return Err(e),
        }
        assert!(!z.is_realized());
        Ok(())
    }

    #[test]
    fn device_data_is_read_back_only_when_the_host_asks() -> Result<()> {
        use std::sync::atomic::Ordering::Relaxed;
        // A transposed view, so that the view (not only the memory) must survive the trip.
        let x = Array::from_vec((0..6).map(f64::from).collect(), &[2, 3])?.matrix_transpose()?;
        x.eval()?;
        let (y, memory) = resident_on(&x, 0)?;
        assert!(y.is_realized() && y.realized().is_none() && y.resident().is_some());
        assert_eq!(memory.reads.load(Relaxed), 0);
        assert_eq!(y.to_vec::<f64>()?, vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        assert_eq!(memory.reads.load(Relaxed), 1);
        let back = y.to_device(Device::Cpu)?;
        assert_eq!(back.device(), Device::Cpu);
        assert!(back.realized().is_some(), "host data on the CPU");
        assert_eq!(back.to_vec::<f64>()?, vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
        // Still on the device, and the same memory: reading does not move it.
        assert!(y.resident().is_some_and(|r| Arc::ptr_eq(
            &r.memory,
            &(memory.clone() as Arc<dyn kiln_cuda::DeviceMemory>)
        )));
        Ok(())
    }

    #[test]
    fn a_failed_read_back_is_a_typed_error_and_keeps_the_data() -> Result<()> {
        use std::sync::atomic::Ordering::Relaxed;
        let (y, memory) = resident_on(&Array::from_vec(vec![1i32, 2, 3], &[3])?, 0)?;
        memory.fail.store(true, Relaxed);
        for r in [
            y.to_vec::<i32>().map(drop),
            y.to_device(Device::Cpu).map(drop),
        ] {
            match r {
                Err(e) => assert_eq!(e.python_kind(), PythonKind::RuntimeError, "{e}"),
                Ok(()) => return Err(invalid("read a device that failed")),
            }
        }
        assert!(y.resident().is_some(), "the data is still there");
        memory.fail.store(false, Relaxed);
        assert_eq!(y.to_vec::<i32>()?, vec![1, 2, 3]);
        Ok(())
    }

    /// The programs and reference values of arrays over device data read the data itself, never
    /// the zeros that stand in for it in a program for the device.
    #[test]
    fn programs_over_device_data_outside_the_device_read_its_values() -> Result<()> {
        let (y, _) = resident_on(&Array::from_vec(vec![1.5f32, -2.0, 4.0], &[3])?, 0)?;
        let z = (&y * 2.0)?;
        let program = crate::program_of(&[&z])?;
        assert_eq!(program.inputs.len(), 1);
        assert_eq!(program.inputs[0].to_vec::<f32>(), vec![1.5, -2.0, 4.0]);
        let want = crate::reference(&[&z])?;
        assert_eq!(want[0].to_vec::<f32>(), vec![3.0, -4.0, 8.0]);
        assert!(!z.is_realized(), "reference realizes nothing");
        assert_eq!(
            crate::reference(&[&y])?[0].to_vec::<f32>(),
            vec![1.5, -2.0, 4.0]
        );
        Ok(())
    }
}
