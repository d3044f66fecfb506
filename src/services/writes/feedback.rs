//! Feedback upserts and deletes.

use chrono::{DateTime, Utc};
use entity::{SurveyMetric, customer, feedback, touchpoint};
use sea_orm::{ActiveEnum, ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use crate::error::{AppError, AppResult};
use crate::rollups::maintenance::{self, Rows};
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
    let txn = maintenance::begin_write(db).await?;
    let customer = referenced::<customer::Entity>(
        &txn,
        customer::Column::ExternalId,
        "input.customerExternalId",
        &write.customer_external_id,
    )
    .await?;
    let touchpoint_id = match &write.touchpoint_external_id {
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
            Some(touchpoint.id)
        }
    };
    let existing = feedback::Entity::find()
        .filter(feedback::Column::ExternalId.eq(&write.external_id))
        .one(&txn)
        .await
        .map_err(AppError::from_db)?;
    let wanted = (customer.id, touchpoint_id, write.metric, write.score, write.comment.clone(), write.submitted_at);
    let unchanged = existing.as_ref().is_some_and(|m| {
        (m.customer_id, m.touchpoint_id, m.metric, m.score, m.comment.clone(), m.submitted_at) == wanted
    });
    // The rollups follow the change; a repeated upsert changes nothing and costs no upkeep.
    let involved = if unchanged {
        Vec::new()
    } else {
        let mut involved =
            maintenance::customers_involved(&txn, Rows::Feedback, std::slice::from_ref(&write.external_id)).await?;
        involved.push(customer.id);
        involved
    };
    maintenance::retract(&txn, &involved).await?;
    let result = match existing {
        Some(model) if unchanged => Upserted { model, created: false, changed: false },
        Some(model) => {
            let mut active: feedback::ActiveModel = model.into();
            active.customer_id = Set(customer.id);
            active.touchpoint_id = Set(touchpoint_id);
            active.metric = Set(write.metric);
            active.score = Set(write.score);
            active.comment = Set(write.comment);
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
                comment: Set(write.comment),
                submitted_at: Set(write.submitted_at),
                ..Default::default()
            };
            Upserted { model: active.insert(&txn).await.map_err(AppError::from_db)?, created: true, changed: true }
        }
    };
    maintenance::restore(&txn, &involved).await?;
    if result.changed {
        crate::events::notify_in_transaction(&txn, &[result.model.id]).await?;
    }
    txn.commit().await.map_err(AppError::from_db)?;
    Ok(result)
}

/// Deletes an answer; returns whether there was one.
pub async fn delete_feedback(db: &DatabaseConnection, external_id: &str) -> AppResult<bool> {
    let txn = maintenance::begin_write(db).await?;
    let involved = maintenance::customers_involved(&txn, Rows::Feedback, &[external_id.to_owned()]).await?;
    maintenance::retract(&txn, &involved).await?;
    let result = feedback::Entity::delete_many()
        .filter(feedback::Column::ExternalId.eq(external_id))
        .exec(&txn)
        .await
        .map_err(AppError::from_db)?;
    maintenance::restore(&txn, &involved).await?;
    txn.commit().await.map_err(AppError::from_db)?;
    Ok(result.rows_affected > 0)
}
