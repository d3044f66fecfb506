//! The `Complaint` type.

use crate::graphql::plain_values::{ScalarField, plain};
use async_graphql::{Context, ID, Object, Result};
use entity::complaint::{Column, Model};

use crate::domain::ids::NodeType;
use crate::error::AppResult;
use crate::graphql::connection::{ConnectionNode, FilterableNode, ListArgs, child_rows, load_by_id, load_required};
use crate::graphql::customers::Customer;
use crate::graphql::enums::{Channel, ComplaintCategory, ComplaintOutcome, ComplaintStatus};
use crate::graphql::feedback::Feedback;
use crate::graphql::inputs::{ComplaintFilterInput, ComplaintOrderBy};
use crate::graphql::node::global_id;
use crate::graphql::orders::Order;
use crate::graphql::scalars::DateTime;
use crate::graphql::touchpoints::Touchpoint;
use crate::services::complaints::{ComplaintFilter, ComplaintParent, ComplaintSort};
use crate::services::pagination::{PageArgs, Sort, SortDirection};

pub struct Complaint(pub Model);

/// The complaint an answer raised, if any, through the batched page loader.
pub async fn complaint_of(ctx: &Context<'_>, feedback_id: i64) -> AppResult<Option<Model>> {
    let sort = Sort { field: ComplaintSort::OpenedAt, direction: SortDirection::Asc };
    let filter = ComplaintFilter::default();
    let rows =
        child_rows::<entity::complaint::Entity>(ctx, feedback_id, ComplaintParent::Feedback, filter, sort, 1).await?;
    Ok(rows.into_iter().next())
}

impl ConnectionNode for Complaint {
    const CONNECTION: &'static str = "ComplaintConnection";
    const EDGE: &'static str = "ComplaintEdge";
    const SCALAR_FIELDS: &'static [ScalarField<Self, Column>] = &[
        ("id", &[Column::Id], |node, ctx| plain(node.id(ctx))),
        ("externalId", &[Column::ExternalId], |node, ctx| plain(node.external_id(ctx))),
        ("category", &[Column::Category], |node, ctx| plain(node.category(ctx))),
        ("channel", &[Column::Channel], |node, ctx| plain(node.channel(ctx))),
        ("openedAt", &[Column::OpenedAt], |node, ctx| plain(node.opened_at(ctx))),
        ("firstResponseAt", &[Column::FirstResponseAt], |node, ctx| plain(node.first_response_at(ctx))),
        ("resolvedAt", &[Column::ResolvedAt], |node, ctx| plain(node.resolved_at(ctx))),
        ("status", &[Column::Status], |node, ctx| plain(node.status(ctx))),
        ("outcome", &[Column::Outcome], |node, ctx| plain(node.outcome(ctx))),
    ];
    type Entity = entity::complaint::Entity;

    fn wrap(model: Model) -> Self {
        Complaint(model)
    }

    fn row(&self) -> &Model {
        &self.0
    }
}

impl FilterableNode for Complaint {
    type FilterInput = ComplaintFilterInput;
    type OrderInput = ComplaintOrderBy;

    fn list_args(
        page: PageArgs,
        filter: Option<ComplaintFilterInput>,
        order_by: Option<ComplaintOrderBy>,
    ) -> AppResult<ListArgs<Self::Entity>> {
        Ok(ListArgs {
            page,
            filter: filter.map(|f| f.into_domain("filter")).transpose()?.unwrap_or_default(),
            sort: ComplaintOrderBy::into_domain(order_by),
        })
    }
}

/// A complaint a customer raised after a purchase, and how it was handled: opened, answered
/// (`firstResponseAt`), then closed (`resolvedAt`) with an outcome, resolved or not.
#[Object]
impl Complaint {
    /// Opaque global ID (see `Node`).
    pub async fn id(&self) -> ID {
        global_id(NodeType::Complaint, self.0.id)
    }

    /// The complaint's id in the source system (unique).
    async fn external_id(&self) -> &str {
        &self.0.external_id
    }

    /// The customer who complained.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Customer> {
        Ok(Customer(load_required::<entity::customer::Entity>(ctx, self.0.customer_id).await?))
    }

    /// The order complained about; null for complaints not about one order.
    async fn order(&self, ctx: &Context<'_>) -> Result<Option<Order>> {
        let Some(order_id) = self.0.order_id else { return Ok(None) };
        Ok(load_by_id::<entity::order::Entity>(ctx, order_id).await?.map(Order))
    }

    /// The survey answer that raised the complaint (e.g. a detractor's); null when it was raised otherwise.
    async fn feedback(&self, ctx: &Context<'_>) -> Result<Option<Feedback>> {
        let Some(feedback_id) = self.0.feedback_id else { return Ok(None) };
        Ok(load_by_id::<entity::feedback::Entity>(ctx, feedback_id).await?.map(Feedback))
    }

    /// The touchpoint of the answer that raised the complaint; null without an answer, and for
    /// relationship surveys.
    async fn touchpoint(&self, ctx: &Context<'_>) -> Result<Option<Touchpoint>> {
        let Some(feedback_id) = self.0.feedback_id else { return Ok(None) };
        let answer = load_by_id::<entity::feedback::Entity>(ctx, feedback_id).await?;
        let Some(touchpoint_id) = answer.and_then(|a| a.touchpoint_id) else { return Ok(None) };
        Ok(load_by_id::<entity::touchpoint::Entity>(ctx, touchpoint_id).await?.map(Touchpoint))
    }

    /// What the complaint is about.
    async fn category(&self) -> ComplaintCategory {
        self.0.category.into()
    }

    /// The medium the complaint was made on.
    async fn channel(&self) -> Channel {
        self.0.channel.into()
    }

    /// When the complaint was opened.
    async fn opened_at(&self) -> DateTime {
        DateTime(self.0.opened_at)
    }

    /// When the customer first got an answer; null while nobody has answered.
    async fn first_response_at(&self) -> Option<DateTime> {
        self.0.first_response_at.map(DateTime)
    }

    /// When the complaint was closed, resolved or not (see `status`); null while it is open.
    async fn resolved_at(&self) -> Option<DateTime> {
        self.0.resolved_at.map(DateTime)
    }

    /// Where the complaint stands.
    async fn status(&self) -> ComplaintStatus {
        self.0.status.into()
    }

    /// What the closed complaint gave the customer; null while it is open.
    async fn outcome(&self) -> Option<ComplaintOutcome> {
        self.0.outcome.map(Into::into)
    }
}
