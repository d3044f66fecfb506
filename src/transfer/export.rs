//! `customer-insights export DIR`: writes every table in the import's CSV format, page by page in id
//! order, so an export imported into an empty database gives the same data.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult};

use crate::db::sql::Sql;
use crate::domain::currency::Currency;
use crate::domain::money::format_minor_units;
use crate::domain::time::format_timestamp;
use crate::error::{AppError, AppResult};
use crate::transfer::records::Table;

const PAGE: i64 = 1000;

/// The query of one table, with the external ids of what each row references, after a given id.
fn page_sql(table: Table) -> &'static str {
    match table {
        Table::Customers => {
            "SELECT c.id, c.external_id, c.name, c.email, c.segment, c.region, c.created_at FROM customers c"
        }
        Table::Orders => {
            "SELECT o.id, o.external_id, c.external_id AS customer_external_id, o.placed_at, o.status, o.total_amount_minor, o.currency \
             FROM orders o JOIN customers c ON c.id = o.customer_id"
        }
        Table::Touchpoints => {
            "SELECT t.id, t.external_id, c.external_id AS customer_external_id, o.external_id AS order_external_id, t.kind, t.channel, \
             t.occurred_at, t.survey_sent_at FROM touchpoints t JOIN customers c ON c.id = t.customer_id LEFT JOIN orders o ON o.id = t.order_id"
        }
        Table::Feedback => {
            "SELECT f.id, f.external_id, c.external_id AS customer_external_id, t.external_id AS touchpoint_external_id, f.metric, f.score, \
             f.comment, f.submitted_at FROM feedback f JOIN customers c ON c.id = f.customer_id LEFT JOIN touchpoints t ON t.id = f.touchpoint_id"
        }
        Table::Complaints => {
            "SELECT m.id, m.external_id, c.external_id AS customer_external_id, o.external_id AS order_external_id, \
             f.external_id AS feedback_external_id, m.category, m.channel, m.opened_at, m.first_response_at, m.resolved_at, \
             m.status, m.outcome FROM complaints m JOIN customers c ON c.id = m.customer_id \
             LEFT JOIN orders o ON o.id = m.order_id LEFT JOIN feedback f ON f.id = m.feedback_id"
        }
    }
}

fn id_column(table: Table) -> &'static str {
    match table {
        Table::Customers => "c.id",
        Table::Orders => "o.id",
        Table::Touchpoints => "t.id",
        Table::Feedback => "f.id",
        Table::Complaints => "m.id",
    }
}

fn text(row: &QueryResult, column: &str) -> AppResult<String> {
    Ok(row.try_get::<Option<String>>("", column).map_err(AppError::from_db)?.unwrap_or_default())
}

fn time(row: &QueryResult, column: &str) -> AppResult<String> {
    let value: Option<chrono::DateTime<chrono::Utc>> = row.try_get("", column).map_err(AppError::from_db)?;
    Ok(value.map(format_timestamp).unwrap_or_default())
}

/// One CSV record of a row, in the table's column order.
fn cells(table: Table, row: &QueryResult) -> AppResult<Vec<String>> {
    Ok(match table {
        Table::Customers => vec![
            text(row, "external_id")?,
            text(row, "name")?,
            text(row, "email")?,
            text(row, "segment")?,
            text(row, "region")?,
            time(row, "created_at")?,
        ],
        Table::Orders => {
            let currency = text(row, "currency")?;
            let minor: i64 = row.try_get("", "total_amount_minor").map_err(AppError::from_db)?;
            let digits = Currency::find(&currency)
                .ok_or_else(|| AppError::Internal(format!("stored currency '{currency}' is unknown")))?;
            vec![
                text(row, "external_id")?,
                text(row, "customer_external_id")?,
                time(row, "placed_at")?,
                text(row, "status")?,
                format_minor_units(minor, digits),
                currency,
            ]
        }
        Table::Touchpoints => vec![
            text(row, "external_id")?,
            text(row, "customer_external_id")?,
            text(row, "order_external_id")?,
            text(row, "kind")?,
            text(row, "channel")?,
            time(row, "occurred_at")?,
            time(row, "survey_sent_at")?,
        ],
        Table::Feedback => {
            let score: i32 = row.try_get("", "score").map_err(AppError::from_db)?;
            vec![
                text(row, "external_id")?,
                text(row, "customer_external_id")?,
                text(row, "touchpoint_external_id")?,
                text(row, "metric")?,
                score.to_string(),
                text(row, "comment")?,
                time(row, "submitted_at")?,
            ]
        }
        Table::Complaints => vec![
            text(row, "external_id")?,
            text(row, "customer_external_id")?,
            text(row, "order_external_id")?,
            text(row, "feedback_external_id")?,
            text(row, "category")?,
            text(row, "channel")?,
            time(row, "opened_at")?,
            time(row, "first_response_at")?,
            time(row, "resolved_at")?,
            text(row, "status")?,
            text(row, "outcome")?,
        ],
    })
}

/// Writes the CSV file of every table into `dir` (created if missing); returns the rows written per table.
pub async fn export(db: &DatabaseConnection, dir: &Path) -> AppResult<Vec<(Table, u64)>> {
    std::fs::create_dir_all(dir).map_err(|e| AppError::Internal(format!("cannot create {}: {e}", dir.display())))?;
    let mut written = Vec::new();
    for table in Table::ALL {
        let path = dir.join(table.file_name());
        let file =
            File::create(&path).map_err(|e| AppError::Internal(format!("cannot create {}: {e}", path.display())))?;
        let mut writer = csv::Writer::from_writer(BufWriter::new(file));
        let csv_error = |e: csv::Error| AppError::Internal(format!("cannot write {}: {e}", path.display()));
        writer.write_record(table.columns()).map_err(csv_error)?;
        let (mut after, mut count) = (0_i64, 0_u64);
        loop {
            let mut sql = Sql::new(db.get_database_backend());
            let id = id_column(table);
            sql.push(page_sql(table))
                .push(" WHERE ")
                .push(id)
                .push(" > ")
                .bind(after)
                .push(" ORDER BY ")
                .push(id)
                .push(" LIMIT ")
                .bind(PAGE);
            let rows = db.query_all_raw(sql.build()).await.map_err(AppError::from_db)?;
            for row in &rows {
                writer.write_record(cells(table, row)?).map_err(csv_error)?;
                after = row.try_get("", "id").map_err(AppError::from_db)?;
            }
            count += rows.len() as u64;
            if (rows.len() as i64) < PAGE {
                break;
            }
        }
        writer.flush().map_err(|e| AppError::Internal(format!("cannot write {}: {e}", path.display())))?;
        written.push((table, count));
    }
    Ok(written)
}
