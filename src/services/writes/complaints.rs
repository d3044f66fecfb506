//! Complaint writes for admin consoles: opening one (or correcting what it was opened with), its first
//! response, closing it (resolved or not) and reopening it. A complaint counts in no rollup, so these
//! writes lock only what their checks read (the customer and order, shared) and the complaint itself.

use chrono::{DateTime, Utc};
use entity::{ComplaintOutcome, ComplaintStatus, complaint, customer, feedback, order};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect, Set,
};

use crate::domain::time::format_timestamp;
use crate::domain::validation::{
    ComplaintWrite, Field, Invalid, RecordKind, Rule, closing_status, complaint_handling, foreign_reference,
};
use crate::error::{AppError, AppResult};
use crate::events::Topic;
use crate::rollups::maintenance::{self, Locked};
use crate::services::writes::Upserted;
use crate::services::writes::store::{self, Upkeep};

/// The row a complaint record is stored as, of the customer `customer_id` (about their order
/// `order_id`, raised by their answer `feedback_id`).
pub fn complaint_row(
    write: ComplaintWrite,
    customer_id: i64,
    order_id: Option<i64>,
    feedback_id: Option<i64>,
) -> complaint::ActiveModel {
    complaint::ActiveModel {
        external_id: Set(write.external_id),
        customer_id: Set(customer_id),
        order_id: Set(order_id),
        feedback_id: Set(feedback_id),
        category: Set(write.category),
        channel: Set(write.channel),
        opened_at: Set(write.opened_at),
        first_response_at: Set(write.first_response_at),
        resolved_at: Set(write.resolved_at),
        status: Set(write.status),
        outcome: Set(write.outcome),
        ..Default::default()
    }
}

/// A complaint raised by an answer opens when or after the answer was submitted.
pub fn opened_after_answer(opened_at: DateTime<Utc>, submitted_at: DateTime<Utc>) -> Result<(), Invalid> {
    if opened_at < submitted_at { Err(Invalid::new(Field::OpenedAt, Rule::BeforeAnswer)) } else { Ok(()) }
}

/// The refusal of an answer that already raised `other` (an answer raises at most one complaint).
pub fn raised_another(other: &str) -> Invalid {
    Invalid::new(Field::FeedbackExternalId, Rule::RaisedAnother { complaint: other.to_owned() })
}

/// Opens a complaint (`write`, OPEN and not handled yet), or corrects what an existing one was opened
/// with: its customer, order, answer, category, channel and opening time; its handling stays.
pub async fn open_complaint(db: &DatabaseConnection, write: ComplaintWrite) -> AppResult<Upserted<complaint::Model>> {
    let result = maintenance::with_retries(|| open_once(db, write.clone())).await?;
    if result.created {
        crate::events::notify_committed(db, Topic::Complaints, &[result.model.id]).await;
    }
    Ok(result)
}

async fn open_once(db: &DatabaseConnection, write: ComplaintWrite) -> AppResult<Upserted<complaint::Model>> {
    let txn = maintenance::begin_write(db).await?;
    let customer =
        store::referenced::<customer::Entity>(&txn, Field::CustomerExternalId, &write.customer_external_id).await?;
    maintenance::lock(&txn, Locked::CustomersShared, &[customer.id]).await?;
    let existing = locked(&txn, &write.external_id).await?;
    let (order_id, feedback_id) = references(&txn, &write, &customer, existing.as_ref().map(|m| m.id)).await?;
    let mut row = complaint_row(write, customer.id, order_id, feedback_id);
    if let Some(model) = &existing {
        if model.first_response_at.is_some_and(|responded| responded < *row.opened_at.as_ref()) {
            return Err(Invalid::new(Field::OpenedAt, Rule::AfterFirstResponse).into());
        }
        // The handling is the other mutations'.
        for column in [
            complaint::Column::FirstResponseAt,
            complaint::Column::ResolvedAt,
            complaint::Column::Status,
            complaint::Column::Outcome,
        ] {
            row.not_set(column);
        }
    }
    if let Some(model) = existing.as_ref().filter(|m| store::holds::<complaint::Entity>(m, &row)) {
        return store::unchanged(txn, model.clone()).await;
    }
    store::store::<complaint::Entity>(db, txn, existing, row, Upkeep::Nothing).await
}

/// The order and answer a complaint record refers to, when they exist and are its customer's; the
/// answer opened before the complaint and raised no other one than `this` (the complaint's id, if stored).
async fn references(
    txn: &DatabaseTransaction,
    write: &ComplaintWrite,
    customer: &customer::Model,
    this: Option<i64>,
) -> AppResult<(Option<i64>, Option<i64>)> {
    let owner = (customer.id, write.customer_external_id.as_str());
    let order_id = match &write.order_external_id {
        None => None,
        Some(external_id) => {
            let found = store::find::<order::Entity>(txn, external_id).await?.map(|o| (o.id, o.customer_id));
            let id = foreign_reference(Field::OrderExternalId, RecordKind::Order, external_id, found, owner)?;
            maintenance::lock(txn, Locked::OrdersShared, &[id]).await?;
            Some(id)
        }
    };
    let feedback_id = match &write.feedback_external_id {
        None => None,
        Some(external_id) => {
            let answer = store::find::<feedback::Entity>(txn, external_id).await?;
            let found = answer.as_ref().map(|a| (a.id, a.customer_id));
            let id = foreign_reference(Field::FeedbackExternalId, RecordKind::Feedback, external_id, found, owner)?;
            if let Some(answer) = &answer {
                opened_after_answer(write.opened_at, answer.submitted_at)?;
            }
            let other = complaint::Entity::find()
                .filter(complaint::Column::FeedbackId.eq(id))
                .one(txn)
                .await
                .map_err(AppError::from_db)?;
            if let Some(other) = other.filter(|other| Some(other.id) != this) {
                return Err(raised_another(&other.external_id).into());
            }
            Some(id)
        }
    };
    Ok((order_id, feedback_id))
}

