//! The insights dashboard on `/dashboard`, in a real browser (headless Chromium): every panel renders on
//! demo data and its tables show the API's answers to the same queries for the filters in the URL; a
//! filter changed with the keyboard changes the URL and the queries' variables; the queries go by their
//! hashes; low-sample scores are marked; every text passes WCAG AA contrast; nothing is asked of another
//! host and nothing is logged as an error. With keys on, a VIEWER key typed once serves the browser
//! session, on a server whose allow-list holds only the dashboard's queries. Screenshots go to
//! `target/dashboard/`. Its files over plain HTTP: types, caching, size.

mod numbers;

use std::collections::HashMap;
use std::path::PathBuf;

use customer_insights::auth::{AuthMode, Role, keys};
use customer_insights::graphql::gate::persisted::PersistedQueries;
use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use serde_json::{Value, json};

use crate::helpers::{Chromium, Page, TestApp, spawn_app, spawn_app_with_data};
use numbers::{read_tables, tables};

/// Customers of the demo data the browser tests run on (`serve --demo` has 2,000: fewer, for speed).
const CUSTOMERS: u32 = 600;

/// A shared view: CSAT of the consumer segment by month of Berlin's calendar, over 2025.
const VIEW: &str = "?from=2025-01-01&to=2025-12-31&tz=Europe%2FBerlin&metric=CSAT&granularity=MONTH&segment=consumer";

/// 2025 in Berlin: from its first midnight to the first of 2026, in UTC.
fn berlin_2025() -> Value {
    json!({ "from": "2024-12-31T23:00:00Z", "to": "2025-12-31T23:00:00Z" })
}

const PANELS: [&str; 6] = ["journey", "trend", "breakdowns", "loyalty", "cohorts", "impact"];

/// Set by the page once every panel has its answer (or its error).
const READY: &str = "document.body !== null && document.body.dataset.state === 'ready'";

/// The manifest of the page's queries, as the server publishes it.
async fn published_manifest(app: &TestApp) -> Value {
    let url = format!("{}/dashboard/persisted-queries.json", app.address);
    app.client.get(url).send().await.unwrap().json().await.expect("the manifest is JSON")
}

/// The page's queries by operation name: (SHA-256, text).
async fn manifest(app: &TestApp) -> HashMap<String, (String, String)> {
    let manifest = published_manifest(app).await;
    let operations = manifest["operations"].as_array().expect("operations");
    let entry = |op: &Value| {
        (
            op["name"].as_str().unwrap().to_owned(),
            (op["id"].as_str().unwrap().to_owned(), op["body"].as_str().unwrap().to_owned()),
        )
    };
    operations.iter().map(entry).collect()
}

/// A GraphQL request the page sent.
#[derive(Debug)]
struct Sent {
    method: String,
    operation: String,
    hash: String,
    variables: Value,
    with_text: bool,
}

/// The GraphQL requests the page sent so far, oldest first.
async fn graphql_requests(page: &mut Page, app: &TestApp) -> Vec<Sent> {
    let endpoint = format!("{}/graphql", app.address);
    let requests = page.requests().await;
    let sent = requests.iter().filter(|r| r["url"].as_str().is_some_and(|url| url.starts_with(&endpoint)));
    sent.map(|request| {
        let method = request["method"].as_str().expect("a method").to_owned();
        let body: Value = if method == "POST" {
            serde_json::from_str(request["postData"].as_str().expect("a body")).expect("a JSON body")
        } else {
            let url = reqwest::Url::parse(request["url"].as_str().expect("a URL")).expect("a URL");
            let params: HashMap<String, String> = url.query_pairs().into_owned().collect();
            let json = |name: &str| serde_json::from_str::<Value>(&params[name]).expect("a JSON parameter");
            json!({ "operationName": params["operationName"], "variables": json("variables"),
                    "extensions": json("extensions"), "query": params.get("query") })
        };
        Sent {
            method,
            operation: body["operationName"].as_str().expect("an operation name").to_owned(),
            hash: body["extensions"]["persistedQuery"]["sha256Hash"].as_str().expect("a hash").to_owned(),
            variables: body["variables"].clone(),
            with_text: body["query"].is_string(),
        }
    })
    .collect()
}

/// The variables of the latest request of each operation among `sent`.
fn latest(sent: &[Sent]) -> HashMap<&str, &Value> {
    sent.iter().map(|s| (s.operation.as_str(), &s.variables)).collect()
}

