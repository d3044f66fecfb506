//! Linked fields both ways, and the cost of a nested page in SQL statements.

use std::collections::HashMap;

use entity::{customer, feedback, order, touchpoint};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_seeded_app};

const NESTED_PAGE: &str = "query($n: Int!) {
  customers(first: $n) {
    totalCount
    nodes {
      externalId
      orders(first: 5) {
        totalCount
        nodes {
          externalId
          customer { externalId }
          touchpoints(first: 5) {
            totalCount
            nodes {
              externalId
              order { externalId }
              customer { externalId }
              feedback(first: 5) { totalCount nodes { externalId score order { externalId } touchpoint { externalId } customer { externalId } } }
            }
          }
        }
      }
    }
  }
}";

async fn statements_for(app: &TestApp, query: &str, variables: Value) -> (u64, Value) {
    let before = app.statements.get();
    let data = app.query(query, variables).await;
    (app.statements.get() - before, data)
}

#[tokio::test]
async fn a_nested_page_costs_the_same_statements_for_5_and_100_customers() {
    let app = spawn_seeded_app(120).await;
    let (small, small_data) = statements_for(&app, NESTED_PAGE, json!({ "n": 5 })).await;
    let (large, large_data) = statements_for(&app, NESTED_PAGE, json!({ "n": 100 })).await;
    assert_eq!(small_data["customers"]["nodes"].as_array().unwrap().len(), 5);
    assert_eq!(large_data["customers"]["nodes"].as_array().unwrap().len(), 100);
    // The large page really is nested: it reaches feedback through every level.
    let feedback_seen = large_data["customers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["orders"]["nodes"].as_array().unwrap())
        .flat_map(|o| o["touchpoints"]["nodes"].as_array().unwrap())
        .map(|t| t["feedback"]["nodes"].as_array().unwrap().len())
        .sum::<usize>();
    assert!(feedback_seen > 20, "only {feedback_seen} answers in the nested page");
    assert_eq!(small, large, "statements for 5 customers: {small}, for 100: {large}");
    // customers: page + count; orders, touchpoints, feedback: page + count each, loaded ahead level by
    // level; then by id, batched across levels: the customers of orders, touchpoints and answers (one
    // statement), the orders of touchpoints, the touchpoints of answers, and the orders of those
    // touchpoints.
    assert_eq!(large, 2 + 3 * 2 + 4, "statements for one nested page");
}

const NESTED_COMPLAINTS: &str = "query($n: Int!) {
  customers(first: $n) {
    nodes {
      externalId
      complaints(first: 5) {
        totalCount
        nodes { externalId status customer { externalId } order { externalId } touchpoint { externalId }
          feedback { externalId complaint { externalId } } }
      }
      orders(first: 5) {
        nodes { externalId complaints(first: 5) { totalCount nodes { externalId order { externalId } } } }
      }
      feedback(first: 5) { nodes { externalId complaint { externalId status } } }
    }
  }
}";

#[tokio::test]
async fn a_nested_page_of_complaints_costs_the_same_statements_for_5_and_100_customers() {
    let app = spawn_seeded_app(120).await;
    let complaints = crate::fixtures::complaints_for_seeded(&app.db).await;
    let (small, small_data) = statements_for(&app, NESTED_COMPLAINTS, json!({ "n": 5 })).await;
    let (large, large_data) = statements_for(&app, NESTED_COMPLAINTS, json!({ "n": 100 })).await;
    assert_eq!(small_data["customers"]["nodes"].as_array().unwrap().len(), 5);
    let customers = large_data["customers"]["nodes"].as_array().unwrap();
    let listed: usize = customers.iter().map(|c| c["complaints"]["nodes"].as_array().unwrap().len()).sum();
    let from_answers = customers
        .iter()
        .flat_map(|c| c["feedback"]["nodes"].as_array().unwrap())
        .filter(|f| !f["complaint"].is_null())
        .count();
    assert!(
        listed > 20 && from_answers > 5,
        "{listed} of {} complaints listed, {from_answers} from answers",
        complaints.len()
    );
    assert_eq!(small, large, "statements for 5 customers: {small}, for 100: {large}");
    // Loaded ahead: customers, orders and feedback a page each, complaints of customers and of orders a
    // page and a count each; then batched: the complaint of an answer (a page statement for each of the
    // two `complaint` fields), the customers, orders and answers of complaints by id, and the
    // touchpoints of those answers.
    assert_eq!(large, 3 + 2 * 2 + 2 + 3 + 1, "statements for one nested page of complaints");
}

