//! The benchmark suite, for one backend: `cargo bench --bench suite` (SQLite), or with
//! `BENCH_BACKEND=postgres BENCH_POSTGRES_URL=postgres://USER@HOST/DB` (a database it may create others
//! from). `bench/run` runs both and writes `BENCHMARKS.md`. Every figure comes from the release binary
//! run as users run it (`seed`, `serve`, `export`, `import`), on data the `seed` command generates:
//!
//! 1. seeds the large data set (about a million answers) and times it;
//! 2. times each insights query through the server against hand-written SQL on the same database,
//!    checking both give the same numbers (satisfaction queries also through a second server that reads
//!    rows instead of rollups);
//! 3. seeds the nested data set and loads the nested page with `wrk` at 1, 4 and 16 clients, checking
//!    every response and counting SQL statements per request from `/metrics`;
//! 4. on PostgreSQL with `BENCH_POSTGRAPHILE` (the path of a PostGraphile 4 executable), loads a page of the
//!    nested data set from this server and from PostGraphile side by side (`peer.rs`);
//! 5. loads the nested page and an insight from a server with the response cache on, beside the same
//!    queries without it (`cache.rs`);
//! 6. writes answers into the nested data set under load, one per request and 1,000 per request, then
//!    checks the rollups against a fresh computation (`writes.rs`);
//! 7. exports the nested data set (with the answers step 6 added) and times its import into an empty
//!    database;
//! 8. reports the peak memory of every server started.
//!
//! Servers run with the response cache off (`server::serve_flags`) except in step 5: the other figures
//! are those of the work behind an answer, not of the cache.
//!
//! Settings (environment): `BENCH_CUSTOMERS` (100000), `BENCH_NESTED_CUSTOMERS` (10000),
//! `BENCH_PULSE_SURVEYS` (6.5 relationship surveys per customer and year), `BENCH_RUNS` (7 timed runs
//! per query), `BENCH_LOAD_SECONDS` (10 per load level), `BENCH_OUT` (the Markdown written),
//! `BENCH_ONLY=insights` (steps 1 and 2 only, to check the insights cases).

mod cache;
mod cases;
mod complaint_cases;
mod cpu;
mod load;
mod loyalty_cases;
mod peer;
mod satisfaction_cases;
mod server;
mod writes;

use std::fmt::Write as _;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, QueryResult, Statement};

use cases::{Case, backend_name};
use load::LoadResult;
use server::{Server, run};

struct Settings {
    backend: DbBackend,
    postgres_admin: Option<String>,
    postgraphile: Option<String>,
    customers: u32,
    nested_customers: u32,
    pulse_surveys: f64,
    runs: usize,
    load_seconds: u32,
    /// Only step 2 (the insights queries): `BENCH_ONLY=insights`, to check the cases quickly.
    insights_only: bool,
    out: PathBuf,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

impl Settings {
    fn from_env() -> Settings {
        let backend = match std::env::var("BENCH_BACKEND").as_deref() {
            Ok("postgres") => DbBackend::Postgres,
            Ok("sqlite") | Err(_) => DbBackend::Sqlite,
            Ok(other) => panic!("BENCH_BACKEND must be sqlite or postgres, not {other}"),
        };
        let postgres_admin = std::env::var("BENCH_POSTGRES_URL").ok();
        assert!(backend != DbBackend::Postgres || postgres_admin.is_some(), "BENCH_POSTGRES_URL is required");
        let out = std::env::var("BENCH_OUT")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(format!("target/bench/{}.md", backend_name(backend))));
        Settings {
            backend,
            postgres_admin,
            postgraphile: std::env::var("BENCH_POSTGRAPHILE").ok().filter(|_| backend == DbBackend::Postgres),
            customers: env_or("BENCH_CUSTOMERS", 100_000),
            nested_customers: env_or("BENCH_NESTED_CUSTOMERS", 10_000),
            pulse_surveys: env_or("BENCH_PULSE_SURVEYS", 6.5),
            runs: env_or("BENCH_RUNS", 7),
            load_seconds: env_or("BENCH_LOAD_SECONDS", 10),
            insights_only: std::env::var("BENCH_ONLY").is_ok_and(|only| only == "insights"),
            out,
        }
    }
}

/// A database made for this run: a SQLite file in the work directory, or a PostgreSQL database
/// (dropped at the end).
struct BenchDatabase {
    url: String,
    postgres: Option<(String, String)>,
}

