//! Single rows: by id, and by external id (the source system's key), for the lookups the API offers
//! beside its lists.

use entity::{complaint, customer, feedback, order, touchpoint};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PrimaryKeyTrait, QueryFilter, QuerySelect};

use crate::error::{AppError, AppResult};

/// A table whose rows carry an external id.
pub trait ExternalKey: EntityTrait {
    fn external_id_column() -> Self::Column;
}

macro_rules! external_key {
    ($($entity:ident),+) => {
        $(impl ExternalKey for $entity::Entity {
            fn external_id_column() -> Self::Column {
                $entity::Column::ExternalId
            }
        })+
    };
}

external_key!(customer, order, touchpoint, feedback, complaint);

/// The row with this external id, if any.
pub async fn by_external_id<E: ExternalKey>(
    db: &impl ConnectionTrait,
    external_id: &str,
) -> AppResult<Option<E::Model>> {
    E::find().filter(E::external_id_column().eq(external_id)).one(db).await.map_err(AppError::from_db)
}

/// The external id of the row with this id, if any.
pub async fn external_id_of<E>(db: &impl ConnectionTrait, id: i64) -> AppResult<Option<String>>
where
    E: ExternalKey,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
{
    E::find_by_id(id)
        .select_only()
        .column(E::external_id_column())
        .into_tuple::<String>()
        .one(db)
        .await
        .map_err(AppError::from_db)
}

/// The row with this id, if any.
pub async fn by_id<E>(db: &impl ConnectionTrait, id: i64) -> AppResult<Option<E::Model>>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
{
    E::find_by_id(id).one(db).await.map_err(AppError::from_db)
}
