//! Batch loaders: every relation field of the graph goes through one of these, so a nested page costs a
//! fixed number of statements, whatever its size. They live for one request (no cross-request cache).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use async_graphql::Positioned;
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::parser::types::Field;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use sea_orm::{ColumnTrait, DatabaseConnection, FromQueryResult, QueryFilter};
use tokio::sync::mpsc;

use crate::error::{AppError, AppResult};
use crate::services::clv::CustomerClv;
use crate::services::listing::Listing;
use crate::services::order_summary::{OrderSummary, order_summaries};
use crate::services::pagination::{self, Columns, Page, PageRequest, Pageable, Sort};

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
#[derive(Debug, PartialEq, Eq)]
pub struct ChildQuery<P, F, S> {
    pub parent: P,
    pub filter: F,
    pub sort: Sort<S>,
    pub page: PageRequest,
    /// Whether `totalCount` was selected: then the counts are loaded in the same batch as the pages,
    /// instead of in a later batch whose size depends on timing.
    pub with_total: bool,
    /// The columns the field's nodes read (`prefetch::read_columns`); the others are not selected.
    pub columns: Columns,
}

/// A child page and, when asked for, the number of children matching the filter.
#[derive(Clone, Debug)]
pub struct ChildPage<M> {
    pub page: Page<M>,
    pub total: Option<u64>,
}

/// The page (or the count) of children of one parent. The query is shared by every parent of one field
/// of the document (`Loaders::child_query`), so keys compare and hash by its address: cheap, however
/// large the filter.
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

impl<E: Listing, Q> PartialEq for ChildKey<E, Q>
where
    E::Model: FromQueryResult + Clone + Send + Sync,
{
    fn eq(&self, other: &Self) -> bool {
        self.parent_id == other.parent_id && Arc::ptr_eq(&self.query, &other.query)
    }
}

impl<E: Listing, Q> Eq for ChildKey<E, Q> where E::Model: FromQueryResult + Clone + Send + Sync {}

impl<E: Listing, Q> std::hash::Hash for ChildKey<E, Q>
where
    E::Model: FromQueryResult + Clone + Send + Sync,
{
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_i64(self.parent_id);
        state.write_usize(Arc::as_ptr(&self.query) as *const () as usize);
    }
}

pub type ChildQueryOf<E> = ChildQuery<<E as Listing>::Parent, <E as Listing>::Filter, <E as Listing>::Sort>;
/// Keys of pages and of counts: a count ignores the query's sorting and paging.
pub type ChildPageKey<E> = ChildKey<E, ChildQueryOf<E>>;

/// Groups keys by their query, in the order the queries first appear.
fn group_by_query<E: Listing, Q>(keys: &[ChildKey<E, Q>]) -> Vec<(Arc<Q>, Vec<i64>)>
where
    E::Model: FromQueryResult + Clone + Send + Sync,
{
    let mut groups: Vec<(Arc<Q>, Vec<i64>)> = Vec::new();
    for key in keys {
        match groups.iter_mut().find(|(query, _)| Arc::ptr_eq(query, &key.query)) {
            Some((_, ids)) => ids.push(key.parent_id),
            None => groups.push((key.query.clone(), vec![key.parent_id])),
        }
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
    type Value = ChildPage<E::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[ChildPageKey<E>]) -> Result<HashMap<ChildPageKey<E>, ChildPage<E::Model>>, LoadError> {
        let mut result = HashMap::with_capacity(keys.len());
        for (query, parent_ids) in group_by_query(keys) {
            for (parent_id, page) in child_pages::<E>(&self.db, &query, &parent_ids).await.map_err(Arc::new)? {
                result.insert(ChildKey::new(parent_id, query.clone()), page);
            }
        }
        Ok(result)
    }
}

/// The pages (and, when asked for, the counts) of one child query for many parents: one statement for
/// the pages, one for the counts.
pub async fn child_pages<E>(
    db: &DatabaseConnection,
    query: &ChildQueryOf<E>,
    parent_ids: &[i64],
) -> AppResult<HashMap<i64, ChildPage<E::Model>>>
where
    E: Listing,
    E::Model: FromQueryResult + Clone + Send + Sync,
{
    let (select, parent) = E::scoped(E::filtered(&query.filter), query.parent);
    let mut totals = if query.with_total {
        Some(pagination::count_per_parent(db, select.clone(), parent.clone(), parent_ids).await?)
    } else {
        None
    };
    let pages =
        pagination::fetch_pages_per_parent(db, select, parent, parent_ids, query.sort, &query.page, query.columns)
            .await?;
    Ok(pages
        .into_iter()
        .map(|(parent_id, page)| {
            let total = totals.as_mut().map(|t| t.remove(&parent_id).unwrap_or(0));
            (parent_id, ChildPage { page, total })
        })
        .collect())
}

