//! Loyalty, cohorts, touchpoint impact and order summaries: hand-made data with hand-computed answers,
//! and seeded data against an independent computation.

use std::collections::{HashMap, HashSet};

use entity::{Channel, OrderStatus, SurveyMetric, TouchpointKind, order};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::fixtures::{answer, at, customer, order as new_order, touchpoint};
use crate::helpers::{TestApp, code, spawn_app, spawn_seeded_app};

/// A (EMEA), B (EMEA), C (NA), D (NA), F (NA) and E (APAC, no orders); see each order's comment.
async fn shop(app: &TestApp) {
    let db = &app.db;
    let a = customer(db, "A", "consumer", "EMEA").await;
    let b = customer(db, "B", "smb", "EMEA").await;
    let c = customer(db, "C", "consumer", "NA").await;
    let d = customer(db, "D", "consumer", "NA").await;
    customer(db, "E", "consumer", "APAC").await;
    let f = customer(db, "F", "smb", "NA").await;
    use OrderStatus::*;
    let a1 = new_order(db, "A1", &a, "2026-01-10T10:00:00Z", Delivered, 10_000, "EUR").await; // previous period
    new_order(db, "A2", &a, "2026-04-05T10:00:00Z", Delivered, 5_000, "EUR").await;
    new_order(db, "A3", &a, "2026-05-05T10:00:00Z", Returned, 3_000, "EUR").await; // counts, zero revenue
    new_order(db, "A4", &a, "2026-06-01T10:00:00Z", Cancelled, 2_000, "EUR").await; // counts for nothing
    new_order(db, "B1", &b, "2026-04-10T10:00:00Z", Delivered, 20_000, "GBP").await;
    new_order(db, "B2", &b, "2026-04-20T10:00:00Z", Delivered, 1_000, "EUR").await;
    let c1 = new_order(db, "C1", &c, "2026-02-01T10:00:00Z", Delivered, 8_000, "USD").await; // previous period
    new_order(db, "C2", &c, "2026-05-01T10:00:00Z", Delivered, 4_000, "USD").await;
    let d1 = new_order(db, "D1", &d, "2026-03-01T10:00:00Z", Delivered, 6_000, "USD").await; // churns
    new_order(db, "F1", &f, "2025-06-01T10:00:00Z", Delivered, 5_000, "JPY").await; // inactive
    // NPS after delivery: A promoter (orders again 83 days later), C detractor (87 days later), D detractor (never).
    for (customer, order, score, day) in
        [(&a, &a1, 10, "2026-01-12"), (&c, &c1, 3, "2026-02-03"), (&d, &d1, 5, "2026-03-03")]
    {
        let t = touchpoint(
            db,
            &format!("T-{}", order.external_id),
            customer,
            Some(order),
            TouchpointKind::Delivery,
            Channel::Sms,
            &format!("{day}T08:00:00Z"),
            Some(&format!("{day}T09:00:00Z")),
        )
        .await;
        answer(
            db,
            &format!("F-{}", order.external_id),
            customer,
            Some(&t),
            SurveyMetric::Nps,
            score,
            &format!("{day}T10:00:00Z"),
        )
        .await;
    }
}

const LOYALTY_FIELDS: &str = "segment region periodStart periodEnd asOf activeCustomers orders purchaseFrequency repeatCustomers
    repeatPurchaseRate lifetimeCustomers lifetimeRepeatCustomers lifetimeRepeatPurchaseRate previouslyActiveCustomers
    churnedCustomers churnRate retentionRate inactiveCustomers inactiveWindowDays
    currencies { currency orders revenue { amount currency } averageOrderValue historicClvMean historicClvMedian predictedClvHeuristic
        averageOrderAmount { amount currency } historicClvMeanAmount { amount } historicClvMedianAmount { amount }
        predictedClvHeuristicAmount { amount } }";

fn currency<'a>(row: &'a Value, code: &str) -> &'a Value {
    row["currencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["currency"] == code)
        .unwrap_or_else(|| panic!("{code} in {row}"))
}

