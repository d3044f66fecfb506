//! Service recovery against a computation from the same rows: per group, period and outcome, the
//! customers with a complaint opened in the period (by how their first one there went) and the
//! dissatisfied customers without one, their repurchases in the window with the Wilson interval and the
//! two-proportion test against those without a complaint, and the NPS of their next NPS answer.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use customer_insights::stats::normal::two_sided_p;
use entity::{ComplaintStatus, OrderStatus, SurveyMetric, complaint, customer, feedback, order};
use sea_orm::{ActiveEnum, EntityTrait};
use serde_json::{Value, json};

use crate::complaint_insights::assert_same;
use crate::complaint_loop::{dissatisfied, time, wilson};
use crate::fixtures::at;
use crate::helpers::{TestApp, code, spawn_seeded_app};

const RECOVERY: &str = "query($period: TimeRangeInput!, $groupBy: [ComplaintRecoveryDimension!],
    $series: TimeSeriesInput, $sla: Int!, $horizon: Int!, $asOf: DateTime, $filter: ComplaintRecoveryFilterInput) {
  insights { complaintRecovery(period: $period, groupBy: $groupBy, series: $series, slaHours: $sla,
      horizonDays: $horizon, asOf: $asOf, filter: $filter) {
    category segment region periodStart periodEnd outcome customerCount repurchasedCustomers repurchaseRate
    interval { lower upper } differenceToNoComplaint pValue significant
    nextNps { n nps interval { lower upper } mean } } }
}";

const OUTCOMES: [&str; 4] = ["RESOLVED_WITHIN_SLA", "RESOLVED_LATE", "UNRESOLVED", "NO_COMPLAINT"];

struct Rows {
    complaints: Vec<complaint::Model>,
    feedback: Vec<feedback::Model>,
    orders: Vec<order::Model>,
    customers: BTreeMap<i64, customer::Model>,
}

async fn stored(app: &TestApp) -> Rows {
    Rows {
        complaints: complaint::Entity::find().all(&app.db).await.unwrap(),
        feedback: feedback::Entity::find().all(&app.db).await.unwrap(),
        orders: order::Entity::find().all(&app.db).await.unwrap(),
        customers: customer::Entity::find().all(&app.db).await.unwrap().into_iter().map(|c| (c.id, c)).collect(),
    }
}

/// The request's parameters.
struct Params {
    sla: Duration,
    horizon: Duration,
    as_of: DateTime<Utc>,
    /// The filter: complaints of these categories, customers of these segments.
    categories: Option<&'static [&'static str]>,
    segments: Option<&'static [&'static str]>,
}

/// One customer of one period: the group values, the outcome, and when the window starts.
struct Subject {
    customer_id: i64,
    category: Option<String>,
    outcome: &'static str,
    at: DateTime<Utc>,
}

/// The subjects of `[start, end)` whose window ended by `as_of`.
fn subjects(rows: &Rows, (start, end): (DateTime<Utc>, DateTime<Utc>), params: &Params) -> Vec<Subject> {
    let inside = |t: DateTime<Utc>| t >= start && t < end;
    let mut first_complaints: BTreeMap<i64, &complaint::Model> = BTreeMap::new();
    let kept =
        |c: &complaint::Model| params.categories.is_none_or(|kept| kept.contains(&c.category.to_value().as_str()));
    for c in rows.complaints.iter().filter(|c| inside(c.opened_at) && kept(c)) {
        let first = first_complaints.entry(c.customer_id).or_insert(c);
        if (c.opened_at, c.id) < (first.opened_at, first.id) {
            *first = c;
        }
    }
    let mut subjects: Vec<Subject> = first_complaints
        .values()
        .map(|c| Subject {
            customer_id: c.customer_id,
            category: Some(c.category.to_value()),
            outcome: match (c.status, c.resolved_at) {
                (ComplaintStatus::Resolved, Some(t)) if t - c.opened_at <= params.sla => OUTCOMES[0],
                (ComplaintStatus::Resolved, _) => OUTCOMES[1],
                _ => OUTCOMES[2],
            },
            at: c.opened_at,
        })
        .collect();
    let mut first_answers: BTreeMap<i64, DateTime<Utc>> = BTreeMap::new();
    for f in rows.feedback.iter().filter(|f| f.touchpoint_id.is_some() && dissatisfied(f) && inside(f.submitted_at)) {
        let first = first_answers.entry(f.customer_id).or_insert(f.submitted_at);
        *first = (*first).min(f.submitted_at);
    }
    for (customer_id, answered) in first_answers {
        let complained = rows.complaints.iter().any(|c| {
            c.customer_id == customer_id
                && c.opened_at >= start
                && (c.opened_at < end || c.opened_at <= answered + params.horizon)
        });
        if !complained {
            subjects.push(Subject { customer_id, category: None, outcome: OUTCOMES[3], at: answered });
        }
    }
    let segment = |s: &Subject| rows.customers[&s.customer_id].segment.clone();
    subjects.retain(|s| params.segments.is_none_or(|kept| kept.contains(&segment(s).as_str())));
    subjects.retain(|s| s.at + params.horizon <= params.as_of);
    subjects
}

