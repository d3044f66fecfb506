//! The loyalty-side cases: loyalty over a year (plain, by segment, as a monthly series, and by segment and
//! region monthly), cohort retention and touchpoint impact, each with the SQL an analyst would write against
//! `customers`, `orders`, `touchpoints` and `feedback`.
//!
//! Timestamps: PostgreSQL stores `TIMESTAMPTZ`; calendar arithmetic is done on UTC `TIMESTAMP` values and
//! converted with `AT TIME ZONE 'UTC'`, so the session time zone does not matter. SQLite stores RFC 3339 text
//! in UTC (`2025-03-01T10:00:00+00:00`), which compares correctly as text in that same format.
//!
//! SQLite as bundled with sqlx has no math functions (`pow`, `sqrt`), so on SQLite the SQL stops at the
//! inputs of the heuristic predicted CLV, the Wilson interval and the z statistic, and the check finishes
//! those few formulas from the SQL's figures. No database has a normal CDF: the p-value of touchpoint
//! impact is always finished in the check, from the z statistic.

use sea_orm::{DbBackend, QueryResult};
use serde_json::Value;

use crate::cases::{Case, close, float, int, text};

/// The loyalty period of the cases: 2025, `[from, to)`.
const PERIOD: &str = r#"period: {from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z"}"#;

/// Every figure of a loyalty row.
const LOYALTY_ROW: &str = "segment region periodStart periodEnd asOf activeCustomers orders purchaseFrequency \
    repeatCustomers repeatPurchaseRate lifetimeCustomers lifetimeRepeatCustomers lifetimeRepeatPurchaseRate \
    previouslyActiveCustomers churnedCustomers churnRate retentionRate inactiveCustomers inactiveWindowDays \
    currencies { currency orders revenue { amount currency } averageOrderValue historicClvMean \
    historicClvMedian predictedClvHeuristic }";

/// Touchpoint impact is measured as of the end of the seed data (2026-10-31), so the run does not depend on
/// the clock.
const IMPACT_AS_OF: &str = "2026-10-31T00:00:00Z";
const IMPACT_HORIZON_DAYS: i64 = 90;

/// The RFC 3339 text format SQLite stores timestamps in.
const SQLITE_TIME: &str = "'%Y-%m-%dT%H:%M:%S+00:00'";

/// Days per year the server scales a period's frequency and churn with.
const DAYS_PER_YEAR: f64 = 365.2425;
/// The 1.96 of a 95% interval, as the server writes it.
const Z_95: f64 = 1.959964;

pub fn loyalty_cases(backend: DbBackend) -> Vec<Case> {
    let pg = backend == DbBackend::Postgres;
    vec![
        Case {
            name: "loyalty, 2025",
            rollups: false,
            graphql: format!("query {{ insights {{ loyalty({PERIOD}) {{ {LOYALTY_ROW} }} }} }}"),
            sql: loyalty_sql(pg, false, Groups::None),
            check: if pg { check_loyalty::<true> } else { check_loyalty::<false> },
        },
        Case {
            name: "loyalty by segment, 2025",
            rollups: false,
            graphql: format!("query {{ insights {{ loyalty({PERIOD}, groupBy: [SEGMENT]) {{ {LOYALTY_ROW} }} }} }}"),
            sql: loyalty_sql(pg, false, Groups::Segment),
            check: if pg { check_loyalty::<true> } else { check_loyalty::<false> },
        },
        Case {
            name: "loyalty monthly series, 2025",
            rollups: false,
            graphql: format!(
                "query {{ insights {{ loyalty({PERIOD}, series: {{granularity: MONTH, timeZone: \"UTC\"}}) {{ {LOYALTY_ROW} }} }} }}"
            ),
            sql: loyalty_sql(pg, true, Groups::None),
            check: if pg { check_loyalty::<true> } else { check_loyalty::<false> },
        },
        Case {
            name: "loyalty by segment and region, monthly 2025",
            rollups: false,
            graphql: format!(
                "query {{ insights {{ loyalty({PERIOD}, groupBy: [SEGMENT, REGION], \
                 series: {{granularity: MONTH, timeZone: \"UTC\"}}) {{ {LOYALTY_ROW} }} }} }}"
            ),
            sql: loyalty_sql(pg, true, Groups::SegmentAndRegion),
            check: if pg { check_loyalty::<true> } else { check_loyalty::<false> },
        },
        Case {
            name: "cohort retention, 24 monthly cohorts 2024-2025",
            rollups: false,
            graphql:
                "query { insights { cohortRetention(granularity: MONTH, cohorts: {from: \"2024-01-01T00:00:00Z\", \
                to: \"2026-01-01T00:00:00Z\"}, periods: 12, timeZone: \"UTC\") { cohortStart cohortEnd periodIndex \
                cohortSize retainedCustomers share } } }"
                    .to_owned(),
            sql: vec![cohort_sql(pg)],
            check: check_cohorts,
        },
        Case {
            name: "touchpoint impact, NPS at FOLLOW_UP",
            rollups: false,
            graphql: format!(
                "query {{ insights {{ touchpointImpact(metric: NPS, touchpointKinds: [FOLLOW_UP], \
                 horizonDays: {IMPACT_HORIZON_DAYS}, asOf: \"{IMPACT_AS_OF}\") {{ category customerCount \
                 repurchasedCustomers repurchaseRate interval {{ lower upper }} differenceToBest pValue significant }} }} }}"
            ),
            sql: vec![impact_sql(pg)],
            check: if pg { check_impact::<true> } else { check_impact::<false> },
        },
    ]
}

