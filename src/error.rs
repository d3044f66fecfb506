//! The one application error type. Every error a client can see carries a stable `code` extension;
//! database and other internal errors are logged here and shown to clients only as an opaque message.

use std::sync::Arc;

use async_graphql::{ErrorExtensionValues, ErrorExtensions, ServerError};
use sea_orm::DbErr;

use crate::domain::validation::Invalid;

/// Stable machine-readable error codes, sent as `extensions.code`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    BadUserInput,
    NotFound,
    Unauthenticated,
    Forbidden,
    Internal,
    ServiceUnavailable,
    GraphqlParseFailed,
    GraphqlValidationFailed,
    BadRequest,
    LimitExceeded,
    RateLimited,
    Timeout,
    PersistedQueryNotFound,
    PersistedQueryNotAllowed,
    ModelFitFailed,
}

impl ErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::Internal => "INTERNAL",
            ErrorCode::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            ErrorCode::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            ErrorCode::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::LimitExceeded => "LIMIT_EXCEEDED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            ErrorCode::PersistedQueryNotAllowed => "PERSISTED_QUERY_NOT_ALLOWED",
            ErrorCode::ModelFitFailed => "MODEL_FIT_FAILED",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The client sent something invalid. `field` is the input path (e.g. `filter.placedAt.from`).
    #[error("{field}: {message}")]
    BadUserInput { field: String, message: String },
    /// A record a write refused, typed; the caller names the field in its own terms (an input path, a
    /// file's column) and makes it a `BadUserInput`.
    #[error("{0}")]
    Invalid(Invalid),
    #[error("{0}")]
    NotFound(String),
    /// A mutation's target that does not exist; `field` is the input path that named it (`id`,
    /// `input.externalId`).
    #[error("{field}: {message}")]
    MissingTarget { field: String, message: String },
    /// The database cannot be reached; retrying later may succeed. The detail is logged, not shown.
    #[error("the database is unavailable, retry later")]
    ServiceUnavailable(String),
    #[error("database error")]
    Database(DbErr),
    #[error("internal error: {0}")]
    Internal(String),
    #[error("{0}")]
    LimitExceeded(LimitExceeded),
    /// Other writes held what this one needed for too long (a busy SQLite database), or the database
    /// stopped it to break a deadlock or a serialization conflict (`retryable`: running it again
    /// succeeds). The database is fine: a retry later succeeds.
    #[error("the database is busy with other writes; retry shortly")]
    Contention { detail: String, retryable: bool },
    /// The data does not support a model: the request was valid, but the fit found no maximum of the
    /// likelihood, or too few customers to fit on. Nothing was stored.
    #[error("{0}")]
    ModelFit(String),
}

pub type AppResult<T> = Result<T, AppError>;

/// A limit a request went over: the `LIMIT_EXCEEDED` error's message and extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitExceeded {
    pub limit: &'static str,
    pub maximum: u64,
    pub actual: u64,
}

impl std::fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let actual = if self.actual == u64::MAX { "far more".to_owned() } else { self.actual.to_string() };
        write!(f, "the query's {} is {actual}, over the limit of {}", self.limit, self.maximum)
    }
}

impl LimitExceeded {
    /// The `LIMIT_EXCEEDED` error a client gets for a request, on every transport.
    pub fn to_server_error(&self) -> ServerError {
        let mut error = ServerError::new(self.to_string(), None);
        self.describe(error.extensions.get_or_insert_with(Default::default));
        error
    }

    fn describe(&self, extensions: &mut ErrorExtensionValues) {
        extensions.set("code", ErrorCode::LimitExceeded.as_str());
        extensions.set("limit", self.limit);
        extensions.set("maximum", self.maximum);
        if self.actual != u64::MAX {
            extensions.set("actual", self.actual);
        }
    }
}

/// The message clients see instead of an internal error's details.
pub const OPAQUE_INTERNAL_MESSAGE: &str = "internal server error";

