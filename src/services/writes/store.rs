//! What every write by external id shares, the upserts and the import alike: the tables' keys, lookups
//! of references, the rule that a row with children keeps its customer, the compare-then-write tail of
//! an upsert and the multi-row upsert of a batch.

use std::collections::HashMap;

use entity::{NodeType, complaint, customer, feedback, order, touchpoint};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, IdenStatic, IntoActiveModel, Iterable, ModelTrait, QueryFilter, QuerySelect,
};

use crate::domain::validation::{Field, Invalid, RecordKind, Rule, existing};
use crate::error::{AppError, AppResult};
use crate::rollups::maintenance::{self, Scope};
use crate::services::writes::Upserted;
use crate::services::writes::times::{self, TimeColumns};

/// Ids per statement that loads whole rows, rows per multi-row INSERT of a batch of answers: under every
/// database's bind-parameter limit.
pub const CHUNK: usize = 500;
/// External ids per [`lookup`] statement: an import's batch in one.
const LOOKUP_CHUNK: usize = 4000;

/// A table written by external id.
pub trait Keyed:
    EntityTrait<Model: IntoActiveModel<Self::ActiveModel>, ActiveModel: ActiveModelBehavior + Send>
{
    const KIND: RecordKind;
    const ID: Self::Column;
    const EXTERNAL_ID: Self::Column;
    /// The customer a row belongs to (a customer's own id).
    const OWNER: Self::Column;
    /// The type of the rows' global IDs, as their tombstones name it.
    const NODE_TYPE: NodeType;
    /// The columns of the server's row times, on the tables that have them (`times`).
    const TIMES: Option<TimeColumns<Self::Column>>;

    fn id(model: &Self::Model) -> i64;
    fn external_id(model: &Self::Model) -> &str;
}

macro_rules! keyed {
    ($module:ident, $kind:ident, $owner:ident, $timed:tt) => {
        impl Keyed for $module::Entity {
            const KIND: RecordKind = RecordKind::$kind;
            const ID: $module::Column = $module::Column::Id;
            const EXTERNAL_ID: $module::Column = $module::Column::ExternalId;
            const OWNER: $module::Column = $module::Column::$owner;
            const NODE_TYPE: NodeType = NodeType::$kind;
            const TIMES: Option<TimeColumns<$module::Column>> = keyed!(@times $module, $timed);

            fn id(model: &$module::Model) -> i64 {
                model.id
            }

            fn external_id(model: &$module::Model) -> &str {
                &model.external_id
            }
        }
    };
    (@times $module:ident, true) => {
        Some(TimeColumns { recorded_at: $module::Column::RecordedAt, updated_at: $module::Column::UpdatedAt })
    };
    (@times $module:ident, false) => {
        None
    };
}

keyed!(customer, Customer, Id, true);
keyed!(order, Order, CustomerId, true);
keyed!(touchpoint, Touchpoint, CustomerId, true);
keyed!(feedback, Feedback, CustomerId, true);
// Complaints have no row times: incremental extracts cover the four tables above (`docs/api.md`).
keyed!(complaint, Complaint, CustomerId, false);

/// The row with this external id.
pub async fn find<E: Keyed>(db: &impl ConnectionTrait, external_id: &str) -> AppResult<Option<E::Model>> {
    E::find().filter(E::EXTERNAL_ID.eq(external_id)).one(db).await.map_err(AppError::from_db)
}

/// The row a record refers to by external id in `field`, or the refusal of a reference to nothing.
pub async fn referenced<E: Keyed>(db: &impl ConnectionTrait, field: Field, external_id: &str) -> AppResult<E::Model> {
    Ok(existing(field, E::KIND, external_id, find::<E>(db, external_id).await?)?)
}

/// Whether `E`'s table holds any row.
pub async fn any_row<E: EntityTrait>(db: &impl ConnectionTrait) -> AppResult<bool> {
    let first = E::find().select_only().expr(Expr::val(1)).into_tuple::<i32>().one(db).await;
    Ok(first.map_err(AppError::from_db)?.is_some())
}

