//! Writing one batch of an import's records (one table's): the references checked against this import
//! and the database by the rules the upserts keep, then one multi-row upsert, with the rollups kept
//! current around it.

use std::collections::HashMap;

use entity::{complaint, customer, feedback, order, touchpoint};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};

use crate::domain::validation::{Field, Invalid, RecordKind, existing, foreign_reference};
use crate::error::{AppError, AppResult};
use crate::events::Topic;
use crate::rollups::maintenance::{self, Locked, Rows, Scope};
use crate::services::writes::complaints::{opened_after_answer, raised_another};
use crate::services::writes::store::{self, Keyed, kept_from_moving, lookup, upsert_many};
use crate::services::writes::{
    ComplaintWrite, ERASED, answer_row, complaint_row, customer_row, erased_among, order_row, touchpoint_row,
};
use crate::transfer::import::ImportError;
use crate::transfer::records::{Record, Row, Table};

/// How an import keeps the satisfaction rollups current.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RollupUpkeep {
    /// Per batch: the customers it involves leave the rollups before it and return after.
    PerBatch,
    /// Once, from every row, before commit: cheaper when the import is larger than what is stored.
    RebuildAtEnd,
}

/// Whether a table's rows may have children when its records are written. An import writes the tables
/// parents first (customers, orders, touchpoints, answers), so while it writes orders or touchpoints the
/// only ones with children are those stored before: an empty table needs no check that a row with
/// children stays with its customer. (That check looks rows up by external id in the table being
/// filled, whose planner statistics still say empty: on PostgreSQL a scan per batch.)
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StoredBefore {
    Nothing,
    Rows,
}

impl StoredBefore {
    /// What `table` holds before this import writes to it.
    pub async fn of(txn: &DatabaseTransaction, table: Table) -> AppResult<StoredBefore> {
        let any = match table {
            Table::Customers => store::any_row::<customer::Entity>(txn).await?,
            Table::Orders => store::any_row::<order::Entity>(txn).await?,
            Table::Touchpoints => store::any_row::<touchpoint::Entity>(txn).await?,
            Table::Feedback => store::any_row::<feedback::Entity>(txn).await?,
            Table::Complaints => store::any_row::<complaint::Entity>(txn).await?,
        };
        Ok(if any { StoredBefore::Rows } else { StoredBefore::Nothing })
    }
}

/// Writes one batch of `table`'s records; returns how many rows of erased customers stayed erased.
pub async fn write_batch(
    txn: &DatabaseTransaction,
    table: Table,
    batch: Vec<(Record, Row)>,
    rollups: RollupUpkeep,
    stored_before: StoredBefore,
) -> Result<u64, ImportError> {
    if batch.is_empty() {
        return Ok(0);
    }
    let batch = last_per_external_id(batch);
    let (batch, kept_erased) = keep_erased(txn, table, batch).await?;
    let involved = match rollups {
        // Complaints count in no rollup.
        _ if table == Table::Complaints => Vec::new(),
        RollupUpkeep::RebuildAtEnd => Vec::new(),
        RollupUpkeep::PerBatch => {
            let involved = involved_customers(txn, table, &batch).await?;
            maintenance::lock(txn, Locked::Customers, &involved).await?;
            involved
        }
    };
    // Under the locks: the references and owners read here stay as read until the write.
    let references = References::of(txn, &batch).await?;
    match (table, stored_before) {
        (_, StoredBefore::Nothing) => {}
        (Table::Orders, StoredBefore::Rows) => {
            refuse_moving_with_children::<order::Entity>(txn, &batch, &references).await?
        }
        (Table::Touchpoints, StoredBefore::Rows) => {
            refuse_moving_with_children::<touchpoint::Entity>(txn, &batch, &references).await?
        }
        (Table::Feedback, StoredBefore::Rows) => {
            refuse_moving_with_children::<feedback::Entity>(txn, &batch, &references).await?
        }
        (Table::Customers | Table::Complaints, StoredBefore::Rows) => {}
    }
    maintenance::retract(txn, Scope::Customers(&involved)).await?;
    write_rows(txn, table, batch, &references).await?;
    maintenance::restore(txn, Scope::Customers(&involved)).await?;
    Ok(kept_erased)
}

