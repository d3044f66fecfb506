//! Setting a table's secondary indexes aside while it is filled from empty. Inserting rows one by one
//! into five indexes costs more than the rows themselves; building each index once, from the filled
//! table, sorts instead. The definitions are read from the database's own catalog, so the migrations
//! stay the one place that defines indexes.
//!
//! Only non-unique indexes are set aside: unique ones carry constraints the writes rely on (upserts by
//! external id). Everything happens inside the caller's transaction: a rollback restores the indexes.
//! On PostgreSQL, `DROP INDEX` locks the table until commit, so readers of that table (empty until the
//! import commits) wait for it.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// The definitions of the indexes dropped from one table, to be created again.
#[derive(Debug, Default)]
#[must_use = "the indexes are gone until `restore` runs"]
pub struct SetAside {
    definitions: Vec<String>,
}

/// Drops `table`'s non-unique indexes and returns their definitions.
pub async fn set_aside(db: &impl ConnectionTrait, table: &str) -> Result<SetAside, DbErr> {
    let backend = db.get_database_backend();
    let catalog = match backend {
        DbBackend::Postgres => {
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE i.indrelid = to_regclass($1) AND NOT i.indisunique AND NOT i.indisprimary"
        }
        _ => {
            "SELECT m.name, m.sql FROM sqlite_master m \
             JOIN pragma_index_list($1) l ON l.name = m.name \
             WHERE m.type = 'index' AND m.sql IS NOT NULL AND NOT l.\"unique\""
        }
    };
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, catalog, [table.into()])).await?;
    let mut definitions = Vec::with_capacity(rows.len());
    for row in rows {
        let name: String = row.try_get_by_index(0)?;
        let definition: String = row.try_get_by_index(1)?;
        db.execute_unprepared(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\""))).await?;
        definitions.push(definition);
    }
    Ok(SetAside { definitions })
}

impl SetAside {
    /// Creates the indexes again, each from the table's rows.
    pub async fn restore(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        for definition in &self.definitions {
            db.execute_unprepared(definition).await?;
        }
        Ok(())
    }
}