/// Counts the children of many parents: one `GROUP BY` statement per distinct filter.
pub struct ChildCountLoader<E> {
    db: DatabaseConnection,
    entity: PhantomData<fn() -> E>,
}

impl<E> Loader<ChildPageKey<E>> for ChildCountLoader<E>
where
    E: Listing,
    E::Model: FromQueryResult + Clone + Send + Sync,
{
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, keys: &[ChildPageKey<E>]) -> Result<HashMap<ChildPageKey<E>, u64>, LoadError> {
        let mut result = HashMap::with_capacity(keys.len());
        for (query, parent_ids) in group_by_query(keys) {
            let (select, parent) = E::scoped(E::filtered(&query.filter), query.parent);
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
    fn new(db: &DatabaseConnection, spawner: &BatchSpawner) -> Self {
        let entity = PhantomData;
        EntityLoaders {
            by_id: spawner.loader(ByIdLoader { db: db.clone(), entity }),
            pages: Arc::new(spawner.loader(ChildPageLoader { db: db.clone(), entity })),
            counts: Arc::new(spawner.loader(ChildCountLoader { db: db.clone(), entity })),
        }
    }
}

type BatchTask = BoxFuture<'static, ()>;

/// Runs the loaders' batch tasks inside the request's own task, and only when the request is idle.
///
/// async-graphql starts a batch a short delay after its first key. On the thread pool that delay races
/// the request, which may still be walking the parents of a level: async-graphql resolves lists through
/// `FuturesUnordered`, which yields every 32 items, and a 100-customer page in a debug build takes
/// longer than the delay. The batch is then split, and the number of statements depends on timing.
/// Here a batch starts only once the request has registered every key it can and waits for data: one
/// batch per level, always, and no delay to pay.
#[derive(Clone)]
enum BatchSpawner {
    Request(mpsc::UnboundedSender<BatchTask>),
    /// For long-lived connections (subscriptions), where no single request future can drive batches.
    ThreadPool,
}

impl BatchSpawner {
    fn loader<T>(&self, loader: T) -> DataLoader<T> {
        match self {
            BatchSpawner::Request(sender) => {
                let sender = sender.clone();
                DataLoader::new(loader, move |task: BatchTask| {
                    // The receiver lives as long as the request; a send can only fail after it completed.
                    let _ = sender.send(task);
                })
                .delay(Duration::ZERO)
                .max_batch_size(MAX_BATCH)
            }
            BatchSpawner::ThreadPool => DataLoader::new(loader, tokio::spawn).max_batch_size(MAX_BATCH),
        }
    }
}

/// Drives the batch tasks of one request's loaders; see `BatchSpawner`.
pub struct BatchDriver(mpsc::UnboundedReceiver<BatchTask>);

/// A waker that remembers whether it was woken, to tell a future that yielded with more work ready
/// (it wakes itself) from one that waits for something else.
struct TrackingWaker {
    inner: Waker,
    woken: AtomicBool,
}

impl Wake for TrackingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.inner.wake_by_ref();
    }
}

/// How often the request may be polled again in one go while it keeps waking itself; past that the
/// task yields to the runtime (tokio's cooperative budget only refills between task polls).
const MAX_REQUEST_PASSES: usize = 64;

impl BatchDriver {
    /// Runs `request` (typically `schema.execute`) while driving its batches in the same task.
    pub async fn run<T>(mut self, request: impl Future<Output = T>) -> T {
        let mut request = std::pin::pin!(request);
        let mut running: FuturesUnordered<BatchTask> = FuturesUnordered::new();
        std::future::poll_fn(move |cx| {
            let mut idle = false;
            for _ in 0..MAX_REQUEST_PASSES {
                let tracker = Arc::new(TrackingWaker { inner: cx.waker().clone(), woken: AtomicBool::new(false) });
                let waker = Waker::from(tracker.clone());
                if let Poll::Ready(output) = request.as_mut().poll(&mut Context::from_waker(&waker)) {
                    return Poll::Ready(output);
                }
                if !tracker.woken.load(Ordering::Acquire) {
                    idle = true;
                    break;
                }
            }
            if !idle {
                // Still busy: the task is already woken, so it will be polled again soon.
                return Poll::Pending;
            }
            while let Poll::Ready(Some(task)) = self.0.poll_recv(cx) {
                running.push(task);
            }
            while let Poll::Ready(Some(())) = running.poll_next_unpin(cx) {}
            Poll::Pending
        })
        .await
    }
}

