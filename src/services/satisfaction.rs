//! Satisfaction aggregation in SQL: per-score answer counts (histograms) and survey response counts, per
//! group and time bucket. The statistics on top are computed by the pure `stats` module.
//!
//! Two statements per source, whatever the number of groups and buckets (so four when a query reads
//! whole days from the rollups and the rest from the rows):
//! 1. answers: `GROUP BY <dimensions>, <bucket>, score` over feedback (bucketed by `submitted_at`);
//! 2. surveys: `GROUP BY <dimensions>, <bucket>` over touchpoints with a survey sent (bucketed by
//!    `survey_sent_at`), counting those answered with the metric, for the response rate.
//!
//! The sources are the rows (here) and the rollups (`rollups::query`): with rollups, a query reads its
//! whole slices from them and the hours at its ends from the rows, so four statements at most.
//!
//! Time buckets are computed in Rust (calendar rules, time zones) and joined as a `VALUES` list, so the
//! SQL is the same on SQLite and PostgreSQL and each bucket is an index range scan.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{Channel, OrderStatus, SurveyMetric, TouchpointKind, customer, feedback, order, touchpoint};
use sea_orm::sea_query::{
    Alias, Asterisk, Cond, Expr, ExprTrait, Func, IntoTableRef, JoinType, Query, QueryStatementBuilder,
    SelectStatement, TableRef, ValueTuple,
};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, TransactionSession, TransactionTrait};

use crate::domain::buckets::Bucket;
use crate::error::{AppError, AppResult};
use crate::rollups::{self, CountSource, plan::Plan, plan::SlicePiece};
use crate::services::filters::TimeRange;
use crate::services::sql::signed_column;
use crate::stats::comparison::{Comparison, compare};
use crate::stats::histogram::ScoreHistogram;
use crate::stats::satisfaction::Satisfaction;

/// A dimension satisfaction can be grouped by.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    TouchpointKind,
    Channel,
    Segment,
    Region,
}

/// Which answers (and surveys) count.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SatisfactionFilter {
    /// On `submitted_at` for answers, on `survey_sent_at` for surveys.
    pub period: TimeRange,
    pub touchpoint_kinds: Option<Vec<TouchpointKind>>,
    pub channels: Option<Vec<Channel>>,
    pub segments: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
    pub order_statuses: Option<Vec<OrderStatus>>,
}

impl SatisfactionQuery {
    /// Whether the statements must join customers: only for their segment or region (every answer and
    /// touchpoint has a customer, so the join filters nothing otherwise).
    fn needs_customer(&self) -> bool {
        self.filter.segments.is_some()
            || self.filter.regions.is_some()
            || self.group_by.iter().any(|d| matches!(d, Dimension::Segment | Dimension::Region))
    }

    /// Whether the answers statement must join touchpoints (to filter or group by them).
    fn needs_answer_touchpoint(&self) -> bool {
        self.filter.needs_touchpoint()
            || self.group_by.iter().any(|d| matches!(d, Dimension::TouchpointKind | Dimension::Channel))
    }
}

impl SatisfactionFilter {
    /// Answers without a touchpoint (relationship surveys) can only match when no touchpoint or order
    /// condition is set.
    fn needs_touchpoint(&self) -> bool {
        self.touchpoint_kinds.is_some() || self.channels.is_some() || self.order_statuses.is_some()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SatisfactionQuery {
    pub metric: SurveyMetric,
    pub filter: SatisfactionFilter,
    /// Distinct, in the order the columns should appear.
    pub group_by: Vec<Dimension>,
    /// When set, results are split by these buckets (index into the list).
    pub buckets: Option<Vec<Bucket>>,
}

/// The group a count belongs to: the requested dimensions (None where not grouped, or where the answer
/// has no touchpoint) and the bucket index.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    pub touchpoint_kind: Option<String>,
    pub channel: Option<String>,
    pub segment: Option<String>,
    pub region: Option<String>,
    pub bucket: Option<usize>,
}

/// What SQL returns for one group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupCounts {
    /// `(score, answers)` pairs.
    pub histogram: Vec<(i32, u64)>,
    /// Answers with a non-empty comment.
    pub commented: u64,
    /// Touchpoints with a survey sent.
    pub surveyed: u64,
    /// Of those, touchpoints with at least one answer of the metric.
    pub answered: u64,
}

