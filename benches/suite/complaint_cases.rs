//! The closed-loop cases: the loop (dissatisfied answers followed up within 72 hours) by metric, monthly
//! in 2025, and service recovery (repurchase and next NPS by how the first complaint of 2025 went, against
//! dissatisfied customers without one), each with the SQL an analyst would write against `feedback`,
//! `complaints`, `touchpoints` and `orders`.
//!
//! Timestamps as in `loyalty_cases`: PostgreSQL compares `TIMESTAMPTZ` values, SQLite RFC 3339 text in UTC
//! (windows by `unixepoch`, the seed's times being whole seconds). The SQL stops at counts (and, on
//! PostgreSQL, the percentiles of the hours to follow-up, which SQLite lacks: it lists the seconds); the
//! check finishes the shares, Wilson intervals, z statistics, p-values, NPS and, on SQLite, the
//! percentiles from them.

use sea_orm::{DbBackend, QueryResult};
use serde_json::Value;

use crate::cases::{Case, close, float, int, text};
use crate::loyalty_cases::{array, erfc, integer, number, pooled_z, same_float, same_int, string, wilson};

/// Windows must have ended by the end of the seed data (2026-10-31), so the run does not depend on the
/// clock.
const AS_OF: &str = "2026-10-31T00:00:00Z";
const FOLLOW_UP_HOURS: i64 = 72;
const SLA_HOURS: i64 = 48;
const HORIZON_DAYS: i64 = 90;

pub fn complaint_cases(backend: DbBackend) -> Vec<Case> {
    let pg = backend == DbBackend::Postgres;
    vec![
        Case {
            name: "complaint loop by metric, monthly 2025",
            rollups: false,
            graphql: format!(
                "query {{ insights {{ complaintLoop(period: {{from: \"2025-01-01T00:00:00Z\", to: \"2026-01-01T00:00:00Z\"}}, \
                 groupBy: [METRIC], series: {{granularity: MONTH, timeZone: \"UTC\"}}, followUpHours: {FOLLOW_UP_HOURS}, \
                 asOf: \"{AS_OF}\") {{ metric periodStart answerCount pending followedByComplaint followedByTouchpoint \
                 followed followedShare followedShareInterval {{ lower upper }} hoursToFollowUp {{ n median p90 }} }} }} }}"
            ),
            sql: vec![loop_sql(pg)],
            check: if pg { check_loop::<true> } else { check_loop::<false> },
        },
        Case {
            name: "complaint recovery by outcome, 2025",
            rollups: false,
            graphql: format!(
                "query {{ insights {{ complaintRecovery(period: {{from: \"2025-01-01T00:00:00Z\", to: \"2026-01-01T00:00:00Z\"}}, \
                 slaHours: {SLA_HOURS}, horizonDays: {HORIZON_DAYS}, asOf: \"{AS_OF}\") {{ outcome customerCount \
                 repurchasedCustomers repurchaseRate interval {{ lower upper }} differenceToNoComplaint pValue significant \
                 nextNps {{ n nps mean }} }} }} }}"
            ),
            sql: vec![recovery_sql(pg)],
            check: check_recovery,
        },
    ]
}

/// The dialect's pieces: a timestamp literal, "`a` is at most `amount` after `b`", a month label.
struct Dialect {
    pg: bool,
}

impl Dialect {
    fn time(&self, rfc3339_utc: &str) -> String {
        if self.pg {
            format!("TIMESTAMPTZ '{rfc3339_utc}'")
        } else {
            format!("'{}+00:00'", rfc3339_utc.trim_end_matches('Z'))
        }
    }

    fn within(&self, a: &str, b: &str, seconds: i64) -> String {
        if self.pg {
            format!("{a} <= {b} + INTERVAL '{seconds} seconds'")
        } else {
            format!("unixepoch({a}) <= unixepoch({b}) + {seconds}")
        }
    }
}

