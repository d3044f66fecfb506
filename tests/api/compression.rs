//! Compressed answers: gzip, Brotli or zstd as `Accept-Encoding` asks, for answers above a kilobyte;
//! small answers, clients that ask for nothing and WebSockets get plain bytes; GET answers still
//! revalidate (a compressed answer's tag is weak, and `If-None-Match` compares weakly).

use std::io::Read;

use reqwest::Response;
use serde_json::{Value, json};

use crate::helpers::{TestApp, connect_socket, spawn_app_with_data};

/// A page of about 10 KB of JSON.
const PAGE: &str =
    "{ customers(first: 50, orderBy: { field: ID }) { nodes { externalId name email segment region } } }";

async fn post(app: &TestApp, query: &str, accept_encoding: Option<&str>) -> Response {
    let mut request = app.client.post(app.graphql_url()).json(&json!({ "query": query }));
    if let Some(encoding) = accept_encoding {
        request = request.header("Accept-Encoding", encoding);
    }
    request.send().await.unwrap()
}

fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|value| value.to_str().unwrap())
}

fn decode(encoding: &str, bytes: &[u8]) -> Vec<u8> {
    let mut decoded = Vec::new();
    match encoding {
        "gzip" => flate2::read::GzDecoder::new(bytes).read_to_end(&mut decoded).map(drop).unwrap(),
        "br" => brotli_decompressor::Decompressor::new(bytes, 4096).read_to_end(&mut decoded).map(drop).unwrap(),
        "zstd" => decoded = zstd::stream::decode_all(bytes).unwrap(),
        other => panic!("unexpected encoding {other}"),
    }
    decoded
}

#[tokio::test]
async fn each_encoding_decodes_to_the_plain_answer() {
    let app = spawn_app_with_data(60, |_| {}).await;
    let plain = post(&app, PAGE, None).await;
    assert_eq!(header(&plain, "content-encoding"), None, "no Accept-Encoding: identity");
    let plain = plain.bytes().await.unwrap();
    assert!(plain.len() > 4096, "{} bytes", plain.len());
    let plain: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(plain["data"]["customers"]["nodes"].as_array().map(Vec::len), Some(50));

    for encoding in ["gzip", "br", "zstd"] {
        let response = post(&app, PAGE, Some(encoding)).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "content-encoding"), Some(encoding));
        assert!(header(&response, "vary").unwrap_or_default().to_ascii_lowercase().contains("accept-encoding"));
        let compressed = response.bytes().await.unwrap();
        let decoded: Value = serde_json::from_slice(&decode(encoding, &compressed)).unwrap();
        // `extensions` differ: the key's rate-limit budget changes with each request.
        assert_eq!(decoded["data"], plain["data"], "{encoding}");
        assert!(
            compressed.len() * 3 < serde_json::to_vec(&plain).unwrap().len(),
            "{encoding}: {} bytes",
            compressed.len()
        );
    }
    // The client's preference decides among several.
    let preferred = post(&app, PAGE, Some("gzip;q=0.5, zstd;q=1.0, br;q=0.1")).await;
    assert_eq!(header(&preferred, "content-encoding"), Some("zstd"));
    let identity = post(&app, PAGE, Some("identity")).await;
    assert_eq!(header(&identity, "content-encoding"), None);
}

#[tokio::test]
async fn small_answers_and_websockets_stay_plain() {
    let app = spawn_app_with_data(5, |_| {}).await;
    let small = post(&app, "{ __typename }", Some("gzip, br, zstd")).await;
    assert_eq!(header(&small, "content-encoding"), None);
    assert_eq!(small.json::<Value>().await.unwrap()["data"], json!({ "__typename": "Query" }));

    let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
        "{}/graphql/ws",
        app.address.replacen("http", "ws", 1)
    ))
    .unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    request.headers_mut().insert("Accept-Encoding", "gzip, br, zstd".parse().unwrap());
    let (_, upgrade) = tokio_tungstenite::connect_async(request).await.expect("the upgrade");
    assert_eq!(upgrade.headers().get("content-encoding"), None);
    assert!(connect_socket(&app.address, None).await.is_ok());
}

#[tokio::test]
async fn compressed_get_answers_revalidate_with_their_weak_tag() {
    let app = spawn_app_with_data(60, |config| config.response_cache_mib = 8).await;
    let get = |encoding: &'static str, tag: Option<String>| {
        let mut request =
            app.client.get(app.graphql_url()).query(&[("query", PAGE)]).header("Accept-Encoding", encoding);
        if let Some(tag) = tag {
            request = request.header("If-None-Match", tag);
        }
        request.send()
    };
    let plain = get("identity", None).await.unwrap();
    let strong = header(&plain, "etag").expect("an entity tag").to_owned();
    assert!(strong.starts_with('"'), "{strong}");
    let compressed = get("gzip", None).await.unwrap();
    assert_eq!(header(&compressed, "content-encoding"), Some("gzip"));
    let weak = header(&compressed, "etag").expect("an entity tag").to_owned();
    assert_eq!(weak, format!("W/{strong}"), "the compressed representation's tag is weak");
    for (encoding, tag) in [("gzip", &weak), ("identity", &weak), ("gzip", &strong), ("br", &strong)] {
        let revalidated = get(encoding, Some(tag.clone())).await.unwrap();
        assert_eq!(revalidated.status(), 304, "{encoding} with {tag}");
        assert!(revalidated.bytes().await.unwrap().is_empty());
    }
}
