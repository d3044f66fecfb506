//! Satisfaction queries and the SQL an analyst would write for them: NPS (or CSAT, CES) straight from
//! `feedback`, with the response rate from `touchpoints`. On SQLite the answered-survey lookup writes
//! `+fa.metric` (SQLite's idiom for "do not use an index on this column"): otherwise SQLite serves it
//! from the `(metric, score)` index and scans every answer per touchpoint.

use std::collections::BTreeMap;

use sea_orm::{DbBackend, QueryResult};
use serde_json::Value;

use crate::cases::{Case, close, float, int, text};

/// The figures compared per group: answers, value, answered and surveyed touchpoints.
#[derive(Debug, Default, PartialEq)]
struct Figures {
    n: i64,
    value: Option<f64>,
    answered: i64,
    surveyed: i64,
}

/// The touchpoint kind and channel as group columns (of answers, of surveys).
const KIND: (&str, &str) = ("CAST(t.kind AS TEXT)", "CAST(t.kind AS TEXT)");
const CHANNEL: (&str, &str) = ("CAST(t.channel AS TEXT)", "CAST(t.channel AS TEXT)");

const SCORE: &str = "score { value n responseRate commentRate histogram { score count } }";

fn metric_value(metric: &str) -> String {
    match metric {
        "NPS" => {
            "100.0 * (SUM(CASE WHEN f.score >= 9 THEN 1 ELSE 0 END) - SUM(CASE WHEN f.score <= 6 THEN 1 ELSE 0 END)) \
                  / COUNT(*)"
                .to_owned()
        }
        "CSAT" => "100.0 * SUM(CASE WHEN f.score >= 4 THEN 1 ELSE 0 END) / COUNT(*)".to_owned(),
        _ => "1.0 * SUM(f.score) / COUNT(*)".to_owned(),
    }
}

fn answered_lookup(backend: DbBackend, metric: &str) -> String {
    let column = if backend == DbBackend::Sqlite { "+fa.metric" } else { "fa.metric" };
    format!(
        "SUM(CASE WHEN EXISTS (SELECT 1 FROM feedback fa WHERE fa.touchpoint_id = t.id AND {column} = '{metric}') \
         THEN 1 ELSE 0 END)"
    )
}

fn real(backend: DbBackend) -> &'static str {
    if backend == DbBackend::Postgres { "DOUBLE PRECISION" } else { "REAL" }
}

/// A timestamp literal comparable with the column: RFC 3339 text on SQLite, `timestamptz` on PostgreSQL.
fn at(backend: DbBackend, rfc3339: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("TIMESTAMPTZ '{rfc3339}'"),
        _ => format!("'{}'", rfc3339.replace('Z', "+00:00")),
    }
}

/// Answers per group (`g1`, `g2` text columns) with the metric's value, and surveyed/answered
/// touchpoints per group, as two statements.
fn grouped_sql(
    backend: DbBackend,
    metric: &str,
    groups: &[(&str, &str)],
    answer_where: &str,
    survey_where: &str,
) -> Vec<String> {
    let select: Vec<String> = groups.iter().enumerate().map(|(i, (expr, _))| format!("{expr} AS g{}", i + 1)).collect();
    let survey_select: Vec<String> =
        groups.iter().enumerate().map(|(i, (_, expr))| format!("{expr} AS g{}", i + 1)).collect();
    let by: Vec<String> = (1..=groups.len()).map(|i| i.to_string()).collect();
    let real = real(backend);
    vec![
        format!(
            "SELECT {}, CAST(COUNT(*) AS BIGINT) AS n, CAST({} AS {real}) AS value \
             FROM feedback f LEFT JOIN touchpoints t ON t.id = f.touchpoint_id JOIN customers c ON c.id = f.customer_id \
             WHERE f.metric = '{metric}' {answer_where} GROUP BY {}",
            select.join(", "),
            metric_value(metric),
            by.join(", ")
        ),
        format!(
            "SELECT {}, CAST(COUNT(*) AS BIGINT) AS surveyed, CAST({} AS BIGINT) AS answered \
             FROM touchpoints t JOIN customers c ON c.id = t.customer_id \
             WHERE t.survey_sent_at IS NOT NULL {survey_where} GROUP BY {}",
            survey_select.join(", "),
            answered_lookup(backend, metric),
            by.join(", ")
        ),
    ]
}