fn close(value: &Value, expected: f64) {
    assert!(value.as_f64().is_some_and(|v| (v - expected).abs() < 1e-9), "{value} != {expected}");
}

#[tokio::test]
async fn loyalty_of_a_period_matches_hand_computed_answers() {
    let app = spawn_app().await;
    shop(&app).await;
    let query = format!(
        r#"{{ insights {{ loyalty(period: {{ from: "2026-04-01T00:00:00Z", to: "2026-07-01T00:00:00Z" }}) {{ {LOYALTY_FIELDS} }} }} }}"#
    );
    let rows = app.query(&query, json!({})).await["insights"]["loyalty"].clone();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    let row = &rows[0];
    assert_eq!(
        (row["activeCustomers"].as_u64(), row["orders"].as_u64(), row["repeatCustomers"].as_u64()),
        (Some(3), Some(5), Some(2))
    );
    close(&row["purchaseFrequency"], 5.0 / 3.0);
    close(&row["repeatPurchaseRate"], 200.0 / 3.0);
    // Lifetime as of the period end: A, B, C, D, F ordered; A, B, C twice or more.
    assert_eq!((row["lifetimeCustomers"].as_u64(), row["lifetimeRepeatCustomers"].as_u64()), (Some(5), Some(3)));
    close(&row["lifetimeRepeatPurchaseRate"], 60.0);
    // Previous period [2025-12-31, 2026-04-01): A, C, D; D did not come back.
    assert_eq!((row["previouslyActiveCustomers"].as_u64(), row["churnedCustomers"].as_u64()), (Some(3), Some(1)));
    close(&row["churnRate"], 100.0 / 3.0);
    close(&row["retentionRate"], 200.0 / 3.0);
    // Nothing since 2026-01-02 (180 days before 2026-07-01): only F.
    assert_eq!(row["inactiveCustomers"], 1);
    assert_eq!(row["asOf"], "2026-07-01T00:00:00Z");

    let eur = currency(row, "EUR");
    assert_eq!(eur["orders"], 3);
    assert_eq!(eur["revenue"], json!({ "amount": "60.00", "currency": "EUR" }));
    close(&eur["averageOrderValue"], 20.0);
    // Historic CLV in EUR: A 150.00, B 10.00.
    close(&eur["historicClvMean"], 80.0);
    close(&eur["historicClvMedian"], 80.0);
    let periods_per_year = 365.2425 / 91.0;
    let yearly_churn = 1.0 - (2.0f64 / 3.0).powf(periods_per_year);
    let predicted = 20.0 * (5.0 / 3.0) * periods_per_year / yearly_churn;
    close(&eur["predictedClvHeuristic"], predicted);
    // The same figures as money, rounded to cents.
    assert_eq!(eur["averageOrderAmount"], json!({ "amount": "20.00", "currency": "EUR" }));
    assert_eq!(
        (&eur["historicClvMeanAmount"]["amount"], &eur["historicClvMedianAmount"]["amount"]),
        (&json!("80.00"), &json!("80.00"))
    );
    assert_eq!(
        eur["predictedClvHeuristicAmount"]["amount"],
        format!("{:.2}", (predicted * 100.0).round_ties_even() / 100.0)
    );
    assert_eq!(currency(row, "GBP")["revenue"]["amount"], "200.00");
    close(&currency(row, "USD")["historicClvMedian"], 90.0);
    // JPY has no order in the period, but F's lifetime revenue is there (0 minor digits).
    let jpy = currency(row, "JPY");
    assert_eq!((jpy["orders"].as_u64(), jpy["averageOrderValue"].clone()), (Some(0), Value::Null));
    assert_eq!(jpy["averageOrderAmount"], Value::Null);
    close(&jpy["historicClvMean"], 5000.0);
    assert_eq!(jpy["historicClvMeanAmount"]["amount"], "5000");
}