/// The dissatisfied answers at touchpoints in 2025, aliased `f`.
const DISSATISFIED: &str = "f.touchpoint_id IS NOT NULL AND ((f.metric = 'NPS' AND f.score <= 6) \
    OR (f.metric = 'CSAT' AND f.score <= 3) OR (f.metric = 'CES' AND f.score <= 4))";

// ---------------------------------------------------------------------------------------------------------
// The loop

fn loop_sql(pg: bool) -> String {
    let d = Dialect { pg };
    let window = FOLLOW_UP_HOURS * 3600;
    let (from, to, as_of) = (d.time("2025-01-01T00:00:00Z"), d.time("2026-01-01T00:00:00Z"), d.time(AS_OF));
    // Whether the answer's window has ended by the as-of date.
    let (month, ended) = if pg {
        (
            "to_char(f.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM') || '-01'",
            format!("f.submitted_at + INTERVAL '{window} seconds' <= {as_of}"),
        )
    } else {
        ("substr(f.submitted_at, 1, 7) || '-01'", format!("unixepoch(f.submitted_at) + {window} <= unixepoch({as_of})"))
    };
    let done = format!("CASE WHEN {ended} THEN 1 ELSE 0 END");
    let complaint_window = d.within("m.opened_at", "a.submitted_at", window);
    let touchpoint_window = d.within("t.occurred_at", "a.submitted_at", window);
    let (seconds, summary) = if pg {
        (
            "EXTRACT(EPOCH FROM LEAST(complaint_at, touchpoint_at) - submitted_at)",
            "CAST(percentile_cont(0.5) WITHIN GROUP (ORDER BY CASE WHEN done = 1 THEN seconds / 3600 END) AS DOUBLE PRECISION) AS median,
       CAST(percentile_cont(0.9) WITHIN GROUP (ORDER BY CASE WHEN done = 1 THEN seconds / 3600 END) AS DOUBLE PRECISION) AS p90",
        )
    } else {
        (
            "unixepoch(MIN(COALESCE(complaint_at, touchpoint_at), COALESCE(touchpoint_at, complaint_at))) - unixepoch(submitted_at)",
            "group_concat(CASE WHEN done = 1 THEN seconds END) AS seconds",
        )
    };
    let seconds_type = if pg { "DOUBLE PRECISION" } else { "INTEGER" };
    format!(
        "WITH answers AS (
    SELECT f.id, f.customer_id, f.metric, f.submitted_at, {month} AS month, {done} AS done
    FROM feedback f
    WHERE f.submitted_at >= {from} AND f.submitted_at < {to} AND {DISSATISFIED}
),
follow_ups AS (
    SELECT a.metric, a.month, a.done, a.submitted_at,
           (SELECT MIN(m.opened_at) FROM complaints m
            WHERE m.customer_id = a.customer_id AND m.opened_at >= a.submitted_at AND {complaint_window}
              AND (m.opened_at > a.submitted_at OR m.feedback_id = a.id)) AS complaint_at,
           (SELECT MIN(t.occurred_at) FROM touchpoints t
            WHERE t.customer_id = a.customer_id AND t.kind = 'FOLLOW_UP' AND t.occurred_at > a.submitted_at
              AND {touchpoint_window}) AS touchpoint_at
    FROM answers a
),
timed AS (
    SELECT metric, month, done, complaint_at, touchpoint_at, CAST({seconds} AS {seconds_type}) AS seconds
    FROM follow_ups
)
SELECT metric, month,
       CAST(SUM(done) AS BIGINT) AS answers,
       CAST(SUM(1 - done) AS BIGINT) AS pending,
       CAST(COUNT(CASE WHEN done = 1 THEN complaint_at END) AS BIGINT) AS by_complaint,
       CAST(COUNT(CASE WHEN done = 1 THEN touchpoint_at END) AS BIGINT) AS by_touchpoint,
       CAST(COUNT(CASE WHEN done = 1 THEN seconds END) AS BIGINT) AS followed,
       {summary}
FROM timed
GROUP BY metric, month
ORDER BY metric, month"
    )
}

