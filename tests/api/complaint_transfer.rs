//! Complaints in the import and the export: `complaints.csv` and NDJSON `complaint` lines, refused
//! records named by file, line and column, erasure that holds, and the round trip.

use customer_insights::transfer::export::export;
use customer_insights::transfer::import::{ImportOptions, import};
use entity::{complaint, customer};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::fixtures::complaints_for_seeded;
use crate::helpers::{Silent, spawn_app, spawn_seeded_app};
use crate::transfer::{good_dir, import_error, write};

const COMPLAINTS: &str = "external_id,customer_external_id,order_external_id,feedback_external_id,category,channel,opened_at,first_response_at,resolved_at,status,outcome
CMP-1,C-1,O-1,F-1,DELIVERY,EMAIL,2026-02-03T13:00:00Z,2026-02-03T13:45:00Z,2026-02-05T09:00:00Z,RESOLVED,REPLACEMENT
CMP-2,C-2,O-2,,RETURN_REFUND,PHONE,2026-02-10T08:00:00Z,,,OPEN,
CMP-3,C-2,,F-2,SERVICE,CHAT,2026-02-05T12:30:00Z,2026-02-06T12:30:00Z,,IN_PROGRESS,
";

async fn complaint_count(app: &crate::helpers::TestApp) -> u64 {
    complaint::Entity::find().count(&app.db).await.unwrap()
}

#[tokio::test]
async fn complaints_csv_is_imported_with_its_links_and_repeating_it_changes_nothing() {
    let app = spawn_app().await;
    let dir = good_dir();
    write(dir.path(), "complaints.csv", COMPLAINTS);
    let report = import(&app.db, dir.path(), ImportOptions::default(), &Silent).await.unwrap();
    assert_eq!((report.complaints, report.total()), (3, 11));
    let data = app
        .query(
            "{ complaints { nodes { externalId status outcome firstResponseAt resolvedAt customer { externalId }
                order { externalId } feedback { externalId } touchpoint { externalId } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["complaints"]["nodes"],
        json!([
            { "externalId": "CMP-1", "status": "RESOLVED", "outcome": "REPLACEMENT", "firstResponseAt": "2026-02-03T13:45:00Z",
              "resolvedAt": "2026-02-05T09:00:00Z", "customer": { "externalId": "C-1" }, "order": { "externalId": "O-1" },
              "feedback": { "externalId": "F-1" }, "touchpoint": { "externalId": "T-1" } },
            { "externalId": "CMP-3", "status": "IN_PROGRESS", "outcome": null, "firstResponseAt": "2026-02-06T12:30:00Z",
              "resolvedAt": null, "customer": { "externalId": "C-2" }, "order": null, "feedback": { "externalId": "F-2" },
              "touchpoint": null },
            { "externalId": "CMP-2", "status": "OPEN", "outcome": null, "firstResponseAt": null, "resolvedAt": null,
              "customer": { "externalId": "C-2" }, "order": { "externalId": "O-2" }, "feedback": null, "touchpoint": null },
        ])
    );
    let stored = complaint::Entity::find().all(&app.db).await.unwrap();
    import(&app.db, dir.path(), ImportOptions::default(), &Silent).await.unwrap();
    assert_eq!(complaint::Entity::find().all(&app.db).await.unwrap(), stored, "a repeated import changes nothing");
}