#[tokio::test]
async fn nested_pages_hold_exactly_each_parents_children_in_order() {
    let app = spawn_seeded_app(25).await;
    let data = app.query(NESTED_PAGE, json!({ "n": 25 })).await;

    let orders = order::Entity::find().all(&app.db).await.unwrap();
    let touchpoints = touchpoint::Entity::find().all(&app.db).await.unwrap();
    let answers = feedback::Entity::find().all(&app.db).await.unwrap();
    let customers: HashMap<i64, customer::Model> =
        customer::Entity::find().all(&app.db).await.unwrap().into_iter().map(|c| (c.id, c)).collect();
    let touchpoint_by_id: HashMap<i64, &touchpoint::Model> = touchpoints.iter().map(|t| (t.id, t)).collect();
    let order_by_id: HashMap<i64, &order::Model> = orders.iter().map(|o| (o.id, o)).collect();

    let mut checked_answers = 0;
    for customer_node in data["customers"]["nodes"].as_array().unwrap() {
        let customer = customers.values().find(|c| c.external_id == customer_node["externalId"]).unwrap();
        let mut own_orders: Vec<&order::Model> = orders.iter().filter(|o| o.customer_id == customer.id).collect();
        own_orders.sort_by_key(|o| (o.placed_at, o.id));
        let order_nodes = customer_node["orders"]["nodes"].as_array().unwrap();
        assert_eq!(customer_node["orders"]["totalCount"], own_orders.len());
        let expected: Vec<&str> = own_orders.iter().take(5).map(|o| o.external_id.as_str()).collect();
        let got: Vec<&str> = order_nodes.iter().map(|o| o["externalId"].as_str().unwrap()).collect();
        assert_eq!(got, expected);

        for (order_node, order) in order_nodes.iter().zip(&own_orders) {
            assert_eq!(order_node["customer"]["externalId"], customer_node["externalId"]);
            let mut own_touchpoints: Vec<&touchpoint::Model> =
                touchpoints.iter().filter(|t| t.order_id == Some(order.id)).collect();
            own_touchpoints.sort_by_key(|t| (t.occurred_at, t.id));
            assert_eq!(order_node["touchpoints"]["totalCount"], own_touchpoints.len());
            for (touchpoint_node, touchpoint) in
                order_node["touchpoints"]["nodes"].as_array().unwrap().iter().zip(&own_touchpoints)
            {
                assert_eq!(touchpoint_node["externalId"], touchpoint.external_id.as_str());
                assert_eq!(touchpoint_node["order"]["externalId"], order.external_id.as_str());
                assert_eq!(touchpoint_node["customer"]["externalId"], customer.external_id.as_str());
                let mut own_answers: Vec<&feedback::Model> =
                    answers.iter().filter(|f| f.touchpoint_id == Some(touchpoint.id)).collect();
                own_answers.sort_by_key(|f| (f.submitted_at, f.id));
                let answer_nodes = touchpoint_node["feedback"]["nodes"].as_array().unwrap();
                assert_eq!(answer_nodes.len(), own_answers.len().min(5));
                for (answer_node, answer) in answer_nodes.iter().zip(&own_answers) {
                    assert_eq!(answer_node["externalId"], answer.external_id.as_str());
                    assert_eq!(answer_node["score"], answer.score);
                    let answer_order =
                        answer.touchpoint_id.and_then(|t| touchpoint_by_id[&t].order_id).map(|o| order_by_id[&o]);
                    assert_eq!(
                        answer_node["order"]["externalId"],
                        answer_order.map(|o| o.external_id.as_str()).unwrap()
                    );
                    assert_eq!(answer_node["touchpoint"]["externalId"], touchpoint.external_id.as_str());
                    checked_answers += 1;
                }
            }
        }
    }
    assert!(checked_answers > 0);
}

