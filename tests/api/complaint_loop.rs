//! Closing the loop against a computation from the same rows: per group and period, the dissatisfied
//! answers at touchpoints, those still pending as of `asOf`, those followed within the window by a
//! complaint or a FOLLOW_UP touchpoint of the customer, the share with its Wilson interval, and the hours
//! to the first follow-up.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use entity::{Channel, SurveyMetric, TouchpointKind, complaint, customer, feedback, touchpoint};
use sea_orm::{ActiveEnum, ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};

use crate::complaint_insights::{assert_same, hours, summary};
use crate::fixtures::at;
use crate::helpers::{TestApp, code, spawn_seeded_app};

const LOOP: &str = "query($period: TimeRangeInput!, $groupBy: [ComplaintLoopDimension!], $series: TimeSeriesInput,
    $hours: Int!, $asOf: DateTime, $filter: ComplaintLoopFilterInput) {
  insights { complaintLoop(period: $period, groupBy: $groupBy, series: $series, followUpHours: $hours, asOf: $asOf,
      filter: $filter) {
    metric touchpointKind channel segment region periodStart periodEnd answerCount pending followedByComplaint
    followedByTouchpoint followed followedShare followedShareInterval { lower upper } hoursToFollowUp { n median p90 } } }
}";

/// The rows the loop reads.
struct Rows {
    feedback: Vec<feedback::Model>,
    touchpoints: BTreeMap<i64, touchpoint::Model>,
    complaints: Vec<complaint::Model>,
    customers: BTreeMap<i64, customer::Model>,
}

async fn stored(app: &TestApp) -> Rows {
    Rows {
        feedback: feedback::Entity::find().all(&app.db).await.unwrap(),
        touchpoints: touchpoint::Entity::find().all(&app.db).await.unwrap().into_iter().map(|t| (t.id, t)).collect(),
        complaints: complaint::Entity::find().all(&app.db).await.unwrap(),
        customers: customer::Entity::find().all(&app.db).await.unwrap().into_iter().map(|c| (c.id, c)).collect(),
    }
}

/// The score bands of the dissatisfied answers, written out again.
pub fn dissatisfied(f: &feedback::Model) -> bool {
    match f.metric {
        SurveyMetric::Nps => f.score <= 6,
        SurveyMetric::Csat => f.score <= 3,
        SurveyMetric::Ces => f.score <= 4,
    }
}

/// Hours to the first follow-up of the answer within `window`, if any.
fn first_follow_up(rows: &Rows, f: &feedback::Model, window: Duration) -> (bool, bool, Option<f64>) {
    let end = f.submitted_at + window;
    let complaint = rows
        .complaints
        .iter()
        .filter(|c| c.customer_id == f.customer_id && c.opened_at <= end)
        .filter(|c| c.opened_at > f.submitted_at || (c.feedback_id == Some(f.id) && c.opened_at >= f.submitted_at))
        .map(|c| c.opened_at)
        .min();
    let touchpoint = rows
        .touchpoints
        .values()
        .filter(|t| t.customer_id == f.customer_id && t.kind == TouchpointKind::FollowUp)
        .filter(|t| t.occurred_at > f.submitted_at && t.occurred_at <= end)
        .map(|t| t.occurred_at)
        .min();
    let first = [complaint, touchpoint].into_iter().flatten().min();
    (complaint.is_some(), touchpoint.is_some(), first.map(|t| hours(f.submitted_at, t)))
}

/// The 95% Wilson interval in percent, written out again.
pub fn wilson(x: usize, n: usize) -> Value {
    if n == 0 {
        return Value::Null;
    }
    let (z, n, p) = (1.959964f64, n as f64, x as f64 / n as f64);
    let center = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / (1.0 + z * z / n);
    json!({ "lower": 100.0 * (center - half).max(0.0), "upper": 100.0 * (center + half).min(1.0) })
}

pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The row of one group's answers over `[start, end)`.
fn expected_row(
    rows: &Rows,
    group: &Value,
    answers: &[&feedback::Model],
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    (window, as_of): (Duration, DateTime<Utc>),
) -> Value {
    let inside: Vec<&&feedback::Model> =
        answers.iter().filter(|f| f.submitted_at >= start && f.submitted_at < end).collect();
    let (done, pending): (Vec<&&feedback::Model>, Vec<_>) =
        inside.into_iter().partition(|f| f.submitted_at + window <= as_of);
    let follow_ups: Vec<(bool, bool, Option<f64>)> = done.iter().map(|f| first_follow_up(rows, f, window)).collect();
    let followed: Vec<f64> = follow_ups.iter().filter_map(|(_, _, h)| *h).collect();
    let mut row = group.clone();
    let fields = json!({
        "periodStart": time(start),
        "periodEnd": time(end),
        "answerCount": done.len(),
        "pending": pending.len(),
        "followedByComplaint": follow_ups.iter().filter(|(c, _, _)| *c).count(),
        "followedByTouchpoint": follow_ups.iter().filter(|(_, t, _)| *t).count(),
        "followed": followed.len(),
        "followedShare": if done.is_empty() { Value::Null } else { json!(100.0 * followed.len() as f64 / done.len() as f64) },
        "followedShareInterval": wilson(followed.len(), done.len()),
        "hoursToFollowUp": summary(followed),
    });
    row.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
    row
}

