//! The complaint mutations: a complaint's life (open, respond, resolve, reopen), repetitions that change
//! nothing, refusals that name the field and change nothing, the rows a complaint pins to its customer,
//! and fresh reads after each write.

use entity::complaint;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, field_of, spawn_app, spawn_app_with, user_code};
use crate::mutations::{FEEDBACK, ORDER, basics};

const FIELDS: &str = "changed complaint { externalId status openedAt firstResponseAt resolvedAt outcome
    customer { externalId } order { externalId } feedback { externalId } touchpoint { externalId } }
    userErrors { field message code }";

fn open_mutation() -> String {
    format!("mutation($input: ComplaintOpeningInput!) {{ openComplaint(input: $input) {{ created {FIELDS} }} }}")
}

fn respond_mutation() -> String {
    format!("mutation($input: ComplaintResponseInput!) {{ respondToComplaint(input: $input) {{ {FIELDS} }} }}")
}

fn resolve_mutation() -> String {
    format!("mutation($input: ComplaintResolutionInput!) {{ resolveComplaint(input: $input) {{ {FIELDS} }} }}")
}

fn reopen_mutation() -> String {
    format!("mutation($x: String!) {{ reopenComplaint(externalId: $x) {{ {FIELDS} }} }}")
}

/// The opening of CMP-1: C-1's, about O-1, raised by their detractor answer F-1 (at T-1).
fn opening(changes: Value) -> Value {
    let mut input = json!({ "externalId": "CMP-1", "customerExternalId": "C-1", "orderExternalId": "O-1",
        "feedbackExternalId": "F-1", "category": "DELIVERY", "channel": "EMAIL", "openedAt": "2026-02-03T13:00:00Z" });
    input.as_object_mut().unwrap().extend(changes.as_object().unwrap().clone());
    json!({ "input": input })
}

async fn complaint_rows(app: &TestApp) -> Vec<complaint::Model> {
    complaint::Entity::find().all(&app.db).await.unwrap()
}

#[tokio::test]
async fn a_complaint_is_opened_answered_closed_and_reopened_and_repeats_change_nothing() {
    let app = spawn_app().await;
    basics(&app).await;
    let opened = app.query(&open_mutation(), opening(json!({}))).await["openComplaint"].clone();
    assert_eq!(
        opened,
        json!({ "created": true, "changed": true, "complaint": { "externalId": "CMP-1", "status": "OPEN",
            "openedAt": "2026-02-03T13:00:00Z", "firstResponseAt": null, "resolvedAt": null, "outcome": null,
            "customer": { "externalId": "C-1" }, "order": { "externalId": "O-1" },
            "feedback": { "externalId": "F-1" }, "touchpoint": { "externalId": "T-1" } }, "userErrors": [] })
    );
    let again = app.query(&open_mutation(), opening(json!({}))).await["openComplaint"].clone();
    assert_eq!((again["created"].clone(), again["changed"].clone()), (json!(false), json!(false)));

    let respond = json!({ "input": { "externalId": "CMP-1", "firstResponseAt": "2026-02-03T15:30:00+02:00" } });
    let answered = app.query(&respond_mutation(), respond.clone()).await["respondToComplaint"].clone();
    assert_eq!(answered["changed"], true);
    assert_eq!(answered["complaint"]["status"], "IN_PROGRESS");
    assert_eq!(answered["complaint"]["firstResponseAt"], "2026-02-03T13:30:00Z");
    assert_eq!(app.query(&respond_mutation(), respond).await["respondToComplaint"]["changed"], false);

    // A correction of the opening keeps the handling.
    let corrected = app.query(&open_mutation(), opening(json!({ "category": "PRODUCT_DEFECT" }))).await;
    assert_eq!(corrected["openComplaint"]["changed"], true);
    assert_eq!(corrected["openComplaint"]["complaint"]["status"], "IN_PROGRESS");

    let close =
        json!({ "input": { "externalId": "CMP-1", "resolvedAt": "2026-02-05T09:00:00Z", "outcome": "REFUND" } });
    let resolved = app.query(&resolve_mutation(), close.clone()).await["resolveComplaint"].clone();
    assert_eq!(
        (resolved["complaint"]["status"].clone(), resolved["complaint"]["resolvedAt"].clone()),
        (json!("RESOLVED"), json!("2026-02-05T09:00:00Z"))
    );
    assert_eq!(resolved["complaint"]["outcome"], "REFUND");
    assert_eq!(app.query(&resolve_mutation(), close).await["resolveComplaint"]["changed"], false);

    let reopened = app.query(&reopen_mutation(), json!({ "x": "CMP-1" })).await["reopenComplaint"].clone();
    assert_eq!(
        reopened["complaint"],
        json!({ "externalId": "CMP-1", "status": "IN_PROGRESS", "openedAt": "2026-02-03T13:00:00Z",
            "firstResponseAt": "2026-02-03T13:30:00Z", "resolvedAt": null, "outcome": null,
            "customer": { "externalId": "C-1" }, "order": { "externalId": "O-1" },
            "feedback": { "externalId": "F-1" }, "touchpoint": { "externalId": "T-1" } })
    );
    assert_eq!(app.query(&reopen_mutation(), json!({ "x": "CMP-1" })).await["reopenComplaint"]["changed"], false);
    let unresolved = json!({ "input": { "externalId": "CMP-1", "resolvedAt": "2026-02-09T09:00:00Z",
        "outcome": "NONE", "status": "UNRESOLVED_CLOSED" } });
    let closed = app.query(&resolve_mutation(), unresolved).await["resolveComplaint"]["complaint"].clone();
    assert_eq!((closed["status"].clone(), closed["outcome"].clone()), (json!("UNRESOLVED_CLOSED"), json!("NONE")));

    // Closed without a response before: the closing answered it.
    let plain = json!({ "input": { "externalId": "CMP-2", "customerExternalId": "C-2", "category": "BILLING",
        "channel": "PHONE", "openedAt": "2026-03-01T08:00:00Z" } });
    let opened = app.query(&open_mutation(), plain).await["openComplaint"]["complaint"].clone();
    assert_eq!((opened["order"].clone(), opened["feedback"].clone()), (Value::Null, Value::Null));
    let close =
        json!({ "input": { "externalId": "CMP-2", "resolvedAt": "2026-03-01T08:20:00Z", "outcome": "EXPLANATION" } });
    let closed = app.query(&resolve_mutation(), close).await["resolveComplaint"]["complaint"].clone();
    assert_eq!(closed["firstResponseAt"], "2026-03-01T08:20:00Z");
    assert_eq!(complaint_rows(&app).await.len(), 2);
}

