//! Satisfaction counts from the rows: the answers and surveys statements over feedback and touchpoints,
//! for whole periods, for the buckets of a time series, or for the partial days at the ends of rollup
//! slices (`edges`).

use entity::{SurveyMetric, customer, feedback, touchpoint};
use sea_orm::sea_query::{
    Alias, Asterisk, Cond, Expr, ExprTrait, Func, IntoTableRef, JoinType, Query, QueryStatementBuilder,
    SelectStatement, TableRef, ValueTuple,
};
use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};

use super::keys::dimension_alias;
use super::periods::Slot;
use super::tally::Counts;
use super::{Dimension, GroupKey, SatisfactionFilter, SatisfactionQuery};
use crate::db::analytic_read;
use crate::error::{AppError, AppResult};
use crate::services::filters::TimeRange;
use crate::services::insight_dimensions::{CUSTOMER, TOUCHPOINT, customer_condition, touchpoint_condition};

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

const F: &str = "f";
const T: &str = TOUCHPOINT;
const C: &str = CUSTOMER;
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

/// The conditions shared by both statements, except the time column (`insight_dimensions`).
fn set_conditions(filter: &SatisfactionFilter) -> Cond {
    let mut cond = Cond::all();
    let (kinds, channels) = (filter.touchpoint_kinds.as_deref(), filter.channels.as_deref());
    if let Some(touchpoint) = touchpoint_condition(kinds, channels, filter.order_statuses.as_deref()) {
        cond = cond.add(touchpoint);
    }
    if let Some(customer) = customer_condition(filter.segments.as_deref(), filter.regions.as_deref()) {
        cond = cond.add(customer);
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

/// Starts the statement: from the slots (joined on `time`) or straight from `table` (its rows `alias`).
/// On PostgreSQL the slots join `table` as a `LATERAL` subquery kept apart by `OFFSET 0`, with `within`
/// (the conditions an index on `time` can serve with it, e.g. the metric): each slot is then one range
/// of that index. Joined plainly, PostgreSQL estimates a join on a list of time ranges generically and
/// reads every answer of the metric, testing each against each slot (140 ms instead of 1 for the edges
/// of a quarter at a million answers). SQLite reads each slot's range through the index either way.
fn from_slots_or_table(
    select: &mut SelectStatement,
    slots: Option<&[Slot]>,
    (table, alias): (TableRef, &str),
    time: Expr,
    within: Cond,
    backend: DbBackend,
) {
    let Some(slots) = slots.filter(|slots| !slots.is_empty()) else {
        select.from(table.alias(Alias::new(alias)));
        return;
    };
    let rows: Vec<ValueTuple> = slots
        .iter()
        .map(|(i, start, end, sign)| {
            ValueTuple::Many(vec![(*i as i64).into(), (*start).into(), (*end).into(), (*sign).into()])
        })
        .collect();
    let in_slot =
        Cond::all().add(time.clone().gte(col(B, Alias::new("column2")))).add(time.lt(col(B, Alias::new("column3"))));
    select.from_values(rows, Alias::new(B));
    if backend == DbBackend::Postgres {
        let mut rows_in_slot = Query::select();
        rows_in_slot
            .column(Asterisk)
            .from(table.alias(Alias::new(alias)))
            .cond_where(in_slot)
            .cond_where(within)
            .offset(0);
        select.join_lateral(JoinType::InnerJoin, rows_in_slot.to_owned(), Alias::new(alias), Cond::all());
    } else {
        select.join(JoinType::InnerJoin, table.alias(Alias::new(alias)), in_slot);
    }
    select.expr_as(col(B, Alias::new("column1")), Alias::new("g_bucket")).add_group_by([col(B, Alias::new("column1"))]);
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
    let slotted = slots.is_some_and(|slots| !slots.is_empty());
    let metric = metric_is(F, query.metric, slotted.then_some(backend));
    let within = Cond::all().add(col(F, feedback::Column::Metric).eq(query.metric));
    from_slots_or_table(&mut select, slots, (feedback::Entity.into_table_ref(), F), submitted.clone(), within, backend);
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

/// `table.metric = metric`. A whole period's answers of a metric are one range of the
/// `(metric, submitted_at)` index. Where another index must drive (`other_index_on`: the backend), the
/// time index per slot of a series or of a period's edges, or the touchpoint index per answered-touchpoint
/// probe, SQLite gets `COALESCE(metric, '') = metric`, which no index serves: planning without statistics,
/// it would otherwise read every answer of the metric and join the slots or touchpoints to them (0.4 s
/// instead of 10 ms for the edges of a quarter at a million answers). PostgreSQL plans from statistics and
/// gets the plain comparison: `COALESCE`'s default estimate (0.5% of the answers) made it loop over every
/// answer of the metric once per time slot.
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
/// (`rollups::sql`).
fn answered(metric: SurveyMetric, rows: RowsRead) -> Expr {
    // An index seek on `feedback (touchpoint_id, ...)` per touchpoint (served from the metric's index,
    // it scanned every answer of the metric for each touchpoint: over five minutes at 1.6 M touchpoints,
    // against a few seconds).
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
    let table = (touchpoint::Entity.into_table_ref(), T);
    from_slots_or_table(&mut select, slots, table, sent.clone(), Cond::all(), rows.backend);
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

/// Reads the raw statements over `slots` (the buckets, or the partial days a plan left to the rows:
/// `edges`).
pub(super) async fn counts(
    db: &(impl ConnectionTrait + TransactionTrait),
    query: &SatisfactionQuery,
    slots: Option<&[Slot]>,
    edges: bool,
) -> AppResult<Counts> {
    let rows = RowsRead { backend: db.get_database_backend(), edges };
    if !(edges && rows.backend == DbBackend::Postgres) {
        // Two connections, one statement each.
        let (answers, surveys) =
            futures_util::try_join!(answers(db, query, slots, rows), surveys(db, query, slots, rows))?;
        return Ok(Counts { answers, surveys });
    }
    // PostgreSQL estimates a join on a list of time ranges generically (a tenth of the table per
    // range) and, for the few answers of edges, would hash every touchpoint to join them: nested
    // loops over the indexes are the plan (70 ms instead of 580 at a million answers).
    analytic_read(db, &["enable_hashjoin = off"], async |txn| {
        Ok(Counts {
            answers: answers(txn, query, slots, rows).await?,
            surveys: surveys(txn, query, slots, rows).await?,
        })
    })
    .await
}

async fn answers(
    db: &impl ConnectionTrait,
    query: &SatisfactionQuery,
    slots: Option<&[Slot]>,
    rows: RowsRead,
) -> AppResult<Vec<(GroupKey, i32, i64, i64)>> {
    let statement = answers_statement(query, slots, rows.backend);
    let read = db.query_all(&statement).await.map_err(AppError::from_db)?;
    read.iter().map(|row| Counts::answers_row(row, query)).collect()
}

async fn surveys(
    db: &impl ConnectionTrait,
    query: &SatisfactionQuery,
    slots: Option<&[Slot]>,
    rows: RowsRead,
) -> AppResult<Vec<(GroupKey, i64, i64)>> {
    let read = db.query_all(&surveys_statement(query, slots, rows)).await.map_err(AppError::from_db)?;
    read.iter().map(|row| Counts::surveys_row(row, query)).collect()
}
