//! Complaint handling insights against a computation from the same rows: opened, resolved and closed
//! unresolved per period, the backlog at each period's end, hours to first response and to resolution
//! (median, 90th percentile) and the share resolved within the SLA, per group.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{ComplaintStatus, complaint, customer};
use sea_orm::{ActiveEnum, EntityTrait};
use serde_json::{Value, json};

use crate::fixtures::at;
use crate::helpers::{TestApp, code, spawn_seeded_app};

const HANDLING: &str = "query($period: TimeRangeInput!, $groupBy: [ComplaintDimension!], $series: TimeSeriesInput,
    $sla: Int!, $filter: ComplaintHandlingFilterInput) {
  insights { complaintHandling(period: $period, groupBy: $groupBy, series: $series, slaHours: $sla, filter: $filter) {
    category channel segment region periodStart periodEnd opened resolved closedUnresolved backlog
    firstResponseHours { n median p90 } resolutionHours { n median p90 } resolvedWithinSla resolvedWithinSlaShare } }
}";

/// The sample quantile interpolated between the closest ranks, written out again.
fn quantile(values: &mut [f64], p: f64) -> Value {
    if values.is_empty() {
        return Value::Null;
    }
    values.sort_by(f64::total_cmp);
    let position = (values.len() - 1) as f64 * p;
    let (low, high) = (position.floor() as usize, position.ceil() as usize);
    json!(values[low] + (values[high] - values[low]) * (position - low as f64))
}

pub fn summary(mut hours: Vec<f64>) -> Value {
    json!({ "n": hours.len(), "median": quantile(&mut hours, 0.5), "p90": quantile(&mut hours, 0.9) })
}

pub fn hours(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_milliseconds() as f64 / 3_600_000.0
}

/// One row for `rows` (the complaints of one group) over `[start, end)`.
fn expected_row(
    group: &Value,
    rows: &[&complaint::Model],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    sla: i64,
) -> Value {
    let inside = |t: DateTime<Utc>| t >= start && t < end;
    let opened: Vec<&&complaint::Model> = rows.iter().filter(|c| inside(c.opened_at)).collect();
    let closed = |status| rows.iter().filter(|c| c.status == status && c.resolved_at.is_some_and(inside)).count();
    let backlog = rows.iter().filter(|c| c.opened_at < end && c.resolved_at.is_none_or(|t| t >= end)).count();
    let resolved: Vec<f64> = opened
        .iter()
        .filter(|c| c.status == ComplaintStatus::Resolved)
        .map(|c| hours(c.opened_at, c.resolved_at.unwrap()))
        .collect();
    let within = resolved.iter().filter(|h| **h <= sla as f64).count();
    let mut row = group.clone();
    let fields = json!({
        "periodStart": start.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        "periodEnd": end.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        "opened": opened.len(),
        "resolved": closed(ComplaintStatus::Resolved),
        "closedUnresolved": closed(ComplaintStatus::UnresolvedClosed),
        "backlog": backlog,
        "firstResponseHours": summary(opened.iter().filter_map(|c| c.first_response_at.map(|t| hours(c.opened_at, t))).collect()),
        "resolutionHours": summary(resolved),
        "resolvedWithinSla": within,
        "resolvedWithinSlaShare": if opened.is_empty() { Value::Null } else { json!(100.0 * within as f64 / opened.len() as f64) },
    });
    row.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
    row
}

/// Compares two answers, numbers to 1e-9.
pub fn assert_same(got: &Value, expected: &Value, path: &str) {
    match (got, expected) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{path}: {a} against {b}");
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}: lengths");
            for (i, (a, b)) in a.iter().zip(b).enumerate() {
                assert_same(a, b, &format!("{path}[{i}]"));
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "{path}");
            for (key, a) in a {
                assert_same(a, &b[key], &format!("{path}.{key}"));
            }
        }
        _ => assert_eq!(got, expected, "{path}"),
    }
}

async fn stored(app: &TestApp) -> (Vec<complaint::Model>, BTreeMap<i64, customer::Model>) {
    let complaints = complaint::Entity::find().all(&app.db).await.unwrap();
    let customers = customer::Entity::find().all(&app.db).await.unwrap().into_iter().map(|c| (c.id, c)).collect();
    (complaints, customers)
}

