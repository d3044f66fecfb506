//! Filters of the root connections, each checked against an independent computation over all rows.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, TimeZone, Utc};
use entity::{SurveyMetric, TouchpointKind, customer, feedback, order, touchpoint};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, code, spawn_seeded_app};

/// The external ids of every row of a root connection matching `filter`, in default order.
async fn external_ids(app: &TestApp, field: &str, filter: Value) -> Vec<String> {
    let query = format!(
        "query($filter: {}, $after: String) {{ {field}(first: 100, after: $after, filter: $filter) {{
            nodes {{ externalId }} pageInfo {{ hasNextPage endCursor }} totalCount }} }}",
        filter_type(field)
    );
    let mut ids = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app.query(&query, json!({ "filter": filter, "after": after })).await;
        let connection = &data[field];
        ids.extend(
            connection["nodes"].as_array().unwrap().iter().map(|n| n["externalId"].as_str().unwrap().to_owned()),
        );
        if !connection["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            assert_eq!(
                connection["totalCount"].as_u64().unwrap() as usize,
                ids.len(),
                "totalCount of {field} {filter}"
            );
            return ids;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
}

fn filter_type(field: &str) -> &'static str {
    match field {
        "customers" => "CustomerFilterInput",
        "orders" => "OrderFilterInput",
        "touchpoints" => "TouchpointFilterInput",
        _ => "FeedbackFilterInput",
    }
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

fn at(year: i32, month: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0).unwrap()
}

#[tokio::test]
async fn customer_filters_match_an_independent_computation() {
    let app = spawn_seeded_app(40).await;
    let customers = customer::Entity::find().all(&app.db).await.unwrap();
    let (from, to) = (at(2024, 6), at(2025, 6));
    let expected: Vec<String> = customers
        .iter()
        .filter(|c| ["smb", "enterprise"].contains(&c.segment.as_str()))
        .filter(|c| c.region != "LATAM")
        .filter(|c| c.created_at >= from && c.created_at < to)
        .map(|c| c.external_id.clone())
        .collect();
    let filter = json!({
        "segments": ["smb", "enterprise"],
        "regions": ["EMEA", "NA", "APAC"],
        "createdAt": { "from": from.to_rfc3339(), "to": to.to_rfc3339() },
    });
    assert_eq!(sorted(external_ids(&app, "customers", filter).await), sorted(expected));
    assert!(external_ids(&app, "customers", json!({ "segments": [] })).await.is_empty());
    assert!(external_ids(&app, "customers", json!({ "segments": ["x' OR '1'='1"] })).await.is_empty());
}

#[tokio::test]
async fn order_filters_match_an_independent_computation() {
    let app = spawn_seeded_app(40).await;
    let orders = order::Entity::find().all(&app.db).await.unwrap();
    let (from, to) = (at(2025, 1), at(2026, 1));
    let expected: Vec<String> = orders
        .iter()
        .filter(|o| matches!(o.status, entity::OrderStatus::Delivered | entity::OrderStatus::Returned))
        .filter(|o| o.placed_at >= from && o.placed_at < to)
        .filter(|o| o.currency == "EUR" || o.currency == "USD")
        .map(|o| o.external_id.clone())
        .collect();
    assert!(!expected.is_empty());
    let filter = json!({
        "statuses": ["DELIVERED", "RETURNED"],
        "currencies": ["EUR", "USD"],
        "placedAt": { "from": "2025-01-01T00:00:00Z", "to": "2026-01-01T01:00:00+01:00" },
    });
    assert_eq!(sorted(external_ids(&app, "orders", filter).await), sorted(expected));
}

#[tokio::test]
async fn touchpoint_filters_match_an_independent_computation() {
    let app = spawn_seeded_app(40).await;
    let touchpoints = touchpoint::Entity::find().all(&app.db).await.unwrap();
    let expected: Vec<String> = touchpoints
        .iter()
        .filter(|t| matches!(t.kind, TouchpointKind::Delivery | TouchpointKind::Support))
        .filter(|t| t.survey_sent_at.is_some())
        .filter(|t| t.occurred_at >= at(2024, 9))
        .map(|t| t.external_id.clone())
        .collect();
    assert!(!expected.is_empty());
    let filter = json!({ "kinds": ["DELIVERY", "SUPPORT"], "surveySent": true, "occurredAt": { "from": "2024-09-01T00:00:00Z" } });
    assert_eq!(sorted(external_ids(&app, "touchpoints", filter).await), sorted(expected));

    let by_channel: Vec<String> = touchpoints
        .iter()
        .filter(|t| t.channel == entity::Channel::Sms && t.survey_sent_at.is_none())
        .map(|t| t.external_id.clone())
        .collect();
    let filter = json!({ "channels": ["SMS"], "surveySent": false });
    assert_eq!(sorted(external_ids(&app, "touchpoints", filter).await), sorted(by_channel));
}

