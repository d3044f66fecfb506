//! The binary itself: `schema`, `migrate`, `seed` against a real database.

use std::process::Command;

use crate::helpers::TestDatabase;

fn run(args: &[&str], database_url: &str) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_customer-insights"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("CUSTOMER_INSIGHTS_LOG", "warn")
        .output()
        .expect("run the binary");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn schema_prints_the_committed_sdl() {
    let (ok, stdout, _) = run(&["schema"], "sqlite::memory:");
    assert!(ok);
    assert_eq!(stdout, customer_insights::graphql::sdl());
}

#[tokio::test]
async fn migrate_status_up_down_and_seed_work_on_a_real_database() {
    let database = TestDatabase::create().await;
    let url = database.url.as_str();
    let (ok, stdout, stderr) = run(&["migrate", "status"], url);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("Pending"), "{stdout}");

    let (ok, _, stderr) = run(&["migrate", "up"], url);
    assert!(ok, "{stderr}");
    let (_, stdout, _) = run(&["migrate", "status"], url);
    assert!(stdout.contains("Applied") && !stdout.contains("Pending"), "{stdout}");

    let (ok, stdout, stderr) = run(&["seed", "--customers", "15", "--seed", "3"], url);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("seeded 15 customers"), "{stdout}");

    // Seeding twice would duplicate data: it is refused with a clear message and changes nothing.
    let (ok, _, stderr) = run(&["seed", "--customers", "15", "--seed", "3"], url);
    assert!(!ok);
    assert!(stderr.contains("not empty"), "{stderr}");

    let (ok, _, stderr) = run(&["migrate", "down"], url);
    assert!(ok, "{stderr}");
    let (_, stdout, _) = run(&["migrate", "status"], url);
    assert!(stdout.contains("Pending"), "{stdout}");
}

#[tokio::test]
async fn seeding_is_deterministic() {
    use entity::feedback;
    use sea_orm::{EntityTrait, QueryOrder};

    let mut snapshots = Vec::new();
    for _ in 0..2 {
        let database = TestDatabase::create().await;
        let (ok, _, stderr) = run(&["seed", "--customers", "20", "--seed", "11"], &database.url);
        assert!(ok, "{stderr}");
        let db = sea_orm::Database::connect(&database.url).await.unwrap();
        let rows = feedback::Entity::find().order_by_asc(feedback::Column::ExternalId).all(&db).await.unwrap();
        snapshots.push(
            rows.into_iter().map(|f| (f.external_id, f.metric, f.score, f.submitted_at, f.comment)).collect::<Vec<_>>(),
        );
        db.close().await.unwrap();
    }
    assert!(!snapshots[0].is_empty());
    assert_eq!(snapshots[0], snapshots[1]);
}

/// The README's run command: `serve --demo` seeds an empty database, serves it, and stops cleanly on SIGTERM.
#[tokio::test]
async fn serve_demo_seeds_serves_and_shuts_down_gracefully() {
    let database = TestDatabase::create().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_customer-insights"))
        .args(["serve", "--demo", "--demo-customers", "40", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &database.url)
        .env("CUSTOMER_INSIGHTS_LOG", "warn")
        .spawn()
        .expect("start the server");
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/graphql");
    let mut answer = None;
    for _ in 0..300 {
        if let Ok(response) =
            client.post(&url).json(&serde_json::json!({ "query": "{ customers { totalCount } }" })).send().await
        {
            answer = Some(response.json::<serde_json::Value>().await.unwrap());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let terminated = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().expect("kill");
    assert!(terminated.success());
    let status = server.wait().expect("wait for the server");
    assert_eq!(answer, Some(serde_json::json!({ "data": { "customers": { "totalCount": 40 } } })));
    assert!(status.success(), "graceful shutdown exits 0, got {status:?}");
}
