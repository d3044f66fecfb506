//! The import's files and lines: a refusal names the physical line of the file whatever its line endings
//! and multi-line fields; a directory's CSV files must all be import files unless the user skips the others,
//! and its other files are listed as ignored. A refused import writes nothing.

use customer_insights::transfer::import::{ImportOptions, import};

use crate::helpers::{Silent, TestApp, row_counts, spawn_app};
use crate::transfer::{good_dir, import_error, write};

const FEEDBACK_HEADER: &str =
    "external_id,customer_external_id,touchpoint_external_id,metric,score,comment,submitted_at";

/// feedback.csv with lines ending in `newline`: the header, an answer with `comment` (quoted), 38 more
/// answers, then `last` (line 41 when the comment holds no line break).
fn feedback_ending_with(newline: &str, comment: &str, last: &str) -> String {
    let mut text = format!("{FEEDBACK_HEADER}{newline}F-0,C-1,T-1,NPS,4,\"{comment}\",2026-02-03T12:00:00Z{newline}");
    for i in 1..=38 {
        text.push_str(&format!("F-{i},C-2,,CES,6,,2026-02-05T12:00:00Z{newline}"));
    }
    text.push_str(last);
    text.push_str(newline);
    text
}

const NPS_OF_11: &str = "F-bad,C-2,,NPS,11,,2026-02-05T12:00:00Z";

async fn assert_refused(app: &TestApp, feedback: &str, expected: &str) {
    let dir = good_dir();
    write(dir.path(), "feedback.csv", feedback);
    assert_eq!(import_error(app, dir.path()).await, vec![expected.to_owned()], "{feedback:?}");
    assert_eq!(row_counts(&app.db).await, [0, 0, 0, 0], "{expected}");
}

#[tokio::test]
async fn lines_of_an_lf_file_are_its_lines() {
    let app = spawn_app().await;
    let feedback = feedback_ending_with("\n", "fine", NPS_OF_11);
    assert_refused(&app, &feedback, "feedback.csv:41: column score: NPS scores are 0 to 10, not 11").await;
}

#[tokio::test]
async fn lines_of_a_crlf_file_are_its_lines() {
    let app = spawn_app().await;
    let feedback = feedback_ending_with("\r\n", "fine", NPS_OF_11);
    assert_refused(&app, &feedback, "feedback.csv:41: column score: NPS scores are 0 to 10, not 11").await;
    // A record of the wrong shape, and blank lines, which the CSV format skips but are lines of the file.
    let feedback = feedback_ending_with("\r\n", "fine", "F-bad,C-2,,NPS");
    assert_refused(&app, &feedback, "feedback.csv:41: malformed CSV: 4 fields, the header has 7").await;
    let feedback = feedback_ending_with("\r\n", "fine", &format!("\r\n\r\n{NPS_OF_11}"));
    assert_refused(&app, &feedback, "feedback.csv:43: column score: NPS scores are 0 to 10, not 11").await;
}

#[tokio::test]
async fn text_that_is_not_utf8_is_refused_at_its_line_and_column() {
    let app = spawn_app().await;
    let dir = good_dir();
    let feedback = feedback_ending_with("\r\n", "fine", "F-bad,C-2,,CES,6,Café,2026-02-05T12:00:00Z");
    // In Latin-1, as old spreadsheet exports write it: each character one byte.
    let latin1: Vec<u8> = feedback.chars().map(|c| c as u8).collect();
    std::fs::write(dir.path().join("feedback.csv"), latin1).unwrap();
    assert_eq!(import_error(&app, dir.path()).await, ["feedback.csv:41: column comment: not UTF-8 text"]);
    assert_eq!(row_counts(&app.db).await, [0, 0, 0, 0]);
}

#[tokio::test]
async fn line_breaks_in_a_quoted_field_count_as_lines() {
    let app = spawn_app().await;
    let feedback = feedback_ending_with("\n", "late\nand\nwet", NPS_OF_11);
    assert_refused(&app, &feedback, "feedback.csv:43: column score: NPS scores are 0 to 10, not 11").await;
    let feedback = feedback_ending_with("\r\n", "late\r\nand wet", NPS_OF_11);
    assert_refused(&app, &feedback, "feedback.csv:42: column score: NPS scores are 0 to 10, not 11").await;
}

#[tokio::test]
async fn a_csv_file_that_is_not_an_import_file_is_refused_with_the_closest_name() {
    let app = spawn_app().await;
    let dir = good_dir();
    std::fs::rename(dir.path().join("feedback.csv"), dir.path().join("feedbacks.csv")).unwrap();
    write(dir.path(), "notes.csv", "a,b\n");
    assert_eq!(
        import_error(&app, dir.path()).await,
        vec![
            "feedbacks.csv: not an import file (did you mean feedback.csv?); rename it, or skip unknown files \
             with --skip-unknown-files"
                .to_owned(),
            "notes.csv: not an import file (those are customers.csv, orders.csv, touchpoints.csv, feedback.csv, \
             complaints.csv); \
             rename it, or skip unknown files with --skip-unknown-files"
                .to_owned(),
        ]
    );
    assert_eq!(row_counts(&app.db).await, [0, 0, 0, 0]);
}

#[tokio::test]
async fn skipping_unknown_files_imports_the_others_and_reports_the_skipped_ones() {
    let app = spawn_app().await;
    let dir = good_dir();
    std::fs::rename(dir.path().join("feedback.csv"), dir.path().join("feedbacks.csv")).unwrap();
    let options = ImportOptions { skip_unknown_files: true, ..Default::default() };
    let report = import(&app.db, dir.path(), options, &Silent).await.unwrap();
    assert_eq!((report.customers, report.orders, report.touchpoints, report.feedback), (2, 2, 2, 0), "{report:?}");
    assert_eq!(report.skipped_files, ["feedbacks.csv"]);
    assert!(report.ignored_files.is_empty(), "{report:?}");
    assert_eq!(row_counts(&app.db).await, [2, 2, 2, 0]);
}

#[tokio::test]
async fn other_files_and_directories_are_listed_as_ignored() {
    let app = spawn_app().await;
    let dir = good_dir();
    write(dir.path(), "README.txt", "exported from the shop on Monday\n");
    std::fs::create_dir(dir.path().join("old.csv")).unwrap();
    let report = import(&app.db, dir.path(), ImportOptions::default(), &Silent).await.unwrap();
    assert_eq!(report.ignored_files, ["README.txt", "old.csv/"]);
    assert!(report.skipped_files.is_empty(), "{report:?}");
    assert_eq!(row_counts(&app.db).await, [2, 2, 2, 2]);
}
