//! Each request limit just under and just over, the cost report, the rate limit, persisted queries and
//! the introspection switch.

use std::time::Duration;

use customer_insights::auth::keys::sha256_hex;
use customer_insights::auth::rate_limit::RateLimit;
use customer_insights::graphql::gate::persisted::PersistedQueries;
use customer_insights::seed::{SeedOptions, seed};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, code, spawn_app_with, spawn_seeded_app};

/// Asserts that `under` runs without errors and `over` fails with `expected` (a code and a limit name).
async fn under_and_over(app: &TestApp, under: &str, over: &str, expected: (&str, Option<&str>)) {
    let Reply { status, body, .. } = app.send(None, json!({ "query": under })).await;
    assert!(status == 200 && body.get("errors").is_none(), "just under: {under} -> {status} {body}");
    let body = app.send(None, json!({ "query": over })).await.body;
    let error = &body["errors"][0];
    assert_eq!(code(error), expected.0, "just over: {over} -> {body}");
    if let Some(limit) = expected.1 {
        assert_eq!(error["extensions"]["limit"], limit, "{body}");
    }
}

#[tokio::test]
async fn depth_cost_aliases_root_fields_and_page_size_are_limited() {
    let app = spawn_app_with(|config| {
        config.limits.max_depth = 4;
        config.limits.max_complexity = 21;
        config.limits.max_aliases = 2;
        config.limits.max_root_fields = 3;
        config.limits.max_page_size = 5;
    })
    .await;
    under_and_over(
        &app,
        "{ customers(first: 1) { nodes { orders(first: 1) { totalCount } } } }",
        "{ customers(first: 1) { nodes { orders(first: 1) { nodes { externalId } } } } }",
        ("LIMIT_EXCEEDED", Some("depth")),
    )
    .await;
    // A connection costs its page size times its children, plus itself: 5 × 4 + 1 = 21, then 22.
    under_and_over(
        &app,
        "{ customers(first: 5) { nodes { externalId segment region } } }",
        "{ customers(first: 5) { nodes { externalId segment region createdAt } } }",
        ("LIMIT_EXCEEDED", Some("cost")),
    )
    .await;
    under_and_over(
        &app,
        "{ a: __typename b: __typename }",
        "{ a: __typename b: __typename c: __typename }",
        ("LIMIT_EXCEEDED", Some("number of aliases")),
    )
    .await;
    under_and_over(
        &app,
        "{ __typename customers(first: 0) { totalCount } orders(first: 0) { totalCount } }",
        "{ __typename customers(first: 0) { totalCount } orders(first: 0) { totalCount } feedbacks(first: 0) { totalCount } }",
        ("LIMIT_EXCEEDED", Some("number of root fields")),
    )
    .await;
    under_and_over(
        &app,
        "{ customers(first: 5) { totalCount } }",
        "{ customers(first: 6) { totalCount } }",
        ("BAD_USER_INPUT", None),
    )
    .await;
    let body = app.send(None, json!({ "query": "{ customers(first: 6) { totalCount } }" })).await.body;
    assert_eq!(body["errors"][0]["message"], "first: must be between 0 and 5");
}

#[tokio::test]
async fn document_size_and_batch_size_are_limited() {
    let app = spawn_app_with(|config| {
        config.limits.max_document_bytes = 100;
        config.limits.max_batch = 2;
    })
    .await;
    let padded = |len: usize| format!("{{ __typename }}{}", " ".repeat(len - "{ __typename }".len()));
    let Reply { status, body, .. } = app.send(None, json!({ "query": padded(100) })).await;
    assert_eq!((status, body.get("errors")), (200, None), "{body}");
    let Reply { status, body, .. } = app.send(None, json!({ "query": padded(101) })).await;
    assert_eq!((status, code(&body["errors"][0])), (400, "LIMIT_EXCEEDED"), "{body}");

    let one = json!({ "query": "{ __typename }" });
    let Reply { status, body, .. } = app.send(None, json!([one, one])).await;
    assert_eq!(status, 200);
    assert_eq!(body.as_array().map(Vec::len), Some(2), "{body}");
    assert_eq!(body[1]["data"], json!({ "__typename": "Query" }));
    let Reply { status, body, .. } = app.send(None, json!([one, one, one])).await;
    assert_eq!((status, code(&body["errors"][0])), (400, "BAD_REQUEST"), "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("at most 2"), "{body}");
}

#[tokio::test]
async fn a_request_over_its_time_is_stopped_with_timeout() {
    // A daily series over two years: two aggregations over a 730-row bucket list, each taking far longer
    // than the moment between sending a statement to the database and first polling for its answer.
    let heavy = r#"{ insights { satisfaction(metric: NPS, groupBy: [TOUCHPOINT_KIND, CHANNEL],
        filter: { period: { from: "2024-06-01T00:00:00Z", to: "2026-06-01T00:00:00Z" } },
        series: { granularity: DAY }) { score { value } } } }"#;
    let app = spawn_seeded_app(40).await;
    let body = app.send(None, json!({ "query": heavy })).await.body;
    assert!(body.get("errors").is_none(), "within the default limit: {body}");
    // A zero timeout, not a tiny one: the query's first database call is pending when first polled, so
    // it is stopped whatever the machine's speed (1 µs sometimes let an empty database answer within
    // the timer's 1 ms resolution).
    let app = spawn_app_with(|config| config.limits.timeout = Duration::ZERO).await;
    seed(&app.db, &SeedOptions { customers: 40, seed: 7, ..Default::default() }).await.expect("seed");
    let Reply { status, body, .. } = app.send(None, json!({ "query": heavy })).await;
    assert_eq!((status, code(&body["errors"][0])), (503, "TIMEOUT"), "{body}");
}

