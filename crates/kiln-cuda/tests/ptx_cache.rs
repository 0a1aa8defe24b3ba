//! The CUDA code store (`kiln_cuda::codestore`) without a GPU: NVRTC compiles, the disk cache
//! serves a fresh store with zero compiles, damaged entries are misses that recompile, the
//! architecture and NVRTC's version separate keys, strict mode refuses to compile, and recorded
//! modules travel in bundles. Also prints NVRTC compile time against disk-hit time for the
//! kernels of W1-W4 (`cargo test -p kiln-cuda --test ptx_cache -- --nocapture latency`).
//!
//! NVRTC is loaded dynamically. Where it is missing these tests say so and pass, unless
//! `KILN_REQUIRE_NVRTC` is set (CI sets it after installing the `nvidia-cuda-nvrtc` wheel).

mod support;

use kiln_cache::{CacheConfig, DiskCache, EntryKind, bundle};
use kiln_cuda::{Artifact, CudaArch, CudaCodeStore, CudaError, Form, Source, nvrtc_version};
use kiln_ir::Kernel;
use std::path::Path;
use std::time::{Duration, Instant};
use support::nvrtc_or_skip;
use support::workloads::workload_kernels;

fn config(dir: &Path) -> CacheConfig {
    CacheConfig {
        dir: Some(dir.to_path_buf()),
        ..CacheConfig::default()
    }
}

fn arch(s: &str) -> CudaArch {
    CudaArch::parse(s).expect("architecture")
}

/// Every (kernel, form) of W1-W4: the one-pass form, and the split form of reductions.
fn units() -> Vec<(&'static str, Kernel, Form)> {
    let mut out = Vec::new();
    for (w, k) in workload_kernels() {
        if k.reduce.is_some() {
            out.push((w, k.clone(), Form::Split));
        }
        out.push((w, k, Form::OnePass));
    }
    out
}

fn obtain_all(store: &CudaCodeStore, units: &[(&str, Kernel, Form)]) -> Vec<(Artifact, Source)> {
    units
        .iter()
        .map(|(_, k, form)| {
            let (a, src) = store
                .artifact(k, *form)
                .unwrap_or_else(|e| panic!("{}: {e}", k.name));
            ((*a).clone(), src)
        })
        .collect()
}

#[test]
fn a_fresh_store_loads_from_disk_with_zero_compiles() {
    if !nvrtc_or_skip("a_fresh_store_loads_from_disk_with_zero_compiles") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let units = units();
    assert!(units.len() >= 6, "W1-W4 schedule at least four kernels");
    let cold = CudaCodeStore::new(&config(dir.path()), arch("compute_90")).unwrap();
    let first = obtain_all(&cold, &units);
    assert!(first.iter().all(|(_, s)| *s == Source::Compiled));
    assert_eq!(cold.stats().compiles, units.len() as u64);
    for ((_, k, form), (a, _)) in units.iter().zip(&first) {
        let Artifact::Ptx(text) = a else {
            panic!("compute_90 gives PTX")
        };
        for e in form.entries() {
            assert!(
                text.contains(&format!(".entry {e}")),
                "{} lacks {e}",
                k.name
            );
        }
    }
    // The same store again: memory, no compile.
    let again = obtain_all(&cold, &units);
    assert!(again.iter().all(|(_, s)| *s == Source::Memory));
    assert_eq!(cold.stats().compiles, units.len() as u64);
    // A new store (a new process) on the same directory: disk hits, no NVRTC at all.
    let warm = CudaCodeStore::new(&config(dir.path()), arch("compute_90")).unwrap();
    let second = obtain_all(&warm, &units);
    assert!(second.iter().all(|(_, s)| *s == Source::Disk), "{second:?}");
    assert_eq!(warm.stats().compiles, 0);
    assert_eq!(warm.stats().disk_hits, units.len() as u64);
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(a.0, b.0, "the disk gives back the compiled bytes");
    }
    // `kiln cache ls` can tell them apart from CPU code.
    let disk = DiskCache::open(dir.path(), u64::MAX).unwrap();
    for e in disk.list().unwrap() {
        let label = disk.label(&e.key).unwrap();
        let (kind, name) = kiln_cache::kind::parse(&label);
        assert_eq!(
            kind,
            EntryKind::CudaPtx {
                arch: "compute_90".into()
            }
        );
        assert!(units.iter().any(|(_, k, _)| k.name == name), "{label}");
    }
}