fn key_of(row: &QueryResult, groups: usize) -> Result<Vec<String>, String> {
    (1..=groups).map(|i| Ok(text(row, &format!("g{i}"))?.unwrap_or_default())).collect()
}

/// The SQL answers per group (groups with answers only, as the server reports them).
fn sql_figures(results: &[Vec<QueryResult>], groups: usize) -> Result<BTreeMap<Vec<String>, Figures>, String> {
    let mut figures = BTreeMap::new();
    for row in &results[0] {
        let n = int(row, "n")?;
        figures.insert(key_of(row, groups)?, Figures { n, value: float(row, "value")?, ..Default::default() });
    }
    for row in &results[1] {
        if let Some(f) = figures.get_mut(&key_of(row, groups)?) {
            f.surveyed = int(row, "surveyed")?;
            f.answered = int(row, "answered")?;
        }
    }
    Ok(figures)
}

fn json_text(value: &Value) -> String {
    value.as_str().map(str::to_owned).unwrap_or_default()
}

/// Compares the server's rows (with `fields` as the group key; rows with n = 0 skipped) with the SQL.
fn compare(rows: &Value, fields: &[&str], sql: BTreeMap<Vec<String>, Figures>) -> Result<(), String> {
    let rows = rows.as_array().ok_or("no rows")?;
    let mut seen = 0;
    for row in rows {
        let score = &row["score"];
        let n = score["n"].as_i64().ok_or("no n")?;
        if n == 0 {
            continue;
        }
        seen += 1;
        let key: Vec<String> = fields.iter().map(|f| json_text(&row[*f])).collect();
        let expected = sql.get(&key).ok_or_else(|| format!("group {key:?} is not in the SQL answer"))?;
        if expected.n != n {
            return Err(format!("{key:?}: n {n} against {}", expected.n));
        }
        let value = score["value"].as_f64();
        match (value, expected.value) {
            (Some(a), Some(b)) if close(a, b) => {}
            (None, None) => {}
            (a, b) => return Err(format!("{key:?}: value {a:?} against {b:?}")),
        }
        let rate = score["responseRate"].as_f64();
        let expected_rate = (expected.surveyed > 0).then(|| expected.answered as f64 / expected.surveyed as f64);
        match (rate, expected_rate) {
            (Some(a), Some(b)) if close(a, b) || close(a, 100.0 * b) => {}
            (None, None) => {}
            (a, b) => return Err(format!("{key:?}: response rate {a:?} against {b:?}")),
        }
    }
    if seen != sql.len() {
        return Err(format!("{seen} groups with answers from the server, {} from SQL", sql.len()));
    }
    Ok(())
}

fn by_kind(data: &Value, results: &[Vec<QueryResult>]) -> Result<(), String> {
    compare(&data["insights"]["satisfaction"], &["touchpointKind"], sql_figures(results, 1)?)
}

fn by_kind_channel_month(data: &Value, results: &[Vec<QueryResult>]) -> Result<(), String> {
    // Bucket starts are compared as their first 7 characters (YYYY-MM).
    let rows: Vec<Value> = data["insights"]["satisfaction"]
        .as_array()
        .ok_or("no rows")?
        .iter()
        .map(|row| {
            let mut row = row.clone();
            row["month"] = Value::from(json_text(&row["periodStart"]).chars().take(7).collect::<String>());
            row
        })
        .collect();
    let sql = sql_figures(results, 3)?;
    // The SQL has no survey figures per month here (response rates are compared in the other cases).
    let sql = sql.into_iter().map(|(k, f)| (k, Figures { answered: 0, surveyed: 0, ..f })).collect();
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|mut row| {
            row["score"]["responseRate"] = Value::Null;
            row
        })
        .collect();
    compare(&Value::from(rows), &["touchpointKind", "channel", "month"], sql)
}

fn by_region(data: &Value, results: &[Vec<QueryResult>]) -> Result<(), String> {
    compare(&data["insights"]["satisfaction"], &["region"], sql_figures(results, 1)?)
}

