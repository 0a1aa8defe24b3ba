//! `kiln`: the command-line tool.
//!
//! ```text
//! kiln info                               version, devices, CPU features, cache location and size
//! kiln cache ls | stats | clear           the disk cache's entries
//! kiln cache prune [--max-bytes N]        least-recently-used pruning down to a bound
//! kiln cache export BUNDLE [--keys FILE]  entries (all, or those a record file lists) to a bundle
//! kiln cache import BUNDLE                a bundle's entries into this cache
//! kiln eval-workload W [--n N]            time W1-W4's first and warm evaluations (benchmarks, tests)
//! ```
//!
//! The cache directory follows `KILN_CACHE_DIR` / `KILN_CACHE` like the library does.
//! Invariant: every failure is reported on stderr with a non-zero exit status, never a panic.

mod cache_cmd;
mod info;
mod workloads;

use clap::{Arg, ArgAction, Command, value_parser};
use std::process::ExitCode;

fn cli() -> Command {
    let bundle = || {
        Arg::new("bundle")
            .required(true)
            .value_parser(value_parser!(std::path::PathBuf))
    };
    Command::new("kiln")
        .about("kiln: lazy array compiler tools")
        .version(env!("CARGO_PKG_VERSION"))
        .subcommand_required(true)
        .subcommand(Command::new("info").about("Version, devices, CPU features, cache location and size"))
        .subcommand(
            Command::new("cache")
                .about("Manage the on-disk kernel cache")
                .subcommand_required(true)
                .subcommand(Command::new("ls").about("List entries (least recently used first)"))
                .subcommand(Command::new("stats").about("Entry count, total size and bound"))
                .subcommand(Command::new("clear").about("Remove every entry"))
                .subcommand(
                    Command::new("prune")
                        .about("Remove least recently used entries down to a size")
                        .arg(Arg::new("max-bytes").long("max-bytes").help("Size bound (123, 64K, 256M, 1G); default: the cache's bound")),
                )
                .subcommand(
                    Command::new("export")
                        .about("Write entries to a bundle")
                        .arg(bundle())
                        .arg(
                            Arg::new("keys")
                                .long("keys")
                                .help("A record file (KILN_CACHE_RECORD) naming the entries; default: all")
                                .value_parser(value_parser!(std::path::PathBuf)),
                        ),
                )
                .subcommand(Command::new("import").about("Store a bundle's entries").arg(bundle())),
        )
        .subcommand(
            Command::new("eval-workload")
                .about("Evaluate a workload (w1-w4) twice and print timings and cache counters")
                .arg(Arg::new("workload").required(true))
                .arg(Arg::new("n").long("n").default_value("1000000").value_parser(value_parser!(usize)))
                .arg(Arg::new("repeat").long("repeat").default_value("5").value_parser(value_parser!(usize)))
                .arg(Arg::new("quiet").long("quiet").action(ArgAction::SetTrue)),
        )
}

fn main() -> ExitCode {
    let matches = cli().get_matches();
    let result = match matches.subcommand() {
        Some(("info", _)) => info::run(),
        Some(("cache", m)) => cache_cmd::run(m),
        Some(("eval-workload", m)) => workloads::run(m),
        _ => Err("unknown command".to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kiln: {e}");
            ExitCode::FAILURE
        }
    }
}