#[test]
fn damaged_entries_are_misses_that_recompile() {
    if !nvrtc_or_skip("damaged_entries_are_misses_that_recompile") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let units: Vec<_> = units().into_iter().take(3).collect();
    let cold = CudaCodeStore::new(&config(dir.path()), arch("compute_90")).unwrap();
    let first = obtain_all(&cold, &units);
    let disk = DiskCache::open(dir.path(), u64::MAX).unwrap();
    let path_of = |i: usize| {
        let (_, k, form) = &units[i];
        let source = form.generate(k).unwrap();
        disk.path_of(&cold.key(&source, *form))
    };
    // Unit 0: a flipped byte in the PTX; unit 1: truncated; unit 2: a well-formed entry whose
    // payload is not the module (no entry points), as a buggy writer could leave.
    let mut bytes = std::fs::read(path_of(0)).unwrap();
    let last = bytes.len() - 10;
    bytes[last] ^= 0x20;
    std::fs::write(path_of(0), &bytes).unwrap();
    let bytes = std::fs::read(path_of(1)).unwrap();
    std::fs::write(path_of(1), &bytes[..bytes.len() / 2]).unwrap();
    let (_, k2, form2) = &units[2];
    let key2 = cold.key(&form2.generate(k2).unwrap(), *form2);
    disk.put(
        &key2,
        &k2.name,
        &Artifact::Ptx(".version 9.0\n".into()).encode(),
    )
    .unwrap();

    let fresh = CudaCodeStore::new(&config(dir.path()), arch("compute_90")).unwrap();
    let second = obtain_all(&fresh, &units);
    assert!(
        second.iter().all(|(_, s)| *s == Source::Compiled),
        "{second:?}"
    );
    assert_eq!(fresh.stats().compiles, 3);
    assert_eq!(fresh.stats().rejected, 1, "the entry without entry points");
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(a.0, b.0);
    }
    // The recompiled entries replaced the damaged ones.
    let third = CudaCodeStore::new(&config(dir.path()), arch("compute_90")).unwrap();
    assert!(
        obtain_all(&third, &units)
            .iter()
            .all(|(_, s)| *s == Source::Disk)
    );
    assert_eq!(third.stats().compiles, 0);
}

#[test]
fn architecture_and_nvrtc_version_are_part_of_the_key() {
    if !nvrtc_or_skip("architecture_and_nvrtc_version_are_part_of_the_key") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_, k, form) = units().swap_remove(0);
    let source = form.generate(&k).unwrap();
    let version = nvrtc_version().unwrap();
    assert!(version.0 >= 11, "NVRTC version {version:?}");
    let cfg = config(dir.path());
    let ptx90 = CudaCodeStore::new(&cfg, arch("compute_90")).unwrap();
    assert_eq!(
        ptx90.compiler(),
        format!("nvrtc {}.{}", version.0, version.1)
    );
    let others = [
        CudaCodeStore::new(&cfg, arch("compute_80")).unwrap(),
        CudaCodeStore::new(&cfg, arch("sm_90")).unwrap(),
        CudaCodeStore::with_nvrtc_version(&cfg, arch("compute_90"), (version.0, version.1 + 1)),
        CudaCodeStore::with_nvrtc_version(&cfg, arch("compute_90"), (version.0 + 1, version.1)),
    ];
    let key = ptx90.key(&source, form);
    assert_eq!(
        key,
        CudaCodeStore::with_nvrtc_version(&cfg, arch("compute_90"), version).key(&source, form)
    );
    for other in &others {
        assert_ne!(
            key,
            other.key(&source, form),
            "{:?} {}",
            other.arch(),
            other.compiler()
        );
    }
    // The split and one-pass forms of one reduction, and two kernels, never share a key.
    let reduction = units()
        .into_iter()
        .find(|(_, _, f)| *f == Form::Split)
        .unwrap()
        .1;
    assert_ne!(
        ptx90.key(&Form::Split.generate(&reduction).unwrap(), Form::Split),
        ptx90.key(&Form::OnePass.generate(&reduction).unwrap(), Form::OnePass)
    );
    // Filled by compute_90 PTX, the cache is a miss for every other store: each compiles.
    ptx90.artifact(&k, form).unwrap();
    for other in &others {
        let (a, src) = other.artifact(&k, form).unwrap();
        assert_eq!(
            src,
            Source::Compiled,
            "{:?} {}",
            other.arch(),
            other.compiler()
        );
        assert_eq!(other.stats().compiles, 1);
        match (other.arch().to_string().as_str(), &*a) {
            ("sm_90", Artifact::Cubin(bytes)) => assert!(bytes.starts_with(b"\x7fELF")),
            ("sm_90", other) => panic!("sm_90 gave {other:?}"),
            (_, Artifact::Ptx(text)) => assert!(text.contains(".entry kiln_main")),
            (_, other) => panic!("a virtual architecture gave {other:?}"),
        }
    }
    // compute_80 PTX says so.
    let (a80, _) = others[0].artifact(&k, form).unwrap();
    let Artifact::Ptx(text) = &*a80 else { panic!() };
    assert!(
        text.contains(".target sm_80"),
        "{}",
        &text[..text.len().min(400)]
    );
}

