//! One set of rules for every write path: each rule, run through a GraphQL mutation and through an import
//! of a file holding the same record, is refused by both with the same message (at `input.field` and at
//! `file:line: column field`), and both accept the same valid variants, with the same data after them.

use std::path::Path;

use customer_insights::transfer::export::export;
use customer_insights::transfer::import::{ImportOptions, import};
use customer_insights::transfer::records::Table;
use serde_json::{Map, Value, json};

use crate::helpers::Silent;
use crate::helpers::{TestApp, code, field_of, spawn_app, user_code};
use crate::mutations::{CUSTOMER, FEEDBACK, ORDER, TOUCHPOINT, basics};
use crate::transfer::import_error;

/// A record of `table`, by the import's column names: the table's base record with `changes`.
struct Case {
    table: Table,
    record: Map<String, Value>,
}

fn case(table: Table, changes: Value) -> Case {
    let base = match table {
        Table::Customers => json!({ "external_id": "C-9", "name": "Grace Hopper", "email": "grace@example.com",
            "segment": "consumer", "region": "NA", "created_at": "2026-01-03T00:00:00Z" }),
        Table::Orders => json!({ "external_id": "O-9", "customer_external_id": "C-1",
            "placed_at": "2026-02-06T10:00:00Z", "status": "PLACED", "total_amount": "12.50", "currency": "EUR" }),
        Table::Touchpoints => json!({ "external_id": "T-9", "customer_external_id": "C-1", "order_external_id": "O-1",
            "kind": "SUPPORT", "channel": "CHAT", "occurred_at": "2026-02-05T10:00:00Z",
            "survey_sent_at": "2026-02-05T11:00:00Z" }),
        Table::Feedback => json!({ "external_id": "F-9", "customer_external_id": "C-2", "touchpoint_external_id": null,
            "metric": "NPS", "score": 9, "comment": null, "submitted_at": "2026-02-05T12:00:00Z" }),
        Table::Complaints => unreachable!("{NO_COMPLAINT_RECORD_MUTATION}"),
    };
    let (Value::Object(mut record), Value::Object(changes)) = (base, changes) else { panic!("objects") };
    record.extend(changes);
    Case { table, record }
}

/// A refusal: the record, the field it names and the message.
fn refused(table: Table, changes: Value, field: &'static str, why: &str) -> (Case, &'static str, String) {
    (case(table, changes), field, why.to_owned())
}

fn long(n: usize) -> String {
    "x".repeat(n)
}

fn refusals() -> Vec<(Case, &'static str, String)> {
    use Table::{Customers, Feedback, Orders, Touchpoints};
    let mut cases = vec![
        refused(Customers, json!({ "external_id": "  " }), "external_id", "must not be empty"),
        refused(Customers, json!({ "external_id": long(129) }), "external_id", "at most 128 characters"),
        refused(Customers, json!({ "name": " " }), "name", "must not be empty"),
        refused(Customers, json!({ "name": long(257) }), "name", "at most 256 characters"),
        refused(Customers, json!({ "name": "Grace\u{0}" }), "name", "must not contain NUL characters"),
        refused(Customers, json!({ "email": "not-an-email" }), "email", "not an e-mail address"),
        refused(Customers, json!({ "email": "grace@example" }), "email", "not an e-mail address"),
        refused(Customers, json!({ "email": "@example.com" }), "email", "not an e-mail address"),
        refused(Customers, json!({ "email": "grace @example.com" }), "email", "not an e-mail address"),
        refused(Customers, json!({ "email": format!("{}@example.com", long(309)) }), "email", "at most 320 characters"),
        refused(Customers, json!({ "segment": long(65) }), "segment", "at most 64 characters"),
        refused(Customers, json!({ "region": "" }), "region", "must not be empty"),
        refused(
            Orders,
            json!({ "total_amount": "12.505" }),
            "total_amount",
            "'12.505' is not a valid EUR amount: at most 2 decimal places",
        ),
        refused(
            Orders,
            json!({ "total_amount": "1250.5", "currency": "JPY" }),
            "total_amount",
            "'1250.5' is not a valid JPY amount: at most 0 decimal places",
        ),
        refused(
            Orders,
            json!({ "customer_external_id": "C-404" }),
            "customer_external_id",
            "no customer with external id 'C-404'",
        ),
        refused(Orders, json!({ "external_id": long(129) }), "external_id", "at most 128 characters"),
        // O-1 has C-1's touchpoint T-1: given to C-2, the touchpoint would stay with C-1.
        refused(
            Orders,
            json!({ "external_id": "O-1", "customer_external_id": "C-2" }),
            "customer_external_id",
            "the order has touchpoints of another customer",
        ),
        refused(
            Touchpoints,
            json!({ "survey_sent_at": "2026-02-05T09:59:59Z" }),
            "survey_sent_at",
            "a survey cannot be sent before the touchpoint happened",
        ),
        refused(
            Touchpoints,
            json!({ "order_external_id": "O-404" }),
            "order_external_id",
            "no order with external id 'O-404'",
        ),
        refused(
            Touchpoints,
            json!({ "customer_external_id": "C-2" }),
            "order_external_id",
            "order 'O-1' belongs to another customer than 'C-2'",
        ),
        refused(Touchpoints, json!({ "order_external_id": long(129) }), "order_external_id", "at most 128 characters"),
        // T-1 has C-1's answer F-1: given to C-2, the answer would stay with C-1.
        refused(
            Touchpoints,
            json!({ "external_id": "T-1", "customer_external_id": "C-2", "order_external_id": null }),
            "customer_external_id",
            "the touchpoint has answers of another customer",
        ),
        refused(
            Feedback,
            json!({ "touchpoint_external_id": "T-1" }),
            "touchpoint_external_id",
            "touchpoint 'T-1' belongs to another customer than 'C-2'",
        ),
        refused(
            Feedback,
            json!({ "touchpoint_external_id": "T-404" }),
            "touchpoint_external_id",
            "no touchpoint with external id 'T-404'",
        ),
        refused(
            Feedback,
            json!({ "customer_external_id": "C-404" }),
            "customer_external_id",
            "no customer with external id 'C-404'",
        ),
        refused(Feedback, json!({ "comment": long(10_001) }), "comment", "at most 10000 characters"),
    ];
    for (metric, low, high) in [("NPS", 0, 10), ("CSAT", 1, 5), ("CES", 1, 7)] {
        for score in [low - 1, high + 1] {
            let why = format!("{metric} scores are {low} to {high}, not {score}");
            cases.push(refused(Feedback, json!({ "metric": metric, "score": score }), "score", &why));
        }
    }
    cases
}