#[tokio::test]
async fn order_feedback_gathers_the_answers_of_all_its_touchpoints() {
    let app = spawn_seeded_app(30).await;
    let touchpoints = touchpoint::Entity::find().all(&app.db).await.unwrap();
    let answers = feedback::Entity::find().all(&app.db).await.unwrap();
    let order_of: HashMap<i64, Option<i64>> = touchpoints.iter().map(|t| (t.id, t.order_id)).collect();
    let mut per_order: HashMap<i64, usize> = HashMap::new();
    for answer in &answers {
        if let Some(order_id) = answer.touchpoint_id.and_then(|t| order_of[&t]) {
            *per_order.entry(order_id).or_default() += 1;
        }
    }
    let (&order_id, &count) = per_order.iter().max_by_key(|(id, n)| (**n, **id)).unwrap();
    let order = order::Entity::find_by_id(order_id).one(&app.db).await.unwrap().unwrap();
    let data = app
        .query(
            "query($x: String) { order(externalId: $x) { feedback(first: 100) { totalCount nodes { touchpoint { order { externalId } } } } } }",
            json!({ "x": order.external_id }),
        )
        .await;
    assert_eq!(data["order"]["feedback"]["totalCount"], count);
    for node in data["order"]["feedback"]["nodes"].as_array().unwrap() {
        assert_eq!(node["touchpoint"]["order"]["externalId"], order.external_id.as_str());
    }
}

#[tokio::test]
async fn nested_connections_paginate_and_filter_per_parent() {
    let app = spawn_seeded_app(30).await;
    let customer = customer::Entity::find().all(&app.db).await.unwrap();
    let orders = order::Entity::find().all(&app.db).await.unwrap();
    // The customer with the most orders.
    let busiest =
        customer.iter().max_by_key(|c| (orders.iter().filter(|o| o.customer_id == c.id).count(), c.id)).unwrap();
    let mut own: Vec<&order::Model> = orders.iter().filter(|o| o.customer_id == busiest.id).collect();
    own.sort_by_key(|o| (std::cmp::Reverse(o.placed_at), std::cmp::Reverse(o.id)));
    assert!(own.len() >= 3, "the busiest seeded customer has {} orders", own.len());

    let query = "query($x: String, $after: String) { customer(externalId: $x) {
        orders(first: 2, after: $after, orderBy: { field: PLACED_AT, direction: DESC }) {
            nodes { externalId } pageInfo { hasNextPage endCursor } } } }";
    let mut after = Value::Null;
    let mut walked = Vec::new();
    loop {
        let data = app.query(query, json!({ "x": busiest.external_id, "after": after })).await;
        let connection = &data["customer"]["orders"];
        walked.extend(
            connection["nodes"].as_array().unwrap().iter().map(|n| n["externalId"].as_str().unwrap().to_owned()),
        );
        if !connection["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(walked, own.iter().map(|o| o.external_id.clone()).collect::<Vec<_>>());

    let delivered = own.iter().filter(|o| o.status == entity::OrderStatus::Delivered).count();
    let data = app
        .query(
            "query($x: String) { customer(externalId: $x) { orders(filter: { statuses: [DELIVERED] }) { totalCount } } }",
            json!({ "x": busiest.external_id }),
        )
        .await;
    assert_eq!(data["customer"]["orders"]["totalCount"], delivered);
}

/// The same nested selection answered under a root connection (nested pages loaded ahead, level by
/// level) and under `nodes(ids:)` (nested pages batched by the loaders as parents resolve): equal,
/// through fragments, inline fragments, aliases, edges and variables.
#[tokio::test]
async fn nested_pages_loaded_ahead_equal_those_loaded_per_parent() {
    let app = spawn_seeded_app(30).await;
    let selection = "fragment C on Customer {
      id
      orders(first: $first) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { externalId touchpoints(filter: { surveySent: true }) {
          nodes { externalId ... on Touchpoint { feedback { totalCount nodes { score } } } } } } }
      }
      latest: orders(first: 1, orderBy: { field: PLACED_AT, direction: DESC }) { nodes { externalId } }
      feedback(filter: { metrics: [NPS] }) { nodes { score touchpoint { kind } } }
    }";
    let ahead = app
        .query(
            &format!("query($first: Int) {{ customers(first: 30, orderBy: {{ field: ID }}) {{ nodes {{ ...C }} }} }} {selection}"),
            json!({ "first": 3 }),
        )
        .await;
    let customers = ahead["customers"]["nodes"].as_array().unwrap().clone();
    let ids: Vec<Value> = customers.iter().map(|c| c["id"].clone()).collect();
    let per_parent = app
        .query(
            &format!(
                "query($ids: [ID!]!, $first: Int) {{ nodes(ids: $ids) {{ ... on Customer {{ ...C }} }} }} {selection}"
            ),
            json!({ "ids": ids, "first": 3 }),
        )
        .await;
    assert_eq!(per_parent["nodes"].as_array().unwrap(), &customers);
    let nested: usize = customers.iter().map(|c| c["orders"]["edges"].as_array().unwrap().len()).sum();
    assert!(nested > 10, "the page nests: {nested} orders");
}

