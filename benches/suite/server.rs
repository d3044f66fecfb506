//! The real binary as a separate process: CLI commands (timed) and servers (with their peak memory from
//! `/proc`), so the figures are those of what users run.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const BINARY: &str = env!("CARGO_BIN_EXE_customer-insights");

/// Runs `customer-insights ARGS`; returns stdout and the wall time. Panics with stderr on failure.
pub fn run(args: &[&str]) -> (String, Duration) {
    let started = Instant::now();
    let output = Command::new(BINARY).args(args).env("RUST_LOG", "warn").output().expect("run customer-insights");
    let elapsed = started.elapsed();
    assert!(
        output.status.success(),
        "customer-insights {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    (String::from_utf8_lossy(&output.stdout).into_owned(), elapsed)
}

pub struct Server {
    child: Child,
    pub address: String,
    key: String,
    client: reqwest::Client,
    pub log: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port()
}

impl Server {
    /// Starts `serve` on a free port with an ADMIN key and without the per-key rate limit (the load
    /// generator is one client sending as fast as it can); `extra` adds flags.
    pub async fn start(database_url: &str, key: &str, extra: &[&str], log_dir: &Path, name: &str) -> Server {
        let address = format!("127.0.0.1:{}", free_port());
        let log = log_dir.join(format!("{name}.log"));
        let mut args = vec![
            "serve",
            "--database-url",
            database_url,
            "--listen",
            &address,
            "--rate-limit-per-second",
            "0",
            "--request-timeout-ms",
            "600000",
        ];
        args.extend_from_slice(extra);
        let child = Command::new(BINARY)
            .args(&args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("start the server");
        let server = Server {
            child,
            address: format!("http://{address}"),
            key: key.to_owned(),
            client: reqwest::Client::new(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let ready = server.client.get(format!("{}/readyz", server.address)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return server;
            }
            assert!(Instant::now() < deadline, "the server did not get ready; see {}", server.log.display());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn graphql_url(&self) -> String {
        format!("{}/graphql", self.address)
    }

    /// Posts a query and returns the whole response body (as text) and its `data`; panics on errors.
    pub async fn graphql(&self, query: &str) -> (String, Value) {
        let response = self
            .client
            .post(self.graphql_url())
            .bearer_auth(&self.key)
            .json(&json!({ "query": query }))
            .send()
            .await
            .expect("request");
        let status = response.status();
        let body = response.text().await.expect("body");
        let parsed: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON ({status}): {body}"));
        assert!(status.is_success() && parsed.get("errors").is_none(), "query failed ({status}): {body}");
        (body, parsed["data"].clone())
    }

    /// A counter from `/metrics`, summed over its labels.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self.client.get(format!("{}/metrics", self.address)).send().await.expect("metrics");
        let text = text.text().await.expect("metrics body");
        text.lines()
            .filter_map(|line| line.strip_prefix(name))
            .filter(|rest| rest.starts_with(['{', ' ']))
            .filter_map(|rest| rest.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
            .sum()
    }

    /// The process's peak resident memory (`VmHWM`), in MiB.
    pub fn peak_memory_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kib| kib / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
