//! Incremental extracts: the server's row times (`recordedAt`, `updatedAt`) on every write path, the
//! rows changed since a time (`updatedSince`, ordered and paged by `UPDATED_AT`), the tombstones every
//! delete leaves (`deletions`), and the migration that adds the times to rows stored before it.

use chrono::{DateTime, Duration, Utc};
use customer_insights::auth::{AuthMode, Role, keys};
use customer_insights::transfer::import::{ImportOptions, import};
use entity::{Channel, ComplaintCategory, ComplaintStatus, complaint, customer as customers};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, Statement};
use serde_json::{Value, json};

use crate::helpers::{Silent, TestApp, code, spawn_app, spawn_app_with, spawn_seeded_app};
use crate::transfer::{good_dir, write as write_file};

const UPSERT_CUSTOMER: &str =
    "mutation($input: CustomerInput!) { upsertCustomer(input: $input) { changed customer { id } } }";
const UPSERT_ORDER: &str = "mutation($input: OrderInput!) { upsertOrder(input: $input) { changed } }";
const UPSERT_TOUCHPOINT: &str = "mutation($input: TouchpointInput!) { upsertTouchpoint(input: $input) { changed } }";
const UPSERT_FEEDBACK: &str = "mutation($input: FeedbackInput!) { upsertFeedback(input: $input) { changed } }";

fn customer(external_id: &str, segment: &str) -> Value {
    json!({ "input": { "externalId": external_id, "name": "Ada", "email": format!("{external_id}@example.com"),
        "segment": segment, "region": "EMEA", "createdAt": "2024-01-01T00:00:00Z" } })
}

fn order(external_id: &str, status: &str) -> Value {
    json!({ "input": { "externalId": external_id, "customerExternalId": "C-1", "placedAt": "2026-02-01T10:00:00Z",
        "status": status, "totalAmount": "12.50", "currency": "EUR" } })
}

fn touchpoint(external_id: &str, channel: &str) -> Value {
    json!({ "input": { "externalId": external_id, "customerExternalId": "C-1", "orderExternalId": "O-1",
        "kind": "DELIVERY", "channel": channel, "occurredAt": "2026-02-03T10:00:00Z",
        "surveySentAt": "2026-02-03T11:00:00Z" } })
}

fn answer(external_id: &str, score: i32, comment: Option<&str>) -> Value {
    json!({ "customerExternalId": "C-1", "externalId": external_id, "touchpointExternalId": "T-1",
        "metric": "NPS", "score": score, "comment": comment, "submittedAt": "2026-02-03T12:00:00Z" })
}

/// Runs a mutation and returns whether it changed anything (its only selected field).
async fn write(app: &TestApp, mutation: &str, variables: Value) -> bool {
    let data = app.query(mutation, variables).await;
    let payload = data.as_object().and_then(|fields| fields.values().next()).cloned().unwrap_or_default();
    payload["changed"].as_bool().unwrap_or_else(|| panic!("a payload with `changed`: {data}"))
}

/// A customer C-1 with an order O-1, a touchpoint T-1 and two answers at it, F-1 (commented) and F-2.
async fn basics(app: &TestApp) {
    write(app, UPSERT_CUSTOMER, customer("C-1", "consumer")).await;
    write(app, UPSERT_ORDER, order("O-1", "PLACED")).await;
    write(app, UPSERT_TOUCHPOINT, touchpoint("T-1", "SMS")).await;
    write(app, UPSERT_FEEDBACK, json!({ "input": answer("F-1", 4, Some("Late")) })).await;
    write(app, UPSERT_FEEDBACK, json!({ "input": answer("F-2", 9, None) })).await;
}

fn time(value: &Value) -> DateTime<Utc> {
    let text = value.as_str().unwrap_or_else(|| panic!("a time: {value}"));
    DateTime::parse_from_rfc3339(text).expect("RFC 3339").with_timezone(&Utc)
}