#[tokio::test]
async fn loyalty_grouped_by_region_and_bucketed_by_month() {
    let app = spawn_app().await;
    shop(&app).await;
    let query = format!(
        r#"{{ insights {{ loyalty(period: {{ from: "2026-04-01T00:00:00Z", to: "2026-07-01T00:00:00Z" }}, groupBy: [REGION]) {{ {LOYALTY_FIELDS} }} }} }}"#
    );
    let rows = app.query(&query, json!({})).await["insights"]["loyalty"].as_array().unwrap().clone();
    let by_region: HashMap<&str, &Value> = rows.iter().map(|r| (r["region"].as_str().unwrap(), r)).collect();
    assert_eq!(by_region.len(), 2, "APAC has no orders at all: {rows:?}");
    let (emea, na) = (by_region["EMEA"], by_region["NA"]);
    assert_eq!((emea["activeCustomers"].as_u64(), emea["orders"].as_u64()), (Some(2), Some(4)));
    assert_eq!((emea["previouslyActiveCustomers"].as_u64(), emea["churnedCustomers"].as_u64()), (Some(1), Some(0)));
    close(&emea["churnRate"], 0.0);
    assert_eq!(currency(emea, "EUR")["predictedClvHeuristic"], Value::Null, "no churn, no lifetime estimate");
    close(&na["churnRate"], 50.0);
    assert_eq!(na["inactiveCustomers"], 1);
    assert_eq!(emea["segment"], Value::Null);

    let query = format!(
        r#"{{ insights {{ loyalty(period: {{ from: "2026-04-01T00:00:00Z", to: "2026-07-01T00:00:00Z" }}, series: {{ granularity: MONTH }}) {{ {LOYALTY_FIELDS} }} }} }}"#
    );
    let months = app.query(&query, json!({})).await["insights"]["loyalty"].as_array().unwrap().clone();
    let active: Vec<(String, u64, u64)> = months
        .iter()
        .map(|m| {
            (
                m["periodStart"].as_str().unwrap().to_owned(),
                m["activeCustomers"].as_u64().unwrap(),
                m["orders"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        active,
        vec![
            ("2026-04-01T00:00:00Z".to_owned(), 2, 3),
            ("2026-05-01T00:00:00Z".to_owned(), 2, 2),
            ("2026-06-01T00:00:00Z".to_owned(), 0, 0),
        ]
    );
    // June is empty: rates over nothing are null, not 0.
    assert_eq!(
        (months[2]["purchaseFrequency"].clone(), months[2]["repeatPurchaseRate"].clone()),
        (Value::Null, Value::Null)
    );
    // May's previous period is the 31 days before May 1: A and B were active; A came back, B did not.
    assert_eq!(
        (months[1]["previouslyActiveCustomers"].as_u64(), months[1]["churnedCustomers"].as_u64()),
        (Some(2), Some(1))
    );
}

#[tokio::test]
async fn cohort_retention_follows_each_first_order_month() {
    let app = spawn_app().await;
    shop(&app).await;
    let data = app
        .query(
            r#"{ insights { cohortRetention(granularity: MONTH, cohorts: { from: "2026-01-01T00:00:00Z", to: "2026-04-01T00:00:00Z" }, periods: 5) {
                cohortStart periodIndex cohortSize retainedCustomers share } } }"#,
            json!({}),
        )
        .await;
    let cells: Vec<(String, i64, u64, u64, Option<f64>)> = data["insights"]["cohortRetention"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["cohortStart"].as_str().unwrap()[..7].to_owned(),
                c["periodIndex"].as_i64().unwrap(),
                c["cohortSize"].as_u64().unwrap(),
                c["retainedCustomers"].as_u64().unwrap(),
                c["share"].as_f64(),
            )
        })
        .collect();
    let row = |month: &str, retained: [u64; 5]| -> Vec<(String, i64, u64, u64, Option<f64>)> {
        (0..5).map(|k| (month.to_owned(), k as i64, 1, retained[k], Some(100.0 * retained[k] as f64))).collect()
    };
    // A's cohort is January (back in April, and in May with a returned order, which counts), C's
    // February (back in May), D's March (never back).
    let expected: Vec<_> =
        [row("2026-01", [1, 0, 0, 1, 1]), row("2026-02", [1, 0, 0, 1, 0]), row("2026-03", [1, 0, 0, 0, 0])].concat();
    assert_eq!(cells, expected);

    let error = app
        .query_error(r#"{ insights { cohortRetention(granularity: WEEK, cohorts: { from: "2026-01-01T00:00:00Z", to: "2026-04-01T00:00:00Z" }, periods: 0) { share } } }"#, json!({}))
        .await;
    assert_eq!((code(&error), error["extensions"]["field"].as_str()), ("BAD_USER_INPUT", Some("periods")));
}

