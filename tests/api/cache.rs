//! The response cache: the same query is answered from memory while no write changes the data, every
//! write path makes the next read fresh (on every instance, CLI writes included), and GET answers carry
//! an ETag that `If-None-Match` turns into a 304.

use customer_insights::transfer::import::{ImportOptions, import};
use serde_json::{Value, json};

use crate::helpers::{Silent, query, spawn_app_with, spawn_second_instance_with};

const COUNT: &str = "{ customers(first: 5, orderBy: { field: ID }) { totalCount nodes { externalId segment } } }";

fn upsert(external_id: &str, segment: &str) -> String {
    format!(
        r#"mutation {{ upsertCustomer(input: {{ externalId: "{external_id}", name: "Ada", email: "ada@example.com",
        segment: "{segment}", region: "EMEA", createdAt: "2026-01-01T00:00:00Z" }}) {{ changed }} }}"#
    )
}

#[tokio::test]
async fn repeated_reads_come_from_the_cache_until_a_write_and_get_answers_revalidate() {
    let app = spawn_app_with(|config| config.response_cache_mib = 8).await;
    app.query(&upsert("C-1", "consumer"), json!({})).await;
    // Whole answers, to compare their cost extensions too.
    let first = app.post(COUNT, json!({})).await;
    assert!(first.get("errors").is_none(), "{first}");
    assert_eq!(first["data"]["customers"]["totalCount"], 1);
    let statements = app.statements.get();
    let second = app.post(COUNT, json!({})).await;
    assert!(second.get("errors").is_none(), "{second}");
    assert_eq!(second["data"], first["data"]);
    assert_eq!(app.statements.get() - statements, 1, "a cached answer costs one look at the data version");
    assert_eq!(second["extensions"]["cost"]["actualQueryCost"], first["extensions"]["cost"]["actualQueryCost"]);

    app.query(&upsert("C-1", "smb"), json!({})).await;
    let after_write = app.query(COUNT, json!({})).await;
    assert_eq!(after_write["customers"]["nodes"][0]["segment"], "smb", "a write makes the next read fresh");

    // GET: an entity tag, a 304 while it holds, a new answer after a write.
    let get = |tag: Option<String>| {
        let mut request = app.client.get(app.graphql_url()).query(&[("query", COUNT)]);
        if let Some(tag) = tag {
            request = request.header("If-None-Match", tag);
        }
        request.send()
    };
    let response = get(None).await.unwrap();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(get(Some(etag.clone())).await.unwrap().status(), 304);
    app.query(&upsert("C-2", "consumer"), json!({})).await;
    let response = get(Some(etag.clone())).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_ne!(response.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(response.json::<Value>().await.unwrap()["data"]["customers"]["totalCount"], 2);
}

#[tokio::test]
async fn a_write_through_one_instance_or_an_import_makes_the_next_read_fresh_everywhere() {
    let app = spawn_app_with(|config| config.response_cache_mib = 8).await;
    let (other, _) = spawn_second_instance_with(&app, |config| config.response_cache_mib = 8).await;
    app.query(&upsert("C-1", "consumer"), json!({})).await;
    for address in [&app.address, &other] {
        let data = query(&app.client, address, COUNT, json!({})).await;
        assert_eq!(data["customers"]["nodes"][0]["segment"], "consumer");
    }
    app.query(&upsert("C-1", "enterprise"), json!({})).await;
    let data = query(&app.client, &other, COUNT, json!({})).await;
    assert_eq!(data["customers"]["nodes"][0]["segment"], "enterprise", "fresh on the other instance");

    // A write by another process (the import command) counts as well.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("customers.ndjson");
    let line = json!({ "type": "customer", "external_id": "C-1", "name": "Ada", "email": "ada@example.com",
        "segment": "public", "region": "EMEA", "created_at": "2026-01-01T00:00:00Z" });
    std::fs::write(&path, format!("{line}\n")).unwrap();
    import(&app.db, &path, ImportOptions::default(), &Silent).await.expect("import");
    for address in [&app.address, &other] {
        let data = query(&app.client, address, COUNT, json!({})).await;
        assert_eq!(data["customers"]["nodes"][0]["segment"], "public", "{address}");
    }
}
