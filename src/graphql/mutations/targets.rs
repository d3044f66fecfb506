//! How a mutation names what it refuses and what it changes: a refused field by its input path, and
//! its target by global `id` or `externalId` (exactly one, the lookups' rule).

use async_graphql::{Context, ID};
use sea_orm::PrimaryKeyTrait;

use crate::domain::ids::NodeType;
use crate::domain::validation::{Invalid, Rule};
use crate::error::{AppError, AppResult};
use crate::graphql::connection::database;
use crate::graphql::inputs::{RowKey, input_path, row_key};
use crate::services::lookups::{self, ExternalKey};

/// Names a refused write's field by its input path under `path` (`input.email`, `inputs[3].score`):
/// the services and the validation name fields as the data does (`email`, `score`).
pub(super) fn at<E: Into<AppError>>(path: &str) -> impl Fn(E) -> AppError + '_ {
    move |error| match error.into() {
        AppError::Invalid(invalid) => refusal(invalid, path),
        other => other,
    }
}

pub(super) fn refusal(invalid: Invalid, path: &str) -> AppError {
    let mut field = path.to_owned();
    if let Some(item) = invalid.item {
        field.push_str(&format!("[{item}]"));
    }
    if let Some(name) = invalid.field {
        field = input_path(&field, &camel_case(name.name()));
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

/// A mutation's target: the external id the writes take, and the input field that named it, to
/// report a target that does not exist at that field.
pub(super) struct Target {
    pub external_id: String,
    field: String,
}

impl Target {
    /// Resolves a target named by global `id` or `externalId` under `at` (`input`, or empty for
    /// arguments). A global id that names no row is a missing target.
    pub async fn of<E>(
        ctx: &Context<'_>,
        node_type: NodeType,
        (id, external_id): (Option<ID>, Option<String>),
        at: &str,
    ) -> AppResult<Target>
    where
        E: ExternalKey,
        <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
    {
        let path = |name: &str| input_path(at, name);
        match row_key(id.clone(), external_id, node_type, at)? {
            RowKey::ExternalId(external_id) => Ok(Target { external_id, field: path("externalId") }),
            RowKey::Id(row) => match lookups::external_id_of::<E>(database(ctx)?, row).await? {
                Some(external_id) => Ok(Target { external_id, field: path("id") }),
                None => Err(AppError::MissingTarget {
                    field: path("id"),
                    message: format!("no {} with id '{}'", node_type.name(), id.map(|id| id.0).unwrap_or_default()),
                }),
            },
        }
    }

    /// Reports a write's NOT_FOUND (the row went between the lookup and the write, or an unknown
    /// external id) at the field that named the target; other errors as `at` does.
    pub fn refusal<'a, E: Into<AppError>>(&'a self, at_path: &'a str) -> impl Fn(E) -> AppError + 'a {
        let refuse = at(at_path);
        move |error| match refuse(error) {
            AppError::NotFound(message) => AppError::MissingTarget { field: self.field.clone(), message },
            other => other,
        }
    }

    /// A missing target, reported at the field that named it.
    pub fn missing(&self, kind: &str) -> AppError {
        AppError::MissingTarget {
            field: self.field.clone(),
            message: format!("no {kind} with external id '{}'", self.external_id),
        }
    }
}
