//! Bulk import and export: good and bad files, all-or-nothing, dry runs, NDJSON, and the round trip.

use std::path::Path;

use customer_insights::transfer::export::export;
use customer_insights::transfer::import::{ImportError, ImportOptions, ImportReport, import};
use entity::{customer, feedback};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use crate::helpers::{Silent, TestApp, assert_rollups_exact, row_counts, spawn_app, spawn_seeded_app};

const DRY_RUN: ImportOptions = ImportOptions { dry_run: true, skip_unknown_files: false };

pub(crate) fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

const CUSTOMERS: &str = "external_id,name,email,segment,region,created_at
C-1,\"Lovelace, Ada\",ada@example.com,consumer,EMEA,2026-01-01T00:00:00Z
C-2,Alan Turing,alan@example.com,smb,NA,2026-01-02T00:00:00+01:00
";
const ORDERS: &str = "external_id,customer_external_id,placed_at,status,total_amount,currency
O-1,C-1,2026-02-01T10:00:00Z,DELIVERED,12.50,EUR
O-2,C-2,2026-02-02T10:00:00Z,RETURNED,1250,JPY
";
const TOUCHPOINTS: &str = "external_id,customer_external_id,order_external_id,kind,channel,occurred_at,survey_sent_at
T-1,C-1,O-1,DELIVERY,SMS,2026-02-03T10:00:00Z,2026-02-03T11:00:00Z
T-2,C-2,,LOYALTY_PROGRAM,EMAIL,2026-02-04T10:00:00Z,
";
const FEEDBACK: &str = "external_id,customer_external_id,touchpoint_external_id,metric,score,comment,submitted_at
F-1,C-1,T-1,NPS,4,\"Late, and the box was \"\"wet\"\"
twice\",2026-02-03T12:00:00Z
F-2,C-2,,CES,6,,2026-02-05T12:00:00Z
";

pub(crate) fn good_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("customers.csv", CUSTOMERS),
        ("orders.csv", ORDERS),
        ("touchpoints.csv", TOUCHPOINTS),
        ("feedback.csv", FEEDBACK),
    ] {
        write(dir.path(), name, text);
    }
    dir
}

