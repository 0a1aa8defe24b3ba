//! Runs generated CUDA C on the host: the kernels of a test are compiled with the system C++
//! compiler against `host_shim.h` (one block of one thread), and each launch runs in a child
//! process that reads its geometry and buffers from stdin and writes every buffer to stdout.

use kiln_ir::{C64, C128, DType, Kernel, Scalar, Storage};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A host executable holding several generated kernels.
pub struct HostKernels {
    exe: PathBuf,
}

/// Whether a host C++ compiler is available.
pub fn cxx() -> Option<String> {
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".into());
    Command::new(&cxx)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| cxx)
}

impl HostKernels {
    /// Compiles `kernels` into one executable (`tag` names its files in the target's temp dir).
    /// With `split`, reducing kernels run as their split form (partial, then finish).
    pub fn build(cxx: &str, tag: &str, kernels: &[Kernel], split: bool) -> HostKernels {
        let mut src = String::from(include_str!("host_shim.h"));
        for part in [
            kiln_cuda::codegen::PRELUDE,
            kiln_cuda::codegen::COMPLEX,
            kiln_cuda::codegen::REDUCE,
        ] {
            src.push_str(part);
            src.push('\n');
        }
        let mut dispatch = String::new();
        for (i, k) in kernels.iter().enumerate() {
            let split = split && k.reduce.is_some();
            let generated = if split {
                kiln_cuda::generate_split(k)
            } else {
                kiln_cuda::generate(k)
            };
            let generated = generated.unwrap_or_else(|e| panic!("{e}\n{k}"));
            let text = generated.kernel.replace("extern \"C\" ", "");
            src.push_str(&format!("namespace k{i} {{\n{text}}}\n"));
            let args: Vec<String> = k
                .params
                .iter()
                .enumerate()
                .map(|(p, param)| {
                    let c = if param.access == kiln_ir::Access::Read {
                        "const "
                    } else {
                        ""
                    };
                    format!("({c}{}*)b[{p}]", param.dtype.short_name())
                })
                .chain(std::iter::once("g".to_string()))
                .collect();
            let call = if split {
                let acc = kiln_cuda::codegen::accumulator_ctype(k).expect("accumulator");
                let args = args.join(", ");
                format!(
                    "  std::vector<char> scratch(scratch_bytes + 16);\n  \
                     k{i}::kiln_partial({args}, ({acc}*)scratch.data(), splits);\n  \
                     k{i}::kiln_finish({args}, (const {acc}*)scratch.data(), splits);\n"
                )
            } else {
                format!("  k{i}::kiln_main({});\n", args.join(", "))
            };
            src.push_str(&format!(
                "static void run_{i}(void** b, const int64_t* w, int64_t splits, \
                 int64_t scratch_bytes) {{\n  k{i}::kiln_geom g;\n  memcpy(&g, w, sizeof g);\n{call}}}\n"
            ));
            dispatch.push_str(&format!(
                "    case {i}: run_{i}(ptrs.data(), words.data(), splits, scratch_bytes); break;\n"
            ));
        }
        src.push_str(&format!(
            r#"
static int64_t rd64() {{ int64_t v = 0; if (fread(&v, 8, 1, stdin) != 1) exit(3); return v; }}
int main() {{
  int64_t idx = rd64(), splits = rd64(), scratch_bytes = rd64(), nw = rd64();
  std::vector<int64_t> words(nw);
  if (nw && fread(words.data(), 8, nw, stdin) != (size_t)nw) return 3;
  int64_t np = rd64();
  std::vector<std::vector<char>> bufs(np);
  std::vector<void*> ptrs(np);
  for (int64_t p = 0; p < np; p++) {{
    int64_t n = rd64();
    bufs[p].resize(n + 16);
    if (n && fread(bufs[p].data(), 1, n, stdin) != (size_t)n) return 3;
    bufs[p].resize(n);
    ptrs[p] = bufs[p].data();
  }}
  switch (idx) {{
{dispatch}    default: return 4;
  }}
  for (int64_t p = 0; p < np; p++) fwrite(bufs[p].data(), 1, bufs[p].size(), stdout);
  return 0;
}}
"#
        ));
        let dir = std::env::temp_dir().join(format!("kiln-cuda-host-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let cpp = dir.join("kernels.cpp");
        let exe = dir.join("kernels");
        std::fs::write(&cpp, &src).expect("write source");
        let out = Command::new(cxx)
            .args(["-std=c++17", "-O1", "-w", "-o"])
            .arg(&exe)
            .arg(&cpp)
            .output()
            .expect("run the C++ compiler");
        assert!(
            out.status.success(),
            "host compile of generated kernels failed:\n{}\nsource: {}",
            String::from_utf8_lossy(&out.stderr),
            cpp.display()
        );
        HostKernels { exe }
    }

    /// Runs kernel `index` of the build: `buffers[p]` is bound to param `p`; write params'
    /// storages are replaced by what the kernel stored. `splits`: chunks per row of a split
    /// build's reductions.
    pub fn run(
        &self,
        index: usize,
        k: &Kernel,
        g: &kiln_ir::LaunchGeometry,
        buffers: &mut [Storage],
        splits: usize,
    ) {
        let words = kiln_cuda::geometry_words(k, g).unwrap_or_else(|e| panic!("{e}"));
        let outer: usize = g.dims.iter().take(k.outer_rank).product();
        let scratch = outer * splits * 16;
        let mut input = Vec::new();
        input.extend((index as i64).to_le_bytes());
        input.extend((splits as i64).to_le_bytes());
        input.extend((scratch as i64).to_le_bytes());
        input.extend((words.len() as i64).to_le_bytes());
        for w in &words {
            input.extend(w.to_le_bytes());
        }
        input.extend((buffers.len() as i64).to_le_bytes());
        let mut sizes = Vec::new();
        for s in buffers.iter() {
            let bytes = storage_bytes(s);
            sizes.push(bytes.len());
            input.extend((bytes.len() as i64).to_le_bytes());
            input.extend(bytes);
        }
        let mut child = Command::new(&self.exe)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn host kernels");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(&input)
            .expect("write launch");
        let out = child.wait_with_output().expect("host kernel output");
        assert!(
            out.status.success(),
            "host kernel {index} failed: {:?}\n{k}",
            out.status
        );
        let mut at = 0;
        for (s, n) in buffers.iter_mut().zip(sizes) {
            let chunk = &out.stdout[at..at + n];
            at += n;
            *s = storage_from_bytes(s.dtype(), s.len(), chunk);
        }
    }
}

fn storage_bytes(s: &Storage) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() * s.dtype().size_bytes());
    for i in 0..s.len() {
        match s.get(i).expect("in range") {
            Scalar::Bool(b) => out.push(b as u8),
            Scalar::I8(v) => out.extend(v.to_le_bytes()),
            Scalar::I16(v) => out.extend(v.to_le_bytes()),
            Scalar::I32(v) => out.extend(v.to_le_bytes()),
            Scalar::I64(v) => out.extend(v.to_le_bytes()),
            Scalar::U8(v) => out.extend(v.to_le_bytes()),
            Scalar::U16(v) => out.extend(v.to_le_bytes()),
            Scalar::U32(v) => out.extend(v.to_le_bytes()),
            Scalar::U64(v) => out.extend(v.to_le_bytes()),
            Scalar::F32(v) => out.extend(v.to_le_bytes()),
            Scalar::F64(v) => out.extend(v.to_le_bytes()),
            Scalar::C64(c) => {
                out.extend(c.re.to_le_bytes());
                out.extend(c.im.to_le_bytes());
            }
            Scalar::C128(c) => {
                out.extend(c.re.to_le_bytes());
                out.extend(c.im.to_le_bytes());
            }
        }
    }
    out
}

