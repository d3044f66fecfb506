//! The root `Mutation` type, for admin consoles: upserts by external id, status changes, a complaint's
//! handling, deletes and privacy erasure. Every mutation is one transaction and returns its own
//! payload; a refused input (naming its field) or a missing target is reported in the payload's
//! `userErrors` and changes nothing; repeating a mutation changes nothing the second time.

mod inputs;
mod payloads;
mod targets;

use async_graphql::{Context, ID, Object, Result};
use entity::{complaint, customer, feedback, order, touchpoint};

use crate::domain::currency::Currency;
use crate::domain::ids::NodeType;
use crate::domain::validation;
use crate::error::{AppError, AppResult};
use crate::events::{Events, Topic};
use crate::graphql::clv::{ClvModel, ClvTimeUnit};
use crate::graphql::connection::database;
use crate::graphql::customers::Customer;
use crate::graphql::enums::OrderStatus;
use crate::graphql::node::global_id;
use crate::graphql::orders::Order;
use crate::graphql::scalars::{CurrencyCode, DateTime};
use crate::services::clv;
use crate::services::clv::fit::FitRequest;
use crate::services::writes::{self, AnswerQueue};

pub use inputs::{
    ComplaintOpeningInput, ComplaintResolutionInput, ComplaintResponseInput, CustomerInput, FeedbackInput, OrderInput,
    TouchpointInput,
};
pub use payloads::{
    ChangeOrderStatusPayload, DeleteFeedbackPayload, DeleteTouchpointPayload, EraseCustomerPayload, FeedbackUpsert,
    FitClvModelsPayload, OpenComplaintPayload, ReopenComplaintPayload, ResolveComplaintPayload,
    RespondToComplaintPayload, UpsertCustomerPayload, UpsertFeedbackPayload, UpsertFeedbacksPayload,
    UpsertOrderPayload, UpsertTouchpointPayload, UserError, UserErrorCode,
};
use payloads::{Payload, reported};
use targets::{Target, at, refusal};

/// The default currency of `fitClvModels`, as of `clv fit`.
const USD: Currency = Currency { code: "USD", minor_digits: 2 };

pub struct MutationRoot;

