//! Side by side with PostGraphile v4 (PostgreSQL only; `BENCH_POSTGRAPHILE` names its executable, which
//! `bench/run` installs): one page, four levels deep, from this server and from PostGraphile on the nested
//! data set's database. The two answers must hold the same rows before either is loaded; then `wrk` loads
//! each at 1, 4 and 16 clients, the servers taking turns at each level, in `ROUNDS` rounds, so that
//! whatever drifts during the suite (caches, the machine's other load, which comes and goes over tens of
//! seconds on a shared host) falls on both alike. Each run also records the CPU the server
//! and PostgreSQL used: a server can be fast by handing work to the database. Both servers' peak memory
//! goes into the suite's memory table.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{Value, json};

use crate::cpu::{Meter, Watch};
use crate::load::{self, LoadResult};
use crate::server::{LOG_FILTER, Server, free_port, peak_memory_mib, serve_flags};
use crate::{BenchDatabase, PeakMemory, Settings, create_key};

const OURS: &str = "{ customers(first: 50, orderBy: {field: ID}) { nodes { externalId name segment region \
    orders(first: 10, orderBy: {field: ID}) { nodes { externalId placedAt status \
    touchpoints(first: 10, orderBy: {field: ID}) { nodes { externalId kind channel occurredAt \
    feedback(first: 10, orderBy: {field: ID}) { nodes { externalId metric score submittedAt } } } } } } } } }";

const THEIRS: &str = "{ allCustomersList(first: 50, orderBy: ID_ASC) { externalId name segment region \
    ordersByCustomerIdList(first: 10, orderBy: ID_ASC) { externalId placedAt status \
    touchpointsByOrderIdList(first: 10, orderBy: ID_ASC) { externalId kind channel occurredAt \
    feedbacksByTouchpointIdList(first: 10, orderBy: ID_ASC) { externalId metric score submittedAt } } } } }";

/// Per level: the list field, and the field compared besides `externalId` (the timestamps are not:
/// the two servers format them differently).
const OUR_LEVELS: [(&str, &str); 4] =
    [("customers", "name"), ("orders", "status"), ("touchpoints", "kind"), ("feedback", "score")];
const THEIR_LEVELS: [(&str, &str); 4] = [
    ("allCustomersList", "name"),
    ("ordersByCustomerIdList", "status"),
    ("touchpointsByOrderIdList", "kind"),
    ("feedbacksByTouchpointIdList", "score"),
];
const LEVEL_NAMES: [&str; 4] = ["customer", "order", "touchpoint", "answer"];

/// Plain lists (`--simple-collections only`) for the page above; PostGraphile's defaults otherwise.
fn postgraphile_args(database_url: &str, port: &str) -> Vec<String> {
    let connection = ["-c", database_url, "--simple-collections", "only", "--host", "127.0.0.1", "--port", port];
    connection.into_iter().chain(["--disable-query-log", "--disable-graphiql"]).map(String::from).collect()
}

/// (level, externalId, compared field) of every object of an answer, in document order.
type Row = (usize, Value, Value);

fn flatten(parent: &Value, levels: &[(&str, &str)], connections: bool, level: usize, rows: &mut Vec<Row>) {
    let Some((field, compared)) = levels.get(level) else { return };
    let list = if connections { &parent[field]["nodes"] } else { &parent[field] };
    for object in list.as_array().into_iter().flatten() {
        rows.push((level, object["externalId"].clone(), object[compared].clone()));
        flatten(object, levels, connections, level + 1, rows);
    }
}

fn rows(data: &Value, levels: &[(&str, &str)], connections: bool) -> Vec<Row> {
    let mut rows = Vec::new();
    flatten(data, levels, connections, 0, &mut rows);
    rows
}

