//! API keys and roles: each role on each kind of field (insights, rows, personal data, mutations,
//! subscriptions), and the answers to missing, bad and revoked keys.

use customer_insights::auth::{AuthMode, Role, keys};
use customer_insights::seed::{SeedOptions, seed};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{TestApp, code, spawn_app_with};

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

/// Posts with an optional key; returns the status and the body.
async fn post_as(app: &TestApp, key: Option<&str>, query: &str) -> (u16, Value) {
    let mut request = app.client.post(app.graphql_url()).json(&json!({ "query": query }));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
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
        let (status, body) = post_as(&app, Some(bad), INSIGHTS).await;
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
    let (status, _) = post_as(&app, Some(&revoked), INSIGHTS).await;
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
    let (status, body) = post_as(&app, viewer, INSIGHTS).await;
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{body}");

    for query in [ROWS, "{ node(id: \"Q3VzdG9tZXI6MQ\") { id } }", "{ feedbacks { totalCount } }"] {
        let (_, body) = post_as(&app, viewer, query).await;
        assert_eq!(code(&body["errors"][0]), "FORBIDDEN", "{query}: {body}");
    }
    // The same answer whether the row exists or not.
    let existing = app.db_first_customer().await;
    let (_, found) = post_as(&app, viewer, &format!("{{ customer(externalId: \"{existing}\") {{ id }} }}")).await;
    let (_, missing) = post_as(&app, viewer, "{ customer(externalId: \"NO-SUCH\") { id } }").await;
    assert_eq!(found["errors"][0]["message"], missing["errors"][0]["message"]);
    assert_eq!(found["data"], missing["data"]);
    assert_eq!(code(&found["errors"][0]), "FORBIDDEN");

    let (_, body) = post_as(&app, viewer, MUTATION).await;
    assert_eq!(code(&body["errors"][0]), "FORBIDDEN");
    let (_, body) = post_as(&app, Some(&keys.admin), "{ customer(externalId: \"C-NEW\") { id } }").await;
    assert_eq!(body["data"]["customer"], Value::Null, "the forbidden mutation changed nothing");
}

#[tokio::test]
async fn an_analyst_reads_rows_with_personal_data_masked_and_cannot_write() {
    let (app, keys) = secured_app().await;
    let analyst = Some(keys.analyst.as_str());
    let (_, body) = post_as(&app, analyst, PERSONAL).await;
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
    let (_, body) = post_as(&app, analyst, INSIGHTS).await;
    assert!(body.get("errors").is_none(), "{body}");
    // Sorting by name would reveal names through the order and the cursors.
    let (_, body) = post_as(&app, analyst, "{ customers(orderBy: { field: NAME }) { nodes { externalId } } }").await;
    assert_eq!(code(&body["errors"][0]), "FORBIDDEN");
    let (_, body) = post_as(&app, analyst, MUTATION).await;
    assert_eq!(code(&body["errors"][0]), "FORBIDDEN");
}

#[tokio::test]
async fn an_admin_sees_personal_data_and_writes() {
    let (app, keys) = secured_app().await;
    let admin = Some(keys.admin.as_str());
    let (_, body) = post_as(&app, admin, PERSONAL).await;
    let first = &body["data"]["customers"]["nodes"][0];
    assert!(first["email"].as_str().is_some_and(|email| email.contains('@')), "{body}");
    let (_, body) = post_as(&app, admin, MUTATION).await;
    assert_eq!(body["data"], json!({ "upsertCustomer": { "created": true } }), "{body}");
    let (_, body) = post_as(&app, admin, "{ customers(orderBy: { field: NAME }, first: 1) { nodes { name } } }").await;
    assert!(body.get("errors").is_none(), "{body}");
}

async fn open_socket(app: &TestApp, init: Value) -> (crate::subscriptions::Socket, Option<Value>) {
    let mut request = format!("{}/graphql/ws", app.address.replacen("http", "ws", 1)).into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("connect");
    socket.send(Message::Text(json!({ "type": "connection_init", "payload": init }).to_string().into())).await.unwrap();
    let reply = tokio::time::timeout(std::time::Duration::from_secs(5), socket.next()).await.expect("a reply");
    let reply = match reply {
        Some(Ok(Message::Text(text))) => serde_json::from_str(&text).ok(),
        Some(Ok(Message::Close(Some(frame)))) => {
            Some(json!({ "closed": u16::from(frame.code), "reason": frame.reason.to_string() }))
        }
        _ => None,
    };
    (socket, reply)
}

#[tokio::test]
async fn subscriptions_need_a_key_and_a_role_that_reads_rows() {
    let (app, keys) = secured_app().await;
    let (_, reply) = open_socket(&app, json!({})).await;
    let reply = reply.expect("a close frame");
    assert_eq!(reply["closed"], 1002, "no key: closed before anything runs");
    assert!(reply["reason"].as_str().unwrap_or_default().contains("needs a key"), "{reply}");
    let (mut socket, reply) = open_socket(&app, json!({ "Authorization": format!("Bearer {}", keys.viewer) })).await;
    assert_eq!(reply.unwrap()["type"], "connection_ack");
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { feedbackSubmitted { comment } }" } });
    socket.send(Message::Text(subscribe.to_string().into())).await.unwrap();
    let message = crate::subscriptions::next_json(&mut socket).await;
    assert_eq!(message["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN", "{message}");
    assert_eq!(message["payload"]["data"], Value::Null);

    // An analyst receives answers, with comments masked.
    let (mut socket, reply) = open_socket(&app, json!({ "Authorization": format!("Bearer {}", keys.analyst) })).await;
    assert_eq!(reply.unwrap()["type"], "connection_ack");
    let subscribe = json!({ "id": "2", "type": "subscribe", "payload": { "query": "subscription { feedbackSubmitted { externalId score comment } }" } });
    socket.send(Message::Text(subscribe.to_string().into())).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let customer = app.db_first_customer().await;
    let answer = format!(
        r#"mutation {{ upsertFeedback(input: {{ externalId: "F-LIVE", customerExternalId: "{customer}", metric: NPS, score: 2, comment: "Jane at the desk was rude", submittedAt: "2026-02-01T00:00:00Z" }}) {{ created }} }}"#
    );
    let (_, body) = post_as(&app, Some(&keys.admin), &answer).await;
    assert!(body.get("errors").is_none(), "{body}");
    let message = crate::subscriptions::next_json(&mut socket).await;
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
