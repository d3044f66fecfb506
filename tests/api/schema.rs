//! `schema.graphql` must always equal the SDL the code generates, and every element must be described.

use serde_json::Value;

#[test]
fn schema_file_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let generated = customer_insights::graphql::sdl();
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed != generated {
        std::fs::write(path, &generated).expect("write schema.graphql");
        panic!("schema.graphql was out of date and has been regenerated: review and commit it");
    }
}

const INTROSPECTION: &str = r#"{ __schema { types {
    name description
    fields { name description args { name description } }
    inputFields { name description }
    enumValues { name description }
} } }"#;

#[tokio::test]
async fn every_type_field_argument_and_enum_value_is_described() {
    let response = customer_insights::graphql::schema_without_data().execute(INTROSPECTION).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().expect("JSON");
    let mut undocumented = Vec::new();
    let described = |v: &Value| v["description"].as_str().is_some_and(|d| !d.trim().is_empty());
    for ty in data["__schema"]["types"].as_array().expect("types") {
        let name = ty["name"].as_str().unwrap_or_default();
        if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
            continue;
        }
        if !described(ty) {
            undocumented.push(name.to_owned());
        }
        for list in ["fields", "inputFields", "enumValues"] {
            for member in ty[list].as_array().into_iter().flatten() {
                let member_name = format!("{name}.{}", member["name"].as_str().unwrap_or_default());
                if !described(member) {
                    undocumented.push(member_name.clone());
                }
                for arg in member["args"].as_array().into_iter().flatten() {
                    if !described(arg) {
                        undocumented.push(format!("{member_name}({})", arg["name"].as_str().unwrap_or_default()));
                    }
                }
            }
        }
    }
    assert!(undocumented.is_empty(), "undocumented schema elements: {undocumented:#?}");
}
