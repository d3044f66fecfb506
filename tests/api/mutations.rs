//! Mutations for admin consoles: refusals in the payload's user errors with field paths, nothing
//! written on a refusal, idempotency, erasure and deletes.

use entity::{customer, feedback};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_rollups_exact, code, field_of, row_counts, spawn_app, user_code};

pub(crate) const CUSTOMER: &str = "mutation($input: CustomerInput!) { upsertCustomer(input: $input) { created changed customer { externalId name email } userErrors { field message code } } }";
pub(crate) const ORDER: &str = "mutation($input: OrderInput!) { upsertOrder(input: $input) { created changed order { externalId status totalAmount { amount currency } } userErrors { field message code } } }";
pub(crate) const TOUCHPOINT: &str = "mutation($input: TouchpointInput!) { upsertTouchpoint(input: $input) { created changed touchpoint { externalId kind order { externalId } } userErrors { field message code } } }";
pub(crate) const FEEDBACK: &str = "mutation($input: FeedbackInput!) { upsertFeedback(input: $input) { created changed feedback { externalId score comment category } userErrors { field message code } } }";

fn customer_input(external_id: &str, name: &str) -> Value {
    json!({ "externalId": external_id, "name": name, "email": format!("{external_id}@example.com"), "segment": "consumer", "region": "EMEA", "createdAt": "2026-01-01T00:00:00Z" })
}

/// Two customers, an order and a touchpoint of the first, an answer with a comment.
pub(crate) async fn basics(app: &TestApp) {
    for (id, name) in [("C-1", "Ada Lovelace"), ("C-2", "Alan Turing")] {
        app.query(CUSTOMER, json!({ "input": customer_input(id, name) })).await;
    }
    app.query(ORDER, json!({ "input": { "externalId": "O-1", "customerExternalId": "C-1", "placedAt": "2026-02-01T10:00:00Z", "status": "DELIVERED", "totalAmount": "12.5", "currency": "EUR" } })).await;
    app.query(TOUCHPOINT, json!({ "input": { "externalId": "T-1", "customerExternalId": "C-1", "orderExternalId": "O-1", "kind": "DELIVERY", "channel": "SMS", "occurredAt": "2026-02-03T10:00:00Z", "surveySentAt": "2026-02-03T11:00:00Z" } })).await;
    app.query(FEEDBACK, json!({ "input": { "externalId": "F-1", "customerExternalId": "C-1", "touchpointExternalId": "T-1", "metric": "NPS", "score": 4, "comment": "Ada here: the box was wet", "submittedAt": "2026-02-03T12:00:00Z" } })).await;
}

#[tokio::test]
async fn upserts_create_then_change_nothing_when_repeated() {
    let app = spawn_app().await;
    let first = app.query(CUSTOMER, json!({ "input": customer_input("C-1", "Ada") })).await;
    assert_eq!(first["upsertCustomer"]["created"], true);
    let again = app.query(CUSTOMER, json!({ "input": customer_input("C-1", "Ada") })).await;
    assert_eq!(
        (again["upsertCustomer"]["created"].clone(), again["upsertCustomer"]["changed"].clone()),
        (json!(false), json!(false))
    );
    let renamed = app.query(CUSTOMER, json!({ "input": customer_input("C-1", "Ada King") })).await;
    assert_eq!(renamed["upsertCustomer"]["changed"], true);
    assert_eq!(renamed["upsertCustomer"]["customer"]["name"], "Ada King");
    assert_eq!(row_counts(&app.db).await, [1, 0, 0, 0]);

    basics(&app).await;
    let before = row_counts(&app.db).await;
    let order = json!({ "input": { "externalId": "O-1", "customerExternalId": "C-1", "placedAt": "2026-02-01T10:00:00Z", "status": "DELIVERED", "totalAmount": "12.50", "currency": "EUR" } });
    let repeated = app.query(ORDER, order).await;
    assert_eq!(repeated["upsertOrder"]["changed"], false, "12.5 and 12.50 are the same amount");
    assert_eq!(repeated["upsertOrder"]["order"]["totalAmount"], json!({ "amount": "12.50", "currency": "EUR" }));
    let yen = app
        .query(ORDER, json!({ "input": { "externalId": "O-2", "customerExternalId": "C-2", "placedAt": "2026-02-01T10:00:00Z", "status": "PLACED", "totalAmount": "1250", "currency": "JPY" } }))
        .await;
    assert_eq!(yen["upsertOrder"]["order"]["totalAmount"], json!({ "amount": "1250", "currency": "JPY" }));
    let change = r#"mutation { changeOrderStatus(externalId: "O-2", status: CANCELLED) { changed order { status } userErrors { code } } }"#;
    let status = app.query(change, json!({})).await;
    assert_eq!(
        status["changeOrderStatus"],
        json!({ "changed": true, "order": { "status": "CANCELLED" }, "userErrors": [] })
    );
    assert_eq!(app.query(change, json!({})).await["changeOrderStatus"]["changed"], false, "repeated: nothing changes");
    assert_eq!(row_counts(&app.db).await, [before[0], before[1] + 1, before[2], before[3]]);
}

