//! Predictive CLV on the CDNOW sample (`tests/data/cdnow`), converted to the import format, imported
//! and fitted through the command line: the published estimates, the stored model over GraphQL, each
//! customer's predictions against the closed forms of the papers (computed here, independently), the
//! orderings, the mutation and the cost of `Customer.clv` in statements.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::cli::run;
use crate::helpers::{TestApp, code, field_of, spawn_app, user_code};

const CALIBRATION_END: &str = "1997-09-30T00:00:00Z";

/// A customer's purchases in the sample: the value bought on each day.
type Purchases = BTreeMap<String, BTreeMap<NaiveDate, f64>>;

fn sample_lines() -> Vec<(String, NaiveDate, String)> {
    let path = format!("{}/tests/data/cdnow/CDNOW_sample.txt", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .map(|line| {
            // master id, sample id, YYYYMMDD, number of CDs, dollar value
            let cells: Vec<&str> = line.split_whitespace().collect();
            let date = NaiveDate::parse_from_str(cells[2], "%Y%m%d").expect("a date");
            (format!("cdnow-{}", cells[1]), date, cells[4].to_owned())
        })
        .collect()
}

/// The converter: the sample as `customers.csv` and `orders.csv` in `dir`, one DELIVERED USD order per
/// line of the sample, placed at midnight UTC of its day.
fn convert_sample(dir: &Path) {
    let lines = sample_lines();
    let mut first_days: BTreeMap<&str, NaiveDate> = BTreeMap::new();
    let mut orders = String::from("external_id,customer_external_id,placed_at,status,total_amount,currency\n");
    for (i, (customer, date, amount)) in lines.iter().enumerate() {
        let first = first_days.entry(customer).or_insert(*date);
        *first = (*first).min(*date);
        orders.push_str(&format!("{customer}-{i},{customer},{date}T00:00:00Z,DELIVERED,{amount},USD\n"));
    }
    let mut customers = String::from("external_id,name,email,segment,region,created_at\n");
    for (customer, first) in first_days {
        customers
            .push_str(&format!("{customer},CDNOW {customer},{customer}@example.com,consumer,NA,{first}T00:00:00Z\n"));
    }
    std::fs::write(dir.join("customers.csv"), customers).unwrap();
    std::fs::write(dir.join("orders.csv"), orders).unwrap();
}

fn purchases() -> Purchases {
    let mut purchases = Purchases::new();
    for (customer, date, amount) in sample_lines() {
        *purchases.entry(customer).or_default().entry(date).or_default() += amount.parse::<f64>().unwrap();
    }
    purchases
}

/// The app with the sample imported through `import` (as a user would run it).
async fn app_with_sample() -> TestApp {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    convert_sample(dir.path());
    let (ok, stdout, stderr) = run(&["import", dir.path().to_str().unwrap()], &app.database_url);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("2357 customers, 6919 orders"), "{stdout}");
    app
}

/// `clv fit` on the app's database; its printed estimates by name.
fn fit_from_command_line(app: &TestApp) -> BTreeMap<String, f64> {
    let (ok, stdout, stderr) = run(&["clv", "fit", "--calibration-end", CALIBRATION_END], &app.database_url);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("USD model: 2357 customers"), "{stdout}");
    stdout
        .lines()
        .filter_map(|line| {
            let mut cells = line.split('\t');
            let name = cells.next()?;
            Some((name.to_owned(), cells.next()?.parse().ok()?))
        })
        .collect()
}

fn round(value: f64, decimals: i32) -> f64 {
    (value * 10f64.powi(decimals)).round() / 10f64.powi(decimals)
}

const MODEL: &str = r#"{ insights { clvModel(currency: "USD") {
    currency calibrationEnd timeUnit customerCount customers repeatCustomers
    purchaseModel { r alpha a b logLikelihood standardErrors { r alpha a b } }
    spendModel { p q gamma logLikelihood customerCount customers }
    tracking { period expectedCumulativeRepeatPurchases actualCumulativeRepeatPurchases } } } }"#;