/// The answers with these external ids, whole, each with the external id of the complaint it raised.
async fn answers_with_complaints(
    db: &impl ConnectionTrait,
    external_ids: Vec<String>,
) -> AppResult<HashMap<String, (feedback::Model, Option<String>)>> {
    let answers = store::by_external_id::<feedback::Entity>(db, external_ids).await?;
    let ids: Vec<i64> = answers.values().map(|a| a.id).collect();
    let mut raised: HashMap<i64, String> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(store::CHUNK) {
        let rows: Vec<(Option<i64>, String)> = complaint::Entity::find()
            .select_only()
            .column(complaint::Column::FeedbackId)
            .column(complaint::Column::ExternalId)
            .filter(complaint::Column::FeedbackId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await
            .map_err(AppError::from_db)?;
        raised.extend(rows.into_iter().filter_map(|(answer, complaint)| Some((answer?, complaint))));
    }
    Ok(answers
        .into_iter()
        .map(|(external_id, answer)| (external_id, (answer.clone(), raised.remove(&answer.id))))
        .collect())
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

/// Erasure holds: an import (an old export, say) cannot bring back an erased customer's name, e-mail,
/// comments or complaints. Returns the batch with those left erased (their complaints left out), and how
/// many rows that concerned.
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
            Row::Complaint(w) => Some(w.customer_external_id.clone()),
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
    let before = batch.len();
    batch.retain(|(_, row)| !matches!(row, Row::Complaint(w) if erased.contains(&w.customer_external_id)));
    kept += (before - batch.len()) as u64;
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
        Table::Complaints => return Ok(Vec::new()),
    };
    let external_ids: Vec<String> = batch.iter().map(|(_, row)| row.external_id().to_owned()).collect();
    let mut customers = maintenance::customers_involved(txn, rows, &external_ids).await?;
    if !matches!(rows, Rows::Customers | Rows::Orders) {
        let owners = lookup::<customer::Entity>(txn, batch.iter().map(|(_, row)| owner_of(row)).collect()).await?;
        customers.extend(owners.values().map(|(id, _)| *id));
    }
    Ok(customers)
}

/// The external id of the customer a row belongs to (a customer's own).
fn owner_of(row: &Row) -> String {
    match row {
        Row::Customer(w) => w.external_id.clone(),
        Row::Order(w) => w.customer_external_id.clone(),
        Row::Touchpoint(w) => w.customer_external_id.clone(),
        Row::Feedback(w) => w.customer_external_id.clone(),
        Row::Complaint(w) => w.customer_external_id.clone(),
    }
}

/// The rows a batch refers to, in this import or the database, by external id: (id, owning customer);
/// the answers complaints refer to whole, with the complaint each raised, if any.
struct References {
    customers: HashMap<String, (i64, i64)>,
    orders: HashMap<String, (i64, i64)>,
    touchpoints: HashMap<String, (i64, i64)>,
    answers: HashMap<String, (feedback::Model, Option<String>)>,
}

impl References {
    async fn of(db: &impl ConnectionTrait, batch: &[(Record, Row)]) -> AppResult<References> {
        let referred = |pick: fn(&Row) -> Option<&String>| batch.iter().filter_map(move |(_, row)| pick(row).cloned());
        let customers = referred(|row| match row {
            Row::Customer(_) => None,
            Row::Order(w) => Some(&w.customer_external_id),
            Row::Touchpoint(w) => Some(&w.customer_external_id),
            Row::Feedback(w) => Some(&w.customer_external_id),
            Row::Complaint(w) => Some(&w.customer_external_id),
        });
        let orders = referred(|row| match row {
            Row::Touchpoint(w) => w.order_external_id.as_ref(),
            Row::Complaint(w) => w.order_external_id.as_ref(),
            _ => None,
        });
        let answers = referred(|row| match row {
            Row::Complaint(w) => w.feedback_external_id.as_ref(),
            _ => None,
        });
        let touchpoints = referred(|row| match row {
            Row::Feedback(w) => w.touchpoint_external_id.as_ref(),
            _ => None,
        });
        Ok(References {
            customers: lookup::<customer::Entity>(db, customers.collect()).await?,
            orders: lookup::<order::Entity>(db, orders.collect()).await?,
            touchpoints: lookup::<touchpoint::Entity>(db, touchpoints.collect()).await?,
            answers: answers_with_complaints(db, answers.collect()).await?,
        })
    }

