//! Complaints: filters, sort orders and the customer, order or answer they hang off.

use chrono::{DateTime, Duration, Utc};
use entity::complaint::{Column, Entity, Model};
use entity::{Channel, ComplaintCategory, ComplaintOutcome, ComplaintStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

use crate::error::{AppError, AppResult};
use crate::services::filters::{TimeRange, any_of, narrowed};
use crate::services::listing::Listing;
use crate::services::pagination::{CursorValue, ParentColumn, SortField, pageable_by_id};

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ComplaintFilter {
    pub categories: Option<Vec<ComplaintCategory>>,
    pub channels: Option<Vec<Channel>>,
    pub statuses: Option<Vec<ComplaintStatus>>,
    /// Closed complaints with any of these outcomes; open ones (no outcome yet) never match.
    pub outcomes: Option<Vec<ComplaintOutcome>>,
    pub opened_at: TimeRange,
    /// Complaints closed in this range; open ones never match a range with a bound.
    pub resolved_at: TimeRange,
}

impl ComplaintFilter {
    pub fn condition(&self) -> Condition {
        Condition::all()
            .add_option(any_of(Column::Category, &self.categories))
            .add_option(any_of(Column::Channel, &self.channels))
            .add_option(any_of(Column::Status, &self.statuses))
            .add_option(any_of(Column::Outcome, &self.outcomes))
            .add_option(self.opened_at.condition(Column::OpenedAt))
            .add_option(self.resolved_at.condition(Column::ResolvedAt))
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ComplaintSort {
    Id,
    OpenedAt,
}

impl SortField for ComplaintSort {
    type Entity = Entity;

    fn name(self) -> String {
        let name = match self {
            ComplaintSort::Id => "id",
            ComplaintSort::OpenedAt => "openedAt",
        };
        name.to_owned()
    }

    fn expr(self) -> Expr {
        let column = match self {
            ComplaintSort::Id => Column::Id,
            ComplaintSort::OpenedAt => Column::OpenedAt,
        };
        Expr::col(column.as_column_ref())
    }

    fn value(self, model: &Model) -> Option<CursorValue> {
        Some(match self {
            ComplaintSort::Id => CursorValue::Int(model.id),
            ComplaintSort::OpenedAt => CursorValue::Time(model.opened_at),
        })
    }
}

pageable_by_id!(
    id,
    external_id,
    customer_id,
    order_id,
    feedback_id,
    category,
    channel,
    opened_at,
    first_response_at,
    resolved_at,
    status,
    outcome
);

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ComplaintParent {
    Customer,
    Order,
    /// The complaint an answer raised (at most one).
    Feedback,
}

impl Listing for Entity {
    type Filter = ComplaintFilter;
    type Sort = ComplaintSort;
    type Parent = ComplaintParent;

    fn filtered(filter: &ComplaintFilter) -> Select<Self> {
        narrowed(Entity::find(), filter.condition())
    }

    fn scoped(select: Select<Self>, parent: ComplaintParent) -> (Select<Self>, ParentColumn) {
        let column = match parent {
            ComplaintParent::Customer => Column::CustomerId,
            ComplaintParent::Order => Column::OrderId,
            ComplaintParent::Feedback => Column::FeedbackId,
        };
        (select, ParentColumn::of(column))
    }
}

/// The resolution time an SLA allows, from whole hours (1 to 8760, a year), or the refusal of `field`.
pub fn sla(field: &str, hours: i32) -> AppResult<Duration> {
    window_hours(field, hours)
}

/// A window after an event in whole hours (1 to 8760, a year), or the refusal of `field`.
pub fn window_hours(field: &str, hours: i32) -> AppResult<Duration> {
    if !(1..=8760).contains(&hours) {
        return Err(AppError::bad_input(field, "must be between 1 and 8760"));
    }
    Ok(Duration::hours(hours.into()))
}

/// Complaints still open (OPEN or IN_PROGRESS) whose `sla` ran out in `(after, until]`, i.e. opened in
/// `(after - sla, until - sla]`: oldest first, at most `limit`.
pub async fn past_sla(
    db: &impl ConnectionTrait,
    sla: Duration,
    (after, until): (DateTime<Utc>, DateTime<Utc>),
    limit: u64,
) -> AppResult<Vec<Model>> {
    Entity::find()
        .filter(Column::Status.is_in([ComplaintStatus::Open, ComplaintStatus::InProgress]))
        .filter(Column::OpenedAt.gt(after - sla))
        .filter(Column::OpenedAt.lte(until - sla))
        .order_by_asc(Column::OpenedAt)
        .order_by_asc(Column::Id)
        .limit(limit)
        .all(db)
        .await
        .map_err(AppError::from_db)
}
