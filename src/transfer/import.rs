//! `customer-insights import`: validate every record first, then write all of them in one transaction
//! (upserts by external id), so an import is all-or-nothing and repeating it changes nothing.

use std::collections::HashMap;
use std::path::Path;

use entity::{customer, feedback, order, touchpoint};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Set,
};

use crate::error::AppError;
use crate::rollups::maintenance::{self, Locked, Rows, Scope};
use crate::services::writes::{ERASED, erased_among};
use crate::transfer::records::{Record, RecordError, Row, Table};
use crate::transfer::source::Source;

/// Rows per multi-row INSERT.
const BATCH: usize = 4000;
/// Validation goes on past the first error, to report many at once, but not forever.
const MAX_REPORTED_ERRORS: usize = 50;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub customers: u64,
    pub orders: u64,
    pub touchpoints: u64,
    pub feedback: u64,
    pub dry_run: bool,
    /// Rows of erased customers whose personal data stayed erased (names, e-mails, comments dropped).
    pub kept_erased: u64,
}

impl ImportReport {
    fn count(&mut self, table: Table, n: u64) {
        match table {
            Table::Customers => self.customers += n,
            Table::Orders => self.orders += n,
            Table::Touchpoints => self.touchpoints += n,
            Table::Feedback => self.feedback += n,
        }
    }

