//! The access policy of `auth::policy`, applied once per operation before it runs: every root field the
//! operation selects (through fragments too) must be open to the request's role, and so must the
//! arguments that reveal more than the field itself. A refused operation runs nothing, so the answer is
//! the same whether the rows it asks for exist or not.
//!
//! Personal data is masked where it is read (`personal_data`), since a role that may not see it may
//! still select the field.

use std::collections::HashSet;

use async_graphql::parser::types::{
    ExecutableDocument, Field, OperationDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::{Context, Positioned, ServerError, Value, Variables};

use crate::auth::policy::{MASKED, forbidden, required_role, role_of};
use crate::auth::{Principal, Role};
use crate::error::ErrorCode;

/// What the policy needs to know of the request besides its document.
pub struct AccessRequest<'a> {
    pub document: &'a ExecutableDocument,
    pub operation: &'a OperationDefinition,
    pub variables: &'a Variables,
    pub role: Role,
    pub introspection: bool,
}

/// Every root field the operation may not use, as a FORBIDDEN error at its position; empty when the
/// operation may run.
pub fn refusals(request: &AccessRequest<'_>) -> Vec<ServerError> {
    let root = match request.operation.ty {
        OperationType::Query => "Query",
        OperationType::Mutation => "Mutation",
        OperationType::Subscription => "Subscription",
    };
    let mut fields = Vec::new();
    root_fields(request.document, &request.operation.selection_set.node, &mut HashSet::new(), &mut fields);
    let mut errors = Vec::new();
    for field in fields {
        let name = field.node.name.node.as_str();
        let refusal = if matches!(name, "__schema" | "__type") && !request.introspection {
            Some("introspection is turned off on this server".to_owned())
        } else if let Some(needed) = required_role(root, name).filter(|needed| request.role < *needed) {
            Some(forbidden(request.role, needed, &format!("{root}.{name}")))
        } else if root == "Query"
            && name == "customers"
            && orders_by_name(field, request.variables)
            && !request.role.sees_personal_data()
        {
            // The order and the cursors would reveal names.
            Some(forbidden(request.role, Role::Admin, "customers(orderBy: { field: NAME })"))
        } else {
            None
        };
        if let Some(message) = refusal {
            let mut error = ServerError::new(message, Some(field.pos));
            error.path = vec![async_graphql::PathSegment::Field(field.node.response_key().node.to_string())];
            error.extensions.get_or_insert_with(Default::default).set("code", ErrorCode::Forbidden.as_str());
            errors.push(error);
        }
    }
    errors
}

/// The fields of a root selection set, through fragment spreads (each once) and inline fragments.
fn root_fields<'a>(
    document: &'a ExecutableDocument,
    set: &'a SelectionSet,
    seen: &mut HashSet<&'a str>,
    out: &mut Vec<&'a Positioned<Field>>,
) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => out.push(field),
            Selection::InlineFragment(inline) => root_fields(document, &inline.node.selection_set.node, seen, out),
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                if seen.insert(name)
                    && let Some(fragment) = document.fragments.get(name)
                {
                    root_fields(document, &fragment.node.selection_set.node, seen, out);
                }
            }
        }
    }
}

/// Whether `customers(orderBy: { field: NAME })`, written out or through variables.
fn orders_by_name(field: &Positioned<Field>, variables: &Variables) -> bool {
    let Some(value) = field.node.get_argument("orderBy") else { return false };
    let Ok(value) = value.node.clone().into_const_with(|name| variables.get(&name).cloned().ok_or(())) else {
        return false;
    };
    match value {
        // From variables, an enum value arrives as a string.
        Value::Object(object) => match object.get("field") {
            Some(Value::Enum(name)) => name.as_str() == "NAME",
            Some(Value::String(name)) => name == "NAME",
            _ => false,
        },
        _ => false,
    }
}

/// A personal-data field's value as the request's role may see it: itself, or `[masked]`.
pub fn personal_data<'a>(ctx: &Context<'_>, value: &'a str) -> &'a str {
    if role_of(ctx.data_opt::<Principal>()).sees_personal_data() { value } else { MASKED }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use async_graphql::parser::types::DocumentOperations;

    use super::*;

    fn refused(query: &str, variables: serde_json::Value, role: Role, introspection: bool) -> Vec<String> {
        let document = parse_query(query).expect("parses");
        let operation = match &document.operations {
            DocumentOperations::Single(op) => op.node.clone(),
            DocumentOperations::Multiple(ops) => ops.values().next().expect("one").node.clone(),
        };
        let variables = Variables::from_json(variables);
        let request =
            AccessRequest { document: &document, operation: &operation, variables: &variables, role, introspection };
        refusals(&request).into_iter().map(|e| format!("{:?}", e.path)).collect()
    }

    #[test]
    fn root_fields_are_checked_through_fragments_and_variables() {
        let none = serde_json::json!({});
        assert!(refused("{ insights { __typename } __typename }", none.clone(), Role::Viewer, true).is_empty());
        assert_eq!(
            refused("{ insights { __typename } c: customers { totalCount } }", none.clone(), Role::Viewer, true).len(),
            1
        );
        let spread = "{ ...F } fragment F on Query { ... on Query { customers { totalCount } } }";
        assert_eq!(refused(spread, none.clone(), Role::Viewer, true).len(), 1);
        assert!(refused(spread, none.clone(), Role::Analyst, true).is_empty());
        assert_eq!(
            refused("mutation { deleteFeedback(externalId: \"x\") { deleted } }", none.clone(), Role::Analyst, true)
                .len(),
            1
        );
        assert_eq!(refused("subscription { feedbackSubmitted { id } }", none.clone(), Role::Viewer, true).len(), 1);
        let by_name = "query($o: CustomerOrderBy) { customers(orderBy: $o) { totalCount } }";
        let name = serde_json::json!({ "o": { "field": "NAME", "direction": "ASC" } });
        assert_eq!(refused(by_name, name.clone(), Role::Analyst, true).len(), 1);
        assert!(refused(by_name, name, Role::Admin, true).is_empty());
        assert_eq!(refused("{ __schema { types { name } } }", none.clone(), Role::Admin, false).len(), 1);
        assert!(refused("{ __typename }", none, Role::Viewer, false).is_empty());
    }
}
