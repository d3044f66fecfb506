//! Hand-written SQL with bound values, for aggregations whose shape (derived tables, `VALUES` lists,
//! correlated sub-queries) reads better as SQL than as a builder chain. Values are always bound,
//! never spliced into the text; placeholders follow the backend (`?` or `$n`).

use chrono::{DateTime, Utc};
use std::sync::Arc;

use sea_orm::sqlx::{self, Row};
use sea_orm::{DbBackend, DbErr, QueryResult, RuntimeErr, Statement, TryGetable, Value};

use crate::error::{AppError, AppResult};

pub struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub fn new(backend: DbBackend) -> Self {
        Sql { backend, text: String::new(), values: Vec::new() }
    }

    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    /// Appends SQL text. Only ever called with literals and identifiers of our own, never with input.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => {
                let n = self.values.len();
                self.text.push_str(&format!("${n}"));
            }
            _ => self.text.push('?'),
        }
        self
    }

    /// Appends `?, ?, ...`, one placeholder per value.
    fn bind_all<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Self {
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(value);
        }
        self
    }

    /// Appends `column IN (?, ?, ...)`, bound to `values`. No values match no row: then `1 = 0`, as
    /// PostgreSQL has no empty `IN ()`.
    pub fn in_list<V: Into<Value>>(&mut self, column: &str, values: impl IntoIterator<Item = V>) -> &mut Self {
        let mut values = values.into_iter().peekable();
        if values.peek().is_none() {
            return self.push("1 = 0");
        }
        self.push(column).push(" IN (").bind_all(values).push(")")
    }

    /// Appends `(VALUES (?, ?, ...), ...) AS alias`: columns are `column1`, `column2`, ... on both backends.
    pub fn values_table(&mut self, rows: &[Vec<Value>], alias: &str) -> &mut Self {
        self.push("(VALUES ");
        for (i, row) in rows.iter().enumerate() {
            self.push(if i == 0 { "(" } else { ", (" }).bind_all(row.iter().cloned()).push(")");
        }
        self.push(") AS ").push(alias)
    }

    /// `left <= base + days` for timestamps: SQLite keeps them as RFC 3339 text, so it compares Julian days.
    pub fn at_most_days_after(&mut self, left: &str, base: &str, days: i64) -> &mut Self {
        self.at_most_after(left, base, days, ("1 day", ""))
    }

    /// `left <= base + hours` for timestamps, as `at_most_days_after`.
    pub fn at_most_hours_after(&mut self, left: &str, base: &str, hours: i64) -> &mut Self {
        self.at_most_after(left, base, hours, ("1 hour", " / 24.0"))
    }

    /// `left <= base + amount units`; `unit`: the PostgreSQL interval of one unit and, for SQLite, what
    /// turns an amount of units into days.
    fn at_most_after(&mut self, left: &str, base: &str, amount: i64, (interval, in_days): (&str, &str)) -> &mut Self {
        match self.backend {
            DbBackend::Postgres => {
                self.push(left).push(" <= ").push(base).push(" + ").bind(amount);
                self.push(" * INTERVAL '").push(interval).push("'")
            }
            _ => {
                self.push("julianday(").push(left).push(") <= julianday(").push(base).push(") + ").bind(amount);
                self.push(in_days)
            }
        }
    }

    /// The UTC calendar day of the timestamp `column`, as a day number (days since 1970-01-01). SQLite
    /// keeps timestamps as RFC 3339 text, which its date functions read (offset included).
    pub fn day_number(&mut self, column: &str) -> &mut Self {
        match self.backend {
            DbBackend::Postgres => self
                .push("CAST(CAST((")
                .push(column)
                .push(" AT TIME ZONE 'UTC') AS DATE) - DATE '1970-01-01' AS BIGINT)"),
            _ => self.push("CAST(unixepoch(date(").push(column).push(")) / 86400 AS INTEGER)"),
        }
    }

    pub fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// A count column of an aggregate row. `SUM` over no rows is NULL, which counts as 0; counts are never
/// negative.
pub fn count_column(row: &QueryResult, column: &str) -> AppResult<u64> {
    let value: Option<i64> = row.try_get("", column).map_err(AppError::from_db)?;
    Ok(value.and_then(|v| u64::try_from(v).ok()).unwrap_or(0))
}

/// A signed count (a sum of pieces counted with a sign), 0 when NULL.
pub fn signed_column(row: &QueryResult, column: &str) -> AppResult<i64> {
    let value: Option<i64> = row.try_get("", column).map_err(AppError::from_db)?;
    Ok(value.unwrap_or(0))
}

/// Column `index` of a row of the caller's own statement, which fixes the column's type. PostgreSQL
/// cells are decoded without sqlx's check of the column's type against the Rust type, which costs more
/// than decoding an integer or a timestamp (about a sixth of the server's CPU in a pass over every
/// order); SQLite's, whose types are per value, through SeaORM.
pub fn column_at<T>(row: &QueryResult, index: usize) -> AppResult<T>
where
    T: TryGetable + for<'r> sqlx::Decode<'r, sqlx::Postgres>,
{
    match row.try_as_pg_row() {
        Some(pg) => pg.try_get_unchecked(index).map_err(sqlx_error),
        None => row.try_get_by_index(index).map_err(AppError::from_db),
    }
}

/// A text column by index, borrowed from the row (see [`column_at`]): for a value compared with known
/// ones, where a `String` per row would cost an allocation.
pub fn text_at(row: &QueryResult, index: usize) -> AppResult<&str> {
    if let Some(pg) = row.try_as_pg_row() {
        return pg.try_get_unchecked(index).map_err(sqlx_error);
    }
    match row.try_as_sqlite_row() {
        Some(sqlite) => sqlite.try_get(index).map_err(sqlx_error),
        None => Err(AppError::Internal("a row of neither PostgreSQL nor SQLite".into())),
    }
}

fn sqlx_error(error: sqlx::Error) -> AppError {
    AppError::from_db(DbErr::Query(RuntimeErr::SqlxError(Arc::new(error))))
}

/// A timestamp as a bound value.
pub fn time(t: DateTime<Utc>) -> Value {
    t.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_backend() {
        let mut pg = Sql::new(DbBackend::Postgres);
        pg.push("SELECT * FROM t WHERE a = ").bind(1i64).push(" AND b = ").bind("x");
        assert_eq!(pg.build().sql, "SELECT * FROM t WHERE a = $1 AND b = $2");
        let mut sqlite = Sql::new(DbBackend::Sqlite);
        sqlite.values_table(&[vec![1i64.into(), 2i64.into()], vec![3i64.into(), 4i64.into()]], "p");
        assert_eq!(sqlite.build().sql, "(VALUES (?, ?), (?, ?)) AS p");
    }

    #[test]
    fn in_lists_bind_each_value_and_an_empty_list_matches_nothing() {
        let mut pg = Sql::new(DbBackend::Postgres);
        pg.push("a = ").bind(0i64).push(" AND ").in_list("t.kind", ["X", "Y"]);
        let statement = pg.build();
        assert_eq!(statement.sql, "a = $1 AND t.kind IN ($2, $3)");
        assert_eq!(statement.values.map(|v| v.0.len()), Some(3));
        let mut empty = Sql::new(DbBackend::Postgres);
        empty.push("WHERE ").in_list("t.kind", Vec::<String>::new());
        assert_eq!(empty.build().sql, "WHERE 1 = 0");
    }
}
