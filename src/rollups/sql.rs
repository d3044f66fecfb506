//! What the satisfaction rollup tables contain, as SQL: the contribution of a set of customers' rows
//! (or of every row) to each rollup row, added or subtracted with an upsert. `maintenance` runs these
//! statements to keep the rollups current and to rebuild them.
//!
//! Rollup rows are keyed by a grain (`D`ay, `M`onth, `Y`ear, all in UTC) and the slice's first day, as a
//! day number since 1970-01-01 (UTC). Every answer and every surveyed touchpoint is counted once per
//! grain, so a period made of whole years, months and days reads a handful of rows per group.
//!
//! Only our own identifiers are spliced into this SQL; the ids a statement counts are bound.

use entity::rollups::{ANSWER_ROLLUPS, SURVEY_ROLLUPS};
use sea_orm::DbBackend;

/// Which rows a contribution statement counts.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    Everything,
    /// The answers these customers gave and the touchpoints they were met at.
    Customers(&'a [i64]),
    /// These answers and these touchpoints (each list may be empty).
    Rows {
        answers: &'a [i64],
        touchpoints: &'a [i64],
    },
}

/// Whether a contribution is added to the rollups or taken out of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Add,
    Subtract,
}

/// The first day (as a day number) of the grain's slice holding `column`, a timestamp.
/// SQLite keeps timestamps as RFC 3339 text, which its date functions read (offset included).
fn slice_of(backend: DbBackend, column: &str) -> String {
    match backend {
        // Date arithmetic: an integer per row, where an epoch divided by 86,400 is a numeric one.
        DbBackend::Postgres => format!(
            "CAST(date_trunc(CASE g.grain WHEN 'D' THEN 'day' WHEN 'M' THEN 'month' ELSE 'year' END, \
             {column} AT TIME ZONE 'UTC') AS DATE) - DATE '1970-01-01'"
        ),
        _ => format!(
            "(unixepoch(CASE g.grain WHEN 'D' THEN date({column}) WHEN 'M' THEN date({column}, 'start of month') \
             ELSE date({column}, 'start of year') END) / 86400)"
        ),
    }
}

/// What a contribution statement is for. Upkeep writes every grain for a few customers' rows and adds
/// them to the rows there, upserted in key order, so concurrent writers on PostgreSQL lock rows in the
/// same order. A rebuild writes days only (it then sums the days into months and the months into years)
/// into emptied tables, alone, with rows unique by construction: no sort (PostgreSQL hashes the groups;
/// sorting by text keys costs more than the grouping) and no conflict checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Purpose {
    Upkeep,
    Rebuild,
}

impl Purpose {
    fn grain_table(self) -> &'static str {
        match self {
            Purpose::Upkeep => "(SELECT 'D' AS grain UNION ALL SELECT 'M' UNION ALL SELECT 'Y') g",
            Purpose::Rebuild => "(SELECT 'D' AS grain) g",
        }
    }

    /// What follows `GROUP BY`: for upkeep, the key order and the upsert (`keys` by position, `conflict`
    /// the rest of the `ON CONFLICT` clause).
    fn merge(self, keys: &str, conflict: &str) -> String {
        match self {
            Purpose::Upkeep => format!("ORDER BY {keys} ON CONFLICT {conflict}"),
            Purpose::Rebuild => String::new(),
        }
    }
}

/// A contribution statement, and the ids it takes as its one parameter when it has one: on
/// PostgreSQL an array literal as text (`$1`), on SQLite a JSON array (`?`, read by `json_each`). Its
/// text then does not depend on the ids, so each connection prepares it once and keeps it cached, instead
/// of compiling (and caching) a new statement for every batch of ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contribution {
    pub sql: String,
    pub ids: Option<String>,
}

/// The rows of `scope` among the answers (`f`) or the touchpoints (`t`), and the parameter it binds;
/// `None` when the scope holds none of them.
fn scope_condition(backend: DbBackend, scope: Scope<'_>, table: char) -> Option<(String, Option<String>)> {
    let (column, ids) = match (scope, table) {
        (Scope::Everything, _) => return Some(("1 = 1".to_owned(), None)),
        (Scope::Customers(ids), _) => (format!("{table}.customer_id"), ids),
        (Scope::Rows { answers, .. }, 'f') => ("f.id".to_owned(), answers),
        (Scope::Rows { touchpoints, .. }, _) => ("t.id".to_owned(), touchpoints),
    };
    if ids.is_empty() {
        return None;
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    Some(match backend {
        DbBackend::Postgres => (format!("{column} = ANY(CAST($1 AS TEXT)::bigint[])"), Some(format!("{{{list}}}"))),
        _ => (format!("{column} IN (SELECT value FROM json_each(?))"), Some(format!("[{list}]"))),
    })
}

fn sign(direction: Direction) -> &'static str {
    match direction {
        Direction::Add => "",
        Direction::Subtract => "-",
    }
}

