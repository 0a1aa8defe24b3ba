//! The lazy graph: `Array` handles to shared nodes that are either pending (an op over other
//! arrays) or realized (data in host storage, or in a device's memory).
//!
//! Invariants: a node's dtype and shape never change, and are exactly what `kiln_ir::infer`
//! gives for its op and inputs (checked when the node is built); a node goes from pending to
//! realized at most once, and a realized node has dropped its inputs, so evaluated sub-graphs are
//! freed and never recomputed. A realized node on the CPU holds host data (`Realized`); one on
//! a CUDA device holds that device's memory (`Resident`), read back only when the host asks for
//! its values. Dropping a long chain of nodes is iterative (no stack overflow).

use kiln_cuda::Resident;
use kiln_ir::{DType, Op, Realized, Shape, TypeInfo};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::device::Device;
use crate::error::Result;

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A lazy array: a cheap-to-clone handle to a node of the expression graph.
#[derive(Clone)]
pub struct Array(pub(crate) Arc<NodeCell>);

pub(crate) struct NodeCell {
    pub(crate) id: u64,
    pub(crate) dtype: DType,
    pub(crate) shape: Shape,
    pub(crate) device: Device,
    pub(crate) state: Mutex<NodeState>,
}

pub(crate) enum NodeState {
    Pending {
        op: Op,
        inputs: Vec<Array>,
    },
    /// Data in host memory.
    Realized(Realized),
    /// Data in a CUDA device's memory.
    Resident(Resident),
}

/// What an evaluation produced for one array: host data or device memory.
pub(crate) enum Data {
    Host(Realized),
    Device(Resident),
}

impl Data {
    /// The values in host memory (a copy from the device for device data).
    pub(crate) fn into_host(self) -> Result<Realized> {
        match self {
            Data::Host(r) => Ok(r),
            Data::Device(r) => Ok(r.to_host()?),
        }
    }
}

impl NodeCell {
    pub(crate) fn lock(&self) -> MutexGuard<'_, NodeState> {
        // A poisoned lock only means another thread panicked while holding it; the state is
        // replaced atomically (never half-written), so it is still consistent.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for NodeCell {
    fn drop(&mut self) {
        // Unlink inputs iteratively: a recursive drop of a million-node chain would overflow.
        let mut stack: Vec<Array> = match self.state.get_mut() {
            Ok(NodeState::Pending { inputs, .. }) => std::mem::take(inputs),
            _ => return,
        };
        while let Some(Array(arc)) = stack.pop() {
            if let Some(mut cell) = Arc::into_inner(arc)
                && let Ok(NodeState::Pending { inputs, .. }) = cell.state.get_mut()
            {
                stack.append(inputs);
            }
        }
    }
}

impl Array {
    /// A node over other arrays, type-checked now. Its device is its inputs' device; inputs on
    /// two devices are an error (see `device::common_device`).
    pub(crate) fn from_op(op: Op, inputs: Vec<Array>) -> Result<Array> {
        let operands: Vec<(DType, &Shape)> =
            inputs.iter().map(|a| (a.0.dtype, &a.0.shape)).collect();
        let TypeInfo { dtype, shape } = kiln_ir::infer(&op, &operands)?;
        let device = crate::device::common_device(&inputs)?;
        Ok(Array::new_cell(
            dtype,
            shape,
            device,
            NodeState::Pending { op, inputs },
        ))
    }

    /// A realized leaf.
    pub(crate) fn from_realized(data: Realized) -> Array {
        let dtype = data.dtype();
        let shape = data.shape().clone();
        Array::new_cell(dtype, shape, Device::Cpu, NodeState::Realized(data))
    }

    /// Whether this is a generated array (a pending node with no inputs: a constant, `arange`,
    /// `eye`), which holds no data on any device.
    pub(crate) fn is_generated(&self) -> bool {
        matches!(&*self.0.lock(), NodeState::Pending { inputs, .. } if inputs.is_empty())
    }

    /// This node's op and inputs if it is pending.
    pub(crate) fn pending_op(&self) -> Option<(Op, Vec<Array>)> {
        match &*self.0.lock() {
            NodeState::Pending { op, inputs } => Some((op.clone(), inputs.clone())),
            NodeState::Realized(_) | NodeState::Resident(_) => None,
        }
    }

    pub(crate) fn new_cell(dtype: DType, shape: Shape, device: Device, state: NodeState) -> Array {
        Array(Arc::new(NodeCell {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            dtype,
            shape,
            device,
            state: Mutex::new(state),
        }))
    }

    /// The data if this node is realized in host memory (`None` for device data: see
    /// `host_data`).
    pub(crate) fn realized(&self) -> Option<Realized> {
        match &*self.0.lock() {
            NodeState::Realized(r) => Some(r.clone()),
            NodeState::Pending { .. } | NodeState::Resident(_) => None,
        }
    }

    /// The device memory if this node is realized on a device.
    pub(crate) fn resident(&self) -> Option<Resident> {
        match &*self.0.lock() {
            NodeState::Resident(r) => Some(r.clone()),
            NodeState::Pending { .. } | NodeState::Realized(_) => None,
        }
    }

    /// The values in host memory if this node is realized: its host data, or a copy of its
    /// device memory (made without holding the node's lock).
    pub(crate) fn host_data(&self) -> Result<Option<Realized>> {
        let resident = match &*self.0.lock() {
            NodeState::Realized(r) => return Ok(Some(r.clone())),
            NodeState::Resident(r) => r.clone(),
            NodeState::Pending { .. } => return Ok(None),
        };
        Ok(Some(resident.to_host()?))
    }

    /// Turns a pending node into a leaf (dropping its inputs).
    pub(crate) fn realize(&self, data: Data) {
        let state = match data {
            Data::Host(r) => NodeState::Realized(r),
            Data::Device(r) => NodeState::Resident(r),
        };
        let old = std::mem::replace(&mut *self.0.lock(), state);
        drop(old);
    }

    pub fn dtype(&self) -> DType {
        self.0.dtype
    }
    pub fn shape(&self) -> &[usize] {
        self.0.shape.dims()
    }
    pub(crate) fn shape_ref(&self) -> &Shape {
        &self.0.shape
    }
    pub fn ndim(&self) -> usize {
        self.0.shape.rank()
    }
    pub fn size(&self) -> usize {
        self.0.shape.numel()
    }
    pub fn device(&self) -> Device {
        self.0.device
    }
    /// Whether the array already holds data (evaluating it again does nothing).
    pub fn is_realized(&self) -> bool {
        // No clone of the data (`realized()` would copy the view to answer a yes/no question).
        matches!(
            &*self.0.lock(),
            NodeState::Realized(_) | NodeState::Resident(_)
        )
    }
}

impl std::fmt::Debug for Array {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Array({}{}, {})",
            self.0.dtype.short_name(),
            self.0.shape,
            if self.is_realized() {
                "realized"
            } else {
                "lazy"
            }
        )
    }
}
