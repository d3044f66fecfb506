//! The root `Subscription` type, served over WebSocket (graphql-transport-ws) on `/graphql/ws`.

use std::sync::Arc;

use async_graphql::{Context, Enum, InputObject, Result, SimpleObject, Subscription};
use chrono::Utc;
use futures_util::{Stream, StreamExt};
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;

use crate::error::AppError;
use crate::events::{Events, Topic};
use crate::graphql::complaints::Complaint;
use crate::graphql::connection::database;
use crate::graphql::enums::{Channel, ComplaintCategory, SatisfactionCategory, SurveyMetric, TouchpointKind};
use crate::graphql::feedback::{Feedback, answer_category};
use crate::ops::metrics::Metrics;
use crate::services::complaints::{past_sla, sla};
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

/// Which complaints an alert subscription delivers. Conditions combine with AND; a list matches any of
/// its values.
#[derive(InputObject, Clone, Debug, Default)]
pub struct ComplaintAlertFilter {
    /// Complaints in these categories.
    pub categories: Option<Vec<ComplaintCategory>>,
    /// Complaints received through these channels.
    pub channels: Option<Vec<Channel>>,
}

impl ComplaintAlertFilter {
    fn matches(&self, complaint: &entity::complaint::Model) -> bool {
        self.categories.as_ref().is_none_or(|c| c.contains(&complaint.category.into()))
            && self.channels.as_ref().is_none_or(|c| c.contains(&complaint.channel.into()))
    }
}

/// Why a complaint is announced.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ComplaintAlertReason {
    /// Opened, or reopened after it was closed, and not closed (again) when announced.
    Opened,
    /// Still open (OPEN or IN_PROGRESS) when its SLA ran out.
    PastSla,
}

/// A complaint that needs attention, and why.
#[derive(SimpleObject)]
pub struct ComplaintAlert {
    /// Why it is announced.
    pub reason: ComplaintAlertReason,
    /// The complaint as stored when announced.
    pub complaint: Complaint,
}

/// How often a complaint alert subscription looks for complaints whose SLA ran out.
const SLA_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(5);
/// Complaints past their SLA announced per check; the rest follow at the next checks.
const PAST_SLA_PER_CHECK: u64 = 100;

/// The next announced id of `topic`; `None` once the server stops announcing. A subscriber too slow to
/// keep up skips ahead rather than block the others.
async fn next_id(receiver: &mut Receiver<i64>, topic: Topic) -> Option<i64> {
    loop {
        match receiver.recv().await {
            Ok(id) => return Some(id),
            Err(RecvError::Lagged(skipped)) => tracing::warn!(skipped, ?topic, "a subscriber fell behind"),
            Err(RecvError::Closed) => return None,
        }
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
        let events = ctx.data::<Events>().map_err(|_| AppError::Internal("no event bus in the schema data".into()))?;
        let receiver = events.subscribe(Topic::Feedback);
        let db = database(ctx)?.clone();
        let filter = filter.unwrap_or_default();
        // Counts this subscription in `/metrics` until the stream is dropped (client gone or server stopping).
        let active = ctx.data::<Arc<Metrics>>().ok().map(|metrics| metrics.subscription_started());
        let state = (receiver, db, filter, active);
        Ok(futures_util::stream::unfold(state, |(mut receiver, db, filter, active)| async move {
            loop {
                let id = next_id(&mut receiver, Topic::Feedback).await?;
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

    /// Complaints that need attention from now on, through any server instance (on PostgreSQL): each
    /// opened or reopened complaint, and each one still open when its SLA runs out (checked every few
    /// seconds; a complaint whose SLA ran out before the subscription started is not announced).
    async fn complaint_alerts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The resolution time the SLA allows, in hours (1 to 8760).", default = 48)] sla_hours: i32,
        #[graphql(desc = "Which complaints to deliver.")] filter: Option<ComplaintAlertFilter>,
    ) -> Result<impl Stream<Item = ComplaintAlert>> {
        let sla = sla("slaHours", sla_hours)?;
        let events = ctx.data::<Events>().map_err(|_| AppError::Internal("no event bus in the schema data".into()))?;
        let db = database(ctx)?.clone();
        let filter = filter.unwrap_or_default();
        let active = ctx.data::<Arc<Metrics>>().ok().map(|metrics| metrics.subscription_started());
        let opened = futures_util::stream::unfold(
            (events.subscribe(Topic::Complaints), db.clone(), filter.clone()),
            |(mut receiver, db, filter)| async move {
                loop {
                    let id = next_id(&mut receiver, Topic::Complaints).await?;
                    match by_id::<entity::complaint::Entity>(&db, id).await {
                        Ok(Some(complaint)) if !complaint.status.is_closed() && filter.matches(&complaint) => {
                            let alert = ComplaintAlert {
                                reason: ComplaintAlertReason::Opened,
                                complaint: Complaint(complaint),
                            };
                            return Some((alert, (receiver, db, filter)));
                        }
                        Ok(_) => continue,
                        Err(e) => tracing::error!(error = %e, "cannot load an opened complaint"),
                    }
                }
            },
        );
        // Each check announces the complaints whose SLA ran out since the last one.
        let mut checks = tokio::time::interval(SLA_CHECK_EVERY);
        checks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let past = futures_util::stream::unfold(
            (checks, Utc::now(), db, filter),
            move |(mut checks, since, db, filter)| async move {
                checks.tick().await;
                let until = Utc::now();
                let (due, next) = match past_sla(&db, sla, (since, until), PAST_SLA_PER_CHECK).await {
                    // A full batch: the next check goes on from its last complaint.
                    Ok(due) if due.len() as u64 == PAST_SLA_PER_CHECK => {
                        let next = due.last().map_or(until, |c| c.opened_at.with_timezone(&Utc) + sla);
                        (due, next)
                    }
                    Ok(due) => (due, until),
                    Err(e) => {
                        tracing::error!(error = %e, "cannot look for complaints past their SLA");
                        (Vec::new(), since)
                    }
                };
                let alerts: Vec<ComplaintAlert> = due
                    .into_iter()
                    .filter(|complaint| filter.matches(complaint))
                    .map(|complaint| ComplaintAlert {
                        reason: ComplaintAlertReason::PastSla,
                        complaint: Complaint(complaint),
                    })
                    .collect();
                Some((futures_util::stream::iter(alerts), (checks, next, db, filter)))
            },
        )
        .flatten();
        // The subscription is counted in `/metrics` until the stream is dropped.
        Ok(futures_util::stream::select(opened, past).map(move |alert| {
            let _counted = &active;
            alert
        }))
    }
}