// ---------------------------------------------------------------------------------------------------------
// Loyalty

/// What a loyalty case groups by; the SQL's group column holds `segment` or `segment/region`.
#[derive(Clone, Copy, PartialEq)]
enum Groups {
    None,
    Segment,
    SegmentAndRegion,
}

/// One statement: per period (and group) and currency, the customer figures of the period and group
/// with the revenue and CLV of the currency.
/// `months`: the twelve calendar months of 2025 instead of the whole year.
fn loyalty_sql(pg: bool, months: bool, groups: Groups) -> Vec<String> {
    let dbl = if pg { "DOUBLE PRECISION" } else { "REAL" };
    // The periods: a label, [p_start, p_end), the previous period of equal length [q_start, p_start), the
    // start of the 180-day inactivity window before the period end, and the length in days.
    let periods = match (pg, months) {
        (true, _) => {
            let spans = if months {
                // The integer series, whose row count the planner knows (12, not a default 1000 that would
                // switch JIT compilation on).
                "SELECT TIMESTAMP '2025-01-01 00:00:00' + i * INTERVAL '1 month' AS s, \
                        TIMESTAMP '2025-01-01 00:00:00' + (i + 1) * INTERVAL '1 month' AS e \
                 FROM generate_series(0, 11) AS g (i)"
            } else {
                "SELECT TIMESTAMP '2025-01-01 00:00:00' AS s, TIMESTAMP '2026-01-01 00:00:00' AS e"
            };
            format!(
                "WITH periods AS (
    SELECT to_char(s, 'YYYY-MM-DD') AS label,
           s AT TIME ZONE 'UTC' AS p_start,
           e AT TIME ZONE 'UTC' AS p_end,
           (s - (e - s)) AT TIME ZONE 'UTC' AS q_start,
           (e - INTERVAL '180 days') AT TIME ZONE 'UTC' AS inactive_since,
           CAST(EXTRACT(EPOCH FROM e - s) / 86400 AS DOUBLE PRECISION) AS days
    FROM ({spans}) AS v
)"
            )
        }
        (false, _) => {
            let (with, spans) = if months {
                (
                    format!(
                        "WITH RECURSIVE months (s) AS (
    SELECT '2025-01-01T00:00:00+00:00'
    UNION ALL
    SELECT strftime({SQLITE_TIME}, s, '+1 month') FROM months WHERE s < '2025-12-01T00:00:00+00:00'
),"
                    ),
                    format!("SELECT s, strftime({SQLITE_TIME}, s, '+1 month') AS e FROM months"),
                )
            } else {
                (
                    "WITH".to_owned(),
                    "SELECT '2025-01-01T00:00:00+00:00' AS s, '2026-01-01T00:00:00+00:00' AS e".to_owned(),
                )
            };
            format!(
                "{with} periods AS (
    SELECT substr(s, 1, 10) AS label,
           s AS p_start,
           e AS p_end,
           strftime({SQLITE_TIME}, 2 * julianday(s) - julianday(e)) AS q_start,
           strftime({SQLITE_TIME}, e, '-180 days') AS inactive_since,
           julianday(e) - julianday(s) AS days
    FROM ({spans}) AS v
)"
            )
        }
    };
    // Orders that count: CANCELLED ones do not, RETURNED ones count with zero revenue.
    let grp = match groups {
        Groups::None => "CAST(NULL AS TEXT)",
        Groups::Segment => "c.segment",
        Groups::SegmentAndRegion => "c.segment || '/' || c.region",
    };
    let valid = format!(
        "valid AS (
    SELECT o.customer_id, {grp} AS grp, o.placed_at, o.currency,
           CASE WHEN o.status = 'RETURNED' THEN 0 ELSE o.total_amount_minor END AS revenue
    FROM orders o JOIN customers c ON c.id = o.customer_id
    WHERE o.status <> 'CANCELLED'
)"
    );
    // One pass over the orders to date (placed before the period end), per period, customer and currency:
    // orders in the period, in the previous period and in the inactivity window, all orders, revenue in
    // the period and revenue to date (the historic CLV in that currency).
    let per_customer = "per_customer_currency AS (
    SELECT p.label, v.grp, v.customer_id, v.currency,
           SUM(CASE WHEN v.placed_at >= p.p_start THEN 1 ELSE 0 END) AS in_period,
           SUM(CASE WHEN v.placed_at >= p.q_start AND v.placed_at < p.p_start THEN 1 ELSE 0 END) AS in_previous,
           SUM(CASE WHEN v.placed_at >= p.inactive_since THEN 1 ELSE 0 END) AS recent,
           COUNT(*) AS to_date,
           SUM(CASE WHEN v.placed_at >= p.p_start THEN v.revenue ELSE 0 END) AS revenue,
           SUM(v.revenue) AS clv
    FROM periods p JOIN valid v ON v.placed_at < p.p_end
    GROUP BY p.label, v.grp, v.customer_id, v.currency
),
per_customer AS (
    SELECT label, grp, customer_id, SUM(in_period) AS in_period, SUM(in_previous) AS in_previous,
           SUM(recent) AS recent, SUM(to_date) AS to_date
    FROM per_customer_currency
    GROUP BY label, grp, customer_id
),
figures AS (
    SELECT label, grp,
           CAST(SUM(CASE WHEN in_period > 0 THEN 1 ELSE 0 END) AS BIGINT) AS active,
           CAST(SUM(in_period) AS BIGINT) AS orders,
           CAST(SUM(CASE WHEN in_period >= 2 THEN 1 ELSE 0 END) AS BIGINT) AS repeaters,
           CAST(COUNT(*) AS BIGINT) AS lifetime,
           CAST(SUM(CASE WHEN to_date >= 2 THEN 1 ELSE 0 END) AS BIGINT) AS lifetime_repeaters,
           CAST(SUM(CASE WHEN in_previous > 0 THEN 1 ELSE 0 END) AS BIGINT) AS previously_active,
           CAST(SUM(CASE WHEN in_previous > 0 AND in_period = 0 THEN 1 ELSE 0 END) AS BIGINT) AS churned,
           CAST(SUM(CASE WHEN recent = 0 THEN 1 ELSE 0 END) AS BIGINT) AS inactive
    FROM per_customer
    GROUP BY label, grp
)";
    // Per currency: orders and revenue in the period, and the mean and median historic CLV.
    let currency_figures = if pg {
        "currency_figures AS (
    SELECT label, grp, currency, SUM(in_period) AS orders, SUM(revenue) AS revenue,
           AVG(clv) AS clv_mean,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY clv) AS clv_median
    FROM per_customer_currency
    GROUP BY label, grp, currency
)"
    } else {
        "ranked AS (
    SELECT label, grp, currency, in_period, revenue, clv,
           ROW_NUMBER() OVER (PARTITION BY label, grp, currency ORDER BY clv) AS position,
           COUNT(*) OVER (PARTITION BY label, grp, currency) AS customers
    FROM per_customer_currency
),
currency_figures AS (
    SELECT label, grp, currency, SUM(in_period) AS orders, SUM(revenue) AS revenue,
           AVG(clv) AS clv_mean,
           AVG(CASE WHEN position IN ((customers + 1) / 2, (customers + 2) / 2) THEN clv END) AS clv_median
    FROM ranked
    GROUP BY label, grp, currency
)"
    };
    // Minor-unit exponents other than 2 (ISO 4217).
    let digits = "CASE
               WHEN cf.currency IN ('BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX',
                                    'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF') THEN 0
               WHEN cf.currency IN ('BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND') THEN 3
               WHEN cf.currency IN ('CLF', 'UYW') THEN 4
               ELSE 2
           END";
    let same_group = if pg { "cf.grp IS NOT DISTINCT FROM f.grp" } else { "cf.grp IS f.grp" };
    // The heuristic: AOV x yearly frequency x expected lifetime (1 / yearly churn, churn compounded).
    let predicted = if pg {
        format!(
            ",
       CASE WHEN churn > 0 THEN
           aov_minor / unit * frequency * ({DAYS_PER_YEAR} / days)
               / (1 - power(1 - churn, {DAYS_PER_YEAR} / days))
       END AS predicted_clv"
        )
    } else {
        String::new()
    };
    // One row per period, group and currency, the group's figures repeated on each of its currencies (a
    // group with orders to date has at least one currency).
    let statement = format!(
        "{periods},
{valid},
{per_customer},
{currency_figures},
joined AS (
    SELECT f.*, cf.currency,
           CAST(cf.orders AS BIGINT) AS currency_orders,
           CAST(cf.revenue AS BIGINT) AS revenue_minor,
           {digits} AS minor_digits,
           CAST(cf.clv_mean AS {dbl}) AS clv_mean_minor,
           CAST(cf.clv_median AS {dbl}) AS clv_median_minor,
           CAST(cf.revenue AS {dbl}) / NULLIF(cf.orders, 0) AS aov_minor,
           CAST(f.orders AS {dbl}) / NULLIF(f.active, 0) AS frequency,
           CAST(f.churned AS {dbl}) / NULLIF(f.previously_active, 0) AS churn,
           p.days
    FROM figures f
    JOIN currency_figures cf ON cf.label = f.label AND {same_group}
    JOIN periods p ON p.label = f.label
),
major AS (
    SELECT j.*, CASE minor_digits WHEN 0 THEN 1 WHEN 3 THEN 1000 WHEN 4 THEN 10000 ELSE 100 END AS unit
    FROM joined j
)
SELECT label, grp AS segment,
       active AS active_customers, orders, repeaters AS repeat_customers,
       lifetime AS lifetime_customers, lifetime_repeaters AS lifetime_repeat_customers,
       previously_active AS previously_active_customers, churned AS churned_customers,
       inactive AS inactive_customers,
       frequency AS purchase_frequency,
       100 * CAST(repeaters AS {dbl}) / NULLIF(active, 0) AS repeat_purchase_rate,
       100 * CAST(lifetime_repeaters AS {dbl}) / NULLIF(lifetime, 0) AS lifetime_repeat_purchase_rate,
       100 * churn AS churn_rate,
       100 - 100 * churn AS retention_rate,
       currency, currency_orders, revenue_minor, CAST(minor_digits AS BIGINT) AS minor_digits,
       aov_minor / unit AS average_order_value,
       clv_mean_minor / unit AS historic_clv_mean,
       clv_median_minor / unit AS historic_clv_median,
       CAST(days AS {dbl}) AS period_days{predicted}
FROM major
ORDER BY label, grp, currency"
    );
    vec![statement]
}

