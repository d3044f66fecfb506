//! Feedback upserts and deletes.

use entity::{customer, feedback, touchpoint};
use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Set,
};

use crate::domain::validation::{Field, Invalid, RecordKind, Rule, batch_size, existing, foreign_reference};
use crate::error::{AppError, AppResult};
use crate::rollups::maintenance::{self, Locked, Scope};
use crate::services::writes::customers::is_erased;
use crate::services::writes::store::{self, Upkeep};
use crate::services::writes::times;
use crate::services::writes::tombstones::delete_with_tombstones;
use crate::services::writes::{FeedbackWrite, Upserted};

pub async fn upsert_feedback(db: &DatabaseConnection, write: FeedbackWrite) -> AppResult<Upserted<feedback::Model>> {
    maintenance::with_retries(|| upsert_once(db, write.clone())).await
}

/// The row an answer record is stored as, by the customer `customer_id` (and about their touchpoint
/// `touchpoint_id`).
pub fn answer_row(write: FeedbackWrite, customer_id: i64, touchpoint_id: Option<i64>) -> feedback::ActiveModel {
    feedback::ActiveModel {
        external_id: Set(write.external_id),
        customer_id: Set(customer_id),
        touchpoint_id: Set(touchpoint_id),
        metric: Set(write.metric),
        score: Set(write.score),
        comment: Set(write.comment),
        submitted_at: Set(write.submitted_at),
        ..Default::default()
    }
}

/// The row of an answer by `author`: an erased customer's answers keep no comment.
fn authored_row(write: FeedbackWrite, author: &customer::Model, touchpoint_id: Option<i64>) -> feedback::ActiveModel {
    let comment = if is_erased(author) { None } else { write.comment };
    answer_row(FeedbackWrite { comment, ..write }, author.id, touchpoint_id)
}

/// The touchpoint an answer is about, found as `found`: its id, when it exists and is the author's.
fn answered(
    write: &FeedbackWrite,
    author: &customer::Model,
    found: Option<(i64, i64)>,
) -> Result<Option<i64>, Invalid> {
    let Some(external_id) = &write.touchpoint_external_id else { return Ok(None) };
    let owner = (author.id, write.customer_external_id.as_str());
    foreign_reference(Field::TouchpointExternalId, RecordKind::Touchpoint, external_id, found, owner).map(Some)
}

async fn upsert_once(db: &DatabaseConnection, write: FeedbackWrite) -> AppResult<Upserted<feedback::Model>> {
    let txn = maintenance::begin_write(db).await?;
    let customer =
        store::referenced::<customer::Entity>(&txn, Field::CustomerExternalId, &write.customer_external_id).await?;
    let touchpoint = match &write.touchpoint_external_id {
        Some(external_id) => store::find::<touchpoint::Entity>(&txn, external_id).await?,
        None => None,
    };
    let touchpoint_id = answered(&write, &customer, touchpoint.as_ref().map(|t| (t.id, t.customer_id)))?;
    let existing = store::find::<feedback::Entity>(&txn, &write.external_id).await?;
    if let Some(model) = &existing
        && model.customer_id != customer.id
    {
        store::refuse_moving_with_children(&txn, RecordKind::Feedback, model.id).await?;
    }
    let row = authored_row(write, &customer, touchpoint_id);
    if let Some(model) = existing.as_ref().filter(|m| store::holds::<feedback::Entity>(m, &row)) {
        return store::unchanged(txn, model.clone()).await;
    }
    // What this write changes: the answer, and whether its old and new touchpoints count as answered.
    let touched = Touched::of(&txn, existing.as_ref(), touchpoint.as_ref(), customer.id).await?;
    // Read again under the locks: a writer that moved the answer meanwhile would have moved it out of
    // what is locked and counted here.
    let existing = match &existing {
        Some(model) => {
            let now = store::find::<feedback::Entity>(&txn, &model.external_id).await?;
            if now.as_ref().map(|m| (m.customer_id, m.touchpoint_id)) != Some((model.customer_id, model.touchpoint_id))
            {
                return Err(AppError::Contention {
                    detail: "the answer moved during the write".into(),
                    retryable: true,
                });
            }
            now
        }
        None => None,
    };
    let upkeep = Upkeep::Rows { answers: touched.answers, touchpoints: touched.touchpoints };
    let result = store::store::<feedback::Entity>(db, txn, existing, row, upkeep).await?;
    crate::events::notify_committed(db, crate::events::Topic::Feedback, &[result.model.id]).await;
    Ok(result)
}

/// Deletes an answer, leaving its tombstone; returns whether there was one.
pub async fn delete_feedback(db: &DatabaseConnection, external_id: &str) -> AppResult<Option<i64>> {
    maintenance::with_retries(|| delete_once(db, external_id)).await
}