fn by_channel(data: &Value, results: &[Vec<QueryResult>]) -> Result<(), String> {
    compare(&data["insights"]["satisfaction"], &["channel"], sql_figures(results, 1)?)
}

fn comparison_by_segment(data: &Value, results: &[Vec<QueryResult>]) -> Result<(), String> {
    let rows = data["insights"]["satisfactionComparison"].as_array().ok_or("no rows")?;
    let sql = sql_figures(results, 2)?;
    let mut compared = 0;
    for row in rows {
        let segment = json_text(&row["segment"]);
        for (side, year) in [("current", "2025"), ("baseline", "2024")] {
            let n = row[side]["n"].as_i64().ok_or("no n")?;
            let expected = sql.get(&vec![segment.clone(), year.to_owned()]).map_or(0, |f| f.n);
            if n != expected {
                return Err(format!("{segment} {year}: n {n} against {expected}"));
            }
            let value = row[side]["value"].as_f64();
            let expected = sql.get(&vec![segment.clone(), year.to_owned()]).and_then(|f| f.value);
            let same = match (value, expected) {
                (Some(a), Some(b)) => close(a, b),
                (a, b) => a.is_none() && b.is_none(),
            };
            if !same {
                return Err(format!("{segment} {year}: value {value:?} against {expected:?}"));
            }
            compared += 1;
        }
    }
    if compared == 0 { Err("no groups".into()) } else { Ok(()) }
}

/// NPS answers by touchpoint kind, channel and `month` (an expression of `f.submitted_at`) where
/// `answer_where` holds; no survey figures per month (an empty second statement: `by_kind_channel_month`
/// compares response rates nowhere).
fn nps_by_kind_channel_month(backend: DbBackend, month: &str, answer_where: &str) -> Vec<String> {
    let answers = grouped_sql(backend, "NPS", &[KIND, CHANNEL, (month, "''")], answer_where, "AND 1 = 0").remove(0);
    vec![answers, "SELECT 1 AS none WHERE 1 = 0".to_owned()]
}

fn month_of(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM')"),
        _ => format!("substr({column}, 1, 7)"),
    }
}

/// The New York calendar month (`YYYY-MM`) of a timestamp. SQLite has no time zones: every month of
/// New York starts at 04:00 UTC (EDT) from April to November and at 05:00 UTC (EST) from December to
/// March (daylight saving time changes mid-March and early November, never on the 1st at midnight), so
/// the month of `t - 4 h` says which offset its start had.
fn new_york_month_of(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("to_char({column} AT TIME ZONE 'America/New_York', 'YYYY-MM')"),
        _ => format!(
            "strftime('%Y-%m', {column}, CASE WHEN CAST(strftime('%m', {column}, '-4 hours') AS INTEGER) IN (12, 1, 2, 3) \
             THEN '-5 hours' ELSE '-4 hours' END)"
        ),
    }
}

fn year_of(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY')"),
        _ => format!("substr({column}, 1, 4)"),
    }
}

