//! The `Feedback` type.

use crate::graphql::connection::ListArgs;
use crate::graphql::inputs::{FeedbackFilterInput, FeedbackOrderBy};
use crate::graphql::plain_values::{ScalarField, plain};
use crate::services::pagination::PageArgs;
use async_graphql::{Context, ID, Object, Result};
use entity::SurveyMetric as DbSurveyMetric;
use entity::feedback::{Column, Model};

use crate::domain::ids::NodeType;
use crate::error::{AppError, AppResult};
use crate::graphql::complaints::{Complaint, complaint_of};
use crate::graphql::connection::{ConnectionNode, FilterableNode, child_rows, load_by_id, load_required};
use crate::graphql::customers::Customer;
use crate::graphql::enums::{SatisfactionCategory, SurveyMetric};
use crate::graphql::gate::access::personal_data;
use crate::graphql::node::global_id;
use crate::graphql::orders::Order;
use crate::graphql::row_times::RowTimes;
use crate::graphql::scalars::DateTime;
use crate::graphql::touchpoints::Touchpoint;
use crate::services::feedback::{FeedbackFilter, FeedbackParent, FeedbackSort};
use crate::services::pagination::{Sort, SortDirection};
use crate::stats::satisfaction::SatisfactionCategory as DomainSatisfactionCategory;

/// The category of one answer.
pub fn answer_category(answer: &Model) -> Option<SatisfactionCategory> {
    DomainSatisfactionCategory::of_score(answer.metric, answer.score).map(Into::into)
}

pub struct Feedback(pub Model);

/// Up to 100 answers of a parent, oldest first, through the batched page loader.
pub async fn answers_of(ctx: &Context<'_>, parent_id: i64, parent: FeedbackParent) -> AppResult<Vec<Model>> {
    let sort = Sort { field: FeedbackSort::SubmittedAt, direction: SortDirection::Asc };
    child_rows::<entity::feedback::Entity>(ctx, parent_id, parent, FeedbackFilter::default(), sort, 100).await
}

/// The latest answer of a customer to one metric, through the batched page loader.
pub async fn latest_answer(ctx: &Context<'_>, customer_id: i64, metric: DbSurveyMetric) -> AppResult<Option<Model>> {
    let filter = FeedbackFilter { metrics: Some(vec![metric]), ..Default::default() };
    let sort = Sort { field: FeedbackSort::SubmittedAt, direction: SortDirection::Desc };
    let rows =
        child_rows::<entity::feedback::Entity>(ctx, customer_id, FeedbackParent::Customer, filter, sort, 1).await?;
    Ok(rows.into_iter().next())
}

impl ConnectionNode for Feedback {
    const CONNECTION: &'static str = "FeedbackConnection";
    const EDGE: &'static str = "FeedbackEdge";
    const SCALAR_FIELDS: &'static [ScalarField<Self, Column>] = &[
        ("id", &[Column::Id], |node, ctx| plain(node.id(ctx))),
        ("externalId", &[Column::ExternalId], |node, ctx| plain(node.external_id(ctx))),
        ("metric", &[Column::Metric], |node, ctx| plain(node.metric(ctx))),
        ("score", &[Column::Score], |node, ctx| plain(node.score(ctx))),
        ("npsCategory", &[Column::Metric, Column::Score], |node, ctx| plain(node.nps_category(ctx))),
        ("category", &[Column::Id, Column::Metric, Column::Score], |node, ctx| plain(node.category(ctx))),
        ("comment", &[Column::Comment], |node, ctx| plain(node.comment(ctx))),
        ("submittedAt", &[Column::SubmittedAt], |node, ctx| plain(node.submitted_at(ctx))),
        ("recordedAt", &[Column::RecordedAt, Column::UpdatedAt], |node, ctx| {
            plain(async { Ok(node.times(ctx).await.recorded_at) })
        }),
        ("updatedAt", &[Column::RecordedAt, Column::UpdatedAt], |node, ctx| {
            plain(async { Ok(node.times(ctx).await.updated_at) })
        }),
    ];
    type Entity = entity::feedback::Entity;

    fn wrap(model: Model) -> Self {
        Feedback(model)
    }

    fn row(&self) -> &Model {
        &self.0
    }
}

