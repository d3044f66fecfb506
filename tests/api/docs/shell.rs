//! Running the `sh` blocks of one documentation file as one bash session, and reading the CI scripts.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::blocks::Block;
use crate::helpers::TestDatabase;

/// How long one file's session may take.
const SESSION_TIMEOUT: Duration = Duration::from_secs(300);

/// Defined before the documented commands: `__serve` starts a server in the background and waits for
/// its `/healthz`; the servers are stopped when the session ends, however it ends.
const PRELUDE: &str = r#"set -euo pipefail
__servers=()
__stop_servers() {
  for pid in "${__servers[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  __servers=()
}
trap __stop_servers EXIT
__serve() {
  __stop_servers
  "$@" >>"$__SERVER_LOG" 2>&1 &
  __servers+=("$!")
  for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$__PORT/healthz" >/dev/null && return 0
    kill -0 "$!" 2>/dev/null || { echo "the server exited; its log:" >&2; cat "$__SERVER_LOG" >&2; return 1; }
    sleep 0.1
  done
  echo "the server did not answer /healthz within 60 s" >&2
  return 1
}
"#;

/// The session's script: the prelude, then each block after a marker naming it, with the rewrites of
/// the rule in `mod.rs`.
fn script(blocks: &[&Block], port: u16) -> String {
    let mut script = PRELUDE.to_owned();
    for block in blocks {
        script += &format!("echo '== {}' >&2\n", block.location);
        for line in block
            .text
            .replace("cargo run --release --", "customer-insights")
            .replace(":8080", &format!(":{port}"))
            .lines()
        {
            let words: Vec<&str> = line.split_whitespace().collect();
            // `--print-config` and `--help` print and exit: they run in the foreground like any command.
            let serves = words.first() == Some(&"customer-insights")
                && words.contains(&"serve")
                && !words.iter().any(|word| ["--print-config", "--help"].contains(word))
                && !line.trim_end().ends_with('&');
            script += &if serves { format!("__serve {line}\n") } else { format!("{line}\n") };
        }
    }
    script
}

pub async fn run_session(file: &Path, blocks: &[&Block]) {
    // A PostgreSQL database of its own per file; on SQLite, the binary's default file in `dir`.
    let database = std::env::var("TEST_DATABASE_URL").is_ok_and(|url| !url.is_empty());
    let database = if database { Some(TestDatabase::create().await) } else { None };
    let dir = tempfile::tempdir().expect("temp dir");
    let logs = tempfile::tempdir().expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let binary = Path::new(env!("CARGO_BIN_EXE_customer-insights"));
    let path = format!("{}:{}", binary.parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    let server_log = logs.path().join("server.log");

    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(script(blocks, port))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", path)
        .env("HOME", dir.path())
        .env("LANG", "C.UTF-8")
        .env("CUSTOMER_INSIGHTS_LISTEN", format!("127.0.0.1:{port}"))
        .env("__PORT", port.to_string())
        .env("__SERVER_LOG", &server_log)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(database) = &database {
        command.env("DATABASE_URL", &database.url);
    }
    // Its own process group, so a timeout can stop the session and every server it started.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let child = command.spawn().expect("start bash");
    let pid = child.id();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output());
    let output = match tokio::time::timeout(SESSION_TIMEOUT, output).await {
        Ok(output) => output.expect("join").expect("wait for bash"),
        Err(_) => {
            let _ = Command::new("kill").args(["-KILL", &format!("-{pid}")]).status();
            panic!("{}: the documented commands did not finish within {SESSION_TIMEOUT:?}", file.display());
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report = || {
        let server = std::fs::read_to_string(&server_log).unwrap_or_default();
        format!("stdout:\n{stdout}\nstderr (`== FILE:LINE` marks each block):\n{stderr}\nserver log:\n{server}")
    };
    assert!(
        output.status.success(),
        "{}: a documented command failed ({}).\n{}",
        file.display(),
        output.status,
        report()
    );
    assert!(
        !stdout.contains("\"errors\""),
        "{}: a documented command printed a GraphQL error.\n{}",
        file.display(),
        report()
    );
}

/// `.ci/run` and every script it runs with `bash PATH`.
pub fn ci_scripts(root: &Path) -> Vec<String> {
    let ci = std::fs::read_to_string(root.join(".ci/run")).expect("read .ci/run");
    let mut scripts: Vec<String> = ci
        .lines()
        .filter_map(|line| line.trim().strip_prefix("bash "))
        .filter_map(|rest| rest.split_whitespace().next())
        .filter_map(|path| std::fs::read_to_string(root.join(path)).ok())
        .collect();
    scripts.push(ci);
    scripts
}
