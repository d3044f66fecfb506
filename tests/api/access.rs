//! API keys and roles: each role on each kind of field (insights, rows, personal data, mutations,
//! subscriptions), and the answers to missing, bad and revoked keys.

use customer_insights::auth::{AuthMode, Role, keys};
use customer_insights::seed::{SeedOptions, seed};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, acknowledged_socket, code, next_json, open_socket, send_json, spawn_app_with};

struct Keys {
    viewer: String,
    analyst: String,
    admin: String,
}

async fn secured_app() -> (TestApp, Keys) {
    let app = spawn_app_with(|config| config.auth = AuthMode::Keys).await;
    seed(&app.db, &SeedOptions { customers: 30, seed: 7, ..Default::default() }).await.expect("seed");
    let key = |name: &'static str, role| {
        let db = app.db.clone();
        async move { keys::create(&db, name, role).await.expect("create a key").secret }
    };
    let keys = Keys {
        viewer: key("dashboard", Role::Viewer).await,
        analyst: key("bi-tool", Role::Analyst).await,
        admin: key("admin-console", Role::Admin).await,
    };
    (app, keys)
}

const INSIGHTS: &str =
    "{ insights { satisfaction(metric: NPS, groupBy: [TOUCHPOINT_KIND]) { touchpointKind score { n } } } }";
const ROWS: &str = "{ customers(first: 3) { nodes { externalId segment } } }";
const PERSONAL: &str = "{ customers(first: 50) { nodes { name email feedback(first: 20) { nodes { comment } } } } }";
const MUTATION: &str = r#"mutation { upsertCustomer(input: { externalId: "C-NEW", name: "New", email: "new@example.com", segment: "consumer", region: "EMEA", createdAt: "2026-01-01T00:00:00Z" }) { created } }"#;

