//! The rules a record must keep to be written, for every write path (the mutations and the import):
//! one place that accepts or refuses a record, with one message per refusal.
//!
//! A refusal is typed: [`Invalid`] names the record's [`Field`] (and its place in a batch) and the
//! [`Rule`] it breaks, whose `Display` is the message. Each caller says where the field is in its own
//! terms: the GraphQL layer as an input path (`input.email`), the import as `file:line: column email`.

mod records;
mod rules;

use std::fmt;

use entity::{ComplaintStatus, SurveyMetric};
use sea_orm::ActiveEnum;

pub use records::{ComplaintWrite, CustomerWrite, FeedbackWrite, OrderWrite, TouchpointWrite};
pub use rules::{
    amount, batch_size, bounded, closing_status, complaint_handling, currency, email, existing, foreign_reference,
    one_of, optional_text, score, survey_sent_at, text, timestamp, whole_number,
};

/// Longest external id.
pub const MAX_EXTERNAL_ID: usize = 128;
/// Longest name, and longest filter value.
pub const MAX_TEXT: usize = 256;
/// Longest e-mail address.
pub const MAX_EMAIL: usize = 320;
/// Longest segment or region.
pub const MAX_LABEL: usize = 64;
/// Longest comment.
pub const MAX_COMMENT: usize = 10_000;
/// The most answers one batch write takes.
pub const MAX_BATCH: usize = 1_000;

/// A field of a record, by its name in the data (snake case, as the import's columns spell it).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    ExternalId,
    Name,
    Email,
    Segment,
    Region,
    CreatedAt,
    CustomerExternalId,
    PlacedAt,
    Status,
    TotalAmount,
    Currency,
    OrderExternalId,
    Kind,
    Channel,
    OccurredAt,
    SurveySentAt,
    TouchpointExternalId,
    Metric,
    Score,
    Comment,
    SubmittedAt,
    FeedbackExternalId,
    Category,
    OpenedAt,
    FirstResponseAt,
    ResolvedAt,
    Outcome,
}

impl Field {
    pub const fn name(self) -> &'static str {
        match self {
            Field::ExternalId => "external_id",
            Field::Name => "name",
            Field::Email => "email",
            Field::Segment => "segment",
            Field::Region => "region",
            Field::CreatedAt => "created_at",
            Field::CustomerExternalId => "customer_external_id",
            Field::PlacedAt => "placed_at",
            Field::Status => "status",
            Field::TotalAmount => "total_amount",
            Field::Currency => "currency",
            Field::OrderExternalId => "order_external_id",
            Field::Kind => "kind",
            Field::Channel => "channel",
            Field::OccurredAt => "occurred_at",
            Field::SurveySentAt => "survey_sent_at",
            Field::TouchpointExternalId => "touchpoint_external_id",
            Field::Metric => "metric",
            Field::Score => "score",
            Field::Comment => "comment",
            Field::SubmittedAt => "submitted_at",
            Field::FeedbackExternalId => "feedback_external_id",
            Field::Category => "category",
            Field::OpenedAt => "opened_at",
            Field::FirstResponseAt => "first_response_at",
            Field::ResolvedAt => "resolved_at",
            Field::Outcome => "outcome",
        }
    }
}

/// The kinds of record written by external id.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum RecordKind {
    Customer,
    Order,
    Touchpoint,
    Feedback,
    Complaint,
}

impl RecordKind {
    /// The record in a sentence: "no order with external id ...".
    pub const fn noun(self) -> &'static str {
        match self {
            RecordKind::Customer => "customer",
            RecordKind::Order => "order",
            RecordKind::Touchpoint => "touchpoint",
            RecordKind::Feedback => "answer",
            RecordKind::Complaint => "complaint",
        }
    }
}

