//! Keyset (cursor) pagination over any entity, for root connections and for nested, per-parent pages.
//!
//! Rows are ordered by `(sort column, id)`, so a cursor is the last row's sort value and id, and a page
//! is one indexed range scan, however deep it is. Nested connections fetch the pages of every parent in
//! one statement: `ROW_NUMBER() OVER (PARTITION BY parent ORDER BY ...)` keeps `limit + 1` rows per parent
//! (the extra row tells whether a next page exists).

use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Asterisk, DynIden, Expr, ExprTrait, Order, Query, WindowStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, IdenStatic, Iterable,
    QueryFilter, QueryOrder, QueryResult, QuerySelect, QueryTrait, Select, Statement, Value,
};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// The absolute ceiling of a page; the API's own limit (`--max-page-size`, 100 by default) is at most this.
pub const MAX_PAGE_SIZE: u64 = 1000;

/// An entity that can be paged: it has an `i64` primary key used as the tie-breaker of every order.
pub trait Pageable: EntityTrait {
    fn id_column() -> Self::Column;
    fn id_of(model: &Self::Model) -> i64;

    /// A row of a page, read from the columns `Entity::find()` selects, which come first in the row.
    /// By name unless the entity reads them by position (`model_by_position!`).
    fn model_of(row: &QueryResult) -> Result<Self::Model, DbErr>
    where
        Self::Model: FromQueryResult,
    {
        Self::Model::from_query_result(row, "")
    }

    /// Whether a page may select only some columns (`Columns`): the entity reads its rows by position.
    const READS_SOME_COLUMNS: bool = false;

    /// A row of a page that selected `columns` (in the model's order, first in the row); the fields of
    /// the other columns hold placeholders (`placeholders`). Only for `READS_SOME_COLUMNS` entities.
    fn model_with(row: &QueryResult, _columns: Columns) -> Result<Self::Model, DbErr>
    where
        Self::Model: FromQueryResult,
    {
        Self::model_of(row)
    }
}

/// Some of a model's columns, by their position in the model (the order `Entity::find()` selects them
/// in): what a page whose nodes read only some fields selects and decodes (`fetch_pages_per_parent`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Columns(u64);

impl Columns {
    pub const ALL: Columns = Columns(u64::MAX);

    /// The positions of `columns` among `E`'s.
    pub fn of<E: EntityTrait>(columns: &[E::Column]) -> Columns {
        let mut bits = 0;
        for (position, column) in E::Column::iter().enumerate() {
            if position < 64 && columns.iter().any(|c| c.as_str() == column.as_str()) {
                bits |= 1 << position;
            }
        }
        Columns(bits)
    }

    pub fn and(self, other: Columns) -> Columns {
        Columns(self.0 | other.0)
    }

    /// Whether the column at `position` is among them (a model of more than 64 columns is read whole).
    pub fn contains(self, position: usize) -> bool {
        position >= 64 || self.0 & (1 << position) != 0
    }
}

/// `select` choosing `columns` of its entity only.
fn select_columns<E: EntityTrait>(select: Select<E>, columns: Columns) -> Select<E> {
    if columns == Columns::ALL {
        return select;
    }
    let mut select = select.select_only();
    for (position, column) in E::Column::iter().enumerate() {
        if columns.contains(position) {
            select = select.column(column);
        }
    }
    select
}

/// A model read from the first columns of a row by position, in the order of its fields (the order
/// `Entity::find()` selects its columns in): a page's rows are read without looking each column up
/// by name. The fields are listed in the model's order; the tests compare with reading by name.
/// With `columns`, only the selected columns are in the row, in the model's order; the other fields get
/// placeholders.
macro_rules! model_by_position {
    ($row:expr, $columns:expr, $model:ident { $($field:ident),+ $(,)? }) => {{
        let row: &sea_orm::QueryResult = $row;
        let columns: $crate::services::pagination::Columns = $columns;
        // The field's position in the model, and the index of the next column in the row.
        let (mut position, mut index) = (0, 0);
        Ok($model {
            $($field: {
                position += 1;
                if columns.contains(position - 1) {
                    index += 1;
                    row.try_get_by_index(index - 1)?
                } else {
                    $crate::services::placeholders::Placeholder::placeholder()
                }
            }),+
        })
    }};
}

