//! Customer upserts and erasure.

use entity::{complaint, customer, feedback};
use sea_orm::sea_query::Expr;
use std::collections::HashSet;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set,
};

use crate::error::{AppError, AppResult};
use crate::rollups::maintenance::{self, Locked, Scope};
use crate::services::writes::store::{self, Upkeep};
use crate::services::writes::times;
use crate::services::writes::tombstones::delete_with_tombstones;
use crate::services::writes::{CustomerWrite, Upserted};

/// What a name and e-mail become when a customer is erased.
pub const ERASED: &str = "[erased]";

pub async fn upsert_customer(db: &DatabaseConnection, write: CustomerWrite) -> AppResult<Upserted<customer::Model>> {
    maintenance::with_retries(|| upsert_once(db, write.clone())).await
}

/// The row a customer record is stored as.
pub fn customer_row(write: CustomerWrite) -> customer::ActiveModel {
    customer::ActiveModel {
        external_id: Set(write.external_id),
        name: Set(write.name),
        email: Set(write.email),
        segment: Set(write.segment),
        region: Set(write.region),
        created_at: Set(write.created_at),
        ..Default::default()
    }
}

async fn upsert_once(db: &DatabaseConnection, write: CustomerWrite) -> AppResult<Upserted<customer::Model>> {
    let txn = maintenance::begin_write(db).await?;
    let existing = match store::find::<customer::Entity>(&txn, &write.external_id).await? {
        Some(model) => {
            // A change of segment or region moves all the customer's rows: no other writer of them meanwhile.
            maintenance::lock(&txn, Locked::Customers, &[model.id]).await?;
            store::find::<customer::Entity>(&txn, &write.external_id).await?
        }
        None => None,
    };
    // An erased customer stays erased: a late upsert (or an old export) cannot bring the name back.
    let write = match &existing {
        Some(model) if is_erased(model) => CustomerWrite { name: ERASED.to_owned(), email: ERASED.to_owned(), ..write },
        _ => write,
    };
    // Only a change of segment or region moves the customer's rows between rollup groups.
    let moved: Vec<i64> =
        existing.iter().filter(|m| (&m.segment, &m.region) != (&write.segment, &write.region)).map(|m| m.id).collect();
    let row = customer_row(write);
    if let Some(model) = existing.as_ref().filter(|m| store::holds::<customer::Entity>(m, &row)) {
        return store::unchanged(txn, model.clone()).await;
    }
    store::store::<customer::Entity>(db, txn, existing, row, Upkeep::Customers(moved)).await
}

/// Whether a customer was erased: their name and e-mail are gone for good.
pub fn is_erased(model: &customer::Model) -> bool {
    model.name == ERASED && model.email == ERASED
}

/// The external ids, among `external_ids`, of customers that were erased (`is_erased`, read in SQL).
pub async fn erased_among(db: &impl ConnectionTrait, external_ids: Vec<String>) -> AppResult<HashSet<String>> {
    let mut erased = HashSet::new();
    for chunk in external_ids.chunks(500) {
        let found: Vec<String> = customer::Entity::find()
            .select_only()
            .column(customer::Column::ExternalId)
            .filter(customer::Column::ExternalId.is_in(chunk.iter().cloned()))
            .filter(customer::Column::Name.eq(ERASED))
            .filter(customer::Column::Email.eq(ERASED))
            .into_tuple()
            .all(db)
            .await
            .map_err(AppError::from_db)?;
        erased.extend(found);
    }
    Ok(erased)
}

/// What an erasure did.
#[derive(Clone, Debug)]
pub struct Erased {
    /// The customer as stored now.
    pub customer: customer::Model,
    /// Comments removed.
    pub comments: u64,
    /// The ids of the complaints deleted.
    pub complaints: Vec<i64>,
}

/// A privacy erasure: removes the customer's name, e-mail and every comment they wrote, for good, and
/// deletes their complaints (what they complained about is theirs, not an aggregate's), leaving their
/// tombstones; the customer and the answers that lose a comment count as changed (`updated_at`). Keeps their
/// anonymous orders, touchpoints and scores, so satisfaction and loyalty aggregates stay right. Erasing
/// twice changes nothing the second time.
pub async fn erase_customer(db: &DatabaseConnection, external_id: &str) -> AppResult<Erased> {
    maintenance::with_retries(|| erase_once(db, external_id)).await
}

async fn erase_once(db: &DatabaseConnection, external_id: &str) -> AppResult<Erased> {
    let txn = maintenance::begin_write(db).await?;
    let not_found = || AppError::NotFound(format!("no customer with external id '{external_id}'"));
    let model = store::find::<customer::Entity>(&txn, external_id).await?.ok_or_else(not_found)?;
    maintenance::lock(&txn, Locked::Customers, &[model.id]).await?;
    // Removed comments leave the rollups' comment counts.
    maintenance::retract(&txn, Scope::Customers(&[model.id])).await?;
    let at = times::now();
    let comments = feedback::Entity::update_many()
        .col_expr(feedback::Column::Comment, Expr::value(Option::<String>::None))
        .col_expr(feedback::Column::UpdatedAt, Expr::value(at))
        .filter(feedback::Column::CustomerId.eq(model.id))
        .filter(feedback::Column::Comment.is_not_null())
        .exec(&txn)
        .await
        .map_err(AppError::from_db)?
        .rows_affected;
    maintenance::restore(&txn, Scope::Customers(&[model.id])).await?;
    let condition = Condition::all().add(complaint::Column::CustomerId.eq(model.id));
    let complaints =
        delete_with_tombstones::<complaint::Entity>(&txn, condition, at).await?.into_iter().map(|row| row.id).collect();
    let model = if is_erased(&model) {
        model
    } else {
        let mut active: customer::ActiveModel = model.into();
        active.name = Set(ERASED.to_owned());
        active.email = Set(ERASED.to_owned());
        times::stamp_changed::<customer::Entity>(&mut active, at)?;
        active.update(&txn).await.map_err(AppError::from_db)?
    };
    crate::rollups::maintenance::commit(db, txn).await?;
    Ok(Erased { customer: model, comments, complaints })
}