#[tokio::test]
async fn touchpoint_impact_compares_repurchase_after_each_answer_category() {
    let app = spawn_app().await;
    shop(&app).await;
    let query = r#"query($h: Int!, $asOf: DateTime!) { insights { touchpointImpact(metric: NPS, touchpointKinds: [DELIVERY], horizonDays: $h, asOf: $asOf) {
        category customerCount repurchasedCustomers repurchaseRate interval { lower upper } differenceToBest pValue significant } } }"#;
    let rows =
        app.query(query, json!({ "h": 90, "asOf": "2026-11-01T00:00:00Z" })).await["insights"]["touchpointImpact"]
            .clone();
    assert_eq!(rows[0]["category"], "PROMOTER");
    assert_eq!((rows[0]["customerCount"].as_u64(), rows[0]["repurchasedCustomers"].as_u64()), (Some(1), Some(1)));
    assert_eq!(rows[0]["differenceToBest"], Value::Null);
    assert_eq!(
        (rows[1]["category"].as_str(), rows[1]["customerCount"].as_u64(), rows[1]["repurchaseRate"].clone()),
        (Some("PASSIVE"), Some(0), Value::Null)
    );
    assert_eq!(
        (rows[2]["category"].as_str(), rows[2]["customerCount"].as_u64(), rows[2]["repurchasedCustomers"].as_u64()),
        (Some("DETRACTOR"), Some(2), Some(1))
    );
    close(&rows[2]["repurchaseRate"], 50.0);
    close(&rows[2]["differenceToBest"], -50.0);
    // Pooled two-proportion test of 1/2 against 1/1: pooled 2/3, se = sqrt(2/9 x 1.5), z = -0.866025,
    // two-sided p = 2 x (1 - Phi(0.866025)) = 0.386476.
    let p = rows[2]["pValue"].as_f64().unwrap();
    assert!((p - 0.386_476_230_8).abs() < 1e-6, "p {p}");
    assert_eq!(rows[2]["significant"], false);
    // The best category is not tested against itself: no verdict rather than "not significant".
    assert_eq!((rows[0]["pValue"].clone(), rows[0]["significant"].clone()), (Value::Null, Value::Null));

    // 85 days: C's next order (87 days later) falls outside.
    let rows =
        app.query(query, json!({ "h": 85, "asOf": "2026-11-01T00:00:00Z" })).await["insights"]["touchpointImpact"]
            .clone();
    assert_eq!(rows[2]["repurchasedCustomers"], 0);
    // Windows still open on the as-of date are left out: only A's has ended by 2026-05-01.
    let rows =
        app.query(query, json!({ "h": 90, "asOf": "2026-05-01T00:00:00Z" })).await["insights"]["touchpointImpact"]
            .clone();
    assert_eq!((rows[0]["customerCount"].as_u64(), rows[2]["customerCount"].as_u64()), (Some(1), Some(0)));
}

