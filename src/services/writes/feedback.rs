//! Feedback upserts and deletes.

use chrono::{DateTime, Utc};
use entity::{SurveyMetric, customer, feedback, touchpoint};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, Set,
};

use crate::error::{AppError, AppResult};
use crate::rollups::maintenance::{self, Locked, Scope};
use crate::services::writes::customers::is_erased;
use crate::services::writes::{Upserted, referenced};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedbackWrite {
    pub external_id: String,
    pub customer_external_id: String,
    pub touchpoint_external_id: Option<String>,
    pub metric: SurveyMetric,
    /// Checked against the metric's scale by the caller.
    pub score: i32,
    pub comment: Option<String>,
    pub submitted_at: DateTime<Utc>,
}

pub async fn upsert_feedback(db: &DatabaseConnection, write: FeedbackWrite) -> AppResult<Upserted<feedback::Model>> {
    let (low, high) = write.metric.score_range();
    if !(low..=high).contains(&write.score) {
        let metric = write.metric.to_value();
        return Err(AppError::bad_input(
            "input.score",
            format!("{metric} scores are {low} to {high}, not {}", write.score),
        ));
    }
    maintenance::with_retries(|| upsert_once(db, write.clone())).await
}

async fn upsert_once(db: &DatabaseConnection, write: FeedbackWrite) -> AppResult<Upserted<feedback::Model>> {
    let txn = maintenance::begin_write(db).await?;
    let customer = referenced::<customer::Entity>(
        &txn,
        customer::Column::ExternalId,
        "input.customerExternalId",
        &write.customer_external_id,
    )
    .await?;
    let touchpoint = match &write.touchpoint_external_id {
        None => None,
        Some(touchpoint_external_id) => {
            let touchpoint = referenced::<touchpoint::Entity>(
                &txn,
                touchpoint::Column::ExternalId,
                "input.touchpointExternalId",
                touchpoint_external_id,
            )
            .await?;
            if touchpoint.customer_id != customer.id {
                return Err(AppError::bad_input(
                    "input.touchpointExternalId",
                    format!(
                        "touchpoint '{touchpoint_external_id}' belongs to another customer than '{}'",
                        write.customer_external_id
                    ),
                ));
            }
            Some(touchpoint)
        }
    };
    let existing = find(&txn, &write.external_id).await?;
    let touchpoint_id = touchpoint.as_ref().map(|t| t.id);
    let wanted = (customer.id, touchpoint_id, write.metric, write.score, write.comment.clone(), write.submitted_at);
    let unchanged = existing.as_ref().is_some_and(|m| {
        (m.customer_id, m.touchpoint_id, m.metric, m.score, m.comment.clone(), m.submitted_at) == wanted
    });
    // A repeated upsert changes nothing and costs no upkeep.
    if let (Some(model), true) = (existing.clone(), unchanged) {
        txn.commit().await.map_err(AppError::from_db)?;
        return Ok(Upserted { model, created: false, changed: false });
    }
    // What this write changes: the answer, and whether its old and new touchpoints count as answered.
    let touched = Touched::of(&txn, existing.as_ref(), touchpoint.as_ref(), customer.id).await?;
    // Read again under the locks: a writer that moved the answer meanwhile would have moved it out of
    // what is locked and counted here.
    let existing = match &existing {
        Some(model) => {
            let now = find(&txn, &model.external_id).await?;
            if now.as_ref().map(|m| (m.customer_id, m.touchpoint_id)) != Some((model.customer_id, model.touchpoint_id))
            {
                return Err(AppError::Contention {
                    detail: "the answer moved during the write".into(),
                    retryable: true,
                });
            }
            now
        }
        None => None,
    };
    // An erased customer's answers keep no comment.
    let comment = if is_erased(&customer) { None } else { write.comment };
    maintenance::retract(&txn, touched.scope()).await?;
    let model = match existing {
        Some(model) => {
            let mut active: feedback::ActiveModel = model.into();
            active.customer_id = Set(customer.id);
            active.touchpoint_id = Set(touchpoint_id);
            active.metric = Set(write.metric);
            active.score = Set(write.score);
            active.comment = Set(comment);
            active.submitted_at = Set(write.submitted_at);
            Upserted { model: active.update(&txn).await.map_err(AppError::from_db)?, created: false, changed: true }
        }
        None => {
            let active = feedback::ActiveModel {
                external_id: Set(write.external_id),
                customer_id: Set(customer.id),
                touchpoint_id: Set(touchpoint_id),
                metric: Set(write.metric),
                score: Set(write.score),
                comment: Set(comment),
                submitted_at: Set(write.submitted_at),
                ..Default::default()
            };
            Upserted { model: active.insert(&txn).await.map_err(AppError::from_db)?, created: true, changed: true }
        }
    };
    let touched = Touched { answers: vec![model.model.id], ..touched };
    maintenance::restore(&txn, touched.scope()).await?;
    crate::events::notify_in_transaction(&txn, &[model.model.id]).await?;
    txn.commit().await.map_err(AppError::from_db)?;
    Ok(model)
}