#[tokio::test]
async fn refused_complaints_name_file_line_and_column_and_write_nothing() {
    let app = spawn_app().await;
    let cases = [
        (
            COMPLAINTS.replace(",OPEN,", ",CLOSED,"),
            "complaints.csv:3: column status: 'CLOSED' is not one of OPEN, IN_PROGRESS, RESOLVED, UNRESOLVED_CLOSED",
        ),
        (COMPLAINTS.replace("DELIVERY,EMAIL", "LATE,EMAIL"), "complaints.csv:2: column category: 'LATE' is not one of"),
        (
            COMPLAINTS.replace("REPLACEMENT", ""),
            "complaints.csv:2: column outcome: required when the status is RESOLVED",
        ),
        (
            COMPLAINTS.replace(",,OPEN,", ",2026-02-11T08:00:00Z,OPEN,"),
            "complaints.csv:3: column resolved_at: must be empty while the status is OPEN",
        ),
        (
            COMPLAINTS.replace("2026-02-03T13:45:00Z", "2026-02-03T12:45:00Z"),
            "complaints.csv:2: column first_response_at: must not be before the complaint was opened",
        ),
        (
            COMPLAINTS.replace("2026-02-05T09:00:00Z", "2026-02-03T13:30:00Z"),
            "complaints.csv:2: column resolved_at: must not be before the complaint's first response",
        ),
        (
            COMPLAINTS.replace("CMP-2,C-2,O-2", "CMP-2,C-2,O-1"),
            "complaints.csv:3: column order_external_id: order 'O-1' belongs to another customer than 'C-2'",
        ),
        (
            COMPLAINTS.replace("CMP-3,C-2,,F-2", "CMP-3,C-2,,F-1"),
            "complaints.csv:4: column feedback_external_id: answer 'F-1' belongs to another customer than 'C-2'",
        ),
        (
            COMPLAINTS.replace("CMP-3,C-2,,F-2", "CMP-3,C-2,,F-9"),
            "complaints.csv:4: column feedback_external_id: no answer with external id 'F-9'",
        ),
        (
            COMPLAINTS.replace("2026-02-05T12:30:00Z", "2026-02-05T11:30:00Z"),
            "complaints.csv:4: column opened_at: must not be before the answer that raised the complaint",
        ),
        (
            format!("{COMPLAINTS}CMP-4,C-2,,F-2,OTHER,WEB,2026-02-07T00:00:00Z,,,OPEN,\n"),
            "complaints.csv:5: column feedback_external_id: the answer already raised complaint 'CMP-3'",
        ),
    ];
    for (text, expected) in cases {
        let dir = good_dir();
        write(dir.path(), "complaints.csv", &text);
        let errors = import_error(&app, dir.path()).await;
        assert!(errors.iter().any(|e| e.starts_with(expected)), "expected `{expected}`, got {errors:?}");
        assert_eq!(complaint_count(&app).await, 0, "{expected}");
        assert_eq!(customer::Entity::find().count(&app.db).await.unwrap(), 0, "{expected}");
    }
    // An answer that raised a stored complaint raises no other one in a later import.
    let dir = good_dir();
    write(dir.path(), "complaints.csv", COMPLAINTS);
    import(&app.db, dir.path(), ImportOptions::default(), &Silent).await.unwrap();
    let later = tempfile::tempdir().unwrap();
    write(later.path(), "complaints.csv", &COMPLAINTS.replace("CMP-1,C-1", "CMP-9,C-1"));
    let errors = import_error(&app, later.path()).await;
    assert_eq!(errors, ["complaints.csv:2: column feedback_external_id: the answer already raised complaint 'CMP-1'"]);
}

#[tokio::test]
async fn ndjson_complaint_lines_are_imported_like_the_csv_file() {
    let app = spawn_app().await;
    import(&app.db, good_dir().path(), ImportOptions::default(), &Silent).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("complaints.ndjson");
    let line = json!({ "type": "complaint", "external_id": "CMP-1", "customer_external_id": "C-1", "order_external_id": "O-1",
        "feedback_external_id": "F-1", "category": "DELIVERY", "channel": "EMAIL", "opened_at": "2026-02-03T13:00:00Z",
        "first_response_at": "2026-02-03T13:45:00Z", "resolved_at": null, "status": "IN_PROGRESS", "outcome": null });
    std::fs::write(&path, format!("{line}\n")).unwrap();
    let report = import(&app.db, &path, ImportOptions::default(), &Silent).await.unwrap();
    assert_eq!(report.complaints, 1);
    let data = app.query("{ complaint(externalId: \"CMP-1\") { status feedback { externalId } } }", json!({})).await;
    assert_eq!(data["complaint"], json!({ "status": "IN_PROGRESS", "feedback": { "externalId": "F-1" } }));

    let bad = json!({ "type": "complaint", "external_id": "CMP-2", "customer_external_id": "C-1", "category": "DELIVERY",
        "channel": "EMAIL", "opened_at": "2026-02-03T13:00:00Z", "status": "RESOLVED", "outcome": "REFUND" });
    std::fs::write(&path, format!("{line}\n{bad}\n")).unwrap();
    let errors = import_error(&app, &path).await;
    assert_eq!(errors, ["complaints.ndjson:2: column first_response_at: required when the status is RESOLVED"]);
}

