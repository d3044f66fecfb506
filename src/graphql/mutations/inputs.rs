//! The inputs of the mutations, and how each becomes a write the services validate.

use async_graphql::{ID, InputObject};

use crate::domain::validation::{self, Invalid};
use crate::graphql::enums::{
    Channel, ComplaintCategory, ComplaintOutcome, ComplaintStatus, OrderStatus, SurveyMetric, TouchpointKind,
};
use crate::graphql::scalars::{CurrencyCode, DateTime, Decimal};
use crate::services::writes::{ComplaintWrite, CustomerWrite, FeedbackWrite, OrderWrite, TouchpointWrite};

/// A customer, created or updated by `externalId`.
#[derive(InputObject)]
pub struct CustomerInput {
    /// The customer's id in the source system.
    pub external_id: String,
    /// Full name.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Segment, e.g. `consumer`.
    pub segment: String,
    /// Region, e.g. `EMEA`.
    pub region: String,
    /// When the customer was created in the source system.
    pub created_at: DateTime,
}

impl CustomerInput {
    pub(super) fn into_write(self) -> Result<CustomerWrite, Invalid> {
        CustomerWrite {
            external_id: self.external_id,
            name: self.name,
            email: self.email,
            segment: self.segment,
            region: self.region,
            created_at: self.created_at.0,
        }
        .validated()
    }
}

/// An order, created or updated by `externalId`.
#[derive(InputObject)]
pub struct OrderInput {
    /// The order's id in the source system.
    pub external_id: String,
    /// The external id of the customer who placed it.
    pub customer_external_id: String,
    /// When it was placed.
    pub placed_at: DateTime,
    /// Its state.
    pub status: OrderStatus,
    /// The total in major units, e.g. `12.50`; no more decimals than the currency has.
    pub total_amount: Decimal,
    /// The ISO 4217 currency of the total.
    pub currency: CurrencyCode,
}

impl OrderInput {
    pub(super) fn into_write(self) -> Result<OrderWrite, Invalid> {
        OrderWrite {
            external_id: self.external_id,
            customer_external_id: self.customer_external_id,
            placed_at: self.placed_at.0,
            status: self.status.into(),
            total_amount_minor: validation::amount(&self.total_amount.0, self.currency.0)?,
            currency: self.currency.0.code.to_owned(),
        }
        .validated()
    }
}

/// A touchpoint, created or updated by `externalId`. An update replaces the stored row: an optional
/// field left out (or null) clears its stored value.
#[derive(InputObject)]
pub struct TouchpointInput {
    /// The touchpoint's id in the source system.
    pub external_id: String,
    /// The external id of the customer met.
    pub customer_external_id: String,
    /// The external id of the order it belongs to, which must be the same customer's; none for
    /// touchpoints not tied to an order.
    pub order_external_id: Option<String>,
    /// The journey moment.
    pub kind: TouchpointKind,
    /// The medium.
    pub channel: Channel,
    /// When it happened.
    pub occurred_at: DateTime,
    /// When its survey was sent, not before `occurredAt`; none if no survey was sent.
    pub survey_sent_at: Option<DateTime>,
}

impl TouchpointInput {
    pub(super) fn into_write(self) -> Result<TouchpointWrite, Invalid> {
        TouchpointWrite {
            external_id: self.external_id,
            customer_external_id: self.customer_external_id,
            order_external_id: self.order_external_id,
            kind: self.kind.into(),
            channel: self.channel.into(),
            occurred_at: self.occurred_at.0,
            survey_sent_at: self.survey_sent_at.map(|t| t.0),
        }
        .validated()
    }
}

/// A survey answer, created or updated by `externalId`. An update replaces the stored row: an optional
/// field left out (or null) clears its stored value (the answer leaves its touchpoint, the comment goes).
#[derive(InputObject)]
pub struct FeedbackInput {
    /// The answer's id in the source system.
    pub external_id: String,
    /// The external id of the customer who answered.
    pub customer_external_id: String,
    /// The external id of the touchpoint whose survey this answers (the same customer's); none for
    /// relationship surveys.
    pub touchpoint_external_id: Option<String>,
    /// The survey question.
    pub metric: SurveyMetric,
    /// The score: NPS 0-10, CSAT 1-5, CES 1-7.
    pub score: i32,
    /// A free-text comment; empty means none.
    pub comment: Option<String>,
    /// When it was submitted.
    pub submitted_at: DateTime,
}

impl FeedbackInput {
    pub(super) fn into_write(self) -> Result<FeedbackWrite, Invalid> {
        FeedbackWrite {
            external_id: self.external_id,
            customer_external_id: self.customer_external_id,
            touchpoint_external_id: self.touchpoint_external_id,
            metric: self.metric.into(),
            score: self.score,
            comment: self.comment,
            submitted_at: self.submitted_at.0,
        }
        .validated()
    }
}

/// A complaint opened, or what an existing one was opened with, corrected by `externalId`; its
/// handling (response, closing) stays as it is. A correction replaces what it was opened with: an
/// optional field left out (or null) clears its stored value.
#[derive(InputObject)]
pub struct ComplaintOpeningInput {
    /// The complaint's id in the source system.
    pub external_id: String,
    /// The external id of the customer who complained.
    pub customer_external_id: String,
    /// The external id of the order complained about, which must be the same customer's; none for
    /// complaints not about one order.
    pub order_external_id: Option<String>,
    /// The external id of the answer that raised the complaint (the same customer's, submitted at or
    /// before `openedAt`, and having raised no other complaint); none when it was raised otherwise.
    pub feedback_external_id: Option<String>,
    /// What the complaint is about.
    pub category: ComplaintCategory,
    /// The medium it was made on.
    pub channel: Channel,
    /// When it was opened: not after its first response.
    pub opened_at: DateTime,
}

impl ComplaintOpeningInput {
    pub(super) fn into_write(self) -> Result<ComplaintWrite, Invalid> {
        ComplaintWrite {
            external_id: self.external_id,
            customer_external_id: self.customer_external_id,
            order_external_id: self.order_external_id,
            feedback_external_id: self.feedback_external_id,
            category: self.category.into(),
            channel: self.channel.into(),
            opened_at: self.opened_at.0,
            first_response_at: None,
            resolved_at: None,
            status: entity::ComplaintStatus::Open,
            outcome: None,
        }
        .validated()
    }
}

/// The first response to a complaint.
#[derive(InputObject)]
pub struct ComplaintResponseInput {
    /// The complaint's global ID (or give `externalId`).
    pub id: Option<ID>,
    /// The complaint's external id (or give `id`).
    pub external_id: Option<String>,
    /// When the customer first got an answer: not before the complaint was opened.
    pub first_response_at: DateTime,
}

/// The closing of a complaint.
#[derive(InputObject)]
pub struct ComplaintResolutionInput {
    /// The complaint's global ID (or give `externalId`).
    pub id: Option<ID>,
    /// The complaint's external id (or give `id`).
    pub external_id: Option<String>,
    /// When it was closed: not before it was opened, nor before its first response.
    pub resolved_at: DateTime,
    /// What it gave the customer.
    pub outcome: ComplaintOutcome,
    /// RESOLVED (the default) or UNRESOLVED_CLOSED.
    #[graphql(default_with = "ComplaintStatus::Resolved")]
    pub status: ComplaintStatus,
}