#[tokio::test]
async fn missing_bad_and_revoked_keys_are_unauthenticated() {
    let (app, keys) = secured_app().await;
    let response = app.client.post(app.graphql_url()).json(&json!({ "query": INSIGHTS })).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let body: Value = response.json().await.unwrap();
    assert_eq!(code(&body["errors"][0]), "UNAUTHENTICATED");
    assert!(body.get("data").is_none());

    for bad in ["cik_not-a-key", "x", &format!("{}x", keys.admin)] {
        let Reply { status, body, .. } = app.send(Some(bad), json!({ "query": INSIGHTS })).await;
        assert_eq!((status, code(&body["errors"][0])), (401, "UNAUTHENTICATED"), "{bad}");
    }
    let response = app
        .client
        .post(app.graphql_url())
        .header("Authorization", "Basic YTpi")
        .json(&json!({ "query": INSIGHTS }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    let revoked = keys::create(&app.db, "leaked", Role::Admin).await.unwrap().secret;
    assert!(keys::revoke(&app.db, "leaked").await.unwrap());
    let status = app.send(Some(&revoked), json!({ "query": INSIGHTS })).await.status;
    assert_eq!(status, 401);
    // Every endpoint but the operational ones needs the key, GET included.
    let get = app.client.get(app.graphql_url()).query(&[("query", INSIGHTS)]).send().await.unwrap();
    assert_eq!(get.status(), 401);
    assert_eq!(app.client.get(format!("{}/healthz", app.address)).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_viewer_reads_insights_only_and_learns_nothing_about_rows() {
    let (app, keys) = secured_app().await;
    let viewer = Some(keys.viewer.as_str());
    let Reply { status, body, .. } = app.send(viewer, json!({ "query": INSIGHTS })).await;
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{body}");

    let complaints = ["{ complaints { totalCount } }", "{ complaint(externalId: \"X\") { id } }"];
    for query in
        [ROWS, "{ node(id: \"Q3VzdG9tZXI6MQ\") { id } }", "{ feedbacks { totalCount } }"].into_iter().chain(complaints)
    {
        let body = app.send(viewer, json!({ "query": query })).await.body;
        assert_eq!(code(&body["errors"][0]), "FORBIDDEN", "{query}: {body}");
    }
    // The same answer whether the row exists or not.
    let existing = app.db_first_customer().await;
    let found =
        app.send(viewer, json!({ "query": format!("{{ customer(externalId: \"{existing}\") {{ id }} }}") })).await.body;
    let missing = app.send(viewer, json!({ "query": "{ customer(externalId: \"NO-SUCH\") { id } }" })).await.body;
    assert_eq!(found["errors"][0]["message"], missing["errors"][0]["message"]);
    assert_eq!(found["data"], missing["data"]);
    assert_eq!(code(&found["errors"][0]), "FORBIDDEN");

    let body = app.send(viewer, json!({ "query": MUTATION })).await.body;
    assert_eq!(code(&body["errors"][0]), "FORBIDDEN");
    let body = app.send(Some(&keys.admin), json!({ "query": "{ customer(externalId: \"C-NEW\") { id } }" })).await.body;
    assert_eq!(body["data"]["customer"], Value::Null, "the forbidden mutation changed nothing");
}

#[tokio::test]
async fn an_analyst_reads_rows_with_personal_data_masked_and_cannot_write() {
    let (app, keys) = secured_app().await;
    let analyst = Some(keys.analyst.as_str());
    let body = app.send(analyst, json!({ "query": PERSONAL })).await.body;
    assert!(body.get("errors").is_none(), "{body}");
    let customers = body["data"]["customers"]["nodes"].as_array().unwrap();
    assert!(!customers.is_empty());
    let mut comments = 0;
    for customer in customers {
        assert_eq!((customer["name"].as_str(), customer["email"].as_str()), (Some("[masked]"), Some("[masked]")));
        for answer in customer["feedback"]["nodes"].as_array().unwrap() {
            if !answer["comment"].is_null() {
                assert_eq!(answer["comment"], "[masked]");
                comments += 1;
            }
        }
    }
    assert!(comments > 0, "the seed has comments to mask");
    let body = app.send(analyst, json!({ "query": INSIGHTS })).await.body;
    assert!(body.get("errors").is_none(), "{body}");
    // Sorting by name would reveal names through the order and the cursors.
    let body = app
        .send(analyst, json!({ "query": "{ customers(orderBy: { field: NAME }) { nodes { externalId } } }" }))
        .await
        .body;
    assert_eq!(code(&body["errors"][0]), "FORBIDDEN");
    let body = app.send(analyst, json!({ "query": MUTATION })).await.body;
    assert_eq!(code(&body["errors"][0]), "FORBIDDEN");
}

#[tokio::test]
async fn an_admin_sees_personal_data_and_writes() {
    let (app, keys) = secured_app().await;
    let admin = Some(keys.admin.as_str());
    let body = app.send(admin, json!({ "query": PERSONAL })).await.body;
    let first = &body["data"]["customers"]["nodes"][0];
    assert!(first["email"].as_str().is_some_and(|email| email.contains('@')), "{body}");
    let body = app.send(admin, json!({ "query": MUTATION })).await.body;
    assert_eq!(body["data"], json!({ "upsertCustomer": { "created": true } }), "{body}");
    let body = app
        .send(admin, json!({ "query": "{ customers(orderBy: { field: NAME }, first: 1) { nodes { name } } }" }))
        .await
        .body;
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test]
async fn subscriptions_need_a_key_and_a_role_that_reads_rows() {
    let (app, keys) = secured_app().await;
    let (_, reply) = open_socket(&app.address, None).await;
    let reply = reply.expect("a close frame");
    assert_eq!(reply["closed"], 1002, "no key: closed before anything runs");
    assert!(reply["reason"].as_str().unwrap_or_default().contains("needs a key"), "{reply}");
    let mut socket = acknowledged_socket(&app.address, Some(&keys.viewer)).await;
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { feedbackSubmitted { comment } }" } });
    send_json(&mut socket, &subscribe).await;
    let message = next_json(&mut socket).await;
    assert_eq!(message["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN", "{message}");
    assert_eq!(message["payload"]["data"], Value::Null);

    // An analyst receives answers, with comments masked.
    let mut socket = acknowledged_socket(&app.address, Some(&keys.analyst)).await;
    let subscribe = json!({ "id": "2", "type": "subscribe", "payload": { "query": "subscription { feedbackSubmitted { externalId score comment } }" } });
    send_json(&mut socket, &subscribe).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let customer = app.db_first_customer().await;
    let answer = format!(
        r#"mutation {{ upsertFeedback(input: {{ externalId: "F-LIVE", customerExternalId: "{customer}", metric: NPS, score: 2, comment: "Jane at the desk was rude", submittedAt: "2026-02-01T00:00:00Z" }}) {{ created }} }}"#
    );
    let body = app.send(Some(&keys.admin), json!({ "query": &answer })).await.body;
    assert!(body.get("errors").is_none(), "{body}");
    let message = next_json(&mut socket).await;
    assert_eq!(
        message["payload"]["data"]["feedbackSubmitted"],
        json!({ "externalId": "F-LIVE", "score": 2, "comment": "[masked]" }),
        "{message}"
    );
}

impl TestApp {
    /// The external id of some customer.
    async fn db_first_customer(&self) -> String {
        use sea_orm::EntityTrait;
        entity::customer::Entity::find().one(&self.db).await.unwrap().expect("a customer").external_id
    }
}