/// The SQL figures and the server's row of one period and group; `PG`: the SQL computed the predicted CLV.
fn check_loyalty<const PG: bool>(data: &Value, results: &[Vec<QueryResult>]) -> Result<(), String> {
    let rows = array(data, &["insights", "loyalty"])?;
    let [sql_rows] = results else {
        return Err(format!("expected 1 statement, got {}", results.len()));
    };
    if rows.is_empty() {
        return Err("the server returned no loyalty rows".into());
    }
    let mut server_currencies = 0;
    for row in rows {
        let start = string(row, "periodStart")?;
        let label = start.get(..10).ok_or_else(|| format!("bad periodStart {start}"))?;
        let segment = row.get("segment").and_then(Value::as_str);
        let region = row.get("region").and_then(Value::as_str);
        // The SQL's group column: `segment`, or `segment/region` when grouped by both.
        let segment = match (segment, region) {
            (Some(segment), Some(region)) => Some(format!("{segment}/{region}")),
            (segment, _) => segment.map(str::to_owned),
        };
        let at = format!("{label} group {segment:?}");
        if string(row, "asOf")? != string(row, "periodEnd")? {
            return Err(format!("{at}: asOf is not the period end"));
        }
        if integer(row, "inactiveWindowDays")? != 180 {
            return Err(format!("{at}: inactiveWindowDays is not 180"));
        }
        // The group's rows, one per currency, the group's figures on each.
        let mut group = Vec::new();
        for r in sql_rows {
            if text(r, "label")?.as_deref() == Some(label) && text(r, "segment")? == segment {
                group.push(r);
            }
        }
        let Some(&sql) = group.first() else {
            // A group with no orders to date: the server zero-fills it, the SQL has no row.
            for field in ["activeCustomers", "orders", "lifetimeCustomers", "previouslyActiveCustomers"] {
                if integer(row, field)? != 0 {
                    return Err(format!("{at}: the SQL has no row but the server's {field} is not 0"));
                }
            }
            continue;
        };
        for (field, column) in [
            ("activeCustomers", "active_customers"),
            ("orders", "orders"),
            ("repeatCustomers", "repeat_customers"),
            ("lifetimeCustomers", "lifetime_customers"),
            ("lifetimeRepeatCustomers", "lifetime_repeat_customers"),
            ("previouslyActiveCustomers", "previously_active_customers"),
            ("churnedCustomers", "churned_customers"),
            ("inactiveCustomers", "inactive_customers"),
        ] {
            same_int(&at, field, integer(row, field)?, int(sql, column)?)?;
        }
        for (field, column) in [
            ("purchaseFrequency", "purchase_frequency"),
            ("repeatPurchaseRate", "repeat_purchase_rate"),
            ("lifetimeRepeatPurchaseRate", "lifetime_repeat_purchase_rate"),
            ("churnRate", "churn_rate"),
            ("retentionRate", "retention_rate"),
        ] {
            same_float(&at, field, number(row, field)?, float(sql, column)?)?;
        }

        let list = row.get("currencies").and_then(Value::as_array).ok_or_else(|| format!("{at}: no currencies"))?;
        if list.len() != group.len() {
            return Err(format!("{at}: the server has {} currencies, the SQL {}", list.len(), group.len()));
        }
        server_currencies += list.len();
        for currency in list {
            let code = string(currency, "currency")?;
            let at = format!("{at} {code}");
            let mut sql = None;
            for r in &group {
                if text(r, "currency")?.as_deref() == Some(code) {
                    sql = Some(*r);
                }
            }
            let sql = sql.ok_or_else(|| format!("{at}: the server has the currency, the SQL has not"))?;
            same_int(&at, "orders", integer(currency, "orders")?, int(sql, "currency_orders")?)?;
            let digits = u32::try_from(int(sql, "minor_digits")?).map_err(|e| e.to_string())?;
            let amount = string(currency.get("revenue").unwrap_or(&Value::Null), "amount")?;
            let revenue = minor_units(amount, digits).ok_or_else(|| format!("{at}: bad revenue amount {amount}"))?;
            same_int(&at, "revenue", revenue, int(sql, "revenue_minor")?)?;
            for (field, column) in [
                ("averageOrderValue", "average_order_value"),
                ("historicClvMean", "historic_clv_mean"),
                ("historicClvMedian", "historic_clv_median"),
            ] {
                same_float(&at, field, number(currency, field)?, float(sql, column)?)?;
            }
            let predicted = if PG {
                float(sql, "predicted_clv")?
            } else {
                predicted_clv(
                    float(sql, "average_order_value")?,
                    float(sql, "purchase_frequency")?,
                    float(sql, "churn_rate")?,
                    float(sql, "period_days")?,
                )
            };
            same_float(&at, "predictedClvHeuristic", number(currency, "predictedClvHeuristic")?, predicted)?;
        }
    }
    // Each server currency matched a distinct SQL row: equal totals leave no SQL row (or group) unmatched.
    if server_currencies != sql_rows.len() {
        return Err(format!("the SQL has {} rows, the server {server_currencies} currencies", sql_rows.len()));
    }
    Ok(())
}

