//! A real PostgreSQL outage under the running server: requests fail fast with SERVICE_UNAVAILABLE
//! while it is down, `/readyz` says so, and the server recovers by itself when it is back.
//!
//! The test stops and starts a PostgreSQL cluster of its own (so other tests keep theirs):
//! `TEST_OUTAGE_DATABASE_URL` is an admin URL on it and `TEST_OUTAGE_PG_CTL` a command taking `stop`
//! or `start`. `.ci/run` provides both and runs this test in its PostgreSQL pass.

use std::time::{Duration, Instant};

use customer_insights::seed::SeedOptions;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestDatabase, code, migrated, send, start_server};

fn pg_ctl(action: &str) {
    let command = std::env::var("TEST_OUTAGE_PG_CTL").expect("TEST_OUTAGE_PG_CTL names the cluster's control command");
    let status =
        std::process::Command::new("sh").arg("-c").arg(format!("{command} {action}")).status().expect("run it");
    assert!(status.success(), "{command} {action} failed");
}

#[tokio::test]
#[ignore = "stops a PostgreSQL cluster: needs TEST_OUTAGE_DATABASE_URL and TEST_OUTAGE_PG_CTL (run by .ci/run)"]
async fn a_postgres_outage_fails_fast_and_the_server_recovers_without_restart() {
    let admin = std::env::var("TEST_OUTAGE_DATABASE_URL").expect("TEST_OUTAGE_DATABASE_URL is set");
    let database = TestDatabase::create_postgres(admin).await;
    let (db, _) = migrated(&database, Some(SeedOptions { customers: 5, seed: 1, ..Default::default() })).await;
    let (address, _server) = start_server(db, &database.url, None, std::future::pending()).await;
    let client = reqwest::Client::new();
    let count = json!({ "query": "{ customers { totalCount } }" });
    let healthy = json!({ "customers": { "totalCount": 5 } });
    assert_eq!(send(&client, &address, None, &count).await.body["data"], healthy);

    pg_ctl("stop");
    // The first requests find out (a broken connection, or the probe within a second or two)...
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let Reply { status, body, .. } = send(&client, &address, None, &count).await;
        if status == 503 {
            assert_eq!(code(&body["errors"][0]), "SERVICE_UNAVAILABLE", "{body}");
            break;
        }
        assert!(Instant::now() < deadline, "never reported unavailable; last answer {status} {body}");
        if status == 200 && body.get("errors").is_some() {
            assert_eq!(code(&body["errors"][0]), "SERVICE_UNAVAILABLE", "{body}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // ...and from then on requests are answered at once, with a retry hint, not after a timeout.
    for _ in 0..5 {
        let Reply { status, retry_after, body, elapsed } = send(&client, &address, None, &count).await;
        assert_eq!((status, retry_after.as_deref(), code(&body["errors"][0])), (503, Some("1"), "SERVICE_UNAVAILABLE"));
        assert!(elapsed < Duration::from_millis(500), "failing fast took {elapsed:?}");
        assert!(!body.to_string().to_lowercase().contains("refused"), "no driver details: {body}");
    }
    let ready = client.get(format!("{address}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.json::<Value>().await.unwrap()["checks"]["primary"]["status"], "down");
    assert_eq!(client.get(format!("{address}/healthz")).send().await.unwrap().status(), 200, "still alive");

    pg_ctl("start");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let Reply { status, body, .. } = send(&client, &address, None, &count).await;
        if status == 200 && body["data"] == healthy {
            break;
        }
        assert!(Instant::now() < deadline, "did not recover; last answer {status} {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ready = client.get(format!("{address}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
}