#[tokio::test]
async fn invalid_inputs_name_the_field_and_write_nothing() {
    let app = spawn_app().await;
    basics(&app).await;
    let before = row_counts(&app.db).await;
    let order = |amount: &str, customer: &str| json!({ "input": { "externalId": "O-9", "customerExternalId": customer, "placedAt": "2026-02-01T10:00:00Z", "status": "PLACED", "totalAmount": amount, "currency": "EUR" } });
    let touchpoint = |customer: &str, order: &str, sent: &str| json!({ "input": { "externalId": "T-9", "customerExternalId": customer, "orderExternalId": order, "kind": "SUPPORT", "channel": "CHAT", "occurredAt": "2026-02-05T10:00:00Z", "surveySentAt": sent } });
    let answer = |metric: &str, score: i32, touchpoint: &str| json!({ "input": { "externalId": "F-9", "customerExternalId": "C-2", "touchpointExternalId": touchpoint, "metric": metric, "score": score, "submittedAt": "2026-02-05T10:00:00Z" } });
    let mut bad_email = customer_input("C-9", "X");
    bad_email["email"] = json!("not-an-email");
    let mut blank_name = customer_input("C-9", "   ");
    blank_name["segment"] = json!("consumer");
    let cases: Vec<(&str, Value, &str)> = vec![
        (CUSTOMER, json!({ "input": bad_email }), "input.email"),
        (CUSTOMER, json!({ "input": blank_name }), "input.name"),
        (ORDER, order("12.505", "C-1"), "input.totalAmount"),
        (ORDER, order("12.50", "C-404"), "input.customerExternalId"),
        // O-1 has C-1's touchpoint T-1: moving it to C-2 would split them.
        (
            ORDER,
            json!({ "input": { "externalId": "O-1", "customerExternalId": "C-2", "placedAt": "2026-02-01T10:00:00Z", "status": "DELIVERED", "totalAmount": "12.5", "currency": "EUR" } }),
            "input.customerExternalId",
        ),
        (TOUCHPOINT, touchpoint("C-2", "O-1", "2026-02-05T11:00:00Z"), "input.orderExternalId"),
        (TOUCHPOINT, touchpoint("C-1", "O-1", "2026-02-05T09:00:00Z"), "input.surveySentAt"),
        (FEEDBACK, answer("NPS", 11, ""), "input.score"),
        (FEEDBACK, answer("CSAT", 0, ""), "input.score"),
        (FEEDBACK, answer("CES", 8, ""), "input.score"),
        (FEEDBACK, answer("NPS", 9, "T-1"), "input.touchpointExternalId"),
    ];
    for (mutation, variables, field) in cases {
        let error = app.refusal(mutation, variables.clone()).await;
        assert_eq!((user_code(&error), field_of(&error).as_str()), ("BAD_USER_INPUT", field), "{variables}: {error}");
        assert!(!error["message"].as_str().unwrap_or_default().is_empty(), "{error}");
    }
    // Wrong types and enum values never reach the resolvers.
    let mut wrong_currency = order("12.50", "C-1");
    wrong_currency["input"]["currency"] = json!("EURO");
    let mut wrong_kind = touchpoint("C-1", "O-1", "2026-02-05T11:00:00Z");
    wrong_kind["input"]["kind"] = json!("SHIPPED");
    for (mutation, variables) in [(ORDER, wrong_currency), (TOUCHPOINT, wrong_kind)] {
        let error = app.query_error(mutation, variables).await;
        assert!(matches!(code(&error), "BAD_USER_INPUT" | "GRAPHQL_VALIDATION_FAILED"), "{error}");
    }
    assert_eq!(row_counts(&app.db).await, before);
    let missing = app
        .refusal(r#"mutation { changeOrderStatus(externalId: "O-404", status: PLACED) { order { status } changed userErrors { field message code } } }"#, json!({}))
        .await;
    assert_eq!(
        missing,
        json!({ "field": ["externalId"], "message": "no order with external id 'O-404'", "code": "NOT_FOUND" })
    );
}

#[tokio::test]
async fn a_refused_mutation_leaves_the_others_of_its_document_committed() {
    let app = spawn_app().await;
    basics(&app).await;
    let document = r#"mutation {
        first: upsertCustomer(input: { externalId: "C-3", name: "Grace Hopper", email: "grace@example.com", segment: "consumer", region: "AMER", createdAt: "2026-01-01T00:00:00Z" }) { created customer { externalId } userErrors { code } }
        second: upsertCustomer(input: { externalId: "C-4", name: "Edsger", email: "no-at-sign", segment: "consumer", region: "EMEA", createdAt: "2026-01-01T00:00:00Z" }) { created customer { externalId } userErrors { field message code } }
    }"#;
    let body = app.post(document, json!({})).await;
    assert!(body.get("errors").is_none(), "refusals are not top-level errors: {body}");
    assert_eq!(
        body["data"]["first"],
        json!({ "created": true, "customer": { "externalId": "C-3" }, "userErrors": [] })
    );
    let second = &body["data"]["second"];
    assert_eq!((&second["created"], &second["customer"]), (&json!(false), &Value::Null));
    assert_eq!(second["userErrors"][0]["field"], json!(["input", "email"]));
    assert_eq!(second["userErrors"][0]["code"], "BAD_USER_INPUT");
    assert_eq!(row_counts(&app.db).await, [3, 1, 1, 1], "the first committed, the second wrote nothing");
}