#[tokio::test]
async fn order_summaries_on_the_graph() {
    let app = spawn_app().await;
    shop(&app).await;
    let data = app
        .query(
            r#"{ customers(first: 10, orderBy: { field: EXTERNAL_ID }) { nodes { externalId orderSummary(asOf: "2026-07-01T10:00:00Z") {
                orderCount spend { currency orders totalSpent { amount currency } averageOrderValue averageOrderAmount { amount } } firstOrderAt lastOrderAt
                daysSinceLastOrder repeatBuyer inactive } } } }"#,
            json!({}),
        )
        .await;
    let nodes = data["customers"]["nodes"].as_array().unwrap();
    let a = &nodes[0]["orderSummary"];
    assert_eq!(nodes[0]["externalId"], "A");
    assert_eq!(a["orderCount"], 3);
    assert_eq!(
        a["spend"],
        json!([{ "currency": "EUR", "orders": 3, "totalSpent": { "amount": "150.00", "currency": "EUR" }, "averageOrderValue": 50.0,
            "averageOrderAmount": { "amount": "50.00" } }])
    );
    assert_eq!(
        (a["firstOrderAt"].as_str(), a["lastOrderAt"].as_str()),
        (Some("2026-01-10T10:00:00Z"), Some("2026-05-05T10:00:00Z"))
    );
    assert_eq!(
        (a["daysSinceLastOrder"].as_i64(), a["repeatBuyer"].as_bool(), a["inactive"].as_bool()),
        (Some(57), Some(true), Some(false))
    );
    let b = &nodes[1]["orderSummary"];
    assert_eq!(b["spend"].as_array().unwrap().len(), 2, "EUR and GBP are never summed");
    let e = &nodes[4]["orderSummary"];
    assert_eq!(
        e,
        &json!({ "orderCount": 0, "spend": [], "firstOrderAt": null, "lastOrderAt": null, "daysSinceLastOrder": null, "repeatBuyer": false, "inactive": false })
    );
    assert_eq!(nodes[5]["orderSummary"]["inactive"], true);
}

#[tokio::test]
async fn loyalty_on_seeded_data_matches_an_independent_computation() {
    let app = spawn_seeded_app(250).await;
    let orders: Vec<order::Model> = order::Entity::find().all(&app.db).await.unwrap();
    let counted: Vec<&order::Model> = orders.iter().filter(|o| o.status != OrderStatus::Cancelled).collect();
    let (from, to) = (at("2025-01-01T00:00:00Z"), at("2026-01-01T00:00:00Z"));
    let previous_from = from - (to - from);
    let mut per_customer: HashMap<i64, u64> = HashMap::new();
    for o in counted.iter().filter(|o| o.placed_at >= from && o.placed_at < to) {
        *per_customer.entry(o.customer_id).or_default() += 1;
    }
    let previous: HashSet<i64> =
        counted.iter().filter(|o| o.placed_at >= previous_from && o.placed_at < from).map(|o| o.customer_id).collect();
    let churned = previous.iter().filter(|c| !per_customer.contains_key(c)).count();
    let eur_revenue: i64 = counted
        .iter()
        .filter(|o| o.placed_at >= from && o.placed_at < to && o.currency == "EUR" && o.status != OrderStatus::Returned)
        .map(|o| o.total_amount_minor)
        .sum();
    let query = format!(
        r#"{{ insights {{ loyalty(period: {{ from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }}) {{ {LOYALTY_FIELDS} }} }} }}"#
    );
    let row = app.query(&query, json!({})).await["insights"]["loyalty"][0].clone();
    assert_eq!(row["activeCustomers"], per_customer.len());
    assert_eq!(row["orders"], per_customer.values().sum::<u64>());
    assert_eq!(row["repeatCustomers"], per_customer.values().filter(|n| **n >= 2).count());
    assert_eq!(
        (row["previouslyActiveCustomers"].as_u64(), row["churnedCustomers"].as_u64()),
        (Some(previous.len() as u64), Some(churned as u64))
    );
    assert_eq!(currency(&row, "EUR")["revenue"]["amount"], format!("{}.{:02}", eur_revenue / 100, eur_revenue % 100));
    assert!(per_customer.len() > 20, "the seed should give a busy year");
}