/// Writes for admin consoles. Each returns its payload (null only when the server failed, with a
/// top-level error); a refusal is in the payload's `userErrors`.
#[Object(name = "Mutation")]
impl MutationRoot {
    /// Creates or updates a customer by `externalId`.
    async fn upsert_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer.")] input: CustomerInput,
    ) -> Result<Option<UpsertCustomerPayload>> {
        reported(async {
            let write = input.into_write().map_err(at("input"))?;
            Ok(writes::upsert_customer(database(ctx)?, write).await.map_err(at("input"))?.into())
        })
        .await
    }

    /// Creates or updates an order by `externalId`.
    async fn upsert_order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order.")] input: OrderInput,
    ) -> Result<Option<UpsertOrderPayload>> {
        reported(async {
            let write = input.into_write().map_err(at("input"))?;
            Ok(writes::upsert_order(database(ctx)?, write).await.map_err(at("input"))?.into())
        })
        .await
    }

    /// Creates or updates a touchpoint by `externalId`.
    async fn upsert_touchpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The touchpoint.")] input: TouchpointInput,
    ) -> Result<Option<UpsertTouchpointPayload>> {
        reported(async {
            let write = input.into_write().map_err(at("input"))?;
            Ok(writes::upsert_touchpoint(database(ctx)?, write).await.map_err(at("input"))?.into())
        })
        .await
    }

    /// Creates or updates a survey answer by `externalId`.
    async fn upsert_feedback(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The answer.")] input: FeedbackInput,
    ) -> Result<Option<UpsertFeedbackPayload>> {
        reported(async {
            let queue = ctx
                .data::<AnswerQueue>()
                .map_err(|_| AppError::Internal("no answer queue in the schema data".into()))?;
            let write = input.into_write().map_err(at("input"))?;
            let result = queue.upsert(write).await.map_err(at("input"))?;
            if result.changed {
                announce(ctx, Topic::Feedback, &[result.model.id])?;
            }
            Ok(result.into())
        })
        .await
    }

    /// Creates or updates up to 1,000 answers in one transaction, for survey tools that push answers in
    /// bulk: all of them, or none when one is refused. Every invalid input is reported (e.g. at
    /// `["inputs", "3", "score"]`); a refusal that needs the database (an unknown touchpoint, say) is
    /// reported for the first answer it meets. The rules are those of `upsertFeedback`; an answer may
    /// appear once per call.
    async fn upsert_feedbacks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The answers (at most 1,000).")] inputs: Vec<FeedbackInput>,
    ) -> Result<Option<UpsertFeedbacksPayload>> {
        if let Err(too_many) = validation::batch_size(inputs.len()) {
            return reported(async { Err(at("inputs")(too_many)) }).await;
        }
        let mut invalid = Vec::new();
        let mut writes_in = Vec::with_capacity(inputs.len());
        for (i, input) in inputs.into_iter().enumerate() {
            match input.into_write() {
                Ok(write) => writes_in.push(write),
                Err(refused) => invalid.push(refused.at(i)),
            }
        }
        if !invalid.is_empty() {
            let user_errors = invalid
                .into_iter()
                .filter_map(|refused| UserError::from_refusal(&refusal(refused, "inputs")))
                .collect();
            return Ok(Some(UpsertFeedbacksPayload::refused(user_errors)));
        }
        reported(async {
            let results = writes::upsert_feedbacks(database(ctx)?, writes_in).await.map_err(at("inputs"))?;
            let changed: Vec<i64> = results.iter().filter(|r| r.changed).map(|r| r.model.id).collect();
            if !changed.is_empty() {
                announce(ctx, Topic::Feedback, &changed)?;
            }
            Ok(UpsertFeedbacksPayload {
                created: results.iter().filter(|r| r.created).count() as u64,
                changed: changed.len() as u64,
                results: Some(results.into_iter().map(FeedbackUpsert::from).collect()),
                ..Default::default()
            })
        })
        .await
    }

    /// Opens a complaint (OPEN), or corrects what an existing one was opened with, by `externalId`.
    async fn open_complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint.")] input: ComplaintOpeningInput,
    ) -> Result<Option<OpenComplaintPayload>> {
        reported(async {
            let write = input.into_write().map_err(at("input"))?;
            let result = writes::open_complaint(database(ctx)?, write).await.map_err(at("input"))?;
            if result.created {
                announce(ctx, Topic::Complaints, &[result.model.id])?;
            }
            Ok(result.into())
        })
        .await
    }

    /// Records the first response to a complaint, which is then IN_PROGRESS. A complaint keeps its first
    /// response: another time for it is refused.
    async fn respond_to_complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The response.")] input: ComplaintResponseInput,
    ) -> Result<Option<RespondToComplaintPayload>> {
        reported(async {
            let key = (input.id, input.external_id);
            let target = Target::of::<complaint::Entity>(ctx, NodeType::Complaint, key, "input").await?;
            let result = writes::respond_to_complaint(database(ctx)?, &target.external_id, input.first_response_at.0)
                .await
                .map_err(target.refusal("input"))?;
            Ok(result.into())
        })
        .await
    }

    /// Closes a complaint, RESOLVED or UNRESOLVED_CLOSED, with its outcome; one without a response before
    /// was answered by its closing (`firstResponseAt` is then `resolvedAt`). A closed complaint is reopened
    /// before it is closed again.
    async fn resolve_complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The closing.")] input: ComplaintResolutionInput,
    ) -> Result<Option<ResolveComplaintPayload>> {
        reported(async {
            let (status, outcome) = (input.status.into(), input.outcome.into());
            let key = (input.id, input.external_id);
            let target = Target::of::<complaint::Entity>(ctx, NodeType::Complaint, key, "input").await?;
            let closing = input.resolved_at.0;
            let result = writes::resolve_complaint(database(ctx)?, &target.external_id, closing, status, outcome)
                .await
                .map_err(target.refusal("input"))?;
            Ok(result.into())
        })
        .await
    }

    /// Reopens a closed complaint: IN_PROGRESS again, without closing time or outcome; its first response
    /// stays.
    async fn reopen_complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's global ID (or give `externalId`).")] id: Option<ID>,
        #[graphql(desc = "The complaint's external id (or give `id`).")] external_id: Option<String>,
    ) -> Result<Option<ReopenComplaintPayload>> {
        reported(async {
            let target = Target::of::<complaint::Entity>(ctx, NodeType::Complaint, (id, external_id), "").await?;
            let result =
                writes::reopen_complaint(database(ctx)?, &target.external_id).await.map_err(target.refusal(""))?;
            if result.changed {
                announce(ctx, Topic::Complaints, &[result.model.id])?;
            }
            Ok(result.into())
        })
        .await
    }

    /// Changes an order's status.
    async fn change_order_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's global ID (or give `externalId`).")] id: Option<ID>,
        #[graphql(desc = "The order's external id (or give `id`).")] external_id: Option<String>,
        #[graphql(desc = "The new status.")] status: OrderStatus,
    ) -> Result<Option<ChangeOrderStatusPayload>> {
        reported(async {
            let target = Target::of::<order::Entity>(ctx, NodeType::Order, (id, external_id), "").await?;
            let result = writes::set_order_status(database(ctx)?, &target.external_id, status.into())
                .await
                .map_err(target.refusal(""))?;
            Ok(ChangeOrderStatusPayload {
                order: Some(Order(result.model)),
                changed: result.changed,
                ..Default::default()
            })
        })
        .await
    }

    /// Changes an order's status; a refusal is a top-level error (BAD_USER_INPUT, NOT_FOUND).
    #[graphql(deprecation = "Use `changeOrderStatus`, whose payload reports refusals in `userErrors`.")]
    async fn set_order_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's global ID (or give `externalId`).")] id: Option<ID>,
        #[graphql(desc = "The order's external id (or give `id`).")] external_id: Option<String>,
        #[graphql(desc = "The new status.")] status: OrderStatus,
    ) -> Result<Order> {
        let target = Target::of::<order::Entity>(ctx, NodeType::Order, (id, external_id), "").await?;
        let result = writes::set_order_status(database(ctx)?, &target.external_id, status.into())
            .await
            .map_err(target.refusal(""))?;
        Ok(Order(result.model))
    }

    /// Deletes a touchpoint. One with answers is only deleted with `withFeedback: true`, which deletes its
    /// answers too (kept, they would turn into relationship surveys and move between satisfaction groups).
    /// Every row deleted leaves a tombstone in `deletions`.
    async fn delete_touchpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The touchpoint's global ID (or give `externalId`).")] id: Option<ID>,
        #[graphql(desc = "The touchpoint's external id (or give `id`).")] external_id: Option<String>,
        #[graphql(desc = "Also delete the touchpoint's answers.", default = false)] with_feedback: bool,
    ) -> Result<Option<DeleteTouchpointPayload>> {
        reported(async {
            let target = Target::of::<touchpoint::Entity>(ctx, NodeType::Touchpoint, (id, external_id), "").await?;
            // Its one refusal: a touchpoint with answers, without withFeedback.
            let removed = writes::delete_touchpoint(database(ctx)?, &target.external_id, with_feedback)
                .await
                .map_err(target.refusal("withFeedback"))?
                .ok_or_else(|| target.missing("touchpoint"))?;
            let answers = removed.answers.len() as u64;
            Ok(DeleteTouchpointPayload {
                deleted: true,
                deleted_feedback_count: answers,
                deleted_feedback: answers,
                deleted_ids: std::iter::once(global_id(NodeType::Touchpoint, removed.touchpoint))
                    .chain(removed.answers.iter().map(|id| global_id(NodeType::Feedback, *id)))
                    .collect(),
                ..Default::default()
            })
        })
        .await
    }

    /// Deletes a survey answer; it leaves a tombstone in `deletions`.
    async fn delete_feedback(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The answer's global ID (or give `externalId`).")] id: Option<ID>,
        #[graphql(desc = "The answer's external id (or give `id`).")] external_id: Option<String>,
    ) -> Result<Option<DeleteFeedbackPayload>> {
        reported(async {
            let target = Target::of::<feedback::Entity>(ctx, NodeType::Feedback, (id, external_id), "").await?;
            let deleted = writes::delete_feedback(database(ctx)?, &target.external_id)
                .await
                .map_err(target.refusal(""))?
                .ok_or_else(|| target.missing("answer"))?;
            Ok(DeleteFeedbackPayload {
                deleted: true,
                deleted_ids: vec![global_id(NodeType::Feedback, deleted)],
                ..Default::default()
            })
        })
        .await
    }

    /// Fits the predictive CLV models (BG/NBD and Gamma-Gamma) on the orders that count in `currency`
    /// placed at or before `calibrationEnd`, and stores them in place of the currency's model, with every
    /// customer's predictions and the tracking plot (`docs/clv.md`). MODEL_FIT_FAILED in `userErrors`
    /// when the data does not support the models (nothing changes then).
    async fn fit_clv_models(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Orders placed at or before this count.")] calibration_end: DateTime,
        #[graphql(desc = "The currency of the orders.", default_with = "CurrencyCode(USD)")] currency: CurrencyCode,
        #[graphql(desc = "The unit of every time of the model.", default_with = "ClvTimeUnit::Week")]
        time_unit: ClvTimeUnit,
    ) -> Result<Option<FitClvModelsPayload>> {
        let request = FitRequest { currency: currency.0, calibration_end: calibration_end.0, unit: time_unit.into() };
        reported(async {
            let model = clv::fit::fit(database(ctx)?, request).await?;
            Ok(FitClvModelsPayload { model: Some(ClvModel(model)), ..Default::default() })
        })
        .await
    }

    /// Fits the predictive CLV models; MODEL_FIT_FAILED is a top-level error.
    #[graphql(deprecation = "Use `fitClvModels`, whose payload reports refusals in `userErrors`.")]
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
    /// satisfaction and loyalty aggregates stay right. The deleted complaints leave tombstones in
    /// `deletions`.
    async fn erase_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's global ID (or give `externalId`).")] id: Option<ID>,
        #[graphql(desc = "The customer's external id (or give `id`).")] external_id: Option<String>,
    ) -> Result<Option<EraseCustomerPayload>> {
        reported(async {
            let target = Target::of::<customer::Entity>(ctx, NodeType::Customer, (id, external_id), "").await?;
            let erased =
                writes::erase_customer(database(ctx)?, &target.external_id).await.map_err(target.refusal(""))?;
            let deleted_complaints = erased.complaints.len() as u64;
            Ok(EraseCustomerPayload {
                customer: Some(Customer(erased.customer)),
                erased_comment_count: erased.comments,
                deleted_complaint_count: deleted_complaints,
                erased_comments: erased.comments,
                deleted_complaints,
                deleted_ids: erased.complaints.iter().map(|id| global_id(NodeType::Complaint, *id)).collect(),
                ..Default::default()
            })
        })
        .await
    }
}

/// Hands committed rows to this instance's subscribers where the database does not notify (SQLite).
fn announce(ctx: &Context<'_>, topic: Topic, ids: &[i64]) -> AppResult<()> {
    let events = ctx.data::<Events>().map_err(|_| AppError::Internal("no event bus in the schema data".into()))?;
    events.committed(topic, ids);
    Ok(())
}