#[tokio::test]
async fn feedback_filters_match_an_independent_computation() {
    let app = spawn_seeded_app(60).await;
    let answers = feedback::Entity::find().all(&app.db).await.unwrap();
    let kinds: HashMap<i64, TouchpointKind> =
        touchpoint::Entity::find().all(&app.db).await.unwrap().into_iter().map(|t| (t.id, t.kind)).collect();

    let detractors: Vec<String> = answers
        .iter()
        .filter(|f| f.metric == SurveyMetric::Nps && f.score <= 6)
        .map(|f| f.external_id.clone())
        .collect();
    assert!(!detractors.is_empty());
    assert_eq!(
        sorted(external_ids(&app, "feedbacks", json!({ "categories": ["DETRACTOR"] })).await),
        sorted(detractors)
    );

    let passives_or_promoters: HashSet<String> = answers
        .iter()
        .filter(|f| f.metric == SurveyMetric::Nps && f.score >= 7)
        .map(|f| f.external_id.clone())
        .collect();
    let got: HashSet<String> =
        external_ids(&app, "feedbacks", json!({ "categories": ["PASSIVE", "PROMOTER"] })).await.into_iter().collect();
    assert_eq!(got, passives_or_promoters);

    // Each category implies its own metric: NPS detractors and satisfied CSAT answers, in one filter.
    let detractors_or_satisfied: HashSet<String> = answers
        .iter()
        .filter(|f| match f.metric {
            SurveyMetric::Nps => f.score <= 6,
            SurveyMetric::Csat => f.score >= 4,
            SurveyMetric::Ces => false,
        })
        .map(|f| f.external_id.clone())
        .collect();
    let filter = json!({ "categories": ["DETRACTOR", "SATISFIED"] });
    let got: HashSet<String> = external_ids(&app, "feedbacks", filter).await.into_iter().collect();
    assert_eq!(got, detractors_or_satisfied);
    assert!(external_ids(&app, "feedbacks", json!({ "categories": [] })).await.is_empty());

    let expected: Vec<String> = answers
        .iter()
        .filter(|f| matches!(f.metric, SurveyMetric::Csat | SurveyMetric::Ces))
        .filter(|f| (2..=4).contains(&f.score))
        .filter(|f| {
            f.touchpoint_id
                .and_then(|t| kinds.get(&t))
                .is_some_and(|k| matches!(k, TouchpointKind::Delivery | TouchpointKind::Support))
        })
        .filter(|f| f.comment.as_deref().is_some_and(|c| !c.is_empty()))
        .filter(|f| f.submitted_at < at(2026, 1))
        .map(|f| f.external_id.clone())
        .collect();
    assert!(!expected.is_empty(), "the seed should produce commented CSAT/CES answers");
    let filter = json!({
        "metrics": ["CSAT", "CES"],
        "score": { "min": 2, "max": 4 },
        "touchpointKinds": ["DELIVERY", "SUPPORT"],
        "hasComment": true,
        "submittedAt": { "to": "2026-01-01T00:00:00Z" },
    });
    assert_eq!(sorted(external_ids(&app, "feedbacks", filter).await), sorted(expected));
}

#[tokio::test]
async fn invalid_filters_name_the_field() {
    let app = spawn_seeded_app(2).await;
    let cases = [
        (
            "{ orders(filter: { placedAt: { from: \"2026-01-02T00:00:00Z\", to: \"2026-01-01T00:00:00Z\" } }) { totalCount } }",
            "filter.placedAt: from must not be after to",
        ),
        (
            "{ feedbacks(filter: { score: { min: 5, max: 1 } }) { totalCount } }",
            "filter.score: min must not be greater than max",
        ),
    ];
    for (query, message) in cases {
        let error = app.query_error(query, json!({})).await;
        assert_eq!(code(&error), "BAD_USER_INPUT", "{query}");
        assert_eq!(error["message"], message);
    }
    let long = "x".repeat(300);
    let error = app
        .query_error(
            "query($s: String!) { customers(filter: { segments: [\"a\", $s] }) { totalCount } }",
            json!({ "s": long }),
        )
        .await;
    assert_eq!(error["extensions"]["field"], "filter.segments[1]");

    // Unknown enum values fail validation; malformed scalar literals fail argument coercion with a path.
    let cases = [
        ("{ orders(filter: { statuses: [SHIPPED] }) { totalCount } }", "GRAPHQL_VALIDATION_FAILED", "SHIPPED"),
        (
            "{ orders(filter: { placedAt: { from: \"yesterday\" } }) { totalCount } }",
            "BAD_USER_INPUT",
            "'yesterday' is not an RFC 3339 timestamp",
        ),
        (
            "{ orders(filter: { currencies: [\"EURO\"] }) { totalCount } }",
            "BAD_USER_INPUT",
            "'EURO' is not an ISO 4217 currency code",
        ),
    ];
    for (query, expected_code, message) in cases {
        let error = app.query_error(query, json!({})).await;
        assert_eq!(code(&error), expected_code, "{query}: {error}");
        assert!(error["message"].as_str().unwrap().contains(message), "{error}");
    }
    // The same through variables: the field fails with the coercion error, naming the value.
    let error = app
        .query_error(
            "query($f: OrderFilterInput) { orders(filter: $f) { totalCount } }",
            json!({ "f": { "placedAt": { "to": "2026-13-01" } } }),
        )
        .await;
    assert_eq!(code(&error), "BAD_USER_INPUT", "{error}");
    assert!(error["message"].as_str().unwrap().contains("'2026-13-01' is not an RFC 3339 timestamp"), "{error}");
}
