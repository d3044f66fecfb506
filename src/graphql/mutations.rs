//! The root `Mutation` type, for admin consoles: upserts by external id, status changes, a complaint's
//! handling, deletes and privacy erasure. Every mutation is one transaction; an invalid input is BAD_USER_INPUT naming the field
//! and changes nothing; repeating a mutation changes nothing the second time.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use entity::{complaint, customer, feedback, order, touchpoint};
use sea_orm::PrimaryKeyTrait;

use crate::domain::currency::Currency;
use crate::domain::ids::NodeType;
use crate::domain::validation::{self, Invalid, Rule};
use crate::error::{AppError, AppResult};
use crate::events::{Events, Topic};
use crate::graphql::clv::{ClvModel, ClvTimeUnit};
use crate::graphql::complaints::Complaint;
use crate::graphql::connection::database;
use crate::graphql::customers::Customer;
use crate::graphql::enums::{
    Channel, ComplaintCategory, ComplaintOutcome, ComplaintStatus, OrderStatus, SurveyMetric, TouchpointKind,
};
use crate::graphql::feedback::Feedback;
use crate::graphql::inputs::{RowKey, row_key};
use crate::graphql::node::global_id;
use crate::graphql::orders::Order;
use crate::graphql::scalars::{CurrencyCode, DateTime, Decimal};
use crate::graphql::touchpoints::Touchpoint;
use crate::services::clv;
use crate::services::clv::fit::FitRequest;
use crate::services::lookups::{self, ExternalKey};
use crate::services::writes::{
    self, AnswerQueue, ComplaintWrite, CustomerWrite, FeedbackWrite, OrderWrite, TouchpointWrite,
};

/// Names a refused write's field by its input path under `path` (`input.email`, `inputs[3].score`):
/// the services and the validation name fields as the data does (`email`, `score`).
fn at<E: Into<AppError>>(path: &str) -> impl Fn(E) -> AppError + '_ {
    move |error| match error.into() {
        AppError::Invalid(invalid) => refusal(invalid, path),
        other => other,
    }
}

fn refusal(invalid: Invalid, path: &str) -> AppError {
    let mut field = path.to_owned();
    if let Some(item) = invalid.item {
        field.push_str(&format!("[{item}]"));
    }
    if let Some(name) = invalid.field {
        field.push('.');
        field.push_str(&camel_case(name.name()));
    }
    // The messages that point at other inputs, in the schema's terms.
    let message = match invalid.rule {
        Rule::Repeated { external_id, first } => {
            format!("'{external_id}' is also {path}[{first}]: each answer once per batch")
        }
        Rule::HasAnswers { count } => {
            format!("the touchpoint has {count} answers: pass withFeedback: true to delete them with it")
        }
        rule => rule.to_string(),
    };
    AppError::bad_input(field, message)
}

