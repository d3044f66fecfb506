//! The root `Subscription` type, served over WebSocket (graphql-transport-ws) on `/graphql/ws`.

use std::sync::Arc;

use async_graphql::{Context, InputObject, Result, Subscription};
use futures_util::Stream;
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast::error::RecvError;

use crate::error::AppError;
use crate::events::FeedbackEvents;
use crate::graphql::connection::database;
use crate::graphql::enums::{SatisfactionCategory, SurveyMetric, TouchpointKind};
use crate::graphql::feedback::{Feedback, answer_category};
use crate::ops::metrics::Metrics;
use crate::services::lookups::by_id;

/// Which answers a subscription delivers. Conditions combine with AND; a list matches any of its values.
#[derive(InputObject, Clone, Debug, Default)]
pub struct FeedbackSubscriptionFilter {
    /// Answers to these metrics.
    pub metrics: Option<Vec<SurveyMetric>>,
    /// Answers in these categories, e.g. `[DETRACTOR]` to alert on detractors.
    pub categories: Option<Vec<SatisfactionCategory>>,
    /// Answers given at touchpoints of these kinds (relationship surveys never match).
    pub touchpoint_kinds: Option<Vec<TouchpointKind>>,
}

impl FeedbackSubscriptionFilter {
    async fn matches(&self, db: &DatabaseConnection, answer: &entity::feedback::Model) -> Result<bool, AppError> {
        if self.metrics.as_ref().is_some_and(|m| !m.contains(&answer.metric.into())) {
            return Ok(false);
        }
        if let Some(categories) = &self.categories
            && !answer_category(answer).is_some_and(|c| categories.contains(&c))
        {
            return Ok(false);
        }
        if let Some(kinds) = &self.touchpoint_kinds {
            let Some(touchpoint_id) = answer.touchpoint_id else { return Ok(false) };
            let touchpoint = by_id::<entity::touchpoint::Entity>(db, touchpoint_id).await?;
            return Ok(touchpoint.is_some_and(|t| kinds.contains(&t.kind.into())));
        }
        Ok(true)
    }
}

pub struct SubscriptionRoot;

/// Live events.
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Every answer created or changed from now on, by a mutation or an import, through any server
    /// instance (on PostgreSQL), that matches `filter`: e.g. detractors, to close the loop with them.
    async fn feedback_submitted(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which answers to deliver.")] filter: Option<FeedbackSubscriptionFilter>,
    ) -> Result<impl Stream<Item = Feedback>> {
        let events =
            ctx.data::<FeedbackEvents>().map_err(|_| AppError::Internal("no event bus in the schema data".into()))?;
        let receiver = events.subscribe();
        let db = database(ctx)?.clone();
        let filter = filter.unwrap_or_default();
        // Counts this subscription in `/metrics` until the stream is dropped (client gone or server stopping).
        let active = ctx.data::<Arc<Metrics>>().ok().map(|metrics| metrics.subscription_started());
        let state = (receiver, db, filter, active);
        Ok(futures_util::stream::unfold(state, |(mut receiver, db, filter, active)| async move {
            loop {
                let id = match receiver.recv().await {
                    Ok(id) => id,
                    // A subscriber too slow to keep up skips ahead rather than block the others.
                    Err(RecvError::Lagged(skipped)) => {
                        tracing::warn!(skipped, "a feedback subscriber fell behind");
                        continue;
                    }
                    Err(RecvError::Closed) => return None,
                };
                let answer = match by_id::<entity::feedback::Entity>(&db, id).await {
                    Ok(Some(answer)) => answer,
                    Ok(None) => continue,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot load a submitted answer");
                        continue;
                    }
                };
                match filter.matches(&db, &answer).await {
                    Ok(true) => return Some((Feedback(answer), (receiver, db, filter, active))),
                    Ok(false) => continue,
                    Err(e) => tracing::error!(error = %e, "cannot filter a submitted answer"),
                }
            }
        }))
    }
}