/// Variants every path accepts, each at a rule's edge.
fn valid_variants() -> Vec<Case> {
    use Table::{Customers, Feedback, Orders, Touchpoints};
    let mut cases = vec![
        case(Customers, json!({ "email": "  grace.hopper+navy@mail.example.org " })),
        case(Customers, json!({ "name": long(256), "segment": long(64), "external_id": long(128) })),
        case(Orders, json!({ "total_amount": "12.5" })),
        case(Orders, json!({ "external_id": "O-10", "total_amount": "1250", "currency": "JPY" })),
        // O-2 and T-2 have no children: they may change customers.
        case(Orders, json!({ "external_id": "O-2", "customer_external_id": "C-2" })),
        case(Touchpoints, json!({ "survey_sent_at": "2026-02-05T10:00:00Z" })),
        case(Touchpoints, json!({ "external_id": "T-10", "order_external_id": null, "survey_sent_at": null })),
        case(Touchpoints, json!({ "external_id": "T-2", "customer_external_id": "C-2", "order_external_id": null })),
        case(Feedback, json!({ "comment": "   " })),
        case(Feedback, json!({ "comment": long(10_000) })),
        case(
            Feedback,
            json!({ "external_id": "F-10", "customer_external_id": "C-1", "touchpoint_external_id": "T-1" }),
        ),
    ];
    for (metric, low, high) in [("NPS", 0, 10), ("CSAT", 1, 5), ("CES", 1, 7)] {
        for score in [low, high] {
            cases.push(case(Feedback, json!({ "metric": metric, "score": score })));
        }
    }
    cases
}

/// `basics`, and an order and a touchpoint of C-1 without children.
async fn setup(app: &TestApp) {
    basics(app).await;
    app.query(ORDER, json!({ "input": { "externalId": "O-2", "customerExternalId": "C-1", "placedAt": "2026-02-02T10:00:00Z", "status": "PLACED", "totalAmount": "3.00", "currency": "EUR" } })).await;
    app.query(TOUCHPOINT, json!({ "input": { "externalId": "T-2", "customerExternalId": "C-1", "kind": "SUPPORT", "channel": "EMAIL", "occurredAt": "2026-02-04T10:00:00Z" } })).await;
}

fn mutation(table: Table) -> &'static str {
    match table {
        Table::Customers => CUSTOMER,
        Table::Orders => ORDER,
        Table::Touchpoints => TOUCHPOINT,
        Table::Feedback => FEEDBACK,
        Table::Complaints => unreachable!("{NO_COMPLAINT_RECORD_MUTATION}"),
    }
}

/// Complaints are written field by field of their handling (opened, answered, closed), not as one
/// record: their rules are compared between the mutations and the import in `complaint_writes` and
/// `complaint_transfer`.
const NO_COMPLAINT_RECORD_MUTATION: &str = "no mutation writes a whole complaint record";

