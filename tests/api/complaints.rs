//! Complaints in the graph: lookups, links both ways, the root connection's filters and order, and
//! erasure.

use std::collections::HashMap;

use entity::{ComplaintStatus, complaint, customer, feedback, order};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::fixtures::complaints_for_seeded;
use crate::helpers::{TestApp, spawn_seeded_app};

const FIELDS: &str = "id externalId category channel openedAt firstResponseAt resolvedAt status outcome
    customer { externalId } order { externalId } feedback { externalId complaint { externalId } }
    touchpoint { externalId }";

fn enum_value(value: &impl sea_orm::ActiveEnum<Value = String>) -> Value {
    json!(value.to_value())
}

fn time(value: Option<chrono::DateTime<chrono::Utc>>) -> Value {
    value.map_or(Value::Null, |t| json!(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)))
}

/// What the graph must answer for `complaint`, from the rows.
async fn expected(app: &TestApp, complaint: &complaint::Model) -> Value {
    let customer = customer::Entity::find_by_id(complaint.customer_id).one(&app.db).await.unwrap().unwrap();
    let order = match complaint.order_id {
        Some(id) => order::Entity::find_by_id(id).one(&app.db).await.unwrap(),
        None => None,
    };
    let answer = match complaint.feedback_id {
        Some(id) => feedback::Entity::find_by_id(id).one(&app.db).await.unwrap(),
        None => None,
    };
    let touchpoint = match answer.as_ref().and_then(|a| a.touchpoint_id) {
        Some(id) => entity::touchpoint::Entity::find_by_id(id).one(&app.db).await.unwrap(),
        None => None,
    };
    json!({
        "externalId": complaint.external_id,
        "category": enum_value(&complaint.category),
        "channel": enum_value(&complaint.channel),
        "openedAt": time(Some(complaint.opened_at)),
        "firstResponseAt": time(complaint.first_response_at),
        "resolvedAt": time(complaint.resolved_at),
        "status": enum_value(&complaint.status),
        "outcome": complaint.outcome.map_or(Value::Null, |o| enum_value(&o)),
        "customer": { "externalId": customer.external_id },
        "order": order.map(|o| json!({ "externalId": o.external_id })),
        "feedback": answer.map(|a| json!({ "externalId": a.external_id, "complaint": { "externalId": complaint.external_id } })),
        "touchpoint": touchpoint.map(|t| json!({ "externalId": t.external_id })),
    })
}

#[tokio::test]
async fn a_complaint_is_found_by_external_id_and_id_with_every_link() {
    let app = spawn_seeded_app(40).await;
    let complaints = complaints_for_seeded(&app.db).await;
    // One of each shape: raised by an answer at a touchpoint with an order, about a returned order
    // without an answer, and every status.
    let with_touchpoint = complaints.iter().find(|c| c.feedback_id.is_some() && c.order_id.is_some()).unwrap();
    let without_answer = complaints.iter().find(|c| c.feedback_id.is_none()).unwrap();
    let mut picked = vec![with_touchpoint, without_answer];
    for status in [
        ComplaintStatus::Open,
        ComplaintStatus::InProgress,
        ComplaintStatus::Resolved,
        ComplaintStatus::UnresolvedClosed,
    ] {
        picked.push(complaints.iter().find(|c| c.status == status).unwrap());
    }
    for complaint in picked {
        let query = format!("query($x: String) {{ complaint(externalId: $x) {{ {FIELDS} }} }}");
        let mut found = app.query(&query, json!({ "x": complaint.external_id })).await["complaint"].clone();
        let id = found.as_object_mut().unwrap().remove("id").unwrap();
        assert_eq!(found, expected(&app, complaint).await);

        let by_id = app.query("query($id: ID) { complaint(id: $id) { externalId } }", json!({ "id": id })).await;
        assert_eq!(by_id["complaint"]["externalId"], complaint.external_id.as_str());
        let node = app.query("query($id: ID!) { node(id: $id) { __typename id } }", json!({ "id": id })).await;
        assert_eq!(node["node"], json!({ "__typename": "Complaint", "id": id }));
    }
    let none = app.query("{ complaint(externalId: \"NO-SUCH\") { id } }", json!({})).await;
    assert_eq!(none["complaint"], Value::Null);
}