/// The id of the deleted answer; None when there was none.
async fn delete_once(db: &DatabaseConnection, external_id: &str) -> AppResult<Option<i64>> {
    let txn = maintenance::begin_write(db).await?;
    let Some(existing) = store::find::<feedback::Entity>(&txn, external_id).await? else { return Ok(None) };
    let touched = Touched::of(&txn, Some(&existing), None, existing.customer_id).await?;
    maintenance::retract(&txn, touched.scope()).await?;
    let answer = Condition::all().add(feedback::Column::Id.eq(existing.id));
    let deleted = delete_with_tombstones::<feedback::Entity>(&txn, answer, times::now()).await?;
    maintenance::restore(&txn, Scope::Rows { answers: &[], touchpoints: &touched.touchpoints }).await?;
    crate::rollups::maintenance::commit(db, txn).await?;
    Ok(deleted.first().map(|row| row.id))
}

/// The rows a write of one answer changes the contribution of, locked for the rest of the transaction:
/// the answer, and the touchpoints it leaves and joins (whether each counts as answered).
struct Touched {
    answers: Vec<i64>,
    touchpoints: Vec<i64>,
}

impl Touched {
    /// Locks, in order, the customers labelling these rows (shared), the touchpoints and the answer.
    async fn of(
        txn: &DatabaseTransaction,
        existing: Option<&feedback::Model>,
        touchpoint: Option<&touchpoint::Model>,
        author: i64,
    ) -> AppResult<Touched> {
        let old_touchpoint = match existing.and_then(|m| m.touchpoint_id) {
            Some(id) if Some(id) != touchpoint.map(|t| t.id) => {
                touchpoint::Entity::find_by_id(id).one(txn).await.map_err(AppError::from_db)?
            }
            _ => None,
        };
        let touchpoints: Vec<&touchpoint::Model> = touchpoint.into_iter().chain(old_touchpoint.as_ref()).collect();
        let mut customers = vec![author];
        customers.extend(existing.map(|m| m.customer_id));
        customers.extend(touchpoints.iter().map(|t| t.customer_id));
        maintenance::lock(txn, Locked::CustomersShared, &customers).await?;
        let touchpoints: Vec<i64> = touchpoints.iter().map(|t| t.id).collect();
        maintenance::lock(txn, Locked::Touchpoints, &touchpoints).await?;
        let answers: Vec<i64> = existing.map(|m| m.id).into_iter().collect();
        maintenance::lock(txn, Locked::Answers, &answers).await?;
        Ok(Touched { answers, touchpoints })
    }

    fn scope(&self) -> Scope<'_> {
        Scope::Rows { answers: &self.answers, touchpoints: &self.touchpoints }
    }
}

/// Upserts many answers in one transaction, all or nothing, with the rules of `upsert_feedback`; a
/// refusal names the answer by its place in `writes`. Returns one result per answer, in order.
pub async fn upsert_feedbacks(
    db: &DatabaseConnection,
    writes: Vec<FeedbackWrite>,
) -> AppResult<Vec<Upserted<feedback::Model>>> {
    batch_size(writes.len())?;
    let mut first_place: HashMap<&str, usize> = HashMap::with_capacity(writes.len());
    for (i, write) in writes.iter().enumerate() {
        if let Some(first) = first_place.insert(&write.external_id, i) {
            let rule = Rule::Repeated { external_id: write.external_id.clone(), first };
            return Err(Invalid::new(Field::ExternalId, rule).at(i).into());
        }
    }
    maintenance::with_retries(|| upsert_many_once(db, &writes)).await
}

/// One answer of a batch: its row, the stored one it replaces, and whether that already holds it.
struct Planned {
    row: feedback::ActiveModel,
    old: Option<feedback::Model>,
    unchanged: bool,
}