    pub fn total(&self) -> u64 {
        self.customers + self.orders + self.touchpoints + self.feedback
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The records that are wrong; nothing was written.
    #[error("{} invalid record(s); nothing was imported", .0.len())]
    Invalid(Vec<RecordError>),
    #[error(transparent)]
    App(#[from] AppError),
}

/// Reports progress as records are written (a terminal progress bar, or nothing).
pub trait Progress {
    fn start(&self, total: u64);
    fn advance(&self, rows: u64);
    fn finish(&self);
}

pub async fn import(
    db: &DatabaseConnection,
    path: &Path,
    dry_run: bool,
    progress: &dyn Progress,
) -> Result<ImportReport, ImportError> {
    let source = Source::open(path).map_err(|e| ImportError::Invalid(vec![e]))?;
    let total = validate(&source)?;
    progress.start(total);
    let txn = maintenance::begin_write(db).await?;
    let rollups = rollup_upkeep(&txn, total).await?;
    if rollups == RollupUpkeep::RebuildAtEnd {
        // A bulk load: other writers wait until it is done, so the rebuild at its end counts them once.
        maintenance::exclude_writers(&txn).await?;
    }
    let mut report = ImportReport { dry_run, ..Default::default() };
    for table in source.tables() {
        let mut batch: Vec<(Record, Row)> = Vec::with_capacity(BATCH);
        let records = source.records(table).map_err(|e| ImportError::Invalid(vec![e]))?;
        for record in records {
            let record = record.map_err(|e| ImportError::Invalid(vec![e]))?;
            let row = record.parse().map_err(|e| ImportError::Invalid(vec![e]))?;
            batch.push((record, row));
            if batch.len() == BATCH {
                report.kept_erased += write_batch(&txn, table, std::mem::take(&mut batch), rollups).await?;
                report.count(table, BATCH as u64);
                progress.advance(BATCH as u64);
            }
        }
        let rest = batch.len() as u64;
        report.kept_erased += write_batch(&txn, table, batch, rollups).await?;
        report.count(table, rest);
        progress.advance(rest);
        crate::db::refresh_statistics(&txn, table.table_name()).await.map_err(AppError::from_db)?;
    }
    if rollups == RollupUpkeep::RebuildAtEnd {
        maintenance::rebuild(&txn).await?;
    }
    // A dry run goes through every write, references included, and then rolls back.
    if dry_run {
        txn.rollback().await.map_err(AppError::from_db)?;
    } else {
        crate::rollups::maintenance::commit(db, txn).await?;
        crate::db::after_bulk_write(db).await.map_err(AppError::from_db)?;
    }
    progress.finish();
    Ok(report)
}

/// Pass 1: parses every record of every table; returns how many there are.
fn validate(source: &Source) -> Result<u64, ImportError> {
    let mut errors = Vec::new();
    let mut count = 0;
    for table in source.tables() {
        match source.records(table) {
            Err(e) => errors.push(e),
            Ok(records) => {
                for record in records {
                    count += 1;
                    if let Err(e) = record.and_then(|r| r.parse().map(|_| ())) {
                        errors.push(e);
                    }
                    if errors.len() >= MAX_REPORTED_ERRORS {
                        return Err(ImportError::Invalid(errors));
                    }
                }
            }
        }
    }
    if errors.is_empty() { Ok(count) } else { Err(ImportError::Invalid(errors)) }
}

/// The last record of each external id wins within a batch: one INSERT may not touch a row twice.
fn last_per_external_id(batch: Vec<(Record, Row)>) -> Vec<(Record, Row)> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut rows: Vec<Option<(Record, Row)>> = Vec::with_capacity(batch.len());
    for (record, row) in batch {
        if let Some(previous) = index.insert(row.external_id().to_owned(), rows.len()) {
            rows[previous] = None;
        }
        rows.push(Some((record, row)));
    }
    rows.into_iter().flatten().collect()
}

/// Tells subscribers of every server instance about the imported answers (PostgreSQL NOTIFY, delivered
/// on commit; a separate import process cannot reach a SQLite server's subscribers).
async fn announce_feedback(txn: &DatabaseTransaction, batch: &[(Record, Row)]) -> Result<(), ImportError> {
    if txn.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    let external_ids: Vec<String> = batch.iter().map(|(_, row)| row.external_id().to_owned()).collect();
    let ids = lookup::<feedback::Entity>(
        txn,
        [feedback::Column::ExternalId, feedback::Column::Id, feedback::Column::CustomerId],
        external_ids,
    )
    .await?;
    let ids: Vec<i64> = ids.values().map(|(id, _)| *id).collect();
    crate::events::notify(txn, &ids).await?;
    Ok(())
}

/// Maps external ids to (id, owning customer id) for the referenced rows of one table, reading only those
/// three columns.
async fn lookup<E: EntityTrait>(
    txn: &DatabaseTransaction,
    [external_id, id, owner]: [E::Column; 3],
    mut external_ids: Vec<String>,
) -> Result<HashMap<String, (i64, i64)>, ImportError> {
    external_ids.sort_unstable();
    external_ids.dedup();
    let mut found = HashMap::with_capacity(external_ids.len());
    for chunk in external_ids.chunks(BATCH) {
        let rows: Vec<(String, i64, i64)> = E::find()
            .select_only()
            .column(external_id)
            .column(id)
            .column(owner)
            .filter(external_id.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(txn)
            .await
            .map_err(AppError::from_db)?;
        found.extend(rows.into_iter().map(|(external, id, owner)| (external, (id, owner))));
    }
    Ok(found)
}

fn missing(record: &Record, column: &str, what: &str, external_id: &str) -> ImportError {
    ImportError::Invalid(vec![
        record
            .error(Some(column), format!("no {what} with external id '{external_id}' in this import or the database")),
    ])
}

async fn customers_of(
    txn: &DatabaseTransaction,
    batch: &[(Record, Row)],
) -> Result<HashMap<String, (i64, i64)>, ImportError> {
    let ids = batch
        .iter()
        .map(|(_, row)| match row {
            Row::Order(w) => w.customer_external_id.clone(),
            Row::Touchpoint(w) => w.customer_external_id.clone(),
            Row::Feedback(w) => w.customer_external_id.clone(),
            Row::Customer(w) => w.external_id.clone(),
        })
        .collect();
    lookup::<customer::Entity>(txn, [customer::Column::ExternalId, customer::Column::Id, customer::Column::Id], ids)
        .await
}

/// How an import keeps the satisfaction rollups current.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum RollupUpkeep {
    /// Per batch: the customers it involves leave the rollups before it and return after.
    PerBatch,
    /// Once, from every row, before commit: cheaper when the import is larger than what is stored.
    RebuildAtEnd,
}

async fn rollup_upkeep(txn: &DatabaseTransaction, records: u64) -> Result<RollupUpkeep, ImportError> {
    let stored = touchpoint::Entity::find().count(txn).await.map_err(AppError::from_db)?
        + feedback::Entity::find().count(txn).await.map_err(AppError::from_db)?;
    Ok(if records > stored { RollupUpkeep::RebuildAtEnd } else { RollupUpkeep::PerBatch })
}

async fn write_batch(
    txn: &DatabaseTransaction,
    table: Table,
    batch: Vec<(Record, Row)>,
    rollups: RollupUpkeep,
) -> Result<u64, ImportError> {
    if batch.is_empty() {
        return Ok(0);
    }
    let batch = last_per_external_id(batch);
    let (batch, kept_erased) = keep_erased(txn, table, batch).await?;
    if rollups == RollupUpkeep::RebuildAtEnd {
        write_rows(txn, table, batch).await?;
        return Ok(kept_erased);
    }
    let involved = involved_customers(txn, table, &batch).await?;
    maintenance::lock(txn, Locked::Customers, &involved).await?;
    maintenance::retract(txn, Scope::Customers(&involved)).await?;
    write_rows(txn, table, batch).await?;
    maintenance::restore(txn, Scope::Customers(&involved)).await?;
    Ok(kept_erased)
}

/// Erasure holds: an import (an old export, say) cannot bring back an erased customer's name, e-mail or
/// comments. Returns the batch with those left erased, and how many rows that concerned.
async fn keep_erased(
    txn: &DatabaseTransaction,
    table: Table,
    mut batch: Vec<(Record, Row)>,
) -> Result<(Vec<(Record, Row)>, u64), ImportError> {
    let customers: Vec<String> = batch
        .iter()
        .filter_map(|(_, row)| match row {
            Row::Customer(w) => Some(w.external_id.clone()),
            Row::Feedback(w) if w.comment.is_some() => Some(w.customer_external_id.clone()),
            _ => None,
        })
        .collect();
    if customers.is_empty() || matches!(table, Table::Orders | Table::Touchpoints) {
        return Ok((batch, 0));
    }
    let erased = erased_among(txn, customers).await?;
    let mut kept = 0;
    for (_, row) in &mut batch {
        match row {
            Row::Customer(w) if erased.contains(&w.external_id) => {
                (w.name, w.email) = (ERASED.to_owned(), ERASED.to_owned());
                kept += 1;
            }
            Row::Feedback(w) if w.comment.is_some() && erased.contains(&w.customer_external_id) => {
                w.comment = None;
                kept += 1;
            }
            _ => {}
        }
    }
    Ok((batch, kept))
}

/// The customers a batch may move between rollup groups: those its rows involve now, and those they
/// will belong to. An order involves the customers of its touchpoints and answers (its status labels
/// them); a new order has none yet.
async fn involved_customers(
    txn: &DatabaseTransaction,
    table: Table,
    batch: &[(Record, Row)],
) -> Result<Vec<i64>, ImportError> {
    let rows = match table {
        Table::Orders => Rows::Orders,
        Table::Customers => Rows::Customers,
        Table::Touchpoints => Rows::Touchpoints,
        Table::Feedback => Rows::Feedback,
    };
    let external_ids: Vec<String> = batch.iter().map(|(_, row)| row.external_id().to_owned()).collect();
    let mut customers = maintenance::customers_involved(txn, rows, &external_ids).await?;
    if !matches!(rows, Rows::Customers | Rows::Orders) {
        customers.extend(customers_of(txn, batch).await?.values().map(|(id, _)| *id));
    }
    Ok(customers)
}

async fn write_rows(txn: &DatabaseTransaction, table: Table, batch: Vec<(Record, Row)>) -> Result<(), ImportError> {
    let db_err = |e| ImportError::App(AppError::from_db(e));
    match table {
        Table::Customers => {
            let models = batch.into_iter().filter_map(|(_, row)| match row {
                Row::Customer(w) => Some(customer::ActiveModel {
                    external_id: Set(w.external_id),
                    name: Set(w.name),
                    email: Set(w.email),
                    segment: Set(w.segment),
                    region: Set(w.region),
                    created_at: Set(w.created_at),
                    ..Default::default()
                }),
                _ => None,
            });
            let update = OnConflict::column(customer::Column::ExternalId)
                .update_columns([
                    customer::Column::Name,
                    customer::Column::Email,
                    customer::Column::Segment,
                    customer::Column::Region,
                    customer::Column::CreatedAt,
                ])
                .to_owned();
            customer::Entity::insert_many(models)
                .on_conflict(update)
                .exec_without_returning(txn)
                .await
                .map_err(db_err)?;
        }
        Table::Orders => {
            let customers = customers_of(txn, &batch).await?;
            let mut models = Vec::with_capacity(batch.len());
            for (record, row) in &batch {
                let Row::Order(w) = row else { continue };
                let (customer_id, _) = *customers
                    .get(&w.customer_external_id)
                    .ok_or_else(|| missing(record, "customer_external_id", "customer", &w.customer_external_id))?;
                models.push(order::ActiveModel {
                    external_id: Set(w.external_id.clone()),
                    customer_id: Set(customer_id),
                    placed_at: Set(w.placed_at),
                    status: Set(w.status),
                    total_amount_minor: Set(w.total_amount_minor),
                    currency: Set(w.currency.clone()),
                    ..Default::default()
                });
            }
            let update = OnConflict::column(order::Column::ExternalId)
                .update_columns([
                    order::Column::CustomerId,
                    order::Column::PlacedAt,
                    order::Column::Status,
                    order::Column::TotalAmountMinor,
                    order::Column::Currency,
                ])
                .to_owned();
            order::Entity::insert_many(models).on_conflict(update).exec_without_returning(txn).await.map_err(db_err)?;
        }
        Table::Touchpoints => {
            let customers = customers_of(txn, &batch).await?;
            let order_ids = batch
                .iter()
                .filter_map(|(_, row)| match row {
                    Row::Touchpoint(w) => w.order_external_id.clone(),
                    _ => None,
                })
                .collect();
            let orders = lookup::<order::Entity>(
                txn,
                [order::Column::ExternalId, order::Column::Id, order::Column::CustomerId],
                order_ids,
            )
            .await?;
            let mut models = Vec::with_capacity(batch.len());
            for (record, row) in &batch {
                let Row::Touchpoint(w) = row else { continue };
                let (customer_id, _) = *customers
                    .get(&w.customer_external_id)
                    .ok_or_else(|| missing(record, "customer_external_id", "customer", &w.customer_external_id))?;
                let order_id = match &w.order_external_id {
                    None => None,
                    Some(order_external_id) => {
                        let (order_id, order_customer) = *orders
                            .get(order_external_id)
                            .ok_or_else(|| missing(record, "order_external_id", "order", order_external_id))?;
                        if order_customer != customer_id {
                            return Err(ImportError::Invalid(vec![record.error(
                                Some("order_external_id"),
                                format!(
                                    "order '{order_external_id}' belongs to another customer than '{}'",
                                    w.customer_external_id
                                ),
                            )]));
                        }
                        Some(order_id)
                    }
                };
                models.push(touchpoint::ActiveModel {
                    external_id: Set(w.external_id.clone()),
                    customer_id: Set(customer_id),
                    order_id: Set(order_id),
                    kind: Set(w.kind),
                    channel: Set(w.channel),
                    occurred_at: Set(w.occurred_at),
                    survey_sent_at: Set(w.survey_sent_at),
                    ..Default::default()
                });
            }
            let update = OnConflict::column(touchpoint::Column::ExternalId)
                .update_columns([
                    touchpoint::Column::CustomerId,
                    touchpoint::Column::OrderId,
                    touchpoint::Column::Kind,
                    touchpoint::Column::Channel,
                    touchpoint::Column::OccurredAt,
                    touchpoint::Column::SurveySentAt,
                ])
                .to_owned();
            touchpoint::Entity::insert_many(models)
                .on_conflict(update)
                .exec_without_returning(txn)
                .await
                .map_err(db_err)?;
        }
        Table::Feedback => {
            let customers = customers_of(txn, &batch).await?;
            let touchpoint_ids = batch
                .iter()
                .filter_map(|(_, row)| match row {
                    Row::Feedback(w) => w.touchpoint_external_id.clone(),
                    _ => None,
                })
                .collect();
            let touchpoints = lookup::<touchpoint::Entity>(
                txn,
                [touchpoint::Column::ExternalId, touchpoint::Column::Id, touchpoint::Column::CustomerId],
                touchpoint_ids,
            )
            .await?;
            let mut models = Vec::with_capacity(batch.len());
            for (record, row) in &batch {
                let Row::Feedback(w) = row else { continue };
                let (customer_id, _) = *customers
                    .get(&w.customer_external_id)
                    .ok_or_else(|| missing(record, "customer_external_id", "customer", &w.customer_external_id))?;
                let touchpoint_id = match &w.touchpoint_external_id {
                    None => None,
                    Some(external_id) => {
                        let (touchpoint_id, owner) = *touchpoints
                            .get(external_id)
                            .ok_or_else(|| missing(record, "touchpoint_external_id", "touchpoint", external_id))?;
                        if owner != customer_id {
                            return Err(ImportError::Invalid(vec![record.error(
                                Some("touchpoint_external_id"),
                                format!(
                                    "touchpoint '{external_id}' belongs to another customer than '{}'",
                                    w.customer_external_id
                                ),
                            )]));
                        }
                        Some(touchpoint_id)
                    }
                };
                models.push(feedback::ActiveModel {
                    external_id: Set(w.external_id.clone()),
                    customer_id: Set(customer_id),
                    touchpoint_id: Set(touchpoint_id),
                    metric: Set(w.metric),
                    score: Set(w.score),
                    comment: Set(w.comment.clone()),
                    submitted_at: Set(w.submitted_at),
                    ..Default::default()
                });
            }
            let update = OnConflict::column(feedback::Column::ExternalId)
                .update_columns([
                    feedback::Column::CustomerId,
                    feedback::Column::TouchpointId,
                    feedback::Column::Metric,
                    feedback::Column::Score,
                    feedback::Column::Comment,
                    feedback::Column::SubmittedAt,
                ])
                .to_owned();
            feedback::Entity::insert_many(models)
                .on_conflict(update)
                .exec_without_returning(txn)
                .await
                .map_err(db_err)?;
            announce_feedback(txn, &batch).await?;
        }
    }
    Ok(())
}
