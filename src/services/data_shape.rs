//! How much data there is, for pricing requests.

use entity::customer;
use sea_orm::{ConnectionTrait, EntityName, Statement};

use crate::error::{AppError, AppResult};

/// Customers, and their distinct segments and regions.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CustomerCounts {
    pub customers: u64,
    pub segments: u64,
    pub regions: u64,
}

pub async fn count_customers(db: &impl ConnectionTrait) -> AppResult<CustomerCounts> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT COUNT(*) AS customers, COUNT(DISTINCT segment) AS segments, COUNT(DISTINCT region) AS regions \
         FROM {}",
        customer::Entity.table_name()
    );
    let row = db.query_one_raw(Statement::from_string(backend, sql)).await.map_err(AppError::from_db)?;
    let count = |column: &str| -> AppResult<u64> {
        let value: i64 = match &row {
            Some(row) => row.try_get("", column).map_err(AppError::from_db)?,
            None => 0,
        };
        Ok(u64::try_from(value).unwrap_or(0))
    };
    Ok(CustomerCounts { customers: count("customers")?, segments: count("segments")?, regions: count("regions")? })
}