async fn open(page: &mut Page, app: &TestApp, query: &str) {
    page.navigate(&format!("{}/dashboard{query}", app.address)).await;
    page.wait_for("the dashboard to load", READY).await;
}

/// Asserts that every panel shows a chart and at least one table, and no error.
async fn assert_every_panel_drawn(page: &mut Page) {
    for panel in PANELS {
        let drawn = format!(
            "document.querySelector('#{panel} .chart svg, #{panel} .chart .tiles') !== null && \
             document.querySelector('#{panel} .numbers table') !== null && \
             document.querySelector('#{panel} .error') === null"
        );
        assert_eq!(page.evaluate(&drawn).await, true, "the {panel} panel is not drawn");
    }
}

/// Asserts that the tables of every panel show the API's answers to the queries the page sent last.
async fn assert_the_apis_numbers(page: &mut Page, app: &TestApp, manifest: &HashMap<String, (String, String)>) {
    let sent = graphql_requests(page, app).await;
    let latest = latest(&sent);
    let answer = |operation: &str| {
        let (_, body) = &manifest[operation];
        app.query(body, latest[operation].clone())
    };
    let journey = answer("DashboardJourney").await;
    let trend = answer("DashboardTrend").await;
    let breakdowns = answer("DashboardBreakdowns").await;
    let loyalty = answer("DashboardLoyalty").await;
    let metric = latest["DashboardJourney"]["metric"].as_str().expect("a metric").to_owned();
    let kinds = app.query(r#"{ __type(name: "TouchpointKind") { enumValues { name } } }"#, json!({})).await;
    let kinds: Vec<String> = kinds["__type"]["enumValues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect();
    let trend_labels: Vec<String> = (1..=12).map(|month| format!("2025-{month:02}")).collect();

    numbers::assert_journey(&tables(&page.evaluate(&read_tables("journey")).await), &journey, &metric, &kinds);
    let low_samples = journey["insights"]["satisfactionComparison"].as_array().unwrap();
    let low_samples = low_samples.iter().filter(|row| row["current"]["lowSample"] == true).count();
    let marked = page.evaluate("document.querySelectorAll('#journey svg .mark.low-sample').length").await;
    assert_eq!(marked, json!(low_samples), "every low-sample score is marked in the chart too");
    numbers::assert_trend(&tables(&page.evaluate(&read_tables("trend")).await), &trend, &metric, &trend_labels);
    numbers::assert_breakdowns(&tables(&page.evaluate(&read_tables("breakdowns")).await), &breakdowns, &metric);
    numbers::assert_loyalty(&tables(&page.evaluate(&read_tables("loyalty")).await), &loyalty, "consumer");
    numbers::assert_cohorts(&tables(&page.evaluate(&read_tables("cohorts")).await), &loyalty);
    numbers::assert_impact(&tables(&page.evaluate(&read_tables("impact")).await), &loyalty);
}

/// Asserts that the page asked nothing of another host, kept its CSP, and logged no error.
async fn assert_only_this_server(page: &mut Page, app: &TestApp) {
    let requested = page.requested_urls().await;
    let elsewhere: Vec<_> = requested
        .iter()
        .filter(|url| !(url.starts_with(&format!("{}/", app.address)) || url.starts_with("data:")))
        .collect();
    assert!(elsewhere.is_empty(), "the page asked another host for {elsewhere:?}");
    assert_eq!(page.evaluate("window.cspViolations").await, json!([]), "the page broke its own CSP");
    assert!(page.exceptions().is_empty(), "uncaught exceptions: {:?}", page.exceptions());
}

/// The text whose contrast with what is behind it is below WCAG AA's 4.5:1, as "ratio text" lines. HTML
/// text is measured against the first opaque background up its ancestors; chart text against white, or
/// against its heat map cell.
const LOW_CONTRAST: &str = r#"(() => {
  const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
  const luminance = (c) => {
    const [r, g, b] = rgb(c).slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const behind = (e) => {
    if (e instanceof SVGElement) {
      // A heat map label sits on the cell drawn just before it.
      const cell = e.classList.contains('heat-text') ? e.previousElementSibling : null;
      return cell ? getComputedStyle(cell).fill : 'rgb(255, 255, 255)';
    }
    for (let a = e; a; a = a.parentElement) {
      const c = getComputedStyle(a).backgroundColor;
      if (rgb(c).length === 3 || rgb(c)[3] === 1) return c;
    }
    return 'rgb(255, 255, 255)';
  };
  const texts = Array.from(document.querySelectorAll('body *')).filter((e) =>
    e.offsetParent !== null || e instanceof SVGElement).filter((e) =>
    Array.from(e.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim()));
  return texts.map((e) => {
    const fore = e instanceof SVGElement ? getComputedStyle(e).fill : getComputedStyle(e).color;
    const [l1, l2] = [luminance(fore), luminance(behind(e))].sort((a, b) => b - a);
    return [(l1 + 0.05) / (l2 + 0.05), e.textContent.trim().slice(0, 40)];
  }).filter(([ratio]) => ratio < 4.5).map(([ratio, text]) => ratio.toFixed(2) + ' ' + text);
})()"#;

fn screenshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/dashboard").join(name)
}

