//! `feedbackSubmitted` over WebSocket (graphql-transport-ws): filters, mutations and imports, and
//! delivery across server instances on PostgreSQL.

use serde_json::{Value, json};

use crate::helpers::{Silent, TestApp, next_json, spawn_app, spawn_second_instance, subscribe};

const DETRACTORS: &str = "subscription { feedbackSubmitted(filter: { metrics: [NPS], categories: [DETRACTOR], touchpointKinds: [DELIVERY] }) { externalId score category customer { externalId } touchpoint { kind } } }";

async fn basics(app: &TestApp) {
    for query in [
        r#"mutation { upsertCustomer(input: { externalId: "C-1", name: "Ada", email: "ada@example.com", segment: "consumer", region: "EMEA", createdAt: "2026-01-01T00:00:00Z" }) { created } }"#,
        r#"mutation { upsertTouchpoint(input: { externalId: "T-1", customerExternalId: "C-1", kind: DELIVERY, channel: SMS, occurredAt: "2026-02-03T10:00:00Z" }) { created } }"#,
    ] {
        app.query(query, json!({})).await;
    }
}

fn answer(external_id: &str, score: i32, touchpoint: Option<&str>) -> String {
    let touchpoint = touchpoint.map(|t| format!(r#"touchpointExternalId: "{t}", "#)).unwrap_or_default();
    format!(
        r#"mutation {{ upsertFeedback(input: {{ externalId: "{external_id}", customerExternalId: "C-1", {touchpoint}metric: NPS, score: {score}, submittedAt: "2026-02-03T12:00:00Z" }}) {{ created }} }}"#
    )
}

#[tokio::test]
async fn a_subscriber_receives_a_detractor_and_not_a_promoter() {
    let app = spawn_app().await;
    basics(&app).await;
    let mut socket = subscribe(&app.address, DETRACTORS).await;
    // A promoter, a detractor of a relationship survey (no touchpoint kind), then the detractor it waits for.
    app.query(&answer("F-1", 10, Some("T-1")), json!({})).await;
    app.query(&answer("F-2", 2, None), json!({})).await;
    app.query(&answer("F-3", 3, Some("T-1")), json!({})).await;
    let message = next_json(&mut socket).await;
    assert_eq!(message["type"], "next", "{message}");
    assert_eq!(
        message["payload"]["data"]["feedbackSubmitted"],
        json!({ "externalId": "F-3", "score": 3, "category": "DETRACTOR", "customer": { "externalId": "C-1" }, "touchpoint": { "kind": "DELIVERY" } })
    );
    // Repeating the same mutation changes nothing, so it announces nothing; a real change does.
    app.query(&answer("F-3", 3, Some("T-1")), json!({})).await;
    app.query(&answer("F-4", 0, Some("T-1")), json!({})).await;
    assert_eq!(next_json(&mut socket).await["payload"]["data"]["feedbackSubmitted"]["externalId"], "F-4");
}

#[tokio::test]
async fn invalid_subscriptions_are_refused_with_an_error_message() {
    let app = spawn_app().await;
    let mut socket =
        subscribe(&app.address, "subscription { feedbackSubmitted(filter: { categories: [ANGRY] }) { id } }").await;
    let message = next_json(&mut socket).await;
    assert_eq!(message["payload"]["data"], Value::Null, "{message}");
    assert!(message["payload"]["errors"][0]["message"].as_str().unwrap().contains("ANGRY"), "{message}");
}

/// Several instances behind a load balancer all deliver every event, from mutations and imports alike.
#[tokio::test]
#[ignore = "needs TEST_DATABASE_URL (PostgreSQL LISTEN/NOTIFY): .ci/run runs it"]
async fn every_instance_delivers_events_written_through_any_instance_or_import() {
    assert!(std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()), "set TEST_DATABASE_URL");
    let app = spawn_app().await;
    basics(&app).await;
    let (second, second_db) = spawn_second_instance(&app).await;
    let mut socket = subscribe(&second, DETRACTORS).await;
    app.query(&answer("F-1", 10, Some("T-1")), json!({})).await;
    app.query(&answer("F-2", 1, Some("T-1")), json!({})).await;
    assert_eq!(next_json(&mut socket).await["payload"]["data"]["feedbackSubmitted"]["externalId"], "F-2");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("feedback.csv"),
        "external_id,customer_external_id,touchpoint_external_id,metric,score,comment,submitted_at\nF-3,C-1,T-1,NPS,9,,2026-02-04T12:00:00Z\nF-4,C-1,T-1,NPS,5,,2026-02-04T13:00:00Z\n",
    )
    .unwrap();
    customer_insights::transfer::import::import(&second_db, dir.path(), Default::default(), &Silent).await.unwrap();
    assert_eq!(next_json(&mut socket).await["payload"]["data"]["feedbackSubmitted"]["externalId"], "F-4");

    // Complaints opened through one instance or an import are announced by the other.
    let mut alerts = subscribe(&second, ALERTS).await;
    app.query(&opening("K-1", "DELIVERY", chrono::Utc::now()), json!({})).await;
    assert_eq!(next_alert(&mut alerts).await["complaint"]["externalId"], "K-1");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("complaints.csv"),
        "external_id,customer_external_id,order_external_id,feedback_external_id,category,channel,opened_at,first_response_at,resolved_at,status,outcome\nK-2,C-1,,,DELIVERY,EMAIL,2026-02-05T09:00:00Z,2026-02-05T10:00:00Z,2026-02-06T09:00:00Z,RESOLVED,REFUND\nK-3,C-1,,,DELIVERY,EMAIL,2026-02-05T09:30:00Z,,,OPEN,\n",
    )
    .unwrap();
    customer_insights::transfer::import::import(&app.db, dir.path(), Default::default(), &Silent).await.unwrap();
    // The resolved one is not announced.
    assert_eq!(next_alert(&mut alerts).await["complaint"]["externalId"], "K-3");
}

