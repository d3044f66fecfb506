//! The `Customer` type.

use crate::error::AppResult;
use crate::graphql::inputs::{CustomerFilterInput, CustomerOrderBy};
use crate::graphql::plain_values::{ScalarField, plain};
use async_graphql::{Context, ID, Object, Result};
use entity::customer::{Column, Model};

use crate::domain::ids::NodeType;
use crate::error::AppError;
use crate::graphql::clv::CustomerClv;
use crate::graphql::complaints::Complaint;
use crate::graphql::connection::{ConnectionNode, FilterableNode, ListArgs, unshare};
use crate::graphql::connection_fields::connection_fields;
use crate::graphql::enums::{SatisfactionCategory, SurveyMetric};
use crate::graphql::feedback::{Feedback, answer_category, latest_answer};
use crate::graphql::gate::access::personal_data;
use crate::graphql::inputs::days;
use crate::graphql::node::global_id;
use crate::graphql::order_summary::CustomerOrderSummary;
use crate::graphql::orders::Order;
use crate::graphql::row_times::RowTimes;
use crate::graphql::scalars::CurrencyCode;
use crate::graphql::scalars::DateTime;
use crate::graphql::touchpoints::Touchpoint;
use crate::loaders::{ClvKey, Loaders};
use crate::services::complaints::ComplaintParent;
use crate::services::feedback::FeedbackParent;
use crate::services::orders::OrderParent;
use crate::services::pagination::PageArgs;
use crate::services::touchpoints::TouchpointParent;

pub struct Customer(pub Model);

impl ConnectionNode for Customer {
    const CONNECTION: &'static str = "CustomerConnection";
    const EDGE: &'static str = "CustomerEdge";
    const SCALAR_FIELDS: &'static [ScalarField<Self, Column>] = &[
        ("id", &[Column::Id], |node, ctx| plain(node.id(ctx))),
        ("externalId", &[Column::ExternalId], |node, ctx| plain(node.external_id(ctx))),
        ("name", &[Column::Name], |node, ctx| plain(node.name(ctx))),
        ("email", &[Column::Email], |node, ctx| plain(node.email(ctx))),
        ("segment", &[Column::Segment], |node, ctx| plain(node.segment(ctx))),
        ("region", &[Column::Region], |node, ctx| plain(node.region(ctx))),
        ("createdAt", &[Column::CreatedAt], |node, ctx| plain(node.created_at(ctx))),
        ("recordedAt", &[Column::RecordedAt, Column::UpdatedAt], |node, ctx| {
            plain(async { Ok(node.times(ctx).await.recorded_at) })
        }),
        ("updatedAt", &[Column::RecordedAt, Column::UpdatedAt], |node, ctx| {
            plain(async { Ok(node.times(ctx).await.updated_at) })
        }),
    ];
    type Entity = entity::customer::Entity;

    fn wrap(model: Model) -> Self {
        Customer(model)
    }

    fn row(&self) -> &Model {
        &self.0
    }
}

impl FilterableNode for Customer {
    type FilterInput = CustomerFilterInput;
    type OrderInput = CustomerOrderBy;

    fn list_args(
        page: PageArgs,
        filter: Option<CustomerFilterInput>,
        order_by: Option<CustomerOrderBy>,
    ) -> AppResult<ListArgs<Self::Entity>> {
        Ok(ListArgs {
            page,
            filter: filter.map(|f| f.into_domain("filter")).transpose()?.unwrap_or_default(),
            sort: CustomerOrderBy::into_domain(order_by)?,
        })
    }
}

/// A buyer, as known to the source system.
#[Object]
impl Customer {
    /// Opaque global ID (see `Node`).
    pub async fn id(&self) -> ID {
        global_id(NodeType::Customer, self.0.id)
    }

    /// The customer's id in the source system (unique).
    async fn external_id(&self) -> &str {
        &self.0.external_id
    }

    /// Full name. Personal data.
    async fn name(&self, ctx: &Context<'_>) -> &str {
        personal_data(ctx, &self.0.name)
    }

