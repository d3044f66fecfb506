//! Touchpoint upserts and deletes.

use chrono::{DateTime, Utc};
use entity::{Channel, TouchpointKind, customer, feedback, order, touchpoint};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};

use crate::error::{AppError, AppResult};
use crate::rollups::maintenance::{self, Rows};
use crate::services::writes::{Upserted, referenced};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TouchpointWrite {
    pub external_id: String,
    pub customer_external_id: String,
    pub order_external_id: Option<String>,
    pub kind: TouchpointKind,
    pub channel: Channel,
    pub occurred_at: DateTime<Utc>,
    pub survey_sent_at: Option<DateTime<Utc>>,
}

pub async fn upsert_touchpoint(
    db: &DatabaseConnection,
    write: TouchpointWrite,
) -> AppResult<Upserted<touchpoint::Model>> {
    let txn = maintenance::begin_write(db).await?;
    let customer = referenced::<customer::Entity>(
        &txn,
        customer::Column::ExternalId,
        "input.customerExternalId",
        &write.customer_external_id,
    )
    .await?;
    let order_id = match &write.order_external_id {
        None => None,
        Some(order_external_id) => {
            let order = referenced::<order::Entity>(
                &txn,
                order::Column::ExternalId,
                "input.orderExternalId",
                order_external_id,
            )
            .await?;
            if order.customer_id != customer.id {
                return Err(AppError::bad_input(
                    "input.orderExternalId",
                    format!(
                        "order '{order_external_id}' belongs to another customer than '{}'",
                        write.customer_external_id
                    ),
                ));
            }
            Some(order.id)
        }
    };
    let existing = touchpoint::Entity::find()
        .filter(touchpoint::Column::ExternalId.eq(&write.external_id))
        .one(&txn)
        .await
        .map_err(AppError::from_db)?;
    if let Some(model) = &existing
        && model.customer_id != customer.id
    {
        // Its answers belong to the old customer: moving it would split a touchpoint from its feedback.
        let answers = feedback::Entity::find()
            .filter(feedback::Column::TouchpointId.eq(model.id))
            .count(&txn)
            .await
            .map_err(AppError::from_db)?;
        if answers > 0 {
            return Err(AppError::bad_input(
                "input.customerExternalId",
                "the touchpoint has answers of another customer",
            ));
        }
    }
    let wanted = (customer.id, order_id, write.kind, write.channel, write.occurred_at, write.survey_sent_at);
    let unchanged = existing
        .as_ref()
        .is_some_and(|m| (m.customer_id, m.order_id, m.kind, m.channel, m.occurred_at, m.survey_sent_at) == wanted);
    // The rollups follow the change; a repeated upsert changes nothing and costs no upkeep.
    let involved = if unchanged {
        Vec::new()
    } else {
        let mut involved =
            maintenance::customers_involved(&txn, Rows::Touchpoints, std::slice::from_ref(&write.external_id)).await?;
        involved.push(customer.id);
        involved
    };
    maintenance::retract(&txn, &involved).await?;
    let result = match existing {
        Some(model) if unchanged => Upserted { model, created: false, changed: false },
        Some(model) => {
            let mut active: touchpoint::ActiveModel = model.into();
            active.customer_id = Set(customer.id);
            active.order_id = Set(order_id);
            active.kind = Set(write.kind);
            active.channel = Set(write.channel);
            active.occurred_at = Set(write.occurred_at);
            active.survey_sent_at = Set(write.survey_sent_at);
            Upserted { model: active.update(&txn).await.map_err(AppError::from_db)?, created: false, changed: true }
        }
        None => {
            let active = touchpoint::ActiveModel {
                external_id: Set(write.external_id),
                customer_id: Set(customer.id),
                order_id: Set(order_id),
                kind: Set(write.kind),
                channel: Set(write.channel),
                occurred_at: Set(write.occurred_at),
                survey_sent_at: Set(write.survey_sent_at),
                ..Default::default()
            };
            Upserted { model: active.insert(&txn).await.map_err(AppError::from_db)?, created: true, changed: true }
        }
    };
    maintenance::restore(&txn, &involved).await?;
    txn.commit().await.map_err(AppError::from_db)?;
    Ok(result)
}

/// Deletes a touchpoint. Its answers would otherwise turn into relationship surveys and move between
/// groups of every satisfaction figure: they are deleted with it only when `with_feedback` says so.
/// Returns whether a touchpoint was deleted and how many answers went with it.
pub async fn delete_touchpoint(
    db: &DatabaseConnection,
    external_id: &str,
    with_feedback: bool,
) -> AppResult<(bool, u64)> {
    let txn = maintenance::begin_write(db).await?;
    let Some(model) = touchpoint::Entity::find()
        .filter(touchpoint::Column::ExternalId.eq(external_id))
        .one(&txn)
        .await
        .map_err(AppError::from_db)?
    else {
        return Ok((false, 0));
    };
    let answers = feedback::Entity::delete_many().filter(feedback::Column::TouchpointId.eq(model.id));
    let answer_count = feedback::Entity::find()
        .filter(feedback::Column::TouchpointId.eq(model.id))
        .count(&txn)
        .await
        .map_err(AppError::from_db)?;
    if answer_count > 0 && !with_feedback {
        return Err(AppError::bad_input(
            "withFeedback",
            format!("the touchpoint has {answer_count} answers: pass withFeedback: true to delete them with it"),
        ));
    }
    let involved = maintenance::customers_involved(&txn, Rows::Touchpoints, &[external_id.to_owned()]).await?;
    maintenance::retract(&txn, &involved).await?;
    let deleted_answers = answers.exec(&txn).await.map_err(AppError::from_db)?.rows_affected;
    touchpoint::Entity::delete_by_id(model.id).exec(&txn).await.map_err(AppError::from_db)?;
    maintenance::restore(&txn, &involved).await?;
    txn.commit().await.map_err(AppError::from_db)?;
    Ok((true, deleted_answers))
}