const ALERTS: &str = "subscription { complaintAlerts(slaHours: 1, filter: { categories: [DELIVERY] }) { reason complaint { externalId status } } }";

fn opening(external_id: &str, category: &str, opened_at: chrono::DateTime<chrono::Utc>) -> String {
    let opened_at = opened_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    format!(
        r#"mutation {{ openComplaint(input: {{ externalId: "{external_id}", customerExternalId: "C-1", category: {category}, channel: PHONE, openedAt: "{opened_at}" }}) {{ created }} }}"#
    )
}

async fn next_alert(socket: &mut crate::helpers::Socket) -> Value {
    let message = next_json(socket).await;
    assert_eq!(message["type"], "next", "{message}");
    message["payload"]["data"]["complaintAlerts"].clone()
}

/// Complaint alerts: opened and reopened complaints of the filter's categories, and a complaint still
/// open when its SLA runs out, once.
#[tokio::test]
async fn complaint_alerts_announce_opened_reopened_and_overdue_complaints() {
    let app = spawn_app().await;
    basics(&app).await;
    let mut socket = subscribe(&app.address, ALERTS).await;
    let now = chrono::Utc::now();
    // Another category, then one of the filter's, opened now: its SLA runs out in an hour.
    app.query(&opening("K-1", "BILLING", now), json!({})).await;
    app.query(&opening("K-2", "DELIVERY", now), json!({})).await;
    assert_eq!(
        next_alert(&mut socket).await,
        json!({ "reason": "OPENED", "complaint": { "externalId": "K-2", "status": "OPEN" } })
    );
    // Correcting an open complaint announces nothing; closing it neither; reopening it does.
    app.query(&opening("K-2", "DELIVERY", now - chrono::Duration::minutes(1)), json!({})).await;
    let closing = format!(
        r#"mutation {{ resolveComplaint(input: {{ externalId: "K-2", resolvedAt: "{}", outcome: REFUND }}) {{ changed }} }}"#,
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let closed = app.query(&closing, json!({})).await;
    assert_eq!(closed["resolveComplaint"]["changed"], true, "{closed}");
    app.query(r#"mutation { reopenComplaint(externalId: "K-2") { changed } }"#, json!({})).await;
    assert_eq!(
        next_alert(&mut socket).await,
        json!({ "reason": "OPENED", "complaint": { "externalId": "K-2", "status": "IN_PROGRESS" } })
    );
    // Opened almost an hour ago: announced as opened, then, seconds later, as past its SLA.
    let almost_due = now - chrono::Duration::hours(1) + chrono::Duration::seconds(2);
    app.query(&opening("K-3", "DELIVERY", almost_due), json!({})).await;
    assert_eq!(
        next_alert(&mut socket).await,
        json!({ "reason": "OPENED", "complaint": { "externalId": "K-3", "status": "OPEN" } })
    );
    assert_eq!(
        next_alert(&mut socket).await,
        json!({ "reason": "PAST_SLA", "complaint": { "externalId": "K-3", "status": "OPEN" } })
    );
    // Nothing more: K-3 is announced past its SLA once, K-2's runs out in an hour.
    let more = tokio::time::timeout(std::time::Duration::from_secs(7), next_alert(&mut socket)).await;
    assert!(more.is_err(), "{more:?}");
}

#[tokio::test]
async fn complaint_alerts_refuse_an_sla_outside_a_year() {
    let app = spawn_app().await;
    let mut socket = subscribe(&app.address, "subscription { complaintAlerts(slaHours: 0) { reason } }").await;
    let message = next_json(&mut socket).await;
    assert_eq!(message["payload"]["data"], Value::Null, "{message}");
    let error = &message["payload"]["errors"][0];
    assert_eq!(error["message"], "slaHours: must be between 1 and 8760", "{message}");
}