/// The rule a refused value breaks, with what its message needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    /// A required value is missing or blank.
    Required,
    TooLong {
        max: usize,
    },
    /// PostgreSQL text cannot hold NUL.
    Nul,
    NotEmail,
    /// Not a timestamp; `why` says what the parser expected.
    NotTimestamp {
        why: String,
    },
    /// Not an amount of the currency; `why` says what is wrong with it.
    NotAmount {
        why: String,
    },
    NotCurrency {
        code: String,
    },
    NotWholeNumber {
        raw: String,
    },
    NotOneOf {
        raw: String,
        known: Vec<String>,
    },
    /// A score outside its metric's scale.
    OffScale {
        metric: SurveyMetric,
        score: i32,
    },
    SurveyBeforeTouchpoint,
    /// A reference to a record that does not exist.
    Unknown {
        kind: RecordKind,
        external_id: String,
    },
    /// A reference to a record of another customer than the referring one's.
    OtherCustomers {
        kind: RecordKind,
        external_id: String,
        customer: String,
    },
    /// Giving a record that has children (an order's touchpoints, a touchpoint's answers) to another
    /// customer: the children would stay with the old one.
    MovesChildren {
        parent: RecordKind,
    },
    /// A batch larger than [`MAX_BATCH`].
    TooMany {
        actual: usize,
    },
    /// A record twice in one batch: `first` is its first place.
    Repeated {
        external_id: String,
        first: usize,
    },
    /// Deleting a touchpoint that has answers, without deleting them with it.
    HasAnswers {
        count: u64,
    },
    /// Giving an order or an answer that complaints refer to to another customer: the complaints would
    /// refer to another customer's order or answer.
    MovesComplaints {
        parent: RecordKind,
    },
    /// A complaint's handling time before it was opened.
    BeforeOpening,
    /// A complaint closed before its first response.
    BeforeFirstResponse,
    /// A complaint opened after it was answered.
    AfterFirstResponse,
    /// A complaint opened before the answer that raised it.
    BeforeAnswer,
    /// A value a complaint of this status must have.
    NeededByStatus {
        status: ComplaintStatus,
    },
    /// A value a complaint of this status cannot have yet.
    ExcludedByStatus {
        status: ComplaintStatus,
    },
    /// A closing status that is not one.
    NotClosing,
    /// A second first response.
    AlreadyAnswered {
        at: String,
    },
    /// Closing a closed complaint again.
    AlreadyClosed,
    /// An answer that already raised another complaint.
    RaisedAnother {
        complaint: String,
    },
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Required => write!(f, "must not be empty"),
            Rule::TooLong { max } => write!(f, "at most {max} characters"),
            Rule::Nul => write!(f, "must not contain NUL characters"),
            Rule::NotEmail => write!(f, "not an e-mail address"),
            Rule::NotTimestamp { why } | Rule::NotAmount { why } => write!(f, "{why}"),
            Rule::NotCurrency { code } => write!(f, "'{code}' is not an ISO 4217 currency code"),
            Rule::NotWholeNumber { raw } => write!(f, "'{raw}' is not a whole number"),
            Rule::NotOneOf { raw, known } => write!(f, "'{raw}' is not one of {}", known.join(", ")),
            Rule::OffScale { metric, score } => {
                let (low, high) = metric.score_range();
                write!(f, "{} scores are {low} to {high}, not {score}", metric.to_value())
            }
            Rule::SurveyBeforeTouchpoint => write!(f, "a survey cannot be sent before the touchpoint happened"),
            Rule::Unknown { kind, external_id } => write!(f, "no {} with external id '{external_id}'", kind.noun()),
            Rule::OtherCustomers { kind, external_id, customer } => {
                write!(f, "{} '{external_id}' belongs to another customer than '{customer}'", kind.noun())
            }
            Rule::MovesChildren { parent: RecordKind::Order } => {
                write!(f, "the order has touchpoints of another customer")
            }
            Rule::MovesChildren { parent } => write!(f, "the {} has answers of another customer", parent.noun()),
            Rule::TooMany { actual } => write!(f, "at most {MAX_BATCH} answers, not {actual}"),
            Rule::Repeated { external_id, first } => {
                write!(f, "'{external_id}' is also record {first} of the batch: each answer once per batch")
            }
            Rule::HasAnswers { count } => write!(f, "the touchpoint has {count} answers: delete them with it"),
            Rule::MovesComplaints { parent: RecordKind::Feedback } => {
                write!(f, "the answer raised a complaint of another customer")
            }
            Rule::MovesComplaints { parent } => write!(f, "the {} has complaints of another customer", parent.noun()),
            Rule::BeforeOpening => write!(f, "must not be before the complaint was opened"),
            Rule::BeforeFirstResponse => write!(f, "must not be before the complaint's first response"),
            Rule::AfterFirstResponse => write!(f, "must not be after the complaint's first response"),
            Rule::BeforeAnswer => write!(f, "must not be before the answer that raised the complaint"),
            Rule::NeededByStatus { status } => write!(f, "required when the status is {}", status.to_value()),
            Rule::ExcludedByStatus { status } => write!(f, "must be empty while the status is {}", status.to_value()),
            Rule::NotClosing => write!(f, "must be RESOLVED or UNRESOLVED_CLOSED"),
            Rule::AlreadyAnswered { at } => write!(f, "the complaint was already answered, at {at}"),
            Rule::AlreadyClosed => write!(f, "the complaint is closed: reopen it first"),
            Rule::RaisedAnother { complaint } => write!(f, "the answer already raised complaint '{complaint}'"),
        }
    }
}

/// A refused record: which field (none for the record or batch as a whole), where in a batch, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// The record's place in a batch; none for a single record.
    pub item: Option<usize>,
    pub field: Option<Field>,
    pub rule: Rule,
}

impl Invalid {
    pub fn new(field: Field, rule: Rule) -> Invalid {
        Invalid { item: None, field: Some(field), rule }
    }

    /// A refusal of a batch or a record as a whole.
    pub fn whole(rule: Rule) -> Invalid {
        Invalid { item: None, field: None, rule }
    }

    /// The same refusal, of the batch's `item`th record.
    pub fn at(self, item: usize) -> Invalid {
        Invalid { item: Some(item), ..self }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(item) = self.item {
            write!(f, "[{item}]")?;
        }
        match (self.item, self.field) {
            (None, Some(field)) => write!(f, "{}: ", field.name())?,
            (Some(_), Some(field)) => write!(f, ".{}: ", field.name())?,
            (Some(_), None) => write!(f, ": ")?,
            (None, None) => {}
        }
        write!(f, "{}", self.rule)
    }
}

impl std::error::Error for Invalid {}