/// The plain nested page is resolved in place (`page_nodes`); the same fields through fragments go
/// async-graphql's general way. Both give the same answer, aliases and `__typename` included.
#[tokio::test]
async fn in_place_and_general_resolution_give_the_same_answer() {
    let app = spawn_seeded_app(30).await;
    let plain = "{ customers(first: 20) { nodes { __typename id externalId who: name segment region createdAt
        orders(first: 5) { totalCount pageInfo { hasNextPage endCursor } nodes { __typename externalId placedAt status totalAmount { amount currency }
          touchpoints(first: 5) { nodes { externalId kind channel occurredAt surveySentAt
            feedback(first: 5) { nodes { __typename externalId metric score category npsCategory comment submittedAt } } } } } } } } }";
    let fragments = "{ customers(first: 20) { nodes { ...C } } }
        fragment C on Customer { __typename id externalId who: name segment region createdAt
          orders(first: 5) { totalCount pageInfo { hasNextPage endCursor } nodes { ...O } } }
        fragment O on Order { __typename externalId placedAt status totalAmount { amount currency }
          touchpoints(first: 5) { nodes { ...T } } }
        fragment T on Touchpoint { externalId kind channel occurredAt surveySentAt feedback(first: 5) { nodes { ...F } } }
        fragment F on Feedback { __typename externalId metric score category npsCategory comment submittedAt }";
    let (plain_statements, plain_data) = statements_for(&app, plain, json!({})).await;
    let (fragment_statements, fragment_data) = statements_for(&app, fragments, json!({})).await;
    assert_eq!(plain_data, fragment_data);
    assert_eq!(plain_statements, fragment_statements);
    let first = &plain_data["customers"]["nodes"][0];
    assert_eq!(first["__typename"], "Customer");
    assert!(first["who"].is_string(), "the alias names the field: {first}");
    let answers = plain_data["customers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["orders"]["nodes"].as_array().unwrap())
        .flat_map(|o| o["touchpoints"]["nodes"].as_array().unwrap())
        .flat_map(|t| t["feedback"]["nodes"].as_array().unwrap())
        .count();
    assert!(answers > 5, "only {answers} answers on the page");
}

