//! Writes under load, on the nested data set, from a fresh server with the response cache off:
//! `upsertFeedback` at 1, 4 and 16 clients and `upsertFeedbacks` with 1,000 answers per request at 1 and 4
//! clients, every answer a new one; then `rollups check`, which says whether the satisfaction rollups the
//! concurrent writers kept up to date still equal a fresh computation from the rows.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

use crate::load::{self, LoadResult};
use crate::server::{BINARY, LOG_FILTER, Server};
use crate::{BenchDatabase, PeakMemory, Settings, create_key};

/// Answers per `upsertFeedbacks` request (the most it takes).
const BATCH: u32 = 1000;
/// upsertFeedback/s at 16 clients, on PostgreSQL.
const SINGLE_TARGET: f64 = 1000.0;
/// Answers/s through `upsertFeedbacks`.
const BATCH_TARGET: f64 = 10_000.0;

/// Builds answer `n` of a wrk thread. The external ids start with `RUN` (one per wrk run) and the thread's
/// number, so no two requests of the suite write the same answer. Customers: the seed's external ids,
/// `C{seed}-{index:06}` (`src/seed/generator.rs`) with the suite's seed, 42, spread over all `CUSTOMERS`
/// (7919 and 104729 are primes, so a thread comes back to a customer only after many others). The
/// submission time lies inside the seeded span, so the writes land in existing rollup days.
const ANSWER: &str = r#"
local counter = 0
local function answer(n)
  local customer = string.format("C42-%06d", (n * 7919 + tid * 104729) % CUSTOMERS + 1)
  return '{"externalId":"' .. RUN .. '-' .. tid .. '-' .. n .. '","customerExternalId":"' .. customer
    .. '","metric":"NPS","score":' .. (n % 11) .. ',"submittedAt":"2026-03-01T12:00:00Z"}'
end
"#;

const SINGLE: &str = r#"
function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, '{"query":"mutation($i: FeedbackInput!) { upsertFeedback(input: $i) { created } }","variables":{"i":'
    .. answer(counter) .. '}}')
end
"#;

const MANY: &str = r#"
function request()
  local answers = {}
  for j = 1, BATCH do
    counter = counter + 1
    answers[j] = answer(counter)
  end
  return wrk.format(nil, nil, nil, '{"query":"mutation($i: [FeedbackInput!]!) { upsertFeedbacks(inputs: $i) { created } }","variables":{"i":['
    .. table.concat(answers, ",") .. ']}}')
end
"#;

/// One mutation under load: how many answers each request writes and what its response must hold.
struct Mutation {
    name: &'static str,
    lua: &'static str,
    answers_per_request: u32,
    must_contain: String,
    clients: &'static [u32],
}

