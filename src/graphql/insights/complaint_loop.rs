//! Closing the loop: its inputs and result type.

use super::series::SeriesPosition;
use async_graphql::{ComplexObject, Enum, InputObject, SimpleObject};

use crate::error::AppResult;
use crate::graphql::enums::{Channel, SurveyMetric, TouchpointKind, mirror_enum};
use crate::graphql::inputs::{list_filter, string_filter};
use crate::graphql::insights::complaints::HoursSummary;
use crate::graphql::insights::satisfaction::ConfidenceInterval;
use crate::graphql::scalars::DateTime;
use crate::services::complaint_loop::{LoopDimension, LoopFilter, LoopRow};

mirror_enum! {
    /// A dimension the loop can be grouped by.
    ComplaintLoopDimension => LoopDimension {
        /// The metric of the answer.
        Metric,
        /// The kind of the answered touchpoint.
        TouchpointKind,
        /// The channel of the answered touchpoint.
        Channel,
        /// The customer's segment.
        Segment,
        /// The customer's region.
        Region,
    }
}

/// Which dissatisfied answers the loop covers. Conditions combine with AND; a list matches any of its
/// values.
#[derive(InputObject, Clone, Debug, Default)]
pub struct ComplaintLoopFilterInput {
    /// Answers of these metrics (default: all three).
    pub metrics: Option<Vec<SurveyMetric>>,
    /// Answers given at touchpoints of these kinds.
    pub touchpoint_kinds: Option<Vec<TouchpointKind>>,
    /// Answers given at touchpoints on these channels.
    pub channels: Option<Vec<Channel>>,
    /// Answers of customers in these segments.
    pub segments: Option<Vec<String>>,
    /// Answers of customers in these regions.
    pub regions: Option<Vec<String>>,
}

impl ComplaintLoopFilterInput {
    pub fn into_domain(self, path: &str) -> AppResult<LoopFilter> {
        Ok(LoopFilter {
            metrics: list_filter(self.metrics, &format!("{path}.metrics"))?,
            touchpoint_kinds: list_filter(self.touchpoint_kinds, &format!("{path}.touchpointKinds"))?,
            channels: list_filter(self.channels, &format!("{path}.channels"))?,
            segments: string_filter(self.segments, &format!("{path}.segments"))?,
            regions: string_filter(self.regions, &format!("{path}.regions"))?,
        })
    }
}

/// The loop of one group over one period `[periodStart, periodEnd)`: its dissatisfied answers (NPS
/// detractors, CSAT not satisfied, CES not easy, at touchpoints) and how many were followed up within the
/// window `(submittedAt, submittedAt + followUpHours]`.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct ComplaintLoopRow {
    /// The metric, when grouped by METRIC.
    pub metric: Option<SurveyMetric>,
    /// The touchpoint kind, when grouped by TOUCHPOINT_KIND.
    pub touchpoint_kind: Option<TouchpointKind>,
    /// The touchpoint channel, when grouped by CHANNEL.
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
    /// Dissatisfied answers submitted in the period whose window ended by `asOf`: the base of the share.
    pub answer_count: u64,
    /// Dissatisfied answers submitted in the period whose window ends after `asOf`: left out of every
    /// other figure.
    pub pending: u64,
    /// Answers followed by a complaint of the customer opened in the window (or raised by the answer).
    pub followed_by_complaint: u64,
    /// Answers followed by a FOLLOW_UP touchpoint of the customer in the window.
    pub followed_by_touchpoint: u64,
    /// Answers followed by either.
    pub followed: u64,
    /// `followed` of `answerCount`, in percent; null without answers.
    pub followed_share: Option<f64>,
    /// The 95% Wilson interval of the share, in percent.
    pub followed_share_interval: Option<ConfidenceInterval>,
    /// Of the followed answers: hours from the answer to its first follow-up.
    pub hours_to_follow_up: HoursSummary,
}

impl From<LoopRow> for ComplaintLoopRow {
    fn from(row: LoopRow) -> Self {
        ComplaintLoopRow {
            metric: row.key.metric.map(Into::into),
            touchpoint_kind: row.key.touchpoint_kind.map(Into::into),
            channel: row.key.channel.map(Into::into),
            segment: row.key.segment,
            region: row.key.region,
            period_start: DateTime(row.period.start),
            period_end: DateTime(row.period.end),
            is_total: false,
            series: SeriesPosition::default(),
            answer_count: row.answers,
            pending: row.pending,
            followed_by_complaint: row.by_complaint,
            followed_by_touchpoint: row.by_touchpoint,
            followed: row.followed,
            followed_share: row.followed_share,
            followed_share_interval: row.interval.map(ConfidenceInterval::from),
            hours_to_follow_up: row.hours_to_follow_up.into(),
        }
    }
}

#[ComplexObject]
impl ComplaintLoopRow {
    /// The former name of `answerCount`.
    #[graphql(deprecation = "Use `answerCount`: a count, where a plural names a list.")]
    async fn answers(&self) -> u64 {
        self.answer_count
    }
}
