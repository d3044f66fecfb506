//! Complaints: filters, sort orders and the customer, order or answer they hang off.

use entity::complaint::{Column, Entity, Model};
use entity::{Channel, ComplaintCategory, ComplaintOutcome, ComplaintStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, Select};

use crate::services::filters::{TimeRange, any_of};
use crate::services::listing::Listing;
use crate::services::pagination::{CursorValue, Pageable, ParentColumn, SortField};

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
            .add(any_of(Column::Category, &self.categories))
            .add(any_of(Column::Channel, &self.channels))
            .add(any_of(Column::Status, &self.statuses))
            .add(any_of(Column::Outcome, &self.outcomes))
            .add(self.opened_at.condition(Column::OpenedAt))
            .add(self.resolved_at.condition(Column::ResolvedAt))
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

impl Pageable for Entity {
    fn id_column() -> Column {
        Column::Id
    }

    fn id_of(model: &Model) -> i64 {
        model.id
    }
}

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
        Entity::find().filter(filter.condition())
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