const F: &str = "f";
const T: &str = "t";
const C: &str = "c";
const O: &str = "o";
const B: &str = "b";

fn col(table: &str, column: impl sea_orm::sea_query::IntoIden) -> Expr {
    Expr::col((Alias::new(table), column))
}

fn dimension_column(dimension: Dimension) -> Expr {
    match dimension {
        Dimension::TouchpointKind => col(T, touchpoint::Column::Kind),
        Dimension::Channel => col(T, touchpoint::Column::Channel),
        Dimension::Segment => col(C, customer::Column::Segment),
        Dimension::Region => col(C, customer::Column::Region),
    }
}

pub(crate) fn dimension_alias(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::TouchpointKind => "g_kind",
        Dimension::Channel => "g_channel",
        Dimension::Segment => "g_segment",
        Dimension::Region => "g_region",
    }
}

/// The conditions shared by both statements, except the time column.
fn set_conditions(filter: &SatisfactionFilter) -> Cond {
    let mut cond = Cond::all();
    if let Some(kinds) = &filter.touchpoint_kinds {
        cond = cond.add(col(T, touchpoint::Column::Kind).is_in(kinds.iter().map(|k| sea_orm::Value::from(*k))));
    }
    if let Some(channels) = &filter.channels {
        cond = cond.add(col(T, touchpoint::Column::Channel).is_in(channels.iter().map(|c| sea_orm::Value::from(*c))));
    }
    if let Some(segments) = &filter.segments {
        cond = cond.add(col(C, customer::Column::Segment).is_in(segments.iter().cloned()));
    }
    if let Some(regions) = &filter.regions {
        cond = cond.add(col(C, customer::Column::Region).is_in(regions.iter().cloned()));
    }
    if let Some(statuses) = &filter.order_statuses {
        // A semi-join: the planner keeps driving from the answers (or touchpoints) in the period
        // instead of from every order with the status.
        let of_status = Query::select()
            .expr(Expr::val(1))
            .from_as(order::Entity, Alias::new(O))
            .and_where(col(O, order::Column::Id).equals((Alias::new(T), touchpoint::Column::OrderId)))
            .and_where(col(O, order::Column::Status).is_in(statuses.iter().map(|s| sea_orm::Value::from(*s))))
            .to_owned();
        cond = cond.add(Expr::exists(of_status));
    }
    cond
}

/// The query's period, unless slots say which ranges count (they lie inside it, or, counted with a
/// negative sign, just outside it).
fn period_conditions(period: &TimeRange, time: &Expr, slots: Option<&[Slot]>) -> Cond {
    let mut cond = Cond::all();
    if slots.is_some_and(|slots| !slots.is_empty()) {
        return cond;
    }
    if let Some(from) = period.from {
        cond = cond.add(time.clone().gte(from));
    }
    if let Some(to) = period.to {
        cond = cond.add(time.clone().lt(to));
    }
    cond
}

/// A time range counted for one bucket (`slot`), `sign` times: 1, or -1 for a range a rollup slice
/// counted beyond its bucket.
type Slot = (usize, DateTime<Utc>, DateTime<Utc>, i64);

/// Starts the statement: from the slots (joined on `time`) or straight from `table`.
fn from_slots_or_table(select: &mut SelectStatement, slots: Option<&[Slot]>, table: TableRef, time: Expr) {
    match slots {
        Some(slots) if !slots.is_empty() => {
            let rows: Vec<ValueTuple> = slots
                .iter()
                .map(|(i, start, end, sign)| {
                    ValueTuple::Many(vec![(*i as i64).into(), (*start).into(), (*end).into(), (*sign).into()])
                })
                .collect();
            let start = col(B, Alias::new("column2"));
            let end = col(B, Alias::new("column3"));
            select.from_values(rows, Alias::new(B)).join(
                JoinType::InnerJoin,
                table,
                Cond::all().add(time.clone().gte(start)).add(time.lt(end)),
            );
            select
                .expr_as(col(B, Alias::new("column1")), Alias::new("g_bucket"))
                .add_group_by([col(B, Alias::new("column1"))]);
        }
        _ => {
            select.from(table);
        }
    }
}