#[tokio::test]
async fn the_dashboard_shows_the_apis_answers_for_the_filters_in_its_url() {
    let app = spawn_app_with_data(CUSTOMERS, |_| {}).await;
    let manifest = manifest(&app).await;
    let chromium = Chromium::launch();
    let mut page = chromium.page().await;

    // Without filters in the URL: the defaults, written into it, and every panel drawn.
    open(&mut page, &app, "").await;
    let search = page.evaluate("location.search").await;
    for filter in ["from=", "to=", "tz=UTC", "metric=NPS", "granularity=MONTH"] {
        assert!(search.as_str().is_some_and(|s| s.contains(filter)), "{filter} missing from {search}");
    }
    assert_every_panel_drawn(&mut page).await;
    page.screenshot(&screenshot_path("dashboard-default.png")).await;

    // A shared view: the variables are its filters (Berlin's midnights), the numbers the API's.
    open(&mut page, &app, VIEW).await;
    assert_every_panel_drawn(&mut page).await;
    let sent = graphql_requests(&mut page, &app).await;
    let view = latest(&sent);
    let filter = json!({ "period": berlin_2025(), "segments": ["consumer"] });
    assert_eq!(view["DashboardJourney"], &json!({ "metric": "CSAT", "filter": filter }));
    let series = json!({ "granularity": "MONTH", "timeZone": "Europe/Berlin" });
    assert_eq!(view["DashboardTrend"], &json!({ "metric": "CSAT", "filter": filter, "series": series }));
    let loyalty = json!({ "period": berlin_2025(), "groupBy": ["SEGMENT"], "cohortGranularity": "MONTH",
        "cohortPeriods": 12, "timeZone": "Europe/Berlin", "metric": "CSAT", "asOf": "2025-12-31T23:00:00Z" });
    assert_eq!(view["DashboardLoyalty"], &loyalty);
    assert_the_apis_numbers(&mut page, &app, &manifest).await;
    page.screenshot(&screenshot_path("dashboard.png")).await;

    // Every query went by its hash; its text only once, right after the server said it did not know it.
    for (i, request) in sent.iter().enumerate() {
        assert_eq!(request.hash, manifest[&request.operation].0, "{request:?}");
        if request.with_text {
            assert_eq!(request.method, "POST");
            let asked = sent[..i].iter().rev().find(|earlier| earlier.operation == request.operation);
            assert!(asked.is_some_and(|earlier| earlier.method == "GET" && !earlier.with_text), "{request:?}");
        }
    }
    let registered = sent.iter().filter(|request| request.with_text).count();
    assert_eq!(registered, manifest.len(), "each query's text was sent once: {sent:?}");

    // The keyboard reaches the filters, with a visible focus ring.
    page.press("Tab", 9).await;
    page.press("Tab", 9).await;
    let focused = "[document.activeElement.name, getComputedStyle(document.activeElement).outlineStyle]";
    assert_eq!(page.evaluate(focused).await, json!(["from", "solid"]), "the first filter, focused by Tab");

    // The metric, changed with the keyboard: a new URL and new variables, by hash alone.
    page.evaluate("document.querySelector('select[name=metric]').focus()").await;
    page.press("ArrowDown", 40).await;
    page.wait_for("the URL to name CES", "location.search.includes('metric=CES')").await;
    page.wait_for("the dashboard to reload", READY).await;
    let after = graphql_requests(&mut page, &app).await.split_off(sent.len());
    for operation in ["DashboardJourney", "DashboardTrend", "DashboardBreakdowns", "DashboardLoyalty"] {
        let rerun = after.iter().find(|request| request.operation == operation).expect("the panel queried again");
        assert_eq!(rerun.variables["metric"], "CES", "{rerun:?}");
        assert_eq!((rerun.method.as_str(), rerun.with_text), ("GET", false), "{rerun:?}");
    }
    assert_the_apis_numbers(&mut page, &app, &manifest).await;
    page.screenshot(&screenshot_path("dashboard-ces.png")).await;

    assert_eq!(page.evaluate(LOW_CONTRAST).await, json!([]), "text below WCAG AA contrast");
    assert_only_this_server(&mut page, &app).await;
    assert!(page.console_errors().is_empty(), "the page logged errors: {:?}", page.console_errors());
}

