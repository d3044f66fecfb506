//! Relay cursor connections (https://relay.dev/graphql/connections.htm), one concrete GraphQL type per
//! node type (`CustomerConnection`, `CustomerEdge`, ...), built from the data layer's pages.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_graphql::parser::types::Field;
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::resolve_container;
use async_graphql::{
    ContainerType, Context, ContextSelectionSet, InputType, Object, OutputType, Positioned, ServerResult, SimpleObject,
    TypeName, Value,
};
use sea_orm::{DatabaseConnection, FromQueryResult};

use crate::error::{AppError, AppResult};
use crate::graphql::gate::answer::take_rows;
use crate::graphql::gate::limits::Limits;
use crate::graphql::page_nodes::{Nodes, in_place, plain_fields};
use crate::graphql::plain_values::{ScalarField, reader_of};
use crate::graphql::prefetch::{self, Prefetchable};
use crate::loaders::{ChildKey, ChildQuery, EntityLoaders, Loaders};
use crate::services::listing::Listing;
use crate::services::pagination::{self, Columns, Cursor, CursorValue, Page, PageArgs, PageRequest, Pageable, Sort};

/// A node type that can be listed in a connection: a GraphQL type wrapping one entity's row. Names its
/// connection and edge types.
pub trait ConnectionNode: ContainerType + Sized + 'static {
    const CONNECTION: &'static str;
    const EDGE: &'static str;
    /// The scalar fields read from the row alone, each with its reader: a connection's nodes read them
    /// without a future per field (`plain_values`).
    const SCALAR_FIELDS: &'static [ScalarField<Self, Column<Self>>] = &[];
    /// The other fields that read the node's row and never wait (an object such as an order's
    /// `totalAmount`): `nodes` resolves them in place through the type's resolver (`page_nodes`).
    const OTHER_IN_PLACE_FIELDS: &'static [&'static str] = &[];
    type Entity: Listing;

    fn wrap(model: Row<Self>) -> Self;
    fn row(&self) -> &Row<Self>;

    /// Whether the field `name` reads the node's row and never waits, so `nodes` resolves it in place.
    fn resolves_in_place(name: &str) -> bool {
        reader_of(Self::SCALAR_FIELDS, name).is_some() || Self::OTHER_IN_PLACE_FIELDS.contains(&name)
    }
}

/// A node type listed by the connection fields `connection_fields!` writes: the inputs of their
/// `filter` and `orderBy` arguments, and how the data layer takes them. (`Query.deletions`, whose
/// arguments are its own, lists `DeletedRow` without them.)
pub trait FilterableNode: ConnectionNode {
    type FilterInput: InputType;
    type OrderInput: InputType;

    /// A connection field's arguments as the data layer takes them: one conversion for the resolvers
    /// and for the prefetch of nested pages.
    fn list_args(
        page: PageArgs,
        filter: Option<Self::FilterInput>,
        order_by: Option<Self::OrderInput>,
    ) -> AppResult<ListArgs<Self::Entity>>;
}

/// The database row a node wraps.
pub type Row<N> = <<N as ConnectionNode>::Entity as sea_orm::EntityTrait>::Model;

/// A column of the row a node wraps.
pub type Column<N> = <<N as ConnectionNode>::Entity as sea_orm::EntityTrait>::Column;

type CountFuture = Pin<Box<dyn Future<Output = AppResult<u64>> + Send>>;

/// `totalCount`: known when it was loaded with the page, otherwise computed only when a client asks for
/// it (a count costs a statement of its own).
pub enum TotalCount {
    Known(u64),
    Later(Box<dyn Fn() -> CountFuture + Send + Sync>),
}

/// A page of nodes. Cursors are made only for the rows a client asks them of (`edges.cursor`,
/// `pageInfo.startCursor` and `endCursor`): most pages are read through `nodes`.
pub struct Connection<N: ConnectionNode> {
    nodes: Vec<N>,
    sort: Sort<<N::Entity as Listing>::Sort>,
    /// The sort values read from the database, one per row, when the sort key is an expression.
    sort_keys: Option<Vec<CursorValue>>,
    has_next_page: bool,
    has_previous_page: bool,
    total_count: TotalCount,
}

impl<N: ConnectionNode> Connection<N> {
    fn cursor(&self, index: usize) -> Option<String> {
        let node = self.nodes.get(index)?;
        let key = self.sort_keys.as_ref().and_then(|keys| keys.get(index));
        Some(Cursor::of(self.sort.field, node.row(), key).encode())
    }
}

