//! The import/export formats: one CSV file per table (or NDJSON lines with a `type`), their columns, and
//! the parsing of one record into a validated write. Every error names the file, line and column.

use std::fmt;

use entity::{Channel, OrderStatus, SurveyMetric, TouchpointKind};
use sea_orm::ActiveEnum;

use crate::domain::currency::Currency;
use crate::domain::money::parse_major_units;
use crate::domain::time::parse_timestamp;
use crate::services::writes::{CustomerWrite, FeedbackWrite, OrderWrite, TouchpointWrite};

/// The tables, in the order an import writes them (parents first).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Table {
    Customers,
    Orders,
    Touchpoints,
    Feedback,
}

impl Table {
    pub const ALL: [Table; 4] = [Table::Customers, Table::Orders, Table::Touchpoints, Table::Feedback];

    pub fn file_name(self) -> &'static str {
        match self {
            Table::Customers => "customers.csv",
            Table::Orders => "orders.csv",
            Table::Touchpoints => "touchpoints.csv",
            Table::Feedback => "feedback.csv",
        }
    }

    /// The database table its rows go to.
    pub fn table_name(self) -> &'static str {
        use sea_orm::EntityName;
        match self {
            Table::Customers => entity::customer::Entity.table_name(),
            Table::Orders => entity::order::Entity.table_name(),
            Table::Touchpoints => entity::touchpoint::Entity.table_name(),
            Table::Feedback => entity::feedback::Entity.table_name(),
        }
    }

    /// The `type` of an NDJSON line.
    pub fn record_type(self) -> &'static str {
        match self {
            Table::Customers => "customer",
            Table::Orders => "order",
            Table::Touchpoints => "touchpoint",
            Table::Feedback => "feedback",
        }
    }

    /// The CSV header, in this order.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Table::Customers => &["external_id", "name", "email", "segment", "region", "created_at"],
            Table::Orders => {
                &["external_id", "customer_external_id", "placed_at", "status", "total_amount", "currency"]
            }
            Table::Touchpoints => &[
                "external_id",
                "customer_external_id",
                "order_external_id",
                "kind",
                "channel",
                "occurred_at",
                "survey_sent_at",
            ],
            Table::Feedback => &[
                "external_id",
                "customer_external_id",
                "touchpoint_external_id",
                "metric",
                "score",
                "comment",
                "submitted_at",
            ],
        }
    }
}

/// Where a problem is: file, line (1-based, the header is line 1 of a CSV file) and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: u64,
    pub column: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordError {
    pub location: Location,
    pub message: String,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Location { file, line, column } = &self.location;
        match column {
            Some(column) => write!(f, "{file}:{line}: column {column}: {}", self.message),
            None => write!(f, "{file}:{line}: {}", self.message),
        }
    }
}

/// One record's cells by column, whatever the source format.
pub struct Record {
    pub table: Table,
    pub file: String,
    pub line: u64,
    /// Aligned with `table.columns()`; None for an empty cell or a missing NDJSON field.
    pub cells: Vec<Option<String>>,
}

/// A parsed record, ready to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    Customer(CustomerWrite),
    Order(OrderWrite),
    Touchpoint(TouchpointWrite),
    Feedback(FeedbackWrite),
}

impl Row {
    pub fn external_id(&self) -> &str {
        match self {
            Row::Customer(w) => &w.external_id,
            Row::Order(w) => &w.external_id,
            Row::Touchpoint(w) => &w.external_id,
            Row::Feedback(w) => &w.external_id,
        }
    }
}

impl Record {
    pub fn error(&self, column: Option<&str>, message: impl Into<String>) -> RecordError {
        RecordError {
            location: Location { file: self.file.clone(), line: self.line, column: column.map(str::to_owned) },
            message: message.into(),
        }
    }

    fn cell(&self, column: &str) -> Option<&str> {
        let index = self.table.columns().iter().position(|c| *c == column)?;
        self.cells.get(index).and_then(|c| c.as_deref()).map(str::trim).filter(|c| !c.is_empty())
    }

    fn required(&self, column: &str) -> Result<&str, RecordError> {
        self.cell(column).ok_or_else(|| self.error(Some(column), "is required"))
    }

    fn text(&self, column: &str, max: usize) -> Result<String, RecordError> {
        let value = self.required(column)?;
        if value.chars().count() > max {
            return Err(self.error(Some(column), format!("at most {max} characters")));
        }
        if value.contains('\0') {
            return Err(self.error(Some(column), "must not contain NUL characters"));
        }
        Ok(value.to_owned())
    }

