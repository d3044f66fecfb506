//! Writes generated rows in one transaction, in multi-row INSERTs of bounded size, so memory stays flat
//! whatever the number of customers.

use entity::{complaint, customer, feedback, order, touchpoint};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityName, EntityTrait, IntoActiveModel,
    Statement,
};

use crate::error::{AppError, AppResult};
use crate::seed::generator::CustomerBundle;

/// Rows per INSERT: far below the bind-parameter limits of SQLite (32766) and PostgreSQL (65535).
const CHUNK: usize = 1000;

#[derive(Default)]
pub struct Writer {
    pending: CustomerBundle,
    pending_customers: Vec<entity::customer::Model>,
}

/// Inserts `rows` (emptying the buffer) in statements of at most `CHUNK` rows. An empty buffer issues no
/// statement: an INSERT needs at least one row.
async fn insert_all<E, M>(txn: &DatabaseTransaction, rows: &mut Vec<M>) -> AppResult<()>
where
    E: EntityTrait,
    M: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    while !rows.is_empty() {
        let take = rows.len().min(CHUNK);
        // Generated ids are part of the data set: `reset_all` marks every field, the id included, for insert.
        let models: Vec<E::ActiveModel> = rows.drain(..take).map(|row| row.into_active_model().reset_all()).collect();
        E::insert_many(models).exec_without_returning(txn).await.map_err(AppError::from_db)?;
    }
    Ok(())
}

impl Writer {
    /// Buffers one customer's rows; writes everything buffered once any table has a full statement's worth.
    pub async fn push(&mut self, txn: &DatabaseTransaction, bundle: CustomerBundle) -> AppResult<()> {
        self.pending_customers.extend(bundle.customer);
        self.pending.orders.extend(bundle.orders);
        self.pending.touchpoints.extend(bundle.touchpoints);
        self.pending.feedback.extend(bundle.feedback);
        self.pending.complaints.extend(bundle.complaints);
        if self.pending_customers.len() >= CHUNK
            || self.pending.orders.len() >= CHUNK
            || self.pending.touchpoints.len() >= CHUNK
            || self.pending.feedback.len() >= CHUNK
            || self.pending.complaints.len() >= CHUNK
        {
            self.flush(txn).await?;
        }
        Ok(())
    }

    /// Parents first, so foreign keys hold at every statement.
    pub async fn flush(&mut self, txn: &DatabaseTransaction) -> AppResult<()> {
        insert_all::<entity::customer::Entity, _>(txn, &mut self.pending_customers).await?;
        insert_all::<entity::order::Entity, _>(txn, &mut self.pending.orders).await?;
        insert_all::<entity::touchpoint::Entity, _>(txn, &mut self.pending.touchpoints).await?;
        insert_all::<entity::feedback::Entity, _>(txn, &mut self.pending.feedback).await?;
        insert_all::<entity::complaint::Entity, _>(txn, &mut self.pending.complaints).await?;
        Ok(())
    }
}

/// PostgreSQL's id sequences do not move when ids are given explicitly: move them past the data, so
/// later inserts get fresh ids. SQLite's AUTOINCREMENT follows the largest id by itself.
pub async fn advance_id_sequences(txn: &DatabaseTransaction) -> AppResult<()> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let tables = [
        customer::Entity.table_name(),
        order::Entity.table_name(),
        touchpoint::Entity.table_name(),
        feedback::Entity.table_name(),
        complaint::Entity.table_name(),
    ];
    for table in tables {
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        );
        txn.execute_raw(Statement::from_string(DbBackend::Postgres, sql)).await.map_err(AppError::from_db)?;
    }
    Ok(())
}
