//! Inputs of the insights queries, and their conversion into the services' queries.

use async_graphql::{Enum, InputObject};

use crate::domain::buckets::{Granularity as DomainGranularity, Series, parse_time_zone};
use crate::error::{AppError, AppResult};
use crate::graphql::enums::{Channel, OrderStatus, TouchpointKind, mirror_enum};
use crate::graphql::inputs::{TimeRangeInput, list_filter, string_filter, time_range};
use crate::services::loyalty::LoyaltyDimension as DomainLoyaltyDimension;
use crate::services::satisfaction::{Dimension, SatisfactionFilter};
use crate::services::satisfaction_insights::Baseline;

/// Which answers a satisfaction query covers. Conditions combine with AND; a list matches any of its
/// values. Touchpoint and order conditions leave out relationship surveys (answers without touchpoint).
#[derive(InputObject, Clone, Debug, Default)]
pub struct SatisfactionFilterInput {
    /// Half-open period `[from, to)` on the answer's `submittedAt` (and on `surveySentAt` for response rates).
    pub period: Option<TimeRangeInput>,
    /// Answers given at touchpoints of these kinds.
    pub touchpoint_kinds: Option<Vec<TouchpointKind>>,
    /// Answers given at touchpoints on these channels.
    pub channels: Option<Vec<Channel>>,
    /// Answers of customers in these segments.
    pub segments: Option<Vec<String>>,
    /// Answers of customers in these regions.
    pub regions: Option<Vec<String>>,
    /// Answers given at touchpoints of orders in these states.
    pub order_statuses: Option<Vec<OrderStatus>>,
}

impl SatisfactionFilterInput {
    pub fn into_domain(self, path: &str) -> AppResult<SatisfactionFilter> {
        Ok(SatisfactionFilter {
            period: time_range(self.period, &format!("{path}.period"))?,
            touchpoint_kinds: list_filter(self.touchpoint_kinds, &format!("{path}.touchpointKinds"))?,
            channels: list_filter(self.channels, &format!("{path}.channels"))?,
            segments: string_filter(self.segments, &format!("{path}.segments"))?,
            regions: string_filter(self.regions, &format!("{path}.regions"))?,
            order_statuses: list_filter(self.order_statuses, &format!("{path}.orderStatuses"))?,
        })
    }
}

/// What a comparison compares the current set with.
#[derive(InputObject, Clone, Debug, Default)]
pub struct BaselineInput {
    /// The baseline period, with the same filter otherwise. Default: the period of equal length just
    /// before the filter's period.
    pub period: Option<TimeRangeInput>,
    /// A whole other filter (e.g. another segment); overrides `period`.
    pub filter: Option<SatisfactionFilterInput>,
}

impl BaselineInput {
    pub fn into_domain(self, path: &str) -> AppResult<Baseline> {
        Ok(match self {
            BaselineInput { filter: Some(filter), .. } => {
                Baseline::Filter(filter.into_domain(&format!("{path}.filter"))?)
            }
            BaselineInput { period: Some(period), .. } => {
                Baseline::Period(time_range(Some(period), &format!("{path}.period"))?)
            }
            BaselineInput { .. } => Baseline::PreviousPeriod,
        })
    }
}

mirror_enum! {
    /// A dimension to group satisfaction by.
    SatisfactionDimension => Dimension {
        /// The kind of the answered touchpoint (null for relationship surveys).
        TouchpointKind,
        /// The channel of the answered touchpoint (null for relationship surveys).
        Channel,
        /// The customer's segment.
        Segment,
        /// The customer's region.
        Region,
    }
}

mirror_enum! {
    /// A dimension loyalty can be grouped by.
    LoyaltyDimension => DomainLoyaltyDimension {
        /// The customer's segment.
        Segment,
        /// The customer's region.
        Region,
    }
}

/// The domain values of a `groupBy` argument.
pub fn dimensions<T: Into<D>, D>(group_by: Option<Vec<T>>) -> Vec<D> {
    group_by.unwrap_or_default().into_iter().map(Into::into).collect()
}

mirror_enum! {
    /// Calendar granularity of a time series.
    Granularity => DomainGranularity {
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

/// The calendar of cohorts: `series` (MONTH or WEEK), or the deprecated `granularity` and `timeZone`
/// arguments; not both ways at once.
pub fn cohort_series(
    series: Option<TimeSeriesInput>,
    granularity: Option<CohortGranularity>,
    time_zone: Option<String>,
) -> AppResult<Series> {
    match (series, granularity) {
        (Some(_), Some(_)) => {
            Err(AppError::bad_input("series", "give `series` or the deprecated `granularity`, not both"))
        }
        (Some(_), None) if time_zone.is_some() => Err(AppError::bad_input(
            "series",
            "give the time zone as `series.timeZone`, not as the deprecated `timeZone`",
        )),
        (Some(input), None) => match input.granularity {
            Granularity::Month | Granularity::Week => calendar(input, "series"),
            _ => Err(AppError::bad_input("series.granularity", "cohorts are MONTH or WEEK")),
        },
        (None, Some(granularity)) => {
            let time_zone = parse_time_zone("timeZone", time_zone.as_deref().unwrap_or("UTC"))?;
            Ok(Series { granularity: granularity.into(), time_zone })
        }
        (None, None) => {
            Err(AppError::bad_input("series", "the cohorts' calendar is required, e.g. `{ granularity: MONTH }`"))
        }
    }
}

/// The calendar of a `series` argument.
pub fn series(input: Option<TimeSeriesInput>, path: &str) -> AppResult<Option<Series>> {
    input.map(|input| calendar(input, path)).transpose()
}

/// The calendar a time-series input names.
fn calendar(input: TimeSeriesInput, path: &str) -> AppResult<Series> {
    let time_zone = parse_time_zone(&format!("{path}.timeZone"), &input.time_zone)?;
    Ok(Series { granularity: input.granularity.into(), time_zone })
}

/// The cohort period.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CohortGranularity {
    /// Calendar months.
    Month,
    /// ISO weeks (Monday to Sunday).
    Week,
}

impl From<CohortGranularity> for DomainGranularity {
    fn from(value: CohortGranularity) -> Self {
        match value {
            CohortGranularity::Month => DomainGranularity::Month,
            CohortGranularity::Week => DomainGranularity::Week,
        }
    }
}
