//! Relay pagination: walking forwards and backwards, ordering, totals, and bad arguments.

use entity::{customer, order};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, code, spawn_seeded_app};

/// Walks a root connection page by page, forwards (`first/after`) or backwards (`last/before`).
async fn walk(app: &TestApp, field: &str, order_by: &str, selection: &str, backward: bool) -> Vec<Value> {
    let (size_arg, cursor_arg, more, next_cursor) = if backward {
        ("last", "before", "hasPreviousPage", "startCursor")
    } else {
        ("first", "after", "hasNextPage", "endCursor")
    };
    let query = format!(
        "query($cursor: String) {{ {field}({size_arg}: 7, {cursor_arg}: $cursor, orderBy: {order_by}) {{
            nodes {{ {selection} }} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} totalCount }} }}"
    );
    let mut cursor = Value::Null;
    let mut pages: Vec<Vec<Value>> = Vec::new();
    loop {
        let data = app.query(&query, json!({ "cursor": cursor })).await;
        let connection = &data[field];
        let nodes = connection["nodes"].as_array().unwrap().clone();
        assert!(nodes.len() <= 7);
        pages.push(nodes);
        if !connection["pageInfo"][more].as_bool().unwrap() {
            break;
        }
        cursor = connection["pageInfo"][next_cursor].clone();
        assert!(pages.len() < 1000, "pagination does not end");
    }
    if backward {
        pages.reverse();
    }
    pages.into_iter().flatten().collect()
}

#[tokio::test]
async fn walking_forwards_and_backwards_visits_every_row_once_in_order() {
    let app = spawn_seeded_app(30).await;
    let mut customers = customer::Entity::find().all(&app.db).await.unwrap();
    customers.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
    let expected: Vec<Value> = customers.iter().map(|c| json!({ "externalId": c.external_id })).collect();

    let forwards = walk(&app, "customers", "{ field: NAME }", "externalId", false).await;
    assert_eq!(forwards, expected);
    let backwards = walk(&app, "customers", "{ field: NAME }", "externalId", true).await;
    assert_eq!(backwards, expected);

    let descending = walk(&app, "customers", "{ field: NAME, direction: DESC }", "externalId", false).await;
    assert_eq!(descending, expected.iter().rev().cloned().collect::<Vec<_>>());
}

#[tokio::test]
async fn ties_in_the_sort_column_are_broken_by_id() {
    let app = spawn_seeded_app(30).await;
    let mut orders = order::Entity::find().all(&app.db).await.unwrap();
    orders.retain(|o| o.currency == "USD");
    assert!(orders.len() > 7, "more than a page of USD orders: {}", orders.len());
    // Amounts repeat across orders, so this order relies on the id tie-breaker.
    orders.sort_by_key(|o| std::cmp::Reverse((o.total_amount_minor, o.id)));
    let expected: Vec<Value> = orders.iter().map(|o| json!({ "externalId": o.external_id })).collect();
    let by_amount = "{ field: TOTAL_AMOUNT, direction: DESC }, filter: { currencies: [\"USD\"] }";
    let walked = walk(&app, "orders", by_amount, "externalId", false).await;
    assert_eq!(walked, expected);
}

#[tokio::test]
async fn amounts_are_ordered_within_one_currency_only() {
    let app = spawn_seeded_app(10).await;
    for filter in ["", ", filter: { currencies: [\"USD\", \"EUR\"] }"] {
        let query = format!("{{ orders(orderBy: {{ field: TOTAL_AMOUNT }}{filter}) {{ nodes {{ id }} }} }}");
        let error = app.query_error(&query, json!({})).await;
        assert_eq!(code(&error), "BAD_USER_INPUT", "{error}");
        assert!(error.to_string().contains("orderBy.field"), "{error}");
    }
    // Per-currency spend names its currency, as its total does.
    let data = app
        .query(
            "{ customers(first: 10) { nodes { orderSummary { spend { currency totalSpent { currency } } } } } }",
            json!({}),
        )
        .await;
    let spends: Vec<&Value> = data["customers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["orderSummary"]["spend"].as_array().unwrap())
        .collect();
    assert!(!spends.is_empty());
    assert!(spends.iter().all(|s| s["currency"] == s["totalSpent"]["currency"]), "{spends:?}");
}

#[tokio::test]
async fn page_info_and_total_count_describe_the_whole_list() {
    let app = spawn_seeded_app(12).await;
    let data = app
        .query("{ customers(first: 5) { totalCount edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }", json!({}))
        .await;
    let connection = &data["customers"];
    assert_eq!(connection["totalCount"], 12);
    assert_eq!(connection["pageInfo"]["hasNextPage"], true);
    assert_eq!(connection["pageInfo"]["hasPreviousPage"], false);
    assert_eq!(connection["pageInfo"]["startCursor"], connection["edges"][0]["cursor"]);
    assert_eq!(connection["pageInfo"]["endCursor"], connection["edges"][4]["cursor"]);

    let default_size = app.query("{ touchpoints { totalCount nodes { id } } }", json!({})).await;
    assert!(default_size["touchpoints"]["totalCount"].as_u64().unwrap() > 20);
    assert_eq!(default_size["touchpoints"]["nodes"].as_array().unwrap().len(), 20);

    let empty = app
        .query("{ customers(first: 0) { nodes { id } pageInfo { startCursor endCursor } totalCount } }", json!({}))
        .await;
    assert_eq!(
        empty["customers"],
        json!({ "nodes": [], "pageInfo": { "startCursor": null, "endCursor": null }, "totalCount": 12 })
    );
}

#[tokio::test]
async fn bad_pagination_arguments_are_bad_user_input() {
    let app = spawn_seeded_app(3).await;
    let cursor = app.query("{ customers(first: 1) { pageInfo { endCursor } } }", json!({})).await["customers"]["pageInfo"]["endCursor"].clone();
    let cases = [
        ("{ customers(first: 101) { totalCount } }", json!({}), "first: must be between 0 and 100"),
        ("{ customers(last: -1) { totalCount } }", json!({}), "last: must be between 0 and 100"),
        ("{ customers(first: 1, last: 1) { totalCount } }", json!({}), "last: give either first or last, not both"),
        ("{ customers(after: \"bm9wZQ\") { totalCount } }", json!({}), "after: not a valid cursor"),
        ("{ customers(before: \"' OR 1=1 --\") { totalCount } }", json!({}), "before: not a valid cursor"),
        (
            "query($c: String) { customers(after: $c, orderBy: { field: NAME }) { totalCount } }",
            json!({ "c": cursor }),
            "after: the cursor belongs to a different orderBy",
        ),
    ];
    for (query, variables, message) in cases {
        let error = app.query_error(query, variables).await;
        assert_eq!(code(&error), "BAD_USER_INPUT", "{query}");
        assert_eq!(error["message"], message, "{query}");
    }
    // Exactly at the limit is fine.
    app.query("{ customers(first: 100) { totalCount } }", json!({})).await;
}
