//! The dashboard's tables against the API's answers to the same queries: every number the page shows,
//! rounded as it rounds (to `decimals` places; "—" for null).

use serde_json::{Map, Value};

/// A table as the page shows it: its caption and its body rows, each as {column header: cell text}.
pub struct Table {
    caption: String,
    rows: Vec<Map<String, Value>>,
}

/// The tables `TABLES` read from the page.
pub fn tables(read: &Value) -> Vec<Table> {
    let tables = read.as_array().expect("a list of tables");
    let table = |t: &Value| Table {
        caption: t["caption"].as_str().expect("a caption").to_owned(),
        rows: t["rows"].as_array().expect("rows").iter().map(|r| r.as_object().expect("a row").clone()).collect(),
    };
    tables.iter().map(table).collect()
}

/// The JavaScript that reads every table of the panel `#id`.
pub fn read_tables(id: &str) -> String {
    format!(
        "Array.from(document.querySelectorAll('#{id} table')).map(t => ({{ caption: t.caption.textContent, \
         rows: Array.from(t.tBodies[0].rows).map(r => Object.fromEntries(Array.from(t.tHead.rows[0].cells) \
         .map((h, i) => [h.textContent, r.cells[i].textContent]))) }}))"
    )
}

fn rows<'a>(tables: &'a [Table], caption: &str) -> &'a [Map<String, Value>] {
    let table = tables.iter().find(|t| t.caption.contains(caption));
    &table.unwrap_or_else(|| panic!("no table captioned \u{2026}{caption}\u{2026}")).rows
}

fn cell<'a>(row: &'a Map<String, Value>, column: &str) -> &'a str {
    row.get(column).and_then(Value::as_str).unwrap_or_else(|| panic!("no column {column} in {row:?}"))
}

/// The row whose first column reads `label`.
fn row<'a>(rows: &'a [Map<String, Value>], column: &str, label: &str) -> &'a Map<String, Value> {
    let found = rows.iter().find(|row| cell(row, column) == label);
    found.unwrap_or_else(|| panic!("no row {label} among {rows:?}"))
}

/// Asserts that `row[column]` shows `expected` (a number, a decimal string or null) to `decimals` places.
fn shows(row: &Map<String, Value>, column: &str, expected: &Value, decimals: i32) {
    let text = cell(row, column);
    if expected.is_null() {
        assert_eq!(text, "\u{2014}", "{column} of {row:?}: the API says null");
        return;
    }
    let expected = expected.as_f64().or_else(|| expected.as_str().and_then(|s| s.parse().ok())).expect("a number");
    let digits: String = text.chars().filter(|c| c.is_ascii_digit() || *c == '.' || *c == '-').collect();
    let shown: f64 = digits.parse().unwrap_or_else(|_| panic!("{column} of {row:?} is not a number"));
    let tolerance = 0.5 * 10f64.powi(-decimals) + 1e-9;
    assert!((shown - expected).abs() <= tolerance, "{column} of {row:?}: the API says {expected}");
}

fn sample(low_sample: &Value) -> &'static str {
    if low_sample == true { "\u{25c7} low n" } else { "" }
}

/// The verdict of a test as the dashboard shows it; a dash when there is no test.
fn yes_no(value: &Value) -> &'static str {
    match value.as_bool() {
        Some(true) => "yes",
        Some(false) => "no",
        None => "—",
    }
}

fn score_decimals(metric: &str) -> i32 {
    if metric == "CES" { 2 } else { 1 }
}

/// `MOBILE_APP` as the page writes it: "Mobile app" (`SMS` stays).
pub fn humanize(name: &str) -> String {
    if name == "SMS" {
        return name.to_owned();
    }
    let words = name.to_lowercase().replace('_', " ");
    words[..1].to_uppercase() + &words[1..]
}

/// The journey: one row per touchpoint kind in `kinds`' order, then relationship surveys if answered.
pub fn assert_journey(tables: &[Table], data: &Value, metric: &str, kinds: &[String]) {
    let rows = rows(tables, "by touchpoint kind");
    let labels: Vec<&str> = rows.iter().map(|row| cell(row, "Touchpoint")).collect();
    let expected: Vec<String> = kinds.iter().map(|kind| humanize(kind)).collect();
    assert_eq!(labels[..kinds.len()], expected, "the kinds in journey order");
    let d = score_decimals(metric);
    let answered = data["insights"]["satisfactionComparison"].as_array().expect("rows");
    for answer in answered {
        let label = answer["touchpointKind"].as_str().map_or("Relationship surveys".to_owned(), humanize);
        let shown = row(rows, "Touchpoint", &label);
        let current = &answer["current"];
        shows(shown, "Score", &current["value"], d);
        assert_eq!(cell(shown, "n"), current["n"].to_string());
        shows(shown, "95% lower", &current["interval"]["lower"], d);
        shows(shown, "95% upper", &current["interval"]["upper"], d);
        shows(shown, "Response rate (%)", &current["responseRate"], 1);
        shows(shown, "Previous score", &answer["baseline"]["value"], d);
        shows(shown, "Change", &answer["delta"], d);
        shows(shown, "p-value", &answer["pValue"], 3);
        assert_eq!(cell(shown, "Significant"), yes_no(&answer["significant"]));
        assert_eq!(cell(shown, "Sample"), sample(&current["lowSample"]));
    }
    for shown in rows.iter().filter(|row| !answered.iter().any(|a| row_is(row, a))) {
        assert_eq!((cell(shown, "Score"), cell(shown, "n")), ("\u{2014}", "0"), "a kind without answers");
    }
}

fn row_is(row: &Map<String, Value>, answer: &Value) -> bool {
    let label = answer["touchpointKind"].as_str().map_or("Relationship surveys".to_owned(), humanize);
    cell(row, "Touchpoint") == label
}

