//! Operating the server: `/healthz`, `/readyz`, `/metrics`, request ids, and graceful shutdown.

use std::time::Duration;

use futures_util::StreamExt;
use migration::{Migrator, MigratorTrait};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::helpers::{TestApp, TestDatabase, migrated, spawn_app, start_server, subscribe};

async fn get(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.client.get(format!("{}{path}", app.address)).send().await.expect("request");
    (response.status().as_u16(), response.text().await.expect("body"))
}

#[tokio::test]
async fn healthz_answers_and_readyz_checks_the_database_and_its_migrations() {
    let app = spawn_app().await;
    let (status, body) = get(&app, "/healthz").await;
    assert_eq!((status, serde_json::from_str::<Value>(&body).unwrap()), (200, json!({ "status": "up" })));

    let (status, body) = get(&app, "/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({ "status": "ready", "checks": { "primary": { "status": "up" }, "migrations": { "status": "current" } } })
    );

    // A schema behind the binary (as during a botched rolling deployment) is not ready for traffic.
    Migrator::down(&app.db, Some(1)).await.expect("revert the last migration");
    let (status, body) = get(&app, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["checks"]["migrations"], json!({ "status": "pending", "pending": 1 }));
}

/// The value of one sample line of the exposition, e.g. `name{labels}`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_by_operation_and_outcome_with_latency_cost_and_pool() {
    let app = spawn_app().await;
    for _ in 0..2 {
        app.query("query CustomerCount { customers { totalCount } }", json!({})).await;
    }
    let error = app.query_error("query Broken { customers { noSuchField } }", json!({})).await;
    assert_eq!(crate::helpers::code(&error), "GRAPHQL_VALIDATION_FAILED");
    let (status, text) = get(&app, "/metrics").await;
    assert_eq!(status, 200);
    let requests = "customer_insights_graphql_requests_total";
    assert_eq!(sample(&text, &format!("{requests}{{operation=\"CustomerCount\",outcome=\"ok\"}}")), Some(2.0));
    assert_eq!(sample(&text, &format!("{requests}{{operation=\"Broken\",outcome=\"rejected\"}}")), Some(1.0));
    let latency = "customer_insights_graphql_request_duration_seconds";
    assert_eq!(sample(&text, &format!("{latency}_count{{operation=\"CustomerCount\"}}")), Some(2.0));
    assert_eq!(sample(&text, &format!("{latency}_bucket{{operation=\"CustomerCount\",le=\"+Inf\"}}")), Some(2.0));
    // `customers` without `first` is a page of 20 rows of one field (`totalCount`) and itself: 21 per
    // executed request. The invalid one never ran.
    assert_eq!(sample(&text, "customer_insights_graphql_query_cost_count"), Some(2.0));
    assert_eq!(sample(&text, "customer_insights_graphql_query_cost_sum"), Some(42.0));
    assert_eq!(sample(&text, "customer_insights_http_requests_total{route=\"/graphql\",status=\"200\"}"), Some(3.0));
    assert_eq!(sample(&text, "customer_insights_db_up{database=\"primary\"}"), Some(1.0));
    assert_eq!(sample(&text, "customer_insights_db_pool_max_connections{database=\"primary\"}"), Some(10.0));
    assert!(sample(&text, "customer_insights_db_pool_connections{database=\"primary\",state=\"idle\"}").is_some());
    assert_eq!(sample(&text, "customer_insights_subscriptions_active"), Some(0.0));

    // A subscription is counted while it runs.
    let socket = subscribe(&app.address, "subscription { feedbackSubmitted { externalId } }").await;
    let (_, text) = get(&app, "/metrics").await;
    assert_eq!(sample(&text, "customer_insights_subscriptions_active"), Some(1.0));
    assert_eq!(sample(&text, "customer_insights_websocket_connections"), Some(1.0));
    drop(socket);
    let mut active = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        active = sample(&get(&app, "/metrics").await.1, "customer_insights_subscriptions_active");
        if active == Some(0.0) {
            break;
        }
    }
    assert_eq!(active, Some(0.0), "the subscription ends with its connection");
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_a_sane_caller_id_is_kept() {
    let app = spawn_app().await;
    let body = json!({ "query": "{ customers { totalCount } }" });
    let response = app.client.post(app.graphql_url()).json(&body).send().await.unwrap();
    let made = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(made.len(), 16);
    let response =
        app.client.post(app.graphql_url()).header("X-Request-Id", "lb-7f3a.1").json(&body).send().await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "lb-7f3a.1");
    let response =
        app.client.get(format!("{}/healthz", app.address)).header("X-Request-Id", "a b\"c").send().await.unwrap();
    assert_ne!(response.headers()["x-request-id"], "a b\"c");
}

/// SIGTERM in the middle of a request and of a subscription: the request still gets its answer, the
/// subscription is closed with 1001 (going away), new connections are refused and the server returns.
#[tokio::test]
async fn shutdown_finishes_requests_in_flight_and_closes_subscriptions() {
    let database = TestDatabase::create().await;
    let (db, _) = migrated(&database, None).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (address, server) = start_server(db, &database.url, None, async move {
        let _ = stopped.await;
    })
    .await;
    let mut socket = subscribe(&address, "subscription { feedbackSubmitted { externalId } }").await;

    // A request whose body is still arriving when the signal comes.
    let host = address.trim_start_matches("http://").to_owned();
    let body = json!({ "query": "{ customers { totalCount } }" }).to_string();
    let mut stream = tokio::net::TcpStream::connect(&host).await.expect("connect");
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let (first, rest) = body.split_at(10);
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    stop.send(()).expect("signal the server");
    let close = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.expect("a frame within 5 s");
    match close {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Away),
        other => panic!("expected a close frame with 1001, got {other:?}"),
    }
    assert!(tokio::net::TcpStream::connect(&host).await.is_err(), "no new connections once stopping");

    stream.write_all(rest.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut response))
        .await
        .expect("the answer within 5 s")
        .expect("read");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    let body: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("a JSON body: {response}"));
    assert_eq!(body["data"], json!({ "customers": { "totalCount": 0 } }), "{response}");
    let finished = tokio::time::timeout(Duration::from_secs(5), server).await.expect("the server returns");
    assert!(finished.expect("no panic").is_ok());
}