    /// E-mail address. Personal data.
    async fn email(&self, ctx: &Context<'_>) -> &str {
        personal_data(ctx, &self.0.email)
    }

    /// Customer segment, e.g. `consumer`, `smb`, `enterprise` (free text from the source system).
    async fn segment(&self) -> &str {
        &self.0.segment
    }

    /// Sales region, e.g. `EMEA` (free text from the source system).
    async fn region(&self) -> &str {
        &self.0.region
    }

    /// When the customer was created in the source system (given by clients; the server's own times
    /// are `recordedAt` and `updatedAt`).
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// The server's times of the row (`recordedAt`, `updatedAt`), as fields of its own.
    #[graphql(flatten)]
    async fn times(&self) -> RowTimes {
        RowTimes::new(self.0.recorded_at, self.0.updated_at)
    }

    /// The customer's orders in summary: counts, spend per currency, first and last order, inactivity.
    /// CANCELLED orders count for nothing; RETURNED orders count as orders with zero revenue.
    async fn order_summary(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Days without an order after which the customer counts as inactive.", default = 180)]
        inactive_window_days: i32,
        #[graphql(desc = "The date to measure inactivity and days since the last order at; default: now.")]
        as_of: Option<DateTime>,
    ) -> Result<CustomerOrderSummary> {
        let window = days("inactiveWindowDays", inactive_window_days)?;
        let loaders = ctx.data::<Loaders>().map_err(|_| AppError::Internal("no loaders in the request data".into()))?;
        let summary = loaders.order_summaries.load_one(self.0.id).await.map_err(unshare)?;
        let as_of = as_of.map_or_else(chrono::Utc::now, |t| t.0);
        Ok(CustomerOrderSummary::new(summary.unwrap_or_default(), as_of, window))
    }

    /// The customer's latest answer to a survey metric; null if they never answered it.
    async fn latest_feedback(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The survey metric.")] metric: SurveyMetric,
    ) -> Result<Option<Feedback>> {
        Ok(latest_answer(ctx, self.0.id, metric.into()).await?.map(Feedback))
    }

    /// The NPS category of the customer's latest NPS answer (promoter 9-10, passive 7-8, detractor 0-6);
    /// null if they never answered an NPS survey.
    async fn nps_category(&self, ctx: &Context<'_>) -> Result<Option<SatisfactionCategory>> {
        let latest = latest_answer(ctx, self.0.id, entity::SurveyMetric::Nps).await?;
        Ok(latest.as_ref().and_then(answer_category))
    }

    /// The customer under the predictive CLV model of `currency` (`docs/clv.md`); null without a fitted
    /// model, and for customers it does not cover (no order in the currency up to its calibration end).
    async fn clv(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The model's currency.")] currency: CurrencyCode,
    ) -> Result<Option<CustomerClv>> {
        let loaders = ctx.data::<Loaders>().map_err(|_| AppError::Internal("no loaders in the request data".into()))?;
        let key = ClvKey { currency: currency.0.code, customer_id: self.0.id };
        Ok(loaders.clv.load_one(key).await.map_err(unshare)?.map(CustomerClv))
    }

    /// The customer's lists (`orders`, `touchpoints`, `feedback`, `complaints`), as fields of its own.
    #[graphql(flatten)]
    async fn lists(&self) -> CustomerLists {
        CustomerLists(self.0.id)
    }
}

connection_fields! {
    /// The connection fields of a customer, flattened into `Customer`; holds the customer's id.
    CustomerLists(i64) {
        /// The customer's orders.
        orders: Order, under(OrderParent::Customer), "Which orders to include.";
        /// Every touchpoint with the customer, with or without an order.
        touchpoints: Touchpoint, under(TouchpointParent::Customer), "Which touchpoints to include.";
        /// Every survey answer of the customer, relationship surveys included.
        feedback: Feedback, under(FeedbackParent::Customer), "Which answers to include.";
        /// Every complaint of the customer.
        complaints: Complaint, under(ComplaintParent::Customer), "Which complaints to include.";
    }
}
