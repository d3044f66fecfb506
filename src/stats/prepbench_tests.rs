//! Third-party NPS cases (PrepBench, in `tests/data/prepbench-nps`) through the pure module.

use std::collections::BTreeMap;

use entity::SurveyMetric;

use crate::stats::histogram::ScoreHistogram;
use crate::stats::satisfaction::{DEFAULT_MIN_SAMPLE, Satisfaction, SatisfactionCategory};

/// The rows of one of the case's CSV files, without its header.
fn read(case: &str, file: &str) -> Vec<Vec<String>> {
    let path = format!("{}/tests/data/prepbench-nps/{case}/{file}", env!("CARGO_MANIFEST_DIR"));
    let mut reader = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let row = |record: csv::Result<csv::StringRecord>| -> Vec<String> {
        record.unwrap_or_else(|e| panic!("{path}: {e}")).iter().map(str::to_owned).collect()
    };
    reader.records().map(row).collect()
}

fn nps_of(scores: impl IntoIterator<Item = i32>) -> Satisfaction {
    let histogram = ScoreHistogram::from_counts(SurveyMetric::Nps, scores.into_iter().map(|s| (s, 1))).unwrap();
    Satisfaction::of(&histogram, DEFAULT_MIN_SAMPLE)
}

fn count(s: &Satisfaction, category: SatisfactionCategory) -> u64 {
    s.categories.iter().find(|c| c.category == category).map_or(0, |c| c.count)
}

#[test]
fn case_040_sudzilla_nps() {
    // The case reads input_02.csv, one respondent per row; the rating is the second column.
    let scores = read("case_040", "inputs/input_02.csv").into_iter().map(|row| row[1].trim().parse::<i32>().unwrap());
    let s = nps_of(scores);
    let expected = &read("case_040", "gt/output_01.csv")[0];
    assert_eq!(s.n.to_string(), expected[1]);
    assert_eq!(count(&s, SatisfactionCategory::Promoter).to_string(), expected[2]);
    assert_eq!(count(&s, SatisfactionCategory::Detractor).to_string(), expected[3]);
    let value = s.value.unwrap();
    assert!((value - (-35.897_435_897)).abs() < 1e-6, "{value}");
    assert_eq!(format!("{value:.1}"), expected[0]);
}

#[test]
fn case_122_airlines_differ_from_ours_only_by_the_authors_truncation() {
    let mut by_airline: BTreeMap<String, Vec<i32>> = BTreeMap::new();
    for row in read("case_122", "inputs/input_01.csv").into_iter().chain(read("case_122", "inputs/input_02.csv")) {
        by_airline.entry(row[0].clone()).or_default().push(row[2].trim().parse().unwrap());
    }
    let scored: Vec<(String, Satisfaction)> = by_airline
        .into_iter()
        .filter(|(_, scores)| scores.len() >= 50)
        .map(|(airline, scores)| (airline, nps_of(scores)))
        .collect();
    // The reference rounds each percentage down before subtracting; we never do.
    let truncated = |s: &Satisfaction| {
        let share = |c| (100.0 * count(s, c) as f64 / s.n as f64).floor();
        share(SatisfactionCategory::Promoter) - share(SatisfactionCategory::Detractor)
    };
    let truncated_all: Vec<f64> = scored.iter().map(|(_, s)| truncated(s)).collect();
    let mean = truncated_all.iter().sum::<f64>() / truncated_all.len() as f64;
    let sd = (truncated_all.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (truncated_all.len() - 1) as f64).sqrt();
    let (_, prep_air) = scored.iter().find(|(airline, _)| airline == "Prep Air").unwrap();
    let expected = &read("case_122", "gt/output_01.csv")[0];
    assert_eq!(format!("{}", truncated(prep_air)), expected[1]);
    assert_eq!(format!("{:.2}", (truncated(prep_air) - mean) / sd), expected[2]);
    // Our exact NPS of the same answers, and how far the truncation moved it.
    let exact = prep_air.value.unwrap();
    let p = 100.0 * count(prep_air, SatisfactionCategory::Promoter) as f64 / prep_air.n as f64;
    let d = 100.0 * count(prep_air, SatisfactionCategory::Detractor) as f64 / prep_air.n as f64;
    assert!((exact - (p - d)).abs() < 1e-9);
    assert!((exact - truncated(prep_air)).abs() < 1.0);
}

#[test]
fn case_050_categories_match_the_reference_classification() {
    let rows = read("case_050", "gt/output_01.csv");
    assert!(!rows.is_empty());
    for row in rows {
        let score: i32 = row[5].trim().parse().unwrap();
        let expected = match (row[6].as_str(), row[7].as_str(), row[8].as_str()) {
            ("1", "", "") => SatisfactionCategory::Promoter,
            ("", "1", "") => SatisfactionCategory::Passive,
            ("", "", "1") => SatisfactionCategory::Detractor,
            other => panic!("unexpected flags {other:?}"),
        };
        assert_eq!(SatisfactionCategory::of_score(SurveyMetric::Nps, score), Some(expected), "{row:?}");
    }
}