/// Loads per-customer order summaries: one `GROUP BY` statement per batch.
pub struct OrderSummaryLoader {
    db: DatabaseConnection,
}

impl Loader<i64> for OrderSummaryLoader {
    type Value = OrderSummary;
    type Error = LoadError;

    async fn load(&self, customer_ids: &[i64]) -> Result<HashMap<i64, OrderSummary>, LoadError> {
        order_summaries(&self.db, customer_ids).await.map_err(Arc::new)
    }
}

/// A customer under the CLV model of a currency.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClvKey {
    pub currency: &'static str,
    pub customer_id: i64,
}

/// Loads customers under CLV models: one statement per currency in a batch.
pub struct ClvLoader {
    db: DatabaseConnection,
}

impl Loader<ClvKey> for ClvLoader {
    type Value = CustomerClv;
    type Error = LoadError;

    async fn load(&self, keys: &[ClvKey]) -> Result<HashMap<ClvKey, CustomerClv>, LoadError> {
        let mut by_currency: Vec<(&'static str, Vec<i64>)> = Vec::new();
        for key in keys {
            match by_currency.iter_mut().find(|(currency, _)| *currency == key.currency) {
                Some((_, ids)) => ids.push(key.customer_id),
                None => by_currency.push((key.currency, vec![key.customer_id])),
            }
        }
        let mut found = HashMap::with_capacity(keys.len());
        for (currency, ids) in by_currency {
            let customers = crate::services::clv::read::customers(&self.db, currency, &ids).await.map_err(Arc::new)?;
            found.extend(customers.into_iter().map(|(customer_id, clv)| (ClvKey { currency, customer_id }, clv)));
        }
        Ok(found)
    }
}

/// All loaders of a request, attached to it as request data.
pub struct Loaders {
    pub order_summaries: DataLoader<OrderSummaryLoader>,
    pub clv: DataLoader<ClvLoader>,
    pub customers: EntityLoaders<entity::customer::Entity>,
    pub orders: EntityLoaders<entity::order::Entity>,
    pub touchpoints: EntityLoaders<entity::touchpoint::Entity>,
    pub feedback: EntityLoaders<entity::feedback::Entity>,
    pub complaints: EntityLoaders<entity::complaint::Entity>,
    /// The child queries of the request's fields, by the field's place in the document; `None` for
    /// loaders that outlive one document (a WebSocket's), where a place may be reused by another one.
    child_queries: Option<PerFieldValues>,
    /// Pages loaded ahead (`graphql::prefetch`), by the field's place in the document: each parent's
    /// page is taken once.
    prefetched: PerFieldValues,
    /// The nested connections loaded ahead whose whole selection resolves from memory, by the field's
    /// place in the document, each with its plan when it has one (`graphql::planned`).
    settled: Mutex<HashMap<usize, Option<SettledPlan>>>,
}

/// How a settled connection resolves without a future (`graphql::planned` makes and reads it).
pub type SettledPlan = Arc<dyn Any + Send + Sync>;

/// A field's place in the request's document: its address, which no other field of the document shares
/// while the request runs.
fn place_of(field: &Positioned<Field>) -> usize {
    field as *const Positioned<Field> as usize
}

/// Values kept per field of a document: by the field's place and the value's type.
type PerFieldValues = Mutex<HashMap<(usize, TypeId), Arc<dyn Any + Send + Sync>>>;

/// The pages loaded ahead for one field: parent id → page.
pub type PrefetchedPages<M> = Mutex<HashMap<i64, ChildPage<M>>>;

impl Loaders {
    /// The loaders of one request, and the driver that must run the request for their batches to load.
    pub fn new(db: &DatabaseConnection) -> (Self, BatchDriver) {
        let (sender, receiver) = mpsc::unbounded_channel();
        let loaders =
            Loaders { child_queries: Some(Mutex::default()), ..Self::with_spawner(db, &BatchSpawner::Request(sender)) };
        (loaders, BatchDriver(receiver))
    }

    /// Loaders whose batches run on the thread pool after async-graphql's short delay, for a WebSocket
    /// connection's subscriptions.
    pub fn spawned(db: &DatabaseConnection) -> Self {
        Self::with_spawner(db, &BatchSpawner::ThreadPool)
    }