/// The sample quantile of type 7 of ascending `sorted`, as the server computes it.
fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let position = last as f64 * p;
    let below = position.floor() as usize;
    let above = (below + 1).min(last);
    Some(sorted[below] + (sorted[above] - sorted[below]) * (position - below as f64))
}

/// The median and 90th percentile of the hours of a SQL row: PostgreSQL's `percentile_cont`, or from
/// SQLite's list of seconds.
fn hours_summary<const PG: bool>(sql: &QueryResult) -> Result<(Option<f64>, Option<f64>), String> {
    if PG {
        return Ok((float(sql, "median")?, float(sql, "p90")?));
    }
    let listed = text(sql, "seconds")?.unwrap_or_default();
    let mut hours: Vec<f64> = listed
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<f64>().map(|seconds| seconds / 3600.0).map_err(|e| format!("seconds {s}: {e}")))
        .collect::<Result<_, _>>()?;
    hours.sort_by(f64::total_cmp);
    Ok((quantile(&hours, 0.5), quantile(&hours, 0.9)))
}

fn check_loop<const PG: bool>(data: &Value, results: &[Vec<QueryResult>]) -> Result<(), String> {
    let rows = array(data, &["insights", "complaintLoop"])?;
    let [sql_rows] = results else {
        return Err(format!("expected 1 statement, got {}", results.len()));
    };
    if rows.len() != 36 {
        return Err(format!("the server has {} rows, 3 metrics x 12 months expected", rows.len()));
    }
    let mut matched = 0;
    for row in rows {
        let (metric, start) = (string(row, "metric")?, string(row, "periodStart")?);
        let at = format!("{metric} {start}");
        let month = start.get(..10).unwrap_or(start);
        let sql = sql_rows.iter().find(|r| {
            text(r, "metric").ok().flatten().as_deref() == Some(metric)
                && text(r, "month").ok().flatten().as_deref() == Some(month)
        });
        let Some(sql) = sql else {
            if integer(row, "answerCount")? != 0 || integer(row, "pending")? != 0 {
                return Err(format!("{at}: answers in the server's row, none in the SQL"));
            }
            continue;
        };
        matched += 1;
        let (answers, followed) = (int(sql, "answers")?, int(sql, "followed")?);
        same_int(&at, "answerCount", integer(row, "answerCount")?, answers)?;
        same_int(&at, "pending", integer(row, "pending")?, int(sql, "pending")?)?;
        same_int(&at, "followedByComplaint", integer(row, "followedByComplaint")?, int(sql, "by_complaint")?)?;
        same_int(&at, "followedByTouchpoint", integer(row, "followedByTouchpoint")?, int(sql, "by_touchpoint")?)?;
        same_int(&at, "followed", integer(row, "followed")?, followed)?;
        let share = (answers > 0).then(|| 100.0 * followed as f64 / answers as f64);
        same_float(&at, "followedShare", number(row, "followedShare")?, share)?;
        let (lower, upper) = wilson(followed, answers).unzip();
        let interval = row.get("followedShareInterval").filter(|v| !v.is_null());
        let (server_lower, server_upper) = match interval {
            Some(i) => (number(i, "lower")?, number(i, "upper")?),
            None => (None, None),
        };
        same_float(&at, "followedShareInterval.lower", server_lower, lower)?;
        same_float(&at, "followedShareInterval.upper", server_upper, upper)?;
        let hours = row.get("hoursToFollowUp").ok_or_else(|| format!("{at}: no hoursToFollowUp"))?;
        same_int(&at, "hoursToFollowUp.n", integer(hours, "n")?, followed)?;
        let (median, p90) = hours_summary::<PG>(sql)?;
        same_float(&at, "hoursToFollowUp.median", number(hours, "median")?, median)?;
        same_float(&at, "hoursToFollowUp.p90", number(hours, "p90")?, p90)?;
    }
    if matched != sql_rows.len() {
        return Err(format!("the SQL has {} rows, the server matched {matched}", sql_rows.len()));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// Recovery

fn recovery_sql(pg: bool) -> String {
    let d = Dialect { pg };
    let (from, to) = (d.time("2025-01-01T00:00:00Z"), d.time("2026-01-01T00:00:00Z"));
    let horizon = HORIZON_DAYS * 86_400;
    let within_sla = d.within("m.resolved_at", "m.opened_at", SLA_HOURS * 3600);
    let complained_after = d.within("m.opened_at", "d.start_at", horizon);
    let order_window = d.within("o.placed_at", "s.start_at", horizon);
    let answer_window = d.within("n.submitted_at", "s.start_at", horizon);
    let ended = if pg {
        format!("s.start_at + INTERVAL '{horizon} seconds' <= {}", d.time(AS_OF))
    } else {
        format!("unixepoch(s.start_at) + {horizon} <= unixepoch({})", d.time(AS_OF))
    };
    format!(
        "WITH first_complaints AS (
    SELECT m.customer_id, MIN(m.opened_at) AS opened_at
    FROM complaints m
    WHERE m.opened_at >= {from} AND m.opened_at < {to}
    GROUP BY m.customer_id
),
complained AS (
    SELECT m.customer_id, m.opened_at AS start_at,
           CASE WHEN m.status = 'RESOLVED' AND {within_sla} THEN 'RESOLVED_WITHIN_SLA'
                WHEN m.status = 'RESOLVED' THEN 'RESOLVED_LATE'
                ELSE 'UNRESOLVED' END AS outcome
    FROM first_complaints c
    JOIN complaints m ON m.customer_id = c.customer_id AND m.opened_at = c.opened_at
    WHERE m.id = (SELECT MIN(x.id) FROM complaints x WHERE x.customer_id = c.customer_id AND x.opened_at = c.opened_at)
),
dissatisfied AS (
    SELECT f.customer_id, MIN(f.submitted_at) AS start_at
    FROM feedback f
    WHERE f.submitted_at >= {from} AND f.submitted_at < {to} AND {DISSATISFIED}
    GROUP BY f.customer_id
),
not_complained AS (
    SELECT d.customer_id, d.start_at, 'NO_COMPLAINT' AS outcome
    FROM dissatisfied d
    WHERE NOT EXISTS (SELECT 1 FROM complaints m WHERE m.customer_id = d.customer_id AND m.opened_at >= {from}
                      AND (m.opened_at < {to} OR {complained_after}))
),
subjects AS (
    SELECT customer_id, start_at, outcome FROM complained
    UNION ALL
    SELECT customer_id, start_at, outcome FROM not_complained
),
measured AS (
    SELECT s.outcome,
           CASE WHEN EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = s.customer_id AND o.status <> 'CANCELLED'
                             AND o.placed_at > s.start_at AND {order_window}) THEN 1 ELSE 0 END AS repurchased,
           (SELECT n.score FROM feedback n WHERE n.customer_id = s.customer_id AND n.metric = 'NPS'
              AND n.submitted_at > s.start_at AND {answer_window}
            ORDER BY n.submitted_at, n.id LIMIT 1) AS next_nps
    FROM subjects s
    WHERE {ended}
)
SELECT outcome, CAST(COUNT(*) AS BIGINT) AS customers, CAST(SUM(repurchased) AS BIGINT) AS repurchased,
       CAST(COUNT(next_nps) AS BIGINT) AS nps_n,
       CAST(SUM(CASE WHEN next_nps >= 9 THEN 1 ELSE 0 END) AS BIGINT) AS promoters,
       CAST(SUM(CASE WHEN next_nps <= 6 THEN 1 ELSE 0 END) AS BIGINT) AS detractors,
       CAST(SUM(next_nps) AS BIGINT) AS score_sum
FROM measured
GROUP BY outcome"
    )
}

