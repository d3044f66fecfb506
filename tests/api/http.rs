//! GraphQL over HTTP: methods, content negotiation, status codes, limits, GraphiQL.

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};

use crate::helpers::{MAX_BODY_BYTES, code, spawn_app};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

#[tokio::test]
async fn post_and_get_answer_the_same_query() {
    let app = spawn_app().await;
    let query = "{ customers(first: 1) { totalCount } }";
    let posted = app.post(query, json!({})).await;
    let got: Value =
        app.client.get(app.graphql_url()).query(&[("query", query)]).send().await.unwrap().json().await.unwrap();
    assert_eq!(posted["data"], json!({ "customers": { "totalCount": 0 } }));
    assert_eq!(got["data"], posted["data"]);
    // A page of one row of one field, and the page itself; both resolved.
    assert_eq!(posted["extensions"]["cost"]["requestedQueryCost"], 2);
    assert_eq!(got["extensions"]["cost"]["actualQueryCost"], 2);
}

#[tokio::test]
async fn get_passes_variables_and_operation_name() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.graphql_url())
        .query(&[
            ("query", "query A($n: Int) { customers(first: $n) { totalCount } } query B { __typename }"),
            ("operationName", "B"),
            ("variables", r#"{"n": 1}"#),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["data"], json!({ "__typename": "Query" }));
}

#[tokio::test]
async fn mutations_over_get_are_refused_with_405() {
    let app = spawn_app().await;
    let response =
        app.client.get(app.graphql_url()).query(&[("query", "mutation { __typename }")]).send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
}

#[tokio::test]
async fn graphql_response_json_is_negotiated_and_request_errors_get_400_without_data() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.graphql_url())
        .header(ACCEPT, GRAPHQL_RESPONSE)
        .json(&json!({ "query": "{ noSuchField }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers()[CONTENT_TYPE].to_str().unwrap().starts_with(GRAPHQL_RESPONSE));
    let body: Value = response.json().await.unwrap();
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(code(&body["errors"][0]), "GRAPHQL_VALIDATION_FAILED");
}

#[tokio::test]
async fn application_json_request_errors_keep_status_200() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.graphql_url())
        .header(ACCEPT, "application/json")
        .json(&json!({ "query": "{ customers(first: 1) { nope } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(code(&body["errors"][0]), "GRAPHQL_VALIDATION_FAILED");
}

#[tokio::test]
async fn syntax_errors_are_graphql_parse_failed() {
    let app = spawn_app().await;
    for (accept, status) in [(GRAPHQL_RESPONSE, 400), ("application/json", 200)] {
        let response = app
            .client
            .post(app.graphql_url())
            .header(ACCEPT, accept)
            .json(&json!({ "query": "{ customers(first: 1 { totalCount } }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{accept}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(code(&body["errors"][0]), "GRAPHQL_PARSE_FAILED", "{body}");
        assert!(body["errors"][0]["locations"].is_array(), "{body}");
    }
}

#[tokio::test]
async fn field_errors_keep_data_and_status_200_under_graphql_response_json() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.graphql_url())
        .header(ACCEPT, GRAPHQL_RESPONSE)
        .json(&json!({ "query": "{ node(id: \"not-an-id\") { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"], json!({ "node": null }));
    assert_eq!(code(&body["errors"][0]), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["path"], json!(["node"]));
}

#[tokio::test]
async fn unacceptable_accept_is_406_and_wrong_content_type_is_415() {
    let app = spawn_app().await;
    let not_acceptable = app
        .client
        .post(app.graphql_url())
        .header(ACCEPT, "text/html")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(not_acceptable.status(), 406);

    let unsupported = app
        .client
        .post(app.graphql_url())
        .header(CONTENT_TYPE, "text/plain")
        .body("{ __typename }")
        .send()
        .await
        .unwrap();
    assert_eq!(unsupported.status(), 415);
}

#[tokio::test]
async fn malformed_bodies_are_400_with_a_graphql_error() {
    let app = spawn_app().await;
    for body in ["{", "[]", "{\"query\": 5}", "null"] {
        let response = app
            .client
            .post(app.graphql_url())
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let json: Value = response.json().await.unwrap();
        assert_eq!(code(&json["errors"][0]), "BAD_REQUEST", "{body}");
    }
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let app = spawn_app().await;
    let padding = " ".repeat(MAX_BODY_BYTES);
    let response = app
        .client
        .post(app.graphql_url())
        .header(CONTENT_TYPE, "application/json")
        .body(format!("{{\"query\": \"{{ __typename }}{padding}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    // Just under the limit is still served.
    let small = app
        .client
        .post(app.graphql_url())
        .header(CONTENT_TYPE, "application/json")
        .body(format!("{{\"query\": \"{{ __typename }}{}\"}}", " ".repeat(MAX_BODY_BYTES - 40)))
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), 200);
}

#[tokio::test]
async fn graphiql_is_served_on_root() {
    let app = spawn_app().await;
    let response = app.client.get(&app.address).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("graphiql") && html.contains("/graphql"), "{html}");
}

#[tokio::test]
async fn introspection_works() {
    let app = spawn_app().await;
    let data = app.query("{ __type(name: \"Customer\") { fields { name } } }", json!({})).await;
    let fields: Vec<&str> =
        data["__type"]["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    for expected in ["id", "externalId", "orders", "touchpoints", "feedback"] {
        assert!(fields.contains(&expected), "{fields:?}");
    }
}

#[tokio::test]
async fn response_fields_keep_the_order_of_the_query() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.graphql_url())
        .json(&json!({ "query": "{ zeta: __typename alpha: __typename middle: __typename }" }))
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    assert!(text.starts_with(r#"{"data":{"zeta":"Query","alpha":"Query","middle":"Query"}"#), "{text}");
}
