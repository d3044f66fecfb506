//! Relay cursor connections (https://relay.dev/graphql/connections.htm), one concrete GraphQL type per
//! node type (`CustomerConnection`, `CustomerEdge`, ...), built from the data layer's pages.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_graphql::{Context, Object, OutputType, SimpleObject, TypeName};
use sea_orm::{DatabaseConnection, FromQueryResult};

use crate::error::{AppError, AppResult};
use crate::graphql::limits::Limits;
use crate::loaders::{ChildKey, ChildQuery, EntityLoaders, Loaders};
use crate::services::listing::Listing;
use crate::services::pagination::{self, Cursor, Page, PageArgs, PageRequest, Sort};

/// A node type that can be listed in a connection; names its connection and edge types.
pub trait ConnectionNode: OutputType {
    const CONNECTION: &'static str;
    const EDGE: &'static str;
}

type CountFuture = Pin<Box<dyn Future<Output = AppResult<u64>> + Send>>;

/// Computes `totalCount` only when a client asks for it: a count costs a statement of its own.
pub struct TotalCount(Box<dyn Fn() -> CountFuture + Send + Sync>);

pub struct Connection<N> {
    edges: Vec<Edge<N>>,
    page_info: PageInfo,
    total_count: TotalCount,
}

pub struct Edge<N> {
    cursor: String,
    node: N,
}

/// Where a page sits in the whole list.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// Whether more rows follow this page (`first/after` pagination; with `last/before`, whether a
    /// `before` cursor was given).
    has_next_page: bool,
    /// Whether rows precede this page (`last/before` pagination; with `first/after`, whether an
    /// `after` cursor was given).
    has_previous_page: bool,
    /// The cursor of the first edge, if any.
    start_cursor: Option<String>,
    /// The cursor of the last edge, if any.
    end_cursor: Option<String>,
}

impl<N: ConnectionNode> TypeName for Connection<N> {
    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed(N::CONNECTION)
    }
}

impl<N: ConnectionNode> TypeName for Edge<N> {
    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed(N::EDGE)
    }
}

/// A page of a list, with Relay cursors.
#[Object(name_type)]
impl<N: ConnectionNode + Sync> Connection<N> {
    /// The rows of this page, each with its cursor.
    async fn edges(&self) -> &[Edge<N>] {
        &self.edges
    }

    /// The rows of this page, without cursors.
    async fn nodes(&self) -> Vec<&N> {
        self.edges.iter().map(|edge| &edge.node).collect()
    }

    /// Where this page sits in the whole list.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// The number of rows matching the filter, over all pages.
    async fn total_count(&self) -> async_graphql::Result<u64> {
        Ok((self.total_count.0)().await?)
    }
}

/// A row of a page with its cursor.
#[Object(name_type)]
impl<N: ConnectionNode + Sync> Edge<N> {
    /// An opaque position to pass as `after` or `before`.
    async fn cursor(&self) -> &str {
        &self.cursor
    }

    /// The row.
    async fn node(&self) -> &N {
        &self.node
    }
}

fn build<E, N>(
    page: Page<E::Model>,
    sort: Sort<E::Sort>,
    wrap: fn(E::Model) -> N,
    total_count: TotalCount,
) -> Connection<N>
where
    E: Listing,
    E::Model: FromQueryResult + Clone + Send + Sync,
{
    let keys = page.sort_keys.unwrap_or_default();
    let edges: Vec<Edge<N>> = page
        .items
        .into_iter()
        .enumerate()
        .map(|(i, model)| Edge { cursor: Cursor::of(sort.field, &model, keys.get(i)).encode(), node: wrap(model) })
        .collect();
    let page_info = PageInfo {
        has_next_page: page.has_next_page,
        has_previous_page: page.has_previous_page,
        start_cursor: edges.first().map(|e| e.cursor.clone()),
        end_cursor: edges.last().map(|e| e.cursor.clone()),
    };
    Connection { edges, page_info, total_count }
}

/// The arguments every connection field takes, once parsed.
pub struct ListArgs<E: Listing>
where
    E::Model: FromQueryResult + Clone + Send + Sync,
{
    pub page: PageArgs,
    pub filter: E::Filter,
    pub sort: Sort<E::Sort>,
}

/// A root connection: one statement for the page, one more only if `totalCount` is asked for.
pub async fn root_connection<E, N>(
    ctx: &Context<'_>,
    args: ListArgs<E>,
    wrap: fn(E::Model) -> N,
) -> AppResult<Connection<N>>
where
    E: Listing,
    E::Model: FromQueryResult + Clone + Send + Sync,
{
    let db = database(ctx)?.clone();
    check_page_size(ctx, &args.page)?;
    let page = PageRequest::parse(args.page, args.sort)?;
    let select = E::filtered(&args.filter);
    let rows = pagination::fetch_page(&db, select.clone(), args.sort, &page).await?;
    let total = TotalCount(Box::new(move || {
        let (db, select) = (db.clone(), select.clone());
        Box::pin(async move { pagination::count(&db, select).await })
    }));
    Ok(build::<E, N>(rows, args.sort, wrap, total))
}

/// The configured page size limit (`--max-page-size`, under the data layer's absolute ceiling): the
/// largest page of a connection and the most IDs of `nodes`.
pub fn max_page_size(ctx: &Context<'_>) -> u64 {
    ctx.data_opt::<Limits>().map_or(Limits::default().max_page_size, |limits| limits.max_page_size)
}