/// `customer_external_id` -> `customerExternalId`, as the schema names input fields.
fn camel_case(snake: &str) -> String {
    let mut words = snake.split('_');
    let mut camel = words.next().unwrap_or_default().to_owned();
    for word in words {
        let mut chars = word.chars();
        camel.extend(chars.next().map(|c| c.to_ascii_uppercase()));
        camel.push_str(chars.as_str());
    }
    camel
}

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
    fn into_write(self) -> Result<CustomerWrite, Invalid> {
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
    fn into_write(self) -> Result<OrderWrite, Invalid> {
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
    fn into_write(self) -> Result<TouchpointWrite, Invalid> {
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
    fn into_write(self) -> Result<FeedbackWrite, Invalid> {
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
    fn into_write(self) -> Result<ComplaintWrite, Invalid> {
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

macro_rules! upsert_payload {
    ($(#[$meta:meta])* $name:ident, $field:ident: $ty:ident) => {
        $(#[$meta])*
        #[derive(SimpleObject)]
        pub struct $name {
            /// The row as stored now.
            pub $field: $ty,
            /// Whether the row was created by this mutation.
            pub created: bool,
            /// Whether this mutation changed anything (false when repeated).
            pub changed: bool,
        }
    };
}

upsert_payload!(
    /// The result of `upsertCustomer`.
    CustomerUpsert, customer: Customer
);
upsert_payload!(
    /// The result of `upsertOrder`.
    OrderUpsert, order: Order
);
upsert_payload!(
    /// The result of `upsertTouchpoint`.
    TouchpointUpsert, touchpoint: Touchpoint
);
upsert_payload!(
    /// The result of `upsertFeedback`.
    FeedbackUpsert, feedback: Feedback
);

upsert_payload!(
    /// The result of a complaint mutation (`openComplaint`, `respondToComplaint`, `resolveComplaint`,
    /// `reopenComplaint`).
    ComplaintChange, complaint: Complaint
);

/// The result of `upsertFeedbacks`.
#[derive(SimpleObject)]
pub struct FeedbackBatchUpsert {
    /// One result per input, in the inputs' order.
    pub results: Vec<FeedbackUpsert>,
    /// How many answers were created.
    pub created: u64,
    /// How many answers changed, the created ones included.
    pub changed: u64,
}

/// The result of a delete.
#[derive(SimpleObject, Default)]
pub struct Deletion {
    /// Whether a row was deleted (false when it did not exist, e.g. when repeated).
    pub deleted: bool,
    /// Answers deleted with a touchpoint.
    pub deleted_feedback: u64,
    /// The global ids of every row deleted (the touchpoint and its answers), for evicting them from a
    /// client's cache; empty when nothing was deleted.
    pub deleted_ids: Vec<ID>,
}

/// The external id of a mutation's target, named by global `id` or by `externalId` (exactly one, as in
/// the lookups); None for a global id that names no row.
async fn target<E>(
    ctx: &Context<'_>,
    node_type: NodeType,
    (id, external_id): (Option<ID>, Option<String>),
    at: &str,
) -> AppResult<Option<String>>
where
    E: ExternalKey,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
{
    Ok(match row_key(id, external_id, node_type, at)? {
        RowKey::ExternalId(external_id) => Some(external_id),
        RowKey::Id(id) => lookups::external_id_of::<E>(database(ctx)?, id).await?,
    })
}

/// The target of a change that needs one: NOT_FOUND when a global id names no row (the writes say the
/// same of an unknown external id).
async fn required_target<E>(
    ctx: &Context<'_>,
    node_type: NodeType,
    (id, external_id): (Option<ID>, Option<String>),
    at: &str,
) -> AppResult<String>
where
    E: ExternalKey,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
{
    let named = id.clone();
    let found = target::<E>(ctx, node_type, (id, external_id), at).await?;
    found.ok_or_else(|| {
        AppError::NotFound(format!("no {} with id '{}'", node_type.name(), named.map(|i| i.0).unwrap_or_default()))
    })
}

/// The result of `eraseCustomer`.
#[derive(SimpleObject)]
pub struct Erasure {
    /// The customer after erasure: name and e-mail are `[erased]`.
    pub customer: Customer,
    /// Comments removed by this call (0 when repeated).
    pub erased_comments: u64,
    /// Complaints deleted by this call (0 when repeated).
    pub deleted_complaints: u64,
}

/// The default currency of `fitClvModel`, as of `clv fit`.
const USD: Currency = Currency { code: "USD", minor_digits: 2 };

pub struct MutationRoot;

/// Writes for admin consoles.
#[Object(name = "Mutation")]
impl MutationRoot {
    /// Creates or updates a customer by `externalId`.
    async fn upsert_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer.")] input: CustomerInput,
    ) -> Result<CustomerUpsert> {
        let write = input.into_write().map_err(at("input"))?;
        let result = writes::upsert_customer(database(ctx)?, write).await.map_err(at("input"))?;
        Ok(CustomerUpsert { customer: Customer(result.model), created: result.created, changed: result.changed })
    }

    /// Creates or updates an order by `externalId`.
    async fn upsert_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order.")] input: OrderInput,
    ) -> Result<OrderUpsert> {
        let write = input.into_write().map_err(at("input"))?;
        let result = writes::upsert_order(database(ctx)?, write).await.map_err(at("input"))?;
        Ok(OrderUpsert { order: Order(result.model), created: result.created, changed: result.changed })
    }

    /// Creates or updates a touchpoint by `externalId`.
    async fn upsert_touchpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The touchpoint.")] input: TouchpointInput,
    ) -> Result<TouchpointUpsert> {
        let write = input.into_write().map_err(at("input"))?;
        let result = writes::upsert_touchpoint(database(ctx)?, write).await.map_err(at("input"))?;
        Ok(TouchpointUpsert { touchpoint: Touchpoint(result.model), created: result.created, changed: result.changed })
    }

    /// Creates or updates a survey answer by `externalId`.
    async fn upsert_feedback(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The answer.")] input: FeedbackInput,
    ) -> Result<FeedbackUpsert> {
        let queue =
            ctx.data::<AnswerQueue>().map_err(|_| AppError::Internal("no answer queue in the schema data".into()))?;
        let write = input.into_write().map_err(at("input"))?;
        let result = queue.upsert(write).await.map_err(at("input"))?;
        if result.changed {
            announce(ctx, Topic::Feedback, &[result.model.id])?;
        }
        Ok(FeedbackUpsert { feedback: Feedback(result.model), created: result.created, changed: result.changed })
    }

    /// Creates or updates up to 1,000 answers in one transaction, for survey tools that push answers in
    /// bulk: all of them, or none when one is invalid (the error names it, e.g. `inputs[3].score`). The
    /// rules are those of `upsertFeedback`; an answer may appear once per call.
    async fn upsert_feedbacks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The answers (at most 1,000).")] inputs: Vec<FeedbackInput>,
    ) -> Result<FeedbackBatchUpsert> {
        validation::batch_size(inputs.len()).map_err(at("inputs"))?;
        let writes_in = inputs
            .into_iter()
            .enumerate()
            .map(|(i, input)| input.into_write().map_err(|invalid| invalid.at(i)))
            .collect::<Result<Vec<_>, Invalid>>()
            .map_err(at("inputs"))?;
        let results = writes::upsert_feedbacks(database(ctx)?, writes_in).await.map_err(at("inputs"))?;
        let changed: Vec<i64> = results.iter().filter(|r| r.changed).map(|r| r.model.id).collect();
        if !changed.is_empty() {
            announce(ctx, Topic::Feedback, &changed)?;
        }
        Ok(FeedbackBatchUpsert {
            created: results.iter().filter(|r| r.created).count() as u64,
            changed: changed.len() as u64,
            results: results
                .into_iter()
                .map(|r| FeedbackUpsert { feedback: Feedback(r.model), created: r.created, changed: r.changed })
                .collect(),
        })
    }

    /// Opens a complaint (OPEN), or corrects what an existing one was opened with, by `externalId`.
    async fn open_complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint.")] input: ComplaintOpeningInput,
    ) -> Result<ComplaintChange> {
        let write = input.into_write().map_err(at("input"))?;
        let result = writes::open_complaint(database(ctx)?, write).await.map_err(at("input"))?;
        if result.created {
            announce(ctx, Topic::Complaints, &[result.model.id])?;
        }
        Ok(ComplaintChange { complaint: Complaint(result.model), created: result.created, changed: result.changed })
    }

    /// Records the first response to a complaint, which is then IN_PROGRESS. A complaint keeps its first
    /// response: another time for it is refused. NOT_FOUND for an unknown complaint.
    async fn respond_to_complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The response.")] input: ComplaintResponseInput,
    ) -> Result<ComplaintChange> {
        let db = database(ctx)?;
        let external_id =
            required_target::<complaint::Entity>(ctx, NodeType::Complaint, (input.id, input.external_id), "input")
                .await?;
        let result =
            writes::respond_to_complaint(db, &external_id, input.first_response_at.0).await.map_err(at("input"))?;
        Ok(ComplaintChange { complaint: Complaint(result.model), created: false, changed: result.changed })
    }

    /// Closes a complaint, RESOLVED or UNRESOLVED_CLOSED, with its outcome; one without a response before
    /// was answered by its closing (`firstResponseAt` is then `resolvedAt`). A closed complaint is reopened
    /// before it is closed again. NOT_FOUND for an unknown complaint.
    async fn resolve_complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The closing.")] input: ComplaintResolutionInput,
    ) -> Result<ComplaintChange> {
        let (db, status, outcome) = (database(ctx)?, input.status.into(), input.outcome.into());
        let external_id =
            required_target::<complaint::Entity>(ctx, NodeType::Complaint, (input.id, input.external_id), "input")
                .await?;
        let result = writes::resolve_complaint(db, &external_id, input.resolved_at.0, status, outcome)
            .await
            .map_err(at("input"))?;
        Ok(ComplaintChange { complaint: Complaint(result.model), created: false, changed: result.changed })
    }

    /// Reopens a closed complaint: IN_PROGRESS again, without closing time or outcome; its first response
    /// stays. NOT_FOUND for an unknown complaint.
    async fn reopen_complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's global ID (or give `externalId`).")] id: Option<ID>,
        #[graphql(desc = "The complaint's external id (or give `id`).")] external_id: Option<String>,
    ) -> Result<ComplaintChange> {
        let external_id = required_target::<complaint::Entity>(ctx, NodeType::Complaint, (id, external_id), "").await?;
        let result = writes::reopen_complaint(database(ctx)?, &external_id).await?;
        if result.changed {
            announce(ctx, Topic::Complaints, &[result.model.id])?;
        }
        Ok(ComplaintChange { complaint: Complaint(result.model), created: false, changed: result.changed })
    }

    /// Changes an order's status; NOT_FOUND for an unknown order.
    async fn set_order_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's global ID (or give `externalId`).")] id: Option<ID>,
        #[graphql(desc = "The order's external id (or give `id`).")] external_id: Option<String>,
        #[graphql(desc = "The new status.")] status: OrderStatus,
    ) -> Result<Order> {
        let external_id = required_target::<order::Entity>(ctx, NodeType::Order, (id, external_id), "").await?;
        Ok(Order(writes::set_order_status(database(ctx)?, &external_id, status.into()).await?))
    }

    /// Deletes a touchpoint. One with answers is only deleted with `withFeedback: true`, which deletes its
    /// answers too (kept, they would turn into relationship surveys and move between satisfaction groups).
    async fn delete_touchpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The touchpoint's global ID (or give `externalId`).")] id: Option<ID>,
        #[graphql(desc = "The touchpoint's external id (or give `id`).")] external_id: Option<String>,
        #[graphql(desc = "Also delete the touchpoint's answers.", default = false)] with_feedback: bool,
    ) -> Result<Deletion> {
        let Some(external_id) = target::<touchpoint::Entity>(ctx, NodeType::Touchpoint, (id, external_id), "").await?
        else {
            return Ok(Deletion::default());
        };
        // Its one refusal: a touchpoint with answers, without withFeedback.
        let removed =
            writes::delete_touchpoint(database(ctx)?, &external_id, with_feedback).await.map_err(at("withFeedback"))?;
        Ok(match removed {
            None => Deletion::default(),
            Some(removed) => Deletion {
                deleted: true,
                deleted_feedback: removed.answers.len() as u64,
                deleted_ids: std::iter::once(global_id(NodeType::Touchpoint, removed.touchpoint))
                    .chain(removed.answers.iter().map(|id| global_id(NodeType::Feedback, *id)))
                    .collect(),
            },
        })
    }

    /// Deletes a survey answer.
    async fn delete_feedback(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The answer's global ID (or give `externalId`).")] id: Option<ID>,
        #[graphql(desc = "The answer's external id (or give `id`).")] external_id: Option<String>,
    ) -> Result<Deletion> {
        let deleted = match target::<feedback::Entity>(ctx, NodeType::Feedback, (id, external_id), "").await? {
            Some(external_id) => writes::delete_feedback(database(ctx)?, &external_id).await?,
            None => None,
        };
        let deleted_ids = deleted.iter().map(|id| global_id(NodeType::Feedback, *id)).collect();
        Ok(Deletion { deleted: deleted.is_some(), deleted_feedback: 0, deleted_ids })
    }

    /// Fits the predictive CLV models (BG/NBD and Gamma-Gamma) on the orders that count in `currency`
    /// placed at or before `calibrationEnd`, and stores them in place of the currency's model, with every
    /// customer's predictions and the tracking plot (`docs/clv.md`). MODEL_FIT_FAILED when the data does
    /// not support the models (nothing changes then).
    async fn fit_clv_model(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Orders placed at or before this count.")] calibration_end: DateTime,
        #[graphql(desc = "The currency of the orders.", default_with = "CurrencyCode(USD)")] currency: CurrencyCode,
        #[graphql(desc = "The unit of every time of the model.", default_with = "ClvTimeUnit::Week")]
        time_unit: ClvTimeUnit,
    ) -> Result<ClvModel> {
        let request = FitRequest { currency: currency.0, calibration_end: calibration_end.0, unit: time_unit.into() };
        Ok(ClvModel(clv::fit::fit(database(ctx)?, request).await?))
    }

    /// Erases a customer for a privacy request: name, e-mail and every comment are removed for good, and
    /// the customer's complaints are deleted; the anonymous orders, touchpoints and scores stay, so
    /// satisfaction and loyalty aggregates stay right. NOT_FOUND for an unknown customer.
    async fn erase_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's global ID (or give `externalId`).")] id: Option<ID>,
        #[graphql(desc = "The customer's external id (or give `id`).")] external_id: Option<String>,
    ) -> Result<Erasure> {
        let external_id = required_target::<customer::Entity>(ctx, NodeType::Customer, (id, external_id), "").await?;
        let erased = writes::erase_customer(database(ctx)?, &external_id).await?;
        Ok(Erasure {
            customer: Customer(erased.customer),
            erased_comments: erased.comments,
            deleted_complaints: erased.complaints,
        })
    }
}

/// Hands committed rows to this instance's subscribers where the database does not notify (SQLite).
fn announce(ctx: &Context<'_>, topic: Topic, ids: &[i64]) -> Result<()> {
    let events = ctx.data::<Events>().map_err(|_| AppError::Internal("no event bus in the schema data".into()))?;
    events.committed(topic, ids);
    Ok(())
}