#[tokio::test]
async fn the_deprecated_status_mutation_still_fails_as_a_whole() {
    let app = spawn_app().await;
    basics(&app).await;
    let status =
        app.query(r#"mutation { setOrderStatus(externalId: "O-1", status: RETURNED) { status } }"#, json!({})).await;
    assert_eq!(status["setOrderStatus"]["status"], "RETURNED");
    let missing = app
        .query_error(r#"mutation { setOrderStatus(externalId: "O-404", status: PLACED) { status } }"#, json!({}))
        .await;
    assert_eq!((code(&missing), missing["extensions"]["field"].as_str()), ("NOT_FOUND", Some("externalId")));
}

#[tokio::test]
async fn erasing_a_customer_removes_personal_data_and_keeps_the_numbers() {
    let app = spawn_app().await;
    basics(&app).await;
    let nps_before = app.query("{ insights { satisfaction(metric: NPS) { score { n value } } } }", json!({})).await;
    let erased = app
        .query(
            r#"mutation { eraseCustomer(externalId: "C-1") { erasedCommentCount erasedComments customer { externalId name email } userErrors { code } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        erased["eraseCustomer"],
        json!({ "erasedCommentCount": 1, "erasedComments": 1, "customer": { "externalId": "C-1", "name": "[erased]", "email": "[erased]" }, "userErrors": [] })
    );
    let again = app.query(r#"mutation { eraseCustomer(externalId: "C-1") { erasedCommentCount } }"#, json!({})).await;
    assert_eq!(again["eraseCustomer"]["erasedCommentCount"], 0);
    // Nothing of the old name, e-mail or comment is left anywhere.
    for c in customer::Entity::find().all(&app.db).await.unwrap() {
        assert!(!c.name.contains("Ada") && !c.email.contains("C-1@"), "{c:?}");
    }
    assert!(feedback::Entity::find().all(&app.db).await.unwrap().iter().all(|f| f.comment.is_none()));
    let nps_after = app.query("{ insights { satisfaction(metric: NPS) { score { n value } } } }", json!({})).await;
    assert_eq!(nps_before, nps_after, "scores stay");
    assert_eq!(row_counts(&app.db).await, [2, 1, 1, 1]);
}

#[tokio::test]
async fn deletes_are_explicit_about_answers_and_idempotent() {
    let app = spawn_app().await;
    basics(&app).await;
    let refused = app
        .refusal(r#"mutation { deleteTouchpoint(externalId: "T-1") { deleted userErrors { field code } } }"#, json!({}))
        .await;
    assert_eq!(refused, json!({ "field": ["withFeedback"], "code": "BAD_USER_INPUT" }));
    assert_eq!(row_counts(&app.db).await, [2, 1, 1, 1]);
    let delete = r#"mutation { deleteTouchpoint(externalId: "T-1", withFeedback: true) { deleted deletedFeedbackCount deletedFeedback userErrors { field code } } }"#;
    let deleted = app.query(delete, json!({})).await;
    assert_eq!(
        deleted["deleteTouchpoint"],
        json!({ "deleted": true, "deletedFeedbackCount": 1, "deletedFeedback": 1, "userErrors": [] })
    );
    // Repeated, it changes nothing and reports the missing target as every mutation does.
    assert_eq!(app.refusal(delete, json!({})).await, json!({ "field": ["externalId"], "code": "NOT_FOUND" }));
    app.query(FEEDBACK, json!({ "input": { "externalId": "F-2", "customerExternalId": "C-2", "metric": "CES", "score": 6, "submittedAt": "2026-02-05T10:00:00Z" } })).await;
    let twice = r#"mutation { a: deleteFeedback(externalId: "F-2") { deleted userErrors { code } } b: deleteFeedback(externalId: "F-2") { deleted userErrors { code } } }"#;
    let feedback_deleted = app.query(twice, json!({})).await;
    assert_eq!(
        feedback_deleted,
        json!({ "a": { "deleted": true, "userErrors": [] }, "b": { "deleted": false, "userErrors": [{ "code": "NOT_FOUND" }] } })
    );
    assert_eq!(row_counts(&app.db).await, [2, 1, 0, 0]);
}

const FEEDBACKS: &str = "mutation($inputs: [FeedbackInput!]!) { upsertFeedbacks(inputs: $inputs) { created changed results { created changed feedback { externalId score comment } } userErrors { field message code } } }";

fn answer(external_id: &str, customer: &str, touchpoint: Option<&str>, score: i32) -> Value {
    json!({ "externalId": external_id, "customerExternalId": customer, "touchpointExternalId": touchpoint,
        "metric": "NPS", "score": score, "comment": "batch", "submittedAt": "2026-02-04T12:00:00Z" })
}

#[tokio::test]
async fn a_batch_of_answers_is_written_whole_or_not_at_all() {
    // A body large enough for more answers than a batch may hold.
    let app = crate::helpers::spawn_app_with(|config| config.max_body_bytes = 1 << 20).await;
    basics(&app).await;
    let batch = json!([
        answer("F-1", "C-1", Some("T-1"), 9),
        answer("F-2", "C-1", Some("T-1"), 7),
        answer("F-3", "C-2", None, 3)
    ]);
    let data = app.query(FEEDBACKS, json!({ "inputs": batch })).await;
    let result = &data["upsertFeedbacks"];
    assert_eq!((result["created"].clone(), result["changed"].clone()), (json!(2), json!(3)), "{data}");
    assert_eq!(result["results"][0]["feedback"], json!({ "externalId": "F-1", "score": 9, "comment": "batch" }));
    assert_eq!(result["results"][0]["created"], false, "F-1 existed: updated");
    assert_eq!(row_counts(&app.db).await[3], 3);
    let again = app.query(FEEDBACKS, json!({ "inputs": batch })).await;
    assert_eq!(again["upsertFeedbacks"]["changed"], 0, "repeated: nothing changes");
    assert_rollups_exact(&app.db, "batch upserts").await;

    let before = row_counts(&app.db).await;
    let invalid = [
        (json!([answer("F-4", "C-1", None, 5), answer("F-5", "C-1", None, 11)]), "inputs[1].score"),
        (json!([answer("F-4", "C-1", None, 5), answer("F-5", "C-404", None, 1)]), "inputs[1].customerExternalId"),
        (json!([answer("F-4", "C-2", Some("T-1"), 5)]), "inputs[0].touchpointExternalId"),
        (json!([answer("F-4", "C-1", None, 5), answer("F-4", "C-1", None, 6)]), "inputs[1].externalId"),
        (json!([answer("", "C-1", None, 5)]), "inputs[0].externalId"),
    ];
    for (inputs, field) in invalid {
        let error = app.refusal(FEEDBACKS, json!({ "inputs": inputs })).await;
        assert_eq!((user_code(&error), field_of(&error).as_str()), ("BAD_USER_INPUT", field), "{error}");
    }
    // Every invalid input is reported at once, for a console to mark them all.
    let two_invalid =
        json!([answer("F-4", "C-1", None, 11), answer("F-5", "C-1", None, 5), answer("F-6", "C-1", None, -1)]);
    let refused = app.query(FEEDBACKS, json!({ "inputs": two_invalid })).await["upsertFeedbacks"].clone();
    let fields: Vec<String> = refused["userErrors"].as_array().into_iter().flatten().map(field_of).collect();
    assert_eq!(fields, ["inputs[0].score", "inputs[2].score"]);
    assert_eq!(refused["results"], Value::Null);
    let too_many: Vec<Value> = (0..1001).map(|i| answer(&format!("F-many-{i}"), "C-1", None, 5)).collect();
    let error = app.refusal(FEEDBACKS, json!({ "inputs": too_many })).await;
    assert_eq!((user_code(&error), field_of(&error).as_str()), ("BAD_USER_INPUT", "inputs"), "{error}");
    assert_eq!(row_counts(&app.db).await, before, "nothing written");
}

#[tokio::test]
async fn targets_are_named_by_global_id_or_external_id_and_deletions_return_the_deleted_ids() {
    let app = spawn_app().await;
    basics(&app).await;
    let ids = app
        .query(r#"{ order(externalId: "O-1") { id } touchpoint(externalId: "T-1") { id } feedback(externalId: "F-1") { id } customer(externalId: "C-2") { id } }"#, json!({}))
        .await;
    let id = |node: &str| ids[node]["id"].clone();

    let by_id = "mutation($id: ID!) { changeOrderStatus(id: $id, status: RETURNED) { order { externalId status } changed userErrors { field code } } }";
    let changed = app.query(by_id, json!({ "id": id("order") })).await;
    assert_eq!(changed["changeOrderStatus"]["order"], json!({ "externalId": "O-1", "status": "RETURNED" }));
    let both = r#"mutation($id: ID!) { changeOrderStatus(id: $id, externalId: "O-1", status: PLACED) { order { status } userErrors { field code } } }"#;
    let refused = app.refusal(both, json!({ "id": id("order") })).await;
    assert_eq!(refused, json!({ "field": ["id"], "code": "BAD_USER_INPUT" }));
    // A global id of another type names no order.
    let wrong_type = app.refusal(by_id, json!({ "id": id("touchpoint") })).await;
    assert_eq!(user_code(&wrong_type), "BAD_USER_INPUT");
    app.query(r#"mutation { upsertOrder(input: { externalId: "O-2", customerExternalId: "C-2", placedAt: "2026-02-01T10:00:00Z", status: PLACED, totalAmount: "1", currency: "EUR" }) { created } }"#, json!({})).await;
    let gone = app.query(r#"{ order(externalId: "O-2") { id } }"#, json!({})).await["order"]["id"].clone();
    app.query(r#"mutation { eraseCustomer(externalId: "C-2") { erasedCommentCount } }"#, json!({})).await;
    assert_eq!(
        app.query(by_id, json!({ "id": gone })).await["changeOrderStatus"]["order"]["status"],
        "RETURNED",
        "erasure keeps orders"
    );

    // Deleting the touchpoint by id returns its id and its answer's, for cache eviction; again: nothing.
    let delete = "mutation($id: ID!) { deleteTouchpoint(id: $id, withFeedback: true) { deleted deletedFeedbackCount deletedIds userErrors { field code } } }";
    let deleted = app.query(delete, json!({ "id": id("touchpoint") })).await["deleteTouchpoint"].clone();
    assert_eq!(
        deleted,
        json!({ "deleted": true, "deletedFeedbackCount": 1, "deletedIds": [id("touchpoint"), id("feedback")], "userErrors": [] })
    );
    // Again: the global id names no row any more, a NOT_FOUND at `id`.
    let again = app.refusal(delete, json!({ "id": id("touchpoint") })).await;
    assert_eq!((user_code(&again), field_of(&again).as_str()), ("NOT_FOUND", "id"));
    let by_external =
        r#"mutation { deleteFeedback(externalId: "F-1") { deleted deletedIds userErrors { field code } } }"#;
    assert_eq!(
        app.query(by_external, json!({})).await["deleteFeedback"],
        json!({ "deleted": false, "deletedIds": [], "userErrors": [{ "field": ["externalId"], "code": "NOT_FOUND" }] })
    );

    let erase = "mutation($id: ID!) { eraseCustomer(id: $id) { customer { externalId name } } }";
    let erased = app.query(erase, json!({ "id": id("customer") })).await["eraseCustomer"].clone();
    assert_eq!(erased["customer"], json!({ "externalId": "C-2", "name": "[erased]" }));
}

#[tokio::test]
async fn an_upsert_replaces_the_row_so_an_omitted_optional_field_clears_the_stored_value() {
    let app = spawn_app().await;
    basics(&app).await;
    // T-1 has an order and a sent survey, F-1 a touchpoint and a comment: upserted again without them.
    let touchpoint = json!({ "externalId": "T-1", "customerExternalId": "C-1", "kind": "DELIVERY", "channel": "SMS",
        "occurredAt": "2026-02-03T10:00:00Z" });
    let changed = app.query(TOUCHPOINT, json!({ "input": touchpoint })).await["upsertTouchpoint"].clone();
    assert_eq!((&changed["changed"], &changed["touchpoint"]["order"]), (&json!(true), &Value::Null));
    let answer = json!({ "externalId": "F-1", "customerExternalId": "C-1", "metric": "NPS", "score": 4,
        "submittedAt": "2026-02-03T12:00:00Z" });
    let changed = app.query(FEEDBACK, json!({ "input": answer })).await["upsertFeedback"].clone();
    assert_eq!((&changed["changed"], &changed["feedback"]["comment"]), (&json!(true), &Value::Null));
    let stored = app.query(r#"{ touchpoint(externalId: "T-1") { surveySentAt order { id } } feedback(externalId: "F-1") { touchpoint { id } comment } }"#, json!({})).await;
    assert_eq!(
        stored,
        json!({ "touchpoint": { "surveySentAt": null, "order": null }, "feedback": { "touchpoint": null, "comment": null } })
    );
    // An explicit null means the same.
    let mut with_null = answer.clone();
    with_null["comment"] = Value::Null;
    assert_eq!(app.query(FEEDBACK, json!({ "input": with_null })).await["upsertFeedback"]["changed"], false);
    assert_rollups_exact(&app.db, "answers moved off their touchpoint").await;
}
