//! Global IDs, `node`/`nodes`, and lookups by id or external id.

use entity::{customer, feedback, order, touchpoint};
use sea_orm::EntityTrait;
use serde_json::json;

use crate::helpers::{code, spawn_seeded_app};

#[tokio::test]
async fn every_type_is_found_by_external_id_and_again_by_node_id() {
    let app = spawn_seeded_app(10).await;
    let customer = customer::Entity::find().one(&app.db).await.unwrap().unwrap();
    let order = order::Entity::find().one(&app.db).await.unwrap().unwrap();
    let touchpoint = touchpoint::Entity::find().one(&app.db).await.unwrap().unwrap();
    let feedback = feedback::Entity::find().one(&app.db).await.unwrap().unwrap();
    for (field, type_name, external_id) in [
        ("customer", "Customer", customer.external_id),
        ("order", "Order", order.external_id),
        ("touchpoint", "Touchpoint", touchpoint.external_id),
        ("feedback", "Feedback", feedback.external_id),
    ] {
        let data = app
            .query(
                &format!("query($x: String) {{ {field}(externalId: $x) {{ id externalId }} }}"),
                json!({ "x": external_id }),
            )
            .await;
        assert_eq!(data[field]["externalId"], json!(external_id));
        let id = data[field]["id"].clone();

        let by_id =
            app.query(&format!("query($id: ID) {{ {field}(id: $id) {{ externalId }} }}"), json!({ "id": id })).await;
        assert_eq!(by_id[field]["externalId"], json!(external_id));

        let node = app.query("query($id: ID!) { node(id: $id) { __typename id } }", json!({ "id": id })).await;
        assert_eq!(node["node"], json!({ "__typename": type_name, "id": id }));
    }
}

#[tokio::test]
async fn nodes_keeps_order_and_returns_null_for_missing_rows() {
    let app = spawn_seeded_app(5).await;
    let data = app.query("{ customers(first: 2) { nodes { id } } orders(first: 1) { nodes { id } } }", json!({})).await;
    let c0 = data["customers"]["nodes"][0]["id"].clone();
    let c1 = data["customers"]["nodes"][1]["id"].clone();
    let o0 = data["orders"]["nodes"][0]["id"].clone();
    // A well-formed ID of a row that does not exist.
    let missing = "Q3VzdG9tZXI6OTk5OTk5";
    let nodes = app
        .query("query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", json!({ "ids": [o0, c1, missing, c0] }))
        .await;
    assert_eq!(
        nodes["nodes"],
        json!([
            { "__typename": "Order", "id": o0 },
            { "__typename": "Customer", "id": c1 },
            null,
            { "__typename": "Customer", "id": c0 },
        ])
    );
}

#[tokio::test]
async fn unknown_external_ids_give_null_not_an_error() {
    let app = spawn_seeded_app(3).await;
    let data = app
        .query("{ customer(externalId: \"nope\") { id } order(externalId: \"' OR 1=1 --\") { id } }", json!({}))
        .await;
    assert_eq!(data, json!({ "customer": null, "order": null }));
}

#[tokio::test]
async fn invalid_or_mismatched_ids_are_bad_user_input() {
    let app = spawn_seeded_app(3).await;
    let order_id =
        app.query("{ orders(first: 1) { nodes { id } } }", json!({})).await["orders"]["nodes"][0]["id"].clone();

    let mismatch = app.query_error("query($id: ID) { customer(id: $id) { id } }", json!({ "id": order_id })).await;
    assert_eq!(code(&mismatch), "BAD_USER_INPUT");
    assert_eq!(mismatch["message"], "id: expected a Customer ID, got a Order ID");
    assert_eq!(mismatch["extensions"]["field"], "id");

    for bad in ["", "garbage", "Q3VzdG9tZXI6LTE", "' OR 1=1 --"] {
        let error = app.query_error("query($id: ID!) { node(id: $id) { id } }", json!({ "id": bad })).await;
        assert_eq!(code(&error), "BAD_USER_INPUT", "{bad}");
        assert_eq!(error["message"], "id: not a valid ID");
    }

    let both = app.query_error("{ customer(id: \"x\", externalId: \"y\") { id } }", json!({})).await;
    assert_eq!(code(&both), "BAD_USER_INPUT");
    let neither = app.query_error("{ customer { id } }", json!({})).await;
    assert_eq!(code(&neither), "BAD_USER_INPUT");

    let too_many: Vec<String> = (0..101).map(|_| "x".to_owned()).collect();
    let error = app.query_error("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", json!({ "ids": too_many })).await;
    assert_eq!(code(&error), "BAD_USER_INPUT");
}

#[tokio::test]
async fn money_is_exact_decimal_with_currency_and_timestamps_are_utc() {
    let app = spawn_seeded_app(20).await;
    let orders = order::Entity::find().all(&app.db).await.unwrap();
    let yen = orders.iter().find(|o| o.currency == "JPY");
    let euro = orders.iter().find(|o| o.currency == "EUR").expect("seed has EUR orders");
    for order in [Some(euro), yen].into_iter().flatten() {
        let data = app
            .query(
                "query($x: String) { order(externalId: $x) { totalAmount { amount currency } placedAt } }",
                json!({ "x": order.external_id }),
            )
            .await;
        let digits = if order.currency == "JPY" { 0 } else { 2 };
        let expected = if digits == 0 {
            order.total_amount_minor.to_string()
        } else {
            format!("{}.{:02}", order.total_amount_minor / 100, order.total_amount_minor % 100)
        };
        assert_eq!(data["order"]["totalAmount"], json!({ "amount": expected, "currency": order.currency }));
        let placed = data["order"]["placedAt"].as_str().unwrap();
        assert!(placed.ends_with('Z'), "{placed}");
        assert_eq!(chrono::DateTime::parse_from_rfc3339(placed).unwrap(), order.placed_at);
    }
}