fn group_columns(select: &mut SelectStatement, group_by: &[Dimension]) {
    for dimension in group_by {
        select.expr_as(dimension_column(*dimension), Alias::new(dimension_alias(*dimension)));
        select.add_group_by([dimension_column(*dimension)]);
    }
}

fn sum_of(condition: Expr) -> Expr {
    Func::sum(Expr::case(condition, 1).finally(0)).into()
}

/// How many rows count: each once, or, from slots, each as often as its slot's sign says. A BIGINT on
/// both backends (PostgreSQL sums BIGINTs as NUMERIC).
fn row_count(slots: Option<&[Slot]>) -> Expr {
    match slots {
        Some(slots) if !slots.is_empty() => bigint(Func::sum(col(B, Alias::new("column4"))).into()),
        _ => Expr::col(Asterisk).count(),
    }
}

/// `sum_of` with the slots' signs.
fn signed_sum_of(condition: Expr, slots: Option<&[Slot]>) -> Expr {
    match slots {
        Some(slots) if !slots.is_empty() => {
            bigint(Func::sum(Expr::case(condition, col(B, Alias::new("column4"))).finally(0)).into())
        }
        _ => sum_of(condition),
    }
}

fn bigint(expr: Expr) -> Expr {
    Func::cast_as(expr, Alias::new("BIGINT")).into()
}

/// Statement 1: answers per group, bucket and score.
fn answers_statement(query: &SatisfactionQuery, slots: Option<&[Slot]>, backend: DbBackend) -> SelectStatement {
    let submitted = col(F, feedback::Column::SubmittedAt);
    let mut select = Query::select();
    let feedback_table = feedback::Entity.into_table_ref().alias(Alias::new(F));
    from_slots_or_table(&mut select, slots, feedback_table, submitted.clone());
    if query.needs_answer_touchpoint() {
        let touchpoint_join = if query.filter.needs_touchpoint() { JoinType::InnerJoin } else { JoinType::LeftJoin };
        select.join_as(
            touchpoint_join,
            touchpoint::Entity,
            Alias::new(T),
            col(T, touchpoint::Column::Id).equals((Alias::new(F), feedback::Column::TouchpointId)),
        );
    }
    if query.needs_customer() {
        select.join_as(
            JoinType::InnerJoin,
            customer::Entity,
            Alias::new(C),
            col(C, customer::Column::Id).equals((Alias::new(F), feedback::Column::CustomerId)),
        );
    }
    group_columns(&mut select, &query.group_by);
    let comment = col(F, feedback::Column::Comment);
    // With a time range, the `submitted_at` index should drive.
    let timed = slots.is_some() || query.filter.period.from.is_some() || query.filter.period.to.is_some();
    let metric = metric_is(F, query.metric, timed.then_some(backend));
    select
        .expr_as(col(F, feedback::Column::Score), Alias::new("score"))
        .expr_as(row_count(slots), Alias::new("answers"))
        .expr_as(signed_sum_of(comment.clone().is_not_null().and(comment.ne("")), slots), Alias::new("commented"))
        .and_where(metric)
        .cond_where(set_conditions(&query.filter))
        .cond_where(period_conditions(&query.filter.period, &submitted, slots))
        .add_group_by([col(F, feedback::Column::Score)]);
    select.to_owned()
}

/// How the raw statements read: on which database, and whether only the edges of rollup slices (a few
/// hours at each end) or whole periods.
#[derive(Clone, Copy)]
struct RowsRead {
    backend: DbBackend,
    edges: bool,
}

/// `table.metric = metric`. Where another index should drive (`other_index_on`: the backend), SQLite
/// gets `COALESCE(metric, '') = metric`, which it cannot serve from the `(metric, score)` index that it,
/// planning without statistics, otherwise prefers. PostgreSQL plans from statistics and gets the plain
/// comparison: `COALESCE`'s default estimate (0.5% of the answers) made it loop over every answer of
/// the metric once per time slot.
fn metric_is(table: &str, metric: SurveyMetric, other_index_on: Option<DbBackend>) -> Expr {
    let column = col(table, feedback::Column::Metric);
    if other_index_on == Some(DbBackend::Sqlite) {
        Expr::expr(Func::coalesce([column, Expr::val("")])).eq(metric)
    } else {
        column.eq(metric)
    }
}