fn external_ids(data: &Value) -> Vec<&str> {
    data["customers"]["nodes"].as_array().unwrap().iter().map(|n| n["externalId"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn customers_are_filtered_and_ordered_by_their_aggregates() {
    let app = spawn_app().await;
    shop(&app).await;
    let repeat_by_eur_spent = app
        .query(r#"{ customers(filter: { orderCount: { min: 2 } }, orderBy: { field: TOTAL_SPENT, currency: "EUR", direction: DESC }) { nodes { externalId } } }"#, json!({}))
        .await;
    // A spent 150.00 EUR, B 10.00 EUR, C nothing in EUR.
    assert_eq!(external_ids(&repeat_by_eur_spent), vec!["A", "B", "C"]);
    let inactive = app
        .query(r#"{ customers(filter: { inactiveWindowDays: 100, asOf: "2026-07-01T00:00:00Z" }) { nodes { externalId } } }"#, json!({}))
        .await;
    assert_eq!(external_ids(&inactive), vec!["D", "F"]);
    // The deprecated former names still work, alone or beside equal values; a different one is refused.
    let former = r#"{ customers(filter: { inactiveForDays: 100, activityAsOf: "2026-07-01T00:00:00Z" }) { nodes { externalId } } }"#;
    assert_eq!(external_ids(&app.query(former, json!({})).await), vec!["D", "F"]);
    let both = r#"{ customers(filter: { inactiveWindowDays: 100, inactiveForDays: 100, asOf: "2026-07-01T00:00:00Z" }) { nodes { externalId } } }"#;
    assert_eq!(external_ids(&app.query(both, json!({})).await), vec!["D", "F"]);
    let clash = r#"{ customers(filter: { inactiveWindowDays: 100, inactiveForDays: 90 }) { nodes { externalId } } }"#;
    let refused = app.query_error(clash, json!({})).await;
    assert_eq!(refused["extensions"]["field"], "filter.inactiveWindowDays", "{refused}");
    let detractors = app
        .query(r#"{ customers(filter: { latestNpsCategories: [DETRACTOR] }) { nodes { externalId } } }"#, json!({}))
        .await;
    assert_eq!(external_ids(&detractors), vec!["C", "D"]);
    // A latest NPS answer is never SATISFIED: that CSAT category adds no customer.
    let detractors_or_satisfied = app
        .query(
            r#"{ customers(filter: { latestNpsCategories: [DETRACTOR, SATISFIED] }) { nodes { externalId } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(external_ids(&detractors_or_satisfied), vec!["C", "D"]);
    let error = app.query_error(r#"{ customers(orderBy: { field: TOTAL_SPENT }) { totalCount } }"#, json!({})).await;
    assert_eq!((code(&error), error["extensions"]["field"].as_str()), ("BAD_USER_INPUT", Some("orderBy.currency")));
}

#[tokio::test]
async fn aggregate_ordering_pages_correctly_in_one_statement_per_page() {
    let app = spawn_seeded_app(200).await;
    let orders: Vec<order::Model> = order::Entity::find().all(&app.db).await.unwrap();
    let mut counts: HashMap<i64, i64> = HashMap::new();
    for o in orders.iter().filter(|o| o.status != OrderStatus::Cancelled) {
        *counts.entry(o.customer_id).or_default() += 1;
    }
    let customers = entity::customer::Entity::find().all(&app.db).await.unwrap();
    let mut expected: Vec<(i64, i64, String)> = customers
        .iter()
        .map(|c| (counts.get(&c.id).copied().unwrap_or(0), c.id, c.external_id.clone()))
        .filter(|(n, _, _)| *n >= 3)
        .collect();
    expected.sort_by_key(|(n, id, _)| std::cmp::Reverse((*n, *id)));
    assert!(expected.len() > 14, "the seed should give several pages");

    let query = "query($after: String) { customers(first: 7, after: $after, filter: { orderCount: { min: 3 } }, orderBy: { field: ORDER_COUNT, direction: DESC }) {
        nodes { externalId orderSummary { orderCount } } pageInfo { hasNextPage endCursor } } }";
    let mut after = Value::Null;
    let mut walked = Vec::new();
    loop {
        let before = app.statements.get();
        let data = app.query(query, json!({ "after": after })).await;
        // The page is one statement; the order summaries of its customers one more, batched.
        assert_eq!(app.statements.get() - before, 2);
        for node in data["customers"]["nodes"].as_array().unwrap() {
            walked.push((
                node["orderSummary"]["orderCount"].as_i64().unwrap(),
                node["externalId"].as_str().unwrap().to_owned(),
            ));
        }
        if !data["customers"]["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = data["customers"]["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(walked, expected.into_iter().map(|(n, _, id)| (n, id)).collect::<Vec<_>>());
}
