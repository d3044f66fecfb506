//! Customers: filters and sort orders of the `customers` connection.

use entity::clv_customer;
use entity::customer::{self, Column, Entity, Model};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, DbErr, EntityTrait, QueryResult, Select};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::ExprTrait;

use crate::services::filters::{IntRange, TimeRange, any_of, at_or_after, narrowed};
use crate::services::listing::Listing;
use crate::services::pagination::{CursorValue, ParentColumn, SortField, int_key, pageable_by_id};
use crate::stats::satisfaction::SatisfactionCategory;

/// No order in `[since, as_of)`, but at least one before `as_of`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Inactivity {
    pub since: DateTime<Utc>,
    pub as_of: DateTime<Utc>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CustomerFilter {
    pub segments: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
    pub external_ids: Option<Vec<String>>,
    pub created_at: TimeRange,
    /// Orders that count (`domain::orders_that_count`).
    pub order_count: IntRange,
    pub inactive: Option<Inactivity>,
    /// The category of the customer's latest NPS answer; categories of other metrics match no NPS answer.
    pub latest_nps_categories: Option<Vec<SatisfactionCategory>>,
    pub updated_since: Option<DateTime<Utc>>,
}

impl CustomerFilter {
    pub fn condition(&self) -> Condition {
        let mut cond = Condition::all()
            .add_option(any_of(Column::Segment, &self.segments))
            .add_option(any_of(Column::Region, &self.regions))
            .add_option(any_of(Column::ExternalId, &self.external_ids))
            .add_option(self.created_at.condition(Column::CreatedAt))
            .add_option(at_or_after(Column::UpdatedAt, self.updated_since));
        // Aggregates are correlated sub-queries: the page stays one statement, whatever its size.
        if let Some(min) = self.order_count.min {
            cond = cond.add(aggregates::order_count().gte(min));
        }
        if let Some(max) = self.order_count.max {
            cond = cond.add(aggregates::order_count().lte(max));
        }
        if let Some(inactivity) = self.inactive {
            cond = cond
                .add(Expr::exists(
                    aggregates::counted_orders().and_where(aggregates::placed_at().lt(inactivity.as_of)).to_owned(),
                ))
                .add(Expr::exists(aggregates::ordered_between(inactivity.since, inactivity.as_of)).not());
        }
        if let Some(categories) = &self.latest_nps_categories {
            let mut any = Condition::any();
            for category in categories.iter().filter(|c| c.metric() == entity::SurveyMetric::Nps) {
                let (low, high) = category.score_range();
                any = any.add(aggregates::latest_nps_score().between(low, high));
            }
            cond = cond.add(any);
        }
        cond
    }
}

/// Per-customer aggregates as correlated sub-queries on `customers.id`.
mod aggregates {
    use chrono::{DateTime, Utc};
    use entity::{SurveyMetric, clv_customer, customer, feedback, order};
    use sea_orm::sea_query::{
        Alias, Asterisk, Expr, ExprTrait, Func, Order, Query, QueryStatementBuilder, SelectStatement,
    };

    use crate::domain::orders_that_count;

    const O: &str = "agg_o";
    const F: &str = "agg_f";
    const C: &str = "agg_c";

    /// The sort value of a customer without a CLV prediction: below every probability and every value.
    pub const NO_PREDICTION: f64 = -1.0;

    fn of_customer(table: &str, column: impl sea_orm::sea_query::IntoIden) -> Expr {
        Expr::col((Alias::new(table), column)).equals((customer::Entity, customer::Column::Id))
    }

    pub fn placed_at() -> Expr {
        Expr::col((Alias::new(O), order::Column::PlacedAt))
    }

    /// The customer's orders that count.
    pub fn counted_orders() -> SelectStatement {
        Query::select()
            .expr(Expr::val(1))
            .from_as(order::Entity, Alias::new(O))
            .and_where(of_customer(O, order::Column::CustomerId))
            .and_where(orders_that_count::counts_expr(O))
            .to_owned()
    }

    pub fn ordered_between(since: DateTime<Utc>, until: DateTime<Utc>) -> SelectStatement {
        counted_orders().and_where(placed_at().gte(since)).and_where(placed_at().lt(until)).to_owned()
    }

    pub fn order_count() -> Expr {
        let mut count = counted_orders();
        count.clear_selects().expr(Expr::col(Asterisk).count());
        Expr::SubQuery(None, Box::new(count.into_sub_query_statement()))
    }

    /// Revenue in one currency, 0 without orders.
    pub fn total_spent(currency: &str) -> Expr {
        let sum = Func::cast_as(Func::sum(orders_that_count::revenue_expr(O)), Alias::new("BIGINT"));
        let mut spent = counted_orders();
        spent
            .clear_selects()
            .expr(Func::coalesce([Expr::from(sum), Expr::val(0i64)]))
            .and_where(Expr::col((Alias::new(O), order::Column::Currency)).eq(currency));
        Expr::SubQuery(None, Box::new(spent.into_sub_query_statement()))
    }

    /// A stored prediction of the customer under the CLV model of one currency; `NO_PREDICTION` for
    /// customers the model does not cover (or without a model), so they come last in descending order.
    pub fn clv_prediction(column: clv_customer::Column, currency: &str) -> Expr {
        let prediction = Query::select()
            .column((Alias::new(C), column))
            .from_as(clv_customer::Entity, Alias::new(C))
            .and_where(of_customer(C, clv_customer::Column::CustomerId))
            .and_where(Expr::col((Alias::new(C), clv_customer::Column::Currency)).eq(currency))
            .to_owned();
        Func::coalesce([
            Expr::SubQuery(None, Box::new(prediction.into_sub_query_statement())),
            Expr::val(NO_PREDICTION),
        ])
        .into()
    }

