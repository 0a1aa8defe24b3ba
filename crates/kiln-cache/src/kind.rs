//! What an entry holds, told by a tag at the start of its label: CPU machine code has a plain
//! kernel name (`k0_mul`, as kiln-cpu writes it); other kinds write `[tag] name`, e.g.
//! `[cuda ptx compute_90] k0_mul` or `[cuda cubin sm_90] k0_mul`.
//!
//! Invariant: `label` and `parse` are inverse on every kind (a name never starts with `[`), so
//! `kiln cache ls|stats` can tell CUDA modules from CPU code without decoding payloads, and the
//! entry format (and so kiln-cpu's entries) is unchanged.

use std::fmt;

/// The kind of artifact an entry holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKind {
    /// Relocatable CPU machine code (kiln-cpu).
    Cpu,
    /// PTX text for a virtual GPU architecture (`compute_90`).
    CudaPtx { arch: String },
    /// A CUBIN for a real GPU architecture (`sm_90`).
    CudaCubin { arch: String },
    /// A tag this version does not know (written by a newer kiln).
    Other(String),
}

impl EntryKind {
    fn tag(&self) -> Option<String> {
        match self {
            EntryKind::Cpu => None,
            EntryKind::CudaPtx { arch } => Some(format!("cuda ptx {arch}")),
            EntryKind::CudaCubin { arch } => Some(format!("cuda cubin {arch}")),
            EntryKind::Other(t) => Some(t.clone()),
        }
    }

    /// Whether the entry is a CUDA module.
    pub fn is_cuda(&self) -> bool {
        matches!(
            self,
            EntryKind::CudaPtx { .. } | EntryKind::CudaCubin { .. }
        )
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryKind::Cpu => f.write_str("cpu"),
            EntryKind::CudaPtx { arch } => write!(f, "cuda-ptx {arch}"),
            EntryKind::CudaCubin { arch } => write!(f, "cuda-cubin {arch}"),
            EntryKind::Other(t) => f.write_str(t),
        }
    }
}

/// The label of an entry of `kind` for the kernel `name`.
pub fn label(kind: &EntryKind, name: &str) -> String {
    let name = name.trim_start_matches('[');
    match kind.tag() {
        None => name.to_string(),
        Some(tag) => format!("[{tag}] {name}"),
    }
}

/// Splits a label into its kind and kernel name.
pub fn parse(label: &str) -> (EntryKind, &str) {
    let Some(rest) = label.strip_prefix('[') else {
        return (EntryKind::Cpu, label);
    };
    let Some((tag, name)) = rest.split_once("] ") else {
        return (EntryKind::Other(String::new()), label);
    };
    let words: Vec<&str> = tag.split(' ').collect();
    let kind = match words.as_slice() {
        ["cuda", "ptx", arch] => EntryKind::CudaPtx {
            arch: (*arch).to_string(),
        },
        ["cuda", "cubin", arch] => EntryKind::CudaCubin {
            arch: (*arch).to_string(),
        },
        _ => EntryKind::Other(tag.to_string()),
    };
    (kind, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_and_parse_are_inverse() {
        let kinds = [
            EntryKind::Cpu,
            EntryKind::CudaPtx {
                arch: "compute_90".into(),
            },
            EntryKind::CudaCubin {
                arch: "sm_90".into(),
            },
            EntryKind::Other("plan".into()),
        ];
        for kind in kinds {
            let l = label(&kind, "k3_exp_sum");
            assert_eq!(parse(&l), (kind.clone(), "k3_exp_sum"), "{l}");
        }
        assert_eq!(label(&EntryKind::Cpu, "k0_mul"), "k0_mul");
        assert_eq!(
            label(
                &EntryKind::CudaPtx {
                    arch: "compute_90".into()
                },
                "k0"
            ),
            "[cuda ptx compute_90] k0"
        );
        assert_eq!(
            parse("[broken"),
            (EntryKind::Other(String::new()), "[broken")
        );
        assert!(parse("[cuda cubin sm_90] k").0.is_cuda());
        assert!(!parse("k0_mul").0.is_cuda());
    }
}
