//! The response cache, on the nested data set: the nested page and one insight from a server with
//! `--response-cache-mib 64`, beside the same queries without the cache. The page's uncached figures are
//! the nested section's; the insight's come from a second server, cache off, loaded in turn with the
//! cached one at each level. Nothing writes meanwhile, so every request after a query's first is a hit.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::json;

use crate::load::{self, LoadResult};
use crate::server::Server;
use crate::{BenchDatabase, NESTED_PAGE, PageRun, PeakMemory, Settings, create_key};

const CACHE_MIB: u32 = 64;

const INSIGHT: &str =
    "{ insights { satisfaction(metric: NPS, groupBy: [TOUCHPOINT_KIND]) { touchpointKind score { value n } } } }";

const CLIENTS: [u32; 2] = [4, 16];

/// A query loaded on one server: the request, and the `data` every response must carry.
struct Load {
    request: String,
    expected: String,
}

impl Load {
    /// Asks `server` once: its answer is what the later responses must match (and, on the cached
    /// server, what the cache holds from then on).
    async fn first(server: &Server, query: &str) -> (Load, serde_json::Value) {
        let (body, data) = server.graphql(query).await;
        (Load { request: json!({ "query": query }).to_string(), expected: load::expected_data(&body) }, data)
    }

    async fn run(&self, server: &Server, clients: u32, settings: &Settings, dir: &Path) -> (LoadResult, f64) {
        let url = server.graphql_url();
        let key = Some(server.key());
        let seconds = settings.load_seconds;
        server.with_statements(|| load::run(&url, key, &self.request, &self.expected, clients, seconds, dir)).await
    }
}

fn yes_no(yes: bool) -> &'static str {
    if yes { "yes" } else { "**no**" }
}

pub async fn cache(
    settings: &Settings,
    database: &BenchDatabase,
    page_runs: &[PageRun],
    dir: &Path,
    out: &mut String,
    memory: &mut Vec<PeakMemory>,
) {
    let key = create_key(&database.url, "cache");
    let cached = Server::start_cached(&database.url, &key, CACHE_MIB, dir, "cached").await;
    let uncached = Server::start(&database.url, &key, &[], dir, "uncached").await;
    let (cached_page, cached_page_data) = Load::first(&cached, NESTED_PAGE).await;
    let (_, page_data) = Load::first(&uncached, NESTED_PAGE).await;
    let (cached_insight, cached_insight_data) = Load::first(&cached, INSIGHT).await;
    let (uncached_insight, insight_data) = Load::first(&uncached, INSIGHT).await;
    // Objects compare as maps: the order of fields may differ between two servers' answers.
    let same_page = cached_page_data == page_data;
    let same_insight = cached_insight_data == insight_data;
    println!("response cache: same page {same_page}, same insight {same_insight}");
    let _ = writeln!(
        out,
        "### Response cache\n\nThe nested page above and an insight, \
         `{INSIGHT}`, from a server started with `--response-cache-mib {CACHE_MIB}`. Nothing writes to the \
         database during this section, so every request after a query's first is answered from the cache (what \
         SQL is left per request reads the data version, which tells whether a cached answer is still current). *Uncached*: the page's figures from the nested section above; the insight's from a second \
         server with the cache off, loaded in turn with the cached one at each level. `wrk` with the script \
         of `load.rs` for {} s per level; *correct* as above. The cached server's first answers equal the \
         uncached server's: page {}, insight {}.\n\n\
         | query | clients | cached req/s | p50 ms | p99 ms | SQL statements per request | uncached req/s | p50 ms \
         | p99 ms | SQL statements per request | cached / uncached | correct (cached / uncached) | wrong (cached / \
         uncached) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        settings.load_seconds,
        yes_no(same_page),
        yes_no(same_insight),
    );
    for clients in CLIENTS {
        let page = page_runs.iter().find(|run| run.clients == clients).expect("the nested page at this level");
        let (cached_run, cached_statements) = cached_page.run(&cached, clients, settings, dir).await;
        row(out, "nested page", clients, (&cached_run, cached_statements), (&page.load, page.statements_per_request));
    }
    for clients in CLIENTS {
        let (uncached_run, uncached_statements) = uncached_insight.run(&uncached, clients, settings, dir).await;
        let (cached_run, cached_statements) = cached_insight.run(&cached, clients, settings, dir).await;
        row(out, "insight", clients, (&cached_run, cached_statements), (&uncached_run, uncached_statements));
    }
    out.push('\n');
    memory.push(PeakMemory::ours(&format!("response-cache server ({CACHE_MIB} MiB), after its loads"), &cached));
    memory.push(PeakMemory::ours("cache-off server of the response-cache section, after its loads", &uncached));
}

fn row(out: &mut String, query: &str, clients: u32, cached: (&LoadResult, f64), uncached: (&LoadResult, f64)) {
    let ((c, c_statements), (u, u_statements)) = (cached, uncached);
    println!("{query} at {clients}: cached {c:?}, {c_statements:.2} statements per request");
    let _ = writeln!(
        out,
        "| {query} | {clients} | {:.0} | {:.2} | {:.2} | {c_statements:.2} | {:.0} | {:.2} | {:.2} | {u_statements:.2} \
         | {:.1} | {} / {} | {} / {} |",
        c.requests_per_second,
        c.p50_ms,
        c.p99_ms,
        u.requests_per_second,
        u.p50_ms,
        u.p99_ms,
        c.requests_per_second / u.requests_per_second,
        c.correct,
        u.correct,
        c.wrong,
        u.wrong,
    );
}
