//! The disk cache end to end, through the `kiln` binary: each test runs fresh processes on its
//! own temporary cache directory (never the user's cache), so no test depends on another's
//! state. `kiln eval-workload` prints the cache counters and a digest of the result's bytes.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use support::{Report, kiln, parse};

/// Long enough for two rows of W4 (4096 columns): a single row is its own layout class (a
/// size-1 dimension broadcasts), so the new-length check needs at least two.
const N: usize = 9000;

fn eval_workload(dir: &Path, env: &[(&str, &str)], w: &str) -> Report {
    support::eval_workload(dir, env, w, N)
}

fn entries(dir: &Path) -> Vec<std::path::PathBuf> {
    support::entries(dir, "kernels")
}

#[test]
fn cold_warm_memory_and_warm_disk_give_identical_results() {
    for w in ["w1", "w2", "w3", "w4"] {
        let tmp = tempfile::tempdir().unwrap();
        let cold = eval_workload(tmp.path(), &[], w);
        assert!(
            cold.num("after_first", "compiles") > 0,
            "{w}: cold run compiled nothing"
        );
        assert_eq!(cold.num("after_first", "disk_hits"), 0);
        assert_eq!(
            cold.get("workload", "digest"),
            cold.get("workload", "warm_digest")
        );
        // A new length of the same shape class compiles and loads nothing.
        assert_eq!(
            cold.num("after_new_length", "compiles"),
            cold.num("after_warm", "compiles"),
            "{w}: a new length compiled"
        );
        let disk = eval_workload(tmp.path(), &[], w);
        assert_eq!(
            disk.num("after_first", "compiles"),
            0,
            "{w}: warm disk run compiled"
        );
        assert!(disk.num("after_first", "disk_hits") > 0);
        assert_eq!(
            cold.get("workload", "digest"),
            disk.get("workload", "digest"),
            "{w}"
        );
        let off = eval_workload(tmp.path(), &[("KILN_CACHE", "off")], w);
        assert_eq!(off.num("after_first", "disk_hits"), 0);
        assert_eq!(
            cold.get("workload", "digest"),
            off.get("workload", "digest"),
            "{w}"
        );
    }
}

#[test]
fn two_processes_compiling_the_same_kernels_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_kiln"))
            .args([
                "eval-workload",
                "w4",
                "--n",
                &N.to_string(),
                "--repeat",
                "1",
            ])
            .env("KILN_CACHE_DIR", tmp.path())
            .env_remove("KILN_CACHE_STRICT")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn kiln")
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success() && b.status.success());
    let (ra, rb) = (
        parse(&String::from_utf8_lossy(&a.stdout)),
        parse(&String::from_utf8_lossy(&b.stdout)),
    );
    assert_eq!(ra.get("workload", "digest"), rb.get("workload", "digest"));
    // Every file is a complete entry (no temporary left), and a third process loads them all.
    assert!(
        entries(tmp.path())
            .iter()
            .all(|p| p.extension().is_some_and(|e| e == "kk"))
    );
    let third = eval_workload(tmp.path(), &[], "w4");
    assert_eq!(third.num("after_first", "compiles"), 0);
    assert_eq!(
        third.get("workload", "digest"),
        ra.get("workload", "digest")
    );
}

#[test]
fn corrupted_and_truncated_entries_are_recompiled() {
    let tmp = tempfile::tempdir().unwrap();
    let cold = eval_workload(tmp.path(), &[], "w4");
    let files = entries(tmp.path());
    assert!(files.len() >= 2);
    for (i, f) in files.iter().enumerate() {
        let mut bytes = std::fs::read(f).unwrap();
        if i % 2 == 0 {
            let mid = bytes.len() / 2;
            bytes[mid] ^= 0x5a;
        } else {
            bytes.truncate(bytes.len() / 2);
        }
        std::fs::write(f, &bytes).unwrap();
    }
    let again = eval_workload(tmp.path(), &[], "w4");
    assert_eq!(again.num("after_first", "disk_hits"), 0);
    assert_eq!(
        again.num("after_first", "compiles"),
        cold.num("after_first", "compiles")
    );
    assert_eq!(
        again.get("workload", "digest"),
        cold.get("workload", "digest")
    );
    // The damaged entries were replaced by good ones.
    let third = eval_workload(tmp.path(), &[], "w4");
    assert_eq!(third.num("after_first", "compiles"), 0);
}

#[test]
fn entries_planted_by_someone_else_are_never_loaded() {
    let tmp = tempfile::tempdir().unwrap();
    let cold = eval_workload(tmp.path(), &[], "w1");
    let files = entries(tmp.path());
    // Writable by others: anyone could have planted it; refused for every user, root included.
    for f in &files {
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o666)).unwrap();
    }
    let again = eval_workload(tmp.path(), &[], "w1");
    assert_eq!(again.num("after_first", "disk_hits"), 0);
    assert!(again.num("after_first", "compiles") > 0);
    assert_eq!(
        again.get("workload", "digest"),
        cold.get("workload", "digest")
    );
    // Owned by another user: this needs chown (root); the store's own tests simulate it with an
    // injected owner otherwise.
    let fresh = tempfile::tempdir().unwrap();
    eval_workload(fresh.path(), &[], "w1");
    let files = entries(fresh.path());
    if files
        .iter()
        .all(|f| std::os::unix::fs::chown(f, Some(4242), Some(4242)).is_ok())
    {
        let planted = eval_workload(fresh.path(), &[], "w1");
        assert_eq!(planted.num("after_first", "disk_hits"), 0);
        assert_eq!(
            planted.get("workload", "digest"),
            cold.get("workload", "digest")
        );
        // The refused entries were replaced (the directory is ours) by this user's own.
        use std::os::unix::fs::MetadataExt;
        let me = std::fs::metadata(fresh.path()).unwrap().uid();
        assert!(
            files
                .iter()
                .all(|f| std::fs::metadata(f).unwrap().uid() == me)
        );
        let reloaded = eval_workload(fresh.path(), &[], "w1");
        assert_eq!(reloaded.num("after_first", "compiles"), 0);
    }
}