pub fn satisfaction_cases(backend: DbBackend) -> Vec<Case> {
    let in_2025 = |column: &str| {
        format!(
            "AND {column} >= {} AND {column} < {}",
            at(backend, "2025-01-01T00:00:00Z"),
            at(backend, "2026-01-01T00:00:00Z")
        )
    };
    // The first quarter of 2025 in New York: local midnights, 05:00 and 04:00 UTC.
    let q1_new_york = |column: &str| {
        format!(
            "AND {column} >= {} AND {column} < {}",
            at(backend, "2025-01-01T05:00:00Z"),
            at(backend, "2025-04-01T04:00:00Z")
        )
    };
    vec![
        Case {
            name: "NPS by touchpoint kind, all time",
            rollups: true,
            graphql: format!(
                "{{ insights {{ satisfaction(metric: NPS, groupBy: [TOUCHPOINT_KIND]) {{ touchpointKind {SCORE} }} }} }}"
            ),
            sql: grouped_sql(backend, "NPS", &[KIND], "", ""),
            check: by_kind,
        },
        Case {
            name: "NPS by kind and channel, monthly 2025",
            rollups: true,
            graphql: format!(
                "{{ insights {{ satisfaction(metric: NPS, groupBy: [TOUCHPOINT_KIND, CHANNEL], \
                 filter: {{ period: {{ from: \"2025-01-01T00:00:00Z\", to: \"2026-01-01T00:00:00Z\" }} }}, \
                 series: {{ granularity: MONTH }}) {{ touchpointKind channel periodStart {SCORE} }} }} }}"
            ),
            sql: nps_by_kind_channel_month(backend, &month_of(backend, "f.submitted_at"), &in_2025("f.submitted_at")),
            check: by_kind_channel_month,
        },
        Case {
            name: "NPS by kind and channel, monthly over 2 years in New York time",
            rollups: true,
            graphql: format!(
                "{{ insights {{ satisfaction(metric: NPS, groupBy: [TOUCHPOINT_KIND, CHANNEL], \
                 filter: {{ period: {{ from: \"2024-11-01T04:00:00Z\", to: \"2026-11-01T04:00:00Z\" }} }}, \
                 series: {{ granularity: MONTH, timeZone: \"America/New_York\" }}) \
                 {{ touchpointKind channel periodStart {SCORE} }} }} }}"
            ),
            sql: nps_by_kind_channel_month(
                backend,
                &new_york_month_of(backend, "f.submitted_at"),
                &format!(
                    "AND f.submitted_at >= {} AND f.submitted_at < {}",
                    at(backend, "2024-11-01T04:00:00Z"),
                    at(backend, "2026-11-01T04:00:00Z")
                ),
            ),
            check: by_kind_channel_month,
        },
        Case {
            name: "CSAT by region, Q1 2025 in New York time",
            rollups: true,
            graphql: format!(
                "{{ insights {{ satisfaction(metric: CSAT, groupBy: [REGION], \
                 filter: {{ period: {{ from: \"2025-01-01T05:00:00Z\", to: \"2025-04-01T04:00:00Z\" }} }}) \
                 {{ region {SCORE} }} }} }}"
            ),
            sql: grouped_sql(
                backend,
                "CSAT",
                &[("c.region", "c.region")],
                &q1_new_york("f.submitted_at"),
                &q1_new_york("t.survey_sent_at"),
            ),
            check: by_region,
        },
        Case {
            name: "NPS 2025 against 2024 by segment",
            rollups: true,
            graphql: "{ insights { satisfactionComparison(metric: NPS, groupBy: [SEGMENT], \
                 filter: { period: { from: \"2025-01-01T00:00:00Z\", to: \"2026-01-01T00:00:00Z\" } }, \
                 baseline: { period: { from: \"2024-01-01T00:00:00Z\", to: \"2025-01-01T00:00:00Z\" } }) \
                 { segment current { value n } baseline { value n } delta z pValue significant } } }"
                .to_owned(),
            sql: vec![
                grouped_sql(
                    backend,
                    "NPS",
                    &[("c.segment", "c.segment"), (&year_of(backend, "f.submitted_at"), "''")],
                    &format!(
                        "AND f.submitted_at >= {} AND f.submitted_at < {}",
                        at(backend, "2024-01-01T00:00:00Z"),
                        at(backend, "2026-01-01T00:00:00Z")
                    ),
                    "AND 1 = 0",
                )[0]
                .clone(),
                "SELECT 1 AS none WHERE 1 = 0".to_owned(),
            ],
            check: comparison_by_segment,
        },
        Case {
            name: "CES by channel, DELIVERED orders, 2025",
            rollups: true,
            graphql: format!(
                "{{ insights {{ satisfaction(metric: CES, groupBy: [CHANNEL], filter: {{ orderStatuses: [DELIVERED], \
                 period: {{ from: \"2025-01-01T00:00:00Z\", to: \"2026-01-01T00:00:00Z\" }} }}) {{ channel {SCORE} }} }} }}"
            ),
            sql: grouped_sql(
                backend,
                "CES",
                &[CHANNEL],
                &format!(
                    "{} AND EXISTS (SELECT 1 FROM orders o WHERE o.id = t.order_id AND o.status = 'DELIVERED')",
                    in_2025("f.submitted_at")
                ),
                &format!(
                    "{} AND EXISTS (SELECT 1 FROM orders o WHERE o.id = t.order_id AND o.status = 'DELIVERED')",
                    in_2025("t.survey_sent_at")
                ),
            ),
            check: by_channel,
        },
    ]
}