    fn with_spawner(db: &DatabaseConnection, spawner: &BatchSpawner) -> Self {
        Loaders {
            order_summaries: spawner.loader(OrderSummaryLoader { db: db.clone() }),
            clv: spawner.loader(ClvLoader { db: db.clone() }),
            customers: EntityLoaders::new(db, spawner),
            orders: EntityLoaders::new(db, spawner),
            touchpoints: EntityLoaders::new(db, spawner),
            feedback: EntityLoaders::new(db, spawner),
            complaints: EntityLoaders::new(db, spawner),
            child_queries: None,
            prefetched: Mutex::default(),
            settled: Mutex::default(),
        }
    }

    /// Keeps the pages loaded ahead for `field` (a field of the request's document).
    pub fn store_prefetched<E>(&self, field: &Positioned<Field>, pages: HashMap<i64, ChildPage<E::Model>>)
    where
        E: Listing,
        E::Model: FromQueryResult + Clone + Send + Sync,
    {
        if self.child_queries.is_none() {
            return;
        }
        let place = (place_of(field), TypeId::of::<ChildPage<E::Model>>());
        let pages: Arc<PrefetchedPages<E::Model>> = Arc::new(Mutex::new(pages));
        if let Ok(mut map) = self.prefetched.lock() {
            map.insert(place, pages);
        }
    }

    /// Marks `field` (a nested connection loaded ahead) as settled: everything its selection asks for is in
    /// memory, so resolving it never waits (`page_nodes`).
    pub fn settle(&self, field: &Positioned<Field>, plan: Option<SettledPlan>) {
        if let Ok(mut settled) = self.settled.lock() {
            settled.insert(place_of(field), plan);
        }
    }

    /// Whether `field` was marked settled.
    pub fn is_settled(&self, field: &Positioned<Field>) -> bool {
        self.settled.lock().is_ok_and(|settled| settled.contains_key(&place_of(field)))
    }

    /// The plan `field` was settled with, if any.
    pub fn settled_plan(&self, field: &Positioned<Field>) -> Option<SettledPlan> {
        self.settled.lock().ok()?.get(&place_of(field)).cloned().flatten()
    }

    /// All pages loaded ahead for `field` (its plan takes them parent by parent).
    pub fn prefetched_pages<E>(&self, field: &Positioned<Field>) -> Option<Arc<PrefetchedPages<E::Model>>>
    where
        E: Listing,
        E::Model: FromQueryResult + Clone + Send + Sync,
    {
        let place = (place_of(field), TypeId::of::<ChildPage<E::Model>>());
        let pages = self.prefetched.lock().ok()?.get(&place)?.clone();
        pages.downcast::<PrefetchedPages<E::Model>>().ok()
    }

    /// The page of `parent_id` loaded ahead for `field`, if there is one (taken: a second reader of the
    /// same page loads it).
    pub fn take_prefetched<E>(&self, field: &Positioned<Field>, parent_id: i64) -> Option<ChildPage<E::Model>>
    where
        E: Listing,
        E::Model: FromQueryResult + Clone + Send + Sync,
    {
        let pages = self.prefetched_pages::<E>(field)?;
        let mut pages = pages.lock().ok()?;
        pages.remove(&parent_id)
    }

    /// The child query of `field` (a field of the request's document) under parents of kind `parent`:
    /// made by `make` for the first parent, shared by the others, so its arguments are read once per
    /// field and its keys compare by address.
    pub fn child_query<E>(
        &self,
        field: &Positioned<Field>,
        parent: E::Parent,
        make: impl FnOnce() -> AppResult<ChildQueryOf<E>>,
    ) -> AppResult<Arc<ChildQueryOf<E>>>
    where
        E: Listing,
        E::Model: FromQueryResult + Clone + Send + Sync,
    {
        let Some(queries) = &self.child_queries else { return make().map(Arc::new) };
        let place = (place_of(field), TypeId::of::<ChildQueryOf<E>>());
        let known = queries.lock().ok().and_then(|map| map.get(&place).cloned());
        if let Some(query) = known.and_then(|q| q.downcast::<ChildQueryOf<E>>().ok()).filter(|q| q.parent == parent) {
            return Ok(query);
        }
        let query = Arc::new(make()?);
        if let Ok(mut map) = queries.lock() {
            map.insert(place, query.clone());
        }
        Ok(query)
    }
}
