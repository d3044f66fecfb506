//! Order upserts and status changes.

use chrono::{DateTime, Utc};
use entity::{OrderStatus, customer, order};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use crate::error::{AppError, AppResult};
use crate::services::writes::{Upserted, referenced};

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
    let txn = crate::rollups::maintenance::begin_write(db).await?;
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
            let mut active: order::ActiveModel = model.into();
            active.customer_id = Set(customer.id);
            active.placed_at = Set(write.placed_at);
            active.status = Set(write.status);
            active.total_amount_minor = Set(write.total_amount_minor);
            active.currency = Set(write.currency);
            Upserted { model: active.update(&txn).await.map_err(AppError::from_db)?, created: false, changed: true }
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
    crate::rollups::maintenance::commit(db, txn).await?;
    Ok(result)
}

pub async fn set_order_status(
    db: &DatabaseConnection,
    external_id: &str,
    status: OrderStatus,
) -> AppResult<order::Model> {
    let txn = crate::rollups::maintenance::begin_write(db).await?;
    let model = order::Entity::find()
        .filter(order::Column::ExternalId.eq(external_id))
        .one(&txn)
        .await
        .map_err(AppError::from_db)?
        .ok_or_else(|| AppError::NotFound(format!("no order with external id '{external_id}'")))?;
    let model = if model.status == status {
        model
    } else {
        let mut active: order::ActiveModel = model.into();
        active.status = Set(status);
        active.update(&txn).await.map_err(AppError::from_db)?
    };
    crate::rollups::maintenance::commit(db, txn).await?;
    Ok(model)
}
