//! The figures of a recovery report from the statement's counts: per group, period and outcome, the
//! repurchase rate with its Wilson interval and its test against the customers who did not complain, and
//! the NPS of the next answers.

use std::collections::{BTreeMap, HashMap};

use entity::SurveyMetric;
use sea_orm::ActiveEnum;

use super::{RecoveryCell, RecoveryDimension, RecoveryKey, RecoveryOutcome, RecoveryQuery};
use crate::domain::buckets::Bucket;
use crate::error::{AppError, AppResult};
use crate::stats::comparison::{Comparison, proportions};
use crate::stats::histogram::ScoreHistogram;
use crate::stats::intervals::wilson_percent;
use crate::stats::percent;
use crate::stats::satisfaction::{DEFAULT_MIN_SAMPLE, Satisfaction};

/// The customers of one group, period and outcome.
#[derive(Clone, Debug)]
struct Counts {
    customers: u64,
    repurchased: u64,
    next_nps: ScoreHistogram,
}

impl Default for Counts {
    fn default() -> Self {
        Counts { customers: 0, repurchased: 0, next_nps: ScoreHistogram::empty(SurveyMetric::Nps) }
    }
}

/// One row of a recovery report, every figure computed.
#[derive(Clone, Debug, PartialEq)]
pub struct RecoveryRow {
    pub key: RecoveryKey,
    pub period: Bucket,
    pub outcome: RecoveryOutcome,
    pub customers: u64,
    pub repurchased: u64,
    /// repurchased / customers, in percent.
    pub repurchase_rate: Option<f64>,
    /// Its 95% Wilson interval, in percent.
    pub interval: Option<(f64, f64)>,
    /// The pooled two-proportion test against the customers of the same segment, region and period who
    /// did not complain; None for those themselves or when either side is empty.
    pub versus_no_complaint: Option<Comparison>,
    /// The NPS of the customers' next NPS answers in the window.
    pub next_nps: Satisfaction,
}

type Slot = (RecoveryKey, usize, RecoveryOutcome);

fn tally(cells: &[RecoveryCell]) -> AppResult<HashMap<Slot, Counts>> {
    let mut counts: HashMap<Slot, Counts> = HashMap::new();
    for cell in cells {
        let slot = counts.entry((cell.key.clone(), cell.period, cell.outcome)).or_default();
        slot.customers += cell.customers;
        slot.repurchased += cell.repurchased;
        if let Some(score) = cell.next_nps {
            slot.next_nps.add(score, cell.customers).map_err(|e| AppError::Internal(e.to_string()))?;
        }
    }
    Ok(counts)
}

/// The outcomes a group's rows show: grouped by category, a category's complaints or, without one, the
/// customers who did not complain; otherwise all four.
fn outcomes_of(query: &RecoveryQuery, key: &RecoveryKey) -> &'static [RecoveryOutcome] {
    match (query.group_by.contains(&RecoveryDimension::Category), key.category) {
        (true, Some(_)) => &RecoveryOutcome::COMPLAINED,
        (true, None) => &[RecoveryOutcome::NoComplaint],
        (false, _) => &RecoveryOutcome::ALL,
    }
}

fn row(
    key: &RecoveryKey,
    period: Bucket,
    outcome: RecoveryOutcome,
    counts: Counts,
    baseline: Option<&Counts>,
) -> RecoveryRow {
    let baseline = baseline.filter(|_| outcome != RecoveryOutcome::NoComplaint);
    RecoveryRow {
        key: key.clone(),
        period,
        outcome,
        customers: counts.customers,
        repurchased: counts.repurchased,
        repurchase_rate: percent(counts.repurchased, counts.customers),
        interval: wilson_percent(counts.repurchased, counts.customers),
        versus_no_complaint: baseline
            .and_then(|b| proportions(counts.repurchased, counts.customers, b.repurchased, b.customers)),
        next_nps: Satisfaction::of(&counts.next_nps, DEFAULT_MIN_SAMPLE),
    }
}