    /// The score of the customer's latest NPS answer (NULL without one).
    pub fn latest_nps_score() -> Expr {
        let latest = Query::select()
            .column((Alias::new(F), feedback::Column::Score))
            .from_as(feedback::Entity, Alias::new(F))
            .and_where(of_customer(F, feedback::Column::CustomerId))
            .and_where(Expr::col((Alias::new(F), feedback::Column::Metric)).eq(SurveyMetric::Nps))
            .order_by((Alias::new(F), feedback::Column::SubmittedAt), Order::Desc)
            .order_by((Alias::new(F), feedback::Column::Id), Order::Desc)
            .limit(1)
            .to_owned();
        Expr::SubQuery(None, Box::new(latest.into_sub_query_statement()))
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum CustomerSort {
    Id,
    CreatedAt,
    Name,
    ExternalId,
    /// When a write last changed the customer.
    UpdatedAt,
    /// Orders that count.
    OrderCount,
    /// Revenue in one ISO 4217 currency.
    TotalSpent(&'static str),
    /// The predicted CLV stored with the model of one currency.
    PredictedClv(&'static str),
    /// The probability of being alive stored with the model of one currency.
    ProbabilityAlive(&'static str),
}

impl SortField for CustomerSort {
    type Entity = Entity;

    fn name(self) -> String {
        match self {
            CustomerSort::Id => "id".to_owned(),
            CustomerSort::CreatedAt => "createdAt".to_owned(),
            CustomerSort::Name => "name".to_owned(),
            CustomerSort::ExternalId => "externalId".to_owned(),
            CustomerSort::UpdatedAt => "updatedAt".to_owned(),
            CustomerSort::OrderCount => "orderCount".to_owned(),
            CustomerSort::TotalSpent(currency) => format!("totalSpent:{currency}"),
            CustomerSort::PredictedClv(currency) => format!("predictedClv:{currency}"),
            CustomerSort::ProbabilityAlive(currency) => format!("probabilityAlive:{currency}"),
        }
    }

    fn expr(self) -> Expr {
        match self {
            CustomerSort::OrderCount => aggregates::order_count(),
            CustomerSort::TotalSpent(currency) => aggregates::total_spent(currency),
            CustomerSort::PredictedClv(currency) => {
                aggregates::clv_prediction(clv_customer::Column::PredictedClv, currency)
            }
            CustomerSort::ProbabilityAlive(currency) => {
                aggregates::clv_prediction(clv_customer::Column::ProbabilityAlive, currency)
            }
            column => Expr::col(column.column().as_column_ref()),
        }
    }

    fn value(self, model: &Model) -> Option<CursorValue> {
        match self {
            CustomerSort::Id => Some(CursorValue::Int(model.id)),
            CustomerSort::CreatedAt => Some(CursorValue::Time(model.created_at)),
            CustomerSort::Name => Some(CursorValue::Text(model.name.clone())),
            CustomerSort::ExternalId => Some(CursorValue::Text(model.external_id.clone())),
            CustomerSort::UpdatedAt => Some(CursorValue::Time(model.updated_at)),
            CustomerSort::OrderCount
            | CustomerSort::TotalSpent(_)
            | CustomerSort::PredictedClv(_)
            | CustomerSort::ProbabilityAlive(_) => None,
        }
    }

    fn is_expression(self) -> bool {
        !matches!(
            self,
            CustomerSort::Id
                | CustomerSort::CreatedAt
                | CustomerSort::Name
                | CustomerSort::ExternalId
                | CustomerSort::UpdatedAt
        )
    }

    fn read_key(self, row: &QueryResult) -> Result<CursorValue, DbErr> {
        match self {
            CustomerSort::PredictedClv(_) | CustomerSort::ProbabilityAlive(_) => {
                let key: Option<f64> = row.try_get("", "sort_key")?;
                Ok(CursorValue::Float(key.unwrap_or(aggregates::NO_PREDICTION).to_bits()))
            }
            _ => int_key(row),
        }
    }
}

impl CustomerSort {
    fn column(self) -> Column {
        match self {
            CustomerSort::CreatedAt => Column::CreatedAt,
            CustomerSort::Name => Column::Name,
            CustomerSort::ExternalId => Column::ExternalId,
            CustomerSort::UpdatedAt => Column::UpdatedAt,
            CustomerSort::Id
            | CustomerSort::OrderCount
            | CustomerSort::TotalSpent(_)
            | CustomerSort::PredictedClv(_)
            | CustomerSort::ProbabilityAlive(_) => Column::Id,
        }
    }
}

pageable_by_id!(id, external_id, name, email, segment, region, created_at, recorded_at, updated_at);

/// Customers are only listed at the root, so they have no parent.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum NoParent {}

impl Listing for Entity {
    type Filter = CustomerFilter;
    type Sort = CustomerSort;
    type Parent = NoParent;

    fn filtered(filter: &CustomerFilter) -> Select<Self> {
        narrowed(customer::Entity::find(), filter.condition())
    }

    fn scoped(_select: Select<Self>, parent: NoParent) -> (Select<Self>, ParentColumn) {
        match parent {}
    }
}