/// A row's `(recordedAt, updatedAt)`, looked up by the root field `field` (`customer`, `order`, ...).
async fn times(app: &TestApp, field: &str, external_id: &str) -> (DateTime<Utc>, DateTime<Utc>) {
    let query = format!("{{ {field}(externalId: \"{external_id}\") {{ recordedAt updatedAt }} }}");
    let row = app.query(&query, json!({})).await[field].clone();
    (time(&row["recordedAt"]), time(&row["updatedAt"]))
}

/// A time between the writes before it and the writes after it (the server's clock is this process's).
async fn moment() -> DateTime<Utc> {
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let now = Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    now
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The external ids of a root list's rows changed since `since`, in update order, read a row per page.
async fn changed_since(app: &TestApp, list: &str, since: DateTime<Utc>) -> Vec<String> {
    let query = format!(
        "query($since: DateTime!, $after: String) {{ {list}(first: 1, after: $after,
            filter: {{ updatedSince: $since }}, orderBy: {{ field: UPDATED_AT }}) {{
            nodes {{ externalId }} pageInfo {{ hasNextPage endCursor }} }} }}"
    );
    let (mut rows, mut after) = (Vec::new(), Value::Null);
    loop {
        let page = app.query(&query, json!({ "since": rfc3339(since), "after": after })).await[list].clone();
        rows.extend(page["nodes"].as_array().unwrap().iter().map(|n| n["externalId"].as_str().unwrap().to_owned()));
        if page["pageInfo"]["hasNextPage"] != true {
            return rows;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test]
async fn writes_stamp_new_rows_and_only_a_change_moves_updated_at() {
    let app = spawn_app().await;
    let before = Utc::now();
    basics(&app).await;
    let after = Utc::now();
    let lists = [("customer", "C-1"), ("order", "O-1"), ("touchpoint", "T-1"), ("feedback", "F-1")];
    let mut stamped = Vec::new();
    for (field, external_id) in lists {
        let (recorded, updated) = times(&app, field, external_id).await;
        assert_eq!(recorded, updated, "{field}: a new row is recorded and updated at once");
        assert!(before <= recorded && recorded <= after, "{field}: {recorded} outside [{before}, {after}]");
        stamped.push((recorded, updated));
    }

    // Repeated writes change nothing, their times included.
    assert!(!write(&app, UPSERT_CUSTOMER, customer("C-1", "consumer")).await);
    assert!(!write(&app, UPSERT_ORDER, order("O-1", "PLACED")).await);
    assert!(!write(&app, UPSERT_TOUCHPOINT, touchpoint("T-1", "SMS")).await);
    assert!(!write(&app, UPSERT_FEEDBACK, json!({ "input": answer("F-1", 4, Some("Late")) })).await);
    app.query(r#"mutation { setOrderStatus(externalId: "O-1", status: PLACED) { __typename } }"#, json!({})).await;
    let batch = json!({ "inputs": [answer("F-1", 4, Some("Late")), answer("F-2", 9, None)] });
    app.query("mutation($inputs: [FeedbackInput!]!) { upsertFeedbacks(inputs: $inputs) { __typename } }", batch).await;
    for ((field, external_id), stamped) in lists.iter().zip(&stamped) {
        assert_eq!(times(&app, field, external_id).await, *stamped, "{field}: a repetition leaves the times");
    }

    // A change moves `updatedAt`, never `recordedAt`.
    assert!(write(&app, UPSERT_CUSTOMER, customer("C-1", "smb")).await);
    assert!(write(&app, UPSERT_TOUCHPOINT, touchpoint("T-1", "EMAIL")).await);
    app.query(r#"mutation { setOrderStatus(externalId: "O-1", status: DELIVERED) { __typename } }"#, json!({})).await;
    let batch = json!({ "inputs": [answer("F-1", 5, Some("Late")), answer("F-2", 9, None)] });
    app.query("mutation($inputs: [FeedbackInput!]!) { upsertFeedbacks(inputs: $inputs) { __typename } }", batch).await;
    for ((field, external_id), (recorded, updated)) in lists.iter().zip(&stamped) {
        let (recorded_now, updated_now) = times(&app, field, external_id).await;
        assert_eq!(recorded_now, *recorded, "{field}");
        assert!(updated_now > *updated, "{field}: a change moves updatedAt ({updated} -> {updated_now})");
    }
    // The answer the batch repeated keeps its time.
    let (recorded, updated) = times(&app, "feedback", "F-2").await;
    assert_eq!(recorded, updated, "F-2 was repeated, not changed");
}

#[tokio::test]
async fn updated_since_lists_exactly_the_rows_changed_since_in_the_order_they_changed() {
    let app = spawn_app().await;
    basics(&app).await;
    write(&app, UPSERT_CUSTOMER, customer("C-2", "consumer")).await;
    write(&app, UPSERT_CUSTOMER, customer("C-3", "consumer")).await;
    let since = moment().await;
    // Changed: C-3, then C-4 (new), then C-2; repeated: C-1. T-1 changes; F-2 is new.
    write(&app, UPSERT_CUSTOMER, customer("C-3", "smb")).await;
    write(&app, UPSERT_CUSTOMER, customer("C-4", "consumer")).await;
    write(&app, UPSERT_CUSTOMER, customer("C-2", "enterprise")).await;
    write(&app, UPSERT_CUSTOMER, customer("C-1", "consumer")).await;
    write(&app, UPSERT_TOUCHPOINT, touchpoint("T-1", "EMAIL")).await;
    write(&app, UPSERT_FEEDBACK, json!({ "input": answer("F-3", 7, None) })).await;

    assert_eq!(changed_since(&app, "customers", since).await, ["C-3", "C-4", "C-2"]);
    assert!(changed_since(&app, "orders", since).await.is_empty());
    assert_eq!(changed_since(&app, "touchpoints", since).await, ["T-1"]);
    assert_eq!(changed_since(&app, "feedbacks", since).await, ["F-3"]);
    // The customer's own lists take the filter too.
    let nested = "query($since: DateTime!) { customer(externalId: \"C-1\") {
        orders(filter: { updatedSince: $since }) { totalCount }
        touchpoints(filter: { updatedSince: $since }) { nodes { externalId } }
        feedback(filter: { updatedSince: $since }, orderBy: { field: UPDATED_AT, direction: DESC }) {
            nodes { externalId } } } }";
    let data = app.query(nested, json!({ "since": rfc3339(since) })).await;
    assert_eq!(
        data["customer"],
        json!({ "orders": { "totalCount": 0 }, "touchpoints": { "nodes": [{ "externalId": "T-1" }] },
            "feedback": { "nodes": [{ "externalId": "F-3" }] } })
    );

    // A row changed while an extract pages comes again at its end: the extract ends with what is newest.
    let query = "query($since: DateTime!, $after: String) { customers(first: 2, after: $after,
        filter: { updatedSince: $since }, orderBy: { field: UPDATED_AT }) {
        nodes { externalId } pageInfo { endCursor } } }";
    let first = app.query(query, json!({ "since": rfc3339(since) })).await["customers"].clone();
    assert_eq!(first["nodes"], json!([{ "externalId": "C-3" }, { "externalId": "C-4" }]));
    write(&app, UPSERT_CUSTOMER, customer("C-3", "consumer")).await;
    let variables = json!({ "since": rfc3339(since), "after": first["pageInfo"]["endCursor"] });
    let rest = app.query(query, variables).await["customers"].clone();
    assert_eq!(rest["nodes"], json!([{ "externalId": "C-2" }, { "externalId": "C-3" }]));
}

