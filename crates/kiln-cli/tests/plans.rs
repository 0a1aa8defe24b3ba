//! The plan caches end to end, through the `kiln` binary: a new length is a class hit (no
//! optimiser) and gives the bytes a fresh process computes for that length; a second process
//! reads the optimised plan from disk, at the same length or another; a corrupt plan entry is a
//! miss; strict mode still works with plans on disk. Each test runs fresh processes on its own temporary cache directory.

mod support;

use std::path::Path;
use support::eval_workload;

const N: usize = 9000;

fn plan_entries(dir: &Path) -> Vec<std::path::PathBuf> {
    support::entries(dir, "plans")
}

/// The process's first evaluation took its plan from disk: no optimiser, no compile.
fn assert_first_from_disk(report: &support::Report, w: &str) {
    assert_eq!(report.num("after_first", "plan_disk_hits"), 1, "{w}");
    assert_eq!(report.num("after_first", "plan_misses"), 0, "{w}");
    assert_eq!(report.num("after_first", "compiles"), 0, "{w}");
}

#[test]
fn cold_class_hit_and_warm_disk_plans_give_identical_results() {
    for w in ["w1", "w2", "w3", "w4"] {
        let tmp = tempfile::tempdir().unwrap();
        let cold = eval_workload(tmp.path(), &[], w, N);
        assert_eq!(cold.num("after_first", "plan_misses"), 1, "{w}");
        assert_eq!(cold.num("after_first", "plan_disk_hits"), 0, "{w}");
        // The new length reused the optimised program of its class and compiled nothing.
        let class_before = cold.num("after_warm", "plan_class_hits");
        assert_eq!(
            cold.num("after_new_length", "plan_class_hits"),
            class_before + 1,
            "{w}: the new length was not a class hit"
        );
        assert_eq!(
            cold.num("after_new_length", "plan_misses"),
            cold.num("after_warm", "plan_misses"),
            "{w}: the new length ran the optimiser"
        );
        assert_eq!(
            cold.num("after_new_length", "compiles"),
            cold.num("after_warm", "compiles")
        );
        // The class hit's bytes are those of a fresh process evaluating that length cold.
        let fresh = tempfile::tempdir().unwrap();
        let other = eval_workload(fresh.path(), &[], w, N + 4096);
        assert_eq!(
            cold.get("workload", "new_length_digest"),
            other.get("workload", "digest"),
            "{w}: class hit differs from a cold evaluation"
        );
        // A second process reads the plan from disk (no optimiser) and the kernels too.
        let disk = eval_workload(tmp.path(), &[], w, N);
        assert_first_from_disk(&disk, w);
        assert_eq!(
            disk.get("workload", "digest"),
            cold.get("workload", "digest"),
            "{w}"
        );
        // A process that starts at the other length reads the class's plan from disk too
        // (rebound to its extents): no optimiser, no compile, the bytes of a cold evaluation.
        let moved = eval_workload(tmp.path(), &[], w, N + 4096);
        assert_first_from_disk(&moved, w);
        assert_eq!(
            moved.get("workload", "digest"),
            other.get("workload", "digest"),
            "{w}: a plan rebound from disk differs from a cold evaluation"
        );
        // The plan read from disk was parametric, so its new length is a class hit too.
        assert_eq!(
            disk.num("after_new_length", "plan_class_hits"),
            disk.num("after_warm", "plan_class_hits") + 1,
            "{w}"
        );
        assert_eq!(
            disk.get("workload", "new_length_digest"),
            cold.get("workload", "new_length_digest")
        );
    }
}

#[test]
fn corrupt_or_truncated_plan_entries_are_misses() {
    let tmp = tempfile::tempdir().unwrap();
    let cold = eval_workload(tmp.path(), &[], "w4", N);
    let files = plan_entries(tmp.path());
    assert_eq!(files.len(), 1, "one plan per program: {files:?}");
    for (damage, f) in [0, 1, 2].iter().zip(std::iter::repeat(&files[0])) {
        let mut bytes = std::fs::read(f).unwrap();
        match damage {
            0 => {
                let mid = bytes.len() / 2;
                bytes[mid] ^= 0x21;
            }
            1 => bytes.truncate(bytes.len() - 3),
            _ => bytes.clear(),
        }
        std::fs::write(f, &bytes).unwrap();
        let again = eval_workload(tmp.path(), &[], "w4", N);
        assert_eq!(again.num("after_first", "plan_disk_hits"), 0);
        assert_eq!(again.num("after_first", "plan_misses"), 1);
        assert_eq!(
            again.get("workload", "digest"),
            cold.get("workload", "digest")
        );
        // The damaged entry was replaced by a good one.
        let third = eval_workload(tmp.path(), &[], "w4", N);
        assert_eq!(third.num("after_first", "plan_disk_hits"), 1);
    }
    // `kiln cache clear` removes plans as well as kernels.
    let out = support::kiln(tmp.path(), &[], &["cache", "clear"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("and 1 plans"));
    assert!(plan_entries(tmp.path()).is_empty());
}

#[test]
fn strict_mode_works_with_plans_on_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let cold = eval_workload(tmp.path(), &[], "w3", N);
    let strict = eval_workload(tmp.path(), &[("KILN_CACHE_STRICT", "1")], "w3", N);
    assert_eq!(strict.num("after_first", "plan_disk_hits"), 1);
    assert_eq!(strict.num("after_first", "compiles"), 0);
    assert_eq!(
        strict.get("workload", "digest"),
        cold.get("workload", "digest")
    );
    // A plan on disk does not stand in for a missing kernel: strict mode still refuses.
    std::fs::remove_dir_all(tmp.path().join("kernels")).unwrap();
    let out = support::kiln(
        tmp.path(),
        &[("KILN_CACHE_STRICT", "1")],
        &["eval-workload", "w3", "--n", &N.to_string()],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("strict"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
