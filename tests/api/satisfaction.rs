//! Satisfaction insights through HTTP, checked against independent computations over the raw rows.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, TimeZone, Utc};
use entity::{Channel, OrderStatus, SurveyMetric, TouchpointKind, customer, feedback, order, touchpoint};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::fixtures::{answer, at, customer as new_customer, order as new_order, touchpoint as new_touchpoint};
use crate::helpers::{TestApp, code, spawn_app, spawn_seeded_app};

/// Everything in the database, to recompute the insights in plain Rust.
struct World {
    customers: HashMap<i64, customer::Model>,
    orders: HashMap<i64, order::Model>,
    touchpoints: HashMap<i64, touchpoint::Model>,
    answers: Vec<feedback::Model>,
}

async fn world(app: &TestApp) -> World {
    World {
        customers: customer::Entity::find().all(&app.db).await.unwrap().into_iter().map(|c| (c.id, c)).collect(),
        orders: order::Entity::find().all(&app.db).await.unwrap().into_iter().map(|o| (o.id, o)).collect(),
        touchpoints: touchpoint::Entity::find().all(&app.db).await.unwrap().into_iter().map(|t| (t.id, t)).collect(),
        answers: feedback::Entity::find().all(&app.db).await.unwrap(),
    }
}

#[derive(Default, Debug, PartialEq)]
struct Expected {
    scores: Vec<i32>,
    commented: u64,
    surveyed: u64,
    answered: u64,
}

fn nps_value(scores: &[i32]) -> f64 {
    let promoters = scores.iter().filter(|s| **s >= 9).count() as f64;
    let detractors = scores.iter().filter(|s| **s <= 6).count() as f64;
    100.0 * (promoters - detractors) / scores.len() as f64
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9)
}

const SCORE: &str = "score { value n lowSample mean interval { lower upper } histogram { score count }
    categories { category count share } surveysSent surveysAnswered responseRate commentCount commentRate }";

#[tokio::test]
async fn grouped_and_filtered_nps_matches_an_independent_computation() {
    let app = spawn_seeded_app(300).await;
    let w = world(&app).await;
    let (from, to) = (at("2024-07-01T00:00:00Z"), at("2026-01-01T00:00:00Z"));
    let channels = [Channel::Email, Channel::Sms, Channel::MobileApp];
    let statuses = [OrderStatus::Delivered, OrderStatus::Returned];
    let in_set = |t: &touchpoint::Model| {
        channels.contains(&t.channel) && t.order_id.is_some_and(|o| statuses.contains(&w.orders[&o].status))
    };
    let mut expected: BTreeMap<(String, String), Expected> = BTreeMap::new();
    for a in w.answers.iter().filter(|a| a.metric == SurveyMetric::Nps && a.submitted_at >= from && a.submitted_at < to)
    {
        let Some(t) = a.touchpoint_id.map(|t| &w.touchpoints[&t]) else { continue };
        if !in_set(t) {
            continue;
        }
        let key = (format!("{:?}", t.kind).to_uppercase(), w.customers[&a.customer_id].segment.clone());
        let e = expected.entry(key).or_default();
        e.scores.push(a.score);
        e.commented += u64::from(a.comment.as_deref().is_some_and(|c| !c.is_empty()));
    }
    for t in w.touchpoints.values().filter(|t| t.survey_sent_at.is_some_and(|s| s >= from && s < to) && in_set(t)) {
        let key = (format!("{:?}", t.kind).to_uppercase(), w.customers[&t.customer_id].segment.clone());
        if let Some(e) = expected.get_mut(&key) {
            e.surveyed += 1;
            e.answered +=
                u64::from(w.answers.iter().any(|a| a.touchpoint_id == Some(t.id) && a.metric == SurveyMetric::Nps));
        }
    }
    assert!(expected.len() >= 4, "the seeded data should give several groups: {expected:?}");

    let query = format!(
        r#"{{ insights {{ satisfaction(metric: NPS, groupBy: [SEGMENT, TOUCHPOINT_KIND],
            filter: {{ period: {{ from: "{}", to: "{}" }}, channels: [EMAIL, SMS, MOBILE_APP], orderStatuses: [DELIVERED, RETURNED] }})
            {{ touchpointKind channel segment region periodStart {SCORE} }} }} }}"#,
        from.to_rfc3339(),
        to.to_rfc3339()
    );
    let rows = app.query(&query, json!({})).await["insights"]["satisfaction"].as_array().unwrap().clone();
    assert_eq!(rows.len(), expected.len());
    for row in &rows {
        // Kind names are upper-case camel-free in the enum: map SCREAMING_CASE back for the lookup.
        let kind = row["touchpointKind"].as_str().unwrap().replace('_', "");
        let key = (kind, row["segment"].as_str().unwrap().to_owned());
        let e = &expected[&key];
        let score = &row["score"];
        assert_eq!(row["channel"], Value::Null);
        assert_eq!(row["region"], Value::Null);
        assert_eq!(score["n"], e.scores.len(), "{key:?}");
        assert!(close(&score["value"], nps_value(&e.scores)), "{key:?}: {score}");
        assert_eq!(score["lowSample"], e.scores.len() < 30);
        let histogram: Vec<u64> =
            score["histogram"].as_array().unwrap().iter().map(|h| h["count"].as_u64().unwrap()).collect();
        let expected_histogram: Vec<u64> =
            (0..=10).map(|s| e.scores.iter().filter(|x| **x == s).count() as u64).collect();
        assert_eq!(histogram, expected_histogram);
        assert_eq!(score["commentCount"], e.commented);
        assert_eq!(score["surveysSent"], e.surveyed, "{key:?}");
        assert_eq!(score["surveysAnswered"], e.answered, "{key:?}");
        if e.surveyed > 0 {
            assert!(close(&score["responseRate"], 100.0 * e.answered as f64 / e.surveyed as f64));
        }
        let interval = &score["interval"];
        assert!(interval["lower"].as_f64().unwrap() <= score["value"].as_f64().unwrap());
    }
}

