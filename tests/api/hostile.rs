//! A corpus of hostile requests, replayed against one server: each gets a clear error of the expected
//! kind (never a crash, a hang, a stack trace or SQL text), nothing changes, and the server still serves.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};

use customer_insights::graphql::gate::limits::Limits;
use customer_insights::seed::{SeedOptions, seed};

use crate::helpers::{TestApp, next_json, send_json, spawn_app_with, subscribe};

/// One hostile request and what it must get back.
struct Case {
    name: &'static str,
    method: &'static str,
    content_type: &'static str,
    accept: &'static str,
    body: Vec<u8>,
    /// Acceptable HTTP statuses.
    statuses: &'static [u16],
    /// Acceptable `code`s of the first error; empty when the request must succeed without errors.
    codes: &'static [&'static str],
}

fn post(name: &'static str, body: Value, statuses: &'static [u16], codes: &'static [&'static str]) -> Case {
    Case {
        name,
        method: "POST",
        content_type: "application/json",
        accept: "application/json",
        body: body.to_string().into_bytes(),
        statuses,
        codes,
    }
}

fn query(name: &'static str, query: String, codes: &'static [&'static str]) -> Case {
    post(name, json!({ "query": query }), &[200, 400], codes)
}

const SQL: [&str; 4] =
    ["'; DROP TABLE customers; --", "\" OR 1=1 --", "x') UNION SELECT email FROM customers --", "%' OR name LIKE '%"];

fn corpus() -> Vec<Case> {
    let fragment_bomb = {
        let mut query = String::from("query { ...F0 } fragment F30 on Query { __typename }");
        for i in 0..30 {
            query.push_str(&format!(" fragment F{i} on Query {{ ...F{n} ...F{n} }}", n = i + 1));
        }
        query
    };
    let mut cases: Vec<Case> = vec![
        post("malformed JSON", json!(null), &[400], &["BAD_REQUEST"]),
        Case { body: b"{\"query\": ".to_vec(), ..post("truncated JSON", json!(null), &[400], &["BAD_REQUEST"]) },
        Case { body: vec![0xff, 0xfe, 0x00, 0x7b], ..post("invalid UTF-8", json!(null), &[400], &["BAD_REQUEST"]) },
        post("body is a number", json!(42), &[400], &["BAD_REQUEST"]),
        post("query is not a string", json!({ "query": 1 }), &[400], &["BAD_REQUEST"]),
        post("variables are a list", json!({ "query": "{ __typename }", "variables": [1] }), &[400], &["BAD_REQUEST"]),
        post("empty batch", json!([]), &[400], &["BAD_REQUEST"]),
        post("batch over the limit", json!(vec![json!({ "query": "{ __typename }" }); 50]), &[400], &["BAD_REQUEST"]),
        query("syntax error", "{ customers { ".into(), &["GRAPHQL_PARSE_FAILED"]),
        query("deep nesting", format!("{}{}", "{ a ".repeat(5000), "}".repeat(5000)), &["GRAPHQL_PARSE_FAILED", "LIMIT_EXCEEDED"]),
        query("oversized document", format!("{{ __typename }}{}", " ".repeat(40_000)), &["LIMIT_EXCEEDED"]),
        query("alias bomb", format!("{{ {} }}", (0..500).map(|i| format!("a{i}: __typename")).collect::<Vec<_>>().join(" ")), &["LIMIT_EXCEEDED"]),
        query("fragment bomb", fragment_bomb.clone(), &["LIMIT_EXCEEDED"]),
        post(
            "fragment bomb in an operation that does not run",
            json!({ "query": format!("query A {{ __typename }} {}", fragment_bomb.replacen("query {", "query B {", 1)), "operationName": "A" }),
            &[200],
            &["LIMIT_EXCEEDED"],
        ),
        query("cyclic fragments", "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }".into(), &["LIMIT_EXCEEDED", "GRAPHQL_VALIDATION_FAILED"]),
        query("too deep", format!("{{ customers {{ nodes {{ {} }} }} }}", "orders { nodes { customer { ".repeat(6) + "id" + &" } } }".repeat(6)), &["LIMIT_EXCEEDED"]),
        query("too costly", "{ customers(first: 100) { nodes { orders(first: 100) { nodes { touchpoints(first: 100) { nodes { id } } } } } } }".into(), &["LIMIT_EXCEEDED"]),
        query("a named operation (control)", "query A { __typename }".into(), &[]),
        post("operation name not in the document", json!({ "query": "query A { __typename }", "operationName": "B" }), &[200, 400], &["GRAPHQL_VALIDATION_FAILED"]),
        post("wrong variable type", json!({ "query": "query($n: Int) { customers(first: $n) { totalCount } }", "variables": { "n": "ten" } }), &[200, 400], &["GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"]),
        query("integer overflow", "{ customers(first: 99999999999) { totalCount } }".into(), &["GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"]),
        query("negative page", "{ customers(first: -1) { totalCount } }".into(), &["BAD_USER_INPUT"]),
        query("invalid global ID", "{ node(id: \"!!not-base64!!\") { id } }".into(), &["BAD_USER_INPUT"]),
        query("global ID of a bad shape", format!("{{ node(id: \"{}\") {{ id }} }}", URL_SAFE_NO_PAD.encode("Customer:1 OR 1=1")), &["BAD_USER_INPUT"]),
        query("global ID of an unknown type", format!("{{ node(id: \"{}\") {{ id }} }}", URL_SAFE_NO_PAD.encode("api_keys:1")), &["BAD_USER_INPUT"]),
        query("invalid cursor", "{ customers(after: \"garbage\") { totalCount } }".into(), &["BAD_USER_INPUT"]),
        query("forged cursor", format!("{{ customers(after: \"{}\") {{ totalCount }} }}", URL_SAFE_NO_PAD.encode(r#"{"f":"createdAt","k":"'; DROP TABLE customers; --","i":1}"#)), &["BAD_USER_INPUT"]),
        query("NUL in a string", "{ customer(externalId: \"a\\u0000b\") { id } }".into(), &["BAD_USER_INPUT"]),
        query("huge string", format!("{{ customers(filter: {{ segments: [\"{}\"] }}) {{ totalCount }} }}", "x".repeat(5000)), &["BAD_USER_INPUT"]),
        Case { content_type: "text/plain", statuses: &[415], ..query("wrong content type", "{ __typename }".into(), &["BAD_REQUEST"]) },
        Case { statuses: &[415], content_type: "application/x-www-form-urlencoded", body: b"query=%7B__typename%7D".to_vec(), ..query("form body", String::new(), &["BAD_REQUEST"]) },
        Case { statuses: &[406], accept: "image/png", ..query("unacceptable media type", "{ __typename }".into(), &["BAD_REQUEST"]) },
        Case { statuses: &[413], ..query("oversized body", format!("{{ __typename }}{}", " ".repeat(200_000)), &["BAD_REQUEST"]) },
        Case { method: "GET", statuses: &[405], ..query("mutation over GET", "mutation { deleteFeedback(externalId: \"x\") { deleted } }".into(), &["BAD_REQUEST"]) },
    ];
    // SQL-looking strings in every string filter and lookup: matched as plain data, so no rows and no error.
    for sql in SQL {
        let sql = serde_json::to_string(sql).expect("a JSON string");
        for (name, query_text) in [
            (
                "SQL in customer filters",
                format!(
                    "{{ customers(filter: {{ segments: [{sql}], regions: [{sql}], externalIds: [{sql}] }}) {{ totalCount }} }}"
                ),
            ),
            (
                "SQL in a lookup",
                format!(
                    "{{ customer(externalId: {sql}) {{ id }} order(externalId: {sql}) {{ id }} touchpoint(externalId: {sql}) {{ id }} feedback(externalId: {sql}) {{ id }} }}"
                ),
            ),
            (
                "SQL in insights filters",
                format!(
                    "{{ insights {{ satisfaction(metric: NPS, filter: {{ segments: [{sql}], regions: [{sql}] }}) {{ score {{ n }} }} }} }}"
                ),
            ),
        ] {
            cases.push(query(name, query_text, &[]));
        }
    }
    cases
}

async fn send(app: &TestApp, case: &Case) -> (u16, String) {
    let request = match case.method {
        "GET" => {
            let query: Value = serde_json::from_slice(&case.body).unwrap_or_default();
            app.client.get(app.graphql_url()).query(&[("query", query["query"].as_str().unwrap_or_default())])
        }
        _ => app.client.post(app.graphql_url()).header(CONTENT_TYPE, case.content_type).body(case.body.clone()),
    };
    let response = tokio::time::timeout(Duration::from_secs(10), request.header(ACCEPT, case.accept).send())
        .await
        .unwrap_or_else(|_| panic!("{}: no answer within 10 s", case.name))
        .unwrap_or_else(|e| panic!("{}: {e}", case.name));
    (response.status().as_u16(), response.text().await.unwrap_or_default())
}

#[tokio::test]
async fn a_corpus_of_hostile_requests_gets_clear_errors_and_the_server_keeps_serving() {
    // The default document size limit (the other tests raise it to the body limit).
    let app = spawn_app_with(|config| config.limits.max_document_bytes = Limits::default().max_document_bytes).await;
    seed(&app.db, &SeedOptions { customers: 20, seed: 7, ..Default::default() }).await.expect("seed");
    let count = || app.query("{ customers { totalCount } orders { totalCount } feedbacks { totalCount } }", json!({}));
    let before = count().await;
    for case in corpus() {
        let (status, text) = send(&app, &case).await;
        assert!(case.statuses.contains(&status), "{}: status {status}, body {text}", case.name);
        let body: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{}: not JSON: {text}", case.name));
        let first_code = body["errors"][0]["extensions"]["code"].as_str();
        match case.codes {
            [] => assert!(body.get("errors").is_none(), "{}: {text}", case.name),
            codes => {
                assert!(first_code.is_some_and(|c| codes.contains(&c)), "{}: {text}", case.name);
                let message = body["errors"][0]["message"].as_str().unwrap_or_default();
                assert!(!message.is_empty(), "{}: an error says what went wrong", case.name);
            }
        }
        let lowered = text.to_lowercase();
        for leak in ["select ", "sqlx", "panicked", "stack backtrace", "src/", "sqlite_"] {
            assert!(!lowered.contains(leak), "{}: leaks `{leak}`: {text}", case.name);
        }
    }
    assert_eq!(count().await, before, "nothing changed");
    assert_eq!(app.query("{ __typename }", json!({})).await, json!({ "__typename": "Query" }), "still serving");
}

/// WebSocket operations skip the HTTP handler: the same limits and error codes apply to them.
#[tokio::test]
async fn hostile_subscriptions_get_the_same_limits_and_codes() {
    let app = spawn_app_with(|config| config.limits.max_document_bytes = Limits::default().max_document_bytes).await;
    let mut bomb = String::from("subscription { ...F0 } fragment F30 on Subscription { feedbackSubmitted { id } }");
    for i in 0..30 {
        bomb.push_str(&format!(" fragment F{i} on Subscription {{ ...F{n} ...F{n} }}", n = i + 1));
    }
    let cases = [
        (bomb, "LIMIT_EXCEEDED"),
        (format!("subscription {{ feedbackSubmitted {{ id }} }}{}", " ".repeat(40_000)), "LIMIT_EXCEEDED"),
        ("subscription { feedbackSubmitted { noSuchField } }".to_owned(), "GRAPHQL_VALIDATION_FAILED"),
        (
            "{ customers(first: 100) { nodes { orders(first: 100) { nodes { touchpoints(first: 100) { nodes { id } } } } } } }"
                .to_owned(),
            "LIMIT_EXCEEDED",
        ),
        (
            "subscription { feedbackSubmitted(filter: { metrics: [\"NPS'; --\"] }) { id } }".to_owned(),
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ];
    for (i, (query, expected)) in cases.into_iter().enumerate() {
        let mut socket = subscribe(&app.address, "subscription { feedbackSubmitted { id } }").await;
        let id = format!("hostile-{i}");
        let message = serde_json::json!({ "id": id, "type": "subscribe", "payload": { "query": query } });
        send_json(&mut socket, &message).await;
        let reply = tokio::time::timeout(Duration::from_secs(10), next_json(&mut socket))
            .await
            .unwrap_or_else(|_| panic!("case {i}: no answer within 10 s"));
        let errors =
            if reply["type"] == "error" { reply["payload"].clone() } else { reply["payload"]["errors"].clone() };
        assert_eq!(errors[0]["extensions"]["code"], expected, "case {i}: {reply}");
    }
    assert_eq!(app.query("{ __typename }", json!({})).await, json!({ "__typename": "Query" }), "still serving");
}