impl AppError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::BadUserInput { field: field.into(), message: message.into() }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::BadUserInput { .. } | AppError::Invalid(_) => ErrorCode::BadUserInput,
            AppError::NotFound(_) | AppError::MissingTarget { .. } => ErrorCode::NotFound,
            AppError::ServiceUnavailable(_) => ErrorCode::ServiceUnavailable,
            AppError::Database(_) | AppError::Internal(_) => ErrorCode::Internal,
            AppError::LimitExceeded(_) => ErrorCode::LimitExceeded,
            AppError::Contention { .. } => ErrorCode::ServiceUnavailable,
            AppError::ModelFit(_) => ErrorCode::ModelFitFailed,
        }
    }

    /// Maps a database error: an unreachable database becomes SERVICE_UNAVAILABLE, everything else INTERNAL.
    pub fn from_db(err: DbErr) -> Self {
        if is_connection_failure(&err) {
            AppError::ServiceUnavailable(err.to_string())
        } else if let Some(retryable) = contention(&err) {
            AppError::Contention { detail: err.to_string(), retryable }
        } else {
            AppError::Database(err)
        }
    }

    /// Whether running the same write again may succeed: the database broke a deadlock or a
    /// serialization conflict by stopping this transaction.
    pub fn is_retryable(&self) -> bool {
        matches!(self, AppError::Contention { retryable: true, .. })
    }

    /// A unique key taken by a concurrent writer (two upserts of one new external id at once): the
    /// upsert run again finds the row and updates it.
    pub fn is_unique_violation(&self) -> bool {
        let AppError::Database(DbErr::Exec(runtime) | DbErr::Query(runtime)) = self else { return false };
        let sea_orm::RuntimeErr::SqlxError(sqlx) = runtime else { return false };
        let sea_orm::sqlx::Error::Database(db) = &**sqlx else { return false };
        // PostgreSQL's unique_violation; SQLite's SQLITE_CONSTRAINT_UNIQUE.
        db.code().is_some_and(|code| matches!(&*code, "23505" | "2067"))
    }

    /// An outage of the database (not a refusal of one request): the health watch is told.
    pub fn is_outage(&self) -> bool {
        matches!(self, AppError::ServiceUnavailable(_))
    }

    /// The message a client may see: never SQL text or driver details.
    fn public_message(&self) -> String {
        match self {
            AppError::Database(_) | AppError::Internal(_) => OPAQUE_INTERNAL_MESSAGE.to_owned(),
            other => other.to_string(),
        }
    }
}

/// `Some(retryable)` when the database refused a statement because of other transactions: SQLite's
/// busy and locked errors (after its busy timeout: not retried), PostgreSQL's deadlock and
/// serialization failures (retried).
fn contention(err: &DbErr) -> Option<bool> {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as SqlxError;
    let (DbErr::Exec(RuntimeErr::SqlxError(sqlx)) | DbErr::Query(RuntimeErr::SqlxError(sqlx))) = err else {
        return None;
    };
    let SqlxError::Database(db) = &**sqlx else { return None };
    let code = db.code()?;
    match &*code {
        "40001" | "40P01" => Some(true),
        // SQLite's primary codes SQLITE_BUSY (5) and SQLITE_LOCKED (6), in their extended forms too.
        sqlite => sqlite.parse::<u32>().ok().filter(|c| matches!(c & 0xff, 5 | 6)).map(|_| false),
    }
}

impl From<Invalid> for AppError {
    fn from(invalid: Invalid) -> Self {
        AppError::Invalid(invalid)
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        AppError::from_db(err)
    }
}

/// Whether a database error means the database could not be reached or went away (worth retrying later),
/// as opposed to a failing statement.
pub fn is_connection_failure(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as SqlxError;
    let runtime = match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(runtime) | DbErr::Query(runtime) => runtime,
        _ => return false,
    };
    let RuntimeErr::SqlxError(sqlx) = runtime else { return false };
    match &**sqlx {
        SqlxError::Io(_) | SqlxError::Tls(_) | SqlxError::PoolTimedOut | SqlxError::PoolClosed => true,
        SqlxError::WorkerCrashed | SqlxError::Protocol(_) => true,
        // SQLSTATE class 08 (connection exception) and 57P01-57P03 (the server is shutting down, crashed
        // or starting up): the statement never ran to completion for a reason outside the request.
        SqlxError::Database(db) => {
            db.code().is_some_and(|code| code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03"))
        }
        _ => false,
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.public_message()).extend_with(|_, ext| {
            ext.set("code", self.code().as_str());
            match self {
                AppError::BadUserInput { field, .. } | AppError::MissingTarget { field, .. } => {
                    ext.set("field", field.as_str())
                }
                AppError::LimitExceeded(exceeded) => exceeded.describe(ext),
                _ => {}
            }
        })
    }
}

/// Whether an error of a response means the database could not be reached, as opposed to one
/// request meeting other writers' locks (also `SERVICE_UNAVAILABLE`): only an outage marks the database
/// down for every request.
pub fn reports_outage(error: &ServerError) -> bool {
    let source = error.source::<AppError>().or_else(|| error.source::<Arc<AppError>>().map(|shared| &**shared));
    source.is_some_and(AppError::is_outage)
}