#[tokio::test]
async fn deletes_leave_tombstones_with_the_global_ids_the_rows_had() {
    let app = spawn_app().await;
    basics(&app).await;
    write(&app, UPSERT_TOUCHPOINT, touchpoint("T-2", "SMS")).await;
    let ids = app
        .query(
            r#"{ t: touchpoint(externalId: "T-1") { id feedback { nodes { id externalId } } }
        f: feedback(externalId: "F-2") { id } t2: touchpoint(externalId: "T-2") { id } }"#,
            json!({}),
        )
        .await;
    let since = moment().await;
    let delete_touchpoint = r#"mutation { deleteTouchpoint(externalId: "T-1", withFeedback: true) { __typename } }"#;
    app.query(delete_touchpoint, json!({})).await;
    app.query(r#"mutation { deleteTouchpoint(externalId: "T-2") { __typename } }"#, json!({})).await;
    // Nothing to delete: no tombstone.
    app.query(r#"mutation { deleteFeedback(externalId: "F-2") { __typename } }"#, json!({})).await;

    let deletions = "query($since: DateTime!, $types: [NodeType!], $after: String) {
        deletions(since: $since, types: $types, first: 10, after: $after) {
            totalCount nodes { id externalId type deletedAt } pageInfo { hasNextPage endCursor } } }";
    let all = app.query(deletions, json!({ "since": rfc3339(since) })).await["deletions"].clone();
    let tombstones: Vec<(Value, Value, Value)> = all["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row["id"].clone(), row["externalId"].clone(), row["type"].clone()))
        .collect();
    let answer_ids: Vec<&Value> = ids["t"]["feedback"]["nodes"].as_array().unwrap().iter().map(|n| &n["id"]).collect();
    assert_eq!(
        tombstones,
        [
            (answer_ids[0].clone(), json!("F-1"), json!("FEEDBACK")),
            (answer_ids[1].clone(), json!("F-2"), json!("FEEDBACK")),
            (ids["t"]["id"].clone(), json!("T-1"), json!("TOUCHPOINT")),
            (ids["t2"]["id"].clone(), json!("T-2"), json!("TOUCHPOINT")),
        ],
        "in the order of deletion"
    );
    assert_eq!(ids["f"]["id"], *answer_ids[1]);
    for row in all["nodes"].as_array().unwrap() {
        assert!(time(&row["deletedAt"]) >= since);
        let node = app.query("query($id: ID!) { node(id: $id) { id } }", json!({ "id": row["id"] })).await;
        assert_eq!(node["node"], Value::Null, "{row}");
    }

    let touchpoints = json!({ "since": rfc3339(since), "types": ["TOUCHPOINT"] });
    let only = app.query(deletions, touchpoints).await["deletions"].clone();
    assert_eq!(only["totalCount"], 2);
    assert_eq!(only["nodes"][0]["externalId"], "T-1");
    // Paged by cursor, in the same order.
    let (mut paged, mut after) = (Vec::new(), Value::Null);
    let page = "query($since: DateTime!, $after: String) { deletions(since: $since, first: 3, after: $after) {
        nodes { externalId } pageInfo { hasNextPage endCursor } } }";
    loop {
        let variables = json!({ "since": rfc3339(since), "after": after });
        let data = app.query(page, variables).await["deletions"].clone();
        paged.extend(data["nodes"].as_array().unwrap().iter().map(|n| n["externalId"].clone()));
        if data["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = data["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(paged, [json!("F-1"), json!("F-2"), json!("T-1"), json!("T-2")]);
    let later = app.query(deletions, json!({ "since": rfc3339(moment().await) })).await["deletions"].clone();
    assert_eq!(later["totalCount"], 0, "nothing deleted since");
}

#[tokio::test]
async fn an_erasure_leaves_tombstones_of_the_complaints_and_changes_what_it_changes() {
    let app = spawn_app().await;
    basics(&app).await;
    let open = "mutation($input: ComplaintOpeningInput!) { openComplaint(input: $input) { __typename } }";
    let opening = json!({ "input": { "externalId": "CMP-1", "customerExternalId": "C-1", "category": "DELIVERY",
        "channel": "EMAIL", "openedAt": "2026-02-04T13:00:00Z" } });
    app.query(open, opening).await;
    // A complaint written behind the API's back is deleted with a tombstone all the same.
    let owner = customers::Entity::find().filter(customers::Column::ExternalId.eq("C-1")).one(&app.db).await;
    let other = complaint::ActiveModel {
        external_id: Set("CMP-2".into()),
        customer_id: Set(owner.expect("read").expect("C-1").id),
        category: Set(ComplaintCategory::Service),
        channel: Set(Channel::Phone),
        opened_at: Set(time(&json!("2026-02-05T09:00:00Z"))),
        status: Set(ComplaintStatus::Open),
        ..Default::default()
    };
    other.insert(&app.db).await.expect("insert complaint");
    let ids = app.query(r#"{ customer(externalId: "C-1") { complaints { nodes { id } } } }"#, json!({})).await;
    let (_, customer_before) = times(&app, "customer", "C-1").await;
    let (_, commented_before) = times(&app, "feedback", "F-1").await;
    let (_, silent_before) = times(&app, "feedback", "F-2").await;
    let since = moment().await;

    let erase = r#"mutation { eraseCustomer(externalId: "C-1") { __typename } }"#;
    app.query(erase, json!({})).await;
    let deletions = "query($since: DateTime!) { deletions(since: $since, types: [COMPLAINT]) {
        nodes { id externalId type } } }";
    let tombstones = app.query(deletions, json!({ "since": rfc3339(since) })).await["deletions"]["nodes"].clone();
    let complaint_ids = &ids["customer"]["complaints"]["nodes"];
    assert_eq!(
        tombstones,
        json!([{ "id": complaint_ids[0]["id"], "externalId": "CMP-1", "type": "COMPLAINT" },
            { "id": complaint_ids[1]["id"], "externalId": "CMP-2", "type": "COMPLAINT" }])
    );
    assert!(times(&app, "customer", "C-1").await.1 > customer_before, "the name and e-mail changed");
    assert!(times(&app, "feedback", "F-1").await.1 > commented_before, "the comment went");
    assert_eq!(times(&app, "feedback", "F-2").await.1, silent_before, "nothing to remove");

    // Erasing again changes nothing: no tombstone, no time moves.
    let customer_erased = times(&app, "customer", "C-1").await;
    let again = moment().await;
    app.query(erase, json!({})).await;
    let none = app.query(deletions, json!({ "since": rfc3339(again) })).await["deletions"]["nodes"].clone();
    assert_eq!(none, json!([]));
    assert_eq!(times(&app, "customer", "C-1").await, customer_erased);
}