/// AOV x frequency x (year / period) / yearly churn, with the period's churn compounded to a year; what
/// SQLite's SQL cannot finish without `pow`.
fn predicted_clv(
    aov: Option<f64>,
    frequency: Option<f64>,
    churn_percent: Option<f64>,
    days: Option<f64>,
) -> Option<f64> {
    let (aov, frequency, churn, days) = (aov?, frequency?, churn_percent? / 100.0, days?);
    if churn <= 0.0 || days <= 0.0 {
        return None;
    }
    let periods_per_year = DAYS_PER_YEAR / days;
    let yearly_churn = 1.0 - (1.0 - churn).powf(periods_per_year);
    (yearly_churn > 0.0).then(|| aov * frequency * periods_per_year / yearly_churn)
}

// ---------------------------------------------------------------------------------------------------------
// Cohort retention

/// Customers by the month of their first order (CANCELLED excluded), the 24 cohorts of 2024 and 2025,
/// each followed for twelve months: months are numbered year x 12 + month - 1, so k is a difference.
fn cohort_sql(pg: bool) -> String {
    let (dbl, month, label) = if pg {
        (
            "DOUBLE PRECISION",
            "CAST(EXTRACT(YEAR FROM placed_at AT TIME ZONE 'UTC') * 12 \
             + EXTRACT(MONTH FROM placed_at AT TIME ZONE 'UTC') - 1 AS INTEGER)",
            "to_char(make_date(s.cohort / 12, s.cohort % 12 + 1, 1), 'YYYY-MM')",
        )
    } else {
        (
            "REAL",
            "CAST(strftime('%Y', placed_at) AS INTEGER) * 12 + CAST(strftime('%m', placed_at) AS INTEGER) - 1",
            "printf('%04d-%02d', s.cohort / 12, s.cohort % 12 + 1)",
        )
    };
    format!(
        "WITH RECURSIVE k (i) AS (
    SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 23
),
period_index (i) AS (
    SELECT i FROM k WHERE i < 12
),
activity AS (
    SELECT DISTINCT customer_id, {month} AS m
    FROM orders
    WHERE status <> 'CANCELLED'
),
cohort_of AS (
    SELECT customer_id, MIN(m) AS cohort FROM activity GROUP BY customer_id
),
sizes AS (
    SELECT 2024 * 12 + k.i AS cohort, COUNT(c.customer_id) AS size
    FROM k LEFT JOIN cohort_of c ON c.cohort = 2024 * 12 + k.i
    GROUP BY k.i
),
retained AS (
    SELECT c.cohort, a.m - c.cohort AS period_index, COUNT(*) AS customers
    FROM cohort_of c JOIN activity a ON a.customer_id = c.customer_id
    WHERE a.m - c.cohort < 12
    GROUP BY c.cohort, a.m - c.cohort
)
SELECT {label} AS cohort, CAST(p.i AS BIGINT) AS period_index, CAST(s.size AS BIGINT) AS cohort_size,
       CAST(COALESCE(r.customers, 0) AS BIGINT) AS retained,
       100 * CAST(COALESCE(r.customers, 0) AS {dbl}) / NULLIF(s.size, 0) AS share
FROM sizes s
CROSS JOIN period_index p
LEFT JOIN retained r ON r.cohort = s.cohort AND r.period_index = p.i
ORDER BY s.cohort, p.i"
    )
}