#[test]
fn an_unwritable_cache_is_not_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("c")).unwrap();
    let root = tmp.path().join("c");
    eval_workload(&root, &[], "w3");
    let kernels = root.join("kernels");
    // Read-only (effective for users other than root).
    std::fs::set_permissions(&kernels, std::fs::Permissions::from_mode(0o500)).unwrap();
    for f in entries(&root) {
        std::fs::remove_file(f).ok();
    }
    let ro = eval_workload(&root, &[("KILN_CACHE_LOG", "1")], "w3");
    assert!(ro.num("after_first", "compiles") > 0);
    std::fs::set_permissions(&kernels, std::fs::Permissions::from_mode(0o700)).unwrap();
    // Unwritable for everyone: the entries directory is a file.
    std::fs::remove_dir_all(&kernels).unwrap();
    std::fs::write(&kernels, b"x").unwrap();
    let bad = eval_workload(&root, &[], "w3");
    assert!(bad.num("after_first", "compiles") > 0);
    assert_eq!(bad.get("workload", "digest"), ro.get("workload", "digest"));
    // A cache directory that cannot be created at all.
    let blocked = tmp.path().join("file");
    std::fs::write(&blocked, b"x").unwrap();
    let none = eval_workload(&blocked.join("cache"), &[], "w3");
    assert_eq!(none.get("workload", "digest"), ro.get("workload", "digest"));
}

#[test]
fn a_tiny_size_bound_forces_pruning() {
    let tmp = tempfile::tempdir().unwrap();
    let bound = 2000u64;
    let b = bound.to_string();
    for w in ["w1", "w2", "w3", "w4"] {
        eval_workload(tmp.path(), &[("KILN_CACHE_MAX_BYTES", &b)], w);
    }
    let total: u64 = entries(tmp.path())
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    assert!(
        total <= bound,
        "{total} bytes in a cache bounded by {bound}"
    );
    assert!(!entries(tmp.path()).is_empty());
}

#[test]
fn strict_mode_refuses_to_compile_and_bundles_deploy_ahead_of_time() {
    let build = tempfile::tempdir().unwrap();
    let deploy = tempfile::tempdir().unwrap();
    let strict = [("KILN_CACHE_STRICT", "1")];
    let out = kiln(
        deploy.path(),
        &strict,
        &["eval-workload", "w4", "--n", &N.to_string()],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("strict cache mode") && err.contains("k0_"),
        "{err}"
    );
    // Record what w4 needs on the build machine, bundle it, import it on the deployment.
    let record = build.path().join("used.txt");
    let rec = record.to_str().unwrap();
    let built = eval_workload(build.path(), &[("KILN_CACHE_RECORD", rec)], "w4");
    let bundle = build.path().join("w4.kbundle");
    let b = bundle.to_str().unwrap();
    let out = kiln(build.path(), &[], &["cache", "export", b, "--keys", rec]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kiln(deploy.path(), &[], &["cache", "import", b]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deployed = eval_workload(deploy.path(), &strict, "w4");
    assert_eq!(deployed.num("after_first", "compiles"), 0);
    assert_eq!(
        deployed.get("workload", "digest"),
        built.get("workload", "digest")
    );
}

#[test]
fn cache_commands() {
    let tmp = tempfile::tempdir().unwrap();
    eval_workload(tmp.path(), &[], "w4");
    let n = entries(tmp.path()).len();
    let text = |args: &[&str]| {
        let out = kiln(tmp.path(), &[], args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(text(&["cache", "ls"]).lines().count(), n);
    assert!(text(&["cache", "ls"]).contains("k0_"));
    assert!(text(&["cache", "stats"]).contains(&format!("entries: {n}")));
    let info = text(&["info"]);
    assert!(
        info.contains("cpu features") && info.contains(&format!("{n} entries")),
        "{info}"
    );
    assert!(text(&["cache", "prune", "--max-bytes", "0"]).contains(&format!("removed {n}")));
    eval_workload(tmp.path(), &[], "w1");
    assert!(text(&["cache", "clear"]).contains("removed 1 entries"));
    assert!(entries(tmp.path()).is_empty());
    let out = kiln(tmp.path(), &[], &["cache", "prune", "--max-bytes", "lots"]);
    assert!(!out.status.success());
}

#[test]
fn split_reduction_entry_points_are_cached_too() {
    // Long enough for the sum to split across threads where there are several (its
    // partial/finish entry points are compiled lazily, and cached under their own key).
    let tmp = tempfile::tempdir().unwrap();
    let run = |dir: &Path| {
        let out = kiln(
            dir,
            &[],
            &["eval-workload", "w3", "--n", "300000", "--repeat", "1"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        parse(&String::from_utf8_lossy(&out.stdout))
    };
    let cold = run(tmp.path());
    let compiled = cold.num("after_first", "compiles");
    if std::thread::available_parallelism().map_or(1, |n| n.get()) > 1 {
        assert_eq!(compiled, 2, "main + split entry points");
    }
    let disk = run(tmp.path());
    assert_eq!(disk.num("after_first", "compiles"), 0);
    assert_eq!(disk.num("after_first", "disk_hits"), compiled);
    assert_eq!(
        disk.get("workload", "digest"),
        cold.get("workload", "digest")
    );
}
