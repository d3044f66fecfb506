//! Facets: the values a client can filter by and the time the data spans, for pickers and for BI tools
//! that discover a data set before querying it. Each list walks an index from one distinct value to the
//! next (a lookup per value, whatever the number of rows); each date is one end of a time index.

use chrono::{DateTime, Utc};
use entity::{customer, feedback, order};
use sea_orm::{ConnectionTrait, EntityName};

use crate::db::sql::Sql;
use crate::error::{AppError, AppResult};

/// The distinct values of the filterable labels, and the ends of the data's time ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facets {
    /// Customer segments, in code-point order.
    pub segments: Vec<String>,
    /// Customer regions, in code-point order.
    pub regions: Vec<String>,
    /// The currencies of the orders (ISO 4217 codes), in order.
    pub currencies: Vec<String>,
    pub first_order_at: Option<DateTime<Utc>>,
    pub last_order_at: Option<DateTime<Utc>>,
    pub first_answer_at: Option<DateTime<Utc>>,
    pub last_answer_at: Option<DateTime<Utc>>,
}

/// Reads every facet: three index walks and one statement for the dates.
pub async fn facets(db: &impl ConnectionTrait) -> AppResult<Facets> {
    let (first_order_at, last_order_at, first_answer_at, last_answer_at) = time_ranges(db).await?;
    Ok(Facets {
        segments: distinct(db, customer::Entity.table_name(), "segment").await?,
        regions: distinct(db, customer::Entity.table_name(), "region").await?,
        currencies: distinct(db, order::Entity.table_name(), "currency").await?,
        first_order_at,
        last_order_at,
        first_answer_at,
        last_answer_at,
    })
}

/// The distinct values of an indexed column, sorted by code point. A recursive walk asks the index for
/// the least value above the last one found (a skip scan neither database does on its own for
/// `DISTINCT`, which reads every entry).
async fn distinct(db: &impl ConnectionTrait, table: &str, column: &str) -> AppResult<Vec<String>> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("WITH RECURSIVE walk (value) AS (SELECT MIN(")
        .push(column)
        .push(") FROM ")
        .push(table)
        .push(" UNION ALL SELECT (SELECT MIN(")
        .push(column)
        .push(") FROM ")
        .push(table)
        .push(" WHERE ")
        .push(column)
        .push(" > walk.value) FROM walk WHERE walk.value IS NOT NULL) SELECT value FROM walk WHERE value IS NOT NULL");
    let rows = db.query_all_raw(sql.build()).await.map_err(AppError::from_db)?;
    let mut values = rows
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).map_err(AppError::from_db))
        .collect::<AppResult<Vec<String>>>()?;
    // The databases' collations order text differently; clients get one order.
    values.sort();
    Ok(values)
}

type Ends = (Option<DateTime<Utc>>, Option<DateTime<Utc>>, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The first and last order placed and answer submitted, each the end of a time index.
async fn time_ranges(db: &impl ConnectionTrait) -> AppResult<Ends> {
    let (orders, answers) = (order::Entity.table_name(), feedback::Entity.table_name());
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT (SELECT MIN(placed_at) FROM ")
        .push(orders)
        .push(") AS first_order_at, (SELECT MAX(placed_at) FROM ")
        .push(orders)
        .push(") AS last_order_at, (SELECT MIN(submitted_at) FROM ")
        .push(answers)
        .push(") AS first_answer_at, (SELECT MAX(submitted_at) FROM ")
        .push(answers)
        .push(") AS last_answer_at");
    let row = db.query_one_raw(sql.build()).await.map_err(AppError::from_db)?;
    let Some(row) = row else { return Ok((None, None, None, None)) };
    let end = |column: &str| row.try_get::<Option<DateTime<Utc>>>("", column).map_err(AppError::from_db);
    Ok((end("first_order_at")?, end("last_order_at")?, end("first_answer_at")?, end("last_answer_at")?))
}
