//! `clv fit`: fits the predictive CLV models on the orders in the database and prints them.

use super::{CliError, ClvAction, ClvArgs, ClvTimeUnit, open};
use crate::db::migrate_up;
use crate::domain::currency::Currency;
use crate::domain::time::{format_timestamp, parse_timestamp};
use crate::services::clv::ClvModel;
use crate::services::clv::fit::{FitRequest, fit};
use crate::stats::clv::TimeUnit;

pub(super) async fn run(args: ClvArgs) -> Result<(), CliError> {
    let db = open(&args.database).await?;
    migrate_up(&db).await?;
    match args.action {
        ClvAction::Fit { calibration_end, currency, time_unit } => {
            let request = FitRequest {
                currency: Currency::parse("--currency", &currency)?,
                calibration_end: parse_timestamp("--calibration-end", &calibration_end)?,
                unit: match time_unit {
                    ClvTimeUnit::Week => TimeUnit::Week,
                    ClvTimeUnit::Day => TimeUnit::Day,
                },
            };
            print!("{}", report(&fit(&db, request).await?));
        }
    }
    Ok(())
}

/// The fitted model as text: a heading, then one tab-separated line per parameter (name, estimate,
/// standard error) and per log-likelihood.
fn report(model: &ClvModel) -> String {
    let fit = &model.fit;
    let (purchase, spend) = (&fit.purchase, &fit.spend);
    let mut lines = vec![
        format!(
            "{} model: {} customers ({} with repeat purchases), time unit {}, orders up to {}",
            model.currency.code,
            fit.customers,
            fit.repeat_customers,
            fit.unit.as_str(),
            format_timestamp(model.calibration_end)
        ),
        "parameter\testimate\tstandard error".to_owned(),
    ];
    let (estimates, errors) = (purchase.model, purchase.standard_errors);
    for (name, estimate, error) in [
        ("r", estimates.r, errors.r),
        ("alpha", estimates.alpha, errors.alpha),
        ("a", estimates.a, errors.a),
        ("b", estimates.b, errors.b),
    ] {
        lines.push(format!("{name}\t{estimate:.6}\t{error:.6}"));
    }
    lines.push(format!("purchase log-likelihood\t{:.4}", purchase.log_likelihood));
    let (estimates, errors) = (spend.model, spend.standard_errors);
    for (name, estimate, error) in
        [("p", estimates.p, errors.p), ("q", estimates.q, errors.q), ("gamma", estimates.gamma, errors.gamma)]
    {
        lines.push(format!("{name}\t{estimate:.6}\t{error:.6}"));
    }
    lines.push(format!("spend log-likelihood\t{:.4}\t({} customers)", spend.log_likelihood, spend.customers));
    lines.join("\n") + "\n"
}