/// Answers per grain, slice, metric, touchpoint kind and channel ('' for answers without a touchpoint),
/// segment, region, the status of the touchpoint's order ('' without one) and score, with how many carry a non-empty comment. `None` when the scope holds no
/// answers.
fn answer_contribution(
    backend: DbBackend,
    scope: Scope<'_>,
    direction: Direction,
    purpose: Purpose,
) -> Option<Contribution> {
    let grain_table = purpose.grain_table();
    let slice = slice_of(backend, "f.submitted_at");
    let merge = purpose.merge(
        "1, 2, 3, 4, 5, 6, 7, 8, 9",
        &format!(
            "(grain, metric, slice, touchpoint_kind, channel, segment, region, order_status, score) DO UPDATE SET \
             answers = {ANSWER_ROLLUPS}.answers + excluded.answers, \
             commented = {ANSWER_ROLLUPS}.commented + excluded.commented"
        ),
    );
    let (scope, ids) = scope_condition(backend, scope, 'f')?;
    let sign = sign(direction);
    let sql = format!(
        "INSERT INTO {ANSWER_ROLLUPS} ({ANSWER_COLUMNS}, answers, commented) \
         SELECT g.grain, {slice}, f.metric, COALESCE(t.kind, ''), COALESCE(t.channel, ''), c.segment, c.region, \
         COALESCE(o.status, ''), f.score, {sign}COUNT(*), \
         {sign}SUM(CASE WHEN f.comment IS NOT NULL AND f.comment <> '' THEN 1 ELSE 0 END) \
         FROM feedback f JOIN customers c ON c.id = f.customer_id \
         LEFT JOIN touchpoints t ON t.id = f.touchpoint_id LEFT JOIN orders o ON o.id = t.order_id \
         CROSS JOIN {grain_table} \
         WHERE {scope} \
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9 {merge}"
    );
    Some(Contribution { sql, ids })
}

/// Touchpoints with a survey sent, per grain, slice (of `survey_sent_at`), kind, channel, segment,
/// region and the status of their order ('' without one), with how many got at least one answer of each metric (for response rates). `None` when the
/// scope holds no touchpoints.
fn survey_contribution(
    backend: DbBackend,
    scope: Scope<'_>,
    direction: Direction,
    purpose: Purpose,
) -> Option<Contribution> {
    let grain_table = purpose.grain_table();
    let slice = slice_of(backend, "t.survey_sent_at");
    let merge = purpose.merge(
        "1, 2, 3, 4, 5, 6, 7",
        &format!(
            "(grain, slice, touchpoint_kind, channel, segment, region, order_status) DO UPDATE SET \
             surveyed = {SURVEY_ROLLUPS}.surveyed + excluded.surveyed, \
             answered_nps = {SURVEY_ROLLUPS}.answered_nps + excluded.answered_nps, \
             answered_csat = {SURVEY_ROLLUPS}.answered_csat + excluded.answered_csat, \
             answered_ces = {SURVEY_ROLLUPS}.answered_ces + excluded.answered_ces"
        ),
    );
    let answers = AnsweredMetrics::of(scope);
    let (scope, ids) = scope_condition(backend, scope, 't')?;
    let sign = sign(direction);
    let sql = format!(
        "INSERT INTO {SURVEY_ROLLUPS} ({SURVEY_COLUMNS}, surveyed, answered_nps, answered_csat, answered_ces) \
         SELECT g.grain, {slice}, t.kind, t.channel, c.segment, c.region, COALESCE(o.status, ''), {sign}COUNT(*), \
         {sign}SUM({nps}), {sign}SUM({csat}), {sign}SUM({ces}) \
         FROM touchpoints t JOIN customers c ON c.id = t.customer_id LEFT JOIN orders o ON o.id = t.order_id \
         {join} CROSS JOIN {grain_table} \
         WHERE t.survey_sent_at IS NOT NULL AND {scope} \
         GROUP BY 1, 2, 3, 4, 5, 6, 7 {merge}",
        nps = answers.flag("NPS"),
        csat = answers.flag("CSAT"),
        ces = answers.flag("CES"),
        join = answers.join(),
    );
    Some(Contribution { sql, ids })
}

/// How a survey contribution learns whether a touchpoint `t` got an answer of a metric (1 or 0).
#[derive(Clone, Copy)]
enum AnsweredMetrics {
    /// A few touchpoints: an index probe per touchpoint and metric.
    Probed,
    /// Every touchpoint (a rebuild): one pass over the answers, grouped by touchpoint, joined.
    Grouped,
}

impl AnsweredMetrics {
    fn of(scope: Scope<'_>) -> AnsweredMetrics {
        match scope {
            Scope::Everything => AnsweredMetrics::Grouped,
            Scope::Customers(_) | Scope::Rows { .. } => AnsweredMetrics::Probed,
        }
    }