#[tokio::test]
async fn refused_complaint_writes_name_the_field_and_change_nothing() {
    let app = spawn_app().await;
    basics(&app).await;
    // C-2's answer and order, and a second answer of C-1 submitted late.
    app.query(
        FEEDBACK,
        json!({ "input": { "externalId": "F-2", "customerExternalId": "C-2", "metric": "CSAT", "score": 1,
        "submittedAt": "2026-02-03T12:00:00Z" } }),
    )
    .await;
    app.query(
        ORDER,
        json!({ "input": { "externalId": "O-2", "customerExternalId": "C-2", "placedAt": "2026-02-01T10:00:00Z",
        "status": "RETURNED", "totalAmount": "5", "currency": "EUR" } }),
    )
    .await;
    app.query(
        FEEDBACK,
        json!({ "input": { "externalId": "F-3", "customerExternalId": "C-1", "metric": "NPS", "score": 2,
        "submittedAt": "2026-02-04T12:00:00Z" } }),
    )
    .await;
    app.query(&open_mutation(), opening(json!({}))).await;
    let respond = json!({ "input": { "externalId": "CMP-1", "firstResponseAt": "2026-02-03T14:00:00Z" } });
    app.query(&respond_mutation(), respond).await;
    let before = complaint_rows(&app).await;

    let cases = [
        (
            open_mutation(),
            opening(json!({ "externalId": "CMP-2", "customerExternalId": "C-9" })),
            "input.customerExternalId",
            "no customer with external id 'C-9'",
        ),
        (
            open_mutation(),
            opening(json!({ "externalId": "CMP-2", "orderExternalId": "O-2" })),
            "input.orderExternalId",
            "order 'O-2' belongs to another customer than 'C-1'",
        ),
        (
            open_mutation(),
            opening(json!({ "externalId": "CMP-2", "feedbackExternalId": "F-2" })),
            "input.feedbackExternalId",
            "answer 'F-2' belongs to another customer than 'C-1'",
        ),
        (
            open_mutation(),
            opening(json!({ "externalId": "CMP-2", "feedbackExternalId": "F-9" })),
            "input.feedbackExternalId",
            "no answer with external id 'F-9'",
        ),
        (
            open_mutation(),
            opening(json!({ "externalId": "CMP-2" })),
            "input.feedbackExternalId",
            "the answer already raised complaint 'CMP-1'",
        ),
        (
            open_mutation(),
            opening(json!({ "externalId": "CMP-2", "feedbackExternalId": "F-3" })),
            "input.openedAt",
            "must not be before the answer that raised the complaint",
        ),
        (
            open_mutation(),
            opening(json!({ "openedAt": "2026-02-03T15:00:00Z" })),
            "input.openedAt",
            "must not be after the complaint's first response",
        ),
        (open_mutation(), opening(json!({ "externalId": " " })), "input.externalId", "must not be empty"),
        (
            respond_mutation(),
            json!({ "input": { "externalId": "CMP-1", "firstResponseAt": "2026-02-03T16:00:00Z" } }),
            "input.firstResponseAt",
            "the complaint was already answered, at 2026-02-03T14:00:00Z",
        ),
        (
            resolve_mutation(),
            json!({ "input": { "externalId": "CMP-1", "resolvedAt": "2026-02-03T12:00:00Z", "outcome": "REFUND" } }),
            "input.resolvedAt",
            "must not be before the complaint was opened",
        ),
        (
            resolve_mutation(),
            json!({ "input": { "externalId": "CMP-1", "resolvedAt": "2026-02-03T13:30:00Z", "outcome": "REFUND" } }),
            "input.resolvedAt",
            "must not be before the complaint's first response",
        ),
        (
            resolve_mutation(),
            json!({ "input": { "externalId": "CMP-1", "resolvedAt": "2026-02-04T00:00:00Z", "outcome": "REFUND", "status": "OPEN" } }),
            "input.status",
            "must be RESOLVED or UNRESOLVED_CLOSED",
        ),
        // Moving the order or the answer complained about to another customer.
        (
            ORDER.to_owned(),
            json!({ "input": { "externalId": "O-1", "customerExternalId": "C-2", "placedAt": "2026-02-01T10:00:00Z", "status": "DELIVERED", "totalAmount": "12.5", "currency": "EUR" } }),
            "input.customerExternalId",
            "the order has touchpoints of another customer",
        ),
        (
            FEEDBACK.to_owned(),
            json!({ "input": { "externalId": "F-1", "customerExternalId": "C-2", "metric": "NPS", "score": 4, "submittedAt": "2026-02-03T12:00:00Z" } }),
            "input.customerExternalId",
            "the answer raised a complaint of another customer",
        ),
    ];
    for (mutation, variables, field, message) in cases {
        let error = app.refusal(&mutation, variables.clone()).await;
        assert_eq!(user_code(&error), "BAD_USER_INPUT", "{variables}: {error}");
        assert_eq!((field_of(&error).as_str(), error["message"].as_str()), (field, Some(message)), "{variables}");
        assert_eq!(complaint_rows(&app).await, before, "{variables} changed nothing");
    }
    // An order without touchpoints that a complaint is about stays its customer's too.
    let about_o2 = opening(
        json!({ "externalId": "CMP-3", "customerExternalId": "C-2", "orderExternalId": "O-2", "feedbackExternalId": null }),
    );
    app.query(&open_mutation(), about_o2).await;
    let moved = json!({ "input": { "externalId": "O-2", "customerExternalId": "C-1", "placedAt": "2026-02-01T10:00:00Z", "status": "RETURNED", "totalAmount": "5", "currency": "EUR" } });
    let error = app.refusal(ORDER, moved).await;
    assert_eq!(error["message"], "the order has complaints of another customer");

    let closed =
        json!({ "input": { "externalId": "CMP-1", "resolvedAt": "2026-02-05T00:00:00Z", "outcome": "REPLACEMENT" } });
    app.query(&resolve_mutation(), closed).await;
    let again =
        json!({ "input": { "externalId": "CMP-1", "resolvedAt": "2026-02-06T00:00:00Z", "outcome": "REFUND" } });
    let error = app.refusal(&resolve_mutation(), again).await;
    assert_eq!(
        (user_code(&error), field_of(&error).as_str(), error["message"].as_str()),
        ("BAD_USER_INPUT", "input", Some("the complaint is closed: reopen it first"))
    );
    for (mutation, variables, field) in [
        (reopen_mutation(), json!({ "x": "CMP-404" }), "externalId"),
        (
            respond_mutation(),
            json!({ "input": { "externalId": "CMP-404", "firstResponseAt": "2026-02-03T14:00:00Z" } }),
            "input.externalId",
        ),
    ] {
        let missing = app.refusal(&mutation, variables).await;
        assert_eq!((user_code(&missing), field_of(&missing).as_str()), ("NOT_FOUND", field));
    }
}

