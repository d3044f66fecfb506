//! Drill-through: every row of an insight opens into exactly the rows it counted, by giving the feedback,
//! order or touchpoint list the row's dimensions and the insight's filter.

use std::collections::HashMap;

use entity::{OrderStatus, TouchpointKind, customer, order, touchpoint};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::spawn_seeded_app;

const INSIGHT: &str = r#"query($filter: SatisfactionFilterInput) { insights { satisfaction(metric: NPS,
    filter: $filter, groupBy: [CHANNEL, SEGMENT]) { channel segment score { n } } } }"#;

const ANSWERS: &str = r#"query($filter: FeedbackFilterInput) { feedbacks(filter: $filter, first: 100) { totalCount
    nodes { metric submittedAt customer { segment region } touchpoint { channel order { status } } } } }"#;

#[tokio::test]
async fn every_insight_row_opens_into_the_answers_it_counted() {
    let app = spawn_seeded_app(300).await;
    let period = json!({ "from": "2025-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z" });
    let (regions, statuses) = (json!(["EMEA", "NA"]), json!(["DELIVERED", "RETURNED"]));
    let filter = json!({ "period": period, "regions": regions, "orderStatuses": statuses });
    let rows = app.query(INSIGHT, json!({ "filter": filter })).await["insights"]["satisfaction"].clone();
    let rows = rows.as_array().unwrap();
    assert!(rows.len() >= 4, "the seed spreads answers over channels and segments: {rows:?}");
    let mut opened = 0;
    for row in rows {
        let n = row["score"]["n"].as_u64().unwrap();
        let list = json!({ "metrics": ["NPS"], "submittedAt": period, "regions": regions, "orderStatuses": statuses,
            "channels": [row["channel"]], "segments": [row["segment"]] });
        let page = app.query(ANSWERS, json!({ "filter": list })).await["feedbacks"].clone();
        assert_eq!(page["totalCount"].as_u64(), Some(n), "{row}");
        for answer in page["nodes"].as_array().unwrap() {
            let touchpoint = &answer["touchpoint"];
            assert_eq!((&answer["metric"], &touchpoint["channel"]), (&json!("NPS"), &row["channel"]));
            assert_eq!(answer["customer"]["segment"], row["segment"]);
            assert!(regions.as_array().unwrap().contains(&answer["customer"]["region"]), "{answer}");
            assert!(statuses.as_array().unwrap().contains(&touchpoint["order"]["status"]), "{answer}");
            let submitted = answer["submittedAt"].as_str().unwrap();
            assert!(submitted.starts_with("2025-"), "{answer}");
            opened += 1;
        }
    }
    assert!(opened > 20, "the rows open into answers: {opened}");

    // Relationship surveys (no touchpoint) never match a touchpoint or order condition, as in the insight.
    let pulse = json!({ "metrics": ["NPS"], "channels": ["EMAIL", "SMS", "PHONE", "CHAT", "WEB", "MOBILE_APP",
        "IN_STORE", "SOCIAL"] });
    let page = app.query(ANSWERS, json!({ "filter": pulse })).await["feedbacks"].clone();
    assert!(page["nodes"].as_array().unwrap().iter().all(|a| a["touchpoint"] != Value::Null));
}

#[tokio::test]
async fn an_empty_dimension_list_matches_nothing_and_a_bad_one_is_named() {
    let app = spawn_seeded_app(50).await;
    let page = app.query(ANSWERS, json!({ "filter": { "segments": [] } })).await["feedbacks"].clone();
    assert_eq!(page["totalCount"], 0);
    let error = app.query_error(ANSWERS, json!({ "filter": { "channels": ["CARRIER_PIGEON"] } })).await;
    assert!(error.to_string().contains("CARRIER_PIGEON"), "{error}");
}

const LOYALTY: &str = r#"query($period: TimeRangeInput!) { insights { loyalty(period: $period, groupBy: [SEGMENT, REGION]) {
    segment region orders } } }"#;

const ORDERS: &str = r#"query($filter: OrderFilterInput) { orders(filter: $filter, first: 100) { totalCount
    nodes { status placedAt customer { segment region } } } }"#;

#[tokio::test]
async fn every_loyalty_row_opens_into_the_orders_it_counted() {
    let app = spawn_seeded_app(200).await;
    let period = json!({ "from": "2025-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z" });
    let rows = app.query(LOYALTY, json!({ "period": period })).await["insights"]["loyalty"].clone();
    let rows = rows.as_array().unwrap();
    assert!(rows.len() >= 4, "{rows:?}");
    assert!(rows.iter().map(|r| r["orders"].as_u64().unwrap()).sum::<u64>() > 20, "{rows:?}");
    // Orders count unless CANCELLED (`docs/metrics.md`).
    let counting = json!(["PLACED", "FULFILLED", "DELIVERED", "RETURNED"]);
    for row in rows {
        let filter = json!({ "placedAt": period, "statuses": counting, "segments": [row["segment"]],
            "regions": [row["region"]] });
        let page = app.query(ORDERS, json!({ "filter": filter })).await["orders"].clone();
        assert_eq!(page["totalCount"], row["orders"], "{row}");
        for order in page["nodes"].as_array().unwrap() {
            assert_eq!(
                (&order["customer"]["segment"], &order["customer"]["region"]),
                (&row["segment"], &row["region"])
            );
        }
    }
}

const TOUCHPOINTS: &str = r#"query($filter: TouchpointFilterInput) { touchpoints(filter: $filter, first: 100) {
    totalCount nodes { kind customer { segment region } order { status } } } }"#;

#[tokio::test]
async fn touchpoints_filter_by_the_insights_dimensions() {
    let app = spawn_seeded_app(200).await;
    let customers: HashMap<i64, customer::Model> =
        customer::Entity::find().all(&app.db).await.unwrap().into_iter().map(|c| (c.id, c)).collect();
    let orders: HashMap<i64, order::Model> =
        order::Entity::find().all(&app.db).await.unwrap().into_iter().map(|o| (o.id, o)).collect();
    let touchpoints = touchpoint::Entity::find().all(&app.db).await.unwrap();
    let filter = json!({ "kinds": ["DELIVERY", "SUPPORT"], "orderStatuses": ["DELIVERED"], "segments": ["smb", "consumer"],
        "regions": ["EMEA", "NA", "APAC"] });
    let expected = touchpoints
        .iter()
        .filter(|t| matches!(t.kind, TouchpointKind::Delivery | TouchpointKind::Support))
        .filter(|t| t.order_id.is_some_and(|o| orders[&o].status == OrderStatus::Delivered))
        .filter(|t| ["smb", "consumer"].contains(&customers[&t.customer_id].segment.as_str()))
        .filter(|t| ["EMEA", "NA", "APAC"].contains(&customers[&t.customer_id].region.as_str()))
        .count();
    assert!(expected > 5, "the seed has such touchpoints: {expected}");
    let page = app.query(TOUCHPOINTS, json!({ "filter": filter })).await["touchpoints"].clone();
    assert_eq!(page["totalCount"], expected);
    for t in page["nodes"].as_array().unwrap() {
        assert_eq!(t["order"]["status"], "DELIVERED");
        assert!(["smb", "consumer"].contains(&t["customer"]["segment"].as_str().unwrap()), "{t}");
    }
}
