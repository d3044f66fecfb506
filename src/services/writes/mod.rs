//! Writes for admin consoles: upserts by external id, status changes, deletes and erasure. Each call is
//! one transaction; inputs arrive validated in shape (the GraphQL layer parses them) and are checked here
//! against the data (references exist, an order belongs to the touchpoint's customer, ...).

mod answer_queue;
pub(crate) mod customers;
mod feedback;
mod orders;
mod touchpoints;

pub use answer_queue::AnswerQueue;
pub use customers::{CustomerWrite, ERASED, erase_customer, erased_among, upsert_customer};
pub use feedback::{FeedbackWrite, MAX_BATCH, delete_feedback, upsert_feedback, upsert_feedbacks};
pub use orders::{OrderWrite, set_order_status, upsert_order};
pub use touchpoints::{TouchpointWrite, delete_touchpoint, upsert_touchpoint};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::error::{AppError, AppResult};

/// The result of an upsert: the row as stored, whether it was new, and whether anything changed.
#[derive(Clone, Debug)]
pub struct Upserted<M> {
    pub model: M,
    pub created: bool,
    pub changed: bool,
}

/// Refuses giving a row that has children (`E` rows whose `parent` column is `parent_id`) to another
/// customer: the children would stay with the old one, split from their parent.
async fn refuse_moving_with_children<E: EntityTrait>(
    db: &impl ConnectionTrait,
    parent: E::Column,
    parent_id: i64,
    refusal: &str,
) -> AppResult<()>
where
    E::Model: Sync,
{
    let children = E::find().filter(parent.eq(parent_id)).count(db).await.map_err(AppError::from_db)?;
    if children > 0 {
        return Err(AppError::bad_input("input.customerExternalId", refusal));
    }
    Ok(())
}

/// Finds a referenced row by external id, or names the input field that points nowhere.
async fn referenced<E>(
    db: &impl ConnectionTrait,
    column: E::Column,
    field: &str,
    external_id: &str,
) -> AppResult<E::Model>
where
    E: EntityTrait,
{
    E::find()
        .filter(column.eq(external_id))
        .one(db)
        .await
        .map_err(AppError::from_db)?
        .ok_or_else(|| AppError::bad_input(field, format!("no {} with external id '{external_id}'", table_noun::<E>())))
}

fn table_noun<E: EntityTrait>() -> &'static str {
    match E::default().table_name() {
        "customers" => "customer",
        "orders" => "order",
        "touchpoints" => "touchpoint",
        _ => "feedback",
    }
}
