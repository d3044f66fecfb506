//! One set of guards for every operation and every transport: each finding of the security review
//! reproduced over HTTP and WebSocket, with the refusal, its code, and a loose time bound.

use std::time::{Duration, Instant};

use customer_insights::auth::rate_limit::RateLimit;
use customer_insights::auth::{AuthMode, Role, keys};
use customer_insights::graphql::gate::persisted::PersistedQueries;
use customer_insights::seed::{SeedOptions, seed};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{
    Reply, Socket, acknowledged_socket, code, connect_socket, next_json, send_json, spawn_app_with, spawn_app_with_data,
};

/// A refusal must come well under a second, whatever the machine.
const QUICK: Duration = Duration::from_millis(1500);

/// Runs one operation over the socket and returns its first result (`next` or `error` payload),
/// skipping the messages of other operations.
async fn run_over_socket(socket: &mut Socket, id: &str, payload: Value) -> (Value, Duration) {
    let started = Instant::now();
    let subscribe = json!({ "id": id, "type": "subscribe", "payload": payload });
    send_json(socket, &subscribe).await;
    loop {
        let message = next_json(socket).await;
        if message["id"] == id && matches!(message["type"].as_str(), Some("next" | "error")) {
            return (message["payload"].clone(), started.elapsed());
        }
    }
}

/// Waits for the socket's close frame: its code.
async fn close_code(socket: &mut Socket, within: Duration) -> Option<u16> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await.ok()?? {
            Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
}

/// `query A { __typename }` beside `query B` whose fragments double `levels` times.
fn fragment_bomb(levels: usize) -> String {
    let mut query =
        format!("query A {{ __typename }} query B {{ ...F0 }} fragment F{levels} on Query {{ __typename }}");
    for i in 0..levels {
        query.push_str(&format!(" fragment F{i} on Query {{ ...F{} ...F{} }}", i + 1, i + 1));
    }
    query
}

const NESTED_100: &str = "{ customers(first: 100) { nodes { orders(first: 100) { nodes { touchpoints(first: 100) { nodes { feedback(first: 100) { nodes { score } } } } } } } } }";

/// The request that cost a 2,000-customer server 13 s and 1.1 GB: three heavy insights at once.
const HEAVY_INSIGHTS: &str = r#"{ insights {
  satisfaction(metric: NPS, groupBy: [TOUCHPOINT_KIND, CHANNEL, SEGMENT, REGION], series: { granularity: DAY },
    filter: { period: { from: "2023-06-01T00:00:00Z", to: "2026-02-25T00:00:00Z" } }) { periodStart score { value n } }
  loyalty(period: { from: "2023-06-01T00:00:00Z", to: "2026-02-25T00:00:00Z" }, groupBy: [SEGMENT, REGION],
    series: { granularity: DAY }) { periodStart activeCustomers }
  cohortRetention(granularity: WEEK, periods: 60, cohorts: { from: "2007-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }) { share }
} }"#;

#[tokio::test]
async fn a_fragment_bomb_in_an_operation_that_does_not_run_is_refused_at_once_on_every_transport() {
    let app = spawn_app_with(|_| {}).await;
    let body = json!({ "query": fragment_bomb(26), "operationName": "A" });
    let Reply { status, body: answer, elapsed, .. } = app.send(None, body.clone()).await;
    assert_eq!(code(&answer["errors"][0]), "LIMIT_EXCEEDED", "{answer}");
    assert_eq!(status, 200, "a request error under application/json");
    assert!(elapsed < QUICK, "refused in {elapsed:?}");
    let get = app
        .client
        .get(app.graphql_url())
        .query(&[("query", fragment_bomb(26).as_str()), ("operationName", "A")])
        .send()
        .await
        .unwrap();
    assert_eq!(code(&get.json::<Value>().await.unwrap()["errors"][0]), "LIMIT_EXCEEDED");
    // Each item of a batch passes the gate.
    let Reply { body: answer, elapsed, .. } = app.send(None, json!([{ "query": "{ __typename }" }, body])).await;
    assert_eq!(answer[0]["data"], json!({ "__typename": "Query" }));
    assert_eq!(code(&answer[1]["errors"][0]), "LIMIT_EXCEEDED", "{answer}");
    assert!(elapsed < QUICK);
    let mut socket = acknowledged_socket(&app.address, None).await;
    let (payload, elapsed) = run_over_socket(&mut socket, "1", body).await;
    assert_eq!(code(&payload["errors"][0]), "LIMIT_EXCEEDED", "{payload}");
    assert!(elapsed < QUICK, "refused in {elapsed:?}");
}