#[test]
fn strict_mode_refuses_to_compile_and_bundles_carry_cuda_modules() {
    if !nvrtc_or_skip("strict_mode_refuses_to_compile_and_bundles_carry_cuda_modules") {
        return;
    }
    let build = tempfile::tempdir().unwrap();
    let deploy = tempfile::tempdir().unwrap();
    let record = build.path().join("used.txt");
    let units: Vec<_> = units().into_iter().take(4).collect();
    let strict = |dir: &Path| CacheConfig {
        strict: true,
        ..config(dir)
    };
    // Strict on an empty cache: a typed error naming the kernel, and no compile.
    let empty = CudaCodeStore::new(&strict(deploy.path()), arch("compute_90")).unwrap();
    let (_, k0, f0) = &units[0];
    match empty.artifact(k0, *f0) {
        Err(CudaError::StrictMiss { kernel, key, dir }) => {
            assert_eq!(&kernel, &k0.name);
            assert_eq!(key.len(), 64);
            assert!(dir.contains(&deploy.path().display().to_string()));
        }
        other => panic!("expected a strict miss, got {other:?}"),
    }
    assert_eq!(empty.stats().compiles, 0);
    // Build machine: compile while recording; export the recorded modules to a bundle.
    let recording = CacheConfig {
        record: Some(record.clone()),
        ..config(build.path())
    };
    let builder = CudaCodeStore::new(&recording, arch("compute_90")).unwrap();
    obtain_all(&builder, &units);
    obtain_all(&builder, &units);
    let keys = bundle::read_record(&record).unwrap();
    assert_eq!(keys.len(), units.len(), "each module recorded once");
    let text = std::fs::read_to_string(&record).unwrap();
    assert!(
        text.lines().all(|l| l.contains("[cuda ptx compute_90]")),
        "{text}"
    );
    let bundle_path = build.path().join("w.kbundle");
    let build_cache = DiskCache::open(build.path(), u64::MAX).unwrap();
    assert_eq!(
        bundle::export(&build_cache, Some(&keys), &bundle_path).unwrap(),
        units.len()
    );
    // Deployment: import, then strict mode serves every module from disk.
    let deploy_cache = DiskCache::open(deploy.path(), u64::MAX).unwrap();
    assert_eq!(
        bundle::import(&deploy_cache, &bundle_path).unwrap().len(),
        units.len()
    );
    let served = CudaCodeStore::new(&strict(deploy.path()), arch("compute_90")).unwrap();
    assert!(
        obtain_all(&served, &units)
            .iter()
            .all(|(_, s)| *s == Source::Disk)
    );
    assert_eq!(served.stats().compiles, 0);
    // A kernel not in the bundle is still refused.
    let (_, extra, form) = support::workloads::workload_kernels()
        .into_iter()
        .map(|(w, k)| (w, k, Form::OnePass))
        .find(|(_, k, _)| {
            !units
                .iter()
                .any(|(_, u, f)| u.name == k.name && *f == Form::OnePass)
        })
        .expect("a kernel outside the bundle");
    assert!(matches!(
        served.artifact(&extra, form),
        Err(CudaError::StrictMiss { .. })
    ));
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[test]
fn latency_of_nvrtc_compile_against_disk_hit_for_w1_w4() {
    if !nvrtc_or_skip("latency_of_nvrtc_compile_against_disk_hit_for_w1_w4") {
        return;
    }
    let units = units();
    println!(
        "\n{:<4} {:<28} {:<6} {:<11} {:>10} {:>10} {:>10} {:>8}",
        "wl", "kernel", "form", "arch", "nvrtc_ms", "disk_ms", "memory_ms", "bytes"
    );
    for a in ["compute_90", "sm_90"] {
        let dir = tempfile::tempdir().unwrap();
        let cold = CudaCodeStore::new(&config(dir.path()), arch(a)).unwrap();
        let mut compile_times = Vec::new();
        for (_, k, form) in &units {
            let t = Instant::now();
            let (_, src) = cold.artifact(k, *form).unwrap();
            compile_times.push(t.elapsed());
            assert_eq!(src, Source::Compiled);
        }
        let warm = CudaCodeStore::new(&config(dir.path()), arch(a)).unwrap();
        let (mut total_compile, mut total_disk) = (Duration::ZERO, Duration::ZERO);
        for ((w, k, form), compile) in units.iter().zip(compile_times) {
            let t = Instant::now();
            let (artifact, src) = warm.artifact(k, *form).unwrap();
            let disk = t.elapsed();
            assert_eq!(src, Source::Disk);
            let t = Instant::now();
            let (_, src) = warm.artifact(k, *form).unwrap();
            let memory = t.elapsed();
            assert_eq!(src, Source::Memory);
            total_compile += compile;
            total_disk += disk;
            println!(
                "{w:<4} {:<28} {:<6} {a:<11} {:>10.2} {:>10.3} {:>10.4} {:>8}",
                k.name,
                if *form == Form::Split {
                    "split"
                } else {
                    "main"
                },
                ms(compile),
                ms(disk),
                ms(memory),
                artifact.byte_len()
            );
        }
        assert_eq!(warm.stats().compiles, 0);
        println!(
            "total {a}: nvrtc {:.1} ms, disk {:.2} ms over {} modules (disk hit {:.0}x faster)",
            ms(total_compile),
            ms(total_disk),
            units.len(),
            total_compile.as_secs_f64() / total_disk.as_secs_f64().max(1e-9)
        );
    }
}
