//! GraphiQL on `/`, in a real browser (headless Chromium): it loads from this server alone, links to the
//! dashboard, runs a query typed into its editor, receives subscription events over `/graphql/ws`, and
//! sends the key typed into its headers editor. Its files over plain HTTP: content types and caching.

use customer_insights::auth::{AuthMode, Role, keys};
use customer_insights::seed::{SeedOptions, seed};
use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{Chromium, Page, TestApp, spawn_app, spawn_app_with, spawn_app_with_data};

const QUERY_EDITOR: &str = ".graphiql-query-editor .CodeMirror";
const HEADERS_EDITOR: &str = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror";

/// The text of the result pane once it has any.
const RESULT: &str = "(() => { const e = document.querySelector('.result-window .CodeMirror'); \
                      return (e && e.CodeMirror.getValue()) || null; })()";

/// Whether GraphiQL has parsed what the query editor holds.
const PARSED: &str = "(() => { const e = document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror; \
                      return !!e.documentAST && e.documentAST.loc.source.body === e.getValue(); })()";

/// Loads GraphiQL from `app` and waits until its query editor is ready.
async fn open_graphiql(chromium: &Chromium, app: &TestApp) -> Page {
    let mut page = chromium.page().await;
    page.navigate(&format!("{}/", app.address)).await;
    page.wait_for("the query editor", &format!("document.querySelector({QUERY_EDITOR:?}) !== null")).await;
    page
}

/// Types `text` into the editor matched by `selector`, replacing what it held.
async fn type_into(page: &mut Page, selector: &str, text: &str) {
    page.click(selector).await;
    page.select_all().await;
    page.insert_text(text).await;
}

/// Types `query`, clicks the run button, and returns the result pane's JSON once it differs from `before`.
async fn run(page: &mut Page, query: &str, before: &Value) -> Value {
    type_into(page, QUERY_EDITOR, query).await;
    // GraphiQL parses the query 100 ms after the last keystroke and picks HTTP or WebSocket by that parse:
    // wait for it, as a person who pauses before clicking does.
    page.wait_for("GraphiQL to parse the query", PARSED).await;
    page.click(".graphiql-execute-button").await;
    let before = before.to_string();
    let changed = format!(
        "(() => {{ const t = {RESULT}; try {{ return JSON.stringify(JSON.parse(t)) !== {before:?} ? t : null; }} \
         catch {{ return null; }} }})()"
    );
    let text = page.wait_for("an answer in the result pane", &changed).await;
    serde_json::from_str(text.as_str().expect("text")).expect("the result pane shows JSON")
}

/// Asserts that every request of the page went to `app` (or was a `data:` URL), and returns them.
async fn assert_only_this_origin(page: &mut Page, app: &TestApp) -> Vec<String> {
    let http = format!("{}/", app.address);
    let ws = http.replacen("http://", "ws://", 1);
    let requested = page.requested_urls().await;
    let elsewhere: Vec<_> = requested
        .iter()
        .filter(|url| !(url.starts_with(&http) || url.starts_with(&ws) || url.starts_with("data:")))
        .collect();
    assert!(elsewhere.is_empty(), "the page asked another host for {elsewhere:?}");
    assert_eq!(page.evaluate("window.cspViolations").await, json!([]), "the page broke its own CSP");
    assert!(page.exceptions().is_empty(), "uncaught exceptions: {:?}", page.exceptions());
    requested
}