/// The rows of a report: per group with customers in some period, every period and the group's
/// outcomes, zero-filled; without grouping, the four outcomes of every period.
pub fn rows(query: &RecoveryQuery, cells: &[RecoveryCell]) -> AppResult<Vec<RecoveryRow>> {
    let counts = tally(cells)?;
    let sort_key = |key: &RecoveryKey| (key.category.map(|c| c.to_value()), key.segment.clone(), key.region.clone());
    let mut keys: BTreeMap<_, _> = cells.iter().map(|cell| (sort_key(&cell.key), cell.key.clone())).collect();
    if query.group_by.is_empty() {
        keys.insert(sort_key(&RecoveryKey::default()), RecoveryKey::default());
    }
    let empty = Counts::default();
    let mut rows = Vec::new();
    for key in keys.into_values() {
        let without_category = RecoveryKey { category: None, ..key.clone() };
        for (index, period) in query.periods.iter().enumerate() {
            let baseline = counts.get(&(without_category.clone(), index, RecoveryOutcome::NoComplaint));
            for outcome in outcomes_of(query, &key) {
                let group = counts.get(&(key.clone(), index, *outcome)).unwrap_or(&empty).clone();
                rows.push(row(&key, *period, *outcome, group, baseline));
            }
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::complaint_recovery::RecoveryFilter;
    use crate::stats::test_support::assert_close;
    use RecoveryOutcome::*;
    use chrono::{DateTime, Duration, Utc};
    use entity::ComplaintCategory;

    fn query(group_by: Vec<RecoveryDimension>) -> RecoveryQuery {
        let start = DateTime::<Utc>::UNIX_EPOCH;
        RecoveryQuery {
            periods: vec![Bucket { start, end: start + Duration::days(30) }],
            group_by,
            filter: RecoveryFilter::default(),
            sla: Duration::hours(48),
            horizon_days: 90,
            as_of: start + Duration::days(365),
        }
    }

    fn cell(
        key: RecoveryKey,
        outcome: RecoveryOutcome,
        next_nps: Option<i32>,
        customers: u64,
        repurchased: u64,
    ) -> RecoveryCell {
        RecoveryCell { key, period: 0, outcome, next_nps, customers, repurchased }
    }

    #[test]
    fn rates_tests_against_the_customers_who_did_not_complain_and_the_next_nps() {
        let all = RecoveryKey::default();
        let cells = [
            cell(all.clone(), ResolvedWithinSla, Some(10), 30, 24),
            cell(all.clone(), ResolvedWithinSla, Some(3), 10, 6),
            cell(all.clone(), ResolvedWithinSla, None, 40, 26),
            cell(all.clone(), Unresolved, None, 20, 4),
            cell(all.clone(), NoComplaint, Some(8), 50, 20),
            cell(all.clone(), NoComplaint, None, 50, 20),
        ];
        let rows = rows(&query(Vec::new()), &cells).unwrap();
        assert_eq!(rows.iter().map(|r| r.outcome).collect::<Vec<_>>(), RecoveryOutcome::ALL);
        let within = &rows[0];
        assert_eq!((within.customers, within.repurchased, within.repurchase_rate), (80, 56, Some(70.0)));
        let test = within.versus_no_complaint.as_ref().unwrap();
        assert_eq!(Some(test.clone()), proportions(56, 80, 40, 100));
        assert_close(test.delta, 30.0);
        assert_eq!(test.significant, Some(true));
        // Next NPS: 30 promoters, 10 detractors of 40 answers.
        assert_eq!((within.next_nps.n, within.next_nps.value), (40, Some(50.0)));
        assert_close(within.next_nps.mean.unwrap(), (300.0 + 30.0) / 40.0);
        let late = &rows[1];
        assert_eq!((late.customers, late.repurchase_rate, late.interval), (0, None, None));
        assert_eq!(late.versus_no_complaint, None, "no test against an empty group");
        assert_eq!((late.next_nps.n, late.next_nps.value), (0, None));
        let baseline = &rows[3];
        assert_eq!(
            (baseline.customers, baseline.repurchase_rate, baseline.versus_no_complaint.clone()),
            (100, Some(40.0), None)
        );
        assert_eq!(baseline.next_nps.value, Some(0.0), "passives only");
        assert_eq!(super::rows(&query(Vec::new()), &[]).unwrap().len(), 4, "four zero rows without grouping");
    }

    #[test]
    fn by_category_the_baseline_has_no_category_and_tests_within_its_segment() {
        let key = |category: Option<ComplaintCategory>, segment: &str| RecoveryKey {
            category,
            segment: Some(segment.to_owned()),
            region: None,
        };
        let cells = [
            cell(key(Some(ComplaintCategory::Delivery), "a"), ResolvedLate, None, 10, 5),
            cell(key(None, "a"), NoComplaint, None, 10, 2),
            cell(key(None, "b"), NoComplaint, None, 4, 1),
            cell(key(Some(ComplaintCategory::Billing), "b"), Unresolved, None, 3, 0),
        ];
        let rows = rows(&query(vec![RecoveryDimension::Category, RecoveryDimension::Segment]), &cells).unwrap();
        let shape: Vec<_> = rows.iter().map(|r| (r.key.category, r.key.segment.as_deref(), r.outcome)).collect();
        use ComplaintCategory::{Billing, Delivery};
        assert_eq!(
            shape,
            [
                (None, Some("a"), NoComplaint),
                (None, Some("b"), NoComplaint),
                (Some(Billing), Some("b"), ResolvedWithinSla),
                (Some(Billing), Some("b"), ResolvedLate),
                (Some(Billing), Some("b"), Unresolved),
                (Some(Delivery), Some("a"), ResolvedWithinSla),
                (Some(Delivery), Some("a"), ResolvedLate),
                (Some(Delivery), Some("a"), Unresolved),
            ]
        );
        assert_eq!(rows[4].versus_no_complaint, proportions(0, 3, 1, 4));
        assert_eq!(rows[6].versus_no_complaint, proportions(5, 10, 2, 10));
    }
}