#[tokio::test]
async fn csat_by_channel_and_region_matches_an_independent_computation() {
    let app = spawn_seeded_app(200).await;
    let w = world(&app).await;
    let mut expected: BTreeMap<(String, String), Vec<i32>> = BTreeMap::new();
    for a in w.answers.iter().filter(|a| a.metric == SurveyMetric::Csat) {
        let channel =
            a.touchpoint_id.map(|t| format!("{:?}", w.touchpoints[&t].channel).to_uppercase()).unwrap_or_default();
        expected.entry((channel, w.customers[&a.customer_id].region.clone())).or_default().push(a.score);
    }
    let query = format!(
        "{{ insights {{ satisfaction(metric: CSAT, groupBy: [CHANNEL, REGION]) {{ channel region {SCORE} }} }} }}"
    );
    let rows = app.query(&query, json!({})).await["insights"]["satisfaction"].as_array().unwrap().clone();
    assert_eq!(rows.len(), expected.len());
    for row in rows {
        let channel = row["channel"].as_str().unwrap_or_default().replace('_', "");
        let scores = &expected[&(channel, row["region"].as_str().unwrap().to_owned())];
        let satisfied = scores.iter().filter(|s| **s >= 4).count() as f64;
        let n = scores.len() as f64;
        assert!(close(&row["score"]["value"], 100.0 * satisfied / n), "{row}");
        assert!(close(&row["score"]["mean"], scores.iter().sum::<i32>() as f64 / n));
        // Wilson bounds stay within 0..100 and around the value.
        let (low, high) =
            (row["score"]["interval"]["lower"].as_f64().unwrap(), row["score"]["interval"]["upper"].as_f64().unwrap());
        assert!((0.0..=100.0).contains(&low) && (0.0..=100.0).contains(&high) && low <= high);
    }
}