fn storage_from_bytes(d: DType, len: usize, bytes: &[u8]) -> Storage {
    let size = d.size_bytes();
    let mut s = Storage::zeroed(d, len).expect("storage");
    for i in 0..len {
        let b = &bytes[i * size..(i + 1) * size];
        let arr = |n: usize| -> [u8; 8] {
            let mut a = [0u8; 8];
            a[..n].copy_from_slice(&b[..n]);
            a
        };
        let v = match d {
            DType::Bool => Scalar::Bool(b[0] != 0),
            DType::I8 => Scalar::I8(b[0] as i8),
            DType::I16 => Scalar::I16(i16::from_le_bytes([b[0], b[1]])),
            DType::I32 => Scalar::I32(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            DType::I64 => Scalar::I64(i64::from_le_bytes(arr(8))),
            DType::U8 => Scalar::U8(b[0]),
            DType::U16 => Scalar::U16(u16::from_le_bytes([b[0], b[1]])),
            DType::U32 => Scalar::U32(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            DType::U64 => Scalar::U64(u64::from_le_bytes(arr(8))),
            DType::F32 => Scalar::F32(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            DType::F64 => Scalar::F64(f64::from_le_bytes(arr(8))),
            DType::C64 => Scalar::C64(C64::new(
                f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                f32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            )),
            DType::C128 => {
                let mut hi = [0u8; 8];
                hi.copy_from_slice(&b[8..16]);
                Scalar::C128(C128::new(
                    f64::from_le_bytes(arr(8)),
                    f64::from_le_bytes(hi),
                ))
            }
        };
        s.set(i, v).expect("set");
    }
    s
}

/// An element-by-element copy of a storage.
pub fn copy_storage(s: &Storage) -> Storage {
    storage_from_bytes(s.dtype(), s.len(), &storage_bytes(s))
}