#[tokio::test]
async fn imported_rows_are_stamped_and_a_repeated_import_leaves_them() {
    let app = spawn_app().await;
    let before = Utc::now();
    import(&app.db, good_dir().path(), ImportOptions::default(), &Silent).await.unwrap();
    let rows = [("customer", "C-1"), ("customer", "C-2"), ("order", "O-1"), ("touchpoint", "T-2"), ("feedback", "F-1")];
    let mut stamped = Vec::new();
    for (field, external_id) in rows {
        let (recorded, updated) = times(&app, field, external_id).await;
        assert_eq!(recorded, updated, "{field} {external_id}");
        assert!(recorded >= before, "{field} {external_id}");
        stamped.push((recorded, updated));
    }
    import(&app.db, good_dir().path(), ImportOptions::default(), &Silent).await.unwrap();
    for ((field, external_id), stamped) in rows.iter().zip(&stamped) {
        assert_eq!(times(&app, field, external_id).await, *stamped, "{field} {external_id}: repeated");
    }
    // One record changed: that row alone moves.
    let dir = good_dir();
    write_file(
        dir.path(),
        "customers.csv",
        "external_id,name,email,segment,region,created_at
C-1,\"Lovelace, Ada\",ada@example.com,consumer,EMEA,2026-01-01T00:00:00Z
C-2,Alan Turing,alan@example.com,enterprise,NA,2026-01-02T00:00:00+01:00
",
    );
    import(&app.db, dir.path(), ImportOptions::default(), &Silent).await.unwrap();
    let (recorded, updated) = times(&app, "customer", "C-2").await;
    assert_eq!(recorded, stamped[1].0);
    assert!(updated > stamped[1].1, "C-2 changed");
    assert_eq!(times(&app, "customer", "C-1").await, stamped[0], "C-1 did not");
}