#[tokio::test]
async fn monthly_series_in_a_time_zone_is_zero_filled_and_matches_local_months() {
    let app = spawn_seeded_app(200).await;
    let w = world(&app).await;
    let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
    let (from, to) =
        (berlin.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(), berlin.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
    let mut per_month = [0u64; 12];
    for a in w.answers.iter().filter(|a| a.metric == SurveyMetric::Ces) {
        let local = a.submitted_at.with_timezone(&berlin);
        if local >= from && local < to {
            per_month[local.month0() as usize] += 1;
        }
    }
    let query = format!(
        r#"{{ insights {{ satisfaction(metric: CES, filter: {{ period: {{ from: "{}", to: "{}" }} }},
            series: {{ granularity: MONTH, timeZone: "Europe/Berlin" }}) {{ periodStart periodEnd score {{ n value }} }} }} }}"#,
        from.to_rfc3339(),
        to.to_rfc3339()
    );
    let rows = app.query(&query, json!({})).await["insights"]["satisfaction"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 12);
    for (month, row) in rows.iter().enumerate() {
        let start = berlin.with_ymd_and_hms(2025, month as u32 + 1, 1, 0, 0, 0).unwrap().with_timezone(&Utc);
        assert_eq!(row["periodStart"].as_str().unwrap(), start.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
        assert_eq!(row["score"]["n"], per_month[month], "month {}", month + 1);
        assert_eq!(row["score"]["value"].is_null(), per_month[month] == 0);
    }
}

async fn one_customer_with_answers(app: &TestApp, metric: SurveyMetric, answers: &[(&str, i32)]) {
    let c = new_customer(&app.db, "C-1", "consumer", "EMEA").await;
    for (i, (submitted_at, score)) in answers.iter().enumerate() {
        answer(&app.db, &format!("F-{i}"), &c, None, metric, *score, submitted_at).await;
    }
}

fn counts(rows: &Value) -> Vec<(String, u64)> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| (r["periodStart"].as_str().unwrap().to_owned(), r["score"]["n"].as_u64().unwrap()))
        .collect()
}

#[tokio::test]
async fn day_buckets_follow_local_midnight_across_a_dst_change() {
    let app = spawn_app().await;
    // Berlin moves to summer time on 2026-03-29 at 02:00: that day is 23 hours long.
    one_customer_with_answers(
        &app,
        SurveyMetric::Nps,
        &[
            ("2026-03-28T22:59:59Z", 9),
            ("2026-03-28T23:00:00Z", 10),
            ("2026-03-29T21:59:59Z", 3),
            ("2026-03-29T22:00:00Z", 8),
        ],
    )
    .await;
    let data = app
        .query(
            r#"{ insights { satisfaction(metric: NPS, filter: { period: { from: "2026-03-27T23:00:00Z", to: "2026-03-30T22:00:00Z" } },
                series: { granularity: DAY, timeZone: "Europe/Berlin" }) { periodStart periodEnd score { n value } } } }"#,
            json!({}),
        )
        .await;
    let rows = &data["insights"]["satisfaction"];
    assert_eq!(
        counts(rows),
        vec![
            ("2026-03-27T23:00:00Z".to_owned(), 1),
            ("2026-03-28T23:00:00Z".to_owned(), 2),
            ("2026-03-29T22:00:00Z".to_owned(), 1),
        ]
    );
    assert_eq!(rows[1]["periodEnd"], "2026-03-29T22:00:00Z");
    assert_eq!(rows[1]["score"]["value"], 0.0, "one promoter and one detractor");
}

#[tokio::test]
async fn iso_weeks_run_monday_to_sunday_across_a_year_end() {
    let app = spawn_app().await;
    one_customer_with_answers(
        &app,
        SurveyMetric::Csat,
        &[
            ("2025-12-28T23:59:59Z", 5),
            ("2025-12-29T00:00:00Z", 4),
            ("2026-01-04T23:59:59Z", 1),
            ("2026-01-05T00:00:00Z", 2),
        ],
    )
    .await;
    let data = app
        .query(
            r#"{ insights { satisfaction(metric: CSAT, filter: { period: { from: "2025-12-22T00:00:00Z", to: "2026-01-12T00:00:00Z" } },
                series: { granularity: WEEK }) { periodStart score { n value } } } }"#,
            json!({}),
        )
        .await;
    let rows = &data["insights"]["satisfaction"];
    assert_eq!(
        counts(rows),
        vec![
            ("2025-12-22T00:00:00Z".to_owned(), 1),
            ("2025-12-29T00:00:00Z".to_owned(), 2),
            ("2026-01-05T00:00:00Z".to_owned(), 1),
        ]
    );
    assert_eq!(rows[1]["score"]["value"], 50.0);
}