/// The answered-touchpoint test: a touchpoint (`t`) counts as answered for a metric when it has at
/// least one answer of that metric. The rollups count surveys with the same test
/// (`migration::rollup_sql`).
fn answered(metric: SurveyMetric, rows: RowsRead) -> Expr {
    // An index seek on `feedback (touchpoint_id, ...)` per touchpoint. SQLite without statistics served
    // it from the `(metric, score)` index instead, scanning every answer of the metric for each
    // touchpoint (over five minutes at 1.6 M touchpoints, against a few seconds with the index hidden).
    // A derived table joined by id is no better there: the bundled SQLite builds no automatic index for
    // it and scans it per touchpoint too.
    let mut answer = Query::select()
        .expr(Expr::val(1))
        .from_as(feedback::Entity, Alias::new("fa"))
        .and_where(col("fa", feedback::Column::TouchpointId).equals((Alias::new(T), touchpoint::Column::Id)))
        .and_where(metric_is("fa", metric, Some(rows.backend)))
        .to_owned();
    // PostgreSQL may run `EXISTS` as one hash of every answer of the metric, and does when it expects
    // many touchpoints, which it does for a join on time ranges whatever their length. For the few
    // touchpoints of edges, the same lookup as a scalar subquery (which it cannot hash) seeks by
    // touchpoint instead: 40 ms, not 440, at a million answers.
    if rows.edges && rows.backend == DbBackend::Postgres {
        answer.limit(1);
        Expr::SubQuery(None, Box::new(answer.into_sub_query_statement())).is_not_null()
    } else {
        Expr::exists(answer)
    }
}

/// Statement 2: touchpoints with a survey sent, and how many got an answer of the metric.
fn surveys_statement(query: &SatisfactionQuery, slots: Option<&[Slot]>, rows: RowsRead) -> SelectStatement {
    let sent = col(T, touchpoint::Column::SurveySentAt);
    let mut select = Query::select();
    let touchpoint_table = touchpoint::Entity.into_table_ref().alias(Alias::new(T));
    from_slots_or_table(&mut select, slots, touchpoint_table, sent.clone());
    if query.needs_customer() {
        select.join_as(
            JoinType::InnerJoin,
            customer::Entity,
            Alias::new(C),
            col(C, customer::Column::Id).equals((Alias::new(T), touchpoint::Column::CustomerId)),
        );
    }
    group_columns(&mut select, &query.group_by);
    select
        .expr_as(row_count(slots), Alias::new("surveyed"))
        .expr_as(signed_sum_of(answered(query.metric, rows), slots), Alias::new("answered"))
        .and_where(sent.clone().is_not_null())
        .cond_where(set_conditions(&query.filter))
        .cond_where(period_conditions(&query.filter.period, &sent, slots));
    select.to_owned()
}

/// The group of a row of either source. Answers without a touchpoint have no kind or channel: NULL from
/// the rows (an outer join), '' from the rollups (a key column); both read as None.
pub(crate) fn read_key(row: &QueryResult, query: &SatisfactionQuery) -> AppResult<GroupKey> {
    let text = |dimension: Dimension| -> AppResult<Option<String>> {
        if !query.group_by.contains(&dimension) {
            return Ok(None);
        }
        let value: Option<String> = row.try_get("", dimension_alias(dimension)).map_err(AppError::from_db)?;
        let no_touchpoint =
            matches!(dimension, Dimension::TouchpointKind | Dimension::Channel) && value.as_deref() == Some("");
        Ok(if no_touchpoint { None } else { value })
    };
    let bucket = match &query.buckets {
        Some(_) => {
            let index: i64 = row.try_get("", "g_bucket").map_err(AppError::from_db)?;
            Some(usize::try_from(index).map_err(|_| AppError::Internal("negative bucket index".into()))?)
        }
        None => None,
    };
    Ok(GroupKey {
        touchpoint_kind: text(Dimension::TouchpointKind)?,
        channel: text(Dimension::Channel)?,
        segment: text(Dimension::Segment)?,
        region: text(Dimension::Region)?,
        bucket,
    })
}