    /// The answer a complaint record of `customer` refers to (if it does): the same customer's, submitted
    /// at or before the complaint opened, and having raised no other complaint than this record's.
    fn raising_answer(&self, write: &ComplaintWrite, customer_id: i64) -> Result<Option<i64>, Invalid> {
        let Some(external_id) = &write.feedback_external_id else { return Ok(None) };
        let answer = self.answers.get(external_id);
        let found = answer.map(|(a, _)| (a.id, a.customer_id));
        let owner = (customer_id, write.customer_external_id.as_str());
        let id = foreign_reference(Field::FeedbackExternalId, RecordKind::Feedback, external_id, found, owner)?;
        if let Some((answer, raised)) = answer {
            opened_after_answer(write.opened_at, answer.submitted_at)?;
            if let Some(other) = raised.as_ref().filter(|other| **other != write.external_id) {
                return Err(raised_another(other));
            }
        }
        Ok(Some(id))
    }

    /// The id of the customer a record belongs to.
    fn customer(&self, external_id: &str) -> Result<i64, Invalid> {
        let found = self.customers.get(external_id).map(|(id, _)| *id);
        existing(Field::CustomerExternalId, RecordKind::Customer, external_id, found)
    }

    /// The id of the `kind` record a record of `customer` refers to in `field` (if it does), which must
    /// be the same customer's.
    fn same_customers(
        &self,
        field: Field,
        kind: RecordKind,
        external_id: Option<&String>,
        (customer_id, customer): (i64, &str),
    ) -> Result<Option<i64>, Invalid> {
        let Some(external_id) = external_id else { return Ok(None) };
        let rows = if kind == RecordKind::Order { &self.orders } else { &self.touchpoints };
        let found = rows.get(external_id).copied();
        foreign_reference(field, kind, external_id, found, (customer_id, customer)).map(Some)
    }
}

/// A row that has children keeps its customer, as in the upserts: refuses the batch when one of its
/// records gives such a row to another customer, naming every such record.
async fn refuse_moving_with_children<E: Keyed>(
    txn: &DatabaseTransaction,
    batch: &[(Record, Row)],
    references: &References,
) -> Result<(), ImportError> {
    let stored = lookup::<E>(txn, batch.iter().map(|(_, row)| row.external_id().to_owned()).collect()).await?;
    let moving: Vec<(&Record, i64)> = batch
        .iter()
        .filter_map(|(record, row)| {
            let (id, owner) = stored.get(row.external_id())?;
            let (new_owner, _) = references.customers.get(&owner_of(row))?;
            (owner != new_owner).then_some((record, *id))
        })
        .collect();
    if moving.is_empty() {
        return Ok(());
    }
    let mut kept = kept_from_moving(txn, E::KIND, moving.iter().map(|(_, id)| *id).collect()).await?;
    let refusals: Vec<_> =
        moving.into_iter().filter_map(|(record, id)| Some(record.refusal(kept.remove(&id)?))).collect();
    if refusals.is_empty() { Ok(()) } else { Err(ImportError::Invalid(refusals)) }
}

