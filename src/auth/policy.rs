//! The access policy, as data: which role each root field needs, and which fields hold personal data.
//! The gate applies it to every operation before it runs (`graphql::gate::access`); personal data is
//! masked below ADMIN where it is read.
//! - root fields other than `insights` need ANALYST (rows), mutations need ADMIN;
//! - personal data fields are masked below ADMIN.

use crate::auth::{Principal, Role};

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

/// Why `role` may not use `what`, which needs `needed`: the message of a FORBIDDEN error.
pub fn forbidden(role: Role, needed: Role, what: &str) -> String {
    format!("the {role} role may not use `{what}` (it needs {needed})")
}

/// The role of the request; least privilege when none was set.
pub fn role_of(principal: Option<&Principal>) -> Role {
    principal.map_or(Role::Viewer, |p| p.role)
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
        assert_eq!(required_role("Query", "deletions"), Some(Role::Analyst), "tombstones are rows too");
        assert_eq!(required_role("Subscription", "feedbackSubmitted"), Some(Role::Analyst));
        assert_eq!(required_role("Mutation", "upsertCustomer"), Some(Role::Admin));
        assert_eq!(required_role("Mutation", "fitClvModel"), Some(Role::Admin));
        assert_eq!(required_role("Customer", "orders"), None, "reaching a row needs a root field");
        assert!(is_personal_data("Customer", "email") && !is_personal_data("Customer", "segment"));
    }

    #[test]
    fn the_table_names_every_field_the_schema_calls_personal_data() {
        let sdl = crate::graphql::sdl();
        let mut documented = Vec::new();
        let mut current_type = "";
        let lines: Vec<&str> = sdl.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if let Some(rest) = line.strip_prefix("type ") {
                current_type = rest.split([' ', '{']).next().unwrap_or_default();
            }
            if line.trim().ends_with("Personal data.") {
                // The field follows its description's closing quotes.
                let field = lines[i + 2..].iter().find(|l| !l.trim().is_empty()).map(|l| l.trim()).unwrap_or_default();
                let name = field.split([':', '(']).next().unwrap_or_default();
                documented.push((current_type.to_owned(), name.to_owned()));
            }
        }
        let table: Vec<(String, String)> = PERSONAL_DATA.iter().map(|(t, f)| (t.to_string(), f.to_string())).collect();
        assert_eq!(documented, table);
    }
}
