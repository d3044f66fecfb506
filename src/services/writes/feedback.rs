//! Feedback upserts and deletes.

use chrono::{DateTime, Utc};
use entity::{SurveyMetric, customer, feedback, touchpoint};
use std::collections::HashMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect, Set,
};

use crate::error::{AppError, AppResult};
use crate::rollups::maintenance::{self, Locked, Scope};
use crate::services::writes::customers::is_erased;
use crate::services::writes::{Upserted, referenced};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedbackWrite {
    pub external_id: String,
    pub customer_external_id: String,
    pub touchpoint_external_id: Option<String>,
    pub metric: SurveyMetric,
    /// Checked against the metric's scale by the caller.
    pub score: i32,
    pub comment: Option<String>,
    pub submitted_at: DateTime<Utc>,
}

pub async fn upsert_feedback(db: &DatabaseConnection, write: FeedbackWrite) -> AppResult<Upserted<feedback::Model>> {
    let (low, high) = write.metric.score_range();
    if !(low..=high).contains(&write.score) {
        let metric = write.metric.to_value();
        return Err(AppError::bad_input(
            "input.score",
            format!("{metric} scores are {low} to {high}, not {}", write.score),
        ));
    }
    maintenance::with_retries(|| upsert_once(db, write.clone())).await
}