#[tokio::test]
async fn websocket_operations_get_the_cost_limit_rate_limit_allow_list_and_message_size_of_http() {
    let app = spawn_app_with(|config| config.rate_limit = RateLimit { burst: 10.0, per_second: 0.001 }).await;
    let mut socket = acknowledged_socket(&app.address, None).await;
    let (payload, elapsed) = run_over_socket(&mut socket, "1", json!({ "query": NESTED_100 })).await;
    let error = &payload["errors"][0];
    assert_eq!((code(error), error["extensions"]["limit"].as_str()), ("LIMIT_EXCEEDED", Some("cost")), "{payload}");
    assert_eq!(error["extensions"]["actual"], 202_020_201);
    assert!(elapsed < QUICK);
    // The key's budget is shared by both transports: 10 points, 6 spent over HTTP, 6 more refused here.
    let query =
        json!({ "query": "{ a: __typename b: __typename c: __typename d: __typename e: __typename f: __typename }" });
    let answer = app.send(None, query.clone()).await.body;
    assert!(answer.get("errors").is_none(), "{answer}");
    let (payload, _) = run_over_socket(&mut socket, "2", query).await;
    assert_eq!(code(&payload["errors"][0]), "RATE_LIMITED", "{payload}");
    assert_eq!(next_json(&mut socket).await["type"], "complete");
    // A message larger than a request body may be is not read.
    let huge = json!({ "id": "3", "type": "subscribe", "payload": { "query": format!("{{ __typename }}#{}", "x".repeat(200_000)) } });
    let _ = socket.send(Message::Text(huge.to_string().into())).await;
    let closed = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.expect("the socket closes");
    assert!(!matches!(closed, Some(Ok(Message::Text(_)))), "{closed:?}");

    // The allow-list holds on the socket too.
    let dir = tempfile::tempdir().unwrap();
    let allowed = "query Count { customers { totalCount } }";
    let path = dir.path().join("allow-list.json");
    let hash = customer_insights::auth::keys::sha256_hex(allowed.as_bytes());
    std::fs::write(&path, json!({ hash: allowed }).to_string()).unwrap();
    let list = PersistedQueries::allow_list(&path).unwrap();
    let app = spawn_app_with(move |config| config.persisted = list).await;
    let mut socket = acknowledged_socket(&app.address, None).await;
    let (payload, _) = run_over_socket(&mut socket, "1", json!({ "query": allowed })).await;
    assert_eq!(payload["data"], json!({ "customers": { "totalCount": 0 } }), "{payload}");
    let (payload, _) = run_over_socket(&mut socket, "2", json!({ "query": "{ customers { nodes { email } } }" })).await;
    assert_eq!(code(&payload["errors"][0]), "PERSISTED_QUERY_NOT_ALLOWED", "{payload}");
}

