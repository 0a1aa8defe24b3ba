//! The GPU architectures NVRTC compiles for: a virtual one (`compute_90`: PTX, which the
//! driver finishes for the device when the module is loaded) or a real one (`sm_90`: CUBIN,
//! machine code for that architecture, loaded without any driver JIT).
//!
//! Invariant: `CudaArch` values are only built by `parse`, `virtual_for` and `real_for`, so
//! the option NVRTC receives and the text the cache keys on are always the same string.

use crate::error::CudaError;
use std::fmt;

/// What NVRTC produces for an architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArchKind {
    /// `compute_XY`: PTX text.
    Virtual,
    /// `sm_XY`: a CUBIN (ELF) image.
    Real,
}

/// A compute capability and whether to stop at PTX or go on to a CUBIN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CudaArch {
    pub kind: ArchKind,
    /// The compute capability as NVRTC writes it: 90 for 9.0, 100 for 10.0.
    pub number: u32,
}

impl CudaArch {
    /// PTX for compute capability `cc`.
    pub fn virtual_for(cc: (i32, i32)) -> Result<CudaArch, CudaError> {
        Ok(CudaArch {
            kind: ArchKind::Virtual,
            number: number(cc)?,
        })
    }

    /// A CUBIN for compute capability `cc`.
    pub fn real_for(cc: (i32, i32)) -> Result<CudaArch, CudaError> {
        Ok(CudaArch {
            kind: ArchKind::Real,
            number: number(cc)?,
        })
    }

    /// Parses `compute_90` or `sm_90`.
    pub fn parse(s: &str) -> Result<CudaArch, CudaError> {
        let bad =
            || CudaError::Unsupported(format!("GPU architecture {s:?} (want compute_NN or sm_NN)"));
        let (kind, digits) = if let Some(d) = s.strip_prefix("compute_") {
            (ArchKind::Virtual, d)
        } else if let Some(d) = s.strip_prefix("sm_") {
            (ArchKind::Real, d)
        } else {
            return Err(bad());
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let number = digits.parse::<u32>().map_err(|_| bad())?;
        if !(10..10_000).contains(&number) {
            return Err(bad());
        }
        Ok(CudaArch { kind, number })
    }

    /// The same compute capability, as PTX.
    pub fn as_virtual(self) -> CudaArch {
        CudaArch {
            kind: ArchKind::Virtual,
            number: self.number,
        }
    }
}

fn number(cc: (i32, i32)) -> Result<u32, CudaError> {
    match (u32::try_from(cc.0), u32::try_from(cc.1)) {
        (Ok(major), Ok(minor)) if (1..1000).contains(&major) && minor < 10 => {
            Ok(major * 10 + minor)
        }
        _ => Err(CudaError::Unsupported(format!(
            "compute capability {}.{}",
            cc.0, cc.1
        ))),
    }
}

impl fmt::Display for CudaArch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ArchKind::Virtual => write!(f, "compute_{}", self.number),
            ArchKind::Real => write!(f, "sm_{}", self.number),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        for s in ["compute_90", "sm_90", "compute_100", "sm_120", "compute_75"] {
            assert_eq!(
                CudaArch::parse(s).map(|a| a.to_string()).ok().as_deref(),
                Some(s)
            );
        }
        for s in [
            "",
            "sm_",
            "compute_9x",
            "sm_-90",
            "gfx90a",
            "sm_5",
            "compute_90 ",
        ] {
            assert!(CudaArch::parse(s).is_err(), "{s:?} parsed");
        }
        assert_eq!(
            CudaArch::real_for((9, 0))
                .map(|a| a.to_string())
                .ok()
                .as_deref(),
            Some("sm_90")
        );
        assert_eq!(
            CudaArch::virtual_for((10, 0))
                .map(|a| a.to_string())
                .ok()
                .as_deref(),
            Some("compute_100")
        );
        assert!(CudaArch::real_for((9, 12)).is_err());
        assert!(CudaArch::real_for((-1, 0)).is_err());
    }
}