/// A row of a page with its cursor.
pub struct Edge<'a, N: ConnectionNode> {
    connection: &'a Connection<N>,
    node: &'a N,
    index: usize,
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

/// The GraphQL fields of a connection (`Connection` resolves them, in place when it can).
pub struct ConnectionFields<'a, N: ConnectionNode>(&'a Connection<N>);

impl<N: ConnectionNode> TypeName for ConnectionFields<'_, N> {
    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed(N::CONNECTION)
    }
}

impl<N: ConnectionNode> TypeName for Edge<'_, N> {
    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed(N::EDGE)
    }
}

/// A page of a list, with Relay cursors.
#[Object(name_type)]
impl<'a, N: ConnectionNode + Sync> ConnectionFields<'a, N> {
    /// The rows of this page, each with its cursor.
    async fn edges(&self) -> Vec<Edge<'a, N>> {
        let connection = self.0;
        connection.nodes.iter().enumerate().map(|(index, node)| Edge { connection, node, index }).collect()
    }

    /// The rows of this page, without cursors.
    async fn nodes(&self) -> Nodes<'a, N> {
        Nodes(&self.0.nodes)
    }

    /// Where this page sits in the whole list.
    async fn page_info(&self) -> PageInfo {
        let connection = self.0;
        PageInfo {
            has_next_page: connection.has_next_page,
            has_previous_page: connection.has_previous_page,
            start_cursor: connection.cursor(0),
            end_cursor: connection.nodes.len().checked_sub(1).and_then(|last| connection.cursor(last)),
        }
    }

    /// The number of rows matching the filter, over all pages.
    async fn total_count(&self) -> async_graphql::Result<u64> {
        match &self.0.total_count {
            TotalCount::Known(total) => Ok(*total),
            TotalCount::Later(count) => Ok(count().await?),
        }
    }
}

impl<N: ConnectionNode + Sync + 'static> OutputType for Connection<N> {
    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed(N::CONNECTION)
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <ConnectionFields<'static, N> as OutputType>::create_type_info(registry)
    }

    /// In place (`page_nodes`) when every selected field is at hand: the rows, where they sit, a count
    /// loaded with them. `edges` and a count still to make go async-graphql's general way.
    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, _field: &Positioned<Field>) -> ServerResult<Value> {
        let fields = ConnectionFields(self);
        let at_hand = |field: &&Positioned<Field>| match field.node.name.node.as_str() {
            "__typename" | "nodes" | "pageInfo" => true,
            "totalCount" => matches!(self.total_count, TotalCount::Known(_)),
            _ => false,
        };
        match plain_fields(&ctx.item.node).filter(|selected| selected.iter().all(at_hand)) {
            // Boxed as one future per connection (as async-graphql's own path is): nesting the node
            // types' futures inline makes a type too deep for the compiler's layout.
            Some(selected) => {
                let resolving: Pin<Box<dyn Future<Output = Value> + Send + '_>> =
                    Box::pin(in_place(ctx, &fields, &selected));
                Ok(resolving.await)
            }
            None => resolve_container(ctx, &fields).await,
        }
    }
}

/// A row of a page with its cursor.
#[Object(name_type)]
impl<N: ConnectionNode + Sync> Edge<'_, N> {
    /// An opaque position to pass as `after` or `before`.
    async fn cursor(&self) -> String {
        self.connection.cursor(self.index).unwrap_or_default()
    }

    /// The row.
    async fn node(&self) -> &N {
        self.node
    }
}

