//! Service recovery: its inputs and result type.

use super::series::SeriesPosition;
use async_graphql::{ComplexObject, Enum, InputObject, SimpleObject};

use crate::error::AppResult;
use crate::graphql::enums::{ComplaintCategory, mirror_enum};
use crate::graphql::inputs::{list_filter, string_filter};
use crate::graphql::insights::satisfaction::ConfidenceInterval;
use crate::graphql::scalars::DateTime;
use crate::services::complaint_recovery::{RecoveryDimension, RecoveryFilter, RecoveryOutcome, RecoveryRow};
use crate::stats::satisfaction::Satisfaction;

mirror_enum! {
    /// A dimension service recovery can be grouped by.
    ComplaintRecoveryDimension => RecoveryDimension {
        /// The category of the customer's first complaint of the period (null for NO_COMPLAINT rows).
        Category,
        /// The customer's segment.
        Segment,
        /// The customer's region.
        Region,
    }
}

mirror_enum! {
    /// How a customer's first complaint of the period went, or that they did not complain.
    ComplaintRecoveryOutcome => RecoveryOutcome {
        /// RESOLVED at most `slaHours` after its opening.
        ResolvedWithinSla,
        /// RESOLVED later than that.
        ResolvedLate,
        /// Still OPEN or IN_PROGRESS, or UNRESOLVED_CLOSED.
        Unresolved,
        /// Dissatisfied in the period (an NPS detractor, CSAT not satisfied or CES not easy answer at a
        /// touchpoint) without a complaint: the baseline.
        NoComplaint,
    }
}

/// Which customers service recovery covers. Conditions combine with AND; a list matches any of its values.
#[derive(InputObject, Clone, Debug, Default)]
pub struct ComplaintRecoveryFilterInput {
    /// Complaints in these categories (the customers without a complaint are not affected).
    pub categories: Option<Vec<ComplaintCategory>>,
    /// Customers in these segments.
    pub segments: Option<Vec<String>>,
    /// Customers in these regions.
    pub regions: Option<Vec<String>>,
}

impl ComplaintRecoveryFilterInput {
    pub fn into_domain(self, path: &str) -> AppResult<RecoveryFilter> {
        Ok(RecoveryFilter {
            categories: list_filter(self.categories, &format!("{path}.categories"))?,
            segments: string_filter(self.segments, &format!("{path}.segments"))?,
            regions: string_filter(self.regions, &format!("{path}.regions"))?,
        })
    }
}

/// The NPS of a set of answers.
#[derive(SimpleObject, Clone, Debug)]
pub struct NpsSummary {
    /// Answers.
    pub n: u64,
    /// NPS = 100 x (promoters - detractors) / n, in -100..100; null when n = 0.
    pub nps: Option<f64>,
    /// The 95% interval of the NPS.
    pub interval: Option<ConfidenceInterval>,
    /// The mean score on 0..10; null when n = 0.
    pub mean: Option<f64>,
}

impl From<Satisfaction> for NpsSummary {
    fn from(s: Satisfaction) -> Self {
        NpsSummary { n: s.n, nps: s.value, interval: s.interval.map(ConfidenceInterval::from), mean: s.mean }
    }
}

/// Service recovery of one group and outcome over one period `[periodStart, periodEnd)`: the customers,
/// how many ordered again within `horizonDays` after their complaint's opening (after their answer, for
/// NO_COMPLAINT), compared with the customers of the same segment, region and period who did not
/// complain, and their next NPS answer in that window.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct ComplaintRecoveryRow {
    /// The complaint category, when grouped by CATEGORY (null for NO_COMPLAINT rows).
    pub category: Option<ComplaintCategory>,
    /// The customer segment, when grouped by SEGMENT.
    pub segment: Option<String>,
    /// The customer region, when grouped by REGION.
    pub region: Option<String>,
    /// Start of the period (inclusive).
    pub period_start: DateTime,
    /// End of the period (exclusive).
    pub period_end: DateTime,
    /// Whether this is a total row of every group (asked for with `withTotal`).
    pub is_total: bool,
    /// Where the row sits in its series (null without one).
    #[graphql(flatten)]
    pub series: SeriesPosition,
    /// How the customers' first complaint of the period went, or NO_COMPLAINT.
    pub outcome: ComplaintRecoveryOutcome,
    /// Customers with this outcome whose window ended by `asOf`.
    pub customer_count: u64,
    /// Of those, customers with an order (CANCELLED excluded) in the window.
    pub repurchased_customers: u64,
    /// repurchasedCustomers / customerCount, in percent; null without customers.
    pub repurchase_rate: Option<f64>,
    /// The 95% Wilson interval of the repurchase rate, in percent.
    pub interval: Option<ConfidenceInterval>,
    /// This rate minus the NO_COMPLAINT rate of the same segment, region and period, in percentage
    /// points; null for NO_COMPLAINT rows or when either side has no customers.
    pub difference_to_no_complaint: Option<f64>,
    /// Two-sided p-value of the pooled two-proportion z test against NO_COMPLAINT; null when undefined.
    pub p_value: Option<f64>,
    /// Whether the difference is significant (p < 0.05); null when there is no test.
    pub significant: Option<bool>,
    /// The customers' first NPS answer in the window (any NPS answer, relationship surveys included).
    pub next_nps: NpsSummary,
}

impl From<RecoveryRow> for ComplaintRecoveryRow {
    fn from(row: RecoveryRow) -> Self {
        let test = row.versus_no_complaint.as_ref();
        ComplaintRecoveryRow {
            category: row.key.category.map(Into::into),
            segment: row.key.segment,
            region: row.key.region,
            period_start: DateTime(row.period.start),
            period_end: DateTime(row.period.end),
            is_total: false,
            series: SeriesPosition::default(),
            outcome: row.outcome.into(),
            customer_count: row.customers,
            repurchased_customers: row.repurchased,
            repurchase_rate: row.repurchase_rate,
            interval: row.interval.map(ConfidenceInterval::from),
            difference_to_no_complaint: test.map(|t| t.delta),
            p_value: test.and_then(|t| t.p_value),
            significant: test.and_then(|t| t.significant),
            next_nps: row.next_nps.into(),
        }
    }
}

#[ComplexObject]
impl ComplaintRecoveryRow {
    /// The former name of `customerCount`.
    #[graphql(deprecation = "Use `customerCount`: a count, where `customers` elsewhere is a list.")]
    async fn customers(&self) -> u64 {
        self.customer_count
    }
}
