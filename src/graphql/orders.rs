//! The `Order` type.

use crate::error::AppResult;
use crate::graphql::inputs::{OrderFilterInput, OrderOrderBy};
use crate::graphql::plain_values::{ScalarField, plain};
use async_graphql::{Context, ID, Object, Result};
use entity::order::{Column, Model};

use crate::domain::ids::NodeType;
use crate::graphql::complaints::Complaint;
use crate::graphql::connection::{ConnectionNode, FilterableNode, ListArgs, load_required};
use crate::graphql::connection_fields::connection_fields;
use crate::graphql::customers::Customer;
use crate::graphql::enums::{OrderStatus, SatisfactionCategory};
use crate::graphql::feedback::{Feedback, answer_category, answers_of};
use crate::graphql::node::global_id;
use crate::graphql::row_times::RowTimes;
use crate::graphql::scalars::{DateTime, Money};
use crate::graphql::touchpoints::Touchpoint;
use crate::services::complaints::ComplaintParent;
use crate::services::feedback::FeedbackParent;
use crate::services::orders;
use crate::services::pagination::PageArgs;
use crate::services::touchpoints::TouchpointParent;

pub struct Order(pub Model);

impl ConnectionNode for Order {
    const CONNECTION: &'static str = "OrderConnection";
    const EDGE: &'static str = "OrderEdge";
    const SCALAR_FIELDS: &'static [ScalarField<Self, Column>] = &[
        ("id", &[Column::Id], |node, ctx| plain(node.id(ctx))),
        ("externalId", &[Column::ExternalId], |node, ctx| plain(node.external_id(ctx))),
        ("placedAt", &[Column::PlacedAt], |node, ctx| plain(node.placed_at(ctx))),
        ("status", &[Column::Status], |node, ctx| plain(node.status(ctx))),
        ("recordedAt", &[Column::RecordedAt, Column::UpdatedAt], |node, ctx| {
            plain(async { Ok(node.times(ctx).await.recorded_at) })
        }),
        ("updatedAt", &[Column::RecordedAt, Column::UpdatedAt], |node, ctx| {
            plain(async { Ok(node.times(ctx).await.updated_at) })
        }),
    ];
    const OTHER_IN_PLACE_FIELDS: &'static [&'static str] = &["totalAmount"];
    type Entity = entity::order::Entity;

    fn wrap(model: Model) -> Self {
        Order(model)
    }

    fn row(&self) -> &Model {
        &self.0
    }
}

impl FilterableNode for Order {
    type FilterInput = OrderFilterInput;
    type OrderInput = OrderOrderBy;

    fn list_args(
        page: PageArgs,
        filter: Option<OrderFilterInput>,
        order_by: Option<OrderOrderBy>,
    ) -> AppResult<ListArgs<Self::Entity>> {
        let filter = filter.map(|f| f.into_domain("filter")).transpose()?.unwrap_or_default();
        let sort = OrderOrderBy::into_domain(order_by);
        orders::check_sort(&filter, &sort)?;
        Ok(ListArgs { page, filter, sort })
    }
}

/// A purchase by a customer.
#[Object]
impl Order {
    /// Opaque global ID (see `Node`).
    pub async fn id(&self) -> ID {
        global_id(NodeType::Order, self.0.id)
    }

    /// The order's id in the source system (unique).
    async fn external_id(&self) -> &str {
        &self.0.external_id
    }

    /// The customer who placed the order.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Customer> {
        Ok(Customer(load_required::<entity::customer::Entity>(ctx, self.0.customer_id).await?))
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

    /// The server's times of the row (`recordedAt`, `updatedAt`), as fields of its own.
    #[graphql(flatten)]
    async fn times(&self) -> RowTimes {
        RowTimes::new(self.0.recorded_at, self.0.updated_at)
    }

    /// The categories of the answers given at this order's touchpoints (at most 100), oldest first.
    async fn feedback_categories(&self, ctx: &Context<'_>) -> Result<Vec<SatisfactionCategory>> {
        let answers = answers_of(ctx, self.0.id, FeedbackParent::Order).await?;
        Ok(answers.iter().filter_map(answer_category).collect())
    }

    /// The order's lists (`touchpoints`, `feedback`, `complaints`), as fields of its own.
    #[graphql(flatten)]
    async fn lists(&self) -> OrderLists {
        OrderLists(self.0.id)
    }
}

connection_fields! {
    /// The connection fields of an order, flattened into `Order`; holds the order's id.
    OrderLists(i64) {
        /// The touchpoints that belong to this order.
        touchpoints: Touchpoint, under(TouchpointParent::Order), "Which touchpoints to include.";
        /// The answers given at any touchpoint of this order.
        feedback: Feedback, under(FeedbackParent::Order), "Which answers to include.";
        /// The complaints about this order.
        complaints: Complaint, under(ComplaintParent::Order), "Which complaints to include.";
    }
}