pub(crate) use model_by_position;

/// `Pageable` for the table whose `Entity`, `Column` and `Model` are in scope, keyed by `id`: the id is
/// every order's tie-breaker. With the model's fields listed (in the model's order), a page's rows are
/// read by position (`model_by_position!`); without, by name.
macro_rules! pageable_by_id {
    ($($field:ident),* $(,)?) => {
        impl $crate::services::pagination::Pageable for Entity {
            fn id_column() -> Column {
                Column::Id
            }

            fn id_of(model: &Model) -> i64 {
                model.id
            }

            pageable_by_id!(@read $($field),*);
        }
    };
    (@read) => {};
    (@read $($field:ident),+) => {
        const READS_SOME_COLUMNS: bool = true;

        fn model_of(row: &sea_orm::QueryResult) -> Result<Model, sea_orm::DbErr> {
            Self::model_with(row, $crate::services::pagination::Columns::ALL)
        }

        fn model_with(
            row: &sea_orm::QueryResult,
            columns: $crate::services::pagination::Columns,
        ) -> Result<Model, sea_orm::DbErr> {
            $crate::services::pagination::model_by_position!(row, columns, Model { $($field),+ })
        }
    };
}

pub(crate) use pageable_by_id;

/// A column a connection can be ordered by.
pub trait SortField: Copy + Debug + Eq + Hash + Send + Sync + 'static {
    type Entity: Pageable;
    /// The name written into cursors, so a cursor cannot be replayed against another order.
    fn name(self) -> String;
    /// The sort key: a column, or an expression over the row (e.g. an aggregate of its children).
    fn expr(self) -> Expr;
    /// The row's sort value, or None when the key is an expression that the page query reads from the
    /// database along with the row (`read_key`).
    fn value(self, model: &<Self::Entity as EntityTrait>::Model) -> Option<CursorValue>;
    /// Whether the key is an expression rather than one of the row's columns.
    fn is_expression(self) -> bool {
        false
    }
    /// The value of an expression key, read from a row of the page query (column `sort_key`): an
    /// integer unless the key says otherwise.
    fn read_key(self, row: &QueryResult) -> Result<CursorValue, DbErr> {
        int_key(row)
    }
}

