//! Browser pages of other origins: CORS preflights and cross-origin requests are answered by the
//! `--allowed-origins` list (none by default with keys, this machine's pages in the demo, `*` for any),
//! and the same list decides which `Origin`s may open a WebSocket.

use customer_insights::auth::{AuthMode, Role, keys};
use reqwest::Response;
use serde_json::{Value, json};

use crate::helpers::{TestApp, connect_socket, spawn_app_with};

const APP: &str = "https://app.example.com";

/// What a browser sends before a cross-origin POST with a key and a JSON body.
async fn preflight(app: &TestApp, origin: &str) -> Response {
    app.client
        .request(reqwest::Method::OPTIONS, app.graphql_url())
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "authorization, content-type")
        .send()
        .await
        .unwrap()
}

/// The cross-origin POST itself.
async fn cross_origin_post(app: &TestApp, origin: &str, key: Option<&str>) -> Response {
    let mut request = app.client.post(app.graphql_url()).header("Origin", origin);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request.json(&json!({ "query": "{ __typename }" })).send().await.unwrap()
}

fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|value| value.to_str().unwrap())
}

fn lowered_list(response: &Response, name: &str) -> Vec<String> {
    header(response, name).unwrap_or_default().split(',').map(|item| item.trim().to_ascii_lowercase()).collect()
}

async fn keyed_app(origins: &[&str]) -> (TestApp, String) {
    let app = spawn_app_with(|config| {
        config.auth = AuthMode::Keys;
        config.allowed_origins = origins.iter().map(|origin| origin.to_string()).collect();
    })
    .await;
    let key = keys::create(&app.db, "frontend", Role::Viewer).await.unwrap().secret;
    (app, key)
}

#[tokio::test]
async fn an_allowed_origin_gets_its_preflight_and_its_answers_in_key_mode() {
    let (app, key) = keyed_app(&[APP]).await;
    let preflight = preflight(&app, APP).await;
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(header(&preflight, "access-control-allow-origin"), Some(APP));
    let methods = lowered_list(&preflight, "access-control-allow-methods");
    assert!(methods.contains(&"get".into()) && methods.contains(&"post".into()), "{methods:?}");
    let headers = lowered_list(&preflight, "access-control-allow-headers");
    assert!(headers.contains(&"authorization".into()) && headers.contains(&"content-type".into()), "{headers:?}");
    assert_eq!(header(&preflight, "access-control-max-age"), Some("600"));
    assert_eq!(header(&preflight, "access-control-allow-credentials"), None, "keys travel in a header, never cookies");
    assert!(lowered_list(&preflight, "vary").contains(&"origin".into()));

    let answer = cross_origin_post(&app, APP, Some(&key)).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(header(&answer, "access-control-allow-origin"), Some(APP));
    let exposed = lowered_list(&answer, "access-control-expose-headers");
    assert!(exposed.contains(&"retry-after".into()) && exposed.contains(&"etag".into()), "{exposed:?}");
    assert_eq!(answer.json::<Value>().await.unwrap()["data"], json!({ "__typename": "Query" }));
}

#[tokio::test]
async fn other_origins_are_refused_and_none_is_allowed_by_default_in_key_mode() {
    let (listed, _) = keyed_app(&[APP]).await;
    let (unlisted, _) = keyed_app(&[]).await;
    for (app, origin) in [(&listed, "https://attacker.example"), (&listed, "http://localhost:3000"), (&unlisted, APP)] {
        let preflight = preflight(app, origin).await;
        assert_eq!(header(&preflight, "access-control-allow-origin"), None, "{origin}");
        // The server answers (CORS does not authenticate), but the browser keeps the answer from the page.
        let answer = cross_origin_post(app, origin, None).await;
        assert_eq!(header(&answer, "access-control-allow-origin"), None, "{origin}");
    }
}

#[tokio::test]
async fn the_demo_allows_the_pages_of_this_machine_only() {
    let demo = spawn_app_with(|_| {}).await;
    for origin in ["http://localhost:3000", "http://127.0.0.1:5173", "http://[::1]:8080"] {
        let preflight = preflight(&demo, origin).await;
        assert_eq!(header(&preflight, "access-control-allow-origin"), Some(origin), "{origin}");
        let answer = cross_origin_post(&demo, origin, None).await;
        assert_eq!(header(&answer, "access-control-allow-origin"), Some(origin), "{origin}");
    }
    for origin in ["https://attacker.example", "http://localhost.attacker.example", "null"] {
        let preflight = preflight(&demo, origin).await;
        assert_eq!(header(&preflight, "access-control-allow-origin"), None, "{origin}");
    }
}

#[tokio::test]
async fn a_star_allows_every_origin_without_credentials_over_http_and_websocket() {
    let (app, key) = keyed_app(&["*"]).await;
    for origin in [APP, "https://elsewhere.example", "http://localhost:3000"] {
        let preflight = preflight(&app, origin).await;
        assert_eq!(header(&preflight, "access-control-allow-origin"), Some("*"), "{origin}");
        assert_eq!(header(&preflight, "access-control-allow-credentials"), None);
        let answer = cross_origin_post(&app, origin, Some(&key)).await;
        assert_eq!((answer.status().as_u16(), header(&answer, "access-control-allow-origin")), (200, Some("*")));
        assert!(connect_socket(&app.address, Some(origin)).await.is_ok(), "{origin} may open a WebSocket");
    }
}

#[tokio::test]
async fn a_websocket_from_a_refused_origin_gets_403_whatever_the_mode() {
    let (keyed, _) = keyed_app(&[APP]).await;
    let demo = spawn_app_with(|_| {}).await;
    for (app, origin) in [(&keyed, "https://attacker.example"), (&demo, "https://attacker.example"), (&keyed, "null")] {
        let refused = connect_socket(&app.address, Some(origin)).await;
        assert!(
            matches!(refused, Err(tokio_tungstenite::tungstenite::Error::Http(ref r)) if r.status() == 403),
            "{origin}: {refused:?}"
        );
    }
    assert!(connect_socket(&keyed.address, Some(APP)).await.is_ok());
}

#[tokio::test]
async fn the_servers_own_pages_may_open_a_websocket_in_key_mode() {
    // GraphiQL, served by the server, opens its subscriptions' socket with the server's own origin.
    let (app, _) = keyed_app(&[]).await;
    let own = app.address.clone();
    assert!(own.starts_with("http://"), "{own}");
    assert!(connect_socket(&app.address, Some(&own)).await.is_ok(), "{own} is this server's own origin");
    let other_port = format!("{}:1", own.rsplit_once(':').map_or("", |(host, _)| host));
    let refused = connect_socket(&app.address, Some(&other_port)).await;
    assert!(
        matches!(refused, Err(tokio_tungstenite::tungstenite::Error::Http(ref r)) if r.status() == 403),
        "{other_port}: {refused:?}"
    );
}
