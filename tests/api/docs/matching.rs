//! Whether a documented answer excerpt is contained in a real answer.

use serde_json::Value;

/// Objects may leave out keys and lists may leave out items (those kept stay in order); everything
/// present must be equal.
pub fn contained(excerpt: &Value, answer: &Value) -> bool {
    match (excerpt, answer) {
        (Value::Object(shown), Value::Object(full)) => {
            shown.iter().all(|(key, value)| full.get(key).is_some_and(|other| contained(value, other)))
        }
        (Value::Array(shown), Value::Array(full)) => {
            let mut rest = full.iter();
            shown.iter().all(|item| rest.any(|other| contained(item, other)))
        }
        _ => excerpt == answer,
    }
}

#[test]
fn excerpts_keep_order_and_values() {
    use serde_json::json;
    let answer = json!({ "rows": [{ "a": 1, "b": 2 }, { "a": 3, "b": 4 }, { "a": 5, "b": 6 }] });
    assert!(contained(&json!({ "rows": [{ "a": 1 }, { "b": 6 }] }), &answer));
    assert!(contained(&json!({}), &answer));
    assert!(!contained(&json!({ "rows": [{ "a": 5 }, { "a": 1 }] }), &answer), "order matters");
    assert!(!contained(&json!({ "rows": [{ "a": 2 }] }), &answer), "values must be equal");
    assert!(!contained(&json!({ "missing": null }), &answer), "keys must exist");
}