#[tokio::test]
async fn the_cost_is_reported_and_a_key_over_its_budget_is_told_when_to_retry() {
    let app = spawn_app_with(|config| config.rate_limit = RateLimit { burst: 5.0, per_second: 0.5 }).await;
    // One row of one field and the page itself: requested 2, all of it used (nothing to refund).
    let query = json!({ "query": "{ customers(first: 1) { totalCount } }" });
    let first = app.send(None, query.clone()).await.body;
    assert_eq!(
        first["extensions"]["cost"],
        json!({ "requestedQueryCost": 2, "actualQueryCost": 2,
                "throttleStatus": { "maximumAvailable": 5.0, "currentlyAvailable": 3.0, "restoreRate": 0.5 } })
    );
    let status = app.send(None, query.clone()).await.status;
    assert_eq!(status, 200);
    let Reply { status, retry_after, body, .. } = app.send(None, query.clone()).await;
    assert_eq!(status, 429);
    let retry_after: u64 = retry_after.expect("a Retry-After header").parse().unwrap();
    assert!((1..=4).contains(&retry_after), "{retry_after}");
    assert_eq!(code(&body["errors"][0]), "RATE_LIMITED", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["retryAfterSeconds"], retry_after);
    // Unused cost is refunded: a page shorter than asked costs what it returned.
    let app = spawn_app_with(|config| config.rate_limit = RateLimit { burst: 100.0, per_second: 0.001 }).await;
    let body = app.send(None, json!({ "query": "{ customers(first: 10) { nodes { externalId } } }" })).await.body;
    assert_eq!(body["extensions"]["cost"]["requestedQueryCost"], 21);
    assert_eq!(body["extensions"]["cost"]["actualQueryCost"], 2, "customers and nodes, no rows: {body}");
    let body = app.send(None, json!({ "query": "{ __typename }" })).await.body;
    let available = body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"].as_f64().unwrap();
    assert!(available >= 97.0, "19 of 21 refunded, then 1 spent: {body}");
}

#[tokio::test]
async fn automatic_persisted_queries_register_on_first_use() {
    let app = spawn_app_with(|_| {}).await;
    let query = "query Count { customers { totalCount } }";
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(query.as_bytes()) } });
    let Reply { status, body, .. } = app.send(None, json!({ "extensions": extensions })).await;
    assert_eq!((status, code(&body["errors"][0])), (200, "PERSISTED_QUERY_NOT_FOUND"), "{body}");
    let body = app.send(None, json!({ "query": query, "extensions": extensions })).await.body;
    assert_eq!(body["data"], json!({ "customers": { "totalCount": 0 } }));
    let body = app.send(None, json!({ "extensions": extensions })).await.body;
    assert_eq!(body["data"], json!({ "customers": { "totalCount": 0 } }));
    // Over GET too, as CDNs like it.
    let response =
        app.client.get(app.graphql_url()).query(&[("extensions", extensions.to_string())]).send().await.unwrap();
    assert_eq!(response.json::<Value>().await.unwrap()["data"], json!({ "customers": { "totalCount": 0 } }));
    let wrong = json!({ "persistedQuery": { "version": 1, "sha256Hash": "0".repeat(64) } });
    let Reply { status, body, .. } = app.send(None, json!({ "query": query, "extensions": wrong })).await;
    assert_eq!((status, code(&body["errors"][0])), (400, "BAD_REQUEST"), "{body}");
}

#[tokio::test]
async fn an_allow_list_runs_only_its_queries_and_introspection_can_be_off() {
    let dir = tempfile::tempdir().unwrap();
    let allowed = "query Count { customers { totalCount } }";
    let path = dir.path().join("allow-list.json");
    std::fs::write(&path, json!({ sha256_hex(allowed.as_bytes()): allowed }).to_string()).unwrap();
    let list = PersistedQueries::allow_list(&path).expect("a valid allow-list");
    let app = spawn_app_with(move |config| {
        config.persisted = list;
        config.introspection = false;
    })
    .await;
    let body = app.send(None, json!({ "query": allowed })).await.body;
    assert_eq!(body["data"], json!({ "customers": { "totalCount": 0 } }));
    let by_hash = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(allowed.as_bytes()) } });
    let body = app.send(None, json!({ "extensions": by_hash })).await.body;
    assert_eq!(body["data"], json!({ "customers": { "totalCount": 0 } }));
    let Reply { status, body, .. } = app.send(None, json!({ "query": "{ customers { nodes { email } } }" })).await;
    assert_eq!((status, code(&body["errors"][0])), (400, "PERSISTED_QUERY_NOT_ALLOWED"), "{body}");

    let app = spawn_app_with(|config| config.introspection = false).await;
    let body = app.send(None, json!({ "query": "{ __schema { types { name } } }" })).await.body;
    assert_eq!(code(&body["errors"][0]), "FORBIDDEN", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap_or_default().contains("introspection"), "{body}");
    let body = app.send(None, json!({ "query": "{ __typename }" })).await.body;
    assert_eq!(body["data"], json!({ "__typename": "Query" }), "__typename is not introspection");
}