    fn optional_text(&self, column: &str, max: usize) -> Result<Option<String>, RecordError> {
        self.cell(column).map(|_| self.text(column, max)).transpose()
    }

    fn time(&self, column: &str) -> Result<chrono::DateTime<chrono::Utc>, RecordError> {
        parse_timestamp(column, self.required(column)?).map_err(|e| self.error(Some(column), message_of(e)))
    }

    fn optional_time(&self, column: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, RecordError> {
        self.cell(column).map(|_| self.time(column)).transpose()
    }

    fn enumeration<T: ActiveEnum<Value = String>>(&self, column: &str) -> Result<T, RecordError> {
        let raw = self.required(column)?;
        T::try_from_value(&raw.to_owned()).map_err(|_| {
            let known: Vec<String> = T::values();
            self.error(Some(column), format!("'{raw}' is not one of {}", known.join(", ")))
        })
    }

    /// Parses the record into a write, checking every value.
    pub fn parse(&self) -> Result<Row, RecordError> {
        Ok(match self.table {
            Table::Customers => {
                let email = self.text("email", 320)?;
                if !email.contains('@') || email.contains(char::is_whitespace) {
                    return Err(self.error(Some("email"), "not an e-mail address"));
                }
                Row::Customer(CustomerWrite {
                    external_id: self.text("external_id", 128)?,
                    name: self.text("name", 256)?,
                    email,
                    segment: self.text("segment", 64)?,
                    region: self.text("region", 64)?,
                    created_at: self.time("created_at")?,
                })
            }
            Table::Orders => {
                let code = self.required("currency")?;
                let currency =
                    Currency::parse("currency", code).map_err(|e| self.error(Some("currency"), message_of(e)))?;
                let amount = parse_major_units("total_amount", self.required("total_amount")?, currency)
                    .map_err(|e| self.error(Some("total_amount"), message_of(e)))?;
                Row::Order(OrderWrite {
                    external_id: self.text("external_id", 128)?,
                    customer_external_id: self.text("customer_external_id", 128)?,
                    placed_at: self.time("placed_at")?,
                    status: self.enumeration::<OrderStatus>("status")?,
                    total_amount_minor: amount,
                    currency: currency.code.to_owned(),
                })
            }
            Table::Touchpoints => {
                let occurred_at = self.time("occurred_at")?;
                let survey_sent_at = self.optional_time("survey_sent_at")?;
                if survey_sent_at.is_some_and(|sent| sent < occurred_at) {
                    return Err(
                        self.error(Some("survey_sent_at"), "a survey cannot be sent before the touchpoint happened")
                    );
                }
                Row::Touchpoint(TouchpointWrite {
                    external_id: self.text("external_id", 128)?,
                    customer_external_id: self.text("customer_external_id", 128)?,
                    order_external_id: self.optional_text("order_external_id", 128)?,
                    kind: self.enumeration::<TouchpointKind>("kind")?,
                    channel: self.enumeration::<Channel>("channel")?,
                    occurred_at,
                    survey_sent_at,
                })
            }
            Table::Feedback => {
                let metric = self.enumeration::<SurveyMetric>("metric")?;
                let raw = self.required("score")?;
                let score: i32 =
                    raw.parse().map_err(|_| self.error(Some("score"), format!("'{raw}' is not a whole number")))?;
                let (low, high) = metric.score_range();
                if !(low..=high).contains(&score) {
                    return Err(self.error(
                        Some("score"),
                        format!("{} scores are {low} to {high}, not {score}", metric.to_value()),
                    ));
                }
                Row::Feedback(FeedbackWrite {
                    external_id: self.text("external_id", 128)?,
                    customer_external_id: self.text("customer_external_id", 128)?,
                    touchpoint_external_id: self.optional_text("touchpoint_external_id", 128)?,
                    metric,
                    score,
                    comment: self.optional_text("comment", 10_000)?,
                    submitted_at: self.time("submitted_at")?,
                })
            }
        })
    }
}

/// The message of a domain error, without the field prefix (the location names the column).
fn message_of(error: crate::error::AppError) -> String {
    match error {
        crate::error::AppError::BadUserInput { message, .. } => message,
        other => other.to_string(),
    }
}