    fn join(self) -> &'static str {
        match self {
            AnsweredMetrics::Probed => "",
            AnsweredMetrics::Grouped => {
                "LEFT JOIN (SELECT touchpoint_id, \
                 MAX(CASE WHEN metric = 'NPS' THEN 1 ELSE 0 END) AS answered_nps, \
                 MAX(CASE WHEN metric = 'CSAT' THEN 1 ELSE 0 END) AS answered_csat, \
                 MAX(CASE WHEN metric = 'CES' THEN 1 ELSE 0 END) AS answered_ces \
                 FROM feedback WHERE touchpoint_id IS NOT NULL GROUP BY touchpoint_id) a ON a.touchpoint_id = t.id"
            }
        }
    }

    fn flag(self, metric: &str) -> String {
        match self {
            // `COALESCE(metric, '')` keeps planners on the `(touchpoint_id, ...)` index: SQLite otherwise
            // picks `(metric, submitted_at)` and scans every answer of the metric per touchpoint.
            AnsweredMetrics::Probed => format!(
                "CASE WHEN EXISTS (SELECT 1 FROM feedback fa WHERE fa.touchpoint_id = t.id \
                 AND COALESCE(fa.metric, '') = '{metric}') THEN 1 ELSE 0 END"
            ),
            AnsweredMetrics::Grouped => format!("COALESCE(a.answered_{}, 0)", metric.to_lowercase()),
        }
    }
}

/// The contributions of `scope` to both tables, in one direction, at every grain.
pub fn contributions(backend: DbBackend, scope: Scope<'_>, direction: Direction) -> Vec<Contribution> {
    contributions_at(backend, scope, direction, Purpose::Upkeep)
}

fn contributions_at(backend: DbBackend, scope: Scope<'_>, direction: Direction, purpose: Purpose) -> Vec<Contribution> {
    [answer_contribution(backend, scope, direction, purpose), survey_contribution(backend, scope, direction, purpose)]
        .into_iter()
        .flatten()
        .collect()
}

/// Empties both tables and fills them from every row: the days from the rows, then the months from the
/// days and the years from the months (each sort reads a third of what one pass over all grains would,
/// and the coarser grains read rollup rows, not answers).
pub fn rebuild(backend: DbBackend) -> Vec<String> {
    let mut statements = vec![format!("DELETE FROM {ANSWER_ROLLUPS}"), format!("DELETE FROM {SURVEY_ROLLUPS}")];
    let days = contributions_at(backend, Scope::Everything, Direction::Add, Purpose::Rebuild);
    statements.extend(days.into_iter().map(|c| c.sql));
    for (grain, finer) in [('M', 'D'), ('Y', 'M')] {
        let slice = coarser_slice(backend, grain);
        statements.push(format!(
            "INSERT INTO {ANSWER_ROLLUPS} ({ANSWER_COLUMNS}, answers, commented) \
             SELECT '{grain}', {slice}, metric, touchpoint_kind, channel, segment, region, order_status, score, \
             SUM(answers), SUM(commented) FROM {ANSWER_ROLLUPS} WHERE grain = '{finer}' \
             GROUP BY 2, 3, 4, 5, 6, 7, 8, 9"
        ));
        statements.push(format!(
            "INSERT INTO {SURVEY_ROLLUPS} ({SURVEY_COLUMNS}, surveyed, answered_nps, answered_csat, answered_ces) \
             SELECT '{grain}', {slice}, touchpoint_kind, channel, segment, region, order_status, \
             SUM(surveyed), SUM(answered_nps), SUM(answered_csat), SUM(answered_ces) FROM {SURVEY_ROLLUPS} \
             WHERE grain = '{finer}' GROUP BY 2, 3, 4, 5, 6, 7"
        ));
    }
    statements
}

/// The key columns of the answer rollups and of the survey rollups, grain and slice first.
const ANSWER_COLUMNS: &str = "grain, slice, metric, touchpoint_kind, channel, segment, region, order_status, score";
const SURVEY_COLUMNS: &str = "grain, slice, touchpoint_kind, channel, segment, region, order_status";

/// The slice of grain `grain` (`M` or `Y`) holding a finer rollup row's slice (a day number).
fn coarser_slice(backend: DbBackend, grain: char) -> String {
    let unit = if grain == 'M' { "month" } else { "year" };
    match backend {
        DbBackend::Postgres => format!(
            "CAST(date_trunc('{unit}', CAST(DATE '1970-01-01' + CAST(slice AS INTEGER) AS TIMESTAMP)) AS DATE) \
             - DATE '1970-01-01'"
        ),
        _ => format!("(unixepoch(date(slice * 86400, 'unixepoch', 'start of {unit}')) / 86400)"),
    }
}