/// Connections whose selection is only scalars, `__typename`, `totalCount` and nested connections of the
/// same kind are resolved from a plan per field (`planned`), every field read by its reader
/// (`plain_values`); the same selection through fragments goes async-graphql's general way. Every
/// scalar field of every node type that has a reader is selected, under aliases too.
#[tokio::test]
async fn planned_and_general_resolution_give_the_same_answer() {
    let app = spawn_seeded_app(30).await;
    let customer = "__typename id externalId name email segment region createdAt recordedAt updatedAt";
    let order = "__typename id externalId placedAt status recordedAt updatedAt";
    let touchpoint = "__typename id externalId kind channel occurredAt surveySentAt recordedAt updatedAt";
    let answer = "__typename id externalId metric score npsCategory category comment submittedAt recordedAt updatedAt";
    let complaint = "__typename id externalId category channel openedAt firstResponseAt resolvedAt status outcome";
    let plain = format!(
        "{{ customers(first: 30, orderBy: {{ field: ID }}) {{ totalCount nodes {{ {customer}
            complaints(first: 3) {{ __typename totalCount nodes {{ {complaint} }} }}
            recent: orders(first: 5, orderBy: {{ field: PLACED_AT, direction: DESC }}) {{ __typename totalCount nodes {{ {order} placed: placedAt
              touchpoints(first: 5) {{ totalCount nodes {{ {touchpoint}
                feedback(first: 5) {{ total: totalCount nodes {{ {answer} score2: score }} }} }} }} }} }} }} }} }}"
    );
    let fragments = format!(
        "{{ customers(first: 30, orderBy: {{ field: ID }}) {{ totalCount nodes {{ ...C }} }} }}
        fragment C on Customer {{ {customer} complaints(first: 3) {{ __typename totalCount nodes {{ ...K }} }}
          recent: orders(first: 5, orderBy: {{ field: PLACED_AT, direction: DESC }}) {{ __typename totalCount nodes {{ ...O }} }} }}
        fragment K on Complaint {{ {complaint} }}
        fragment O on Order {{ {order} placed: placedAt touchpoints(first: 5) {{ totalCount nodes {{ ...T }} }} }}
        fragment T on Touchpoint {{ {touchpoint} feedback(first: 5) {{ total: totalCount nodes {{ ...F }} }} }}
        fragment F on Feedback {{ {answer} score2: score }}"
    );
    let (plain_statements, plain_data) = statements_for(&app, &plain, json!({})).await;
    let (fragment_statements, fragment_data) = statements_for(&app, &fragments, json!({})).await;
    assert_eq!(plain_data, fragment_data);
    assert_eq!(plain_statements, fragment_statements);
    let customers = plain_data["customers"]["nodes"].as_array().unwrap();
    let orders: Vec<&Value> = customers.iter().flat_map(|c| c["recent"]["nodes"].as_array().unwrap()).collect();
    let answers: Vec<&Value> = orders
        .iter()
        .flat_map(|o| o["touchpoints"]["nodes"].as_array().unwrap())
        .flat_map(|t| t["feedback"]["nodes"].as_array().unwrap())
        .collect();
    let complaints = customers.iter().flat_map(|c| c["complaints"]["nodes"].as_array().unwrap()).count();
    assert!(
        orders.len() > 10 && answers.len() > 5 && complaints > 0,
        "{} orders, {} answers",
        orders.len(),
        answers.len()
    );
    assert_eq!(orders[0]["__typename"], "Order");
    assert_eq!(customers[0]["recent"]["__typename"], "OrderConnection");
    assert_eq!(orders[0]["placed"], orders[0]["placedAt"]);
    assert!(answers.iter().all(|a| a["score2"] == a["score"] && a["category"].is_string()));
}

/// A planned connection past the answer's row budget fails as the general way fails: the same error
/// at the same path, the same data.
#[tokio::test]
async fn a_planned_connection_over_the_row_budget_fails_as_the_general_way() {
    let app = crate::helpers::spawn_app_with(|config| config.limits.max_response_rows = 30).await;
    customer_insights::seed::seed(
        &app.db,
        &customer_insights::seed::SeedOptions { customers: 40, seed: 7, ..Default::default() },
    )
    .await
    .expect("seed");
    let plain = "{ customers(first: 20, orderBy: { field: ID }) { nodes { externalId orders(first: 5) { nodes { externalId } } } } }";
    let fragments = "{ customers(first: 20, orderBy: { field: ID }) { nodes { ...C } } }
        fragment C on Customer { externalId orders(first: 5) { nodes { ...O } } }
        fragment O on Order { externalId }";
    let planned = app.post(plain, json!({})).await;
    let general = app.post(fragments, json!({})).await;
    assert_eq!(crate::helpers::code(&planned["errors"][0]), "LIMIT_EXCEEDED", "{planned}");
    assert_eq!(planned["data"], general["data"]);
    // The documents differ, so do the errors' locations in them: the rest is the same.
    let without_locations = |answer: &Value| {
        let mut errors = answer["errors"].as_array().cloned().unwrap_or_default();
        errors.iter_mut().filter_map(Value::as_object_mut).for_each(|error| drop(error.remove("locations")));
        errors
    };
    assert_eq!(without_locations(&planned), without_locations(&general));
    assert!(planned["data"]["customers"]["nodes"][0]["orders"]["nodes"][0].is_object(), "{planned}");
}