#[tokio::test]
async fn every_complaint_write_makes_the_next_read_fresh() {
    let app = spawn_app_with(|config| config.response_cache_mib = 8).await;
    basics(&app).await;
    let read = "{ complaints(filter: { statuses: [OPEN] }) { totalCount nodes { status } } customer(externalId: \"C-1\") { complaints { nodes { status } } } }";
    let statuses =
        |data: Value| (data["complaints"]["totalCount"].clone(), data["customer"]["complaints"]["nodes"].clone());
    assert_eq!(statuses(app.query(read, json!({})).await), (json!(0), json!([])));
    app.query(&open_mutation(), opening(json!({}))).await;
    assert_eq!(statuses(app.query(read, json!({})).await), (json!(1), json!([{ "status": "OPEN" }])));
    let respond = json!({ "input": { "externalId": "CMP-1", "firstResponseAt": "2026-02-03T14:00:00Z" } });
    app.query(&respond_mutation(), respond).await;
    assert_eq!(statuses(app.query(read, json!({})).await), (json!(0), json!([{ "status": "IN_PROGRESS" }])));
    let close =
        json!({ "input": { "externalId": "CMP-1", "resolvedAt": "2026-02-05T09:00:00Z", "outcome": "REFUND" } });
    app.query(&resolve_mutation(), close).await;
    assert_eq!(statuses(app.query(read, json!({})).await), (json!(0), json!([{ "status": "RESOLVED" }])));
    app.query(&reopen_mutation(), json!({ "x": "CMP-1" })).await;
    assert_eq!(statuses(app.query(read, json!({})).await), (json!(0), json!([{ "status": "IN_PROGRESS" }])));
    app.query(r#"mutation { eraseCustomer(externalId: "C-1") { deletedComplaintCount } }"#, json!({})).await;
    assert_eq!(statuses(app.query(read, json!({})).await), (json!(0), json!([])));
}

#[tokio::test]
async fn complaint_handling_names_its_complaint_by_global_id_or_external_id() {
    let app = spawn_app().await;
    basics(&app).await;
    app.query(&open_mutation(), opening(json!({}))).await;
    let id = app.query(r#"{ complaint(externalId: "CMP-1") { id } }"#, json!({})).await["complaint"]["id"].clone();
    let responded = app
        .query(&respond_mutation(), json!({ "input": { "id": id, "firstResponseAt": "2026-02-03T15:00:00Z" } }))
        .await["respondToComplaint"]
        .clone();
    assert_eq!((&responded["changed"], &responded["complaint"]["status"]), (&json!(true), &json!("IN_PROGRESS")));
    let closing = json!({ "id": id, "resolvedAt": "2026-02-04T09:00:00Z", "outcome": "REFUND" });
    let resolved = app.query(&resolve_mutation(), json!({ "input": closing })).await["resolveComplaint"].clone();
    assert_eq!(resolved["complaint"]["status"], "RESOLVED");
    let reopen = format!("mutation($id: ID!) {{ reopenComplaint(id: $id) {{ {FIELDS} }} }}");
    assert_eq!(app.query(&reopen, json!({ "id": id })).await["reopenComplaint"]["complaint"]["status"], "IN_PROGRESS");
    // Both names, or neither: refused at the input, nothing changes.
    let before = complaint_rows(&app).await;
    for input in [
        json!({ "id": id, "externalId": "CMP-1", "firstResponseAt": "2026-02-03T16:00:00Z" }),
        json!({ "firstResponseAt": "2026-02-03T16:00:00Z" }),
    ] {
        let refused = app.refusal(&respond_mutation(), json!({ "input": input })).await;
        assert_eq!((user_code(&refused), field_of(&refused).as_str()), ("BAD_USER_INPUT", "input.id"));
    }
    assert_eq!(complaint_rows(&app).await, before);
}
