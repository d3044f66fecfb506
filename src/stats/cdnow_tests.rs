//! The CDNOW sample (in `tests/data/cdnow`) through the pure CLV module: the published BG/NBD and
//! Gamma-Gamma estimates, from the raw purchases summarized here by the published conventions.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::stats::clv::summary::DayTotals;
use crate::stats::clv::{BgNbd, GammaGamma, PurchasePatterns, SpendPatterns, Summary, TimeUnit};

fn day(yyyymmdd: &str) -> i64 {
    let date = NaiveDate::parse_from_str(yyyymmdd, "%Y%m%d").unwrap_or_else(|e| panic!("{yyyymmdd}: {e}"));
    date.signed_duration_since(chrono::DateTime::UNIX_EPOCH.date_naive()).num_days()
}

/// Each customer's totals up to the calibration end: purchases of one day are one transaction.
fn summaries(calibration_end_day: i64) -> Vec<Summary> {
    let path = format!("{}/tests/data/cdnow/CDNOW_sample.txt", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut days: BTreeMap<String, BTreeMap<i64, f64>> = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split_whitespace().collect();
        let (customer, date, value) = (cells[1], day(cells[2]), cells[4].parse::<f64>().unwrap());
        if date <= calibration_end_day {
            *days.entry(customer.to_owned()).or_default().entry(date).or_default() += value;
        }
    }
    days.values()
        .map(|by_day| {
            let (first_day, _) = by_day.first_key_value().unwrap();
            let totals = DayTotals {
                first_day: *first_day,
                last_day: *by_day.last_key_value().unwrap().0,
                transactions: by_day.len() as u64,
                repeat_value: by_day.iter().skip(1).map(|(_, v)| v).sum(),
            };
            Summary::new(totals, calibration_end_day)
        })
        .collect()
}

fn round(value: f64, decimals: i32) -> f64 {
    (value * 10f64.powi(decimals)).round() / 10f64.powi(decimals)
}

#[test]
fn the_published_cdnow_estimates() {
    let customers = summaries(day("19970930"));
    assert_eq!(customers.len(), 2357);
    let patterns = PurchasePatterns::new(customers.iter().map(|s| (s.history(TimeUnit::Week), 1)));
    let fit = BgNbd::fit(&patterns).unwrap();
    let BgNbd { r, alpha, a, b } = fit.model;
    eprintln!("BG/NBD {:?} ll {} se {:?}", fit.model, fit.log_likelihood, fit.standard_errors);
    assert_eq!([r, alpha, a, b].map(|v| round(v, 3)), [0.243, 4.414, 0.793, 2.426]);
    assert_eq!(round(fit.log_likelihood, 1), -9582.4);

    let spend =
        SpendPatterns::new(customers.iter().map(|s| (s.repeat_transactions, s.mean_repeat_value.unwrap_or(0.0))));
    assert_eq!(spend.customers(), 946);
    let fit = GammaGamma::fit(&spend).unwrap();
    eprintln!("Gamma-Gamma {:?} ll {} se {:?}", fit.model, fit.log_likelihood, fit.standard_errors);
    let GammaGamma { p, q, gamma } = fit.model;
    assert_eq!([p, q, gamma].map(|v| round(v, 2)), [6.25, 3.74, 15.44]);
}

/// The predictions of Hardie's spreadsheet for the fitted CDNOW model: a customer's conditional
/// expectation, and a new customer's expected repeat purchases over time.
#[test]
fn the_published_cdnow_predictions() {
    let customers = summaries(day("19970930"));
    let patterns = PurchasePatterns::new(customers.iter().map(|s| (s.history(TimeUnit::Week), 1)));
    let model = BgNbd::fit(&patterns).unwrap().model;
    let history = crate::stats::clv::History { x: 2, t_x: 30.43, t: 38.86 };
    assert!((model.expected_purchases(history, 39.0).unwrap() - 1.226).abs() < 0.001);
    for (t, expected) in
        [(0.1429, 0.0078), (1.0, 0.0532), (3.0, 0.1506), (31.8571, 1.0405), (32.0, 1.0437), (78.0, 1.8576)]
    {
        let actual = model.expected_purchases_of_new_customer(t).unwrap();
        assert!((actual - expected).abs() < 0.0005, "E[X({t})] = {actual}, published {expected}");
    }
    // P(alive) is 1 / (1 + a / (b + x - 1) ((α + T) / (α + t_x))^(r + x)), and 1 without repeats.
    let BgNbd { r, alpha, a, b } = model;
    let odds = a / (b + 1.0) * ((alpha + 38.86) / (alpha + 30.43)).powf(r + 2.0);
    assert!((model.probability_alive(history) - 1.0 / (1.0 + odds)).abs() < 1e-12);
    assert_eq!(model.probability_alive(crate::stats::clv::History { x: 0, t_x: 0.0, t: 10.0 }), 1.0);
}