/// Gives every error of a GraphQL response its `code`, and hides internal details.
///
/// Resolvers return `AppError`s, which async-graphql's blanket `From<T: Display>` turns into errors
/// that keep the `AppError` as their source: this is where the source becomes a code and a public
/// message. An error whose source is anything else came from a stray `?` on a foreign error type and
/// is treated as internal, so its text never reaches the client.
pub fn finish_errors(errors: &mut [ServerError]) {
    for error in errors {
        let has_code = error.extensions.as_ref().is_some_and(|ext| ext.get("code").is_some());
        if has_code {
            continue;
        }
        let source = error.source::<AppError>().or_else(|| error.source::<Arc<AppError>>().map(|shared| &**shared));
        if let Some(AppError::LimitExceeded(exceeded)) = source {
            let exceeded = exceeded.clone();
            error.message = exceeded.to_string();
            exceeded.describe(error.extensions.get_or_insert_with(Default::default));
            continue;
        }
        let app_error = source.map(|e| (e.code(), e.public_message(), e.field(), format!("{e:?}")));
        let code = match app_error {
            Some((code, message, field, detail)) => {
                if code == ErrorCode::Internal || code == ErrorCode::ServiceUnavailable {
                    tracing::error!(error = %detail, path = ?error.path, "request failed");
                }
                error.message = message;
                if let Some(field) = field {
                    set_extension(error, "field", field);
                }
                code
            }
            None if error.source.is_some() => {
                tracing::error!(message = %error.message, path = ?error.path, "unclassified error");
                error.message = OPAQUE_INTERNAL_MESSAGE.to_owned();
                ErrorCode::Internal
            }
            // async-graphql's own input coercion errors (a wrong argument value) carry a path;
            // request-level errors (validation of the document or its variables) carry none. Syntax
            // errors never get here: the HTTP layer parses the document first.
            None if !error.path.is_empty() => ErrorCode::BadUserInput,
            None => ErrorCode::GraphqlValidationFailed,
        };
        set_extension(error, "code", code.as_str().to_owned());
    }
}

impl AppError {
    fn field(&self) -> Option<String> {
        match self {
            AppError::BadUserInput { field, .. } | AppError::MissingTarget { field, .. } => Some(field.clone()),
            _ => None,
        }
    }
}

fn set_extension(error: &mut ServerError, key: &str, value: String) {
    error.extensions.get_or_insert_with(Default::default).set(key, value);
}

/// Puts `null` where a field failed. async-graphql leaves a failed field out of `data` (and `data` null
/// when every root field failed); the spec has the failed field present as `null`, so clients find
/// partial data where they expect it.
pub fn null_failed_fields(data: &mut async_graphql::Value, errors: &[ServerError]) {
    use async_graphql::{Name, PathSegment, Value};
    for error in errors {
        let Some((PathSegment::Field(last), parents)) = error.path.split_last() else { continue };
        if parents.is_empty() && *data == Value::Null {
            *data = Value::Object(Default::default());
        }
        if let Some(Value::Object(map)) = value_at(data, parents) {
            map.entry(Name::new(last)).or_insert(Value::Null);
        }
    }
}

fn value_at<'a>(
    value: &'a mut async_graphql::Value,
    path: &[async_graphql::PathSegment],
) -> Option<&'a mut async_graphql::Value> {
    use async_graphql::{PathSegment, Value};
    let Some((first, rest)) = path.split_first() else { return Some(value) };
    let next = match (first, value) {
        (PathSegment::Field(name), Value::Object(map)) => map.get_mut(name.as_str())?,
        (PathSegment::Index(i), Value::List(list)) => list.get_mut(*i)?,
        _ => return None,
    };
    value_at(next, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error(error: async_graphql::Error) -> ServerError {
        let mut server_error = error.into_server_error(async_graphql::Pos::default());
        server_error.path = vec![async_graphql::PathSegment::Field("field".into())];
        server_error
    }

    fn code_of(error: &ServerError) -> String {
        error.extensions.as_ref().and_then(|e| e.get("code")).map(|c| c.to_string()).unwrap_or_default()
    }

    #[test]
    fn app_errors_get_their_code_and_internal_details_stay_hidden() {
        let mut errors = vec![
            server_error(AppError::bad_input("filter.score", "min must not be greater than max").into()),
            server_error(AppError::Database(DbErr::Custom("SELECT secret FROM t".into())).into()),
            server_error(Arc::new(AppError::ServiceUnavailable("connection refused".into())).into()),
            // A stray `?` on a foreign error type: its text must not reach the client either.
            server_error(std::io::Error::other("/etc/secret: permission denied").into()),
        ];
        finish_errors(&mut errors);
        assert_eq!(code_of(&errors[0]), "\"BAD_USER_INPUT\"");
        assert_eq!(errors[0].message, "filter.score: min must not be greater than max");
        assert_eq!(
            errors[0].extensions.as_ref().and_then(|e| e.get("field")).map(|f| f.to_string()).as_deref(),
            Some("\"filter.score\"")
        );
        assert_eq!(
            (code_of(&errors[1]).as_str(), errors[1].message.as_str()),
            ("\"INTERNAL\"", OPAQUE_INTERNAL_MESSAGE)
        );
        assert_eq!(code_of(&errors[2]), "\"SERVICE_UNAVAILABLE\"");
        assert!(!errors[2].message.contains("refused"));
        assert_eq!(
            (code_of(&errors[3]).as_str(), errors[3].message.as_str()),
            ("\"INTERNAL\"", OPAQUE_INTERNAL_MESSAGE)
        );
    }

    #[test]
    fn failed_fields_become_null_where_their_parent_exists() {
        let mut data = async_graphql::Value::Null;
        let errors = vec![server_error(async_graphql::Error::new("x"))];
        null_failed_fields(&mut data, &errors);
        assert_eq!(data.into_json().unwrap(), serde_json::json!({ "field": null }));
    }
}