/// The schema's name of a field: `customer_external_id` -> `customerExternalId`.
fn input_name(column: &str) -> String {
    let mut words = column.split('_');
    let first = words.next().unwrap_or_default().to_owned();
    words.fold(first, |name, word| name + &word[..1].to_uppercase() + &word[1..])
}

/// The record as a mutation's variables.
fn variables(case: &Case) -> Value {
    let input: Map<String, Value> = case.record.iter().map(|(k, v)| (input_name(k), v.clone())).collect();
    json!({ "input": input })
}

/// The record as a file of its table (the header, then the record on line 2), in a new directory.
fn file(case: &Case) -> tempfile::TempDir {
    let cell = |column: &&str| match &case.record[*column] {
        Value::Null => String::new(),
        Value::String(text) => format!("\"{}\"", text.replace('"', "\"\"")),
        other => other.to_string(),
    };
    let columns = case.table.columns();
    let line: Vec<String> = columns.iter().map(cell).collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(case.table.file_name()), format!("{}\n{}\n", columns.join(","), line.join(",")))
        .unwrap();
    dir
}

/// Every row of the database, as an export writes it.
async fn data(app: &TestApp) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    export(&app.db, dir.path()).await.expect("export");
    let read = |table: Table| std::fs::read_to_string(dir.path().join(table.file_name())).unwrap();
    Table::ALL.into_iter().map(read).collect()
}

async fn import_file(app: &TestApp, dir: &Path) {
    import(&app.db, dir, ImportOptions::default(), &Silent)
        .await
        .unwrap_or_else(|e| panic!("import of {dir:?}: {e:?}"));
}

#[tokio::test]
async fn every_rule_refuses_the_same_record_with_the_same_message_on_both_paths() {
    let (graphql, files) = (spawn_app().await, spawn_app().await);
    setup(&graphql).await;
    setup(&files).await;
    let before = data(&graphql).await;
    assert_eq!(data(&files).await, before);
    for (case, column, why) in refusals() {
        let what = format!("{} {:?}", case.table.file_name(), case.record);
        let error = graphql.refusal(mutation(case.table), variables(&case)).await;
        let path = format!("input.{}", input_name(column));
        assert_eq!(user_code(&error), "BAD_USER_INPUT", "{what}: {error}");
        assert_eq!(field_of(&error), path, "{what}: {error}");
        assert_eq!(error["message"].as_str(), Some(why.as_str()), "{what}");

        let dir = file(&case);
        let errors = import_error(&files, dir.path()).await;
        assert_eq!(errors, vec![format!("{}:2: column {column}: {why}", case.table.file_name())], "{what}");
    }
    assert_eq!(data(&graphql).await, before, "the mutations changed nothing");
    assert_eq!(data(&files).await, before, "the imports changed nothing");
}

#[tokio::test]
async fn both_paths_accept_the_valid_variants_and_store_the_same_data() {
    let (graphql, files) = (spawn_app().await, spawn_app().await);
    setup(&graphql).await;
    setup(&files).await;
    let before = data(&graphql).await;
    for case in valid_variants() {
        graphql.query(mutation(case.table), variables(&case)).await;
        import_file(&files, file(&case).path()).await;
        assert_eq!(data(&graphql).await, data(&files).await, "{} {:?}", case.table.file_name(), case.record);
    }
    assert_ne!(data(&graphql).await, before);
}

/// The schema's types refuse these before any rule runs, in the words of GraphQL; the import refuses
/// the same values at their column.
#[tokio::test]
async fn values_of_the_wrong_type_are_refused_on_both_paths() {
    let (graphql, files) = (spawn_app().await, spawn_app().await);
    setup(&graphql).await;
    setup(&files).await;
    let cases = [
        (case(Table::Orders, json!({ "currency": "EURO" })), "currency", "'EURO' is not an ISO 4217 currency code"),
        (case(Table::Orders, json!({ "status": "SHIPPED" })), "status", "'SHIPPED' is not one of "),
        (case(Table::Touchpoints, json!({ "occurred_at": "yesterday" })), "occurred_at", "not an RFC 3339 timestamp"),
        (case(Table::Feedback, json!({ "score": "nine" })), "score", "'nine' is not a whole number"),
    ];
    for (case, column, why) in cases {
        let error = graphql.query_error(mutation(case.table), variables(&case)).await;
        assert!(matches!(code(&error), "BAD_USER_INPUT" | "GRAPHQL_VALIDATION_FAILED"), "{error}");
        let dir = file(&case);
        let errors = import_error(&files, dir.path()).await;
        let expected = format!("{}:2: column {column}: {why}", case.table.file_name());
        assert!(errors.len() == 1 && errors[0].starts_with(&expected), "expected `{expected}`, got {errors:?}");
    }
}