#[tokio::test]
async fn a_good_import_writes_everything_and_repeating_it_changes_nothing() {
    let app = spawn_app().await;
    let dir = good_dir();
    let report = import(&app.db, dir.path(), ImportOptions::default(), &Silent).await.unwrap();
    assert_eq!(
        report,
        ImportReport {
            customers: 2,
            orders: 2,
            touchpoints: 2,
            feedback: 2,
            complaints: 0,
            dry_run: false,
            kept_erased: 0,
            skipped_files: vec![],
            ignored_files: vec![],
        }
    );
    let data = app
        .query(
            r#"{ customer(externalId: "C-1") { name orders { nodes { totalAmount { amount currency } touchpoints { nodes { surveySentAt feedback { nodes { comment score } } } } } } }
                 yen: order(externalId: "O-2") { status totalAmount { amount currency } }
                 loyalty: touchpoint(externalId: "T-2") { order { id } surveySentAt }
                 alan: customer(externalId: "C-2") { createdAt } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["customer"]["name"], "Lovelace, Ada");
    let order = &data["customer"]["orders"]["nodes"][0];
    assert_eq!(order["totalAmount"], json!({ "amount": "12.50", "currency": "EUR" }));
    assert_eq!(
        order["touchpoints"]["nodes"][0]["feedback"]["nodes"][0],
        json!({ "comment": "Late, and the box was \"wet\"\ntwice", "score": 4 })
    );
    assert_eq!(data["yen"], json!({ "status": "RETURNED", "totalAmount": { "amount": "1250", "currency": "JPY" } }));
    assert_eq!(data["loyalty"], json!({ "order": null, "surveySentAt": null }));
    assert_eq!(data["alan"]["createdAt"], "2026-01-01T23:00:00Z");

    let before = app
        .query(r#"{ feedbacks { nodes { externalId score comment submittedAt customer { externalId } } } }"#, json!({}))
        .await;
    import(&app.db, dir.path(), ImportOptions::default(), &Silent).await.unwrap();
    assert_eq!(row_counts(&app.db).await, [2, 2, 2, 2]);
    let after = app
        .query(r#"{ feedbacks { nodes { externalId score comment submittedAt customer { externalId } } } }"#, json!({}))
        .await;
    assert_eq!(before, after);
}

pub(crate) async fn import_error(app: &TestApp, dir: &Path) -> Vec<String> {
    match import(&app.db, dir, ImportOptions::default(), &Silent).await {
        Err(ImportError::Invalid(errors)) => errors.iter().map(ToString::to_string).collect(),
        other => panic!("expected invalid records, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_files_name_file_line_and_column_and_write_nothing() {
    let app = spawn_app().await;
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "customers.csv",
            CUSTOMERS.replace("created_at", "created"),
            "customers.csv:1: the header must be `external_id,name,email,segment,region,created_at`",
        ),
        ("orders.csv", ORDERS.replace("RETURNED", "SHIPPED"), "orders.csv:3: column status: 'SHIPPED' is not one of"),
        (
            "orders.csv",
            ORDERS.replace("12.50", "12.505"),
            "orders.csv:2: column total_amount: '12.505' is not a valid EUR amount",
        ),
        (
            "orders.csv",
            ORDERS.replace(",EUR", ",EURO"),
            "orders.csv:2: column currency: 'EURO' is not an ISO 4217 currency code",
        ),
        (
            "feedback.csv",
            FEEDBACK.replace(",NPS,4,", ",NPS,11,"),
            "feedback.csv:2: column score: NPS scores are 0 to 10, not 11",
        ),
        (
            "touchpoints.csv",
            TOUCHPOINTS.replace("2026-02-03T10:00:00Z,2026", "yesterday,2026"),
            "touchpoints.csv:2: column occurred_at: not an RFC 3339 timestamp",
        ),
        // References are checked against this import and the database; a bad one undoes the tables before it.
        (
            "orders.csv",
            ORDERS.replace("O-2,C-2", "O-2,C-404"),
            "orders.csv:3: column customer_external_id: no customer with external id 'C-404'",
        ),
        (
            "touchpoints.csv",
            TOUCHPOINTS.replace("T-1,C-1,O-1", "T-1,C-2,O-1"),
            "touchpoints.csv:2: column order_external_id: order 'O-1' belongs to another customer than 'C-2'",
        ),
        (
            "feedback.csv",
            FEEDBACK.replace("F-2,C-2,,", "F-2,C-2,T-1,"),
            "feedback.csv:4: column touchpoint_external_id: touchpoint 'T-1' belongs to another customer than 'C-2'",
        ),
    ];
    for (file, text, expected) in cases {
        let dir = good_dir();
        write(dir.path(), file, &text);
        let errors = import_error(&app, dir.path()).await;
        assert!(errors.iter().any(|e| e.starts_with(expected)), "{file}: expected `{expected}`, got {errors:?}");
        assert_eq!(row_counts(&app.db).await, [0, 0, 0, 0], "{expected}");
    }
    // Validation reports every bad record, not just the first.
    let dir = good_dir();
    write(dir.path(), "feedback.csv", &FEEDBACK.replace(",NPS,4,", ",NPS,11,").replace(",CES,6,", ",CES,9,"));
    assert_eq!(import_error(&app, dir.path()).await.len(), 2);
}

#[tokio::test]
async fn a_dry_run_checks_everything_and_writes_nothing() {
    let app = spawn_app().await;
    let report = import(&app.db, good_dir().path(), DRY_RUN, &Silent).await.unwrap();
    assert_eq!((report.total(), report.dry_run), (8, true));
    assert_eq!(row_counts(&app.db).await, [0, 0, 0, 0]);
    let dir = good_dir();
    write(dir.path(), "orders.csv", &ORDERS.replace("O-2,C-2", "O-2,C-404"));
    assert!(matches!(import(&app.db, dir.path(), DRY_RUN, &Silent).await, Err(ImportError::Invalid(_))));
}

#[tokio::test]
async fn ndjson_lines_may_come_in_any_order() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        json!({ "type": "feedback", "external_id": "F-1", "customer_external_id": "C-1", "touchpoint_external_id": "T-1", "metric": "CSAT", "score": 5, "submitted_at": "2026-02-03T12:00:00Z" }),
        json!({ "type": "touchpoint", "external_id": "T-1", "customer_external_id": "C-1", "order_external_id": "O-1", "kind": "DELIVERY", "channel": "SMS", "occurred_at": "2026-02-03T10:00:00Z", "survey_sent_at": null }),
        json!({ "type": "order", "external_id": "O-1", "customer_external_id": "C-1", "placed_at": "2026-02-01T10:00:00Z", "status": "DELIVERED", "total_amount": "9.99", "currency": "USD" }),
        json!({ "type": "customer", "external_id": "C-1", "name": "Ada", "email": "ada@example.com", "segment": "consumer", "region": "NA", "created_at": "2026-01-01T00:00:00Z" }),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let path = dir.path().join("data.ndjson");
    std::fs::write(&path, &text).unwrap();
    let report = import(&app.db, &path, ImportOptions::default(), &Silent).await.unwrap();
    assert_eq!(report.total(), 4);
    assert_eq!(row_counts(&app.db).await, [1, 1, 1, 1]);

    std::fs::write(&path, format!("{text}{}\n", json!({ "type": "invoice", "external_id": "I-1" }))).unwrap();
    let errors = import_error(&app, &path).await;
    assert_eq!(
        errors,
        vec![
            "data.ndjson:5: `type` must be customer, order, touchpoint, feedback or complaint, not 'invoice'"
                .to_owned()
        ]
    );
}

#[tokio::test]
async fn export_then_import_into_an_empty_database_gives_the_same_data() {
    let source = spawn_seeded_app(60).await;
    let first = tempfile::tempdir().unwrap();
    export(&source.db, first.path()).await.unwrap();
    let target = spawn_app().await;
    import(&target.db, first.path(), ImportOptions::default(), &Silent).await.unwrap();
    let second = tempfile::tempdir().unwrap();
    export(&target.db, second.path()).await.unwrap();
    for file in ["customers.csv", "orders.csv", "touchpoints.csv", "feedback.csv"] {
        let (a, b) = (
            std::fs::read_to_string(first.path().join(file)).unwrap(),
            std::fs::read_to_string(second.path().join(file)).unwrap(),
        );
        assert!(a.lines().count() > 1, "{file} is empty");
        assert_eq!(a, b, "{file}");
    }
    let query =
        "{ insights { satisfaction(metric: NPS, groupBy: [TOUCHPOINT_KIND]) { touchpointKind score { n value } } } }";
    assert_eq!(source.query(query, json!({})).await, target.query(query, json!({})).await);
}

/// Every index and foreign key of the database with its definition, by name (the catalog's own words).
async fn indexes(db: &sea_orm::DatabaseConnection) -> Vec<(String, String)> {
    use sea_orm::ConnectionTrait;
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() \
             UNION ALL SELECT conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid) \
             FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace ORDER BY 1"
        }
        _ => {
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
             UNION ALL SELECT m.name || '.' || k.\"from\", k.\"table\" || '.' || k.\"to\" || ' ' || k.on_delete \
             FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) k WHERE m.type = 'table' ORDER BY 1"
        }
    };
    let rows = db.query_all_raw(sea_orm::Statement::from_string(backend, sql)).await.unwrap();
    rows.iter().map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap())).collect()
}