/// Answer and survey counts per group, before groups are matched up. Signed while they are added up:
/// a plan may count a range once too often in one piece and take it out in another.
#[derive(Default)]
struct Tally {
    answers: BTreeMap<GroupKey, SignedCounts>,
    surveys: BTreeMap<GroupKey, (i64, i64)>,
}

#[derive(Default)]
struct SignedCounts {
    histogram: Vec<(i32, i64)>,
    commented: i64,
}

impl Tally {
    fn add_answers(&mut self, key: GroupKey, score: i32, answers: i64, commented: i64) {
        let counts = self.answers.entry(key).or_default();
        match counts.histogram.iter_mut().find(|(s, _)| *s == score) {
            Some((_, n)) => *n += answers,
            None => counts.histogram.push((score, answers)),
        }
        counts.commented += commented;
    }

    fn add_surveys(&mut self, key: GroupKey, surveyed: i64, answered: i64) {
        let counts = self.surveys.entry(key).or_default();
        counts.0 += surveyed;
        counts.1 += answered;
    }

    /// Reads the raw statements over `slots` (the buckets, or the partial days a plan left to the rows:
    /// `edges`).
    async fn add_rows(
        &mut self,
        db: &(impl ConnectionTrait + TransactionTrait),
        query: &SatisfactionQuery,
        slots: Option<&[Slot]>,
        edges: bool,
    ) -> AppResult<()> {
        let rows = RowsRead { backend: db.get_database_backend(), edges };
        if !(edges && rows.backend == DbBackend::Postgres) {
            return self.read_rows(db, query, slots, rows).await;
        }
        // PostgreSQL estimates a join on a list of time ranges generically (a tenth of the table per
        // range) and, for the few answers of edges, would hash every touchpoint to join them: nested
        // loops over the indexes are the plan (70 ms instead of 580 at a million answers).
        let txn = db.begin().await.map_err(AppError::from_db)?;
        txn.execute_unprepared("SET LOCAL enable_hashjoin = off").await.map_err(AppError::from_db)?;
        self.read_rows(&txn, query, slots, rows).await?;
        txn.commit().await.map_err(AppError::from_db)
    }

    async fn read_rows(
        &mut self,
        db: &impl ConnectionTrait,
        query: &SatisfactionQuery,
        slots: Option<&[Slot]>,
        rows: RowsRead,
    ) -> AppResult<()> {
        for row in db.query_all(&answers_statement(query, slots, rows.backend)).await.map_err(AppError::from_db)? {
            let score: i32 = row.try_get("", "score").map_err(AppError::from_db)?;
            let (answers, commented) = (signed_column(&row, "answers")?, signed_column(&row, "commented")?);
            self.add_answers(read_key(&row, query)?, score, answers, commented);
        }
        for row in db.query_all(&surveys_statement(query, slots, rows)).await.map_err(AppError::from_db)? {
            let (surveyed, answered) = (signed_column(&row, "surveyed")?, signed_column(&row, "answered")?);
            self.add_surveys(read_key(&row, query)?, surveyed, answered);
        }
        Ok(())
    }

    async fn add_rollups(
        &mut self,
        db: &impl ConnectionTrait,
        query: &SatisfactionQuery,
        slices: &[SlicePiece],
    ) -> AppResult<()> {
        for (key, score, answers, commented) in rollups::query::answers(db, query, slices).await? {
            self.add_answers(key, score, answers, commented);
        }
        for (key, surveyed, answered) in rollups::query::surveys(db, query, slices).await? {
            self.add_surveys(key, surveyed, answered);
        }
        Ok(())
    }

