//! The `Feedback` type.

use async_graphql::{Context, ID, Object, Result};
use entity::SurveyMetric as DbSurveyMetric;
use entity::feedback::Model;

use crate::domain::ids::{GlobalId, NodeType};
use crate::graphql::connection::{ConnectionNode, load_by_id};
use crate::graphql::customers::Customer;
use crate::graphql::enums::{NpsCategory, SurveyMetric};
use crate::graphql::orders::Order;
use crate::graphql::scalars::DateTime;
use crate::graphql::touchpoints::Touchpoint;
use crate::services::feedback::NpsCategory as DomainNpsCategory;

pub struct Feedback(pub Model);

impl ConnectionNode for Feedback {
    const CONNECTION: &'static str = "FeedbackConnection";
    const EDGE: &'static str = "FeedbackEdge";
}

/// A survey answer: NPS (0-10), CSAT (1-5) or CES (1-7).
#[Object]
impl Feedback {
    /// Opaque global ID (see `Node`).
    pub async fn id(&self) -> ID {
        GlobalId::new(NodeType::Feedback, self.0.id).encode().into()
    }

    /// The answer's id in the source system (unique).
    async fn external_id(&self) -> &str {
        &self.0.external_id
    }

    /// The customer who answered.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        Ok(load_by_id::<entity::customer::Entity>(ctx, self.0.customer_id).await?.map(Customer))
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
    async fn nps_category(&self) -> Option<NpsCategory> {
        (self.0.metric == DbSurveyMetric::Nps).then(|| DomainNpsCategory::of_score(self.0.score).into())
    }

    /// The free-text comment, if any. Personal data.
    async fn comment(&self) -> Option<&str> {
        self.0.comment.as_deref()
    }

    /// When the answer was submitted.
    async fn submitted_at(&self) -> DateTime {
        DateTime(self.0.submitted_at)
    }
}