#[tokio::test]
async fn customers_and_orders_list_exactly_their_complaints_and_answers_name_theirs() {
    let app = spawn_seeded_app(40).await;
    let complaints = complaints_for_seeded(&app.db).await;
    let mut per_customer: HashMap<i64, Vec<&complaint::Model>> = HashMap::new();
    let mut per_order: HashMap<i64, usize> = HashMap::new();
    for complaint in &complaints {
        per_customer.entry(complaint.customer_id).or_default().push(complaint);
        if let Some(order_id) = complaint.order_id {
            *per_order.entry(order_id).or_default() += 1;
        }
    }
    let customers = customer::Entity::find().all(&app.db).await.unwrap();
    let orders: HashMap<String, i64> =
        order::Entity::find().all(&app.db).await.unwrap().into_iter().map(|o| (o.external_id, o.id)).collect();
    let data = app
        .query(
            "{ customers(first: 40) { nodes { externalId
                complaints(first: 50) { totalCount nodes { externalId customer { externalId } } }
                orders(first: 30) { nodes { externalId complaints(first: 10) { totalCount nodes { order { externalId } } } } }
                feedback(first: 30) { nodes { externalId complaint { externalId } } } } } }",
            json!({}),
        )
        .await;
    let by_feedback: HashMap<i64, &str> =
        complaints.iter().filter_map(|c| c.feedback_id.map(|f| (f, c.external_id.as_str()))).collect();
    let answers: HashMap<String, i64> =
        feedback::Entity::find().all(&app.db).await.unwrap().into_iter().map(|f| (f.external_id, f.id)).collect();
    let (mut listed, mut linked_answers) = (0, 0);
    for node in data["customers"]["nodes"].as_array().unwrap() {
        let customer = customers.iter().find(|c| c.external_id == node["externalId"]).unwrap();
        let mut own = per_customer.get(&customer.id).cloned().unwrap_or_default();
        own.sort_by_key(|c| (c.opened_at, c.id));
        let expected: Vec<&str> = own.iter().map(|c| c.external_id.as_str()).collect();
        let got: Vec<&str> =
            node["complaints"]["nodes"].as_array().unwrap().iter().map(|c| c["externalId"].as_str().unwrap()).collect();
        assert_eq!(got, expected);
        assert_eq!(node["complaints"]["totalCount"], own.len());
        for listed_complaint in node["complaints"]["nodes"].as_array().unwrap() {
            assert_eq!(listed_complaint["customer"]["externalId"], node["externalId"]);
        }
        listed += own.len();
        for order_node in node["orders"]["nodes"].as_array().unwrap() {
            let order_id = orders[order_node["externalId"].as_str().unwrap()];
            assert_eq!(order_node["complaints"]["totalCount"], per_order.get(&order_id).copied().unwrap_or(0));
            for about in order_node["complaints"]["nodes"].as_array().unwrap() {
                assert_eq!(about["order"]["externalId"], order_node["externalId"]);
            }
        }
        for answer in node["feedback"]["nodes"].as_array().unwrap() {
            let id = answers[answer["externalId"].as_str().unwrap()];
            let expected = by_feedback.get(&id).map_or(Value::Null, |x| json!({ "externalId": x }));
            assert_eq!(answer["complaint"], expected);
            linked_answers += usize::from(!expected.is_null());
        }
    }
    assert!(listed > 5 && linked_answers > 3, "{listed} complaints listed, {linked_answers} linked from answers");
}