async fn upsert_many_once(
    db: &DatabaseConnection,
    writes: &[FeedbackWrite],
) -> AppResult<Vec<Upserted<feedback::Model>>> {
    let txn = maintenance::begin_write(db).await?;
    let customers = store::by_external_id::<customer::Entity>(
        &txn,
        writes.iter().map(|w| w.customer_external_id.clone()).collect(),
    )
    .await?;
    let touchpoints = store::lookup::<touchpoint::Entity>(
        &txn,
        writes.iter().filter_map(|w| w.touchpoint_external_id.clone()).collect(),
    )
    .await?;
    let before = store::by_external_id::<feedback::Entity>(&txn, external_ids(writes)).await?;
    // Every reference first: a bad one writes nothing.
    let mut planned = Vec::with_capacity(writes.len());
    for (i, write) in writes.iter().enumerate() {
        let found = customers.get(&write.customer_external_id);
        let author = existing(Field::CustomerExternalId, RecordKind::Customer, &write.customer_external_id, found)
            .map_err(|e| e.at(i))?;
        let found = write.touchpoint_external_id.as_ref().and_then(|t| touchpoints.get(t).copied());
        let touchpoint_id = answered(write, author, found).map_err(|e| e.at(i))?;
        let row = authored_row(write.clone(), author, touchpoint_id);
        let old = before.get(&write.external_id).cloned();
        let unchanged = old.as_ref().is_some_and(|m| store::holds::<feedback::Entity>(m, &row));
        planned.push(Planned { row, old, unchanged });
    }
    let moving: Vec<i64> = planned
        .iter()
        .filter_map(|p| p.old.as_ref().filter(|old| old.customer_id != *p.row.customer_id.as_ref()).map(|old| old.id))
        .collect();
    if !moving.is_empty() {
        let mut kept = store::kept_from_moving(&txn, RecordKind::Feedback, moving).await?;
        for (i, plan) in planned.iter().enumerate() {
            if let Some(refusal) = plan.old.as_ref().and_then(|old| kept.remove(&old.id)) {
                return Err(refusal.at(i).into());
            }
        }
    }
    let changed: Vec<&Planned> = planned.iter().filter(|p| !p.unchanged).collect();
    if !changed.is_empty() {
        // Locks, in the order every writer takes them: customers labelling the rows (shared), the
        // touchpoints the answers leave or join, the answers.
        let old_answers: Vec<&feedback::Model> = changed.iter().filter_map(|p| p.old.as_ref()).collect();
        let mut touchpoint_ids: Vec<i64> = changed.iter().filter_map(|p| *p.row.touchpoint_id.as_ref()).collect();
        touchpoint_ids.extend(old_answers.iter().filter_map(|m| m.touchpoint_id));
        touchpoint_ids.sort_unstable();
        touchpoint_ids.dedup();
        let owners: Vec<(i64, i64)> = touchpoint::Entity::find()
            .select_only()
            .column(touchpoint::Column::Id)
            .column(touchpoint::Column::CustomerId)
            .filter(touchpoint::Column::Id.is_in(touchpoint_ids.clone()))
            .into_tuple()
            .all(&txn)
            .await
            .map_err(AppError::from_db)?;
        let mut labelling: Vec<i64> = changed.iter().map(|p| *p.row.customer_id.as_ref()).collect();
        labelling.extend(old_answers.iter().map(|m| m.customer_id));
        labelling.extend(owners.iter().map(|(_, owner)| *owner));
        maintenance::lock(&txn, Locked::CustomersShared, &labelling).await?;
        maintenance::lock(&txn, Locked::Touchpoints, &touchpoint_ids).await?;
        let old_ids: Vec<i64> = old_answers.iter().map(|m| m.id).collect();
        maintenance::lock(&txn, Locked::Answers, &old_ids).await?;
        // Read again under the locks: an answer moved meanwhile would have left what is counted here.
        let now = feedback::Entity::find()
            .filter(feedback::Column::Id.is_in(old_ids.clone()))
            .all(&txn)
            .await
            .map_err(AppError::from_db)?;
        let moved = now.iter().any(|m| {
            old_answers
                .iter()
                .any(|o| o.id == m.id && (o.customer_id, o.touchpoint_id) != (m.customer_id, m.touchpoint_id))
        });
        if moved || now.len() != old_ids.len() {
            return Err(AppError::Contention { detail: "answers moved during the write".into(), retryable: true });
        }
        maintenance::retract(&txn, Scope::Rows { answers: &old_ids, touchpoints: &touchpoint_ids }).await?;
        for chunk in changed.chunks(store::CHUNK) {
            store::upsert_many::<feedback::Entity>(&txn, chunk.iter().map(|p| p.row.clone()).collect()).await?;
        }
    }
    let stored = store::by_external_id::<feedback::Entity>(&txn, external_ids(writes)).await?;
    let mut results = Vec::with_capacity(writes.len());
    for (write, plan) in writes.iter().zip(&planned) {
        let model = stored
            .get(&write.external_id)
            .cloned()
            .ok_or_else(|| AppError::Internal(format!("answer '{}' was not stored", write.external_id)))?;
        results.push(Upserted { model, created: plan.old.is_none(), changed: !plan.unchanged });
    }
    let changed_ids: Vec<i64> = results.iter().filter(|r| r.changed).map(|r| r.model.id).collect();
    if !changed_ids.is_empty() {
        let touchpoint_ids: Vec<i64> = planned
            .iter()
            .filter(|p| !p.unchanged)
            .flat_map(|p| [*p.row.touchpoint_id.as_ref(), p.old.as_ref().and_then(|o| o.touchpoint_id)])
            .flatten()
            .collect();
        maintenance::restore(&txn, Scope::Rows { answers: &changed_ids, touchpoints: &touchpoint_ids }).await?;
    }
    crate::rollups::maintenance::commit(db, txn).await?;
    crate::events::notify_committed(db, crate::events::Topic::Feedback, &changed_ids).await;
    Ok(results)
}

fn external_ids(writes: &[FeedbackWrite]) -> Vec<String> {
    writes.iter().map(|w| w.external_id.clone()).collect()
}