#[tokio::test]
async fn a_viewer_key_typed_once_serves_the_session_on_a_server_that_allows_only_the_dashboards_queries() {
    let manifest_dir = tempfile::tempdir().unwrap();
    let manifest_path = manifest_dir.path().join("dashboard.json");
    let published = published_manifest(&spawn_app().await).await;
    std::fs::write(&manifest_path, published.to_string()).unwrap();
    let allow_list = PersistedQueries::allow_list(&manifest_path).expect("the manifest is an allow-list");
    let app = spawn_app_with_data(CUSTOMERS, |config| {
        config.auth = AuthMode::Keys;
        config.persisted = allow_list;
    })
    .await;
    let key = keys::create(&app.db, "dashboard", Role::Viewer).await.expect("create a key").secret;
    let chromium = Chromium::launch();
    let mut page = chromium.page().await;

    // Without a key: the panels say why, and the page asks for one.
    open(&mut page, &app, VIEW).await;
    page.wait_for("the key form", "!document.getElementById('key-form').hidden").await;
    page.click("#key").await;
    page.insert_text(&key).await;
    page.click("#key-form button[type=submit]").await;
    page.wait_for(
        "the dashboard to load with the key",
        &format!("{READY} && document.getElementById('key-form').hidden"),
    )
    .await;
    assert_every_panel_drawn(&mut page).await;

    // Kept for the session (a reload needs no key), never in localStorage.
    open(&mut page, &app, VIEW).await;
    assert_every_panel_drawn(&mut page).await;
    assert_eq!(page.evaluate("document.getElementById('key-form').hidden").await, true);
    let stored = page.evaluate("JSON.stringify(Object.assign({}, localStorage))").await;
    assert!(!stored.as_str().expect("text").contains(&key), "the key was written to localStorage: {stored}");
    assert_eq!(page.evaluate(&format!("Object.values(sessionStorage).includes({key:?})")).await, true);

    // The allow-list knows every query: none was ever sent with its text.
    let sent = graphql_requests(&mut page, &app).await;
    assert!(sent.iter().all(|request| request.method == "GET" && !request.with_text), "{sent:?}");
    assert_only_this_server(&mut page, &app).await;
}

#[tokio::test]
async fn dashboard_files_are_served_with_their_types_cached_for_a_year_and_small() {
    let app = spawn_app().await;
    let page = app.client.get(format!("{}/dashboard", app.address)).send().await.unwrap();
    assert_eq!(page.headers()[CACHE_CONTROL], "no-cache");
    let policy = page.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    assert!(policy.starts_with("default-src 'none'; script-src 'self';"), "{policy}");
    let html = page.text().await.unwrap();
    let mut total = html.len();
    let paths: Vec<&str> = html
        .split('"')
        .filter(|part| part.starts_with("/dashboard/") && !part.ends_with("persisted-queries.json"))
        .collect();
    assert_eq!(paths.len(), 5, "{html}");
    for path in paths {
        let file = app.client.get(format!("{}{path}", app.address)).send().await.unwrap();
        assert_eq!(file.status(), 200, "{path}");
        let expected = if path.ends_with(".js") { "text/javascript; charset=utf-8" } else { "text/css; charset=utf-8" };
        assert_eq!(file.headers()[CONTENT_TYPE], expected, "{path}");
        assert_eq!(file.headers()[CACHE_CONTROL], "public, max-age=31536000, immutable", "{path}");
        total += file.bytes().await.unwrap().len();
    }
    // The README states the size; this keeps it honest (uncompressed; about a third over the wire).
    assert!(total < 64 * 1024, "the dashboard grew to {total} bytes");
    let missing = app.client.get(format!("{}/dashboard/dashboard.000000000000.js", app.address)).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}
