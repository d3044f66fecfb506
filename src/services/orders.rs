//! Orders: filters, sort orders and the customer they hang off.

use chrono::{DateTime, Utc};
use entity::OrderStatus;
use entity::order::{Column, Entity, Model};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, Select};

use crate::error::{AppError, AppResult};
use crate::services::filters::{TimeRange, any_of, at_or_after, narrowed};
use crate::services::insight_dimensions::customers_matching;
use crate::services::listing::Listing;
use crate::services::pagination::{CursorValue, ParentColumn, Sort, SortField, pageable_by_id};

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct OrderFilter {
    pub statuses: Option<Vec<OrderStatus>>,
    pub currencies: Option<Vec<String>>,
    pub placed_at: TimeRange,
    /// The customer's segment.
    pub segments: Option<Vec<String>>,
    /// The customer's region.
    pub regions: Option<Vec<String>>,
    pub updated_since: Option<DateTime<Utc>>,
}

impl OrderFilter {
    pub fn condition(&self) -> Condition {
        let cond = Condition::all()
            .add_option(any_of(Column::Status, &self.statuses))
            .add_option(any_of(Column::Currency, &self.currencies))
            .add_option(self.placed_at.condition(Column::PlacedAt))
            .add_option(at_or_after(Column::UpdatedAt, self.updated_since));
        // The insights' dimensions, by the same conditions (`insight_dimensions`).
        match customers_matching(self.segments.as_deref(), self.regions.as_deref()) {
            Some(customers) => cond.add(Column::CustomerId.in_subquery(customers)),
            None => cond,
        }
    }
}

/// Amounts compare only within one currency: ordering by the total amount needs a filter on exactly
/// one currency (otherwise 100 JPY would come before 2 EUR).
pub fn check_sort(filter: &OrderFilter, sort: &Sort<OrderSort>) -> AppResult<()> {
    let one_currency = filter.currencies.as_ref().is_some_and(|c| c.len() == 1);
    if sort.field == OrderSort::TotalAmount && !one_currency {
        return Err(AppError::bad_input(
            "orderBy.field",
            "TOTAL_AMOUNT compares amounts within one currency: give filter.currencies exactly one currency",
        ));
    }
    Ok(())
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum OrderSort {
    Id,
    PlacedAt,
    TotalAmount,
    /// When a write last changed the order.
    UpdatedAt,
}

impl SortField for OrderSort {
    type Entity = Entity;

    fn name(self) -> String {
        let name = match self {
            OrderSort::Id => "id",
            OrderSort::PlacedAt => "placedAt",
            OrderSort::TotalAmount => "totalAmount",
            OrderSort::UpdatedAt => "updatedAt",
        };
        name.to_owned()
    }

    fn expr(self) -> Expr {
        Expr::col(self.column().as_column_ref())
    }

    fn value(self, model: &Model) -> Option<CursorValue> {
        Some(self.cursor_value(model))
    }
}

impl OrderSort {
    fn column(self) -> Column {
        match self {
            OrderSort::Id => Column::Id,
            OrderSort::PlacedAt => Column::PlacedAt,
            OrderSort::TotalAmount => Column::TotalAmountMinor,
            OrderSort::UpdatedAt => Column::UpdatedAt,
        }
    }

    fn cursor_value(self, model: &Model) -> CursorValue {
        match self {
            OrderSort::Id => CursorValue::Int(model.id),
            OrderSort::PlacedAt => CursorValue::Time(model.placed_at),
            OrderSort::TotalAmount => CursorValue::Int(model.total_amount_minor),
            OrderSort::UpdatedAt => CursorValue::Time(model.updated_at),
        }
    }
}

pageable_by_id!(id, external_id, customer_id, placed_at, status, total_amount_minor, currency, recorded_at, updated_at);

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum OrderParent {
    Customer,
}

impl Listing for Entity {
    type Filter = OrderFilter;
    type Sort = OrderSort;
    type Parent = OrderParent;

    fn filtered(filter: &OrderFilter) -> Select<Self> {
        narrowed(Entity::find(), filter.condition())
    }

    fn scoped(select: Select<Self>, parent: OrderParent) -> (Select<Self>, ParentColumn) {
        match parent {
            OrderParent::Customer => (select, ParentColumn::of(Column::CustomerId)),
        }
    }
}
