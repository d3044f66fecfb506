//! The documented GraphQL: every query valid against the schema, every documented answer the real one.

use std::process::{Child, Command};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};

use super::blocks::{Block, Kind};
use super::matching::contained;
use crate::helpers::TestDatabase;

/// Parse and validation errors carry no path; the errors of fields that ran (here all of them fail:
/// the schema has no database) carry one.
fn validation_errors(response: &async_graphql::Response) -> Vec<String> {
    response.errors.iter().filter(|e| e.path.is_empty()).map(|e| e.message.clone()).collect()
}

pub async fn validate_all(blocks: &[Block]) {
    let schema = customer_insights::graphql::schema_without_data();
    let mut invalid = Vec::new();
    let mut count = 0;
    for block in blocks.iter().filter(|b| b.kind == Kind::Graphql) {
        count += 1;
        let response = if block.text.trim_start().starts_with("subscription") {
            let mut stream = schema.execute_stream(block.text.as_str());
            tokio::time::timeout(Duration::from_secs(10), stream.next()).await.ok().flatten().unwrap_or_default()
        } else {
            schema.execute(block.text.as_str()).await
        };
        let errors = validation_errors(&response);
        if !errors.is_empty() {
            invalid.push(format!("{}: {errors:?}", block.location));
        }
    }
    assert!(count >= 5, "too few documented queries found: {count}");
    assert!(invalid.is_empty(), "documented queries the schema refuses:\n{}", invalid.join("\n"));
}

/// `serve --demo` as the documentation runs it, on a database of its own and a free port.
struct DemoServer {
    child: Child,
    url: String,
    _database: TestDatabase,
}

impl DemoServer {
    async fn start() -> DemoServer {
        let database = TestDatabase::create().await;
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_customer-insights"))
            .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", &database.url)
            .env("CUSTOMER_INSIGHTS_LOG", "warn")
            .env_remove("CUSTOMER_INSIGHTS_CONFIG")
            .spawn()
            .expect("start the demo server");
        let server = DemoServer { child, url: format!("http://127.0.0.1:{port}"), _database: database };
        let client = reqwest::Client::new();
        for _ in 0..600 {
            if client.get(format!("{}/healthz", server.url)).send().await.is_ok() {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the demo server did not answer /healthz within 60 s");
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn compare_answers(blocks: &[Block]) {
    let pairs: Vec<(&Block, &Block)> = blocks.windows(2).filter_map(|w| answer_pair(&w[0], &w[1])).collect();
    let orphans: Vec<&str> = blocks
        .iter()
        .enumerate()
        .filter(|(i, b)| {
            matches!(b.kind, Kind::Answer | Kind::Excerpt) && (*i == 0 || answer_pair(&blocks[i - 1], b).is_none())
        })
        .map(|(_, b)| b.location.as_str())
        .collect();
    assert!(orphans.is_empty(), "documented answers without a query right before them: {orphans:?}");
    assert!(pairs.len() >= 3, "too few documented answers found: {}", pairs.len());

    let server = DemoServer::start().await;
    let client = reqwest::Client::new();
    let mut wrong = Vec::new();
    for (query, answer) in pairs {
        let shown: Value = serde_json::from_str(&answer.text)
            .unwrap_or_else(|e| panic!("{}: the documented answer is not JSON: {e}", answer.location));
        let real: Value = client
            .post(format!("{}/graphql", server.url))
            .json(&json!({ "query": query.text }))
            .send()
            .await
            .expect("send the documented query")
            .json()
            .await
            .expect("a JSON answer");
        let data_only = json!({ "data": real["data"] });
        let matches = match answer.kind {
            Kind::Answer => real.get("errors").is_none() && data_only == shown,
            _ => real.get("errors").is_none() && contained(&shown, &data_only),
        };
        if !matches {
            wrong.push(format!(
                "{}: the real answer is\n{}",
                answer.location,
                serde_json::to_string_pretty(&real).unwrap()
            ));
        }
    }
    assert!(wrong.is_empty(), "documented answers that differ from the demo server's:\n{}", wrong.join("\n\n"));
}

fn answer_pair<'a>(query: &'a Block, answer: &'a Block) -> Option<(&'a Block, &'a Block)> {
    let same_file = query.file == answer.file;
    (same_file && query.kind == Kind::Graphql && matches!(answer.kind, Kind::Answer | Kind::Excerpt))
        .then_some((query, answer))
}