#[tokio::test]
async fn insights_are_priced_by_their_rows_and_work_and_a_heavy_request_is_refused_before_it_runs() {
    // Prices read the data's size when the server starts: seed first, as `serve --demo` does.
    let app = spawn_app_with_data(200, |config| config.auth = AuthMode::Keys).await;
    let viewer = keys::create(&app.db, "dashboard", Role::Viewer).await.unwrap().secret;
    let Reply { body: answer, elapsed, .. } = app.send(Some(&viewer), json!({ "query": HEAVY_INSIGHTS })).await;
    let error = &answer["errors"][0];
    assert_eq!((code(error), error["extensions"]["limit"].as_str()), ("LIMIT_EXCEEDED", Some("cost")), "{answer}");
    assert!(error["extensions"]["actual"].as_u64().unwrap() > 500_000, "{answer}");
    assert!(elapsed < QUICK, "refused in {elapsed:?}");
    // An everyday dashboard query costs what it answers.
    let monthly = r#"{ insights { satisfaction(metric: NPS, groupBy: [TOUCHPOINT_KIND], series: { granularity: MONTH },
        filter: { period: { from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" } }) { periodStart score { value } } } }"#;
    let answer = app.send(Some(&viewer), json!({ "query": monthly })).await.body;
    assert!(answer.get("errors").is_none(), "{answer}");
    let requested = answer["extensions"]["cost"]["requestedQueryCost"].as_u64().unwrap();
    let rows = answer["data"]["insights"]["satisfaction"].as_array().unwrap().len() as u64;
    assert!(requested >= rows * 3, "priced {requested} for {rows} rows of three fields");
    assert!(requested < 2_000, "{requested}");
}

#[tokio::test]
async fn answers_are_bounded_in_rows_and_bytes() {
    let app = spawn_app_with(|config| config.limits.max_response_rows = 30).await;
    seed(&app.db, &SeedOptions { customers: 40, seed: 7, ..Default::default() }).await.expect("seed");
    let answer = app.send(None, json!({ "query": "{ customers(first: 30) { nodes { id } } }" })).await.body;
    assert!(answer.get("errors").is_none(), "{answer}");
    let answer = app
        .send(None, json!({ "query": "{ customers(first: 20) { nodes { orders(first: 5) { nodes { id } } } } }" }))
        .await
        .body;
    let error = &answer["errors"][0];
    assert_eq!(code(error), "LIMIT_EXCEEDED", "{answer}");
    assert_eq!(error["extensions"]["limit"], "number of rows in the answer");
    let app = spawn_app_with(|config| config.limits.max_response_bytes = 2_000).await;
    seed(&app.db, &SeedOptions { customers: 40, seed: 7, ..Default::default() }).await.expect("seed");
    let Reply { status, body: answer, .. } =
        app.send(None, json!({ "query": "{ customers(first: 40) { nodes { id email } } }" })).await;
    assert_eq!((status, code(&answer["errors"][0])), (200, "LIMIT_EXCEEDED"), "{answer}");
    assert_eq!(answer["errors"][0]["extensions"]["limit"], "size of the answer in bytes");
    // The same bounds over a WebSocket; a small answer still passes there.
    let mut socket = acknowledged_socket(&app.address, None).await;
    let (answer, _) =
        run_over_socket(&mut socket, "big", json!({ "query": "{ customers(first: 40) { nodes { id email } } }" }))
            .await;
    assert_eq!(code(&answer["errors"][0]), "LIMIT_EXCEEDED", "{answer}");
    assert_eq!(answer["errors"][0]["extensions"]["limit"], "size of the answer in bytes");
    let (answer, _) =
        run_over_socket(&mut socket, "small", json!({ "query": "{ customers(first: 2) { nodes { id } } }" })).await;
    assert!(answer.get("errors").is_none(), "{answer}");
}

#[tokio::test]
async fn a_batch_shares_one_deadline() {
    let app = spawn_app_with(|config| config.limits.timeout = Duration::from_millis(300)).await;
    seed(&app.db, &SeedOptions { customers: 300, seed: 7, ..Default::default() }).await.expect("seed");
    // Each item aggregates every answer over 730 daily buckets without rollups' help (a New York day
    // has raw edges); ten of them in one batch must not get ten timeouts.
    let heavy = json!({ "query": r#"{ insights { satisfaction(metric: NPS, groupBy: [TOUCHPOINT_KIND, CHANNEL, SEGMENT],
        filter: { period: { from: "2024-06-01T00:00:00Z", to: "2026-06-01T00:00:00Z" } },
        series: { granularity: DAY, timeZone: "America/New_York" }) { score { value } } } }"# });
    let Reply { body: answers, elapsed, .. } = app.send(None, json!(vec![heavy; 10])).await;
    assert!(elapsed < Duration::from_secs(3), "ten items answered in {elapsed:?}");
    let timed_out = answers.as_array().unwrap().iter().filter(|a| code(&a["errors"][0]) == "TIMEOUT").count();
    assert!(timed_out >= 1, "{answers}");
}

#[tokio::test]
async fn a_revoked_key_loses_its_websocket_within_five_seconds() {
    let app = spawn_app_with(|config| config.auth = AuthMode::Keys).await;
    let analyst = keys::create(&app.db, "live-board", Role::Analyst).await.unwrap().secret;
    let mut socket = acknowledged_socket(&app.address, Some(&analyst)).await;
    let (payload, _) = run_over_socket(&mut socket, "1", json!({ "query": "{ customers { totalCount } }" })).await;
    assert_eq!(payload["data"], json!({ "customers": { "totalCount": 0 } }), "{payload}");
    assert_eq!(next_json(&mut socket).await["type"], "complete");
    assert!(keys::revoke(&app.db, "live-board").await.unwrap());
    let revoked_at = Instant::now();
    assert_eq!(close_code(&mut socket, Duration::from_secs(6)).await, Some(4403));
    assert!(revoked_at.elapsed() <= Duration::from_secs(5), "closed after {:?}", revoked_at.elapsed());
}

#[tokio::test]
async fn sockets_must_initialise_in_time_and_hold_a_bounded_number_of_subscriptions() {
    let app = spawn_app_with(|config| {
        config.limits.websocket_init_timeout = Duration::from_millis(300);
        config.limits.max_subscriptions = 2;
    })
    .await;
    let (mut idle, _) = connect_socket(&app.address, None).await.unwrap();
    assert_eq!(close_code(&mut idle, Duration::from_secs(3)).await, Some(4408));
    let mut socket = acknowledged_socket(&app.address, None).await;
    for id in ["1", "2"] {
        let subscribe = json!({ "id": id, "type": "subscribe", "payload": { "query": "subscription { feedbackSubmitted { id } }" } });
        send_json(&mut socket, &subscribe).await;
    }
    let (payload, _) =
        run_over_socket(&mut socket, "3", json!({ "query": "subscription { feedbackSubmitted { id } }" })).await;
    let error = &payload["errors"][0];
    assert_eq!(code(error), "LIMIT_EXCEEDED", "{payload}");
    assert_eq!(error["extensions"]["limit"], "number of subscriptions on one connection");
    assert_eq!(next_json(&mut socket).await, json!({ "id": "3", "type": "complete" }));
    // Stopping one frees its place.
    send_json(&mut socket, &json!({ "id": "1", "type": "complete" })).await;
    assert_eq!(next_json(&mut socket).await, json!({ "id": "1", "type": "complete" }));
    let subscribe =
        json!({ "id": "4", "type": "subscribe", "payload": { "query": "subscription { feedbackSubmitted { id } }" } });
    send_json(&mut socket, &subscribe).await;
    let quiet = tokio::time::timeout(Duration::from_millis(500), next_json(&mut socket)).await;
    assert!(quiet.is_err(), "the fourth subscription runs (no error): {quiet:?}");
}

#[tokio::test]
async fn the_demo_answers_only_its_own_machine_and_key_mode_only_the_allowed_origins() {
    let demo = spawn_app_with(|_| {}).await;
    let foreign_host = demo
        .client
        .post(demo.graphql_url())
        .header("Host", "attacker.example")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign_host.status(), 403, "DNS rebinding: a foreign Host is refused");
    let local_name = demo
        .client
        .post(demo.graphql_url())
        .header("Host", "localhost:8080")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(local_name.status(), 200);
    let refused = connect_socket(&demo.address, Some("https://attacker.example")).await;
    assert!(
        matches!(refused, Err(tokio_tungstenite::tungstenite::Error::Http(ref r)) if r.status() == 403),
        "{refused:?}"
    );
    assert!(
        connect_socket(&demo.address, Some("http://localhost:3000")).await.is_ok(),
        "a page of this machine may connect"
    );

    let keyed = spawn_app_with(|config| {
        config.auth = AuthMode::Keys;
        config.allowed_origins = vec!["https://app.example.com".into()];
    })
    .await;
    assert!(connect_socket(&keyed.address, Some("https://app.example.com")).await.is_ok());
    for origin in ["https://attacker.example", "http://localhost:3000"] {
        let refused = connect_socket(&keyed.address, Some(origin)).await;
        assert!(
            matches!(refused, Err(tokio_tungstenite::tungstenite::Error::Http(ref r)) if r.status() == 403),
            "{origin}"
        );
    }
    assert!(connect_socket(&keyed.address, None).await.is_ok(), "clients that are not browsers send no Origin");
    let preflight = keyed
        .client
        .request(reqwest::Method::OPTIONS, keyed.graphql_url())
        .header("Origin", "https://app.example.com")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "authorization, content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "https://app.example.com");
}