impl BenchDatabase {
    async fn create(settings: &Settings, name: &str, dir: &Path) -> BenchDatabase {
        match &settings.postgres_admin {
            Some(admin) if settings.backend == DbBackend::Postgres => {
                let database = format!("bench_{name}_{}", std::process::id());
                let connection = Database::connect(admin.as_str()).await.expect("connect to BENCH_POSTGRES_URL");
                connection.execute_unprepared(&format!("CREATE DATABASE {database}")).await.expect("create database");
                let (base, _) = admin.rsplit_once('/').expect("BENCH_POSTGRES_URL ends with /DATABASE");
                BenchDatabase { url: format!("{base}/{database}"), postgres: Some((admin.clone(), database)) }
            }
            _ => {
                BenchDatabase { url: format!("sqlite://{}", dir.join(format!("{name}.db")).display()), postgres: None }
            }
        }
    }

    async fn drop_database(self) {
        if let Some((admin, database)) = self.postgres {
            let connection = Database::connect(admin.as_str()).await.expect("connect");
            let _ = connection.execute_unprepared(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")).await;
        }
    }
}

/// The median of up to `runs` timed runs (at least 3, fewer than `runs` once 30 s are spent), after
/// one untimed warm-up run.
async fn median_ms<F, Fut>(runs: usize, mut f: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    f().await;
    let started = Instant::now();
    let mut times = Vec::with_capacity(runs);
    while times.len() < runs && (times.len() < 3 || started.elapsed() < Duration::from_secs(30)) {
        let t = Instant::now();
        f().await;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

async fn run_sql(db: &DatabaseConnection, statements: &[String]) -> Vec<Vec<QueryResult>> {
    let backend = db.get_database_backend();
    let mut results = Vec::with_capacity(statements.len());
    for sql in statements {
        let rows = db.query_all_raw(Statement::from_string(backend, sql.clone())).await;
        results.push(rows.unwrap_or_else(|e| panic!("hand-written SQL failed: {e}\n{sql}")));
    }
    results
}

/// `seeded N customers, N orders, N touchpoints, N feedback` → the four numbers.
fn seeded_counts(stdout: &str) -> [u64; 4] {
    let numbers: Vec<u64> = stdout.split(|c: char| !c.is_ascii_digit()).filter_map(|s| s.parse().ok()).collect();
    [numbers[0], numbers[1], numbers[2], numbers[3]]
}

fn seed(url: &str, customers: u32, pulse: f64) -> ([u64; 4], Duration, String) {
    let (customers, pulse) = (customers.to_string(), pulse.to_string());
    let args = ["seed", "--database-url", url, "--customers", &customers, "--pulse-surveys-per-year", &pulse];
    let (stdout, elapsed) = run(&args);
    let command = format!("customer-insights seed --customers {customers} --pulse-surveys-per-year {pulse}");
    (seeded_counts(&stdout), elapsed, command)
}

/// An ADMIN key named `name` (unique per database: several steps load the same database).
fn create_key(url: &str, name: &str) -> String {
    let (stdout, _) = run(&["keys", "--database-url", url, "create", "--role", "ADMIN", "--name", name]);
    stdout.lines().next().expect("a key").trim().to_owned()
}

struct InsightRow {
    name: &'static str,
    rollups: bool,
    server_ms: f64,
    rows_server_ms: Option<f64>,
    sql_ms: f64,
    check: Result<(), String>,
}

async fn insights(settings: &Settings, dir: &Path, out: &mut String, memory: &mut Vec<PeakMemory>) {
    let database = BenchDatabase::create(settings, "large", dir).await;
    let (counts, elapsed, command) = seed(&database.url, settings.customers, settings.pulse_surveys);
    let _ = writeln!(
        out,
        "Large data set: {} customers, {} orders, {} touchpoints, **{} feedback**, seeded in **{:.0} s** \
         (`{command}`, release build, rollups included).\n",
        counts[0],
        counts[1],
        counts[2],
        counts[3],
        elapsed.as_secs_f64()
    );
    println!("seeded {counts:?} in {:.1} s", elapsed.as_secs_f64());
    let key = create_key(&database.url, "insights");
    let server = Server::start(&database.url, &key, &[], dir, "insights").await;
    let rows_server =
        Server::start(&database.url, &key, &["--satisfaction-rollups", "false"], dir, "insights-rows").await;
    let db = Database::connect(database.url.as_str()).await.expect("connect");
    let mut cases: Vec<Case> = satisfaction_cases::satisfaction_cases(settings.backend);
    cases.extend(loyalty_cases::loyalty_cases(settings.backend));
    cases.extend(complaint_cases::complaint_cases(settings.backend));
    let mut rows = Vec::new();
    for case in &cases {
        let (_, data) = server.graphql(&case.graphql).await;
        let sql_rows = run_sql(&db, &case.sql).await;
        let check = (case.check)(&data, &sql_rows);
        let server_ms = median_ms(settings.runs, || async {
            server.graphql(&case.graphql).await;
        })
        .await;
        let rows_server_ms = if case.rollups {
            Some(
                median_ms(settings.runs, || async {
                    rows_server.graphql(&case.graphql).await;
                })
                .await,
            )
        } else {
            None
        };
        let sql_ms = median_ms(settings.runs, || async {
            run_sql(&db, &case.sql).await;
        })
        .await;
        println!(
            "{}: server {server_ms:.1} ms, rows {rows_server_ms:?} ms, SQL {sql_ms:.1} ms, check {check:?}",
            case.name
        );
        rows.push(InsightRow { name: case.name, rollups: case.rollups, server_ms, rows_server_ms, sql_ms, check });
    }
    let _ = writeln!(
        out,
        "### Insights: server against hand-written SQL\n\nMedian of up to {} runs after a warm-up; the server \
         time is a full HTTP round trip with an API key. *Without rollups*: a second server on the same database \
         with `--satisfaction-rollups false`. *Same numbers*: the benchmark compares the server's answer with \
         the SQL's.\n\n| query | rollups | server ms | without rollups ms | hand-written SQL ms | server / SQL | same numbers |\n|---|---|---:|---:|---:|---:|---|",
        settings.runs
    );
    for row in &rows {
        let _ = writeln!(
            out,
            "| {} | {} | {:.1} | {} | {:.1} | {:.2} | {} |",
            row.name,
            if row.rollups { "yes" } else { "no" },
            row.server_ms,
            row.rows_server_ms.map_or("-".to_owned(), |ms| format!("{ms:.1}")),
            row.sql_ms,
            row.server_ms / row.sql_ms,
            match &row.check {
                Ok(()) => "yes".to_owned(),
                Err(e) => format!("**no**: {e}"),
            }
        );
    }
    out.push('\n');
    memory.push(PeakMemory::ours("insights server (rollups), after the queries above", &server));
    memory.push(PeakMemory::ours("insights server (rows), after the queries above", &rows_server));
    drop(db);
    drop(server);
    drop(rows_server);
    database.drop_database().await;
}

const NESTED_PAGE: &str = "{ customers(first: 50) { totalCount nodes { externalId name orders(first: 5) { totalCount \
    nodes { externalId status touchpoints(first: 5) { totalCount nodes { externalId kind channel \
    feedback(first: 5) { totalCount nodes { externalId metric score comment } } } } } } } } }";

/// One load level of the nested page: wrk's figures and the SQL statements the server ran per request.
struct PageRun {
    clients: u32,
    load: LoadResult,
    statements_per_request: f64,
}

async fn nested(
    settings: &Settings,
    dir: &Path,
    out: &mut String,
    memory: &mut Vec<PeakMemory>,
) -> (BenchDatabase, Vec<PageRun>) {
    let database = BenchDatabase::create(settings, "nested", dir).await;
    let (counts, elapsed, command) = seed(&database.url, settings.nested_customers, settings.pulse_surveys);
    let key = create_key(&database.url, "nested");
    let server = Server::start(&database.url, &key, &[], dir, "nested").await;
    let (body, _) = server.graphql(NESTED_PAGE).await;
    let expected = load::expected_data(&body);
    let request = serde_json::json!({ "query": NESTED_PAGE }).to_string();
    let _ = writeln!(
        out,
        "### Nested page under load\n\n{} customers, {} orders, {} touchpoints, {} feedback (`{command}`, {:.0} s). \
         The page: 50 customers → 5 orders each → 5 touchpoints each → 5 answers each, with `totalCount` at every \
         level ({} bytes of JSON), from a server with the response cache off (every request reads the database). \
         `wrk` with the Lua script in `benches/suite/load.rs` for {} s per level; \
         *correct* means status 200, no `errors`, and `data` equal to the first answer's up to the order of fields within objects (see `load.rs`: async-graphql orders an object's fields by completion).\n\n\
         | clients | requests/s | p50 ms | p99 ms | requests | correct | wrong | socket errors | SQL statements per request |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        counts[0],
        counts[1],
        counts[2],
        counts[3],
        elapsed.as_secs_f64(),
        expected.len(),
        settings.load_seconds
    );
    let mut runs = Vec::new();
    for clients in [1, 4, 16] {
        let (result, per_request) = server
            .with_statements(|| {
                let url = server.graphql_url();
                load::run(&url, Some(server.key()), &request, &expected, clients, settings.load_seconds, dir)
            })
            .await;
        println!("{result:?}, {per_request:.2} statements per request");
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.2} | {:.2} | {} | {} | {} | {} | {:.2} |",
            clients,
            result.requests_per_second,
            result.p50_ms,
            result.p99_ms,
            result.requests,
            result.correct,
            result.wrong,
            result.socket_errors,
            per_request
        );
        runs.push(PageRun { clients, load: result, statements_per_request: per_request });
    }
    out.push('\n');
    memory.push(PeakMemory::ours("nested-page server, after 1, 4 and 16 clients", &server));
    (database, runs)
}

async fn import(settings: &Settings, dir: &Path, source: &BenchDatabase, out: &mut String) {
    let csv = dir.join("csv");
    let csv_text = csv.display().to_string();
    run(&["export", "--database-url", &source.url, &csv_text]);
    let target = BenchDatabase::create(settings, "import", dir).await;
    run(&["migrate", "--database-url", &target.url, "up"]);
    let (stdout, elapsed) = run(&["import", "--database-url", &target.url, &csv_text]);
    let rows: u64 = std::fs::read_dir(&csv)
        .expect("csv dir")
        .map(|entry| std::fs::read_to_string(entry.expect("entry").path()).expect("csv").lines().count() as u64 - 1)
        .sum();
    println!("import: {stdout}");
    let _ = writeln!(
        out,
        "### Import\n\nThe nested data set, with the answers the writes above added, exported as CSV \
         (`customer-insights export DIR`) and imported into an empty, migrated database (`customer-insights \
         import DIR`: validation pass, then one transaction with the rollups kept current).\n\n| rows | seconds | rows/s |\n|---:|---:|---:|\n| {rows} | {:.1} | {:.0} |\n",
        elapsed.as_secs_f64(),
        rows as f64 / elapsed.as_secs_f64()
    );
    target.drop_database().await;
}

/// A server's peak memory (`VmHWM`), for the table at the end.
struct PeakMemory {
    server: String,
    mib: f64,
    /// False for PostGraphile, shown for comparison: the target is this server's.
    ours: bool,
}

/// At most this many MiB per server of this project.
const MEMORY_TARGET_MIB: f64 = 200.0;

impl PeakMemory {
    fn ours(server: &str, process: &Server) -> PeakMemory {
        PeakMemory { server: server.to_owned(), mib: process.peak_memory_mib(), ours: true }
    }
}

fn peak_memory_table(memory: &[PeakMemory], out: &mut String) {
    let _ = writeln!(
        out,
        "### Peak server memory\n\n`VmHWM` of each server process, read just before it is stopped. Target: at most \
         {MEMORY_TARGET_MIB:.0} MiB per server.\n\n| server | MiB | within {MEMORY_TARGET_MIB:.0} MiB |\n|---|---:|---|"
    );
    for PeakMemory { server, mib, ours } in memory {
        let within = match (ours, *mib <= MEMORY_TARGET_MIB) {
            (false, _) => "- (not this server)",
            (true, true) => "yes",
            (true, false) => "**no**",
        };
        let _ = writeln!(out, "| {server} | {mib:.0} | {within} |");
    }
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let settings = Settings::from_env();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut out = format!("## {}\n\n", if settings.backend == DbBackend::Postgres { "PostgreSQL" } else { "SQLite" });
    let mut memory = Vec::new();
    insights(&settings, dir.path(), &mut out, &mut memory).await;
    if settings.insights_only {
        println!("\n{out}");
        return;
    }
    let (nested_database, page_runs) = nested(&settings, dir.path(), &mut out, &mut memory).await;
    if let Some(postgraphile) = &settings.postgraphile {
        peer::side_by_side(&settings, postgraphile, &nested_database, dir.path(), &mut out, &mut memory).await;
    }
    cache::cache(&settings, &nested_database, &page_runs, dir.path(), &mut out, &mut memory).await;
    writes::writes(&settings, &nested_database, dir.path(), &mut out, &mut memory).await;
    import(&settings, dir.path(), &nested_database, &mut out).await;
    nested_database.drop_database().await;
    peak_memory_table(&memory, &mut out);
    println!("\n{out}");
    if let Some(parent) = settings.out.parent() {
        std::fs::create_dir_all(parent).expect("output directory");
    }
    std::fs::write(&settings.out, out).expect("write the results");
    println!("written to {}", settings.out.display());
}
