//! `kiln cache ls|stats` tell CUDA modules (PTX per virtual architecture, CUBIN per real one)
//! from CPU code, and `kiln info` reports NVRTC's version when NVRTC loads. Each test uses its
//! own temporary cache directory.

mod support;

use kiln_cache::{DiskCache, EntryKind, kind};
use std::path::Path;

fn kiln(dir: &Path, args: &[&str]) -> String {
    let out = support::kiln(dir, &[], args);
    assert!(
        out.status.success(),
        "kiln {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn ls_and_stats_show_the_kind_of_each_entry() {
    let tmp = tempfile::tempdir().unwrap();
    // CPU code from a real evaluation.
    kiln(
        tmp.path(),
        &[
            "eval-workload",
            "w1",
            "--n",
            "100",
            "--repeat",
            "1",
            "--quiet",
        ],
    );
    // CUDA modules as the CUDA code store labels them (the listing reads only labels).
    let cache = DiskCache::open(tmp.path(), u64::MAX).unwrap();
    let ptx = EntryKind::CudaPtx {
        arch: "compute_90".into(),
    };
    let cubin = EntryKind::CudaCubin {
        arch: "sm_90".into(),
    };
    let target = kiln_cache::Target {
        kiln_version: "test".into(),
        compiler: "nvrtc 13.0".into(),
        fingerprint: "cuda".into(),
    };
    for (i, k) in [&ptx, &cubin, &ptx].into_iter().enumerate() {
        let key = target.key("cuda:main", &format!("kernel {i}"));
        let name = format!("k{i}_cuda_test");
        cache.put(&key, &kind::label(k, &name), b"Pmodule").unwrap();
    }
    let ls = kiln(tmp.path(), &["cache", "ls"]);
    let lines: Vec<&str> = ls.lines().collect();
    assert_eq!(lines.len(), 4, "{ls}");
    let line_of = |name: &str| {
        *lines
            .iter()
            .find(|l| l.ends_with(name))
            .unwrap_or_else(|| panic!("{name} not listed:\n{ls}"))
    };
    assert!(
        line_of("k0_cuda_test").contains("cuda-ptx compute_90"),
        "{ls}"
    );
    assert!(line_of("k1_cuda_test").contains("cuda-cubin sm_90"), "{ls}");
    assert!(
        line_of("k2_cuda_test").contains("cuda-ptx compute_90"),
        "{ls}"
    );
    assert!(line_of("k0_sin_add_log").contains(" cpu "), "{ls}");
    assert!(
        !ls.contains('['),
        "labels are shown without their tag: {ls}"
    );
    let stats = kiln(tmp.path(), &["cache", "stats"]);
    assert!(stats.contains("entries: 4"), "{stats}");
    for want in [
        "cpu: 1 entries",
        "cuda-ptx compute_90: 2 entries",
        "cuda-cubin sm_90: 1 entries",
    ] {
        assert!(stats.contains(want), "no {want:?} in\n{stats}");
    }
}

#[test]
fn info_reports_nvrtc() {
    let tmp = tempfile::tempdir().unwrap();
    let info = kiln(tmp.path(), &["info"]);
    let line = info
        .lines()
        .find(|l| l.starts_with("nvrtc: "))
        .unwrap_or_else(|| panic!("no nvrtc line in\n{info}"));
    let required = std::env::var_os("KILN_REQUIRE_NVRTC").is_some_and(|v| !v.is_empty());
    if kiln_cuda::nvrtc_available() {
        let (major, minor) = kiln_cuda::nvrtc_version().unwrap();
        assert!(
            line.starts_with(&format!("nvrtc: {major}.{minor} (architectures: ")),
            "{line}"
        );
        assert!(line.contains("sm_90"), "{line}");
    } else {
        assert!(
            !required,
            "KILN_REQUIRE_NVRTC is set but libnvrtc cannot be loaded"
        );
        assert!(line.contains("not found"), "{line}");
    }
}