fn build<N: ConnectionNode>(
    page: Page<Row<N>>,
    sort: Sort<<N::Entity as Listing>::Sort>,
    total_count: TotalCount,
) -> Connection<N> {
    Connection {
        nodes: page.items.into_iter().map(N::wrap).collect(),
        sort,
        sort_keys: page.sort_keys,
        has_next_page: page.has_next_page,
        has_previous_page: page.has_previous_page,
        total_count,
    }
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

/// A root connection: one statement for the page, one more only if `totalCount` is asked for; then the
/// connections nested under its rows are loaded ahead (`prefetch`).
pub async fn root_connection<N: Prefetchable>(ctx: &Context<'_>, args: ListArgs<N::Entity>) -> AppResult<Connection<N>>
where
    Row<N>: FromQueryResult + Clone + Send + Sync,
{
    let connection = flat_root_connection::<N>(ctx, args).await?;
    let parents = connection.nodes.iter().map(|node| N::Entity::id_of(node.row())).collect();
    prefetch::below(ctx, N::KIND, parents).await?;
    Ok(connection)
}

/// A root connection whose rows nest no connection: one statement for the page, one more only if
/// `totalCount` is asked for.
pub async fn flat_root_connection<N: ConnectionNode>(
    ctx: &Context<'_>,
    args: ListArgs<N::Entity>,
) -> AppResult<Connection<N>>
where
    Row<N>: FromQueryResult + Clone + Send + Sync,
{
    let db = database(ctx)?.clone();
    check_page_size(ctx, &args.page)?;
    let page = PageRequest::parse(args.page, args.sort)?;
    let select = N::Entity::filtered(&args.filter);
    let rows = pagination::fetch_page(&db, select.clone(), args.sort, &page).await?;
    take_rows(ctx, rows.items.len())?;
    let total = TotalCount::Later(Box::new(move || {
        let (db, select) = (db.clone(), select.clone());
        Box::pin(async move { pagination::count(&db, select).await })
    }));
    Ok(build(rows, args.sort, total))
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
/// list share one statement. `args` are parsed once per field of the document, not once per parent:
/// every parent of the same field shares one query (`Loaders::child_query`).
pub async fn child_connection<N: ConnectionNode>(
    ctx: &Context<'_>,
    parent_id: i64,
    parent: <N::Entity as Listing>::Parent,
    args: impl FnOnce() -> AppResult<ListArgs<N::Entity>>,
) -> AppResult<Connection<N>>
where
    Row<N>: FromQueryResult + Clone + Send + Sync,
    Loaders: LoadersOf<N::Entity>,
{
    let all = loaders(ctx)?;
    let query = all.child_query::<N::Entity>(ctx.item, parent, || {
        let args = args()?;
        check_page_size(ctx, &args.page)?;
        let page = PageRequest::parse(args.page, args.sort)?;
        let with_total = ctx.look_ahead().field("totalCount").exists();
        Ok(ChildQuery { parent, filter: args.filter, sort: args.sort, page, with_total, columns: Columns::ALL })
    })?;
    let loaders = all.of();
    let sort = query.sort;
    let loaded = match all.take_prefetched::<N::Entity>(ctx.item, parent_id) {
        Some(loaded) => loaded,
        None => {
            let loaded = loaders.pages.load_one(ChildKey::new(parent_id, query.clone())).await.map_err(unshare)?;
            loaded.ok_or_else(|| AppError::Internal("a child page was not loaded".into()))?
        }
    };
    take_rows(ctx, loaded.page.items.len())?;
    let total = match loaded.total {
        Some(total) => TotalCount::Known(total),
        // Not foreseen by the look-ahead: count on demand, still batched.
        None => {
            let counts = loaders.counts.clone();
            TotalCount::Later(Box::new(move || {
                let (key, counts) = (ChildKey::new(parent_id, query.clone()), counts.clone());
                Box::pin(async move { Ok(counts.load_one(key).await.map_err(unshare)?.unwrap_or(0)) })
            }))
        }
    };
    Ok(build(loaded.page, sort, total))
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
    let all = loaders(ctx)?;
    let query = all.child_query::<E>(ctx.item, parent, || {
        let page = PageRequest::parse(PageArgs { first: Some(first), ..Default::default() }, sort)?;
        Ok(ChildQuery { parent, filter, sort, page, with_total: false, columns: Columns::ALL })
    })?;
    let loaded = all.of().pages.load_one(ChildKey::new(parent_id, query)).await.map_err(unshare)?;
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

/// A row another row refers to through a required foreign key (an order's customer): the database keeps
/// it, so its absence is an internal error rather than a null.
pub async fn load_required<E>(ctx: &Context<'_>, id: i64) -> AppResult<E::Model>
where
    E: Listing,
    E::Model: FromQueryResult + Clone + Send + Sync,
    Loaders: LoadersOf<E>,
{
    load_by_id::<E>(ctx, id).await?.ok_or_else(|| {
        AppError::Internal(format!("{} {id}, required by a stored row, is missing", E::default().table_name()))
    })
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
    entity::complaint::Entity => complaints,
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