fn assert_scores(rows: &[Map<String, Value>], column: &str, labels: &[String], scores: &[&Value], d: i32) {
    assert_eq!(rows.len(), scores.len(), "one row per answer row: {rows:?}");
    for ((shown, label), score) in rows.iter().zip(labels).zip(scores) {
        assert_eq!(cell(shown, column), label);
        shows(shown, "Score", &score["value"], d);
        assert_eq!(cell(shown, "n"), score["n"].to_string());
        shows(shown, "95% lower", &score["interval"]["lower"], d);
        shows(shown, "95% upper", &score["interval"]["upper"], d);
        assert_eq!(cell(shown, "Sample"), sample(&score["lowSample"]));
    }
}

/// The trend: one row per bucket, labelled `labels`.
pub fn assert_trend(tables: &[Table], data: &Value, metric: &str, labels: &[String]) {
    let answer = data["insights"]["satisfaction"].as_array().expect("rows");
    let scores: Vec<&Value> = answer.iter().map(|row| &row["score"]).collect();
    assert_scores(rows(tables, "by bucket"), "Bucket", labels, &scores, score_decimals(metric));
}

/// The breakdowns by channel, segment and region.
pub fn assert_breakdowns(tables: &[Table], data: &Value, metric: &str) {
    for (list, key, column) in
        [("channels", "channel", "Channel"), ("segments", "segment", "Segment"), ("regions", "region", "Region")]
    {
        let answer = data["insights"][list].as_array().expect("rows");
        let labels: Vec<String> = answer
            .iter()
            .map(|row| match row[key].as_str() {
                None => "No touchpoint".to_owned(),
                Some(name) if key == "channel" => humanize(name),
                Some(name) => name.to_owned(),
            })
            .collect();
        let scores: Vec<&Value> = answer.iter().map(|row| &row["score"]).collect();
        assert_scores(rows(tables, &format!("by {key}")), column, &labels, &scores, score_decimals(metric));
    }
}

/// Loyalty of the segment the filters choose (loyalty is grouped by segment, and the page shows its row).
pub fn assert_loyalty(tables: &[Table], data: &Value, segment: &str) {
    let groups = data["insights"]["loyalty"].as_array().expect("rows");
    let answer = groups.iter().find(|group| group["segment"] == segment).expect("the segment's row");
    let figures = rows(tables, "Customers and orders");
    shows(row(figures, "Figure", "Active customers"), "Value", &answer["activeCustomers"], 0);
    shows(row(figures, "Figure", "Orders"), "Value", &answer["orderCount"], 0);
    shows(row(figures, "Figure", "Repeat purchase rate (%)"), "Value", &answer["repeatPurchaseRate"], 1);
    shows(row(figures, "Figure", "Churn rate (%)"), "Value", &answer["churnRate"], 1);
    let currencies = rows(tables, "per currency");
    let answered = answer["currencies"].as_array().expect("currencies");
    assert_eq!(currencies.len(), answered.len());
    for currency in answered {
        let shown = row(currencies, "Currency", currency["currency"].as_str().expect("a code"));
        assert_eq!(cell(shown, "Orders"), currency["orderCount"].to_string());
        assert_eq!(Some(cell(shown, "Revenue")), currency["revenue"]["amount"].as_str(), "revenue as exact decimals");
        // Money as the API gives it: the amount's exact decimals, or a dash for null.
        for (column, field) in [
            ("Average order value", "averageOrderAmount"),
            ("Historic CLV (mean)", "historicClvMeanAmount"),
            ("Predicted CLV (heuristic)", "predictedClvHeuristicAmount"),
        ] {
            let amount = currency[field]["amount"].as_str().unwrap_or("\u{2014}");
            assert_eq!(cell(shown, column), amount, "{column} of {shown:?}");
        }
    }
}

/// The cohort table: one row per cohort, its size, and its share in each period k.
pub fn assert_cohorts(tables: &[Table], data: &Value) {
    let shown = rows(tables, "by cohort");
    let cells = data["insights"]["cohortRetention"].as_array().expect("cells");
    let mut cohorts: Vec<&str> = cells.iter().filter_map(|c| c["cohortStart"].as_str()).collect();
    cohorts.dedup();
    assert_eq!(shown.len(), cohorts.len(), "one row per cohort");
    for answer in cells {
        let index = cohorts.iter().position(|c| Some(*c) == answer["cohortStart"].as_str()).expect("its cohort");
        let shown = &shown[index];
        assert_eq!(cell(shown, "Customers"), answer["cohortSize"].to_string());
        shows(shown, &format!("k={}", answer["periodIndex"]), &answer["share"], 1);
    }
}

/// Repurchase after feedback: one row per answer category.
pub fn assert_impact(tables: &[Table], data: &Value) {
    let shown = rows(tables, "by answer category");
    let answered = data["insights"]["touchpointImpact"].as_array().expect("rows");
    assert_eq!(shown.len(), answered.len());
    for (shown, answer) in shown.iter().zip(answered) {
        assert_eq!(cell(shown, "Category"), humanize(answer["category"].as_str().expect("a category")));
        assert_eq!(cell(shown, "Customers"), answer["customerCount"].to_string());
        assert_eq!(cell(shown, "Repurchased"), answer["repurchasedCustomers"].to_string());
        shows(shown, "Repurchase rate (%)", &answer["repurchaseRate"], 1);
        shows(shown, "95% lower", &answer["interval"]["lower"], 1);
        shows(shown, "95% upper", &answer["interval"]["upper"], 1);
        shows(shown, "Difference to best (pp)", &answer["differenceToBest"], 1);
        assert_eq!(cell(shown, "Significant"), yes_no(&answer["significant"]));
    }
}
