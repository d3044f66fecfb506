//! The `Touchpoint` type.

use crate::error::AppResult;
use crate::graphql::inputs::{TouchpointFilterInput, TouchpointOrderBy};
use crate::graphql::plain_values::{ScalarField, plain};
use async_graphql::{Context, ID, Object, Result};
use entity::touchpoint::{Column, Model};

use crate::domain::ids::NodeType;
use crate::graphql::connection::{ConnectionNode, FilterableNode, ListArgs, load_by_id, load_required};
use crate::graphql::connection_fields::connection_fields;
use crate::graphql::customers::Customer;
use crate::graphql::enums::{Channel, SatisfactionCategory, TouchpointKind};
use crate::graphql::feedback::{Feedback, answer_category, answers_of};
use crate::graphql::node::global_id;
use crate::graphql::orders::Order;
use crate::graphql::row_times::RowTimes;
use crate::graphql::scalars::DateTime;
use crate::services::feedback::FeedbackParent;
use crate::services::pagination::PageArgs;

pub struct Touchpoint(pub Model);

impl ConnectionNode for Touchpoint {
    const CONNECTION: &'static str = "TouchpointConnection";
    const EDGE: &'static str = "TouchpointEdge";
    const SCALAR_FIELDS: &'static [ScalarField<Self, Column>] = &[
        ("id", &[Column::Id], |node, ctx| plain(node.id(ctx))),
        ("externalId", &[Column::ExternalId], |node, ctx| plain(node.external_id(ctx))),
        ("kind", &[Column::Kind], |node, ctx| plain(node.kind(ctx))),
        ("channel", &[Column::Channel], |node, ctx| plain(node.channel(ctx))),
        ("occurredAt", &[Column::OccurredAt], |node, ctx| plain(node.occurred_at(ctx))),
        ("surveySentAt", &[Column::SurveySentAt], |node, ctx| plain(node.survey_sent_at(ctx))),
        ("recordedAt", &[Column::RecordedAt, Column::UpdatedAt], |node, ctx| {
            plain(async { Ok(node.times(ctx).await.recorded_at) })
        }),
        ("updatedAt", &[Column::RecordedAt, Column::UpdatedAt], |node, ctx| {
            plain(async { Ok(node.times(ctx).await.updated_at) })
        }),
    ];
    type Entity = entity::touchpoint::Entity;

    fn wrap(model: Model) -> Self {
        Touchpoint(model)
    }

    fn row(&self) -> &Model {
        &self.0
    }
}

impl FilterableNode for Touchpoint {
    type FilterInput = TouchpointFilterInput;
    type OrderInput = TouchpointOrderBy;

    fn list_args(
        page: PageArgs,
        filter: Option<TouchpointFilterInput>,
        order_by: Option<TouchpointOrderBy>,
    ) -> AppResult<ListArgs<Self::Entity>> {
        Ok(ListArgs {
            page,
            filter: filter.map(|f| f.into_domain("filter")).transpose()?.unwrap_or_default(),
            sort: TouchpointOrderBy::into_domain(order_by),
        })
    }
}

/// A moment where the company met the customer after a purchase. Some touchpoints send a survey.
#[Object]
impl Touchpoint {
    /// Opaque global ID (see `Node`).
    pub async fn id(&self) -> ID {
        global_id(NodeType::Touchpoint, self.0.id)
    }

    /// The touchpoint's id in the source system (unique).
    async fn external_id(&self) -> &str {
        &self.0.external_id
    }

    /// The customer met at this touchpoint.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Customer> {
        Ok(Customer(load_required::<entity::customer::Entity>(ctx, self.0.customer_id).await?))
    }

    /// The order this touchpoint belongs to; null for touchpoints not tied to one order.
    async fn order(&self, ctx: &Context<'_>) -> Result<Option<Order>> {
        let Some(order_id) = self.0.order_id else { return Ok(None) };
        Ok(load_by_id::<entity::order::Entity>(ctx, order_id).await?.map(Order))
    }

    /// The journey moment.
    async fn kind(&self) -> TouchpointKind {
        self.0.kind.into()
    }

    /// The medium.
    async fn channel(&self) -> Channel {
        self.0.channel.into()
    }

    /// When the touchpoint happened.
    async fn occurred_at(&self) -> DateTime {
        DateTime(self.0.occurred_at)
    }

    /// When a survey was sent for this touchpoint; null if none was.
    async fn survey_sent_at(&self) -> Option<DateTime> {
        self.0.survey_sent_at.map(DateTime)
    }

    /// The server's times of the row (`recordedAt`, `updatedAt`), as fields of its own.
    #[graphql(flatten)]
    async fn times(&self) -> RowTimes {
        RowTimes::new(self.0.recorded_at, self.0.updated_at)
    }

    /// The categories of the answers given for this touchpoint (at most 100), oldest first: e.g.
    /// `[DETRACTOR]` for an NPS answer of 4, `[SATISFIED]` for a CSAT answer of 5.
    async fn feedback_categories(&self, ctx: &Context<'_>) -> Result<Vec<SatisfactionCategory>> {
        let answers = answers_of(ctx, self.0.id, FeedbackParent::Touchpoint).await?;
        Ok(answers.iter().filter_map(answer_category).collect())
    }

    /// The touchpoint's list of answers (`feedback`), as a field of its own.
    #[graphql(flatten)]
    async fn lists(&self) -> TouchpointLists {
        TouchpointLists(self.0.id)
    }
}

connection_fields! {
    /// The connection field of a touchpoint, flattened into `Touchpoint`; holds the touchpoint's id.
    TouchpointLists(i64) {
        /// The survey answers given for this touchpoint.
        feedback: Feedback, under(FeedbackParent::Touchpoint), "Which answers to include.";
    }
}