fn repurchased(rows: &Rows, s: &Subject, horizon: Duration) -> bool {
    rows.orders.iter().any(|o| {
        o.customer_id == s.customer_id
            && o.status != OrderStatus::Cancelled
            && o.placed_at > s.at
            && o.placed_at <= s.at + horizon
    })
}

fn next_nps(rows: &Rows, s: &Subject, horizon: Duration) -> Option<i32> {
    let answers = rows.feedback.iter().filter(|f| f.customer_id == s.customer_id && f.metric == SurveyMetric::Nps);
    let window = answers.filter(|f| f.submitted_at > s.at && f.submitted_at <= s.at + horizon);
    window.min_by_key(|f| (f.submitted_at, f.id)).map(|f| f.score)
}

/// NPS, its interval and the mean of `scores`, written out again.
fn nps(scores: &[i32]) -> Value {
    let n = scores.len() as f64;
    if scores.is_empty() {
        return json!({ "n": 0, "nps": null, "interval": null, "mean": null });
    }
    let share = |keep: fn(&i32) -> bool| scores.iter().filter(|s| keep(s)).count() as f64 / n;
    let (p, d) = (share(|s| *s >= 9), share(|s| *s <= 6));
    let value = 100.0 * (p - d);
    let se = 100.0 * (((p + d) - (p - d).powi(2)).max(0.0) / n).sqrt();
    json!({ "n": scores.len(), "nps": value,
        "interval": { "lower": (value - 1.959964 * se).max(-100.0), "upper": (value + 1.959964 * se).min(100.0) },
        "mean": scores.iter().sum::<i32>() as f64 / n })
}

/// The pooled two-proportion test, written out again: (difference, p-value, significant).
fn test(x: usize, n: usize, base_x: usize, base_n: usize) -> (Value, Value, Value) {
    if n == 0 || base_n == 0 {
        return (Value::Null, Value::Null, Value::Null);
    }
    let (a, b) = (x as f64 / n as f64, base_x as f64 / base_n as f64);
    let pooled = (x + base_x) as f64 / (n + base_n) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / n as f64 + 1.0 / base_n as f64)).sqrt();
    if se == 0.0 {
        return (json!(100.0 * (a - b)), Value::Null, Value::Null);
    }
    let p = two_sided_p((a - b) / se);
    (json!(100.0 * (a - b)), json!(p), json!(p < 0.05))
}

/// A group: (category, segment, region).
type Group = (Option<String>, Option<String>, Option<String>);
/// Per outcome: customers, repurchasers and the next NPS scores.
type Outcomes = BTreeMap<&'static str, Counts>;
type Counts = (usize, usize, Vec<i32>);

/// The expected rows of one period: `group` names each subject's group (category, segment, region).
fn expected_period(
    rows: &Rows,
    period: (DateTime<Utc>, DateTime<Utc>),
    params: &Params,
    group: &dyn Fn(&Subject) -> Group,
) -> BTreeMap<Group, Outcomes> {
    let mut groups: BTreeMap<Group, Outcomes> = BTreeMap::new();
    for s in subjects(rows, period, params) {
        let slot = groups.entry(group(&s)).or_default().entry(s.outcome).or_default();
        slot.0 += 1;
        slot.1 += usize::from(repurchased(rows, &s, params.horizon));
        slot.2.extend(next_nps(rows, &s, params.horizon));
    }
    groups
}

fn row(
    key: &Group,
    period: (DateTime<Utc>, DateTime<Utc>),
    outcome: &str,
    counts: &Counts,
    baseline: Option<&Counts>,
) -> Value {
    let (customers, repurchased, scores) = counts;
    let (difference, p, significant) = match baseline {
        Some((n, x, _)) if outcome != OUTCOMES[3] => test(*repurchased, *customers, *x, *n),
        _ => (Value::Null, Value::Null, Value::Null),
    };
    json!({ "category": key.0, "segment": key.1, "region": key.2, "periodStart": time(period.0),
        "periodEnd": time(period.1), "outcome": outcome, "customerCount": customers, "repurchasedCustomers": repurchased,
        "repurchaseRate": if *customers == 0 { Value::Null } else { json!(100.0 * *repurchased as f64 / *customers as f64) },
        "interval": wilson(*repurchased, *customers), "differenceToNoComplaint": difference, "pValue": p,
        "significant": significant, "nextNps": nps(scores) })
}