async fn upsert_once(db: &DatabaseConnection, write: FeedbackWrite) -> AppResult<Upserted<feedback::Model>> {
    let txn = maintenance::begin_write(db).await?;
    let customer = referenced::<customer::Entity>(
        &txn,
        customer::Column::ExternalId,
        "input.customerExternalId",
        &write.customer_external_id,
    )
    .await?;
    let touchpoint = match &write.touchpoint_external_id {
        None => None,
        Some(touchpoint_external_id) => {
            let touchpoint = referenced::<touchpoint::Entity>(
                &txn,
                touchpoint::Column::ExternalId,
                "input.touchpointExternalId",
                touchpoint_external_id,
            )
            .await?;
            if touchpoint.customer_id != customer.id {
                return Err(AppError::bad_input(
                    "input.touchpointExternalId",
                    format!(
                        "touchpoint '{touchpoint_external_id}' belongs to another customer than '{}'",
                        write.customer_external_id
                    ),
                ));
            }
            Some(touchpoint)
        }
    };
    let existing = find(&txn, &write.external_id).await?;
    let touchpoint_id = touchpoint.as_ref().map(|t| t.id);
    let wanted = (customer.id, touchpoint_id, write.metric, write.score, write.comment.clone(), write.submitted_at);
    let unchanged = existing.as_ref().is_some_and(|m| {
        (m.customer_id, m.touchpoint_id, m.metric, m.score, m.comment.clone(), m.submitted_at) == wanted
    });
    // A repeated upsert changes nothing and costs no upkeep.
    if let (Some(model), true) = (existing.clone(), unchanged) {
        txn.commit().await.map_err(AppError::from_db)?;
        return Ok(Upserted { model, created: false, changed: false });
    }
    // What this write changes: the answer, and whether its old and new touchpoints count as answered.
    let touched = Touched::of(&txn, existing.as_ref(), touchpoint.as_ref(), customer.id).await?;
    // Read again under the locks: a writer that moved the answer meanwhile would have moved it out of
    // what is locked and counted here.
    let existing = match &existing {
        Some(model) => {
            let now = find(&txn, &model.external_id).await?;
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
    // An erased customer's answers keep no comment.
    let comment = if is_erased(&customer) { None } else { write.comment };
    maintenance::retract(&txn, touched.scope()).await?;
    let model = match existing {
        Some(model) => {
            let mut active: feedback::ActiveModel = model.into();
            active.customer_id = Set(customer.id);
            active.touchpoint_id = Set(touchpoint_id);
            active.metric = Set(write.metric);
            active.score = Set(write.score);
            active.comment = Set(comment);
            active.submitted_at = Set(write.submitted_at);
            Upserted { model: active.update(&txn).await.map_err(AppError::from_db)?, created: false, changed: true }
        }
        None => {
            let active = feedback::ActiveModel {
                external_id: Set(write.external_id),
                customer_id: Set(customer.id),
                touchpoint_id: Set(touchpoint_id),
                metric: Set(write.metric),
                score: Set(write.score),
                comment: Set(comment),
                submitted_at: Set(write.submitted_at),
                ..Default::default()
            };
            Upserted { model: active.insert(&txn).await.map_err(AppError::from_db)?, created: true, changed: true }
        }
    };
    let touched = Touched { answers: vec![model.model.id], ..touched };
    maintenance::restore(&txn, touched.scope()).await?;
    crate::rollups::maintenance::commit(db, txn).await?;
    crate::events::notify_committed(db, &[model.model.id]).await;
    Ok(model)
}

/// Deletes an answer; returns whether there was one.
pub async fn delete_feedback(db: &DatabaseConnection, external_id: &str) -> AppResult<bool> {
    maintenance::with_retries(|| delete_once(db, external_id)).await
}

async fn delete_once(db: &DatabaseConnection, external_id: &str) -> AppResult<bool> {
    let txn = maintenance::begin_write(db).await?;
    let Some(existing) = find(&txn, external_id).await? else { return Ok(false) };
    let touched = Touched::of(&txn, Some(&existing), None, existing.customer_id).await?;
    maintenance::retract(&txn, touched.scope()).await?;
    let result = feedback::Entity::delete_by_id(existing.id).exec(&txn).await.map_err(AppError::from_db)?;
    maintenance::restore(&txn, Scope::Rows { answers: &[], touchpoints: &touched.touchpoints }).await?;
    crate::rollups::maintenance::commit(db, txn).await?;
    Ok(result.rows_affected > 0)
}

async fn find(txn: &DatabaseTransaction, external_id: &str) -> AppResult<Option<feedback::Model>> {
    feedback::Entity::find()
        .filter(feedback::Column::ExternalId.eq(external_id))
        .one(txn)
        .await
        .map_err(AppError::from_db)
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

/// The most answers one `upsert_feedbacks` call takes.
pub const MAX_BATCH: usize = 1_000;

/// Upserts many answers in one transaction, all or nothing, with the rules of `upsert_feedback`; errors
/// name the answer by its place (`inputs[3].score`). Returns one result per answer, in order.
pub async fn upsert_feedbacks(
    db: &DatabaseConnection,
    writes: Vec<FeedbackWrite>,
) -> AppResult<Vec<Upserted<feedback::Model>>> {
    if writes.len() > MAX_BATCH {
        return Err(AppError::bad_input("inputs", format!("at most {MAX_BATCH} answers, not {}", writes.len())));
    }
    let mut first_place: HashMap<&str, usize> = HashMap::with_capacity(writes.len());
    for (i, write) in writes.iter().enumerate() {
        let (low, high) = write.metric.score_range();
        if !(low..=high).contains(&write.score) {
            let metric = write.metric.to_value();
            return Err(AppError::bad_input(
                format!("inputs[{i}].score"),
                format!("{metric} scores are {low} to {high}, not {}", write.score),
            ));
        }
        if let Some(first) = first_place.insert(&write.external_id, i) {
            return Err(AppError::bad_input(
                format!("inputs[{i}].externalId"),
                format!("'{}' is also inputs[{first}]: each answer once per batch", write.external_id),
            ));
        }
    }
    maintenance::with_retries(|| upsert_many_once(db, &writes)).await
}

async fn upsert_many_once(
    db: &DatabaseConnection,
    writes: &[FeedbackWrite],
) -> AppResult<Vec<Upserted<feedback::Model>>> {
    let txn = maintenance::begin_write(db).await?;
    let customers = by_external_id::<customer::Entity>(
        &txn,
        customer::Column::ExternalId,
        writes.iter().map(|w| w.customer_external_id.clone()),
        |m| m.external_id.clone(),
    )
    .await?;
    let touchpoints = by_external_id::<touchpoint::Entity>(
        &txn,
        touchpoint::Column::ExternalId,
        writes.iter().filter_map(|w| w.touchpoint_external_id.clone()),
        |m| m.external_id.clone(),
    )
    .await?;
    let existing = by_external_id::<feedback::Entity>(
        &txn,
        feedback::Column::ExternalId,
        writes.iter().map(|w| w.external_id.clone()),
        |m| m.external_id.clone(),
    )
    .await?;
    // Every reference first: a bad one writes nothing.
    let mut rows = Vec::with_capacity(writes.len());
    for (i, write) in writes.iter().enumerate() {
        let customer = customers.get(&write.customer_external_id).ok_or_else(|| {
            AppError::bad_input(
                format!("inputs[{i}].customerExternalId"),
                format!("no customer with external id '{}'", write.customer_external_id),
            )
        })?;
        let touchpoint = match &write.touchpoint_external_id {
            None => None,
            Some(external_id) => {
                let field = format!("inputs[{i}].touchpointExternalId");
                let touchpoint = touchpoints.get(external_id).ok_or_else(|| {
                    AppError::bad_input(&field, format!("no touchpoint with external id '{external_id}'"))
                })?;
                if touchpoint.customer_id != customer.id {
                    return Err(AppError::bad_input(
                        field,
                        format!(
                            "touchpoint '{external_id}' belongs to another customer than '{}'",
                            write.customer_external_id
                        ),
                    ));
                }
                Some(touchpoint.id)
            }
        };
        let comment = if is_erased(customer) { None } else { write.comment.clone() };
        let model = feedback::ActiveModel {
            external_id: Set(write.external_id.clone()),
            customer_id: Set(customer.id),
            touchpoint_id: Set(touchpoint),
            metric: Set(write.metric),
            score: Set(write.score),
            comment: Set(comment),
            submitted_at: Set(write.submitted_at),
            ..Default::default()
        };
        let old = existing.get(&write.external_id);
        let unchanged = old.is_some_and(|m| {
            (m.customer_id, m.touchpoint_id, m.metric, m.score, &m.comment, m.submitted_at)
                == (customer.id, touchpoint, write.metric, write.score, model.comment.as_ref(), write.submitted_at)
        });
        rows.push((model, old.cloned(), unchanged));
    }
    let changed: Vec<&(feedback::ActiveModel, Option<feedback::Model>, bool)> =
        rows.iter().filter(|(_, _, unchanged)| !unchanged).collect();
    if !changed.is_empty() {
        // Locks, in the order every writer takes them: customers labelling the rows (shared), the
        // touchpoints the answers leave or join, the answers.
        let old_answers: Vec<&feedback::Model> = changed.iter().filter_map(|(_, old, _)| old.as_ref()).collect();
        let mut touchpoint_ids: Vec<i64> = changed.iter().filter_map(|(m, _, _)| *m.touchpoint_id.as_ref()).collect();
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
        let mut labelling: Vec<i64> = changed.iter().map(|(m, _, _)| *m.customer_id.as_ref()).collect();
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
        for chunk in changed.chunks(WRITE_CHUNK) {
            let models = chunk.iter().map(|(model, _, _)| model.clone());
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
                .exec_without_returning(&txn)
                .await
                .map_err(AppError::from_db)?;
        }
    }
    let stored = by_external_id::<feedback::Entity>(
        &txn,
        feedback::Column::ExternalId,
        writes.iter().map(|w| w.external_id.clone()),
        |m| m.external_id.clone(),
    )
    .await?;
    let mut results = Vec::with_capacity(writes.len());
    for (write, (_, old, unchanged)) in writes.iter().zip(&rows) {
        let model = stored
            .get(&write.external_id)
            .cloned()
            .ok_or_else(|| AppError::Internal(format!("answer '{}' was not stored", write.external_id)))?;
        results.push(Upserted { model, created: old.is_none(), changed: !unchanged });
    }
    let changed_ids: Vec<i64> = results.iter().filter(|r| r.changed).map(|r| r.model.id).collect();
    if !changed_ids.is_empty() {
        let touchpoint_ids: Vec<i64> = rows
            .iter()
            .filter(|(_, _, unchanged)| !unchanged)
            .flat_map(|(m, old, _)| [*m.touchpoint_id.as_ref(), old.as_ref().and_then(|o| o.touchpoint_id)])
            .flatten()
            .collect();
        maintenance::restore(&txn, Scope::Rows { answers: &changed_ids, touchpoints: &touchpoint_ids }).await?;
    }
    crate::rollups::maintenance::commit(db, txn).await?;
    crate::events::notify_committed(db, &changed_ids).await;
    Ok(results)
}

/// Rows per multi-row INSERT: under every database's bind-parameter limit.
const WRITE_CHUNK: usize = 500;

/// The rows of `E` with these external ids, by external id.
async fn by_external_id<E: EntityTrait>(
    txn: &DatabaseTransaction,
    column: E::Column,
    external_ids: impl Iterator<Item = String>,
    key: impl Fn(&E::Model) -> String,
) -> AppResult<HashMap<String, E::Model>> {
    let mut ids: Vec<String> = external_ids.collect();
    ids.sort_unstable();
    ids.dedup();
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(WRITE_CHUNK) {
        for model in E::find().filter(column.is_in(chunk.iter().cloned())).all(txn).await.map_err(AppError::from_db)? {
            found.insert(key(&model), model);
        }
    }
    Ok(found)
}
