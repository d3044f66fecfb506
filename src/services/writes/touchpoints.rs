//! Touchpoint upserts and deletes.

use chrono::{DateTime, Utc};
use entity::{Channel, TouchpointKind, customer, feedback, order, touchpoint};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Set,
};

use crate::error::{AppError, AppResult};
use crate::rollups::maintenance::{self, Locked, Scope};
use crate::services::writes::{Upserted, referenced, refuse_moving_with_children};

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
    maintenance::with_retries(|| upsert_once(db, write.clone())).await
}

async fn upsert_once(db: &DatabaseConnection, write: TouchpointWrite) -> AppResult<Upserted<touchpoint::Model>> {
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
        refuse_moving_with_children::<feedback::Entity>(
            &txn,
            feedback::Column::TouchpointId,
            model.id,
            "the touchpoint has answers of another customer",
        )
        .await?;
    }
    let wanted = (customer.id, order_id, write.kind, write.channel, write.occurred_at, write.survey_sent_at);
    let unchanged = existing
        .as_ref()
        .is_some_and(|m| (m.customer_id, m.order_id, m.kind, m.channel, m.occurred_at, m.survey_sent_at) == wanted);
    // A repeated upsert changes nothing and costs no upkeep.
    if let (Some(model), true) = (existing.clone(), unchanged) {
        txn.commit().await.map_err(AppError::from_db)?;
        return Ok(Upserted { model, created: false, changed: false });
    }
    // The touchpoint's kind and channel label its answers, its owner's segment and region its survey,
    // its order's status both.
    let orders: Vec<i64> = existing.iter().filter_map(|m| m.order_id).chain(order_id).collect();
    let answers = match &existing {
        Some(model) => lock_with_answers(&txn, model, customer.id, &orders).await?,
        None => {
            maintenance::lock(&txn, Locked::CustomersShared, &[customer.id]).await?;
            maintenance::lock(&txn, Locked::OrdersShared, &orders).await?;
            Vec::new()
        }
    };
    let touchpoints: Vec<i64> = existing.iter().map(|m| m.id).collect();
    maintenance::retract(&txn, Scope::Rows { answers: &answers, touchpoints: &touchpoints }).await?;
    let result = match existing {
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
    let touchpoints = [result.model.id];
    maintenance::restore(&txn, Scope::Rows { answers: &answers, touchpoints: &touchpoints }).await?;
    crate::rollups::maintenance::commit(db, txn).await?;
    Ok(result)
}

/// Locks a touchpoint with everything labelling its rows (its owners before and after, the authors of
/// its answers: shared), and returns its answers, as they are under the lock.
async fn lock_with_answers(
    txn: &DatabaseTransaction,
    model: &touchpoint::Model,
    new_owner: i64,
    orders: &[i64],
) -> AppResult<Vec<i64>> {
    let answers_of = || async {
        let rows: Vec<(i64, i64)> = feedback::Entity::find()
            .select_only()
            .column(feedback::Column::Id)
            .column(feedback::Column::CustomerId)
            .filter(feedback::Column::TouchpointId.eq(model.id))
            .into_tuple()
            .all(txn)
            .await
            .map_err(AppError::from_db)?;
        AppResult::Ok(rows)
    };
    let before = answers_of().await?;
    let mut customers: Vec<i64> = before.iter().map(|(_, author)| *author).collect();
    customers.extend([model.customer_id, new_owner]);
    maintenance::lock(txn, Locked::CustomersShared, &customers).await?;
    maintenance::lock(txn, Locked::OrdersShared, orders).await?;
    maintenance::lock(txn, Locked::Touchpoints, &[model.id]).await?;
    // Answers are written under the touchpoint's lock: from here on the set is stable. One given
    // meanwhile by a customer not locked above gets its lock now.
    let after = answers_of().await?;
    let late: Vec<i64> = after.iter().map(|(_, author)| *author).filter(|a| !customers.contains(a)).collect();
    maintenance::lock(txn, Locked::CustomersShared, &late).await?;
    Ok(after.into_iter().map(|(id, _)| id).collect())
}

/// Deletes a touchpoint. Its answers would otherwise turn into relationship surveys and move between
/// groups of every satisfaction figure: they are deleted with it only when `with_feedback` says so.
/// Returns whether a touchpoint was deleted and how many answers went with it.
pub async fn delete_touchpoint(
    db: &DatabaseConnection,
    external_id: &str,
    with_feedback: bool,
) -> AppResult<(bool, u64)> {
    maintenance::with_retries(|| delete_once(db, external_id, with_feedback)).await
}

async fn delete_once(db: &DatabaseConnection, external_id: &str, with_feedback: bool) -> AppResult<(bool, u64)> {
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
    let orders: Vec<i64> = model.order_id.into_iter().collect();
    let answer_ids = lock_with_answers(&txn, &model, model.customer_id, &orders).await?;
    maintenance::retract(&txn, Scope::Rows { answers: &answer_ids, touchpoints: &[model.id] }).await?;
    let deleted_answers = answers.exec(&txn).await.map_err(AppError::from_db)?.rows_affected;
    touchpoint::Entity::delete_by_id(model.id).exec(&txn).await.map_err(AppError::from_db)?;
    crate::rollups::maintenance::commit(db, txn).await?;
    Ok((true, deleted_answers))
}