/// A seed fills empty tables with their indexes and keys set aside: all are back afterwards.
#[tokio::test]
async fn seeding_builds_every_index_and_key_back() {
    use customer_insights::seed::{SeedOptions, seed};
    let app = spawn_app().await;
    let before = indexes(&app.db).await;
    assert!(
        before.iter().any(|(name, _)| name == "feedback.fk_feedback_touchpoint" || name.ends_with(".touchpoint_id")),
        "{before:?}"
    );
    seed(&app.db, &SeedOptions { customers: 30, seed: 5, ..Default::default() }).await.unwrap();
    assert_eq!(indexes(&app.db).await, before);
    assert_rollups_exact(&app.db, "a seed").await;
}

/// An import into empty tables builds their indexes (and on PostgreSQL their foreign keys) once at the
/// end: afterwards, and after a dry run or a refused import, the database has exactly the ones it had.
#[tokio::test]
async fn indexes_set_aside_while_filling_empty_tables_are_all_back() {
    let app = spawn_app().await;
    let before = indexes(&app.db).await;
    assert!(before.iter().any(|(name, _)| name == "ix_feedback_customer_submitted"), "{before:?}");
    import(&app.db, good_dir().path(), DRY_RUN, &Silent).await.unwrap();
    assert_eq!(indexes(&app.db).await, before, "after a dry run");
    // Refused while writing the touchpoints (after customers and orders were filled and re-indexed).
    let dir = good_dir();
    write(dir.path(), "touchpoints.csv", &TOUCHPOINTS.replace("T-2,C-2,,", "T-2,C-2,O-1,"));
    assert!(matches!(
        import(&app.db, dir.path(), ImportOptions::default(), &Silent).await,
        Err(ImportError::Invalid(_))
    ));
    assert_eq!((indexes(&app.db).await, row_counts(&app.db).await), (before.clone(), [0, 0, 0, 0]));
    import(&app.db, good_dir().path(), ImportOptions::default(), &Silent).await.unwrap();
    assert_eq!(indexes(&app.db).await, before, "after an import");
    assert_eq!(row_counts(&app.db).await, [2, 2, 2, 2]);
    assert_rollups_exact(&app.db, "an import into empty tables").await;
}

