//! Order upserts and status changes. An order's status labels its touchpoints and their answers in the
//! satisfaction rollups: a change of status moves them there.

use chrono::{DateTime, Utc};
use entity::{OrderStatus, customer, feedback, order, touchpoint};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Set,
};

use crate::error::{AppError, AppResult};
use crate::rollups::maintenance::{self, Locked, Scope};
use crate::services::writes::{Upserted, referenced, refuse_moving_with_children};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderWrite {
    pub external_id: String,
    pub customer_external_id: String,
    pub placed_at: DateTime<Utc>,
    pub status: OrderStatus,
    pub total_amount_minor: i64,
    pub currency: String,
}

pub async fn upsert_order(db: &DatabaseConnection, write: OrderWrite) -> AppResult<Upserted<order::Model>> {
    maintenance::with_retries(|| upsert_once(db, write.clone())).await
}

async fn upsert_once(db: &DatabaseConnection, write: OrderWrite) -> AppResult<Upserted<order::Model>> {
    let txn = maintenance::begin_write(db).await?;
    let customer = referenced::<customer::Entity>(
        &txn,
        customer::Column::ExternalId,
        "input.customerExternalId",
        &write.customer_external_id,
    )
    .await?;
    let existing = order::Entity::find()
        .filter(order::Column::ExternalId.eq(&write.external_id))
        .one(&txn)
        .await
        .map_err(AppError::from_db)?;
    let wanted = (customer.id, write.placed_at, write.status, write.total_amount_minor, write.currency.clone());
    let result = match existing {
        Some(model)
            if (model.customer_id, model.placed_at, model.status, model.total_amount_minor, model.currency.clone())
                == wanted =>
        {
            Upserted { model, created: false, changed: false }
        }
        Some(model) => {
            if model.customer_id != customer.id {
                refuse_moving_with_children::<touchpoint::Entity>(
                    &txn,
                    touchpoint::Column::OrderId,
                    model.id,
                    "the order has touchpoints of another customer",
                )
                .await?;
            }
            let relabelled = model.status != write.status;
            let rows = if relabelled { lock_labelled(&txn, model.id).await? } else { Labelled::default() };
            maintenance::retract(&txn, rows.scope()).await?;
            let mut active: order::ActiveModel = model.into();
            active.customer_id = Set(customer.id);
            active.placed_at = Set(write.placed_at);
            active.status = Set(write.status);
            active.total_amount_minor = Set(write.total_amount_minor);
            active.currency = Set(write.currency);
            let model = active.update(&txn).await.map_err(AppError::from_db)?;
            maintenance::restore(&txn, rows.scope()).await?;
            Upserted { model, created: false, changed: true }
        }
        None => {
            let active = order::ActiveModel {
                external_id: Set(write.external_id),
                customer_id: Set(customer.id),
                placed_at: Set(write.placed_at),
                status: Set(write.status),
                total_amount_minor: Set(write.total_amount_minor),
                currency: Set(write.currency),
                ..Default::default()
            };
            Upserted { model: active.insert(&txn).await.map_err(AppError::from_db)?, created: true, changed: true }
        }
    };
    maintenance::commit(db, txn).await?;
    Ok(result)
}

pub async fn set_order_status(
    db: &DatabaseConnection,
    external_id: &str,
    status: OrderStatus,
) -> AppResult<order::Model> {
    maintenance::with_retries(|| set_status_once(db, external_id, status)).await
}

async fn set_status_once(db: &DatabaseConnection, external_id: &str, status: OrderStatus) -> AppResult<order::Model> {
    let txn = maintenance::begin_write(db).await?;
    let model = order::Entity::find()
        .filter(order::Column::ExternalId.eq(external_id))
        .one(&txn)
        .await
        .map_err(AppError::from_db)?
        .ok_or_else(|| AppError::NotFound(format!("no order with external id '{external_id}'")))?;
    let model = if model.status == status {
        model
    } else {
        let rows = lock_labelled(&txn, model.id).await?;
        maintenance::retract(&txn, rows.scope()).await?;
        let mut active: order::ActiveModel = model.into();
        active.status = Set(status);
        let model = active.update(&txn).await.map_err(AppError::from_db)?;
        maintenance::restore(&txn, rows.scope()).await?;
        model
    };
    maintenance::commit(db, txn).await?;
    Ok(model)
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
