//! The field policy, enforced for every field of every operation in one place (an async-graphql
//! extension), so no resolver can forget it:
//! - root fields other than `insights` need ANALYST (rows) and mutations need ADMIN;
//! - personal data fields are masked below ADMIN.
//!
//! A forbidden field fails before it resolves, so the answer is the same whether the row it asks for
//! exists or not.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo};
use async_graphql::{ErrorExtensionValues, ErrorExtensions, PathSegment, ServerError, ServerResult, Value};

use crate::auth::{Principal, Role};
use crate::error::ErrorCode;

/// What masked personal data reads as.
pub const MASKED: &str = "[masked]";

/// Root query fields a VIEWER may use: aggregates and the schema itself.
const VIEWER_ROOT_FIELDS: [&str; 4] = ["insights", "__typename", "__schema", "__type"];

/// Fields holding personal data: `(type, field)`.
const PERSONAL_DATA: [(&str, &str); 3] = [("Customer", "name"), ("Customer", "email"), ("Feedback", "comment")];

/// The role a field needs, if it needs more than VIEWER.
pub fn required_role(parent_type: &str, field: &str) -> Option<Role> {
    match parent_type {
        "Mutation" => Some(Role::Admin),
        "Query" | "Subscription" if !VIEWER_ROOT_FIELDS.contains(&field) => Some(Role::Analyst),
        _ => None,
    }
}

pub fn is_personal_data(parent_type: &str, field: &str) -> bool {
    PERSONAL_DATA.contains(&(parent_type, field))
}

/// The FORBIDDEN error of a field.
pub fn forbidden(role: Role, needed: Role, what: &str) -> async_graphql::Error {
    async_graphql::Error::new(format!("the {role} role may not use `{what}` (it needs {needed})"))
        .extend_with(|_, ext| ext.set("code", ErrorCode::Forbidden.as_str()))
}

/// The role of the request; least privilege when none was set.
pub fn role_of(principal: Option<&Principal>) -> Role {
    principal.map_or(Role::Viewer, |p| p.role)
}

pub struct AccessPolicy;

impl ExtensionFactory for AccessPolicy {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AccessPolicy)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for AccessPolicy {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.parent_type == "Query"
            && matches!(info.name, "__schema" | "__type")
            && ctx.data_opt::<IntrospectionDisabled>().is_some()
        {
            let error = async_graphql::Error::new("introspection is turned off on this server")
                .extend_with(|_, ext| ext.set("code", ErrorCode::Forbidden.as_str()));
            return Err(located(error, &info));
        }
        let role = role_of(ctx.data_opt::<Principal>());
        if let Some(needed) = required_role(info.parent_type, info.name).filter(|needed| role < *needed) {
            let what = format!("{}.{}", info.parent_type, info.name);
            return Err(located(forbidden(role, needed, &what), &info));
        }
        let masked = !role.sees_personal_data() && is_personal_data(info.parent_type, info.name);
        let value = next.run(ctx, info).await?;
        if masked {
            return Ok(value.map(|value| match value {
                Value::Null => Value::Null,
                _ => Value::String(MASKED.to_owned()),
            }));
        }
        Ok(value)
    }
}

/// Schema data saying that introspection is off: `__schema` and `__type` answer FORBIDDEN rather than
/// async-graphql's silent `null`.
pub struct IntrospectionDisabled;

/// An error at the field's position and path.
fn located(error: async_graphql::Error, info: &ResolveInfo<'_>) -> ServerError {
    let mut server_error = ServerError::new(error.message, Some(info.field.name.pos));
    server_error.extensions = error.extensions.or_else(|| Some(ErrorExtensionValues::default()));
    server_error.path = path_of(info);
    server_error
}

fn path_of(info: &ResolveInfo<'_>) -> Vec<PathSegment> {
    info.path_node
        .to_string_vec()
        .into_iter()
        .map(|segment| match segment.parse::<usize>() {
            Ok(index) => PathSegment::Index(index),
            Err(_) => PathSegment::Field(segment),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_reaches_what_the_table_says() {
        assert_eq!(required_role("Query", "insights"), None);
        assert_eq!(required_role("Query", "__schema"), None);
        assert_eq!(required_role("Query", "customers"), Some(Role::Analyst));
        assert_eq!(required_role("Query", "node"), Some(Role::Analyst));
        assert_eq!(required_role("Subscription", "feedbackSubmitted"), Some(Role::Analyst));
        assert_eq!(required_role("Mutation", "upsertCustomer"), Some(Role::Admin));
        assert_eq!(required_role("Customer", "orders"), None, "reaching a row needs a root field");
        assert!(is_personal_data("Customer", "email") && !is_personal_data("Customer", "segment"));
    }
}
