//! The `Order` type.

use crate::error::AppResult;
use crate::graphql::inputs::{OrderFilterInput, OrderOrderBy};
use async_graphql::{Context, ID, Object, Result};
use entity::order::Model;

use crate::domain::ids::{GlobalId, NodeType};
use crate::graphql::connection::{Connection, ConnectionNode, ListArgs, child_connection, load_by_id};
use crate::graphql::customers::Customer;
use crate::graphql::enums::OrderStatus;
use crate::graphql::feedback::{Feedback, answer_category, answers_of};
use crate::graphql::inputs::{FeedbackFilterInput, FeedbackOrderBy, TouchpointFilterInput, TouchpointOrderBy};
use crate::graphql::insights::SatisfactionCategory;
use crate::graphql::scalars::{DateTime, Money};
use crate::graphql::touchpoints::Touchpoint;
use crate::services::feedback::FeedbackParent;
use crate::services::pagination::PageArgs;
use crate::services::touchpoints::TouchpointParent;

pub struct Order(pub Model);

impl ConnectionNode for Order {
    const CONNECTION: &'static str = "OrderConnection";
    const EDGE: &'static str = "OrderEdge";
    const IN_PLACE_FIELDS: &'static [&'static str] = &["id", "externalId", "placedAt", "status", "totalAmount"];
    type Entity = entity::order::Entity;

    fn wrap(model: Model) -> Self {
        Order(model)
    }

    fn row(&self) -> &Model {
        &self.0
    }

    type FilterInput = OrderFilterInput;
    type OrderInput = OrderOrderBy;

    fn list_args(
        page: PageArgs,
        filter: Option<OrderFilterInput>,
        order_by: Option<OrderOrderBy>,
    ) -> AppResult<ListArgs<Self::Entity>> {
        Ok(ListArgs {
            page,
            filter: filter.map(|f| f.into_domain("filter")).transpose()?.unwrap_or_default(),
            sort: OrderOrderBy::into_domain(order_by),
        })
    }
}

/// A purchase by a customer.
#[Object]
impl Order {
    /// Opaque global ID (see `Node`).
    pub async fn id(&self) -> ID {
        GlobalId::new(NodeType::Order, self.0.id).encode().into()
    }

    /// The order's id in the source system (unique).
    async fn external_id(&self) -> &str {
        &self.0.external_id
    }

    /// The customer who placed the order.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        Ok(load_by_id::<entity::customer::Entity>(ctx, self.0.customer_id).await?.map(Customer))
    }

    /// When the order was placed.
    async fn placed_at(&self) -> DateTime {
        DateTime(self.0.placed_at)
    }

    /// The order's current state.
    async fn status(&self) -> OrderStatus {
        self.0.status.into()
    }

    /// The order total, exact, in the order's currency.
    async fn total_amount(&self) -> Money {
        Money::from_minor(self.0.total_amount_minor, &self.0.currency)
    }

    /// The categories of the answers given at this order's touchpoints (at most 100), oldest first.
    async fn feedback_categories(&self, ctx: &Context<'_>) -> Result<Vec<SatisfactionCategory>> {
        let answers = answers_of(ctx, self.0.id, FeedbackParent::Order).await?;
        Ok(answers.iter().filter_map(answer_category).collect())
    }

    /// The touchpoints that belong to this order.
    #[allow(clippy::too_many_arguments)]
    async fn touchpoints(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (at most 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return rows after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return rows before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which touchpoints to include.")] filter: Option<TouchpointFilterInput>,
        #[graphql(desc = "The order of the rows.")] order_by: Option<TouchpointOrderBy>,
    ) -> Result<Connection<Touchpoint>> {
        let args = || Touchpoint::list_args(PageArgs { first, after, last, before }, filter, order_by);
        Ok(child_connection::<Touchpoint>(ctx, self.0.id, TouchpointParent::Order, args).await?)
    }

    /// The answers given at any touchpoint of this order.
    #[allow(clippy::too_many_arguments)]
    async fn feedback(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (at most 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return rows after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return rows before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which answers to include.")] filter: Option<FeedbackFilterInput>,
        #[graphql(desc = "The order of the rows.")] order_by: Option<FeedbackOrderBy>,
    ) -> Result<Connection<Feedback>> {
        let args = || Feedback::list_args(PageArgs { first, after, last, before }, filter, order_by);
        Ok(child_connection::<Feedback>(ctx, self.0.id, FeedbackParent::Order, args).await?)
    }
}