/// FOLLOW_UP touchpoints after every third dissatisfied answer, from minutes to five days later (the seed
/// has them only weeks after deliveries), so some land within the window and some after it.
async fn add_follow_ups(app: &TestApp) {
    let rows = stored(app).await;
    let answers = rows.feedback.iter().filter(|f| f.touchpoint_id.is_some() && dissatisfied(f));
    for (i, f) in answers.enumerate().filter(|(i, _)| i % 3 == 0) {
        let follow_up = touchpoint::ActiveModel {
            external_id: Set(format!("loop-follow-up-{i}")),
            customer_id: Set(f.customer_id),
            order_id: Set(None),
            kind: Set(TouchpointKind::FollowUp),
            channel: Set(Channel::Phone),
            occurred_at: Set(f.submitted_at + Duration::minutes(17 + 97 * i as i64 % 7200)),
            survey_sent_at: Set(None),
            ..Default::default()
        };
        follow_up.insert(&app.db).await.unwrap();
    }
}

#[tokio::test]
async fn the_loop_by_metric_and_segment_per_quarter_matches_the_rows() {
    let app = spawn_seeded_app(400).await;
    add_follow_ups(&app).await;
    let rows = stored(&app).await;
    let quarters: Vec<DateTime<Utc>> = ["2025-01-01", "2025-04-01", "2025-07-01", "2025-10-01", "2026-01-01"]
        .map(|d| at(&format!("{d}T00:00:00Z")))
        .to_vec();
    // As of mid-December: the answers of the last days of the year are pending.
    let as_of = at("2025-12-30T12:00:00Z");
    let variables = json!({ "period": { "from": "2025-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z" },
        "groupBy": ["SEGMENT", "METRIC", "SEGMENT"], "series": { "granularity": "QUARTER" }, "hours": 72,
        "asOf": "2025-12-30T12:00:00Z" });
    let got = app.query(LOOP, variables).await["insights"]["complaintLoop"].clone();

    let mut groups: BTreeMap<(String, String), Vec<&feedback::Model>> = BTreeMap::new();
    for f in rows.feedback.iter().filter(|f| f.touchpoint_id.is_some() && dissatisfied(f)) {
        groups.entry((f.metric.to_value(), rows.customers[&f.customer_id].segment.clone())).or_default().push(f);
    }
    let mut expected = Vec::new();
    for ((metric, segment), answers) in &groups {
        let group =
            json!({ "metric": metric, "touchpointKind": null, "channel": null, "segment": segment, "region": null });
        let quarter_rows: Vec<Value> = quarters
            .windows(2)
            .map(|q| expected_row(&rows, &group, answers, (q[0], q[1]), (Duration::hours(72), as_of)))
            .collect();
        if quarter_rows.iter().any(|r| r["answerCount"] != 0 || r["pending"] != 0) {
            expected.extend(quarter_rows);
        }
    }
    let total = |key: &str| expected.iter().map(|r| r[key].as_u64().unwrap()).sum::<u64>();
    let totals = ["answerCount", "pending", "followedByComplaint", "followedByTouchpoint", "followed"].map(total);
    assert!(totals[2] > 10 && totals[3] > 10, "{totals:?}");
    assert!(total("pending") > 0 && total("followed") < total("answerCount"));
    assert_same(&got, &json!(expected), "complaintLoop");
}

#[tokio::test]
async fn a_filtered_loop_over_one_period_matches_the_rows_and_refuses_a_bad_window() {
    let app = spawn_seeded_app(300).await;
    add_follow_ups(&app).await;
    let rows = stored(&app).await;
    let (from, to) = (at("2024-07-01T00:00:00Z"), at("2026-07-01T00:00:00Z"));
    let variables = json!({ "period": { "from": "2024-07-01T00:00:00Z", "to": "2026-07-01T00:00:00Z" }, "hours": 24,
        "groupBy": ["TOUCHPOINT_KIND", "CHANNEL"],
        "filter": { "metrics": ["NPS", "CES"], "regions": ["EMEA", "NA"] }, "asOf": "2030-01-01T00:00:00Z" });
    let got = app.query(LOOP, variables).await["insights"]["complaintLoop"].clone();
    let mut groups: BTreeMap<(String, String), Vec<&feedback::Model>> = BTreeMap::new();
    for f in rows.feedback.iter().filter(|f| f.metric != SurveyMetric::Csat && dissatisfied(f)) {
        let Some(t) = f.touchpoint_id.map(|id| &rows.touchpoints[&id]) else { continue };
        if ["EMEA", "NA"].contains(&rows.customers[&f.customer_id].region.as_str()) {
            groups.entry((t.kind.to_value(), t.channel.to_value())).or_default().push(f);
        }
    }
    let window = (Duration::hours(24), at("2030-01-01T00:00:00Z"));
    let expected: Vec<Value> = groups
        .iter()
        .map(|((kind, channel), answers)| {
            let group =
                json!({ "metric": null, "touchpointKind": kind, "channel": channel, "segment": null, "region": null });
            expected_row(&rows, &group, answers, (from, to), window)
        })
        .filter(|r| r["answerCount"] != 0)
        .collect();
    assert!(expected.len() > 5, "{} groups", expected.len());
    assert_same(&got, &json!(expected), "complaintLoop");

    let later = json!({ "period": { "from": "2030-01-01T00:00:00Z", "to": "2030-02-01T00:00:00Z" }, "hours": 72 });
    let empty = app.query(LOOP, later).await["insights"]["complaintLoop"].clone();
    assert_eq!((empty[0]["answerCount"].clone(), empty[0]["followedShare"].clone()), (json!(0), Value::Null));
    let bad = json!({ "period": { "from": "2025-01-01T00:00:00Z", "to": "2025-02-01T00:00:00Z" }, "hours": 0 });
    let error = app.query_error(LOOP, bad).await;
    assert_eq!(
        (code(&error), error["message"].as_str()),
        ("BAD_USER_INPUT", Some("followUpHours: must be between 1 and 8760"))
    );
}