fn check_page_size(ctx: &Context<'_>, page: &PageArgs) -> AppResult<()> {
    let max = max_page_size(ctx);
    for (arg, value) in [("first", page.first), ("last", page.last)] {
        if value.is_some_and(|n| u64::try_from(n).map_or(true, |n| n > max)) {
            return Err(AppError::bad_input(arg, format!("must be between 0 and {max}")));
        }
    }
    Ok(())
}

/// A nested connection: its page and its count go through the request's DataLoaders, so all parents of a
/// list share one statement.
pub async fn child_connection<E, N>(
    ctx: &Context<'_>,
    parent_id: i64,
    parent: E::Parent,
    args: ListArgs<E>,
    wrap: fn(E::Model) -> N,
) -> AppResult<Connection<N>>
where
    E: Listing,
    E::Model: FromQueryResult + Clone + Send + Sync,
    Loaders: LoadersOf<E>,
{
    let loaders = loaders(ctx)?.of();
    check_page_size(ctx, &args.page)?;
    let page = PageRequest::parse(args.page, args.sort)?;
    let with_total = ctx.look_ahead().field("totalCount").exists();
    let count_key = ChildKey::<E, _>::new(parent_id, Arc::new((parent, args.filter.clone())));
    let query = ChildQuery { parent, filter: args.filter, sort: args.sort, page, with_total };
    let loaded = loaders.pages.load_one(ChildKey::new(parent_id, Arc::new(query))).await.map_err(unshare)?;
    let loaded = loaded.ok_or_else(|| AppError::Internal("a child page was not loaded".into()))?;
    let total = match loaded.total {
        Some(total) => TotalCount(Box::new(move || Box::pin(std::future::ready(Ok(total))))),
        // Not foreseen by the look-ahead: count on demand, still batched.
        None => {
            let counts = loaders.counts.clone();
            TotalCount(Box::new(move || {
                let (counts, key) = (counts.clone(), count_key.clone());
                Box::pin(async move { Ok(counts.load_one(key).await.map_err(unshare)?.unwrap_or(0)) })
            }))
        }
    };
    Ok(build::<E, N>(loaded.page, args.sort, wrap, total))
}

/// The first `first` children of a parent in `sort` order, through the page loader (batched like any
/// nested connection), for fields that show a few children without paging them.
pub async fn child_rows<E>(
    ctx: &Context<'_>,
    parent_id: i64,
    parent: E::Parent,
    filter: E::Filter,
    sort: Sort<E::Sort>,
    first: i32,
) -> AppResult<Vec<E::Model>>
where
    E: Listing,
    E::Model: FromQueryResult + Clone + Send + Sync,
    Loaders: LoadersOf<E>,
{
    let page = PageRequest::parse(PageArgs { first: Some(first), ..Default::default() }, sort)?;
    let query = ChildQuery { parent, filter, sort, page, with_total: false };
    let loaded = loaders(ctx)?.of().pages.load_one(ChildKey::new(parent_id, Arc::new(query))).await.map_err(unshare)?;
    Ok(loaded.map(|l| l.page.items).unwrap_or_default())
}

/// Loads one row by primary key through the request's DataLoader.
pub async fn load_by_id<E>(ctx: &Context<'_>, id: i64) -> AppResult<Option<E::Model>>
where
    E: Listing,
    E::Model: FromQueryResult + Clone + Send + Sync,
    Loaders: LoadersOf<E>,
{
    loaders(ctx)?.of().by_id.load_one(id).await.map_err(unshare)
}

/// Picks one entity's loaders out of the request's loaders.
pub trait LoadersOf<E> {
    fn of(&self) -> &EntityLoaders<E>;
}

macro_rules! loaders_of {
    ($($entity:path => $field:ident),+ $(,)?) => {
        $(impl LoadersOf<$entity> for Loaders {
            fn of(&self) -> &EntityLoaders<$entity> {
                &self.$field
            }
        })+
    };
}

loaders_of! {
    entity::customer::Entity => customers,
    entity::order::Entity => orders,
    entity::touchpoint::Entity => touchpoints,
    entity::feedback::Entity => feedback,
}

pub fn database<'a>(ctx: &Context<'a>) -> AppResult<&'a DatabaseConnection> {
    ctx.data::<DatabaseConnection>().map_err(|_| AppError::Internal("no database in the schema data".into()))
}

fn loaders<'a>(ctx: &Context<'a>) -> AppResult<&'a Loaders> {
    ctx.data::<Loaders>().map_err(|_| AppError::Internal("no loaders in the request data".into()))
}

/// Loader errors are shared by all keys of a batch; each field reports its own copy.
pub fn unshare(error: Arc<AppError>) -> AppError {
    match Arc::try_unwrap(error) {
        Ok(error) => error,
        Err(shared) => match &*shared {
            AppError::BadUserInput { field, message } => AppError::bad_input(field.clone(), message.clone()),
            AppError::NotFound(what) => AppError::NotFound(what.clone()),
            AppError::ServiceUnavailable(detail) => AppError::ServiceUnavailable(detail.clone()),
            other => AppError::Internal(other.to_string()),
        },
    }
}
