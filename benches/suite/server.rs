//! The real binary as a separate process: CLI commands (timed) and servers (with their peak memory from
//! `/proc`), so the figures are those of what users run.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const BINARY: &str = env!("CARGO_BIN_EXE_customer-insights");

/// The log filter every command of the suite runs with (`--log`'s variable): warnings and errors only, so
/// a server writes no line per request, as PostGraphile runs with `--disable-query-log`.
pub const LOG_FILTER: (&str, &str) = ("CUSTOMER_INSIGHTS_LOG", "warn");

/// Runs `customer-insights ARGS`; returns stdout and the wall time. Panics with stderr on failure.
pub fn run(args: &[&str]) -> (String, Duration) {
    let started = Instant::now();
    let output =
        Command::new(BINARY).args(args).env(LOG_FILTER.0, LOG_FILTER.1).output().expect("run customer-insights");
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

/// The flags a server gets after the database and the address: no per-key rate limit (the load generator
/// is one client sending as fast as it can), no request deadline, and a response cache of
/// `response_cache_mib` (0 turns it off: repeated queries then measure the work itself, not the cache).
pub fn serve_flags(response_cache_mib: u32) -> Vec<String> {
    let flags = ["--rate-limit-per-second", "0", "--request-timeout-ms", "600000", "--response-cache-mib"];
    flags.into_iter().map(String::from).chain([response_cache_mib.to_string()]).collect()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port()
}

impl Server {
    /// Starts `serve` on a free port with an ADMIN key, `serve_flags(0)` (the response cache off) and
    /// `extra`.
    pub async fn start(database_url: &str, key: &str, extra: &[&str], log_dir: &Path, name: &str) -> Server {
        Server::launch(database_url, key, 0, extra, log_dir, name).await
    }

    /// Like `start`, with a response cache of `response_cache_mib`.
    pub async fn start_cached(
        database_url: &str,
        key: &str,
        response_cache_mib: u32,
        log_dir: &Path,
        name: &str,
    ) -> Server {
        Server::launch(database_url, key, response_cache_mib, &[], log_dir, name).await
    }

    async fn launch(
        database_url: &str,
        key: &str,
        response_cache_mib: u32,
        extra: &[&str],
        log_dir: &Path,
        name: &str,
    ) -> Server {
        let address = format!("127.0.0.1:{}", free_port());
        let log = log_dir.join(format!("{name}.log"));
        let flags = serve_flags(response_cache_mib);
        let mut args = vec!["serve", "--database-url", database_url, "--listen", &address];
        args.extend(flags.iter().map(String::as_str));
        args.extend_from_slice(extra);
        let child = Command::new(BINARY)
            .args(&args)
            .env(LOG_FILTER.0, LOG_FILTER.1)
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

    pub fn pid(&self) -> u32 {
        self.child.id()
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

    /// Runs `load` (a `wrk` run against this server) and returns its result with the SQL statements the
    /// server ran per GraphQL request meanwhile, from `/metrics`.
    pub async fn with_statements<T>(&self, load: impl FnOnce() -> T) -> (T, f64) {
        let counters = || async {
            let statements = self.metric("customer_insights_db_statements_total").await;
            (statements, self.metric("customer_insights_graphql_requests_total").await)
        };
        let (statements, requests) = counters().await;
        let result = load();
        // Requests still in flight when wrk stops finish within this pause and are counted by the server.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let (statements_after, requests_after) = counters().await;
        (result, (statements_after - statements) / (requests_after - requests).max(1.0))
    }

    /// The process's peak resident memory (`VmHWM`), in MiB.
    pub fn peak_memory_mib(&self) -> f64 {
        peak_memory_mib(self.child.id())
    }
}

/// A process's peak resident memory (`VmHWM`), in MiB; NaN once it is gone.
pub fn peak_memory_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