fn check_recovery(data: &Value, results: &[Vec<QueryResult>]) -> Result<(), String> {
    let rows = array(data, &["insights", "complaintRecovery"])?;
    let [sql_rows] = results else {
        return Err(format!("expected 1 statement, got {}", results.len()));
    };
    let of = |outcome: &str| -> Result<(i64, i64), String> {
        match sql_rows.iter().find(|r| text(r, "outcome").ok().flatten().as_deref() == Some(outcome)) {
            Some(r) => Ok((int(r, "repurchased")?, int(r, "customers")?)),
            None => Ok((0, 0)),
        }
    };
    let outcomes = ["RESOLVED_WITHIN_SLA", "RESOLVED_LATE", "UNRESOLVED", "NO_COMPLAINT"];
    let listed: Vec<&str> = rows.iter().map(|r| string(r, "outcome")).collect::<Result<_, _>>()?;
    if listed != outcomes {
        return Err(format!("the server's outcomes are {listed:?}"));
    }
    let baseline = of("NO_COMPLAINT")?;
    for (row, outcome) in rows.iter().zip(outcomes) {
        let (x, n) = of(outcome)?;
        same_int(outcome, "customerCount", integer(row, "customerCount")?, n)?;
        same_int(outcome, "repurchasedCustomers", integer(row, "repurchasedCustomers")?, x)?;
        let rate = (n > 0).then(|| 100.0 * x as f64 / n as f64);
        same_float(outcome, "repurchaseRate", number(row, "repurchaseRate")?, rate)?;
        let (lower, upper) = wilson(x, n).unzip();
        let interval = row.get("interval").filter(|v| !v.is_null());
        let (server_lower, server_upper) = match interval {
            Some(i) => (number(i, "lower")?, number(i, "upper")?),
            None => (None, None),
        };
        same_float(outcome, "interval.lower", server_lower, lower)?;
        same_float(outcome, "interval.upper", server_upper, upper)?;
        let tested = outcome != "NO_COMPLAINT" && n > 0 && baseline.1 > 0;
        let difference = tested.then(|| 100.0 * (x as f64 / n as f64 - baseline.0 as f64 / baseline.1 as f64));
        same_float(outcome, "differenceToNoComplaint", number(row, "differenceToNoComplaint")?, difference)?;
        // The p-value from the z, with a normal CDF of our own (hence the looser tolerance).
        let z = if tested { pooled_z(x, n, baseline.0, baseline.1) } else { None };
        let p_value = z.map(|z| erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0));
        match (number(row, "pValue")?, p_value) {
            (None, None) => {}
            (Some(a), Some(b)) if (a - b).abs() <= 1e-7 * a.abs().max(b.abs()) + 1e-15 => {}
            (a, b) => return Err(format!("{outcome} pValue: server {a:?}, SQL {b:?}")),
        }
        let significant = row.get("significant").and_then(Value::as_bool);
        if significant != p_value.map(|p| p < 0.05) {
            return Err(format!("{outcome} significant: server {significant:?}, SQL p-value {p_value:?}"));
        }
        check_next_nps(row, sql_rows, outcome)?;
    }
    Ok(())
}

fn check_next_nps(row: &Value, sql_rows: &[QueryResult], outcome: &str) -> Result<(), String> {
    let next = row.get("nextNps").ok_or_else(|| format!("{outcome}: no nextNps"))?;
    let sql = sql_rows.iter().find(|r| text(r, "outcome").ok().flatten().as_deref() == Some(outcome));
    let (n, promoters, detractors, sum) = match sql {
        Some(r) => (int(r, "nps_n")?, int(r, "promoters")?, int(r, "detractors")?, int(r, "score_sum").unwrap_or(0)),
        None => (0, 0, 0, 0),
    };
    same_int(outcome, "nextNps.n", integer(next, "n")?, n)?;
    let nps = (n > 0).then(|| 100.0 * (promoters - detractors) as f64 / n as f64);
    let mean = (n > 0).then(|| sum as f64 / n as f64);
    same_float(outcome, "nextNps.nps", number(next, "nps")?, nps)?;
    match (number(next, "mean")?, mean) {
        (None, None) => Ok(()),
        (Some(a), Some(b)) if close(a, b) => Ok(()),
        (a, b) => Err(format!("{outcome} nextNps.mean: server {a:?}, SQL {b:?}")),
    }
}