fn check_cohorts(data: &Value, results: &[Vec<QueryResult>]) -> Result<(), String> {
    let cells = array(data, &["insights", "cohortRetention"])?;
    let [rows] = results else {
        return Err(format!("expected 1 statement, got {}", results.len()));
    };
    if cells.len() != rows.len() || rows.len() != 24 * 12 {
        return Err(format!("the server has {} cells, the SQL {} (24 x 12 expected)", cells.len(), rows.len()));
    }
    // Both in cohort order, then by period index.
    for (cell, sql) in cells.iter().zip(rows) {
        let start = string(cell, "cohortStart")?;
        let cohort = text(sql, "cohort")?.unwrap_or_default();
        let index = integer(cell, "periodIndex")?;
        let at = format!("cohort {start} k {index}");
        if start.get(..7) != Some(cohort.as_str()) {
            return Err(format!("{at}: the SQL's cell is of cohort {cohort}"));
        }
        same_int(&at, "periodIndex", index, int(sql, "period_index")?)?;
        same_int(&at, "cohortSize", integer(cell, "cohortSize")?, int(sql, "cohort_size")?)?;
        same_int(&at, "retainedCustomers", integer(cell, "retainedCustomers")?, int(sql, "retained")?)?;
        same_float(&at, "share", number(cell, "share")?, float(sql, "share")?)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// Touchpoint impact

/// Each customer's first NPS answer per category at a FOLLOW_UP touchpoint, kept when its 90 days have
/// ended by the as-of date; whether an order (CANCELLED excluded) followed within the 90 days; per
/// category the counts, the rate and its difference to the promoters' (plus, on PostgreSQL, the Wilson
/// interval and the pooled two-proportion z against the promoters).
fn impact_sql(pg: bool) -> String {
    let horizon = IMPACT_HORIZON_DAYS;
    let (dbl, window_ended, in_window) = if pg {
        (
            "DOUBLE PRECISION",
            // Days added in UTC, whatever the session's time zone.
            format!(
                "(a.answered_at AT TIME ZONE 'UTC') + INTERVAL '{horizon} days' <= TIMESTAMP '2026-10-31 00:00:00'"
            ),
            format!(
                "o.placed_at <= ((w.answered_at AT TIME ZONE 'UTC') + INTERVAL '{horizon} days') AT TIME ZONE 'UTC'"
            ),
        )
    } else {
        (
            "REAL",
            format!("julianday(a.answered_at) + {horizon} <= julianday('2026-10-31T00:00:00+00:00')"),
            format!("julianday(o.placed_at) <= julianday(w.answered_at) + {horizon}"),
        )
    };
    let statistics = if pg {
        ",
       CASE WHEN r.n > 0 THEN
           100 * GREATEST(0, (r.p + z * z / (2 * r.n) - z * sqrt(r.p * (1 - r.p) / r.n + z * z / (4 * r.n * r.n)))
                             / (1 + z * z / r.n))
       END AS wilson_lower,
       CASE WHEN r.n > 0 THEN
           100 * LEAST(1, (r.p + z * z / (2 * r.n) + z * sqrt(r.p * (1 - r.p) / r.n + z * z / (4 * r.n * r.n)))
                          / (1 + z * z / r.n))
       END AS wilson_upper,
       CASE WHEN r.position > 0 AND r.n > 0 AND b.n > 0 THEN
           (r.p - b.p) / NULLIF(sqrt(
               CAST(r.x + b.x AS DOUBLE PRECISION) / (r.n + b.n) * (1 - CAST(r.x + b.x AS DOUBLE PRECISION) / (r.n + b.n))
               * (1 / r.n + 1 / b.n)), 0)
       END AS z_statistic"
            .to_owned()
    } else {
        String::new()
    };
    let z = if pg { format!("CROSS JOIN (SELECT CAST({Z_95} AS DOUBLE PRECISION) AS z) AS c") } else { String::new() };
    format!(
        "WITH categories (category, position) AS (
    VALUES ('PROMOTER', 0), ('PASSIVE', 1), ('DETRACTOR', 2)
),
answers AS (
    SELECT f.customer_id, f.submitted_at,
           CASE WHEN f.score >= 9 THEN 'PROMOTER' WHEN f.score >= 7 THEN 'PASSIVE' ELSE 'DETRACTOR' END AS category
    FROM feedback f JOIN touchpoints t ON t.id = f.touchpoint_id
    WHERE f.metric = 'NPS' AND t.kind = 'FOLLOW_UP'
),
first_answers AS (
    SELECT customer_id, category, MIN(submitted_at) AS answered_at
    FROM answers
    GROUP BY customer_id, category
),
windows AS (
    SELECT a.customer_id, a.category, a.answered_at FROM first_answers a WHERE {window_ended}
),
outcomes AS (
    SELECT w.category, w.customer_id, CASE WHEN COUNT(o.id) > 0 THEN 1 ELSE 0 END AS repurchased
    FROM windows w
    LEFT JOIN orders o ON o.customer_id = w.customer_id AND o.status <> 'CANCELLED'
                      AND o.placed_at > w.answered_at AND {in_window}
    GROUP BY w.category, w.customer_id
),
counts AS (
    SELECT c.category, c.position, COUNT(o.customer_id) AS customers, COALESCE(SUM(o.repurchased), 0) AS repurchased
    FROM categories c LEFT JOIN outcomes o ON o.category = c.category
    GROUP BY c.category, c.position
),
rates AS (
    SELECT category, position, customers, repurchased,
           CAST(customers AS {dbl}) AS n, CAST(repurchased AS {dbl}) AS x,
           CAST(repurchased AS {dbl}) / NULLIF(customers, 0) AS p
    FROM counts
)
SELECT r.category, CAST(r.customers AS BIGINT) AS customers, CAST(r.repurchased AS BIGINT) AS repurchased,
       100 * r.p AS repurchase_rate,
       CASE WHEN r.position > 0 THEN 100 * (r.p - b.p) END AS difference_to_best{statistics}
FROM rates r
JOIN rates b ON b.position = 0
{z}
ORDER BY r.position"
    )
}

fn check_impact<const PG: bool>(data: &Value, results: &[Vec<QueryResult>]) -> Result<(), String> {
    let rows = array(data, &["insights", "touchpointImpact"])?;
    let [sql_rows] = results else {
        return Err(format!("expected 1 statement, got {}", results.len()));
    };
    if rows.len() != 3 || sql_rows.len() != 3 {
        return Err(format!("the server has {} categories, the SQL {} (3 expected)", rows.len(), sql_rows.len()));
    }
    let best = (int(&sql_rows[0], "repurchased")?, int(&sql_rows[0], "customers")?);
    for (row, sql) in rows.iter().zip(sql_rows) {
        let category = string(row, "category")?;
        if text(sql, "category")?.as_deref() != Some(category) {
            return Err(format!("{category}: the SQL's row is {:?}", text(sql, "category")?));
        }
        let (x, n) = (int(sql, "repurchased")?, int(sql, "customers")?);
        same_int(category, "customerCount", integer(row, "customerCount")?, n)?;
        same_int(category, "repurchasedCustomers", integer(row, "repurchasedCustomers")?, x)?;
        same_float(category, "repurchaseRate", number(row, "repurchaseRate")?, float(sql, "repurchase_rate")?)?;
        same_float(category, "differenceToBest", number(row, "differenceToBest")?, float(sql, "difference_to_best")?)?;
        let (lower, upper, z) = if PG {
            (float(sql, "wilson_lower")?, float(sql, "wilson_upper")?, float(sql, "z_statistic")?)
        } else {
            let (lower, upper) = wilson(x, n).unzip();
            let z = if category == "PROMOTER" { None } else { pooled_z(x, n, best.0, best.1) };
            (lower, upper, z)
        };
        let interval = row.get("interval").filter(|v| !v.is_null());
        let (server_lower, server_upper) = match interval {
            Some(i) => (number(i, "lower")?, number(i, "upper")?),
            None => (None, None),
        };
        same_float(category, "interval.lower", server_lower, lower)?;
        same_float(category, "interval.upper", server_upper, upper)?;
        // The p-value from the SQL's z, with a normal CDF of our own (a different approximation from the
        // server's, hence the looser tolerance).
        let p_value = z.map(|z| erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0));
        match (number(row, "pValue")?, p_value) {
            (None, None) => {}
            (Some(a), Some(b)) if (a - b).abs() <= 1e-7 * a.abs().max(b.abs()) + 1e-15 => {}
            (a, b) => return Err(format!("{category} pValue: server {a:?}, SQL {b:?}")),
        }
        let significant = row.get("significant").and_then(Value::as_bool);
        if significant != p_value.map(|p| p < 0.05) {
            return Err(format!("{category} significant: server {significant:?}, SQL p-value {p_value:?}"));
        }
    }
    Ok(())
}