#[tokio::test]
async fn recovery_by_segment_per_quarter_matches_the_rows() {
    let app = spawn_seeded_app(400).await;
    let rows = stored(&app).await;
    let params = Params {
        sla: Duration::hours(48),
        horizon: Duration::days(90),
        as_of: at("2026-03-01T00:00:00Z"),
        categories: None,
        segments: None,
    };
    let variables = json!({ "period": { "from": "2024-07-01T00:00:00Z", "to": "2026-01-01T00:00:00Z" },
        "groupBy": ["SEGMENT"], "series": { "granularity": "QUARTER" }, "sla": 48, "horizon": 90,
        "asOf": "2026-03-01T00:00:00Z" });
    let got = app.query(RECOVERY, variables).await["insights"]["complaintRecovery"].clone();
    let quarters: Vec<DateTime<Utc>> =
        ["2024-07-01", "2024-10-01", "2025-01-01", "2025-04-01", "2025-07-01", "2025-10-01", "2026-01-01"]
            .map(|d| at(&format!("{d}T00:00:00Z")))
            .to_vec();
    let segment_of = |s: &Subject| (None, Some(rows.customers[&s.customer_id].segment.clone()), None);
    let per_quarter: Vec<_> =
        quarters.windows(2).map(|q| expected_period(&rows, (q[0], q[1]), &params, &segment_of)).collect();
    let mut keys: Vec<_> = per_quarter.iter().flat_map(|groups| groups.keys().cloned()).collect();
    keys.sort();
    keys.dedup();
    let empty = (0, 0, Vec::new());
    let mut expected = Vec::new();
    for key in &keys {
        for (q, groups) in quarters.windows(2).zip(&per_quarter) {
            let outcomes = groups.get(key);
            let baseline = outcomes.and_then(|o| o.get(OUTCOMES[3]));
            for outcome in OUTCOMES {
                let counts = outcomes.and_then(|o| o.get(outcome)).unwrap_or(&empty);
                expected.push(row(key, (q[0], q[1]), outcome, counts, baseline));
            }
        }
    }
    let count = |outcome: &str| {
        expected.iter().filter(|r| r["outcome"] == outcome).map(|r| r["customerCount"].as_u64().unwrap()).sum::<u64>()
    };
    assert!(OUTCOMES.iter().all(|o| count(o) > 5), "{:?}", OUTCOMES.map(count));
    assert!(expected.iter().any(|r| r["pValue"].is_number()) && expected.iter().any(|r| r["nextNps"]["n"] != 0));
    assert_same(&got, &json!(expected), "complaintRecovery");
}

#[tokio::test]
async fn recovery_by_category_over_one_period_matches_the_rows_and_refuses_a_bad_horizon() {
    let app = spawn_seeded_app(300).await;
    let rows = stored(&app).await;
    let period = (at("2024-07-01T00:00:00Z"), at("2026-01-01T00:00:00Z"));
    let kept = ["DELIVERY", "PRODUCT_DEFECT", "SERVICE"].as_slice();
    let params = Params {
        sla: Duration::hours(24),
        horizon: Duration::days(60),
        as_of: at("2030-01-01T00:00:00Z"),
        categories: Some(kept),
        segments: Some(["consumer", "smb"].as_slice()),
    };
    let variables = json!({ "period": { "from": "2024-07-01T00:00:00Z", "to": "2026-01-01T00:00:00Z" },
        "groupBy": ["CATEGORY", "REGION"], "sla": 24, "horizon": 60, "asOf": "2030-01-01T00:00:00Z",
        "filter": { "categories": ["DELIVERY", "PRODUCT_DEFECT", "SERVICE"], "segments": ["consumer", "smb"] } });
    let got = app.query(RECOVERY, variables).await["insights"]["complaintRecovery"].clone();
    let region_and_category =
        |s: &Subject| (s.category.clone(), None, Some(rows.customers[&s.customer_id].region.clone()));
    let groups = expected_period(&rows, period, &params, &region_and_category);
    let mut expected = Vec::new();
    let empty = (0, 0, Vec::new());
    for (key, outcomes) in &groups {
        let baseline = groups.get(&(None, None, key.2.clone())).and_then(|o| o.get(OUTCOMES[3]));
        let shown: &[&str] = if key.0.is_some() { &OUTCOMES[..3] } else { &OUTCOMES[3..] };
        for outcome in shown {
            expected.push(row(key, period, outcome, outcomes.get(outcome).unwrap_or(&empty), baseline));
        }
    }
    assert_same(&got, &json!(expected), "complaintRecovery");

    let bad =
        json!({ "period": { "from": "2025-01-01T00:00:00Z", "to": "2025-02-01T00:00:00Z" }, "sla": 48, "horizon": 0 });
    let error = app.query_error(RECOVERY, bad).await;
    assert_eq!(
        (code(&error), error["message"].as_str()),
        ("BAD_USER_INPUT", Some("horizonDays: must be between 1 and 3650 days"))
    );
}
