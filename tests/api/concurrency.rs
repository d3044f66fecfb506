//! Writers running at once, on both databases: every write succeeds (none fails on another writer's
//! locks), and the rollups stay exact.

use std::sync::Arc;

use customer_insights::services::writes::{
    FeedbackWrite, TouchpointWrite, upsert_customer, upsert_feedback, upsert_touchpoint,
};
use entity::{customer, touchpoint};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};
use serde_json::{Value, json};

use crate::helpers::{
    CHANNELS, KINDS, METRICS, Pick, Reply, TestApp, assert_rollups_exact, code, spawn_seeded_app,
    spawn_seeded_app_on_sqlite, test_seed, user_code,
};

/// A write that must succeed however other writers interleave: answers new and changed, on the
/// shared touchpoints; customers moving between segments; touchpoints changing kind and survey time.
async fn colliding_write(
    db: &DatabaseConnection,
    pick: &mut Pick,
    customers: &[customer::Model],
    touchpoints: &[touchpoint::Model],
    name: String,
) -> Result<(), String> {
    let owner = |id: i64| customers.iter().find(|c| c.id == id).map(|c| c.external_id.clone()).unwrap_or_default();
    let result = match pick.below(6) {
        0..=3 => {
            let t = pick.one(touchpoints).clone();
            let metric = *pick.one(&METRICS);
            // Half the time one of a few shared external ids: writers update each other's answers.
            let external_id = if pick.chance(50) { format!("F-shared-{}", pick.below(5)) } else { name };
            upsert_feedback(
                db,
                FeedbackWrite {
                    external_id,
                    customer_external_id: owner(t.customer_id),
                    touchpoint_external_id: Some(t.external_id),
                    metric,
                    score: pick.score(metric),
                    comment: pick.chance(50).then(|| "said something".to_owned()),
                    submitted_at: pick.instant(),
                },
            )
            .await
            .map(|_| ())
        }
        4 => {
            let c = pick.one(customers).clone();
            upsert_customer(db, pick.moved_customer(c)).await.map(|_| ())
        }
        _ => {
            let t = pick.one(touchpoints).clone();
            let write = TouchpointWrite {
                external_id: t.external_id,
                customer_external_id: owner(t.customer_id),
                order_external_id: None,
                kind: *pick.one(&KINDS),
                channel: *pick.one(&CHANNELS),
                occurred_at: t.occurred_at,
                survey_sent_at: pick.chance(80).then(|| pick.instant()),
            };
            upsert_touchpoint(db, write).await.map(|_| ())
        }
    };
    result.map_err(|e| e.to_string())
}

