//! Setting a table's secondary indexes, and on PostgreSQL its foreign keys, aside while it is filled
//! from empty. Inserting rows one by one into five indexes costs more than the rows themselves; building
//! each index once, from the filled table, sorts instead. On PostgreSQL a foreign key is a trigger that
//! looks the parent row up for every inserted row (more than half of an answer's insert); added back, it
//! checks every row in one join. The definitions are read from the database's own catalog, so the
//! migrations stay the one place that defines indexes and keys.
//!
//! Only non-unique indexes are set aside: unique ones carry constraints the writes rely on (upserts by
//! external id). Everything happens inside the caller's transaction: a rollback restores them all.
//! On PostgreSQL, `DROP INDEX` locks the table until commit, and dropping a foreign key also locks the
//! table it refers to, so readers of both wait for the commit: callers set keys aside only when the
//! tables they refer to were empty too (readers would have seen nothing of them anyway).

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// Whether a table's foreign keys are set aside with its indexes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ForeignKeys {
    Kept,
    /// Dropped and added back (PostgreSQL; SQLite cannot drop a key and checks it cheaply).
    SetAside,
}

/// What was dropped from one table, to be created again.
#[derive(Debug, Default)]
#[must_use = "the indexes and keys are gone until `restore` runs"]
pub struct SetAside {
    indexes: Vec<String>,
    /// `ALTER TABLE ... ADD CONSTRAINT ...` statements.
    foreign_keys: Vec<String>,
}

/// Drops `table`'s non-unique indexes (and, as asked, its foreign keys) and returns their definitions.
pub async fn set_aside(db: &impl ConnectionTrait, table: &str, keys: ForeignKeys) -> Result<SetAside, DbErr> {
    let backend = db.get_database_backend();
    let quoted_table = quote(table);
    let mut set_aside = SetAside::default();
    let indexes = if backend == DbBackend::Postgres { POSTGRES_INDEXES } else { SQLITE_INDEXES };
    for (name, definition) in catalog(db, indexes, table).await? {
        db.execute_unprepared(&format!("DROP INDEX {}", quote(&name))).await?;
        set_aside.indexes.push(definition);
    }
    if keys == ForeignKeys::SetAside && backend == DbBackend::Postgres {
        for (name, definition) in catalog(db, POSTGRES_FOREIGN_KEYS, table).await? {
            let name = quote(&name);
            db.execute_unprepared(&format!("ALTER TABLE {quoted_table} DROP CONSTRAINT {name}")).await?;
            set_aside.foreign_keys.push(format!("ALTER TABLE {quoted_table} ADD CONSTRAINT {name} {definition}"));
        }
    }
    Ok(set_aside)
}

impl SetAside {
    /// Creates the indexes again, each from the table's rows, then adds the keys back (each checks every
    /// row once).
    pub async fn restore(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        for statement in self.indexes.iter().chain(&self.foreign_keys) {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }
}

/// Catalog queries taking the table's name as their one parameter: `(name, definition)` rows.
const POSTGRES_INDEXES: &str = "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i \
    JOIN pg_class c ON c.oid = i.indexrelid \
    WHERE i.indrelid = to_regclass($1) AND NOT i.indisunique AND NOT i.indisprimary";
const SQLITE_INDEXES: &str = "SELECT m.name, m.sql FROM sqlite_master m \
    JOIN pragma_index_list($1) l ON l.name = m.name \
    WHERE m.type = 'index' AND m.sql IS NOT NULL AND NOT l.\"unique\"";
const POSTGRES_FOREIGN_KEYS: &str = "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint \
    WHERE conrelid = to_regclass($1) AND contype = 'f'";

async fn catalog(db: &impl ConnectionTrait, sql: &str, table: &str) -> Result<Vec<(String, String)>, DbErr> {
    let statement = Statement::from_sql_and_values(db.get_database_backend(), sql, [table.into()]);
    let rows = db.query_all_raw(statement).await?;
    rows.into_iter().map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?))).collect()
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}