#[tokio::test]
async fn clv_fit_reproduces_the_published_cdnow_estimates_and_stores_the_model() {
    let app = app_with_sample().await;
    let empty = app.query(MODEL, json!({})).await;
    assert_eq!(empty["insights"]["clvModel"], Value::Null, "no model before the first fit");

    let printed = fit_from_command_line(&app);
    let estimates = ["r", "alpha", "a", "b"].map(|name| round(printed[name], 3));
    assert_eq!(estimates, [0.243, 4.414, 0.793, 2.426], "{printed:?}");
    assert_eq!(round(printed["purchase log-likelihood"], 1), -9582.4);
    assert_eq!(["p", "q", "gamma"].map(|name| round(printed[name], 2)), [6.25, 3.74, 15.44], "{printed:?}");

    let model = app.query(MODEL, json!({})).await["insights"]["clvModel"].clone();
    assert_eq!(model["currency"], "USD");
    assert_eq!(model["calibrationEnd"], CALIBRATION_END);
    assert_eq!(model["timeUnit"], "WEEK");
    let purchases = purchases();
    let calibration_end = NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
    let repeat_customers = purchases.values().filter(|days| days.range(..=calibration_end).count() > 1).count();
    assert_eq!(
        (model["customerCount"].as_u64(), model["repeatCustomers"].as_u64()),
        (Some(2357), Some(repeat_customers as u64))
    );
    // The deprecated names answer the same counts.
    assert_eq!(model["customers"], model["customerCount"]);
    assert_eq!(model["spendModel"]["customers"], model["spendModel"]["customerCount"]);
    let purchase = &model["purchaseModel"];
    for name in ["r", "alpha", "a", "b"] {
        // The stored model is the printed one (printed to 6 decimals).
        assert!((purchase[name].as_f64().unwrap() - printed[name]).abs() < 5e-7, "{name}");
        assert!(purchase["standardErrors"][name].as_f64().unwrap() > 0.0);
    }
    assert!((purchase["logLikelihood"].as_f64().unwrap() + 9582.4).abs() < 0.05);
    assert_eq!(model["spendModel"]["customerCount"], 946);

    // One row per week from 1997-01-01 to the last order, 1998-06-30 (545 days: 78 weeks); the actual
    // line counts every repeat transaction of the sample's customers, holdout included.
    let tracking = model["tracking"].as_array().unwrap();
    assert_eq!(tracking.len(), 78);
    assert_eq!(
        tracking.iter().map(|row| row["period"].as_u64().unwrap()).collect::<Vec<_>>(),
        (1..=78).collect::<Vec<_>>()
    );
    let all_repeats: usize = purchases.values().map(|days| days.len() - 1).sum();
    assert_eq!(tracking[77]["actualCumulativeRepeatPurchases"], all_repeats);
    let start = NaiveDate::from_ymd_opt(1997, 1, 1).unwrap();
    let repeats_before = |end: NaiveDate| -> usize {
        purchases.values().map(|days| days.keys().skip(1).filter(|day| **day < end).count()).sum()
    };
    for row in tracking {
        let end = start + chrono::Duration::days(7 * row["period"].as_i64().unwrap());
        assert_eq!(row["actualCumulativeRepeatPurchases"], repeats_before(end));
    }
    // The fit follows the calibration weeks closely, and the forecast the 39 weeks after them.
    for week in [39, 78] {
        let (expected, actual) = (
            tracking[week - 1]["expectedCumulativeRepeatPurchases"].as_f64().unwrap(),
            tracking[week - 1]["actualCumulativeRepeatPurchases"].as_f64().unwrap(),
        );
        assert!((expected / actual - 1.0).abs() < 0.05, "week {week}: expected {expected}, actual {actual}");
    }
}