/// Pages read their rows by position (`model_by_position!`): for every paged entity, the same models as
/// SeaORM's reading by column name, on every stored row.
#[tokio::test]
async fn rows_read_by_position_equal_rows_read_by_name() {
    use customer_insights::services::pagination::Pageable;
    use sea_orm::{ConnectionTrait, QueryTrait};

    async fn same<E>(db: &sea_orm::DatabaseConnection) -> usize
    where
        E: Pageable + Default,
        E::Model: sea_orm::FromQueryResult + PartialEq + std::fmt::Debug,
    {
        let by_name = E::find().all(db).await.expect("read by name");
        let rows = db.query_all(&E::find().into_query()).await.expect("read");
        let by_position: Vec<E::Model> = rows.iter().map(|row| E::model_of(row).expect("read by position")).collect();
        assert_eq!(by_position, by_name, "{}", sea_orm::EntityName::table_name(&E::default()));
        by_name.len()
    }
    let app = spawn_seeded_app(30).await;
    let db = &app.db;
    let counts = [
        same::<customer::Entity>(db).await,
        same::<order::Entity>(db).await,
        same::<touchpoint::Entity>(db).await,
        same::<feedback::Entity>(db).await,
        same::<entity::complaint::Entity>(db).await,
    ];
    assert!(counts.iter().all(|&n| n > 5), "{counts:?}");
}

/// A planned page whose nodes read some fields selects only their columns (`prefetch::read_columns`,
/// `ConnectionNode::SCALAR_FIELDS`): each scalar field of each nested node type, selected alone, gives
/// what the general way gives (through a fragment, which reads every column). A column missing from a
/// field's list would show the placeholder instead of the value.
#[tokio::test]
async fn fields_of_pages_that_select_some_columns_equal_those_of_whole_rows() {
    let app = spawn_seeded_app(30).await;
    let types = [
        ("Order", "id externalId placedAt status recordedAt updatedAt"),
        ("Touchpoint", "id externalId kind channel occurredAt surveySentAt recordedAt updatedAt"),
        ("Feedback", "id externalId metric score npsCategory category comment submittedAt recordedAt updatedAt"),
        ("Complaint", "id externalId category channel openedAt firstResponseAt resolvedAt status outcome"),
    ];
    // The page of each type, with `{}` where its nodes' selection goes.
    let page = |type_name: &str| match type_name {
        "Order" => "{ customers(first: 30, orderBy: { field: ID }) { nodes { orders(first: 5) { nodes { {} } } } } }",
        "Touchpoint" => {
            "{ customers(first: 30, orderBy: { field: ID }) { nodes { orders(first: 5) { nodes {
                touchpoints(first: 5) { totalCount nodes { {} } } } } } } }"
        }
        "Feedback" => {
            "{ customers(first: 30, orderBy: { field: ID }) { nodes { orders(first: 5) { nodes {
                touchpoints(first: 5) { nodes { feedback(first: 5) { nodes { {} } } } } } } } } }"
        }
        _ => "{ customers(first: 30, orderBy: { field: ID }) { nodes { complaints(first: 5) { nodes { {} } } } } }",
    };
    for (type_name, fields) in types {
        for field in fields.split_whitespace() {
            let planned = page(type_name).replace("{}", &format!("__typename {field}"));
            let general = page(type_name).replace("{}", &format!("... on {type_name} {{ __typename {field} }}"));
            let planned = app.query(&planned, json!({})).await;
            let general = app.query(&general, json!({})).await;
            assert_eq!(planned, general, "{type_name}.{field}");
            let values = collect(&planned, field);
            let shown = values.iter().filter(|v| !v.is_null() && **v != json!("") && **v != json!(0)).count();
            assert!(values.len() > 5 && shown > 0, "{type_name}.{field}: {values:?}");
            assert!(
                values.iter().all(|v| !v.as_str().is_some_and(|s| s.starts_with("1970-01-01"))),
                "{type_name}.{field}: a placeholder time"
            );
        }
    }
}

/// Every value of `field` anywhere in `data`.
fn collect(data: &Value, field: &str) -> Vec<Value> {
    let mut found = Vec::new();
    match data {
        Value::Object(object) => {
            for (key, value) in object {
                if key == field {
                    found.push(value.clone());
                } else {
                    found.extend(collect(value, field));
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| found.extend(collect(item, field))),
        _ => {}
    }
    found
}