fn same_rows(ours: &[Row], theirs: &[Row]) -> Result<usize, String> {
    let show = |(level, id, field): &Row| format!("{} {id} {field}", LEVEL_NAMES[*level]);
    match ours.iter().zip(theirs).position(|(a, b)| a != b) {
        Some(i) => Err(format!("row {i}: this server has {}, PostGraphile {}", show(&ours[i]), show(&theirs[i]))),
        None if ours.len() != theirs.len() => {
            Err(format!("{} rows from this server, {} from PostGraphile", ours.len(), theirs.len()))
        }
        None if ours.is_empty() => Err("both pages are empty".to_owned()),
        None => Ok(ours.len()),
    }
}

/// PostGraphile as spawned. Its script starts with `#!/usr/bin/env node` and `env` execs Node in its own
/// place, so the child's PID is the Node process that serves (a single one without `--cluster-workers`).
struct PostGraphile {
    child: Child,
    url: String,
    client: reqwest::Client,
    log: PathBuf,
}

impl PostGraphile {
    async fn start(executable: &str, database_url: &str, dir: &Path) -> Result<PostGraphile, String> {
        let port = free_port().to_string();
        let log = dir.join("postgraphile.log");
        let log_file = std::fs::File::create(&log).expect("log file");
        let child = Command::new(executable)
            .args(postgraphile_args(database_url, &port))
            .stdout(log_file.try_clone().expect("log file"))
            .stderr(log_file)
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not run {executable}: {e}"))?;
        let mut peer = PostGraphile {
            child,
            url: format!("http://127.0.0.1:{port}/graphql"),
            client: reqwest::Client::new(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let answer = peer.graphql("{ __typename }").await;
            if answer.is_ok() {
                return Ok(peer);
            }
            let exited = peer.child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() > deadline {
                let log = std::fs::read_to_string(&peer.log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect();
                return Err(format!(
                    "PostGraphile did not start ({exited:?}, {answer:?}); its log ends: {}",
                    tail.join(" / ")
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The whole response body and its `data`, or what went wrong.
    async fn graphql(&self, query: &str) -> Result<(String, Value), String> {
        let response =
            self.client.post(&self.url).json(&json!({ "query": query })).send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.text().await.map_err(|e| e.to_string())?;
        match serde_json::from_str::<Value>(&body) {
            Ok(parsed) if status.is_success() && parsed.get("errors").is_none() => Ok((body, parsed["data"].clone())),
            _ => Err(format!("{status}: {body}")),
        }
    }
}

impl Drop for PostGraphile {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One server under load: where to post what, and what every response must hold.
struct Side {
    url: String,
    key: Option<String>,
    request: String,
    expected: String,
    pid: u32,
}

struct Run {
    load: LoadResult,
    server_cores: f64,
    postgres_cores: Option<f64>,
}

/// Rounds per level: each server is loaded this many times, the two taking turns.
const ROUNDS: usize = 3;

impl Run {
    /// The rounds of one server at one level as one run: requests/s and CPU over all of them, the median
    /// round's p50 and the worst round's p99.
    fn of_rounds(rounds: &[Run]) -> Run {
        let seconds = |run: &Run| run.load.requests as f64 / run.load.requests_per_second.max(f64::MIN_POSITIVE);
        let total_seconds: f64 = rounds.iter().map(seconds).sum();
        let over_time = |value: &dyn Fn(&Run) -> f64| {
            rounds.iter().map(|run| value(run) * seconds(run)).sum::<f64>() / total_seconds.max(f64::MIN_POSITIVE)
        };
        let mut p50s: Vec<f64> = rounds.iter().map(|run| run.load.p50_ms).collect();
        p50s.sort_by(f64::total_cmp);
        let sum = |count: &dyn Fn(&LoadResult) -> u64| rounds.iter().map(|run| count(&run.load)).sum::<u64>();
        let requests = sum(&|load| load.requests);
        Run {
            load: LoadResult {
                requests,
                correct: sum(&|load| load.correct),
                wrong: sum(&|load| load.wrong),
                socket_errors: sum(&|load| load.socket_errors),
                requests_per_second: requests as f64 / total_seconds.max(f64::MIN_POSITIVE),
                p50_ms: p50s.get(p50s.len() / 2).copied().unwrap_or(0.0),
                p99_ms: rounds.iter().map(|run| run.load.p99_ms).fold(0.0, f64::max),
            },
            server_cores: over_time(&|run| run.server_cores),
            postgres_cores: rounds
                .iter()
                .all(|run| run.postgres_cores.is_some())
                .then(|| over_time(&|run| run.postgres_cores.unwrap_or(0.0))),
        }
    }
}

async fn measure(side: &Side, postmaster: Option<u32>, clients: u32, seconds: u32, dir: &Path) -> Run {
    let server = Meter::start(Watch::Process(side.pid));
    let postgres = postmaster.map(|postmaster| Meter::start(Watch::Postgres { postmaster }));
    let load = load::run(&side.url, side.key.as_deref(), &side.request, &side.expected, clients, seconds, dir);
    let run = Run { server_cores: server.cores(), postgres_cores: postgres.map(|m| m.cores()), load };
    // Requests still in flight when wrk stops finish within this pause, before the other server's run.
    tokio::time::sleep(Duration::from_secs(2)).await;
    run
}

/// The postmaster serving `url`, when it runs on this machine; otherwise PostgreSQL's CPU is not measured.
async fn postmaster(url: &str) -> Option<u32> {
    let db = Database::connect(url).await.expect("connect");
    let statement = Statement::from_string(DbBackend::Postgres, "SELECT pg_backend_pid() AS pid");
    let row = db.query_one_raw(statement).await.expect("pg_backend_pid()")?;
    let backend: i32 = row.try_get("", "pid").expect("a pid");
    crate::cpu::postmaster_of(u32::try_from(backend).ok()?)
}

fn version(program: &str) -> String {
    Command::new(program)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "?".to_owned())
}

fn cores(cores: Option<f64>) -> String {
    cores.map_or("-".to_owned(), |c| format!("{c:.2}"))
}

pub async fn side_by_side(
    settings: &Settings,
    executable: &str,
    database: &BenchDatabase,
    dir: &Path,
    out: &mut String,
    memory: &mut Vec<PeakMemory>,
) {
    let seconds = settings.load_seconds;
    let key = create_key(&database.url, "peer");
    let ours = Server::start(&database.url, &key, &[], dir, "peer").await;
    let wrk: Vec<String> = [1, 4, 16].map(|c| format!("`wrk {}`", load::wrk_options(c, seconds).join(" "))).to_vec();
    let _ = writeln!(
        out,
        "### Side by side with PostGraphile\n\nThe same page from this server and from PostGraphile {} (Node {}), both on \
         the nested data set's database: 50 customers → up to 10 orders each → up to 10 touchpoints each → up to 10 \
         answers each, ordered by id, without `totalCount`. Each server's pool holds 10 connections (both defaults). `wrk` with the \
         script of `load.rs` for {seconds} s per run, the two servers taking turns at each level in {ROUNDS} rounds \
         (requests/s and CPU over all rounds, the median round's p50, the worst round's p99); each server's \
         responses must match its own first answer. *CPU cores*: the server process's user + system time over the \
         run's wall time (`/proc/PID/stat`); *PostgreSQL*: the same summed over the cluster's processes during that \
         server's run. *Ratio*: this server's requests/s over PostGraphile's.\n\n\
         - this server: `{}={} customer-insights serve --database-url $DATABASE_URL --listen 127.0.0.1:$PORT {}`, \
         with an API key\n- PostGraphile: `postgraphile {}`, without authentication\n- load: {}, each with `-s load.lua URL`\n\n\
         ```graphql\n{OURS}\n```\n\n```graphql\n{THEIRS}\n```\n",
        version(executable),
        version("node"),
        LOG_FILTER.0,
        LOG_FILTER.1,
        serve_flags(0).join(" "),
        postgraphile_args("$DATABASE_URL", "$PORT").join(" "),
        wrk.join(", "),
    );
    let theirs = match PostGraphile::start(executable, &database.url, dir).await {
        Ok(theirs) => theirs,
        Err(e) => {
            println!("PostGraphile: {e}");
            let _ = writeln!(out, "Same rows: **no**: {e}\n");
            memory.push(PeakMemory::ours("side-by-side server, PostGraphile not started", &ours));
            return;
        }
    };
    let (our_body, our_data) = ours.graphql(OURS).await;
    let same = match theirs.graphql(THEIRS).await {
        Ok((their_body, their_data)) => {
            same_rows(&rows(&our_data, &OUR_LEVELS, true), &rows(&their_data, &THEIR_LEVELS, false))
                .map(|count| (count, their_body))
        }
        Err(e) => Err(format!("PostGraphile answered {e}")),
    };
    let their_body = match same {
        Ok((count, their_body)) => {
            println!("PostGraphile: same {count} rows");
            let _ = writeln!(
                out,
                "Same rows: **yes**, {count} (every customer, order, touchpoint and answer in document order, \
                 compared by `externalId` and name, status, kind or score).\n"
            );
            their_body
        }
        Err(e) => {
            println!("PostGraphile: rows differ: {e}");
            let _ = writeln!(out, "Same rows: **no**: {e}. Not loaded.\n");
            memory.push(PeakMemory::ours("side-by-side server, not loaded", &ours));
            return;
        }
    };
    let sides = [
        Side {
            url: ours.graphql_url(),
            key: Some(key.clone()),
            request: json!({ "query": OURS }).to_string(),
            expected: load::expected_data(&our_body),
            pid: ours.pid(),
        },
        Side {
            url: theirs.url.clone(),
            key: None,
            request: json!({ "query": THEIRS }).to_string(),
            expected: load::expected_data(&their_body),
            pid: theirs.child.id(),
        },
    ];
    let postmaster = postmaster(&database.url).await;
    let _ = writeln!(
        out,
        "| clients | this server req/s | p50 ms | p99 ms | CPU cores | PostGraphile req/s | p50 ms | p99 ms | CPU cores \
         | PostgreSQL CPU cores (ours / theirs) | ratio |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let mut checked = [(0, 0, 0); 2];
    for clients in [1, 4, 16] {
        let mut rounds: [Vec<Run>; 2] = [Vec::with_capacity(ROUNDS), Vec::with_capacity(ROUNDS)];
        for _ in 0..ROUNDS {
            for (side, rounds) in sides.iter().zip(&mut rounds) {
                let run = measure(side, postmaster, clients, seconds, dir).await;
                println!("{} at {clients}: {:?}, {:.2} cores", side.url, run.load, run.server_cores);
                rounds.push(run);
            }
        }
        let runs = rounds.map(|rounds| Run::of_rounds(&rounds));
        for (run, checked) in runs.iter().zip(&mut checked) {
            *checked = (checked.0 + run.load.correct, checked.1 + run.load.wrong, checked.2 + run.load.socket_errors);
        }
        let (a, b) = (&runs[0], &runs[1]);
        let _ = writeln!(
            out,
            "| {clients} | {:.0} | {:.2} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} | {:.2} | {} / {} | {:.2} |",
            a.load.requests_per_second,
            a.load.p50_ms,
            a.load.p99_ms,
            a.server_cores,
            b.load.requests_per_second,
            b.load.p50_ms,
            b.load.p99_ms,
            b.server_cores,
            cores(a.postgres_cores),
            cores(b.postgres_cores),
            a.load.requests_per_second / b.load.requests_per_second,
        );
    }
    let [(c0, w0, e0), (c1, w1, e1)] = checked;
    let _ = writeln!(
        out,
        "\nResponses over the three levels: this server {c0} correct, {w0} wrong, {e0} socket errors; PostGraphile \
         {c1} correct, {w1} wrong, {e1} socket errors.\n"
    );
    memory.push(PeakMemory::ours("side-by-side server, after 1, 4 and 16 clients", &ours));
    memory.push(PeakMemory {
        server: "PostGraphile (Node), after 1, 4 and 16 clients".to_owned(),
        mib: peak_memory_mib(theirs.child.id()),
        ours: false,
    });
}