/// A customer's history up to the calibration end, in weeks: (x, t_x, T, mean repeat value).
fn history(days: &BTreeMap<NaiveDate, f64>) -> (f64, f64, f64, Option<f64>) {
    let end = NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
    let calibration: Vec<(&NaiveDate, &f64)> = days.range(..=end).collect();
    let weeks = |from: NaiveDate, to: NaiveDate| (to - from).num_days() as f64 / 7.0;
    let first = *calibration[0].0;
    let x = calibration.len() - 1;
    let mean = (x > 0).then(|| calibration[1..].iter().map(|(_, v)| **v).sum::<f64>() / x as f64);
    (x as f64, weeks(first, *calibration[x].0), weeks(first, end), mean)
}

/// 2F1(a, b; c; z), summed term by term.
fn hypergeometric(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let (mut term, mut sum) = (1.0, 1.0);
    for n in 0..100_000 {
        let n = f64::from(n);
        term *= (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
        sum += term;
        if term.abs() < 1e-17 * sum.abs() && n > a.max(b) {
            break;
        }
    }
    sum
}

/// The closed forms: P(alive), E[X(t) | x, t_x, T] (Fader, Hardie & Lee 2005, equation 10) and the
/// Gamma-Gamma expected spend (Fader & Hardie 2013, equation 5).
struct Closed {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
    p: f64,
    q: f64,
    gamma: f64,
}

impl Closed {
    fn alive(&self, x: f64, t_x: f64, t: f64) -> f64 {
        if x == 0.0 {
            return 1.0;
        }
        1.0 / (1.0 + self.a / (self.b + x - 1.0) * ((self.alpha + t) / (self.alpha + t_x)).powf(self.r + x))
    }

    fn expected(&self, x: f64, t_x: f64, t: f64, ahead: f64) -> f64 {
        let Closed { r, alpha, a, b, .. } = *self;
        let f = hypergeometric(r + x, b + x, a + b + x - 1.0, ahead / (alpha + t + ahead));
        (a + b + x - 1.0) / (a - 1.0)
            * (1.0 - ((alpha + t) / (alpha + t + ahead)).powf(r + x) * f)
            * self.alive(x, t_x, t)
    }

    fn spend(&self, x: f64, mean: Option<f64>) -> f64 {
        let population = self.p * self.gamma / (self.q - 1.0);
        match mean {
            Some(mean) => {
                let weight = self.p * x / (self.p * x + self.q - 1.0);
                (1.0 - weight) * population + weight * mean
            }
            None => population,
        }
    }
}

fn close(actual: &Value, expected: f64, what: &str) {
    let actual = actual.as_f64().unwrap_or_else(|| panic!("{what}: {actual}"));
    assert!((actual - expected).abs() <= 1e-9 * expected.abs().max(1.0), "{what}: {actual} vs {expected}");
}

#[tokio::test]
async fn each_customers_predictions_are_the_closed_forms_and_order_the_customers() {
    let app = app_with_sample().await;
    let customer = r#"query($id: String!) { customer(externalId: $id) { clv(currency: "USD") {
        probabilityAlive expectedPurchases(periods: 39) expectedAverageSpend
        value(periods: 52, annualDiscountRate: 0.1) undiscounted: value(periods: 52, annualDiscountRate: 0) } } }"#;
    let none = app.query(customer, json!({ "id": "cdnow-0001" })).await;
    assert_eq!(none["customer"]["clv"], Value::Null, "no model yet");
    let fitted = app
        .query(
            "mutation($end: DateTime!) { fitClvModels(calibrationEnd: $end) { model { customerCount purchaseModel { r alpha a b } spendModel { p q gamma } } userErrors { code } } }",
            json!({ "end": CALIBRATION_END }),
        )
        .await["fitClvModels"]["model"]
        .clone();
    assert_eq!(fitted["customerCount"], 2357);
    let parameter = |model: &str, name: &str| fitted[model][name].as_f64().unwrap();
    let closed = Closed {
        r: parameter("purchaseModel", "r"),
        alpha: parameter("purchaseModel", "alpha"),
        a: parameter("purchaseModel", "a"),
        b: parameter("purchaseModel", "b"),
        p: parameter("spendModel", "p"),
        q: parameter("spendModel", "q"),
        gamma: parameter("spendModel", "gamma"),
    };
    assert_eq!(round(closed.r, 3), 0.243, "the mutation fits what the command line fits");

    let purchases = purchases();
    let heaviest = purchases.iter().max_by_key(|(_, days)| days.len()).map(|(id, _)| id.clone()).unwrap();
    for id in ["cdnow-0001", "cdnow-0002", "cdnow-0018", "cdnow-1000", heaviest.as_str()] {
        let (x, t_x, t, mean) = history(&purchases[id]);
        let clv = app.query(customer, json!({ "id": id })).await["customer"]["clv"].clone();
        close(&clv["probabilityAlive"], closed.alive(x, t_x, t), id);
        close(&clv["expectedPurchases"], closed.expected(x, t_x, t, 39.0), id);
        let spend = closed.spend(x, mean);
        close(&clv["expectedAverageSpend"], spend, id);
        close(&clv["undiscounted"], closed.expected(x, t_x, t, 52.0) * spend, id);
        let discounted: f64 = (1..=52)
            .map(|k| {
                let k = f64::from(k);
                let bought = closed.expected(x, t_x, t, k) - closed.expected(x, t_x, t, k - 1.0);
                bought * spend * 1.1f64.powf(-7.0 * k / 365.25)
            })
            .sum();
        close(&clv["value"], discounted, id);
    }

    // Ordered by the stored predictions: the stored CLV is `value` 52 weeks ahead at 10% a year.
    let ordered = r#"query($field: CustomerSortField!, $direction: SortDirection!, $after: String) {
        customers(first: 30, after: $after, orderBy: { field: $field, direction: $direction, currency: "USD" }) {
            pageInfo { endCursor } nodes { externalId clv(currency: "USD") { probabilityAlive value(periods: 52, annualDiscountRate: 0.1) } } } }"#;
    for (field, key) in [("PREDICTED_CLV", "value"), ("PROBABILITY_ALIVE", "probabilityAlive")] {
        for direction in ["DESC", "ASC"] {
            let variables = |after: Value| json!({ "field": field, "direction": direction, "after": after });
            let first = app.query(ordered, variables(Value::Null)).await;
            let cursor = first["customers"]["pageInfo"]["endCursor"].clone();
            let second = app.query(ordered, variables(cursor)).await;
            let values: Vec<f64> = [first, second]
                .iter()
                .flat_map(|page| page["customers"]["nodes"].as_array().unwrap().clone())
                .map(|node| node["clv"][key].as_f64().unwrap())
                .collect();
            assert_eq!(values.len(), 60);
            let sorted = values.windows(2).all(|w| if direction == "DESC" { w[0] >= w[1] } else { w[0] <= w[1] });
            assert!(sorted, "{field} {direction}: {values:?}");
        }
    }
    let top = app.query(ordered, json!({ "field": "PREDICTED_CLV", "direction": "DESC", "after": null })).await;
    let best = top["customers"]["nodes"][0]["clv"]["value"].as_f64().unwrap();
    let most: f64 = purchases
        .values()
        .map(|days| {
            let (x, t_x, t, mean) = history(days);
            let spend = closed.spend(x, mean);
            (1..=52)
                .map(|k| {
                    let k = f64::from(k);
                    (closed.expected(x, t_x, t, k) - closed.expected(x, t_x, t, k - 1.0))
                        * spend
                        * 1.1f64.powf(-7.0 * k / 365.25)
                })
                .sum::<f64>()
        })
        .fold(f64::MIN, f64::max);
    assert!((best - most).abs() < 1e-6 * most, "the first customer has the highest CLV: {best} vs {most}");
}

