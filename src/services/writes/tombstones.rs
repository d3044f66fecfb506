//! Tombstones (`docs/api.md`, "Incremental extracts"): every delete of rows that have a global ID goes
//! through [`delete_with_tombstones`], which records each row it deleted in `deletions`, in the delete's
//! transaction, so a copy of the data kept in sync by extracts learns what to delete too.

use chrono::{DateTime, Utc};
use entity::deletion;
use sea_orm::sea_query::Query;
use sea_orm::{Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryTrait, Set};

use crate::error::{AppError, AppResult};
use crate::services::writes::store::{CHUNK, Keyed};

/// A deleted row: its id and external id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deleted {
    pub id: i64,
    pub external_id: String,
}

/// Deletes the rows of `E` matching `condition` and writes their tombstones, deleted `at` (the write's
/// time, `times::now`); returns the rows deleted. The tombstones are those of the rows the DELETE itself
/// returned, so a row that joined the condition between a read and the delete cannot go without one.
pub async fn delete_with_tombstones<E: Keyed>(
    txn: &DatabaseTransaction,
    condition: Condition,
    at: DateTime<Utc>,
) -> AppResult<Vec<Deleted>> {
    let mut delete = E::delete_many().filter(condition).into_query();
    delete.returning(Query::returning().columns([E::ID, E::EXTERNAL_ID]));
    let mut deleted = Vec::new();
    for row in txn.query_all(&delete).await.map_err(AppError::from_db)? {
        let (id, external_id): (i64, String) =
            (row.try_get_by_index(0).map_err(AppError::from_db)?, row.try_get_by_index(1).map_err(AppError::from_db)?);
        deleted.push(Deleted { id, external_id });
    }
    // In the order of the rows' ids, whatever order the database returned them in.
    deleted.sort_unstable_by_key(|row| row.id);
    for chunk in deleted.chunks(CHUNK) {
        let tombstones = chunk.iter().map(|row| deletion::ActiveModel {
            node_type: Set(E::NODE_TYPE),
            row_id: Set(row.id),
            external_id: Set(row.external_id.clone()),
            deleted_at: Set(at),
            ..Default::default()
        });
        deletion::Entity::insert_many(tombstones).exec_without_returning(txn).await.map_err(AppError::from_db)?;
    }
    Ok(deleted)
}
