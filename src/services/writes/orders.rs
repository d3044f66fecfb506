//! Order upserts and status changes. An order's status labels its touchpoints and their answers in the
//! satisfaction rollups: a change of status moves them there.

use entity::{OrderStatus, customer, feedback, order, touchpoint};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Set,
};

use crate::domain::validation::{Field, RecordKind};
use crate::error::{AppError, AppResult};
use crate::rollups::maintenance::{self, Locked, Scope};
use crate::services::writes::store::{self, Upkeep};
use crate::services::writes::times;
use crate::services::writes::{OrderWrite, Upserted};

pub async fn upsert_order(db: &DatabaseConnection, write: OrderWrite) -> AppResult<Upserted<order::Model>> {
    maintenance::with_retries(|| upsert_once(db, write.clone())).await
}

/// The row an order record is stored as, placed by the customer `customer_id`.
pub fn order_row(write: OrderWrite, customer_id: i64) -> order::ActiveModel {
    order::ActiveModel {
        external_id: Set(write.external_id),
        customer_id: Set(customer_id),
        placed_at: Set(write.placed_at),
        status: Set(write.status),
        total_amount_minor: Set(write.total_amount_minor),
        currency: Set(write.currency),
        ..Default::default()
    }
}

async fn upsert_once(db: &DatabaseConnection, write: OrderWrite) -> AppResult<Upserted<order::Model>> {
    let txn = maintenance::begin_write(db).await?;
    let customer =
        store::referenced::<customer::Entity>(&txn, Field::CustomerExternalId, &write.customer_external_id).await?;
    let existing = store::find::<order::Entity>(&txn, &write.external_id).await?;
    let status = write.status;
    let row = order_row(write, customer.id);
    if let Some(model) = existing.as_ref().filter(|m| store::holds::<order::Entity>(m, &row)) {
        return store::unchanged(txn, model.clone()).await;
    }
    let mut labelled = Labelled::default();
    if let Some(model) = &existing {
        if model.customer_id != customer.id {
            store::refuse_moving_with_children(&txn, RecordKind::Order, model.id).await?;
        }
        if model.status != status {
            labelled = lock_labelled(&txn, model.id).await?;
        }
    }
    store::store::<order::Entity>(db, txn, existing, row, labelled.upkeep()).await
}

/// Changes an order's status: the order as stored now, and whether the status changed.
pub async fn set_order_status(
    db: &DatabaseConnection,
    external_id: &str,
    status: OrderStatus,
) -> AppResult<Upserted<order::Model>> {
    maintenance::with_retries(|| set_status_once(db, external_id, status)).await
}

async fn set_status_once(
    db: &DatabaseConnection,
    external_id: &str,
    status: OrderStatus,
) -> AppResult<Upserted<order::Model>> {
    let txn = maintenance::begin_write(db).await?;
    let model = store::find::<order::Entity>(&txn, external_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no order with external id '{external_id}'")))?;
    let changed = model.status != status;
    let model = if !changed {
        model
    } else {
        let rows = lock_labelled(&txn, model.id).await?;
        maintenance::retract(&txn, rows.scope()).await?;
        let mut active: order::ActiveModel = model.into();
        active.status = Set(status);
        times::stamp_changed::<order::Entity>(&mut active, times::now())?;
        let model = active.update(&txn).await.map_err(AppError::from_db)?;
        maintenance::restore(&txn, rows.scope()).await?;
        model
    };
    maintenance::commit(db, txn).await?;
    Ok(Upserted { model, created: false, changed })
}

/// The rows an order's status labels in the rollups: its touchpoints and their answers.
#[derive(Default)]
struct Labelled {
    answers: Vec<i64>,
    touchpoints: Vec<i64>,
}

impl Labelled {
    fn scope(&self) -> Scope<'_> {
        Scope::Rows { answers: &self.answers, touchpoints: &self.touchpoints }
    }

    fn upkeep(self) -> Upkeep {
        Upkeep::Rows { answers: self.answers, touchpoints: self.touchpoints }
    }
}

/// Locks an order whose status changes, with what its status labels: the customers of its touchpoints
/// and answers (shared), the order, its touchpoints; returns those touchpoints and answers as they are
/// under the locks (touchpoint writers lock the orders they touch, answer writers their touchpoints).
async fn lock_labelled(txn: &DatabaseTransaction, order_id: i64) -> AppResult<Labelled> {
    let rows = || async {
        let touchpoints: Vec<(i64, i64)> = touchpoint::Entity::find()
            .select_only()
            .column(touchpoint::Column::Id)
            .column(touchpoint::Column::CustomerId)
            .filter(touchpoint::Column::OrderId.eq(order_id))
            .into_tuple()
            .all(txn)
            .await
            .map_err(AppError::from_db)?;
        let ids: Vec<i64> = touchpoints.iter().map(|(id, _)| *id).collect();
        let answers: Vec<(i64, i64)> = feedback::Entity::find()
            .select_only()
            .column(feedback::Column::Id)
            .column(feedback::Column::CustomerId)
            .filter(feedback::Column::TouchpointId.is_in(ids))
            .into_tuple()
            .all(txn)
            .await
            .map_err(AppError::from_db)?;
        AppResult::Ok((touchpoints, answers))
    };
    let (touchpoints, answers) = rows().await?;
    let customers: Vec<i64> = touchpoints.iter().chain(&answers).map(|(_, customer)| *customer).collect();
    maintenance::lock(txn, Locked::CustomersShared, &customers).await?;
    maintenance::lock(txn, Locked::Orders, &[order_id]).await?;
    let ids: Vec<i64> = touchpoints.iter().map(|(id, _)| *id).collect();
    maintenance::lock(txn, Locked::Touchpoints, &ids).await?;
    let (touchpoints, answers) = rows().await?;
    let late: Vec<i64> = touchpoints
        .iter()
        .chain(&answers)
        .map(|(_, customer)| *customer)
        .filter(|customer| !customers.contains(customer))
        .collect();
    maintenance::lock(txn, Locked::CustomersShared, &late).await?;
    let late_touchpoints: Vec<i64> = touchpoints.iter().map(|(id, _)| *id).filter(|id| !ids.contains(id)).collect();
    maintenance::lock(txn, Locked::Touchpoints, &late_touchpoints).await?;
    Ok(Labelled {
        answers: answers.into_iter().map(|(id, _)| id).collect(),
        touchpoints: touchpoints.into_iter().map(|(id, _)| id).collect(),
    })
}