impl FilterableNode for Feedback {
    type FilterInput = FeedbackFilterInput;
    type OrderInput = FeedbackOrderBy;

    fn list_args(
        page: PageArgs,
        filter: Option<FeedbackFilterInput>,
        order_by: Option<FeedbackOrderBy>,
    ) -> AppResult<ListArgs<Self::Entity>> {
        Ok(ListArgs {
            page,
            filter: filter.map(|f| f.into_domain("filter")).transpose()?.unwrap_or_default(),
            sort: FeedbackOrderBy::into_domain(order_by),
        })
    }
}

/// A survey answer: NPS (0-10), CSAT (1-5) or CES (1-7).
#[Object]
impl Feedback {
    /// Opaque global ID (see `Node`).
    pub async fn id(&self) -> ID {
        global_id(NodeType::Feedback, self.0.id)
    }

    /// The answer's id in the source system (unique).
    async fn external_id(&self) -> &str {
        &self.0.external_id
    }

    /// The customer who answered.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Customer> {
        Ok(Customer(load_required::<entity::customer::Entity>(ctx, self.0.customer_id).await?))
    }

    /// The touchpoint whose survey this answers; null for relationship surveys.
    async fn touchpoint(&self, ctx: &Context<'_>) -> Result<Option<Touchpoint>> {
        let Some(touchpoint_id) = self.0.touchpoint_id else { return Ok(None) };
        Ok(load_by_id::<entity::touchpoint::Entity>(ctx, touchpoint_id).await?.map(Touchpoint))
    }

    /// The order of the answered touchpoint; null for relationship surveys and touchpoints without order.
    async fn order(&self, ctx: &Context<'_>) -> Result<Option<Order>> {
        let Some(touchpoint_id) = self.0.touchpoint_id else { return Ok(None) };
        let touchpoint = load_by_id::<entity::touchpoint::Entity>(ctx, touchpoint_id).await?;
        let Some(order_id) = touchpoint.and_then(|t| t.order_id) else { return Ok(None) };
        Ok(load_by_id::<entity::order::Entity>(ctx, order_id).await?.map(Order))
    }

    /// The survey question answered.
    async fn metric(&self) -> SurveyMetric {
        self.0.metric.into()
    }

    /// The score, on the metric's scale: NPS 0-10, CSAT 1-5, CES 1-7.
    async fn score(&self) -> i32 {
        self.0.score
    }

    /// For NPS answers, the category: promoter (9-10), passive (7-8) or detractor (0-6); null otherwise.
    #[graphql(deprecation = "Use `category`, which every answer has (NPS answers the same values).")]
    async fn nps_category(&self) -> Option<SatisfactionCategory> {
        answer_category(&self.0).filter(|_| self.0.metric == DbSurveyMetric::Nps)
    }

    /// The answer's category: promoter / passive / detractor (NPS 9-10 / 7-8 / 0-6), satisfied or not
    /// (CSAT 4-5 / 1-3), easy or not (CES 5-7 / 1-4).
    async fn category(&self) -> Result<SatisfactionCategory> {
        // The database keeps every score within its metric's scale, so every answer has a category.
        Ok(answer_category(&self.0).ok_or_else(|| {
            AppError::Internal(format!("answer {} has a score outside its metric's scale", self.0.id))
        })?)
    }

    /// The free-text comment, if any. Personal data.
    async fn comment(&self, ctx: &Context<'_>) -> Option<&str> {
        self.0.comment.as_deref().map(|comment| personal_data(ctx, comment))
    }

    /// When the answer was submitted.
    async fn submitted_at(&self) -> DateTime {
        DateTime(self.0.submitted_at)
    }

    /// The server's times of the row (`recordedAt`, `updatedAt`), as fields of its own.
    #[graphql(flatten)]
    async fn times(&self) -> RowTimes {
        RowTimes::new(self.0.recorded_at, self.0.updated_at)
    }

    /// The complaint this answer raised (an answer raises at most one); null if it raised none.
    async fn complaint(&self, ctx: &Context<'_>) -> Result<Option<Complaint>> {
        Ok(complaint_of(ctx, self.0.id).await?.map(Complaint))
    }
}