#[tokio::test]
async fn complaints_round_trip_through_export_and_import() {
    let source = spawn_seeded_app(60).await;
    let made = complaints_for_seeded(&source.db).await;
    let first = tempfile::tempdir().unwrap();
    export(&source.db, first.path()).await.unwrap();
    let target = spawn_app().await;
    let report = import(&target.db, first.path(), ImportOptions::default(), &Silent).await.unwrap();
    assert_eq!(report.complaints, made.len() as u64);
    let second = tempfile::tempdir().unwrap();
    export(&target.db, second.path()).await.unwrap();
    let (a, b) = (
        std::fs::read_to_string(first.path().join("complaints.csv")).unwrap(),
        std::fs::read_to_string(second.path().join("complaints.csv")).unwrap(),
    );
    assert_eq!(a.lines().count(), made.len() + 1);
    assert_eq!(a, b);
    let query = "{ complaints(first: 100) { nodes { externalId status outcome openedAt firstResponseAt resolvedAt
        customer { externalId } order { externalId } feedback { externalId } touchpoint { externalId } } } }";
    assert_eq!(source.query(query, json!({})).await, target.query(query, json!({})).await);
}

#[tokio::test]
async fn an_old_export_brings_no_complaint_of_an_erased_customer_back() {
    use customer_insights::services::writes::erase_customer;
    let app = spawn_seeded_app(20).await;
    let made = complaints_for_seeded(&app.db).await;
    let person = customer::Entity::find_by_id(made[0].customer_id).one(&app.db).await.unwrap().unwrap();
    let own = made.iter().filter(|c| c.customer_id == person.id).count() as u64;
    let dir = tempfile::tempdir().unwrap();
    export(&app.db, dir.path()).await.unwrap();
    let erased = erase_customer(&app.db, &person.external_id).await.unwrap();
    assert_eq!(erased.complaints.len() as u64, own);
    let report = import(&app.db, dir.path(), ImportOptions::default(), &Silent).await.unwrap();
    assert!(report.kept_erased > own, "the customer, their comments and complaints: {report:?}");
    let left = complaint::Entity::find().filter(complaint::Column::CustomerId.eq(person.id)).count(&app.db).await;
    assert_eq!(left.unwrap(), 0);
    assert_eq!(complaint_count(&app).await, made.len() as u64 - own);
}

/// A batch of complaints binds more parameters than one statement may carry (11 columns × 4,000 rows
/// against SQLite's 32,766): it is written in several statements, all of it.
#[tokio::test]
async fn a_full_batch_of_complaints_is_imported() {
    let app = spawn_app().await;
    let dir = good_dir();
    let mut csv = COMPLAINTS.lines().next().unwrap().to_owned() + "\n";
    for i in 0..4_000 {
        csv += &format!("CMP-{i},C-1,,,OTHER,WEB,2026-02-07T00:00:00Z,,,OPEN,\n");
    }
    write(dir.path(), "complaints.csv", &csv);
    let report = import(&app.db, dir.path(), ImportOptions::default(), &Silent).await.unwrap();
    assert_eq!(report.complaints, 4_000);
    assert_eq!(complaint_count(&app).await, 4_000);
}