#[tokio::test]
async fn handling_by_category_and_segment_per_quarter_matches_the_rows() {
    let app = spawn_seeded_app(400).await;
    let (complaints, customers) = stored(&app).await;
    assert!(complaints.len() > 50, "{} complaints in the seed", complaints.len());
    let quarters: Vec<DateTime<Utc>> = ["2025-01-01", "2025-04-01", "2025-07-01", "2025-10-01", "2026-01-01"]
        .map(|d| at(&format!("{d}T00:00:00Z")))
        .to_vec();
    let variables = json!({ "period": { "from": "2025-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z" },
        "groupBy": ["SEGMENT", "CATEGORY", "SEGMENT"], "series": { "granularity": "QUARTER" }, "sla": 24 });
    let got = app.query(HANDLING, variables).await["insights"]["complaintHandling"].clone();

    let mut groups: BTreeMap<(String, String), Vec<&complaint::Model>> = BTreeMap::new();
    for c in &complaints {
        groups.entry((c.category.to_value(), customers[&c.customer_id].segment.clone())).or_default().push(c);
    }
    let mut expected = Vec::new();
    for ((category, segment), rows) in &groups {
        let group = json!({ "category": category, "channel": null, "segment": segment, "region": null });
        let quarter_rows: Vec<Value> =
            quarters.windows(2).map(|q| expected_row(&group, rows, q[0], q[1], 24)).collect();
        let active = quarter_rows
            .iter()
            .any(|r| ["opened", "resolved", "closedUnresolved", "backlog"].iter().any(|k| r[k].as_u64() != Some(0)));
        if active {
            expected.extend(quarter_rows);
        }
    }
    assert!(expected.len() >= 20, "{} rows", expected.len());
    assert_same(&got, &json!(expected), "complaintHandling");
}

#[tokio::test]
async fn filtered_handling_over_one_period_matches_the_rows_and_an_empty_period_has_one_row() {
    let app = spawn_seeded_app(300).await;
    let (complaints, customers) = stored(&app).await;
    let (from, to) = (at("2024-07-01T00:00:00Z"), at("2026-07-01T00:00:00Z"));
    let variables = json!({ "period": { "from": "2024-07-01T00:00:00Z", "to": "2026-07-01T00:00:00Z" }, "sla": 48,
        "filter": { "channels": ["EMAIL", "SMS", "MOBILE_APP"], "regions": ["EMEA", "NA"] } });
    let got = app.query(HANDLING, variables).await["insights"]["complaintHandling"].clone();
    let rows: Vec<&complaint::Model> = complaints
        .iter()
        .filter(|c| matches!(c.channel, entity::Channel::Email | entity::Channel::Sms | entity::Channel::MobileApp))
        .filter(|c| ["EMEA", "NA"].contains(&customers[&c.customer_id].region.as_str()))
        .collect();
    let none = json!({ "category": null, "channel": null, "segment": null, "region": null });
    let expected = expected_row(&none, &rows, from, to, 48);
    assert!(expected["opened"].as_u64().unwrap() > 10, "{expected}");
    assert_same(&got, &json!([expected]), "complaintHandling");

    let later = json!({ "period": { "from": "2030-01-01T00:00:00Z", "to": "2030-02-01T00:00:00Z" }, "sla": 48 });
    let empty = app.query(HANDLING, later).await["insights"]["complaintHandling"].clone();
    let backlog = complaints.iter().filter(|c| c.resolved_at.is_none()).count();
    let expected = expected_row(
        &none,
        &complaints.iter().collect::<Vec<_>>(),
        at("2030-01-01T00:00:00Z"),
        at("2030-02-01T00:00:00Z"),
        48,
    );
    assert_eq!(expected["backlog"], backlog, "the never-closed complaints are the backlog");
    assert_same(&empty, &json!([expected]), "an empty period");
    assert_eq!(empty[0]["resolvedWithinSlaShare"], Value::Null);

    let bad = json!({ "period": { "from": "2025-01-01T00:00:00Z", "to": "2025-02-01T00:00:00Z" }, "sla": 0 });
    let error = app.query_error(HANDLING, bad).await;
    assert_eq!(
        (code(&error), error["message"].as_str()),
        ("BAD_USER_INPUT", Some("slaHours: must be between 1 and 8760"))
    );
}