#[tokio::test]
async fn graphiql_runs_queries_and_subscriptions_with_nothing_from_another_host() {
    let app = spawn_app_with_data(20, |_| {}).await;
    let chromium = Chromium::launch();
    let mut page = open_graphiql(&chromium, &app).await;
    let link = "document.querySelector('.graphiql-logo a[href=\"/dashboard\"]') !== null";
    page.wait_for("the link to the dashboard", link).await;

    let answer = run(&mut page, "{ customers { totalCount } }", &Value::Null).await;
    assert_eq!(answer["data"], json!({ "customers": { "totalCount": 20 } }), "{answer}");

    // A subscription runs over /graphql/ws: answers written meanwhile appear as they come.
    let answer = run(&mut page, "subscription { feedbackSubmitted { externalId score } }", &answer);
    let customer = entity::customer::Entity::find().one(&app.db).await.unwrap().expect("a customer").external_id;
    let write_answers = async {
        // Until the page shows one: the subscription starts once GraphiQL's socket is acknowledged.
        for n in 0.. {
            let mutation = format!(
                r#"mutation {{ upsertFeedback(input: {{ externalId: "F-BROWSER-{n}", customerExternalId: "{customer}", metric: NPS, score: 9, submittedAt: "2026-02-01T00:00:00Z" }}) {{ created }} }}"#
            );
            app.query(&mutation, json!({})).await;
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
    };
    let event = tokio::select! {
        event = answer => event,
        () = write_answers => unreachable!("writes answers until the page shows one"),
    };
    let submitted = &event["data"]["feedbackSubmitted"];
    assert!(submitted["externalId"].as_str().is_some_and(|id| id.starts_with("F-BROWSER-")), "{event}");
    assert_eq!(submitted["score"], 9, "{event}");

    let requested = assert_only_this_origin(&mut page, &app).await;
    let graphql = format!("{}/graphql", app.address);
    assert!(requested.contains(&graphql), "queries go to /graphql: {requested:?}");
    assert!(requested.contains(&format!("{}/ws", graphql.replacen("http://", "ws://", 1))), "{requested:?}");
}

#[tokio::test]
async fn graphiql_sends_the_key_typed_into_its_headers_editor_and_keeps_it_out_of_storage() {
    let app = spawn_app_with(|config| config.auth = AuthMode::Keys).await;
    seed(&app.db, &SeedOptions { customers: 12, seed: 7, ..Default::default() }).await.expect("seed");
    let key = keys::create(&app.db, "graphiql", Role::Analyst).await.expect("create a key").secret;
    let chromium = Chromium::launch();
    let mut page = open_graphiql(&chromium, &app).await;

    let refused = run(&mut page, "{ customers { totalCount } }", &Value::Null).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{refused}");

    page.click(".graphiql-editor-tools button[data-name='headers']").await;
    type_into(&mut page, HEADERS_EDITOR, &format!(r#"{{ "Authorization": "Bearer {key}" }}"#)).await;
    let answer = run(&mut page, "{ customers { totalCount } }", &refused).await;
    assert_eq!(answer["data"], json!({ "customers": { "totalCount": 12 } }), "{answer}");

    let stored = page.evaluate("JSON.stringify(Object.assign({}, localStorage))").await;
    assert!(!stored.as_str().expect("text").contains(&key), "the key was written to localStorage: {stored}");
    assert_only_this_origin(&mut page, &app).await;
}

#[tokio::test]
async fn graphiql_files_are_served_with_their_types_and_cached_for_a_year() {
    let app = spawn_app().await;
    let page = app.client.get(&app.address).send().await.unwrap();
    assert_eq!(page.headers()[CACHE_CONTROL], "no-cache");
    let policy = page.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    assert!(policy.starts_with("default-src 'none'; script-src 'self';"), "{policy}");
    let html = page.text().await.unwrap();
    let paths: Vec<&str> = html.split('"').filter(|part| part.starts_with("/graphiql/")).collect();
    assert_eq!(paths.len(), 6, "{html}");
    for path in paths {
        let file = app.client.get(format!("{}{path}", app.address)).send().await.unwrap();
        assert_eq!(file.status(), 200, "{path}");
        let expected = if path.ends_with(".js") { "text/javascript; charset=utf-8" } else { "text/css; charset=utf-8" };
        assert_eq!(file.headers()[CONTENT_TYPE], expected, "{path}");
        assert_eq!(file.headers()[CACHE_CONTROL], "public, max-age=31536000, immutable", "{path}");
        assert!(!file.bytes().await.unwrap().is_empty(), "{path}");
    }
    let missing =
        app.client.get(format!("{}/graphiql/graphiql.min.000000000000.js", app.address)).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}
