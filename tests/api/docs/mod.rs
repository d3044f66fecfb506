//! The documentation is tested: every command and query it shows runs here, or in `.ci/run`.
//!
//! The rule, by the info string of a fenced block in `README.md`, `docs/*.md` or `examples/*.md`:
//!
//! - ` ```sh `: **run by `documented_commands_run`.** The `sh` blocks of one file are one bash session
//!   (`set -euo pipefail`), run in order in a fresh temporary directory, with the binary this test suite
//!   built first on `PATH`, on the suite's database (SQLite: the binary's default, `customer-insights.db`
//!   in that directory; with `TEST_DATABASE_URL`: a fresh PostgreSQL database in `DATABASE_URL`). Three
//!   rewrites make that possible, and only these: `cargo run --release --` becomes the built binary (the
//!   same program; a release build would take minutes), `:8080` becomes a free port (which
//!   `CUSTOMER_INSIGHTS_LISTEN` names too), and a line that runs `customer-insights ... serve` (without
//!   `--print-config` or `--help`, which print and exit) starts the server in the background and waits
//!   until its `/healthz` answers (a later `serve` replaces it; the last is stopped when the file ends). The session must exit 0 within five minutes, and print no
//!   GraphQL error (`"errors"`).
//! - ` ```sh ci `: **run by CI.** Each command line must appear verbatim in `.ci/run` or in a script that
//!   it runs (`bash PATH`): `cargo test --workspace`, and the client examples' steps.
//! - ` ```sh no-run `: shown, run by neither, because it needs what no test has: the benchmark machine
//!   and an hour, a nightly toolchain. Keep them few.
//! - ` ```graphql `: **validated** against the schema (`documented_queries_are_valid`). When the next
//!   fenced block is ` ```json answer `, the query also runs on a fresh `serve --demo` and its answer must
//!   be that block exactly (`data`, no errors); ` ```json excerpt ` must be contained in the answer
//!   (objects may leave out keys, lists items, keeping their order).
//! - Anything else (` ```toml `, ` ```json `, ` ```text `, no tag) is an example of a file or an output,
//!   never run. A block in another shell dialect (` ```bash `, ` ```console `, ...) fails the test, so
//!   no command escapes the rule by its tag.
//!
//! Links between these files (and to `BENCHMARKS.md`, `CHANGELOG.md` and the code) must resolve, anchors
//! included.

mod blocks;
mod links;
mod matching;
mod queries;
mod shell;

use std::path::{Path, PathBuf};

use blocks::{Block, Kind, documented_files, fenced_blocks};

/// The repository's root.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every fenced block of every documentation file, in file order.
fn all_blocks() -> Vec<Block> {
    documented_files(root()).iter().flat_map(|file| fenced_blocks(root(), file)).collect()
}

#[test]
fn every_block_has_a_known_tag() {
    let unknown: Vec<String> = all_blocks()
        .into_iter()
        .filter_map(|block| match block.kind {
            Kind::Unknown(tag) => Some(format!("{}: ```{tag}", block.location)),
            _ => None,
        })
        .collect();
    assert!(
        unknown.is_empty(),
        "blocks in a shell dialect the rule does not know (use sh, sh ci or sh no-run):\n{}",
        unknown.join("\n")
    );
}

#[test]
fn documented_links_resolve() {
    let mut files = documented_files(root());
    files.extend(["BENCHMARKS.md", "CHANGELOG.md"].map(PathBuf::from));
    let broken: Vec<String> = files.iter().flat_map(|file| links::broken_links(root(), file)).collect();
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn documented_ci_commands_are_in_the_ci_script() {
    let ci = shell::ci_scripts(root());
    let missing: Vec<String> = all_blocks()
        .iter()
        .filter(|block| block.kind == Kind::ShellCi)
        .flat_map(|block| block.command_lines().map(move |line| (block, line)))
        .filter(|(_, line)| !ci.iter().any(|script| script.contains(line.as_str())))
        .map(|(block, line)| format!("{}: {line}", block.location))
        .collect();
    assert!(missing.is_empty(), "commands shown as run by CI that .ci/run does not run:\n{}", missing.join("\n"));
}

#[tokio::test]
async fn documented_commands_run() {
    let blocks = all_blocks();
    let mut files: Vec<PathBuf> = blocks.iter().filter(|b| b.kind == Kind::Shell).map(|b| b.file.clone()).collect();
    files.dedup();
    assert!(files.len() >= 4, "too few documented sessions found: {files:?}");
    // The files' sessions are independent (a directory, a database and a port each): run them together.
    let sessions = files.iter().map(|file| {
        let session: Vec<&Block> = blocks.iter().filter(|b| &b.file == file && b.kind == Kind::Shell).collect();
        async move { shell::run_session(file, &session).await }
    });
    futures_util::future::join_all(sessions).await;
}

#[tokio::test]
async fn documented_queries_are_valid() {
    let blocks = all_blocks();
    queries::validate_all(&blocks).await;
    queries::compare_answers(&blocks).await;
}