/// The complaint with this external id, locked for the rest of the transaction (PostgreSQL; SQLite's
/// writer holds the whole database).
async fn locked(txn: &impl ConnectionTrait, external_id: &str) -> AppResult<Option<complaint::Model>> {
    let mut select = complaint::Entity::find().filter(complaint::Column::ExternalId.eq(external_id));
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    select.one(txn).await.map_err(AppError::from_db)
}

/// The complaint a handling mutation changes, locked, or NOT_FOUND.
async fn handled(txn: &DatabaseTransaction, external_id: &str) -> AppResult<complaint::Model> {
    locked(txn, external_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no complaint with external id '{external_id}'")))
}

/// Writes a handling change of `model` (or nothing, when `change` is none) and commits.
async fn handle(
    db: &DatabaseConnection,
    txn: DatabaseTransaction,
    model: complaint::Model,
    change: Option<complaint::ActiveModel>,
) -> AppResult<Upserted<complaint::Model>> {
    let Some(row) = change else { return store::unchanged(txn, model).await };
    store::store::<complaint::Entity>(db, txn, Some(model), row, Upkeep::Nothing).await
}

/// Records the first response to a complaint: it is then IN_PROGRESS. The first response is the first:
/// a complaint that has one keeps it (the same time again changes nothing).
pub async fn respond_to_complaint(
    db: &DatabaseConnection,
    external_id: &str,
    responded_at: DateTime<Utc>,
) -> AppResult<Upserted<complaint::Model>> {
    maintenance::with_retries(|| async {
        let txn = maintenance::begin_write(db).await?;
        let model = handled(&txn, external_id).await?;
        let change = match model.first_response_at {
            Some(first) if first == responded_at => None,
            Some(first) => {
                let rule = Rule::AlreadyAnswered { at: format_timestamp(first) };
                return Err(Invalid::new(Field::FirstResponseAt, rule).into());
            }
            None => {
                complaint_handling(model.opened_at, Some(responded_at), None, ComplaintStatus::InProgress, false)?;
                Some(complaint::ActiveModel {
                    first_response_at: Set(Some(responded_at)),
                    status: Set(ComplaintStatus::InProgress),
                    ..Default::default()
                })
            }
        };
        handle(db, txn, model, change).await
    })
    .await
}

/// Closes a complaint, RESOLVED or UNRESOLVED_CLOSED, with its outcome. One closed without a response
/// before was answered by its closing: its first response is its closing time. A closed complaint is
/// reopened before it is closed again (the same closing again changes nothing).
pub async fn resolve_complaint(
    db: &DatabaseConnection,
    external_id: &str,
    resolved_at: DateTime<Utc>,
    status: ComplaintStatus,
    outcome: ComplaintOutcome,
) -> AppResult<Upserted<complaint::Model>> {
    let status = closing_status(status)?;
    maintenance::with_retries(|| async {
        let txn = maintenance::begin_write(db).await?;
        let model = handled(&txn, external_id).await?;
        if model.status.is_closed() {
            if (model.resolved_at, model.status, model.outcome) == (Some(resolved_at), status, Some(outcome)) {
                return handle(db, txn, model, None).await;
            }
            return Err(Invalid::whole(Rule::AlreadyClosed).into());
        }
        let first = model.first_response_at.unwrap_or(resolved_at);
        complaint_handling(model.opened_at, Some(first), Some(resolved_at), status, true).map_err(|refusal| {
            // Without an earlier response, the closing time is the one given.
            match refusal.field {
                Some(Field::FirstResponseAt) => Invalid { field: Some(Field::ResolvedAt), ..refusal },
                _ => refusal,
            }
        })?;
        let change = complaint::ActiveModel {
            first_response_at: Set(Some(first)),
            resolved_at: Set(Some(resolved_at)),
            status: Set(status),
            outcome: Set(Some(outcome)),
            ..Default::default()
        };
        handle(db, txn, model, Some(change)).await
    })
    .await
}

/// Reopens a closed complaint: IN_PROGRESS again, without closing time or outcome (its first response
/// stays). Reopening one that is not closed changes nothing.
pub async fn reopen_complaint(db: &DatabaseConnection, external_id: &str) -> AppResult<Upserted<complaint::Model>> {
    let result = maintenance::with_retries(|| async {
        let txn = maintenance::begin_write(db).await?;
        let model = handled(&txn, external_id).await?;
        let change = model.status.is_closed().then(|| complaint::ActiveModel {
            resolved_at: Set(None),
            status: Set(ComplaintStatus::InProgress),
            outcome: Set(None),
            ..Default::default()
        });
        handle(db, txn, model, change).await
    })
    .await?;
    if result.changed {
        crate::events::notify_committed(db, Topic::Complaints, &[result.model.id]).await;
    }
    Ok(result)
}
