//! What every mutation returns: its own `...Payload`, with nullable results and the `userErrors` that
//! refused it. A refusal (invalid input, a missing target, a model the data does not support) writes
//! nothing and is reported in the payload, so one refused mutation never nulls another's committed
//! result in the same document; only failures of the server (INTERNAL, TIMEOUT, ...) are top-level
//! errors.

use async_graphql::{Enum, ID, Result, SimpleObject};

use crate::error::{AppError, AppResult};
use crate::graphql::clv::ClvModel;
use crate::graphql::complaints::Complaint;
use crate::graphql::customers::Customer;
use crate::graphql::feedback::Feedback;
use crate::graphql::orders::Order;
use crate::graphql::touchpoints::Touchpoint;
use crate::services::writes::Upserted;

/// Why a mutation was refused; the same words as the `code` extension of top-level errors.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum UserErrorCode {
    /// An input value breaks a rule (the message says which); fix the input and send it again.
    BadUserInput,
    /// The target (by `id` or `externalId`) does not exist.
    NotFound,
    /// The data does not support the model (`fitClvModels`): too few customers, or no maximum of the
    /// likelihood.
    ModelFitFailed,
}

/// A refusal of a mutation's input, for showing next to the form field it is about.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct UserError {
    /// The path to the input field, from the mutation's argument: `["input", "email"]`,
    /// `["inputs", "3", "score"]`, `["externalId"]`; the argument alone (`["input"]`) when the refusal is
    /// about the input as a whole (a closed complaint closed again); null when it is about no input
    /// (MODEL_FIT_FAILED).
    pub field: Option<Vec<String>>,
    /// What is wrong and why, for people.
    pub message: String,
    /// What is wrong, for programs.
    pub code: UserErrorCode,
}

impl UserError {
    /// The user error an application error is, if it is one: a refusal of the input rather than a
    /// failure of the server.
    pub fn from_refusal(error: &AppError) -> Option<UserError> {
        match error {
            AppError::BadUserInput { field, message } => Some(UserError {
                field: field_path(field),
                message: message.clone(),
                code: UserErrorCode::BadUserInput,
            }),
            AppError::Invalid(invalid) => {
                Some(UserError { field: None, message: invalid.to_string(), code: UserErrorCode::BadUserInput })
            }
            AppError::MissingTarget { field, message } => {
                Some(UserError { field: field_path(field), message: message.clone(), code: UserErrorCode::NotFound })
            }
            AppError::NotFound(message) => {
                Some(UserError { field: None, message: message.clone(), code: UserErrorCode::NotFound })
            }
            AppError::ModelFit(message) => {
                Some(UserError { field: None, message: message.clone(), code: UserErrorCode::ModelFitFailed })
            }
            _ => None,
        }
    }
}

/// `inputs[3].score` -> `["inputs", "3", "score"]`: the dotted paths the validation names fields by,
/// as a list a client can walk its form state with. None for an empty path.
pub fn field_path(dotted: &str) -> Option<Vec<String>> {
    let parts: Vec<String> = dotted
        .split(['.', '['])
        .map(|part| part.trim_end_matches(']'))
        .filter(|part| !part.is_empty())
        .map(str::to_owned)
        .collect();
    (!parts.is_empty()).then_some(parts)
}

/// A payload that can carry refusals in place of results.
pub trait Payload: Default {
    fn refused(user_errors: Vec<UserError>) -> Self;
}

/// A mutation's outcome as its payload: the results, or the refusals with every result null; a
/// failure of the server stays a top-level error.
pub async fn reported<P: Payload>(mutation: impl Future<Output = AppResult<P>>) -> Result<Option<P>> {
    match mutation.await {
        Ok(payload) => Ok(Some(payload)),
        Err(error) => match UserError::from_refusal(&error) {
            Some(user_error) => Ok(Some(P::refused(vec![user_error]))),
            None => Err(error.into()),
        },
    }
}

