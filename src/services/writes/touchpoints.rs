//! Touchpoint upserts and deletes.

use entity::{customer, feedback, order, touchpoint};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Set,
};

use crate::domain::validation::{Field, Invalid, RecordKind, Rule, foreign_reference};
use crate::error::{AppError, AppResult};
use crate::rollups::maintenance::{self, Locked, Scope};
use crate::services::writes::store::{self, Upkeep};
use crate::services::writes::times;
use crate::services::writes::tombstones::delete_with_tombstones;
use crate::services::writes::{TouchpointWrite, Upserted};

pub async fn upsert_touchpoint(
    db: &DatabaseConnection,
    write: TouchpointWrite,
) -> AppResult<Upserted<touchpoint::Model>> {
    maintenance::with_retries(|| upsert_once(db, write.clone())).await
}

/// The row a touchpoint record is stored as, of the customer `customer_id` (and their order `order_id`).
pub fn touchpoint_row(write: TouchpointWrite, customer_id: i64, order_id: Option<i64>) -> touchpoint::ActiveModel {
    touchpoint::ActiveModel {
        external_id: Set(write.external_id),
        customer_id: Set(customer_id),
        order_id: Set(order_id),
        kind: Set(write.kind),
        channel: Set(write.channel),
        occurred_at: Set(write.occurred_at),
        survey_sent_at: Set(write.survey_sent_at),
        ..Default::default()
    }
}

async fn upsert_once(db: &DatabaseConnection, write: TouchpointWrite) -> AppResult<Upserted<touchpoint::Model>> {
    let txn = maintenance::begin_write(db).await?;
    let customer =
        store::referenced::<customer::Entity>(&txn, Field::CustomerExternalId, &write.customer_external_id).await?;
    let order_id = match &write.order_external_id {
        None => None,
        Some(order_external_id) => {
            let order = store::find::<order::Entity>(&txn, order_external_id).await?;
            let found = order.map(|o| (o.id, o.customer_id));
            let owner = (customer.id, write.customer_external_id.as_str());
            Some(foreign_reference(Field::OrderExternalId, RecordKind::Order, order_external_id, found, owner)?)
        }
    };
    let existing = store::find::<touchpoint::Entity>(&txn, &write.external_id).await?;
    if let Some(model) = &existing
        && model.customer_id != customer.id
    {
        store::refuse_moving_with_children(&txn, RecordKind::Touchpoint, model.id).await?;
    }
    let row = touchpoint_row(write, customer.id, order_id);
    if let Some(model) = existing.as_ref().filter(|m| store::holds::<touchpoint::Entity>(m, &row)) {
        return store::unchanged(txn, model.clone()).await;
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
    store::store::<touchpoint::Entity>(db, txn, existing, row, Upkeep::Rows { answers, touchpoints }).await
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
/// Each deleted row leaves its tombstone. Returns whether a touchpoint was deleted and how many answers went with it.
pub async fn delete_touchpoint(
    db: &DatabaseConnection,
    external_id: &str,
    with_feedback: bool,
) -> AppResult<Option<RemovedTouchpoint>> {
    maintenance::with_retries(|| delete_once(db, external_id, with_feedback)).await
}

/// What deleting a touchpoint removed: its id and its answers' ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemovedTouchpoint {
    pub touchpoint: i64,
    pub answers: Vec<i64>,
}

async fn delete_once(
    db: &DatabaseConnection,
    external_id: &str,
    with_feedback: bool,
) -> AppResult<Option<RemovedTouchpoint>> {
    let txn = maintenance::begin_write(db).await?;
    let Some(model) = store::find::<touchpoint::Entity>(&txn, external_id).await? else {
        return Ok(None);
    };
    let answer_count = feedback::Entity::find()
        .filter(feedback::Column::TouchpointId.eq(model.id))
        .count(&txn)
        .await
        .map_err(AppError::from_db)?;
    if answer_count > 0 && !with_feedback {
        return Err(Invalid::whole(Rule::HasAnswers { count: answer_count }).into());
    }
    let orders: Vec<i64> = model.order_id.into_iter().collect();
    let answer_ids = lock_with_answers(&txn, &model, model.customer_id, &orders).await?;
    maintenance::retract(&txn, Scope::Rows { answers: &answer_ids, touchpoints: &[model.id] }).await?;
    // The answers were locked above, so these are the ones deleted.
    let at = times::now();
    let answers = Condition::all().add(feedback::Column::TouchpointId.eq(model.id));
    delete_with_tombstones::<feedback::Entity>(&txn, answers, at).await?;
    let touchpoint = Condition::all().add(touchpoint::Column::Id.eq(model.id));
    delete_with_tombstones::<touchpoint::Entity>(&txn, touchpoint, at).await?;
    crate::rollups::maintenance::commit(db, txn).await?;
    Ok(Some(RemovedTouchpoint { touchpoint: model.id, answers: answer_ids }))
}