/// An integer expression key of a page query's row (NULL reads as 0).
pub fn int_key(row: &QueryResult) -> Result<CursorValue, DbErr> {
    let key: Option<i64> = row.try_get("", "sort_key")?;
    Ok(CursorValue::Int(key.unwrap_or(0)))
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum SortDirection {
    Asc,
    Desc,
}

impl SortDirection {
    fn reversed(self) -> Self {
        match self {
            SortDirection::Asc => SortDirection::Desc,
            SortDirection::Desc => SortDirection::Asc,
        }
    }

    fn order(self) -> Order {
        match self {
            SortDirection::Asc => Order::Asc,
            SortDirection::Desc => Order::Desc,
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Sort<F> {
    pub field: F,
    pub direction: SortDirection,
}

/// The sort value of a row, as stored in a cursor.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "t", content = "v")]
pub enum CursorValue {
    Int(i64),
    Text(String),
    Time(DateTime<Utc>),
    /// A float, by its bits: exact through the cursor, and comparable for equality.
    Float(u64),
}

impl From<CursorValue> for Value {
    fn from(value: CursorValue) -> Self {
        match value {
            CursorValue::Int(v) => v.into(),
            CursorValue::Text(v) => v.into(),
            CursorValue::Time(v) => v.into(),
            CursorValue::Float(bits) => f64::from_bits(bits).into(),
        }
    }
}

/// A position in an ordered connection: the sort value and id of a row.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "f")]
    field: String,
    #[serde(rename = "k")]
    value: CursorValue,
    #[serde(rename = "i")]
    id: i64,
}

impl Cursor {
    /// The cursor of a row: its sort value (given, or taken from the row) and id.
    pub fn of<F: SortField>(
        field: F,
        model: &<F::Entity as EntityTrait>::Model,
        computed: Option<&CursorValue>,
    ) -> Self {
        let value = field.value(model).or_else(|| computed.cloned()).unwrap_or(CursorValue::Int(0));
        Cursor { field: field.name(), value, id: F::Entity::id_of(model) }
    }

    pub fn encode(&self) -> String {
        // Serializing this plain struct cannot fail; an empty cursor would only make the next page fail.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub(crate) fn decode(arg: &str, raw: &str, expected_field: &str) -> AppResult<Self> {
        let invalid = || AppError::bad_input(arg, "not a valid cursor");
        if raw.len() > 512 {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        if cursor.field != expected_field {
            return Err(AppError::bad_input(arg, "the cursor belongs to a different orderBy"));
        }
        Ok(cursor)
    }
}

/// A validated `first/after/last/before` request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageRequest {
    limit: u64,
    /// `last/before`: fetch in reverse order, then flip the rows back.
    backward: bool,
    after: Option<Cursor>,
    before: Option<Cursor>,
}

/// The raw Relay pagination arguments of a connection field.
#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl PageRequest {
    pub fn parse<F: SortField>(args: PageArgs, sort: Sort<F>) -> AppResult<Self> {
        let size = |arg: &str, n: i32| -> AppResult<u64> {
            match u64::try_from(n) {
                Ok(n) if n <= MAX_PAGE_SIZE => Ok(n),
                _ => Err(AppError::bad_input(arg, format!("must be between 0 and {MAX_PAGE_SIZE}"))),
            }
        };
        let (limit, backward) = match (args.first, args.last) {
            (Some(_), Some(_)) => return Err(AppError::bad_input("last", "give either first or last, not both")),
            (Some(first), None) => (size("first", first)?, false),
            (None, Some(last)) => (size("last", last)?, true),
            (None, None) => (DEFAULT_PAGE_SIZE, false),
        };
        let name = sort.field.name();
        Ok(PageRequest {
            limit,
            backward,
            after: args.after.as_deref().map(|raw| Cursor::decode("after", raw, &name)).transpose()?,
            before: args.before.as_deref().map(|raw| Cursor::decode("before", raw, &name)).transpose()?,
        })
    }
}

/// One page of rows, in the requested order.
#[derive(Clone, Debug)]
pub struct Page<M> {
    pub items: Vec<M>,
    /// The sort values read from the database, one per item, when the sort key is an expression.
    pub sort_keys: Option<Vec<CursorValue>>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

impl<M> Page<M> {
    fn empty(page: &PageRequest) -> Self {
        Page {
            items: Vec::new(),
            sort_keys: None,
            has_next_page: page.backward && page.before.is_some(),
            has_previous_page: !page.backward && page.after.is_some(),
        }
    }

    /// Builds the page from up to `limit + 1` rows (and their sort keys) fetched in scan order.
    fn from_scan(mut rows: Vec<M>, mut sort_keys: Option<Vec<CursorValue>>, page: &PageRequest) -> Self {
        let more = rows.len() as u64 > page.limit;
        rows.truncate(page.limit as usize);
        if let Some(keys) = sort_keys.as_mut() {
            keys.truncate(page.limit as usize);
            if page.backward {
                keys.reverse();
            }
        }
        if page.backward {
            rows.reverse();
            Page { items: rows, sort_keys, has_next_page: page.before.is_some(), has_previous_page: more }
        } else {
            Page { items: rows, sort_keys, has_next_page: more, has_previous_page: page.after.is_some() }
        }
    }
}

/// Restricts `select` to the rows between the cursors and orders it in scan order.
fn keyset<E: Pageable, F: SortField<Entity = E>>(
    select: Select<E>,
    sort: Sort<F>,
    page: &PageRequest,
) -> (Select<E>, SortDirection) {
    let key = sort.field.expr();
    let id = E::id_column();
    let beyond = |cursor: &Cursor, forward: bool| {
        let v: Value = cursor.value.clone().into();
        let ascending = (sort.direction == SortDirection::Asc) == forward;
        if ascending {
            Condition::any()
                .add(key.clone().gt(v.clone()))
                .add(Condition::all().add(key.clone().eq(v)).add(id.gt(cursor.id)))
        } else {
            Condition::any()
                .add(key.clone().lt(v.clone()))
                .add(Condition::all().add(key.clone().eq(v)).add(id.lt(cursor.id)))
        }
    };
    let mut select = select;
    if let Some(after) = &page.after {
        select = select.filter(beyond(after, true));
    }
    if let Some(before) = &page.before {
        select = select.filter(beyond(before, false));
    }
    let scan = if page.backward { sort.direction.reversed() } else { sort.direction };
    (select, scan)
}

/// Fetches one page of a root connection in one statement.
pub async fn fetch_page<E, F>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    sort: Sort<F>,
    page: &PageRequest,
) -> AppResult<Page<E::Model>>
where
    E: Pageable,
    E::Model: FromQueryResult,
    F: SortField<Entity = E>,
{
    if page.limit == 0 {
        return Ok(Page::empty(page));
    }
    let (select, scan) = keyset(select, sort, page);
    let select =
        select.order_by(sort.field.expr(), scan.order()).order_by(E::id_column(), scan.order()).limit(page.limit + 1);
    if !sort.field.is_expression() {
        let found = db.query_all(&select.into_query()).await.map_err(AppError::from_db)?;
        let rows = found.iter().map(E::model_of).collect::<Result<Vec<_>, _>>().map_err(AppError::from_db)?;
        return Ok(Page::from_scan(rows, None, page));
    }
    // The sort key is an expression: read its value with each row, for the cursors.
    let query = select.expr_as(sort.field.expr(), "sort_key").into_query();
    let mut rows = Vec::new();
    let mut keys = Vec::new();
    for row in db.query_all(&query).await.map_err(AppError::from_db)? {
        rows.push(E::model_of(&row).map_err(AppError::from_db)?);
        keys.push(sort.field.read_key(&row).map_err(AppError::from_db)?);
    }
    Ok(Page::from_scan(rows, Some(keys), page))
}

/// Which parent a child row belongs to: a column of the child's table, or of a table `select` joins.
#[derive(Clone, Debug)]
pub struct ParentColumn(pub (DynIden, DynIden));

impl ParentColumn {
    pub fn of(column: impl ColumnTrait) -> Self {
        ParentColumn(column.as_column_ref())
    }

    fn expr(&self) -> Expr {
        Expr::col(self.0.clone())
    }

    /// `"table"."column"`, for SQL written by hand (our own identifiers, never input).
    fn quoted(&self) -> String {
        format!("\"{}\".\"{}\"", self.0.0, self.0.1)
    }
}

/// Fetches the pages of many parents in one statement; parents without rows get an empty page.
///
/// PostgreSQL reads each parent's page with an index scan that stops at the page's end (a `LATERAL`
/// subquery per parent, over the parent ids passed as one array): about a third of the work of ranking
/// every child, and one statement text, planned once per connection, whatever the number of parents.
/// SQLite ranks the children with `ROW_NUMBER()` over the parents' rows.
pub async fn fetch_pages_per_parent<E, F>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    parent: ParentColumn,
    parent_ids: &[i64],
    sort: Sort<F>,
    page: &PageRequest,
    columns: Columns,
) -> AppResult<HashMap<i64, Page<E::Model>>>
where
    E: Pageable,
    E::Model: FromQueryResult,
    F: SortField<Entity = E>,
{
    let columns = if E::READS_SOME_COLUMNS { columns } else { Columns::ALL };
    let mut rows_by_parent: HashMap<i64, Vec<E::Model>> = HashMap::with_capacity(parent_ids.len());
    if page.limit > 0 && !parent_ids.is_empty() {
        let (select, scan) = keyset(select_columns(select, columns), sort, page);
        let backend = db.get_database_backend();
        let statement = match backend {
            DbBackend::Postgres => {
                let inner = select
                    .filter(parent.expr().eq(Expr::cust("p.parent_key")))
                    .order_by(sort.field.expr(), scan.order())
                    .order_by(E::id_column(), scan.order())
                    .limit(page.limit + 1)
                    .into_query();
                let inner = backend.build(&inner);
                let outer = Statement {
                    sql: format!(
                        "SELECT ranked.*, p.parent_key FROM unnest(CAST({IDS} AS TEXT)::bigint[]) AS p(parent_key) \
                         CROSS JOIN LATERAL ({}) AS ranked",
                        inner.sql
                    ),
                    ..inner
                };
                with_id_array(outer, parent_ids)
            }
            _ => {
                let mut inner = select.filter(parent.expr().is_in(parent_ids.iter().copied())).into_query();
                let mut window = WindowStatement::partition_by(parent.0.clone());
                window
                    .order_by_expr(sort.field.expr(), scan.order())
                    .order_by(E::id_column().as_column_ref(), scan.order());
                inner.expr_as(parent.expr(), Alias::new("parent_key")).expr_window_as(
                    Expr::cust("ROW_NUMBER()"),
                    window,
                    Alias::new("row_in_parent"),
                );
                let outer = Query::select()
                    .column(Asterisk)
                    .from_subquery(inner, Alias::new("ranked"))
                    .and_where(Expr::col(Alias::new("row_in_parent")).lte(page.limit as i64 + 1))
                    .order_by(Alias::new("parent_key"), Order::Asc)
                    .order_by(Alias::new("row_in_parent"), Order::Asc)
                    .to_owned();
                backend.build(&outer)
            }
        };
        // Rows arrive parent by parent, each parent's in scan order.
        for row in db.query_all_raw(statement).await.map_err(AppError::from_db)? {
            let parent_id: i64 = row.try_get("", "parent_key").map_err(AppError::from_db)?;
            let model = E::model_with(&row, columns).map_err(AppError::from_db)?;
            rows_by_parent.entry(parent_id).or_default().push(model);
        }
    }
    Ok(parent_ids
        .iter()
        .map(|id| {
            let rows = rows_by_parent.remove(id).unwrap_or_default();
            (*id, if rows.is_empty() { Page::empty(page) } else { Page::from_scan(rows, None, page) })
        })
        .collect())
}

/// Where a statement takes its parent ids, as one PostgreSQL array (`with_id_array`).
const IDS: &str = "__parent_ids__";

/// Binds `ids` as the statement's last parameter, where it says `IDS`: one array literal (`{1,2,3}`)
/// as text, so the statement's text does not depend on how many ids there are.
fn with_id_array(mut statement: Statement, ids: &[i64]) -> Statement {
    let values = statement.values.get_or_insert_with(|| sea_orm::Values(Vec::new()));
    values.0.push(id_array(ids).into());
    statement.sql = statement.sql.replace(IDS, &format!("${}", values.0.len()));
    statement
}

/// Parent ids as one PostgreSQL array literal.
fn id_array(ids: &[i64]) -> String {
    let mut text = String::with_capacity(ids.len() * 8 + 2);
    text.push('{');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&id.to_string());
    }
    text.push('}');
    text
}

