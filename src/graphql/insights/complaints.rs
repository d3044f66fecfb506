//! Complaint handling: its inputs and result types.

use super::series::SeriesPosition;
use async_graphql::{Enum, InputObject, SimpleObject};

use crate::error::AppResult;
use crate::graphql::enums::{Channel, ComplaintCategory, mirror_enum};
use crate::graphql::inputs::{list_filter, string_filter};
use crate::graphql::scalars::DateTime;
use crate::services::complaint_handling::{HandlingDimension, HandlingFilter, HandlingRow};
use crate::stats::durations::DurationSummary;

mirror_enum! {
    /// A dimension complaint handling can be grouped by.
    ComplaintDimension => HandlingDimension {
        /// The complaint's category.
        Category,
        /// The channel the complaint was made on.
        Channel,
        /// The customer's segment.
        Segment,
        /// The customer's region.
        Region,
    }
}

/// Which complaints complaint handling covers. Conditions combine with AND; a list matches any of its
/// values.
#[derive(InputObject, Clone, Debug, Default)]
pub struct ComplaintHandlingFilterInput {
    /// Complaints in these categories.
    pub categories: Option<Vec<ComplaintCategory>>,
    /// Complaints made on these channels.
    pub channels: Option<Vec<Channel>>,
    /// Complaints of customers in these segments.
    pub segments: Option<Vec<String>>,
    /// Complaints of customers in these regions.
    pub regions: Option<Vec<String>>,
}

impl ComplaintHandlingFilterInput {
    pub fn into_domain(self, path: &str) -> AppResult<HandlingFilter> {
        Ok(HandlingFilter {
            categories: list_filter(self.categories, &format!("{path}.categories"))?,
            channels: list_filter(self.channels, &format!("{path}.channels"))?,
            segments: string_filter(self.segments, &format!("{path}.segments"))?,
            regions: string_filter(self.regions, &format!("{path}.regions"))?,
        })
    }
}

/// Durations in hours: how many, their median and 90th percentile (interpolated between the closest
/// ranks); null when there are none.
#[derive(SimpleObject, Clone, Debug)]
pub struct HoursSummary {
    /// How many durations.
    pub n: u64,
    /// The median, in hours.
    pub median: Option<f64>,
    /// The 90th percentile, in hours.
    pub p90: Option<f64>,
}

impl From<DurationSummary> for HoursSummary {
    fn from(summary: DurationSummary) -> Self {
        HoursSummary { n: summary.n, median: summary.median, p90: summary.p90 }
    }
}

/// Complaint handling of one group over one period `[periodStart, periodEnd)`.
#[derive(SimpleObject, Clone, Debug)]
pub struct ComplaintHandlingRow {
    /// The category, when grouped by CATEGORY.
    pub category: Option<ComplaintCategory>,
    /// The channel, when grouped by CHANNEL.
    pub channel: Option<Channel>,
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
    /// Complaints opened in the period.
    pub opened: u64,
    /// Complaints closed RESOLVED in the period (by `resolvedAt`).
    pub resolved: u64,
    /// Complaints closed UNRESOLVED_CLOSED in the period.
    pub closed_unresolved: u64,
    /// The open backlog at the end of the period: complaints opened before it and not closed before it.
    pub backlog: u64,
    /// Of the complaints opened in the period, the answered ones: hours from opening to the first response.
    pub first_response_hours: HoursSummary,
    /// Of the complaints opened in the period, the RESOLVED ones: hours from opening to resolution.
    pub resolution_hours: HoursSummary,
    /// Complaints opened in the period and RESOLVED within `slaHours` of their opening.
    pub resolved_within_sla: u64,
    /// `resolvedWithinSla` of `opened`, in percent; null when none was opened.
    pub resolved_within_sla_share: Option<f64>,
}

impl From<HandlingRow> for ComplaintHandlingRow {
    fn from(row: HandlingRow) -> Self {
        ComplaintHandlingRow {
            category: row.key.category.map(Into::into),
            channel: row.key.channel.map(Into::into),
            segment: row.key.segment,
            region: row.key.region,
            period_start: DateTime(row.period.start),
            period_end: DateTime(row.period.end),
            is_total: false,
            series: SeriesPosition::default(),
            opened: row.opened,
            resolved: row.resolved,
            closed_unresolved: row.closed_unresolved,
            backlog: row.backlog,
            first_response_hours: row.first_response.into(),
            resolution_hours: row.resolution.into(),
            resolved_within_sla: row.resolved_within_sla,
            resolved_within_sla_share: row.resolved_within_sla_share,
        }
    }
}