/// An erased customer stays erased: importing an export made before the erasure, or upserting the old
/// name again, brings back no name, e-mail or comment.
#[tokio::test]
async fn erasure_holds_against_old_exports_and_later_upserts() {
    use customer_insights::services::writes::{
        CustomerWrite, FeedbackWrite, erase_customer, upsert_customer, upsert_feedback,
    };
    use sea_orm::{ColumnTrait, QueryFilter};

    let app = spawn_seeded_app(20).await;
    let commented = feedback::Entity::find()
        .filter(feedback::Column::Comment.is_not_null())
        .one(&app.db)
        .await
        .unwrap()
        .expect("a comment in the seed");
    let person = customer::Entity::find_by_id(commented.customer_id).one(&app.db).await.unwrap().unwrap();
    let dir = tempfile::tempdir().unwrap();
    export(&app.db, dir.path()).await.expect("export before the erasure");
    erase_customer(&app.db, &person.external_id).await.expect("erase");

    let report =
        import(&app.db, dir.path(), ImportOptions::default(), &Silent).await.expect("re-import the old export");
    assert!(report.kept_erased >= 2, "the customer row and at least one comment: {report:?}");
    let after = customer::Entity::find_by_id(person.id).one(&app.db).await.unwrap().unwrap();
    assert_eq!((after.name.as_str(), after.email.as_str()), ("[erased]", "[erased]"));
    let comments = feedback::Entity::find()
        .filter(feedback::Column::CustomerId.eq(person.id))
        .filter(feedback::Column::Comment.is_not_null())
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(comments, 0, "no comment came back");

    let write = CustomerWrite {
        external_id: person.external_id.clone(),
        name: person.name.clone(),
        email: person.email.clone(),
        segment: person.segment.clone(),
        region: person.region.clone(),
        created_at: person.created_at,
    };
    let upserted = upsert_customer(&app.db, write).await.expect("upsert");
    assert_eq!(upserted.model.name, "[erased]");
    let answer = upsert_feedback(
        &app.db,
        FeedbackWrite {
            external_id: commented.external_id.clone(),
            customer_external_id: person.external_id.clone(),
            touchpoint_external_id: None,
            metric: commented.metric,
            score: commented.score,
            comment: Some("my name is in here".into()),
            submitted_at: commented.submitted_at,
        },
    )
    .await
    .expect("upsert an answer");
    assert_eq!(answer.model.comment, None);
    assert_rollups_exact(&app.db, "re-importing erased data").await;
}