#[tokio::test]
async fn uncovered_customers_and_currencies_errors_and_the_cost_in_statements() {
    let app = app_with_sample().await;
    // A customer who never bought in USD: outside the model, last when descending.
    app.query(
        r#"mutation { upsertCustomer(input: { externalId: "euro", name: "E", email: "e@example.com", segment: "s",
            region: "EU", createdAt: "1997-01-01T00:00:00Z" }) { created } }"#,
        json!({}),
    )
    .await;
    let no_repeats = app
        .refusal(
            "mutation { fitClvModels(calibrationEnd: \"1997-01-01T00:00:00Z\") { model { customerCount } userErrors { field message code } } }",
            json!({}),
        )
        .await;
    assert_eq!((user_code(&no_repeats), &no_repeats["field"]), ("MODEL_FIT_FAILED", &Value::Null), "{no_repeats}");
    let no_euro_orders = app
        .refusal(
            "mutation { fitClvModels(calibrationEnd: \"1997-09-30T00:00:00Z\", currency: \"EUR\") { model { customerCount } userErrors { field message code } } }",
            json!({}),
        )
        .await;
    assert_eq!((user_code(&no_euro_orders), field_of(&no_euro_orders).as_str()), ("BAD_USER_INPUT", "currency"));
    // The deprecated `fitClvModel` refuses with top-level errors, as before.
    let deprecated = app
        .query_error("mutation { fitClvModel(calibrationEnd: \"1997-01-01T00:00:00Z\") { customerCount } }", json!({}))
        .await;
    assert_eq!(code(&deprecated), "MODEL_FIT_FAILED", "{deprecated}");
    let no_orders = app
        .query_error(
            "mutation { fitClvModel(calibrationEnd: \"1997-09-30T00:00:00Z\", currency: \"EUR\") { customerCount } }",
            json!({}),
        )
        .await;
    assert_eq!((code(&no_orders), no_orders["extensions"]["field"].as_str()), ("BAD_USER_INPUT", Some("currency")));
    let unsorted =
        app.query_error(r#"{ customers(orderBy: { field: PREDICTED_CLV }) { totalCount } }"#, json!({})).await;
    assert_eq!(code(&unsorted), "BAD_USER_INPUT");

    let fitted = app
        .query(
            "mutation { fitClvModels(calibrationEnd: \"1997-09-30T00:00:00Z\", timeUnit: DAY) { model { timeUnit tracking { period } } } }",
            json!({}),
        )
        .await;
    assert_eq!(fitted["fitClvModels"]["model"]["timeUnit"], "DAY");
    assert_eq!(fitted["fitClvModels"]["model"]["tracking"].as_array().unwrap().len(), 546, "545 days after the first");
    let last = app
        .query(
            r#"{ customers(last: 1, orderBy: { field: PREDICTED_CLV, direction: DESC, currency: "USD" }) {
                nodes { externalId clv(currency: "USD") { probabilityAlive } euro: clv(currency: "EUR") { probabilityAlive } } } }"#,
            json!({}),
        )
        .await;
    let node = &last["customers"]["nodes"][0];
    assert_eq!((node["externalId"].as_str(), &node["clv"], &node["euro"]), (Some("euro"), &Value::Null, &Value::Null));
    let euro = app.query(r#"{ insights { clvModel(currency: "EUR") { customers } } }"#, json!({})).await;
    assert_eq!(euro["insights"]["clvModel"], Value::Null);

    // Customer.clv is batch-loaded: a page of 100 customers costs the statements of a page of 5.
    let page = r#"query($n: Int!) { customers(first: $n, orderBy: { field: PROBABILITY_ALIVE, direction: DESC, currency: "USD" }) {
        nodes { externalId
        clv(currency: "USD") { probabilityAlive expectedPurchases(periods: 10) value(periods: 10, annualDiscountRate: 0.05) } } } }"#;
    let mut statements = Vec::new();
    for n in [5, 100] {
        let before = app.statements.get();
        let data = app.query(page, json!({ "n": n })).await;
        let covered = data["customers"]["nodes"].as_array().unwrap().iter().filter(|c| c["clv"] != Value::Null).count();
        assert_eq!(covered, n);
        statements.push(app.statements.get() - before);
    }
    assert_eq!(statements[0], statements[1], "statements for 5 and 100 customers: {statements:?}");
}