/// The 95% Wilson interval of x / n, in percent; what SQLite cannot finish without `sqrt`.
pub(crate) fn wilson(x: i64, n: i64) -> Option<(f64, f64)> {
    if n <= 0 {
        return None;
    }
    let (n, p) = (n as f64, x as f64 / n as f64);
    let z2 = Z_95 * Z_95;
    let denominator = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denominator;
    let half = Z_95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some((100.0 * (center - half).max(0.0), 100.0 * (center + half).min(1.0)))
}

/// The pooled two-proportion z statistic of x_a / n_a against x_b / n_b; what SQLite cannot finish.
pub(crate) fn pooled_z(x_a: i64, n_a: i64, x_b: i64, n_b: i64) -> Option<f64> {
    if n_a <= 0 || n_b <= 0 {
        return None;
    }
    let (p_a, p_b) = (x_a as f64 / n_a as f64, x_b as f64 / n_b as f64);
    let pooled = (x_a + x_b) as f64 / (n_a + n_b) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / n_a as f64 + 1.0 / n_b as f64)).sqrt();
    (se > 0.0).then(|| (p_a - p_b) / se)
}

/// The complementary error function for x >= 0: its Taylor series near 0, a continued fraction beyond.
pub(crate) fn erfc(x: f64) -> f64 {
    if x < 2.5 {
        // erf(x) = 2 / sqrt(pi) * sum (-1)^k x^(2k+1) / (k! (2k+1))
        let (mut term, mut sum, mut k) = (x, x, 0.0);
        while term.abs() > 1e-17 * sum.abs() {
            k += 1.0;
            term *= -x * x / k;
            sum += term / (2.0 * k + 1.0);
        }
        1.0 - 2.0 / std::f64::consts::PI.sqrt() * sum
    } else {
        // erfc(x) = exp(-x^2) / sqrt(pi) / (x + 1/2 / (x + 1 / (x + 3/2 / (x + 2 / ...)))), from the tail.
        let mut fraction = x;
        for k in (1..=120).rev() {
            fraction = x + (k as f64 / 2.0) / fraction;
        }
        (-x * x).exp() / std::f64::consts::PI.sqrt() / fraction
    }
}