    /// Surveys only add to groups that have answers: a touchpoint does not record which question its
    /// survey asked, so a group with surveys but no answer of this metric (DELIVERY asking CSAT, when
    /// the query is about NPS) is not a group of this metric. Zero-filled buckets of a group keep theirs.
    /// Relationship surveys have no touchpoint and so no survey-sent record: they have no response rate.
    fn into_groups(self) -> BTreeMap<GroupKey, GroupCounts> {
        // Every count adds up to what the rows hold, never below zero.
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        let mut groups: BTreeMap<GroupKey, GroupCounts> = self
            .answers
            .into_iter()
            .filter_map(|(key, counts)| {
                let mut histogram: Vec<(i32, u64)> =
                    counts.histogram.into_iter().filter(|(_, n)| *n > 0).map(|(s, n)| (s, count(n))).collect();
                histogram.sort_unstable();
                // A group whose answers were all taken out again has none.
                (!histogram.is_empty())
                    .then(|| (key, GroupCounts { histogram, commented: count(counts.commented), ..Default::default() }))
            })
            .collect();
        let answered_groups: std::collections::BTreeSet<GroupKey> =
            groups.keys().map(|k| GroupKey { bucket: None, ..k.clone() }).collect();
        for (key, (surveyed, answered)) in self.surveys {
            // Surveys all taken out again, or of a group without answers of this metric.
            if surveyed == 0 || !answered_groups.contains(&GroupKey { bucket: None, ..key.clone() }) {
                continue;
            }
            let counts = groups.entry(key).or_default();
            counts.surveyed += count(surveyed);
            counts.answered += count(answered);
        }
        groups
    }
}

/// The part of a bucket the period reaches.
fn within_period(bucket: &Bucket, period: &TimeRange) -> (DateTime<Utc>, DateTime<Utc>) {
    let from = period.from.map_or(bucket.start, |f| Ord::max(f, bucket.start));
    let to = period.to.map_or(bucket.end, |t| Ord::min(t, bucket.end));
    (from, to)
}

/// The rollup slices and raw partial days covering the query's period (or each bucket of it).
fn plan_for(query: &SatisfactionQuery) -> Plan {
    let period = &query.filter.period;
    let mut plan = Plan::default();
    match &query.buckets {
        Some(buckets) => {
            for (slot, bucket) in buckets.iter().enumerate() {
                let (from, to) = within_period(bucket, period);
                plan.cover(slot, Some(from), Some(to));
            }
        }
        None => plan.cover(0, period.from, period.to),
    }
    plan
}

/// Counts per group (and bucket): from the rollups for whole days where the query allows, and from the
/// rows for the rest. Groups with surveys but no answers are left out.
pub async fn satisfaction_counts(
    db: &(impl ConnectionTrait + TransactionTrait),
    query: &SatisfactionQuery,
    source: CountSource,
) -> AppResult<BTreeMap<GroupKey, GroupCounts>> {
    let mut tally = Tally::default();
    if query.buckets.as_ref().is_some_and(|b| b.is_empty()) {
        return Ok(tally.into_groups());
    }
    if source == CountSource::Rollups {
        let plan = plan_for(query);
        if !plan.raw.is_empty() {
            let slots: Vec<Slot> = plan.raw.iter().map(|p| (p.slot, p.start, p.end, p.sign)).collect();
            tally.add_rows(db, query, Some(&slots), true).await?;
        }
        if !plan.slices.is_empty() {
            tally.add_rollups(db, query, &plan.slices).await?;
        }
    } else {
        let slots: Option<Vec<Slot>> = query.buckets.as_ref().map(|buckets| {
            buckets
                .iter()
                .enumerate()
                .map(|(i, bucket)| {
                    let (from, to) = within_period(bucket, &query.filter.period);
                    (i, from, Ord::max(to, from), 1)
                })
                .collect()
        });
        tally.add_rows(db, query, slots.as_deref(), false).await?;
    }
    Ok(tally.into_groups())
}

/// The time range a filter's period covers, required for time series.
pub fn bounded_period(period: &TimeRange) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    match (period.from, period.to) {
        (Some(from), Some(to)) => Ok((from, to)),
        _ => Err(AppError::bad_input("filter.period", "a time series needs a period with both from and to")),
    }
}

/// One row of a satisfaction report: its group, its bucket and its statistics.
#[derive(Clone, Debug)]
pub struct ReportRow {
    pub key: GroupKey,
    pub bucket: Option<Bucket>,
    pub counts: GroupCounts,
    pub satisfaction: Satisfaction,
}