#[tokio::test]
async fn concurrent_writers_all_succeed_and_keep_the_rollups_exact() {
    let seed = test_seed();
    let app = spawn_seeded_app(40).await;
    let customers: Arc<Vec<customer::Model>> =
        Arc::new(customer::Entity::find().order_by_asc(customer::Column::Id).all(&app.db).await.unwrap());
    // A few touchpoints only, so that writers meet on the same rows and rollup groups.
    let touchpoints: Arc<Vec<touchpoint::Model>> = Arc::new(
        touchpoint::Entity::find().order_by_asc(touchpoint::Column::Id).all(&app.db).await.unwrap()[..12].to_vec(),
    );
    let writers = (0..8u64).map(|writer| {
        let (db, customers, touchpoints) = (app.db.clone(), customers.clone(), touchpoints.clone());
        tokio::spawn(async move {
            let mut pick = Pick::new(seed ^ (writer + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let mut failures = Vec::new();
            for n in 0..25 {
                let name = format!("F-writer-{writer}-{n}");
                if let Err(error) = colliding_write(&db, &mut pick, &customers, &touchpoints, name).await {
                    failures.push(error);
                }
            }
            failures
        })
    });
    let mut failures = Vec::new();
    for writer in writers {
        failures.extend(writer.await.expect("a writer task"));
    }
    assert!(failures.is_empty(), "{} of 200 writes failed (TEST_SEED={seed}): {failures:?}", failures.len());
    assert_rollups_exact(&app.db, &format!("200 concurrent writes (TEST_SEED={seed})")).await;
}

/// What a user of the embedded default saw: mutations from eight clients at once, each answered.
#[tokio::test]
async fn concurrent_mutations_over_http_are_all_answered_on_sqlite() {
    mutations_from_eight_clients(spawn_seeded_app_on_sqlite(20).await).await;
}

#[tokio::test]
async fn concurrent_mutations_over_http_are_all_answered() {
    mutations_from_eight_clients(spawn_seeded_app(20).await).await;
}

async fn mutations_from_eight_clients(app: TestApp) {
    let customer = customer::Entity::find().order_by_asc(customer::Column::Id).one(&app.db).await.unwrap().unwrap();
    let app = Arc::new(app);
    let mutation = "mutation($input: FeedbackInput!) { upsertFeedback(input: $input) { created } }";
    let clients = (0..8).map(|client| {
        let (app, customer) = (app.clone(), customer.external_id.clone());
        tokio::spawn(async move {
            let mut errors: Vec<Value> = Vec::new();
            for n in 0..50 {
                let input = json!({ "externalId": format!("F-http-{client}-{n}"), "customerExternalId": customer,
                    "metric": "NPS", "score": n % 11, "submittedAt": "2026-03-01T12:00:00Z" });
                let body = app.send(None, json!({ "query": mutation, "variables": { "input": input } })).await.body;
                if let Some(list) = body.get("errors") {
                    errors.push(list.clone());
                }
            }
            errors
        })
    });
    let mut errors = Vec::new();
    for client in clients {
        errors.extend(client.await.expect("a client"));
    }
    assert!(errors.is_empty(), "{} of 400 mutations failed: {:?}", errors.len(), &errors[..errors.len().min(3)]);
    assert_rollups_exact(&app.db, "400 concurrent mutations").await;
}

#[tokio::test]
async fn a_faulty_answer_among_concurrent_ones_fails_alone() {
    let app = Arc::new(spawn_seeded_app(20).await);
    let customer = customer::Entity::find().order_by_asc(customer::Column::Id).one(&app.db).await.unwrap().unwrap();
    let mutation =
        "mutation($input: FeedbackInput!) { upsertFeedback(input: $input) { created userErrors { message code } } }";
    // Concurrent single answers share transactions; every fifth names a customer that does not exist.
    let clients = (0..8).map(|client| {
        let (app, customer) = (app.clone(), customer.external_id.clone());
        tokio::spawn(async move {
            let mut outcomes = Vec::new();
            for n in 0..25 {
                let faulty = n % 5 == 0;
                let owner = if faulty { "C-nobody".to_owned() } else { customer.clone() };
                let input = json!({ "externalId": format!("F-mixed-{client}-{n}"), "customerExternalId": owner,
                    "metric": "CSAT", "score": 1 + n % 5, "submittedAt": "2026-03-02T12:00:00Z" });
                let body = app.post(mutation, json!({ "input": input })).await;
                outcomes.push((faulty, body));
            }
            outcomes
        })
    });
    let mut written = 0;
    for client in clients {
        for (faulty, body) in client.await.expect("a client") {
            assert!(body.get("errors").is_none(), "{body}");
            if faulty {
                let error = &body["data"]["upsertFeedback"]["userErrors"][0];
                assert!(matches!(user_code(error), "BAD_USER_INPUT" | "NOT_FOUND"), "{body}");
                assert!(error["message"].as_str().unwrap_or_default().contains("C-nobody"), "{body}");
            } else {
                assert_eq!(body["data"]["upsertFeedback"]["created"], true, "{body}");
                written += 1;
            }
        }
    }
    assert_eq!(written, 8 * 20);
    let stored = entity::feedback::Entity::find().all(&app.db).await.unwrap();
    let mixed: Vec<_> = stored.iter().filter(|answer| answer.external_id.starts_with("F-mixed-")).collect();
    assert_eq!(mixed.len(), written, "every good answer is stored, no faulty one");
    assert!(mixed.iter().all(|answer| answer.customer_id == customer.id));
    assert_rollups_exact(&app.db, "concurrent answers, some faulty").await;
}

/// A write that cannot get the database in time (on SQLite, another process holds the write lock past
/// the busy timeout) is `SERVICE_UNAVAILABLE` with a retry hint; reads go on meanwhile (one busy write
/// does not mark the database down), and the same write succeeds once the lock is gone.
#[tokio::test]
async fn a_write_kept_waiting_past_the_busy_timeout_is_unavailable_with_a_retry_hint() {
    use sea_orm::sqlx::{Connection, SqliteConnection};

    let app = spawn_seeded_app_on_sqlite(5).await;
    let mut holder = SqliteConnection::connect(&app.database_url).await.expect("a second connection");
    sea_orm::sqlx::query("BEGIN IMMEDIATE").execute(&mut holder).await.expect("take the write lock");
    let mutation = r#"mutation { upsertCustomer(input: { externalId: "C-held", name: "Held", email: "held@example.com",
        segment: "consumer", region: "EMEA", createdAt: "2026-01-01T00:00:00Z" }) { created } }"#;
    let Reply { status, retry_after, body, .. } = app.send(None, json!({ "query": mutation })).await;
    assert_eq!(status, 503);
    assert_eq!(retry_after.as_deref(), Some("1"));
    assert_eq!(code(&body["errors"][0]), "SERVICE_UNAVAILABLE", "{body}");
    let read = app.post("{ customers { totalCount } }", json!({})).await;
    assert_eq!(read["data"]["customers"]["totalCount"], 5, "{read}");

    sea_orm::sqlx::query("ROLLBACK").execute(&mut holder).await.expect("release the write lock");
    let written = app.post(mutation, json!({})).await;
    assert_eq!(written["data"]["upsertCustomer"]["created"], true, "{written}");
}
