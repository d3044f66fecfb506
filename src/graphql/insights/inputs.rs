//! Inputs of the insights queries.

use async_graphql::{Enum, InputObject};

use crate::domain::buckets::Granularity as DomainGranularity;
use crate::error::AppResult;
use crate::graphql::enums::{Channel, OrderStatus, TouchpointKind};
use crate::graphql::inputs::{TimeRangeInput, list_filter, string_filter, time_range};
use crate::services::satisfaction::{Dimension, SatisfactionFilter};

/// Which answers a satisfaction query covers. Conditions combine with AND; a list matches any of its
/// values. Touchpoint and order conditions leave out relationship surveys (answers without touchpoint).
#[derive(InputObject, Clone, Debug, Default)]
pub struct SatisfactionFilterInput {
    /// Half-open period `[from, to)` on the answer's `submittedAt` (and on `surveySentAt` for response rates).
    pub period: Option<TimeRangeInput>,
    /// Answers given at touchpoints of these kinds.
    pub touchpoint_kind: Option<Vec<TouchpointKind>>,
    /// Answers given at touchpoints on these channels.
    pub channel: Option<Vec<Channel>>,
    /// Answers of customers in these segments.
    pub segment: Option<Vec<String>>,
    /// Answers of customers in these regions.
    pub region: Option<Vec<String>>,
    /// Answers given at touchpoints of orders in these states.
    pub order_status: Option<Vec<OrderStatus>>,
}

impl SatisfactionFilterInput {
    pub fn into_domain(self, path: &str) -> AppResult<SatisfactionFilter> {
        Ok(SatisfactionFilter {
            period: time_range(self.period, &format!("{path}.period"))?,
            touchpoint_kinds: list_filter(self.touchpoint_kind, &format!("{path}.touchpointKind"))?,
            channels: list_filter(self.channel, &format!("{path}.channel"))?,
            segments: string_filter(self.segment, &format!("{path}.segment"))?,
            regions: string_filter(self.region, &format!("{path}.region"))?,
            order_statuses: list_filter(self.order_status, &format!("{path}.orderStatus"))?,
        })
    }
}

/// A dimension to group satisfaction by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum SatisfactionDimension {
    /// The kind of the answered touchpoint (null for relationship surveys).
    TouchpointKind,
    /// The channel of the answered touchpoint (null for relationship surveys).
    Channel,
    /// The customer's segment.
    Segment,
    /// The customer's region.
    Region,
}

impl From<SatisfactionDimension> for Dimension {
    fn from(value: SatisfactionDimension) -> Self {
        match value {
            SatisfactionDimension::TouchpointKind => Dimension::TouchpointKind,
            SatisfactionDimension::Channel => Dimension::Channel,
            SatisfactionDimension::Segment => Dimension::Segment,
            SatisfactionDimension::Region => Dimension::Region,
        }
    }
}

/// Distinct dimensions in a fixed order, so equal requests give equal results.
pub fn dimensions(group_by: Option<Vec<SatisfactionDimension>>) -> Vec<Dimension> {
    let mut dimensions: Vec<Dimension> = group_by.unwrap_or_default().into_iter().map(Dimension::from).collect();
    dimensions.sort();
    dimensions.dedup();
    dimensions
}

/// Calendar granularity of a time series.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum Granularity {
    /// Calendar days.
    Day,
    /// ISO weeks, Monday to Sunday.
    Week,
    /// Calendar months.
    Month,
    /// Calendar quarters (January, April, July, October).
    Quarter,
    /// Calendar years.
    Year,
}

impl From<Granularity> for DomainGranularity {
    fn from(value: Granularity) -> Self {
        match value {
            Granularity::Day => DomainGranularity::Day,
            Granularity::Week => DomainGranularity::Week,
            Granularity::Month => DomainGranularity::Month,
            Granularity::Quarter => DomainGranularity::Quarter,
            Granularity::Year => DomainGranularity::Year,
        }
    }
}

/// Splits results into calendar buckets over the filter's period (which must then have both ends). Every
/// bucket appears, with n = 0 and null values where it has no data.
#[derive(InputObject, Clone, Debug)]
pub struct TimeSeriesInput {
    /// The bucket size.
    pub granularity: Granularity,
    /// The IANA time zone whose calendar defines the buckets, e.g. `Europe/Berlin`. Default `UTC`.
    #[graphql(default_with = "String::from(\"UTC\")")]
    pub time_zone: String,
}