async fn write_rows(
    txn: &DatabaseTransaction,
    table: Table,
    batch: Vec<(Record, Row)>,
    references: &References,
) -> Result<(), ImportError> {
    match table {
        Table::Customers => {
            let rows = stored_as(batch, |row| match row {
                Row::Customer(w) => Ok(Some(customer_row(w))),
                _ => Ok(None),
            })?;
            upsert_many::<customer::Entity>(txn, rows).await?;
        }
        Table::Orders => {
            let rows = stored_as(batch, |row| match row {
                Row::Order(w) => {
                    let customer = references.customer(&w.customer_external_id)?;
                    Ok(Some(order_row(w, customer)))
                }
                _ => Ok(None),
            })?;
            upsert_many::<order::Entity>(txn, rows).await?;
        }
        Table::Touchpoints => {
            let rows = stored_as(batch, |row| match row {
                Row::Touchpoint(w) => {
                    let customer = references.customer(&w.customer_external_id)?;
                    let owner = (customer, w.customer_external_id.as_str());
                    let order = w.order_external_id.as_ref();
                    let order = references.same_customers(Field::OrderExternalId, RecordKind::Order, order, owner)?;
                    Ok(Some(touchpoint_row(w, customer, order)))
                }
                _ => Ok(None),
            })?;
            upsert_many::<touchpoint::Entity>(txn, rows).await?;
        }
        Table::Feedback => {
            let external_ids: Vec<String> = batch.iter().map(|(_, row)| row.external_id().to_owned()).collect();
            let rows = stored_as(batch, |row| match row {
                Row::Feedback(w) => {
                    let customer = references.customer(&w.customer_external_id)?;
                    let owner = (customer, w.customer_external_id.as_str());
                    let touchpoint = w.touchpoint_external_id.as_ref();
                    let kind = RecordKind::Touchpoint;
                    let touchpoint = references.same_customers(Field::TouchpointExternalId, kind, touchpoint, owner)?;
                    Ok(Some(answer_row(w, customer, touchpoint)))
                }
                _ => Ok(None),
            })?;
            upsert_many::<feedback::Entity>(txn, rows).await?;
            announce::<feedback::Entity>(txn, Topic::Feedback, external_ids).await?;
        }
        Table::Complaints => {
            let external_ids: Vec<String> = batch.iter().map(|(_, row)| row.external_id().to_owned()).collect();
            // Each answer raises one complaint: two records of the batch may not name the same one.
            let mut raised_in_batch: HashMap<String, String> = HashMap::new();
            let rows = stored_as(batch, |row| match row {
                Row::Complaint(w) => {
                    let customer = references.customer(&w.customer_external_id)?;
                    let owner = (customer, w.customer_external_id.as_str());
                    let order = w.order_external_id.as_ref();
                    let order = references.same_customers(Field::OrderExternalId, RecordKind::Order, order, owner)?;
                    let answer = references.raising_answer(&w, customer)?;
                    if let Some(answer_external_id) = &w.feedback_external_id {
                        let first = raised_in_batch.entry(answer_external_id.clone()).or_insert(w.external_id.clone());
                        if *first != w.external_id {
                            return Err(raised_another(first));
                        }
                    }
                    Ok(Some(complaint_row(w, customer, order, answer)))
                }
                _ => Ok(None),
            })?;
            upsert_many::<complaint::Entity>(txn, rows).await?;
            announce::<complaint::Entity>(txn, Topic::Complaints, external_ids).await?;
        }
    }
    Ok(())
}

/// The rows `batch`'s records are stored as (`row` gives none for a record of another table); the
/// first refused record fails the batch.
fn stored_as<A>(
    batch: Vec<(Record, Row)>,
    mut row: impl FnMut(Row) -> Result<Option<A>, Invalid>,
) -> Result<Vec<A>, ImportError> {
    let mut rows = Vec::with_capacity(batch.len());
    for (record, parsed) in batch {
        rows.extend(row(parsed).map_err(|invalid| ImportError::Invalid(vec![record.refusal(invalid)]))?);
    }
    Ok(rows)
}

/// Tells subscribers of every server instance about the imported rows (PostgreSQL NOTIFY, delivered on
/// commit; a separate import process cannot reach a SQLite server's subscribers).
async fn announce<E: Keyed>(
    txn: &DatabaseTransaction,
    topic: Topic,
    external_ids: Vec<String>,
) -> Result<(), ImportError> {
    if txn.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    let ids = store::lookup::<E>(txn, external_ids).await?;
    let ids: Vec<i64> = ids.values().map(|(id, _)| *id).collect();
    crate::events::notify(txn, topic, &ids).await?;
    Ok(())
}