/// The statistics of one group's counts.
pub fn score(metric: SurveyMetric, counts: &GroupCounts, min_sample: u64) -> AppResult<Satisfaction> {
    let histogram = ScoreHistogram::from_counts(metric, counts.histogram.iter().copied())
        .map_err(|e| AppError::Internal(format!("corrupt feedback row: {e}")))?;
    Ok(Satisfaction::of(&histogram, min_sample))
}

/// Runs a satisfaction query and lays its rows out: one per group (one in all without grouping, even
/// when empty) and, for a time series, one per group and bucket, with empty buckets zero-filled.
pub async fn report(
    db: &(impl ConnectionTrait + TransactionTrait),
    query: &SatisfactionQuery,
    min_sample: u64,
    source: CountSource,
) -> AppResult<Vec<ReportRow>> {
    let counts = satisfaction_counts(db, query, source).await?;
    let mut groups: Vec<GroupKey> = counts.keys().map(|k| GroupKey { bucket: None, ..k.clone() }).collect();
    groups.dedup();
    if query.group_by.is_empty() && groups.is_empty() {
        groups.push(GroupKey::default());
    }
    let bucket_slots: Vec<Option<(usize, Bucket)>> = match &query.buckets {
        Some(buckets) => buckets.iter().copied().enumerate().map(Some).collect(),
        None => vec![None],
    };
    let mut rows = Vec::with_capacity(groups.len() * bucket_slots.len());
    for group in &groups {
        for slot in &bucket_slots {
            let key = GroupKey { bucket: slot.map(|(i, _)| i), ..group.clone() };
            let group_counts = counts.get(&key).cloned().unwrap_or_default();
            let satisfaction = score(query.metric, &group_counts, min_sample)?;
            rows.push(ReportRow { key, bucket: slot.map(|(_, b)| b), counts: group_counts, satisfaction });
        }
    }
    Ok(rows)
}

/// One group of a comparison between a current and a baseline set.
#[derive(Clone, Debug)]
pub struct ComparisonRow {
    pub key: GroupKey,
    pub current: (GroupCounts, Satisfaction),
    pub baseline: (GroupCounts, Satisfaction),
    pub comparison: Option<Comparison>,
}

/// Compares the same metric over two sets, per group (no time series).
pub async fn compare_sets(
    db: &(impl ConnectionTrait + TransactionTrait),
    current: &SatisfactionQuery,
    baseline: &SatisfactionQuery,
    min_sample: u64,
    source: CountSource,
) -> AppResult<Vec<ComparisonRow>> {
    let current_counts = satisfaction_counts(db, current, source).await?;
    let baseline_counts = satisfaction_counts(db, baseline, source).await?;
    let mut keys: Vec<GroupKey> = current_counts.keys().chain(baseline_counts.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    if current.group_by.is_empty() && keys.is_empty() {
        keys.push(GroupKey::default());
    }
    keys.into_iter()
        .map(|key| {
            let a = current_counts.get(&key).cloned().unwrap_or_default();
            let b = baseline_counts.get(&key).cloned().unwrap_or_default();
            let (sa, sb) = (score(current.metric, &a, min_sample)?, score(current.metric, &b, min_sample)?);
            let comparison = compare(&sa, &sb);
            Ok(ComparisonRow { key, current: (a, sa), baseline: (b, sb), comparison })
        })
        .collect()
}

/// The period of equal length just before `[from, to)`.
pub fn previous_period(period: &TimeRange) -> AppResult<TimeRange> {
    let (from, to) = match (period.from, period.to) {
        (Some(from), Some(to)) => (from, to),
        _ => {
            return Err(AppError::bad_input(
                "filter.period",
                "comparing with the previous period needs a period with both from and to (or give a baseline)",
            ));
        }
    };
    Ok(TimeRange { from: Some(from - (to - from)), to: Some(from) })
}

/// Every score of the metric's scale with its count, zeros included, lowest first.
pub fn score_histogram(metric: SurveyMetric, counts: &GroupCounts) -> Vec<(i32, u64)> {
    let (low, high) = metric.score_range();
    (low..=high)
        .map(|score| (score, counts.histogram.iter().filter(|(s, _)| *s == score).map(|(_, c)| c).sum()))
        .collect()
}