// ---------------------------------------------------------------------------------------------------------
// Comparing

pub(crate) fn array<'a>(data: &'a Value, path: &[&str]) -> Result<&'a Vec<Value>, String> {
    let mut value = data;
    for key in path {
        value = value.get(key).ok_or_else(|| format!("no {} in the response", path.join(".")))?;
    }
    value.as_array().ok_or_else(|| format!("{} is not a list", path.join(".")))
}

pub(crate) fn string<'a>(value: &'a Value, field: &str) -> Result<&'a str, String> {
    value.get(field).and_then(Value::as_str).ok_or_else(|| format!("{field} is not a string"))
}

pub(crate) fn integer(value: &Value, field: &str) -> Result<i64, String> {
    value.get(field).and_then(Value::as_i64).ok_or_else(|| format!("{field} is not an integer"))
}

/// A nullable number of the response.
pub(crate) fn number(value: &Value, field: &str) -> Result<Option<f64>, String> {
    match value.get(field) {
        None => Err(format!("{field} is missing")),
        Some(Value::Null) => Ok(None),
        Some(v) => v.as_f64().map(Some).ok_or_else(|| format!("{field} is not a number")),
    }
}

pub(crate) fn same_int(at: &str, field: &str, server: i64, sql: i64) -> Result<(), String> {
    if server == sql { Ok(()) } else { Err(format!("{at} {field}: server {server}, SQL {sql}")) }
}

pub(crate) fn same_float(at: &str, field: &str, server: Option<f64>, sql: Option<f64>) -> Result<(), String> {
    match (server, sql) {
        (None, None) => Ok(()),
        (Some(a), Some(b)) if close(a, b) => Ok(()),
        _ => Err(format!("{at} {field}: server {server:?}, SQL {sql:?}")),
    }
}

/// A decimal amount in major units (`12.50`, `1250`) in minor units, given the currency's digits.
fn minor_units(amount: &str, digits: u32) -> Option<i64> {
    let (negative, amount) = match amount.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, amount),
    };
    let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
    if fraction.len() > digits as usize || whole.is_empty() {
        return None;
    }
    let padded = format!("{whole}{fraction:0<width$}", width = digits as usize);
    let value: i64 = padded.parse().ok()?;
    Some(if negative { -value } else { value })
}