fn mutations() -> [Mutation; 2] {
    [
        Mutation {
            name: "upsertFeedback",
            lua: SINGLE,
            answers_per_request: 1,
            must_contain: r#""created":true"#.to_owned(),
            clients: &[1, 4, 16],
        },
        Mutation {
            name: "upsertFeedbacks",
            lua: MANY,
            answers_per_request: BATCH,
            must_contain: format!(r#""created":{BATCH}"#),
            clients: &[1, 4],
        },
    ]
}

/// The target a row is held to, with whether it was met; `-` where none applies.
fn target(backend: DbBackend, mutation: &Mutation, clients: u32, answers_per_second: f64) -> String {
    let (wanted, unit) = match mutation.answers_per_request {
        1 if clients == 16 && backend == DbBackend::Postgres => (SINGLE_TARGET, "upsertFeedback/s"),
        1 => return "-".to_owned(),
        _ => (BATCH_TARGET, "answers/s"),
    };
    let verdict = if answers_per_second >= wanted { "met" } else { "**missed**" };
    format!("≥ {wanted:.0} {unit}: {verdict}")
}

async fn feedback_rows(url: &str) -> i64 {
    let db = Database::connect(url).await.expect("connect");
    let backend = db.get_database_backend();
    let statement = Statement::from_string(backend, "SELECT COUNT(*) AS n FROM feedback");
    let row = db.query_one_raw(statement).await.expect("count the answers").expect("a count");
    row.try_get("", "n").expect("a number")
}

/// `customer-insights rollups check`: whether the rollups equal a fresh computation, what it printed
/// (the first differences and the error naming how many, when there are some; not its logs), and how long
/// it took.
fn rollups_check(url: &str) -> (bool, String, f64) {
    let started = Instant::now();
    let output = Command::new(BINARY)
        .args(["rollups", "--database-url", url, "check"])
        .env(LOG_FILTER.0, LOG_FILTER.1)
        .output()
        .expect("run customer-insights rollups check");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors = stderr.lines().filter(|line| line.starts_with("error:"));
    let printed: Vec<&str> = std::str::from_utf8(&output.stdout).unwrap_or("").lines().chain(errors).collect();
    (output.status.success(), printed.join("\n"), started.elapsed().as_secs_f64())
}

pub async fn writes(
    settings: &Settings,
    database: &BenchDatabase,
    dir: &Path,
    out: &mut String,
    memory: &mut Vec<PeakMemory>,
) {
    let key = create_key(&database.url, "writes");
    let server = Server::start(&database.url, &key, &[], dir, "writes").await;
    let rows_before = feedback_rows(&database.url).await;
    let _ = writeln!(
        out,
        "### Writes\n\nNew answers written through a fresh server (response cache off) into the nested data set: \
         `upsertFeedback` (`mutation($i: FeedbackInput!) {{ upsertFeedback(input: $i) {{ created }} }}`), one \
         answer per request, and `upsertFeedbacks` (`inputs: [FeedbackInput!]!`), {BATCH} answers per request. \
         `wrk` for {} s per level, with the Lua in `benches/suite/writes.rs`: every request builds answers with \
         external ids no other request uses (NPS, score `n % 11`, submitted 2026-03-01), for customers spread \
         over all {} seeded ones; *correct* means status 200, no `errors`, and every answer created. Targets: at \
         least {SINGLE_TARGET:.0} upsertFeedback/s at 16 clients on PostgreSQL; at least {BATCH_TARGET:.0} \
         answers/s through `upsertFeedbacks`.\n\n\
         | mutation | clients | answers per request | requests/s | answers/s | p50 ms | p99 ms | correct | wrong \
         | socket errors | SQL statements per request | target |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        settings.load_seconds, settings.nested_customers,
    );
    let mut confirmed = 0;
    for mutation in mutations() {
        for &clients in mutation.clients {
            let lua = format!(
                "RUN = \"W{}-{}-{clients}\"\nCUSTOMERS = {}\nBATCH = {BATCH}\n{ANSWER}\n{}",
                std::process::id(),
                mutation.name,
                settings.nested_customers,
                mutation.lua
            );
            let (result, statements) = server
                .with_statements(|| {
                    let url = server.graphql_url();
                    let seconds = settings.load_seconds;
                    load::run_generated(&url, Some(server.key()), &lua, &mutation.must_contain, clients, seconds, dir)
                })
                .await;
            println!("{} at {clients}: {result:?}, {statements:.2} statements per request", mutation.name);
            confirmed += result.correct * u64::from(mutation.answers_per_request);
            row(out, settings.backend, &mutation, clients, &result, statements);
        }
    }
    memory.push(PeakMemory::ours("writes server, after the writes", &server));
    // No writer may run beside the check.
    drop(server);
    let added = feedback_rows(&database.url).await - rows_before;
    let (exact, printed, seconds) = rollups_check(&database.url);
    println!("rollups check ({seconds:.1} s): exact {exact}: {printed}");
    let _ = writeln!(
        out,
        "\nAnswers added: {added} ({confirmed} in correct responses; writes in flight when `wrk` stopped count \
         only here). Then `customer-insights rollups check` ({seconds:.1} s), comparing the satisfaction rollups \
         with a fresh computation from the rows: **exact: {}**.\n",
        if exact { "yes" } else { "no" }
    );
    if !exact {
        let _ = writeln!(out, "```\n{printed}\n```\n");
    }
}

fn row(out: &mut String, backend: DbBackend, mutation: &Mutation, clients: u32, result: &LoadResult, statements: f64) {
    let answers_per_second = result.requests_per_second * f64::from(mutation.answers_per_request);
    let _ = writeln!(
        out,
        "| `{}` | {clients} | {} | {:.0} | {answers_per_second:.0} | {:.2} | {:.2} | {} | {} | {} | {statements:.2} | {} |",
        mutation.name,
        mutation.answers_per_request,
        result.requests_per_second,
        result.p50_ms,
        result.p99_ms,
        result.correct,
        result.wrong,
        result.socket_errors,
        target(backend, mutation, clients, answers_per_second),
    );
}