#[tokio::test]
async fn empty_sets_give_n_zero_and_null_values() {
    let app = spawn_seeded_app(20).await;
    let data = app
        .query(
            &format!(r#"{{ insights {{ satisfaction(metric: NPS, filter: {{ period: {{ from: "2030-01-01T00:00:00Z", to: "2030-02-01T00:00:00Z" }} }}) {{ {SCORE} }} }} }}"#),
            json!({}),
        )
        .await;
    let score = &data["insights"]["satisfaction"][0]["score"];
    assert_eq!(score["n"], 0);
    for field in ["value", "mean", "interval", "responseRate", "commentRate"] {
        assert_eq!(score[field], Value::Null, "{field}");
    }
    assert!(score["categories"].as_array().unwrap().iter().all(|c| c["count"] == 0 && c["share"].is_null()));
    assert_eq!(data["insights"]["satisfaction"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_series_and_comparison_arguments_are_bad_user_input() {
    let app = spawn_app().await;
    let cases = [
        (
            r#"{ insights { satisfaction(metric: NPS, series: { granularity: DAY }) { score { n } } } }"#,
            "filter.period",
        ),
        (
            r#"{ insights { satisfaction(metric: NPS, filter: { period: { from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" } }, series: { granularity: DAY, timeZone: "Mars/Olympus" }) { score { n } } } }"#,
            "series.timeZone",
        ),
        (
            r#"{ insights { satisfaction(metric: NPS, filter: { period: { from: "2020-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" } }, series: { granularity: DAY }) { score { n } } } }"#,
            "series",
        ),
        (r#"{ insights { satisfactionComparison(metric: NPS) { delta } } }"#, "filter.period"),
        (r#"{ insights { satisfaction(metric: NPS, minSample: -1) { score { n } } } }"#, "minSample"),
    ];
    for (query, field) in cases {
        let error = app.query_error(query, json!({})).await;
        assert_eq!(code(&error), "BAD_USER_INPUT", "{query}");
        assert_eq!(error["extensions"]["field"], field, "{query}");
    }
}

#[tokio::test]
async fn comparison_with_the_previous_period_tests_the_difference() {
    let app = spawn_app().await;
    let c = new_customer(&app.db, "C-1", "consumer", "EMEA").await;
    // Current month: 30 promoters, 10 detractors (NPS 50); previous month: 20 promoters, 20 detractors (NPS 0).
    let mut n = 0;
    for (day, promoters, detractors) in [("2026-02-10T12:00:00Z", 20, 20), ("2026-03-10T12:00:00Z", 30, 10)] {
        for score in std::iter::repeat_n(10, promoters).chain(std::iter::repeat_n(2, detractors)) {
            answer(&app.db, &format!("F-{n}"), &c, None, SurveyMetric::Nps, score, day).await;
            n += 1;
        }
    }
    let data = app
        .query(
            r#"{ insights { satisfactionComparison(metric: NPS, filter: { period: { from: "2026-03-01T00:00:00Z", to: "2026-03-29T00:00:00Z" } }) {
                current { value n } baseline { value n } delta z pValue significant } } }"#,
            json!({}),
        )
        .await;
    let row = &data["insights"]["satisfactionComparison"][0];
    assert_eq!(row["current"]["value"], 50.0);
    assert_eq!(row["baseline"]["value"], 0.0);
    assert_eq!(row["delta"], 50.0);
    // SE_a = 100 sqrt((1 - 0.25) / 40), SE_b = 100 sqrt(1 / 40).
    let z = 50.0 / ((0.75f64 / 40.0) * 1e4 + (1.0f64 / 40.0) * 1e4).sqrt();
    assert!(close(&row["z"], z), "{row}");
    assert!(row["pValue"].as_f64().unwrap() < 0.05);
    assert_eq!(row["significant"], true);

    // Against another segment instead of a period: no answers there, so no test.
    let data = app
        .query(
            r#"{ insights { satisfactionComparison(metric: NPS, baseline: { filter: { segments: ["enterprise"] } }) { current { n } baseline { n value } delta significant } } }"#,
            json!({}),
        )
        .await;
    let row = &data["insights"]["satisfactionComparison"][0];
    assert_eq!((row["current"]["n"].as_u64(), row["baseline"]["n"].as_u64()), (Some(80), Some(0)));
    assert_eq!((row["delta"].clone(), row["significant"].clone()), (Value::Null, Value::Null));
}

#[tokio::test]
async fn the_graph_shows_answer_categories_and_latest_answers() {
    let app = spawn_app().await;
    let c = new_customer(&app.db, "C-1", "consumer", "EMEA").await;
    let o = new_order(&app.db, "O-1", &c, "2026-01-01T10:00:00Z", OrderStatus::Delivered, 1000, "EUR").await;
    let delivery = new_touchpoint(
        &app.db,
        "T-1",
        &c,
        Some(&o),
        TouchpointKind::Delivery,
        Channel::Sms,
        "2026-01-03T10:00:00Z",
        Some("2026-01-03T11:00:00Z"),
    )
    .await;
    let support = new_touchpoint(
        &app.db,
        "T-2",
        &c,
        Some(&o),
        TouchpointKind::Support,
        Channel::Phone,
        "2026-01-05T10:00:00Z",
        Some("2026-01-05T11:00:00Z"),
    )
    .await;
    answer(&app.db, "F-1", &c, Some(&delivery), SurveyMetric::Csat, 5, "2026-01-03T12:00:00Z").await;
    answer(&app.db, "F-2", &c, Some(&support), SurveyMetric::Ces, 3, "2026-01-05T12:00:00Z").await;
    answer(&app.db, "F-3", &c, None, SurveyMetric::Nps, 9, "2026-01-10T12:00:00Z").await;
    answer(&app.db, "F-4", &c, None, SurveyMetric::Nps, 4, "2026-02-10T12:00:00Z").await;
    let data = app
        .query(
            r#"{ customer(externalId: "C-1") {
                npsCategory latestFeedback(metric: NPS) { externalId score category }
                orders { nodes { feedbackCategories touchpoints { nodes { kind feedbackCategories } } } } } }"#,
            json!({}),
        )
        .await;
    let customer = &data["customer"];
    assert_eq!(customer["npsCategory"], "DETRACTOR");
    assert_eq!(customer["latestFeedback"], json!({ "externalId": "F-4", "score": 4, "category": "DETRACTOR" }));
    let order = &customer["orders"]["nodes"][0];
    assert_eq!(order["feedbackCategories"], json!(["SATISFIED", "NOT_EASY"]));
    assert_eq!(
        order["touchpoints"]["nodes"],
        json!([{ "kind": "DELIVERY", "feedbackCategories": ["SATISFIED"] }, { "kind": "SUPPORT", "feedbackCategories": ["NOT_EASY"] }])
    );
    let kind_score = app
        .query(r#"{ insights { touchpointKindScore(touchpointKind: SUPPORT, metric: CES) { n value categories { category count } } } }"#, json!({}))
        .await;
    assert_eq!(kind_score["insights"]["touchpointKindScore"]["n"], 1);
    assert_eq!(kind_score["insights"]["touchpointKindScore"]["value"], 3.0);
}

/// The same seeded data on SQLite and on PostgreSQL gives identical insights (satisfaction and loyalty).
#[tokio::test]
#[ignore = "needs TEST_DATABASE_URL (PostgreSQL) besides SQLite: .ci/run runs it"]
async fn sqlite_and_postgres_give_identical_insights() {
    assert!(std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()), "set TEST_DATABASE_URL");
    let postgres = spawn_seeded_app(150).await;
    let sqlite = crate::helpers::spawn_seeded_app_on_sqlite(150).await;
    let queries = [
        format!("{{ insights {{ satisfaction(metric: NPS, groupBy: [TOUCHPOINT_KIND, CHANNEL, SEGMENT, REGION]) {{ touchpointKind channel segment region {SCORE} }} }} }}"),
        format!(r#"{{ insights {{ satisfaction(metric: CSAT, filter: {{ period: {{ from: "2024-01-01T00:00:00Z", to: "2026-11-01T00:00:00Z" }}, orderStatuses: [DELIVERED] }}, series: {{ granularity: QUARTER, timeZone: "America/New_York" }}) {{ periodStart {SCORE} }} }} }}"#),
        format!(r#"{{ insights {{ satisfaction(metric: CES, groupBy: [SEGMENT], filter: {{ period: {{ from: "2025-01-01T00:00:00Z", to: "2025-03-01T00:00:00Z" }} }}, series: {{ granularity: WEEK, timeZone: "Asia/Kolkata" }}) {{ segment periodStart {SCORE} }} }} }}"#),
        r#"{ insights { satisfactionComparison(metric: NPS, groupBy: [REGION], withTotal: true, filter: { period: { from: "2025-06-01T00:00:00Z", to: "2026-06-01T00:00:00Z" } }) { region isTotal delta z pValue significant current { n value } baseline { n value } } } }"#.to_owned(),
        r#"{ insights { loyalty(period: { from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }, groupBy: [SEGMENT, REGION], series: { granularity: QUARTER }) {
            segment region periodStart activeCustomers orders purchaseFrequency repeatPurchaseRate lifetimeRepeatPurchaseRate churnRate inactiveCustomers
            currencies { currency orders revenue { amount } averageOrderValue historicClvMean historicClvMedian predictedClvHeuristic } } } }"#.to_owned(),
        r#"{ insights { cohortRetention(granularity: MONTH, cohorts: { from: "2024-01-01T00:00:00Z", to: "2025-01-01T00:00:00Z" }, periods: 6, timeZone: "Europe/Berlin") { cohortStart periodIndex cohortSize retainedCustomers share } } }"#.to_owned(),
        r#"{ insights { touchpointImpact(metric: CSAT, touchpointKinds: [DELIVERY, SUPPORT], asOf: "2026-11-01T00:00:00Z") { category customerCount repurchasedCustomers repurchaseRate differenceToBest pValue } } }"#.to_owned(),
    ];
    let customers = r#"{ customers(first: 50, filter: { orderCount: { min: 2 } }, orderBy: { field: TOTAL_SPENT, currency: "EUR", direction: DESC }) { nodes { externalId } } }"#;
    assert_eq!(postgres.query(customers, json!({})).await, sqlite.query(customers, json!({})).await);
    for query in &queries {
        let (a, b) = (postgres.query(query, json!({})).await, sqlite.query(query, json!({})).await);
        let rows = a["insights"].as_object().unwrap().values().next().unwrap().as_array().unwrap();
        assert!(!rows.is_empty(), "{query}");
        assert_eq!(a, b, "{query}");
    }
}

/// An empty list filter matches nothing, whether the rows or the rollups count the answers, and in
/// touchpoint impact too (PostgreSQL has no empty `IN ()`).
#[tokio::test]
async fn an_empty_list_filter_matches_nothing() {
    let app = spawn_seeded_app(30).await;
    let period = r#"period: { from: "2024-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }"#;
    for list in ["touchpointKinds", "channels", "segments", "regions", "orderStatuses"] {
        let query = format!(
            "{{ insights {{ satisfaction(metric: NPS, filter: {{ {period}, {list}: [] }}) {{ score {{ n }} }} }} }}"
        );
        let rows = app.query(&query, json!({})).await;
        assert_eq!(rows["insights"]["satisfaction"][0]["score"]["n"], 0, "{list}");
    }
    let impact = app
        .query("{ insights { touchpointImpact(metric: NPS, touchpointKinds: []) { customerCount } } }", json!({}))
        .await;
    let rows = impact["insights"]["touchpointImpact"].as_array().unwrap();
    assert!(rows.len() == 3 && rows.iter().all(|row| row["customerCount"] == 0), "{rows:?}");
}
