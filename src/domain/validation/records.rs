//! The records the write paths write, and the rules each keeps on its own (references to other records
//! are checked against the data by the writes).

use chrono::{DateTime, Utc};
use entity::{
    Channel, ComplaintCategory, ComplaintOutcome, ComplaintStatus, OrderStatus, SurveyMetric, TouchpointKind,
};

use crate::domain::validation::rules::{
    complaint_handling, currency, email, optional_text, score, survey_sent_at, text,
};
use crate::domain::validation::{Field, Invalid, MAX_COMMENT, MAX_EXTERNAL_ID, MAX_LABEL, MAX_TEXT};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerWrite {
    pub external_id: String,
    pub name: String,
    pub email: String,
    pub segment: String,
    pub region: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderWrite {
    pub external_id: String,
    pub customer_external_id: String,
    pub placed_at: DateTime<Utc>,
    pub status: OrderStatus,
    pub total_amount_minor: i64,
    /// An ISO 4217 code.
    pub currency: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TouchpointWrite {
    pub external_id: String,
    pub customer_external_id: String,
    pub order_external_id: Option<String>,
    pub kind: TouchpointKind,
    pub channel: Channel,
    pub occurred_at: DateTime<Utc>,
    pub survey_sent_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedbackWrite {
    pub external_id: String,
    pub customer_external_id: String,
    pub touchpoint_external_id: Option<String>,
    pub metric: SurveyMetric,
    /// On the metric's scale.
    pub score: i32,
    pub comment: Option<String>,
    pub submitted_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComplaintWrite {
    pub external_id: String,
    pub customer_external_id: String,
    pub order_external_id: Option<String>,
    /// The answer that raised the complaint.
    pub feedback_external_id: Option<String>,
    pub category: ComplaintCategory,
    pub channel: Channel,
    pub opened_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    /// When the complaint was closed, resolved or not.
    pub resolved_at: Option<DateTime<Utc>>,
    pub status: ComplaintStatus,
    pub outcome: Option<ComplaintOutcome>,
}

/// An external id: required, at most [`MAX_EXTERNAL_ID`] characters.
fn external_id(field: Field, value: &str) -> Result<String, Invalid> {
    text(field, value, MAX_EXTERNAL_ID)
}

fn optional_external_id(field: Field, value: Option<&str>) -> Result<Option<String>, Invalid> {
    optional_text(field, value, MAX_EXTERNAL_ID)
}

impl CustomerWrite {
    /// The record with its texts trimmed, or the first rule it breaks.
    pub fn validated(self) -> Result<CustomerWrite, Invalid> {
        Ok(CustomerWrite {
            external_id: external_id(Field::ExternalId, &self.external_id)?,
            name: text(Field::Name, &self.name, MAX_TEXT)?,
            email: email(&self.email)?,
            segment: text(Field::Segment, &self.segment, MAX_LABEL)?,
            region: text(Field::Region, &self.region, MAX_LABEL)?,
            created_at: self.created_at,
        })
    }
}

impl OrderWrite {
    /// The record with its texts trimmed, or the first rule it breaks.
    pub fn validated(self) -> Result<OrderWrite, Invalid> {
        Ok(OrderWrite {
            external_id: external_id(Field::ExternalId, &self.external_id)?,
            customer_external_id: external_id(Field::CustomerExternalId, &self.customer_external_id)?,
            currency: currency(&self.currency)?.code.to_owned(),
            ..self
        })
    }
}

impl TouchpointWrite {
    /// The record with its texts trimmed, or the first rule it breaks.
    pub fn validated(self) -> Result<TouchpointWrite, Invalid> {
        Ok(TouchpointWrite {
            external_id: external_id(Field::ExternalId, &self.external_id)?,
            customer_external_id: external_id(Field::CustomerExternalId, &self.customer_external_id)?,
            order_external_id: optional_external_id(Field::OrderExternalId, self.order_external_id.as_deref())?,
            survey_sent_at: survey_sent_at(self.occurred_at, self.survey_sent_at)?,
            ..self
        })
    }
}

impl FeedbackWrite {
    /// The record with its texts trimmed (a blank comment is none), or the first rule it breaks.
    pub fn validated(self) -> Result<FeedbackWrite, Invalid> {
        Ok(FeedbackWrite {
            external_id: external_id(Field::ExternalId, &self.external_id)?,
            customer_external_id: external_id(Field::CustomerExternalId, &self.customer_external_id)?,
            touchpoint_external_id: optional_external_id(
                Field::TouchpointExternalId,
                self.touchpoint_external_id.as_deref(),
            )?,
            score: score(self.metric, self.score)?,
            comment: optional_text(Field::Comment, self.comment.as_deref(), MAX_COMMENT)?,
            ..self
        })
    }
}

impl ComplaintWrite {
    /// The record with its texts trimmed, or the first rule it breaks (its handling: `complaint_handling`).
    pub fn validated(self) -> Result<ComplaintWrite, Invalid> {
        complaint_handling(
            self.opened_at,
            self.first_response_at,
            self.resolved_at,
            self.status,
            self.outcome.is_some(),
        )?;
        Ok(ComplaintWrite {
            external_id: external_id(Field::ExternalId, &self.external_id)?,
            customer_external_id: external_id(Field::CustomerExternalId, &self.customer_external_id)?,
            order_external_id: optional_external_id(Field::OrderExternalId, self.order_external_id.as_deref())?,
            feedback_external_id: optional_external_id(
                Field::FeedbackExternalId,
                self.feedback_external_id.as_deref(),
            )?,
            ..self
        })
    }
}