#[tokio::test]
async fn the_complaints_connection_filters_and_pages_in_order() {
    let app = spawn_seeded_app(120).await;
    let complaints = complaints_for_seeded(&app.db).await;
    let mut open_by_phone: Vec<&complaint::Model> =
        complaints.iter().filter(|c| !c.status.is_closed() && c.channel == entity::Channel::Phone).collect();
    open_by_phone.sort_by_key(|c| (std::cmp::Reverse(c.opened_at), std::cmp::Reverse(c.id)));
    assert!(open_by_phone.len() > 3, "{} open complaints by phone", open_by_phone.len());
    let query = "query($after: String) { complaints(first: 3, after: $after,
        filter: { statuses: [OPEN, IN_PROGRESS], channels: [PHONE] }, orderBy: { field: OPENED_AT, direction: DESC }) {
        totalCount nodes { externalId } pageInfo { hasNextPage endCursor } } }";
    let (mut after, mut walked) = (Value::Null, Vec::new());
    loop {
        let data = app.query(query, json!({ "after": after })).await;
        let connection = &data["complaints"];
        assert_eq!(connection["totalCount"], open_by_phone.len());
        walked.extend(
            connection["nodes"].as_array().unwrap().iter().map(|n| n["externalId"].as_str().unwrap().to_owned()),
        );
        if !connection["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(walked, open_by_phone.iter().map(|c| c.external_id.clone()).collect::<Vec<_>>());

    // Closed in a range, with an outcome: open complaints never match.
    let (from, to) = (complaints[0].opened_at, complaints[0].opened_at + chrono::Duration::days(400));
    let expected = complaints
        .iter()
        .filter(|c| c.outcome == Some(entity::ComplaintOutcome::Refund))
        .filter(|c| c.resolved_at.is_some_and(|t| t >= from && t < to))
        .count();
    let data = app
        .query(
            "query($from: DateTime, $to: DateTime) { complaints(filter: { outcomes: [REFUND], resolvedAt: { from: $from, to: $to } }) { totalCount } }",
            json!({ "from": from.to_rfc3339(), "to": to.to_rfc3339() }),
        )
        .await;
    assert_eq!(data["complaints"]["totalCount"], expected);
    let categories = complaints.iter().filter(|c| c.category == entity::ComplaintCategory::Service).count();
    let data = app.query("{ complaints(filter: { categories: [SERVICE] }) { totalCount } }", json!({})).await;
    assert_eq!(data["complaints"]["totalCount"], categories);
}

#[tokio::test]
async fn erasing_a_customer_deletes_their_complaints() {
    let app = spawn_seeded_app(20).await;
    let complaints = complaints_for_seeded(&app.db).await;
    let customer_id = complaints[0].customer_id;
    let own = complaints.iter().filter(|c| c.customer_id == customer_id).count();
    let customer = customer::Entity::find_by_id(customer_id).one(&app.db).await.unwrap().unwrap();
    let before = "query($x: String!) { customer(externalId: $x) { complaints(first: 100) { nodes { id } } } }";
    let before = app.query(before, json!({ "x": customer.external_id })).await;
    let mut own_ids: Vec<Value> = before["customer"]["complaints"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|node| node["id"].clone())
        .collect();
    let erase = "mutation($x: String!) { eraseCustomer(externalId: $x) { deletedComplaintCount deletedIds } }";
    let data = app.query(erase, json!({ "x": customer.external_id })).await;
    assert_eq!(data["eraseCustomer"]["deletedComplaintCount"], own);
    // The deleted complaints' global ids, for cache eviction: each named no complaint any more.
    let mut deleted_ids = data["eraseCustomer"]["deletedIds"].as_array().cloned().unwrap_or_default();
    let by_text = |a: &Value, b: &Value| a.to_string().cmp(&b.to_string());
    deleted_ids.sort_by(by_text);
    own_ids.sort_by(by_text);
    assert_eq!((deleted_ids.len(), &deleted_ids), (own, &own_ids));
    for id in deleted_ids {
        let gone = app.query("query($id: ID!) { node(id: $id) { __typename } }", json!({ "id": id })).await;
        assert_eq!(gone["node"], Value::Null, "{id}");
    }
    let left = complaint::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(left.len(), complaints.len() - own);
    assert!(left.iter().all(|c| c.customer_id != customer_id));
    let again = app.query(erase, json!({ "x": customer.external_id })).await;
    assert_eq!(again["eraseCustomer"]["deletedComplaintCount"], 0);
}
