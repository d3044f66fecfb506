//! Read replicas: with `--read-database-url`, queries read the replica and mutations (with everything
//! their payloads read back) the primary. Tested against a real PostgreSQL streaming replica:
//! `TEST_REPLICA_URL` is an admin URL on a standby of the `TEST_DATABASE_URL` cluster (`.ci/run`
//! starts one). Pausing the standby's WAL replay shows which database answered.

use std::time::{Duration, Instant};

use customer_insights::db::{DatabaseOptions, StatementCounter, connect};
use customer_insights::seed::SeedOptions;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

use crate::helpers::{TestDatabase, migrated, post, start_server, start_server_with};

/// Waits until `check` holds, polling for up to 30 s.
async fn eventually<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn customer_count(db: &DatabaseConnection) -> Option<i64> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT count(*) AS n FROM customers",
        ))
        .await
        .ok()??;
    row.try_get("", "n").ok()
}

/// A seeded database on the primary, seen through the standby once replication brought it over.
struct Replicated {
    database: TestDatabase,
    primary: DatabaseConnection,
    primary_statements: StatementCounter,
    replica: DatabaseConnection,
    replica_statements: StatementCounter,
    replica_url: String,
    replica_admin: String,
}

async fn replicated() -> Replicated {
    let primary_admin = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL is set");
    let replica_admin = std::env::var("TEST_REPLICA_URL").expect("TEST_REPLICA_URL is set");
    let database = TestDatabase::create_postgres(primary_admin).await;
    let seed = SeedOptions { customers: 6, seed: 2, ..Default::default() };
    let (primary, primary_statements) = migrated(&database, Some(seed)).await;
    let name = database.url.rsplit('/').next().expect("a database name");
    let (replica_base, _) = replica_admin.rsplit_once('/').expect("TEST_REPLICA_URL ends with /DATABASE");
    let replica_url = format!("{replica_base}/{name}");

    // Streaming replication brings the new database and its rows over within moments.
    let deadline = Instant::now() + Duration::from_secs(30);
    let (replica, replica_statements) = loop {
        if let Ok((db, counter)) = connect(&DatabaseOptions::new(&replica_url)).await
            && customer_count(&db).await == Some(6)
        {
            break (db, counter);
        }
        assert!(Instant::now() < deadline, "the replica never received the seeded database");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    Replicated { database, primary, primary_statements, replica, replica_statements, replica_url, replica_admin }
}

#[tokio::test]
#[ignore = "needs a PostgreSQL primary and streaming replica: TEST_DATABASE_URL and TEST_REPLICA_URL (run by .ci/run)"]
async fn queries_read_the_replica_and_mutations_read_their_writes_on_the_primary() {
    let Replicated { database, primary, primary_statements, replica, replica_statements, replica_url, replica_admin } =
        replicated().await;
    let (address, _server) =
        start_server(primary, &database.url, Some((replica, &replica_url)), std::future::pending()).await;
    let client = reqwest::Client::new();
    replica_probed(&client, &address).await;

    // A query runs on the replica only.
    let (on_primary, on_replica) = (primary_statements.get(), replica_statements.get());
    let page = post(
        &client,
        &address,
        "{ customers(first: 3) { totalCount nodes { externalId orders { totalCount } } } }",
        json!({}),
    )
    .await;
    assert_eq!(page["data"]["customers"]["totalCount"], 6, "{page}");
    assert!(replica_statements.get() > on_replica);
    assert_eq!(primary_statements.get(), on_primary, "a query must not touch the primary");

    // Freeze the replica: what it answers from now on is the state before the mutation.
    let standby = Database::connect(&replica_admin).await.expect("connect to the standby");
    standby.execute_unprepared("SELECT pg_wal_replay_pause()").await.expect("pause replay");
    let on_replica = replica_statements.get();
    let created = post(&client, &address, r#"mutation { upsertCustomer(input: { externalId: "C-NEW", name: "New", email: "new@example.com", segment: "consumer", region: "EMEA", createdAt: "2026-03-01T00:00:00Z" }) { created customer { externalId orders { totalCount } } } }"#, json!({}))
    .await;
    assert_eq!(
        created["data"],
        json!({ "upsertCustomer": { "created": true, "customer": { "externalId": "C-NEW", "orders": { "totalCount": 0 } } } })
    );
    assert_eq!(replica_statements.get(), on_replica, "a mutation and its payload run on the primary");
    let lookup = r#"{ customer(externalId: "C-NEW") { externalId } }"#;
    assert_eq!(
        post(&client, &address, lookup, json!({})).await["data"],
        json!({ "customer": null }),
        "read from the paused replica"
    );

    standby.execute_unprepared("SELECT pg_wal_replay_resume()").await.expect("resume replay");
    eventually("the replica has caught up", || {
        let client = client.clone();
        let address = address.clone();
        async move { post(&client, &address, lookup, json!({})).await["data"]["customer"]["externalId"] == "C-NEW" }
    })
    .await;
}

/// With the response cache on, an answer read from the replica is served again only while the replica
/// has replayed nothing new: a write on the primary shows in the next read once the replica has it.
#[tokio::test]
#[ignore = "needs a PostgreSQL primary and streaming replica: TEST_DATABASE_URL and TEST_REPLICA_URL (run by .ci/run)"]
async fn cached_answers_from_the_replica_follow_its_replay() {
    let Replicated { database, primary, replica, replica_url, .. } = replicated().await;
    let (address, _server) = start_server_with(
        primary,
        &database.url,
        Some((replica.clone(), &replica_url)),
        |config| config.response_cache_mib = 8,
        std::future::pending(),
    )
    .await;
    let client = reqwest::Client::new();
    replica_probed(&client, &address).await;
    let count = "{ customers { totalCount } }";
    for _ in 0..3 {
        assert_eq!(post(&client, &address, count, json!({})).await["data"]["customers"]["totalCount"], 6);
    }
    // Several writes: a sequence read on a standby moves only every 32 of them.
    for i in 0..3 {
        let created = post(&client, &address, &format!(
                r#"mutation {{ upsertCustomer(input: {{ externalId: "C-CACHE-{i}", name: "New", email: "new{i}@example.com", segment: "consumer", region: "EMEA", createdAt: "2026-03-01T00:00:00Z" }}) {{ created }} }}"#
            ), json!({}))
        .await;
        assert_eq!(created["data"]["upsertCustomer"]["created"], true, "{created}");
    }
    eventually("the replica has the new customers", || {
        let replica = replica.clone();
        async move { customer_count(&replica).await == Some(9) }
    })
    .await;
    assert_eq!(post(&client, &address, count, json!({})).await["data"]["customers"]["totalCount"], 9, "a fresh answer");
}

/// Waits until the server at `address` has seen its replica answer a health probe.
async fn replica_probed(client: &reqwest::Client, address: &str) {
    let readyz = format!("{address}/readyz");
    eventually("the replica's first probe answers", || {
        let (client, readyz) = (client.clone(), readyz.clone());
        async move {
            let body: Value = client.get(&readyz).send().await.unwrap().json().await.unwrap();
            body["checks"]["replica"]["status"] == "up"
        }
    })
    .await;
}
