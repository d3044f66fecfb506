//! Batch loaders: every relation field of the graph goes through one of these, so a nested page costs a
//! fixed number of statements, whatever its size. They live for one request (no cross-request cache).

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::{ColumnTrait, DatabaseConnection, FromQueryResult, QueryFilter};

use crate::error::AppError;
use crate::services::listing::Listing;
use crate::services::pagination::{self, Page, PageRequest, Pageable, Sort};

/// Loader errors are shared between every key of a batch.
pub type LoadError = Arc<AppError>;

/// Large enough for a 100 x 100 nested page, small enough for every database's bind-parameter limit.
const MAX_BATCH: usize = 10_000;

/// Loads rows by primary key.
pub struct ByIdLoader<E> {
    db: DatabaseConnection,
    entity: PhantomData<fn() -> E>,
}

impl<E> Loader<i64> for ByIdLoader<E>
where
    E: Pageable,
    E::Model: Clone + Send + Sync,
{
    type Value = E::Model;
    type Error = LoadError;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, E::Model>, LoadError> {
        let rows = E::find()
            .filter(E::id_column().is_in(ids.iter().copied()))
            .all(&self.db)
            .await
            .map_err(|e| Arc::new(AppError::from_db(e)))?;
        Ok(rows.into_iter().map(|row| (E::id_of(&row), row)).collect())
    }
}

/// Everything but the parent id that defines a child page: all keys sharing it load in one statement.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ChildQuery<P, F, S> {
    pub parent: P,
    pub filter: F,
    pub sort: Sort<S>,
    pub page: PageRequest,
}

/// The page of children of one parent.
#[derive(Debug)]
pub struct ChildKey<E: Listing, Q>
where
    E::Model: FromQueryResult + Clone + Send + Sync,
{
    pub parent_id: i64,
    pub query: Arc<Q>,
    entity: PhantomData<fn() -> E>,
}

impl<E: Listing, Q> ChildKey<E, Q>
where
    E::Model: FromQueryResult + Clone + Send + Sync,
{
    pub fn new(parent_id: i64, query: Arc<Q>) -> Self {
        ChildKey { parent_id, query, entity: PhantomData }
    }
}

impl<E: Listing, Q> Clone for ChildKey<E, Q>
where
    E::Model: FromQueryResult + Clone + Send + Sync,
{
    fn clone(&self) -> Self {
        ChildKey::new(self.parent_id, self.query.clone())
    }
}

impl<E: Listing, Q: PartialEq> PartialEq for ChildKey<E, Q>
where
    E::Model: FromQueryResult + Clone + Send + Sync,
{
    fn eq(&self, other: &Self) -> bool {
        self.parent_id == other.parent_id && self.query == other.query
    }
}

impl<E: Listing, Q: Eq> Eq for ChildKey<E, Q> where E::Model: FromQueryResult + Clone + Send + Sync {}

impl<E: Listing, Q: std::hash::Hash> std::hash::Hash for ChildKey<E, Q>
where
    E::Model: FromQueryResult + Clone + Send + Sync,
{
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.parent_id.hash(state);
        self.query.hash(state);
    }
}

pub type ChildPageKey<E> = ChildKey<E, ChildQuery<<E as Listing>::Parent, <E as Listing>::Filter, <E as Listing>::Sort>>;
/// A child count ignores sorting and paging: only the parent kind and the filter matter.
pub type ChildCountKey<E> = ChildKey<E, (<E as Listing>::Parent, <E as Listing>::Filter)>;

/// Groups keys by everything but the parent id.
fn group_by_query<E: Listing, Q: Eq + std::hash::Hash>(keys: &[ChildKey<E, Q>]) -> HashMap<Arc<Q>, Vec<i64>>
where
    E::Model: FromQueryResult + Clone + Send + Sync,
{
    let mut groups: HashMap<Arc<Q>, Vec<i64>> = HashMap::new();
    for key in keys {
        groups.entry(key.query.clone()).or_default().push(key.parent_id);
    }
    groups
}

/// Loads the pages of children of many parents: one statement per distinct child query.
pub struct ChildPageLoader<E> {
    db: DatabaseConnection,
    entity: PhantomData<fn() -> E>,
}

impl<E> Loader<ChildPageKey<E>> for ChildPageLoader<E>
where
    E: Listing,
    E::Model: FromQueryResult + Clone + Send + Sync,
{
    type Value = Page<E::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[ChildPageKey<E>]) -> Result<HashMap<ChildPageKey<E>, Page<E::Model>>, LoadError> {
        let mut result = HashMap::with_capacity(keys.len());
        for (query, parent_ids) in group_by_query(keys) {
            let (select, parent) = E::scoped(E::filtered(&query.filter), query.parent);
            let pages = pagination::fetch_pages_per_parent(&self.db, select, parent, &parent_ids, query.sort, &query.page)
                .await
                .map_err(Arc::new)?;
            for (parent_id, page) in pages {
                result.insert(ChildKey::new(parent_id, query.clone()), page);
            }
        }
        Ok(result)
    }
}

/// Counts the children of many parents: one `GROUP BY` statement per distinct filter.
pub struct ChildCountLoader<E> {
    db: DatabaseConnection,
    entity: PhantomData<fn() -> E>,
}

impl<E> Loader<ChildCountKey<E>> for ChildCountLoader<E>
where
    E: Listing,
    E::Model: FromQueryResult + Clone + Send + Sync,
{
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, keys: &[ChildCountKey<E>]) -> Result<HashMap<ChildCountKey<E>, u64>, LoadError> {
        let mut result = HashMap::with_capacity(keys.len());
        for (query, parent_ids) in group_by_query(keys) {
            let (parent_kind, filter) = &*query;
            let (select, parent) = E::scoped(E::filtered(filter), *parent_kind);
            let counts = pagination::count_per_parent(&self.db, select, parent, &parent_ids).await.map_err(Arc::new)?;
            for (parent_id, count) in counts {
                result.insert(ChildKey::new(parent_id, query.clone()), count);
            }
        }
        Ok(result)
    }
}

/// The loaders of one entity.
pub struct EntityLoaders<E> {
    pub by_id: DataLoader<ByIdLoader<E>>,
    pub pages: Arc<DataLoader<ChildPageLoader<E>>>,
    pub counts: Arc<DataLoader<ChildCountLoader<E>>>,
}

impl<E> EntityLoaders<E> {
    fn new(db: &DatabaseConnection) -> Self {
        let entity = PhantomData;
        EntityLoaders {
            by_id: DataLoader::new(ByIdLoader { db: db.clone(), entity }, tokio::spawn).max_batch_size(MAX_BATCH),
            pages: Arc::new(DataLoader::new(ChildPageLoader { db: db.clone(), entity }, tokio::spawn).max_batch_size(MAX_BATCH)),
            counts: Arc::new(DataLoader::new(ChildCountLoader { db: db.clone(), entity }, tokio::spawn).max_batch_size(MAX_BATCH)),
        }
    }
}

/// All loaders of a request, attached to it as request data.
pub struct Loaders {
    pub customers: EntityLoaders<entity::customer::Entity>,
    pub orders: EntityLoaders<entity::order::Entity>,
    pub touchpoints: EntityLoaders<entity::touchpoint::Entity>,
    pub feedback: EntityLoaders<entity::feedback::Entity>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Loaders {
            customers: EntityLoaders::new(db),
            orders: EntityLoaders::new(db),
            touchpoints: EntityLoaders::new(db),
            feedback: EntityLoaders::new(db),
        }
    }
}