#[tokio::test]
async fn an_address_that_keeps_sending_bad_keys_is_slowed_down() {
    let app = spawn_app_with(|config| config.auth = AuthMode::Keys).await;
    let mut statuses = Vec::new();
    for _ in 0..25 {
        let status = app.send(Some("cik_guess"), json!({ "query": "{ __typename }" })).await.status;
        statuses.push(status);
    }
    assert_eq!(statuses[0], 401);
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    let reply = app.send(Some("cik_guess"), json!({ "query": "{ __typename }" })).await;
    assert!(reply.retry_after.is_some());
    assert_eq!(code(&reply.body["errors"][0]), "RATE_LIMITED");
}

#[tokio::test]
async fn a_statement_past_its_request_deadline_is_stopped_and_its_connection_freed() {
    use customer_insights::db::{DatabaseOptions, connect, deadline};
    use sea_orm::{ConnectionTrait, DbBackend};

    let database = crate::helpers::TestDatabase::create().await;
    let timeout = Duration::from_millis(300);
    // One connection: if the stopped statement kept running, the next one would wait for it.
    let options =
        DatabaseOptions { max_connections: 1, statement_timeout: Some(timeout), ..DatabaseOptions::new(&database.url) };
    let (db, _) = connect(&options).await.expect("connect");
    let slow = match db.get_database_backend() {
        DbBackend::Postgres => "SELECT pg_sleep(30)",
        _ => {
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000000000) SELECT count(*) FROM n"
        }
    };
    let started = Instant::now();
    let stopped = deadline::scope(tokio::time::Instant::now() + timeout, db.execute_unprepared(slow)).await;
    assert!(stopped.is_err(), "the statement was stopped");
    assert!(started.elapsed() < Duration::from_secs(5), "stopped after {:?}", started.elapsed());
    let started = Instant::now();
    db.execute_unprepared("SELECT 1").await.expect("the connection serves the next statement");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[tokio::test]
async fn bad_keys_over_websockets_count_and_a_slowed_down_address_gets_no_upgrade() {
    let app = spawn_app_with(|config| config.auth = AuthMode::Keys).await;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": "Bearer cik_guess" } });
    let mut refused = None;
    for attempt in 0..25 {
        match connect_socket(&app.address, None).await {
            Ok((mut socket, _)) => {
                send_json(&mut socket, &init).await;
                assert!(close_code(&mut socket, Duration::from_secs(5)).await.is_some(), "a bad key closes the socket");
            }
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                refused = Some((attempt, response.status().as_u16(), response.headers().contains_key("retry-after")));
                break;
            }
            Err(other) => panic!("attempt {attempt}: {other}"),
        }
    }
    let (attempt, status, retry_after) = refused.expect("the address is slowed down");
    assert!(attempt >= 20, "slowed down after {attempt} failures, before its allowance was spent");
    assert_eq!((status, retry_after), (429, true));
    let status = app.send(Some("cik_guess"), json!({ "query": "{ __typename }" })).await.status;
    assert_eq!(status, 429, "the same address over HTTP");
}