#[tokio::test]
async fn seeded_rows_are_stamped_when_they_are_stored() {
    let before = Utc::now();
    let app = spawn_seeded_app(5).await;
    let after = Utc::now();
    let data = app
        .query(
            "{ customers(first: 5) { nodes { recordedAt updatedAt orders(first: 5) { nodes { recordedAt updatedAt
                touchpoints(first: 5) { nodes { recordedAt updatedAt feedback(first: 5) { nodes { recordedAt
                updatedAt } } } } } } } } }",
            json!({}),
        )
        .await;
    let mut stamps = Vec::new();
    collect_times(&data, &mut stamps);
    assert!(stamps.len() > 20, "customers, orders, touchpoints and answers: {}", stamps.len());
    for (recorded, updated) in stamps {
        assert_eq!(recorded, updated);
        assert!(before <= recorded && recorded <= after, "{recorded} outside [{before}, {after}]");
    }
}

/// Every `(recordedAt, updatedAt)` pair in an answer.
fn collect_times(value: &Value, out: &mut Vec<(DateTime<Utc>, DateTime<Utc>)>) {
    match value {
        Value::Object(fields) => {
            if let (Some(recorded), Some(updated)) = (fields.get("recordedAt"), fields.get("updatedAt")) {
                out.push((time(recorded), time(updated)));
            }
            fields.values().for_each(|v| collect_times(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_times(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_migration_gives_rows_stored_before_it_its_own_time() {
    let app = spawn_app().await;
    // Back to before the row times (and the tombstones, after them), with a row stored then.
    let migrations = Migrator::migrations();
    let position = migrations.iter().position(|m| m.name() == "m20261205_000001_row_times").expect("the migration");
    Migrator::down(&app.db, Some((migrations.len() - position) as u32)).await.expect("down");
    let insert = "INSERT INTO customers (external_id, name, email, segment, region, created_at) \
        VALUES ('C-OLD', 'Old', 'old@example.com', 'consumer', 'EMEA', '2024-01-01T00:00:00+00:00')";
    app.db.execute_raw(Statement::from_string(app.db.get_database_backend(), insert)).await.expect("insert");
    let before = moment().await;
    Migrator::up(&app.db, None).await.expect("up");
    let after = moment().await;

    let (recorded, updated) = times(&app, "customer", "C-OLD").await;
    assert_eq!(recorded, updated);
    assert!(before <= recorded && recorded <= after, "{recorded} outside [{before}, {after}]");
    // Compared in SQL like every time the server writes.
    assert_eq!(changed_since(&app, "customers", before).await, ["C-OLD"]);
    assert!(changed_since(&app, "customers", after).await.is_empty());
    write(&app, UPSERT_CUSTOMER, customer("C-NEW", "consumer")).await;
    assert_eq!(changed_since(&app, "customers", before - Duration::days(1)).await, ["C-OLD", "C-NEW"]);
    assert_eq!(changed_since(&app, "customers", after).await, ["C-NEW"]);
}

#[tokio::test]
async fn deletions_are_guarded_and_priced_like_every_list() {
    let app = spawn_app_with(|config| config.auth = AuthMode::Keys).await;
    let viewer = keys::create(&app.db, "dashboard", Role::Viewer).await.expect("key").secret;
    let analyst = keys::create(&app.db, "bi-tool", Role::Analyst).await.expect("key").secret;
    let query = json!({ "query": "{ deletions(since: \"2026-01-01T00:00:00Z\", first: 10) { nodes { id } } }" });
    let body = app.send(Some(&viewer), query.clone()).await.body;
    assert_eq!(code(&body["errors"][0]), "FORBIDDEN", "{body}");
    let body = app.send(Some(&analyst), query).await.body;
    assert!(body.get("errors").is_none(), "{body}");
    // As `customers(first: 10) { nodes { externalId } }`: 10 rows × (nodes + id) + the list.
    assert_eq!(body["extensions"]["cost"]["requestedQueryCost"], 21, "{body}");
}
