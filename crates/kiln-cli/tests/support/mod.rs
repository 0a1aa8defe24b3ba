//! Running the `kiln` binary in tests: each call is a fresh process on the given cache
//! directory with every cache and optimiser variable of the caller's environment removed (only
//! `env` sets them), and `eval-workload`'s `key=value` lines parsed into a `Report`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `kiln args` on the cache directory `dir` with the variables `env`.
pub fn kiln(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kiln"));
    c.args(args)
        .env("KILN_CACHE_DIR", dir)
        .env_remove("KILN_CACHE")
        .env_remove("KILN_CACHE_STRICT")
        .env_remove("KILN_CACHE_RECORD")
        .env_remove("KILN_CACHE_MAX_BYTES")
        .env_remove("KILN_OPT");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run kiln")
}

/// The `key=value` fields of eval-workload's lines, by line prefix (`workload`, `after_first`,
/// `after_warm`, `after_new_length`).
pub struct Report(HashMap<String, HashMap<String, String>>);

impl Report {
    pub fn get(&self, line: &str, field: &str) -> String {
        self.0
            .get(line)
            .and_then(|l| l.get(field))
            .unwrap_or_else(|| panic!("no {field} in {line}"))
            .clone()
    }
    pub fn num(&self, line: &str, field: &str) -> u64 {
        self.get(line, field).parse().expect("a count")
    }
}

/// Parses eval-workload's output.
pub fn parse(stdout: &str) -> Report {
    let mut lines = HashMap::new();
    for line in stdout.lines() {
        let (name, rest) = match line.split_once(": ") {
            Some((n, r)) => (n.to_string(), r),
            None => ("workload".to_string(), line),
        };
        let fields = rest
            .split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        lines.insert(name, fields);
    }
    Report(lines)
}

/// `kiln eval-workload w --n n --repeat 2`, which must succeed.
pub fn eval_workload(dir: &Path, env: &[(&str, &str)], w: &str, n: usize) -> Report {
    let n = n.to_string();
    let out = kiln(dir, env, &["eval-workload", w, "--n", &n, "--repeat", "2"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "kiln eval-workload {w} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse(&stdout)
}

/// The entry files of one section (`kernels`, `plans`) of the cache at `dir`.
pub fn entries(dir: &Path, section: &str) -> Vec<PathBuf> {
    match std::fs::read_dir(dir.join(section)) {
        Ok(rd) => rd.flatten().map(|e| e.path()).collect(),
        Err(_) => Vec::new(),
    }
}