/// The rows of `E` with these external ids, as (id, owning customer id), by external id: the three
/// columns only, for batches.
pub async fn lookup<E: Keyed>(
    db: &impl ConnectionTrait,
    mut external_ids: Vec<String>,
) -> AppResult<HashMap<String, (i64, i64)>> {
    external_ids.sort_unstable();
    external_ids.dedup();
    let mut found = HashMap::with_capacity(external_ids.len());
    for chunk in external_ids.chunks(LOOKUP_CHUNK) {
        let rows: Vec<(String, i64, i64)> = E::find()
            .select_only()
            .column(E::EXTERNAL_ID)
            .column(E::ID)
            .column(E::OWNER)
            .filter(E::EXTERNAL_ID.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await
            .map_err(AppError::from_db)?;
        found.extend(rows.into_iter().map(|(external, id, owner)| (external, (id, owner))));
    }
    Ok(found)
}

/// The whole rows of `E` with these external ids, by external id.
pub async fn by_external_id<E: Keyed>(
    db: &impl ConnectionTrait,
    mut external_ids: Vec<String>,
) -> AppResult<HashMap<String, E::Model>> {
    external_ids.sort_unstable();
    external_ids.dedup();
    let mut found = HashMap::with_capacity(external_ids.len());
    for chunk in external_ids.chunks(CHUNK) {
        let models =
            E::find().filter(E::EXTERNAL_ID.is_in(chunk.iter().cloned())).all(db).await.map_err(AppError::from_db)?;
        found.extend(models.into_iter().map(|model| (E::external_id(&model).to_owned(), model)));
    }
    Ok(found)
}

/// A row that has children (an order's touchpoints, a touchpoint's answers) keeps its customer: given to
/// another one, its children would stay with the old one, split from it. So does a row a complaint
/// refers to (an order complained about, an answer that raised a complaint): the complaint would refer
/// to another customer's row. Of `moving`, the ids of `kind` rows given to another customer, returns
/// those that may not move, each with its refusal.
pub async fn kept_from_moving(
    db: &impl ConnectionTrait,
    kind: RecordKind,
    mut moving: Vec<i64>,
) -> AppResult<HashMap<i64, Invalid>> {
    moving.sort_unstable();
    moving.dedup();
    let mut kept = HashMap::new();
    for chunk in moving.chunks(CHUNK) {
        let (with_children, with_complaints): (Vec<Option<i64>>, Vec<Option<i64>>) = match kind {
            RecordKind::Order => (
                parents_with_children::<touchpoint::Entity>(db, touchpoint::Column::OrderId, chunk).await?,
                parents_with_children::<complaint::Entity>(db, complaint::Column::OrderId, chunk).await?,
            ),
            RecordKind::Touchpoint => {
                (parents_with_children::<feedback::Entity>(db, feedback::Column::TouchpointId, chunk).await?, vec![])
            }
            RecordKind::Feedback => {
                (vec![], parents_with_children::<complaint::Entity>(db, complaint::Column::FeedbackId, chunk).await?)
            }
            RecordKind::Customer | RecordKind::Complaint => (vec![], vec![]),
        };
        let refusal = |rule| Invalid::new(Field::CustomerExternalId, rule);
        for id in with_complaints.into_iter().flatten() {
            kept.insert(id, refusal(Rule::MovesComplaints { parent: kind }));
        }
        for id in with_children.into_iter().flatten() {
            kept.insert(id, refusal(Rule::MovesChildren { parent: kind }));
        }
    }
    Ok(kept)
}

/// Of `ids`, those that the `parent` column of some `E` row points at.
async fn parents_with_children<E: EntityTrait>(
    db: &impl ConnectionTrait,
    parent: E::Column,
    ids: &[i64],
) -> AppResult<Vec<Option<i64>>> {
    E::find()
        .select_only()
        .column(parent)
        .distinct()
        .filter(parent.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await
        .map_err(AppError::from_db)
}

/// Refuses giving the `kind` row `id` to another customer when it may not move (see [`kept_from_moving`]).
pub async fn refuse_moving_with_children(db: &impl ConnectionTrait, kind: RecordKind, id: i64) -> AppResult<()> {
    match kept_from_moving(db, kind, vec![id]).await?.remove(&id) {
        Some(refusal) => Err(refusal.into()),
        None => Ok(()),
    }
}

/// Whether the stored row already holds every value `row` sets: the upsert is a repetition.
pub fn holds<E: Keyed>(stored: &E::Model, row: &E::ActiveModel) -> bool {
    E::Column::iter().all(|column| match row.get(column) {
        ActiveValue::Set(value) => stored.get(column) == value,
        _ => true,
    })
}

/// Ends a repeated upsert: nothing changed, so no rollup upkeep and no new data version.
pub async fn unchanged<M>(txn: DatabaseTransaction, model: M) -> AppResult<Upserted<M>> {
    txn.commit().await.map_err(AppError::from_db)?;
    Ok(Upserted { model, created: false, changed: false })
}

/// The rollup rows whose contribution an upsert changes, as it knows them before the write.
pub enum Upkeep {
    /// Whole customers (a change of segment or region moves all their rows).
    Customers(Vec<i64>),
    /// Answers and touchpoints; the written row, an answer or a touchpoint, joins them once written.
    Rows { answers: Vec<i64>, touchpoints: Vec<i64> },
    /// None: the row counts in no rollup (a complaint).
    Nothing,
}

impl Upkeep {
    fn scope(&self) -> Option<Scope<'_>> {
        match self {
            Upkeep::Customers(customers) => Some(Scope::Customers(customers)),
            Upkeep::Rows { answers, touchpoints } => Some(Scope::Rows { answers, touchpoints }),
            Upkeep::Nothing => None,
        }
    }

    /// The rows after the write of the `kind` row `id`.
    fn with_written(mut self, kind: RecordKind, id: i64) -> Upkeep {
        if let Upkeep::Rows { answers, touchpoints } = &mut self {
            let written = match kind {
                RecordKind::Feedback => answers,
                RecordKind::Touchpoint => touchpoints,
                RecordKind::Customer | RecordKind::Order | RecordKind::Complaint => return self,
            };
            if !written.contains(&id) {
                written.push(id);
            }
        }
        self
    }
}

/// The tail every upsert shares, once its references are checked and what it changes is locked: takes
/// `upkeep` out of the rollups, updates `existing` to `row` (or inserts `row`), puts `upkeep` back with
/// the written row, and commits.
pub async fn store<E: Keyed>(
    db: &DatabaseConnection,
    txn: DatabaseTransaction,
    existing: Option<E::Model>,
    row: E::ActiveModel,
    upkeep: Upkeep,
) -> AppResult<Upserted<E::Model>> {
    if let Some(scope) = upkeep.scope() {
        maintenance::retract(&txn, scope).await?;
    }
    let created = existing.is_none();
    // Callers come here only with a change (a repetition ends in `unchanged`).
    let at = times::now();
    let model = match existing {
        None => {
            let mut row = row;
            times::stamp_new::<E>(&mut row, at)?;
            row.insert(&txn).await.map_err(AppError::from_db)?
        }
        Some(stored) => {
            let mut active = stored.into_active_model();
            for column in E::Column::iter() {
                if let ActiveValue::Set(value) = row.get(column) {
                    active.try_set(column, value).map_err(AppError::from_db)?;
                }
            }
            times::stamp_changed::<E>(&mut active, at)?;
            active.update(&txn).await.map_err(AppError::from_db)?
        }
    };
    let upkeep = upkeep.with_written(E::KIND, E::id(&model));
    if let Some(scope) = upkeep.scope() {
        maintenance::restore(&txn, scope).await?;
    }
    maintenance::commit(db, txn).await?;
    Ok(Upserted { model, created, changed: true })
}

/// Inserts `rows` in one statement, updating those whose external id exists (every column but the id
/// and the time it was first stored) when they hold other values: a row that already holds them is left
/// as it is, its `updated_at` included. The caller keeps a statement's rows under the database's
/// bind-parameter limit.
pub async fn upsert_many<E: Keyed>(txn: &DatabaseTransaction, rows: Vec<E::ActiveModel>) -> AppResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let at = times::now();
    let mut rows = rows;
    for row in &mut rows {
        times::stamp_new::<E>(row, at)?;
    }
    let kept = [Some(E::ID), Some(E::EXTERNAL_ID), E::TIMES.map(|t| t.recorded_at)];
    let updated: Vec<E::Column> =
        E::Column::iter().filter(|c| !kept.iter().flatten().any(|k| k.as_str() == c.as_str())).collect();
    let mut update = OnConflict::column(E::EXTERNAL_ID).update_columns(updated.iter().copied()).to_owned();
    // The values the row holds: all but its times. NULL-safe, so a comment going to or from NULL counts.
    // Written out: the identifiers are the table's own, never input.
    let table = E::default().table_name();
    let differs = updated
        .iter()
        .filter(|c| E::TIMES.is_none_or(|t| t.updated_at.as_str() != c.as_str()))
        .map(|c| Expr::cust(format!("\"{table}\".\"{0}\" IS DISTINCT FROM \"excluded\".\"{0}\"", c.as_str())))
        .reduce(|any, next| any.or(next));
    update.action_and_where_option(differs);
    // One parameter per column and row: a wide table's batch takes several statements.
    let per_statement = (MAX_PARAMETERS / E::Column::iter().count()).max(1);
    while !rows.is_empty() {
        let statement: Vec<E::ActiveModel> = rows.drain(..rows.len().min(per_statement)).collect();
        E::insert_many(statement)
            .on_conflict(update.clone())
            .exec_without_returning(txn)
            .await
            .map_err(AppError::from_db)?;
    }
    Ok(())
}

/// Bind parameters one statement may carry: SQLite's limit (PostgreSQL's is 65,535).
const MAX_PARAMETERS: usize = 32_766;