/// A payload struct: its result fields, then `userErrors`, and `Payload` for it.
macro_rules! payload {
    ($(#[$meta:meta])* $name:ident { $($(#[$field_meta:meta])* $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(SimpleObject, Default)]
        pub struct $name {
            $($(#[$field_meta])* pub $field: $ty,)*
            /// Why the mutation was refused; empty when it was carried out. A refused mutation wrote
            /// nothing, and its results are null.
            pub user_errors: Vec<UserError>,
        }

        impl Payload for $name {
            fn refused(user_errors: Vec<UserError>) -> Self {
                $name { user_errors, ..Default::default() }
            }
        }
    };
}

/// An upsert's payload: the row as stored now, whether it was created and whether anything changed;
/// made from the write's result.
macro_rules! upsert_payload {
    ($(#[$meta:meta])* $name:ident, $field:ident: $ty:ident($model:ty)) => {
        payload! {
            $(#[$meta])*
            $name {
                /// The row as stored now; null when refused.
                $field: Option<$ty>,
                /// Whether the row was created by this mutation.
                created: bool,
                /// Whether this mutation changed anything (false when repeated).
                changed: bool,
            }
        }

        impl From<Upserted<$model>> for $name {
            fn from(result: Upserted<$model>) -> Self {
                $name {
                    $field: Some($ty(result.model)),
                    created: result.created,
                    changed: result.changed,
                    user_errors: Vec::new(),
                }
            }
        }
    };
}

upsert_payload!(
    /// The result of `upsertCustomer`.
    UpsertCustomerPayload, customer: Customer(entity::customer::Model)
);
upsert_payload!(
    /// The result of `upsertOrder`.
    UpsertOrderPayload, order: Order(entity::order::Model)
);
upsert_payload!(
    /// The result of `upsertTouchpoint`.
    UpsertTouchpointPayload, touchpoint: Touchpoint(entity::touchpoint::Model)
);
upsert_payload!(
    /// The result of `upsertFeedback`.
    UpsertFeedbackPayload, feedback: Feedback(entity::feedback::Model)
);
upsert_payload!(
    /// The result of `openComplaint`.
    OpenComplaintPayload, complaint: Complaint(entity::complaint::Model)
);

/// The payload of a change to an existing complaint: the complaint and whether anything changed.
macro_rules! complaint_change_payload {
    ($(#[$meta:meta])* $name:ident) => {
        payload! {
            $(#[$meta])*
            $name {
                /// The complaint as stored now; null when refused.
                complaint: Option<Complaint>,
                /// Always false: only `openComplaint` creates complaints.
                #[graphql(deprecation = "Always false: only `openComplaint` creates complaints.")]
                created: bool,
                /// Whether this mutation changed anything (false when repeated).
                changed: bool,
            }
        }

        impl From<Upserted<entity::complaint::Model>> for $name {
            fn from(result: Upserted<entity::complaint::Model>) -> Self {
                $name {
                    complaint: Some(Complaint(result.model)),
                    created: result.created,
                    changed: result.changed,
                    user_errors: Vec::new(),
                }
            }
        }
    };
}

complaint_change_payload!(
    /// The result of `respondToComplaint`.
    RespondToComplaintPayload
);
complaint_change_payload!(
    /// The result of `resolveComplaint`.
    ResolveComplaintPayload
);
complaint_change_payload!(
    /// The result of `reopenComplaint`.
    ReopenComplaintPayload
);

/// One answer's result in `upsertFeedbacks`.
#[derive(SimpleObject)]
pub struct FeedbackUpsert {
    /// The answer as stored now.
    pub feedback: Feedback,
    /// Whether the answer was created by this mutation.
    pub created: bool,
    /// Whether this mutation changed it (false when repeated).
    pub changed: bool,
}

impl From<Upserted<entity::feedback::Model>> for FeedbackUpsert {
    fn from(result: Upserted<entity::feedback::Model>) -> Self {
        FeedbackUpsert { feedback: Feedback(result.model), created: result.created, changed: result.changed }
    }
}

payload! {
    /// The result of `upsertFeedbacks`: every answer written, or none.
    UpsertFeedbacksPayload {
        /// One result per input, in the inputs' order; null when refused.
        results: Option<Vec<FeedbackUpsert>>,
        /// How many answers were created.
        created: u64,
        /// How many answers changed, the created ones included.
        changed: u64,
    }
}

payload! {
    /// The result of `changeOrderStatus`.
    ChangeOrderStatusPayload {
        /// The order as stored now; null when refused.
        order: Option<Order>,
        /// Whether the status changed (false when the order already had it).
        changed: bool,
    }
}

payload! {
    /// The result of `deleteTouchpoint`.
    DeleteTouchpointPayload {
        /// Whether the touchpoint was deleted (false when refused).
        deleted: bool,
        /// How many answers were deleted with the touchpoint.
        deleted_feedback_count: u64,
        /// How many answers were deleted with the touchpoint.
        #[graphql(deprecation = "Use `deletedFeedbackCount`.")]
        deleted_feedback: u64,
        /// The global ids of every row deleted (the touchpoint and its answers), for evicting them from
        /// a client's cache; empty when nothing was deleted.
        deleted_ids: Vec<ID>,
    }
}

payload! {
    /// The result of `deleteFeedback`.
    DeleteFeedbackPayload {
        /// Whether the answer was deleted (false when refused).
        deleted: bool,
        /// Always 0: only `deleteTouchpoint` deletes answers with another row.
        #[graphql(deprecation = "Always 0: it counts the answers `deleteTouchpoint` deletes with a touchpoint.")]
        deleted_feedback: u64,
        /// The deleted answer's global id, for evicting it from a client's cache; empty when nothing
        /// was deleted.
        deleted_ids: Vec<ID>,
    }
}

payload! {
    /// The result of `eraseCustomer`.
    EraseCustomerPayload {
        /// The customer after erasure (name and e-mail are `[erased]`); null when refused.
        customer: Option<Customer>,
        /// How many comments this call removed (0 when repeated).
        erased_comment_count: u64,
        /// How many complaints this call deleted (0 when repeated).
        deleted_complaint_count: u64,
        /// How many comments this call removed.
        #[graphql(deprecation = "Use `erasedCommentCount`.")]
        erased_comments: u64,
        /// How many complaints this call deleted.
        #[graphql(deprecation = "Use `deletedComplaintCount`.")]
        deleted_complaints: u64,
        /// The global ids of the complaints deleted, for evicting them from a client's cache.
        deleted_ids: Vec<ID>,
    }
}

payload! {
    /// The result of `fitClvModels`.
    FitClvModelsPayload {
        /// The currency's model as stored now; null when refused.
        model: Option<ClvModel>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths_split_at_dots_and_brackets() {
        let path = |dotted| field_path(dotted).map(|parts| parts.join("/"));
        assert_eq!(path("input.email").as_deref(), Some("input/email"));
        assert_eq!(path("inputs[3].score").as_deref(), Some("inputs/3/score"));
        assert_eq!(path("inputs[12]").as_deref(), Some("inputs/12"));
        assert_eq!(path("externalId").as_deref(), Some("externalId"));
        assert_eq!(path(""), None);
    }

    #[tokio::test]
    async fn refusals_are_user_errors_and_failures_are_not() {
        let bad = AppError::bad_input("input.score", "off the scale");
        assert_eq!(
            UserError::from_refusal(&bad),
            Some(UserError {
                field: Some(vec!["input".into(), "score".into()]),
                message: "off the scale".into(),
                code: UserErrorCode::BadUserInput
            })
        );
        let missing = UserError::from_refusal(&AppError::NotFound("no order".into()));
        assert_eq!(missing.map(|e| e.code), Some(UserErrorCode::NotFound));
        assert_eq!(UserError::from_refusal(&AppError::Internal("broken".into())), None);
        let outcome: AppResult<ChangeOrderStatusPayload> = Err(AppError::Internal("broken".into()));
        let reported = reported(async { outcome }).await;
        assert!(reported.is_err(), "a failure of the server stays a top-level error");
    }
}