/// Counts the rows of many parents in one `GROUP BY` statement; parents without rows count 0.
pub async fn count_per_parent<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    parent: ParentColumn,
    parent_ids: &[i64],
) -> AppResult<HashMap<i64, u64>> {
    #[derive(FromQueryResult)]
    struct ParentCount {
        parent_key: i64,
        row_count: i64,
    }
    let mut counts: HashMap<i64, u64> = parent_ids.iter().map(|id| (*id, 0)).collect();
    if parent_ids.is_empty() {
        return Ok(counts);
    }
    let backend = db.get_database_backend();
    let query = select
        .select_only()
        .column_as(parent.expr(), "parent_key")
        .column_as(Expr::col(Asterisk).count(), "row_count")
        .group_by(parent.expr());
    let statement = match backend {
        // One statement text whatever the number of parents (see `fetch_pages_per_parent`).
        DbBackend::Postgres => {
            let condition = Expr::cust(format!("{} = ANY(CAST({IDS} AS TEXT)::bigint[])", parent.quoted()));
            with_id_array(backend.build(&query.filter(condition).into_query()), parent_ids)
        }
        _ => backend.build(&query.filter(parent.expr().is_in(parent_ids.iter().copied())).into_query()),
    };
    let rows = ParentCount::find_by_statement(statement).all(db).await.map_err(AppError::from_db)?;
    for row in rows {
        counts.insert(row.parent_key, u64::try_from(row.row_count).unwrap_or(0));
    }
    Ok(counts)
}

/// Counts the rows of a root connection.
pub async fn count<E: EntityTrait>(db: &impl ConnectionTrait, select: Select<E>) -> AppResult<u64>
where
    E::Model: Sync,
{
    use sea_orm::PaginatorTrait;
    select.count(db).await.map_err(AppError::from_db)
}
