//! The import/export formats: one CSV file per table (or NDJSON lines with a `type`), their columns, and
//! the parsing of one record into a validated write. Every error names the file, line and column.

use std::fmt;

use chrono::{DateTime, Utc};
use entity::{
    Channel, ComplaintCategory, ComplaintOutcome, ComplaintStatus, OrderStatus, SurveyMetric, TouchpointKind,
};
use sea_orm::ActiveEnum;

use crate::domain::validation::{self, Field, Invalid, Rule};
use crate::services::writes::{ComplaintWrite, CustomerWrite, FeedbackWrite, OrderWrite, TouchpointWrite};

/// The tables, in the order an import writes them (parents first).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Table {
    Customers,
    Orders,
    Touchpoints,
    Feedback,
    Complaints,
}

impl Table {
    pub const ALL: [Table; 5] =
        [Table::Customers, Table::Orders, Table::Touchpoints, Table::Feedback, Table::Complaints];

    pub fn file_name(self) -> &'static str {
        match self {
            Table::Customers => "customers.csv",
            Table::Orders => "orders.csv",
            Table::Touchpoints => "touchpoints.csv",
            Table::Feedback => "feedback.csv",
            Table::Complaints => "complaints.csv",
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
            Table::Complaints => entity::complaint::Entity.table_name(),
        }
    }

    /// The `type` of an NDJSON line.
    pub fn record_type(self) -> &'static str {
        match self {
            Table::Customers => "customer",
            Table::Orders => "order",
            Table::Touchpoints => "touchpoint",
            Table::Feedback => "feedback",
            Table::Complaints => "complaint",
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
            Table::Complaints => &[
                "external_id",
                "customer_external_id",
                "order_external_id",
                "feedback_external_id",
                "category",
                "channel",
                "opened_at",
                "first_response_at",
                "resolved_at",
                "status",
                "outcome",
            ],
        }
    }
}

/// Where a problem is: file, line (1-based, the header is line 1 of a CSV file; 0 for the whole file) and
/// column.
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
        write!(f, "{file}")?;
        if *line > 0 {
            write!(f, ":{line}")?;
        }
        if let Some(column) = column {
            write!(f, ": column {column}")?;
        }
        write!(f, ": {}", self.message)
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
    Complaint(ComplaintWrite),
}

impl Row {
    pub fn external_id(&self) -> &str {
        match self {
            Row::Customer(w) => &w.external_id,
            Row::Order(w) => &w.external_id,
            Row::Touchpoint(w) => &w.external_id,
            Row::Feedback(w) => &w.external_id,
            Row::Complaint(w) => &w.external_id,
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

    /// A refusal of this record, at the column of its field (the columns are the fields' names).
    pub fn refusal(&self, invalid: Invalid) -> RecordError {
        self.error(invalid.field.map(Field::name), invalid.rule.to_string())
    }

    fn cell(&self, field: Field) -> Option<&str> {
        let index = self.table.columns().iter().position(|c| *c == field.name())?;
        self.cells.get(index).and_then(|c| c.as_deref()).map(str::trim).filter(|c| !c.is_empty())
    }

    fn required(&self, field: Field) -> Result<&str, Invalid> {
        self.cell(field).ok_or(Invalid::new(field, Rule::Required))
    }

    /// A text cell, checked by the record's rules: an empty one is blank.
    fn text(&self, field: Field) -> String {
        self.cell(field).unwrap_or_default().to_owned()
    }

    fn optional_text(&self, field: Field) -> Option<String> {
        self.cell(field).map(str::to_owned)
    }

    fn time(&self, field: Field) -> Result<DateTime<Utc>, Invalid> {
        validation::timestamp(field, self.required(field)?)
    }

    fn optional_time(&self, field: Field) -> Result<Option<DateTime<Utc>>, Invalid> {
        self.cell(field).map(|_| self.time(field)).transpose()
    }

    fn enumeration<T: ActiveEnum<Value = String>>(&self, field: Field) -> Result<T, Invalid> {
        validation::one_of(field, self.required(field)?)
    }

    fn optional_enumeration<T: ActiveEnum<Value = String>>(&self, field: Field) -> Result<Option<T>, Invalid> {
        self.cell(field).map(|_| self.enumeration(field)).transpose()
    }

    /// Parses the record into a write, checking every value by the rules of every write path.
    pub fn parse(&self) -> Result<Row, RecordError> {
        self.parse_checked().map_err(|invalid| self.refusal(invalid))
    }

    fn parse_checked(&self) -> Result<Row, Invalid> {
        Ok(match self.table {
            Table::Customers => Row::Customer(
                CustomerWrite {
                    external_id: self.text(Field::ExternalId),
                    name: self.text(Field::Name),
                    email: self.text(Field::Email),
                    segment: self.text(Field::Segment),
                    region: self.text(Field::Region),
                    created_at: self.time(Field::CreatedAt)?,
                }
                .validated()?,
            ),
            Table::Orders => {
                let currency = validation::currency(self.required(Field::Currency)?)?;
                Row::Order(
                    OrderWrite {
                        external_id: self.text(Field::ExternalId),
                        customer_external_id: self.text(Field::CustomerExternalId),
                        placed_at: self.time(Field::PlacedAt)?,
                        status: self.enumeration::<OrderStatus>(Field::Status)?,
                        total_amount_minor: validation::amount(self.required(Field::TotalAmount)?, currency)?,
                        currency: currency.code.to_owned(),
                    }
                    .validated()?,
                )
            }
            Table::Touchpoints => Row::Touchpoint(
                TouchpointWrite {
                    external_id: self.text(Field::ExternalId),
                    customer_external_id: self.text(Field::CustomerExternalId),
                    order_external_id: self.optional_text(Field::OrderExternalId),
                    kind: self.enumeration::<TouchpointKind>(Field::Kind)?,
                    channel: self.enumeration::<Channel>(Field::Channel)?,
                    occurred_at: self.time(Field::OccurredAt)?,
                    survey_sent_at: self.optional_time(Field::SurveySentAt)?,
                }
                .validated()?,
            ),
            Table::Feedback => Row::Feedback(
                FeedbackWrite {
                    external_id: self.text(Field::ExternalId),
                    customer_external_id: self.text(Field::CustomerExternalId),
                    touchpoint_external_id: self.optional_text(Field::TouchpointExternalId),
                    metric: self.enumeration::<SurveyMetric>(Field::Metric)?,
                    score: validation::whole_number(Field::Score, self.required(Field::Score)?)?,
                    comment: self.optional_text(Field::Comment),
                    submitted_at: self.time(Field::SubmittedAt)?,
                }
                .validated()?,
            ),
            Table::Complaints => Row::Complaint(
                ComplaintWrite {
                    external_id: self.text(Field::ExternalId),
                    customer_external_id: self.text(Field::CustomerExternalId),
                    order_external_id: self.optional_text(Field::OrderExternalId),
                    feedback_external_id: self.optional_text(Field::FeedbackExternalId),
                    category: self.enumeration::<ComplaintCategory>(Field::Category)?,
                    channel: self.enumeration::<Channel>(Field::Channel)?,
                    opened_at: self.time(Field::OpenedAt)?,
                    first_response_at: self.optional_time(Field::FirstResponseAt)?,
                    resolved_at: self.optional_time(Field::ResolvedAt)?,
                    status: self.enumeration::<ComplaintStatus>(Field::Status)?,
                    outcome: self.optional_enumeration::<ComplaintOutcome>(Field::Outcome)?,
                }
                .validated()?,
            ),
        })
    }
}