/// Deletes an answer; returns whether there was one.
pub async fn delete_feedback(db: &DatabaseConnection, external_id: &str) -> AppResult<bool> {
    maintenance::with_retries(|| delete_once(db, external_id)).await
}

async fn delete_once(db: &DatabaseConnection, external_id: &str) -> AppResult<bool> {
    let txn = maintenance::begin_write(db).await?;
    let Some(existing) = find(&txn, external_id).await? else { return Ok(false) };
    let touched = Touched::of(&txn, Some(&existing), None, existing.customer_id).await?;
    maintenance::retract(&txn, touched.scope()).await?;
    let result = feedback::Entity::delete_by_id(existing.id).exec(&txn).await.map_err(AppError::from_db)?;
    maintenance::restore(&txn, Scope::Rows { answers: &[], touchpoints: &touched.touchpoints }).await?;
    txn.commit().await.map_err(AppError::from_db)?;
    Ok(result.rows_affected > 0)
}

async fn find(txn: &DatabaseTransaction, external_id: &str) -> AppResult<Option<feedback::Model>> {
    feedback::Entity::find()
        .filter(feedback::Column::ExternalId.eq(external_id))
        .one(txn)
        .await
        .map_err(AppError::from_db)
}

/// The rows a write of one answer changes the contribution of, locked for the rest of the transaction:
/// the answer, and the touchpoints it leaves and joins (whether each counts as answered).
struct Touched {
    answers: Vec<i64>,
    touchpoints: Vec<i64>,
}

impl Touched {
    /// Locks, in order, the customers labelling these rows (shared), the touchpoints and the answer.
    async fn of(
        txn: &DatabaseTransaction,
        existing: Option<&feedback::Model>,
        touchpoint: Option<&touchpoint::Model>,
        author: i64,
    ) -> AppResult<Touched> {
        let old_touchpoint = match existing.and_then(|m| m.touchpoint_id) {
            Some(id) if Some(id) != touchpoint.map(|t| t.id) => {
                touchpoint::Entity::find_by_id(id).one(txn).await.map_err(AppError::from_db)?
            }
            _ => None,
        };
        let touchpoints: Vec<&touchpoint::Model> = touchpoint.into_iter().chain(old_touchpoint.as_ref()).collect();
        let mut customers = vec![author];
        customers.extend(existing.map(|m| m.customer_id));
        customers.extend(touchpoints.iter().map(|t| t.customer_id));
        maintenance::lock(txn, Locked::CustomersShared, &customers).await?;
        let touchpoints: Vec<i64> = touchpoints.iter().map(|t| t.id).collect();
        maintenance::lock(txn, Locked::Touchpoints, &touchpoints).await?;
        let answers: Vec<i64> = existing.map(|m| m.id).into_iter().collect();
        maintenance::lock(txn, Locked::Answers, &answers).await?;
        Ok(Touched { answers, touchpoints })
    }

    fn scope(&self) -> Scope<'_> {
        Scope::Rows { answers: &self.answers, touchpoints: &self.touchpoints }
    }
}
