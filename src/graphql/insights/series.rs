//! Where a row of a time series sits: its bucket's label in the series' calendar, and that calendar,
//! so a table or chart needs no date arithmetic of its own.

use async_graphql::SimpleObject;
use chrono::Utc;

use super::inputs::Granularity;
use crate::domain::buckets::Series;

/// A row's place in its series; every field is null for a row of a whole period (no series).
#[derive(SimpleObject, Clone, Debug, Default)]
pub struct SeriesPosition {
    /// The bucket's label in the series' time zone: `2025-03-14` (DAY), `2025-W10` (WEEK, the ISO week
    /// and its year), `2025-03` (MONTH), `2025-Q1` (QUARTER), `2025` (YEAR).
    pub bucket_label: Option<String>,
    /// The series' IANA time zone, as asked for.
    pub time_zone: Option<String>,
    /// The series' granularity.
    pub granularity: Option<Granularity>,
}

impl SeriesPosition {
    /// The position of the bucket starting at `start` in `series`; empty without a series.
    pub fn of(series: Option<&Series>, start: chrono::DateTime<Utc>) -> Self {
        let Some(series) = series else { return SeriesPosition::default() };
        SeriesPosition {
            bucket_label: Some(series.label(start)),
            time_zone: Some(series.time_zone.name().to_owned()),
            granularity: Some(series.granularity.into()),
        }
    }
}

/// A row that can sit in a series: where its bucket starts, and its position to fill in.
pub trait InSeries: Sized {
    /// The start of the row's bucket or period; None for a row without one.
    fn start(&self) -> Option<chrono::DateTime<Utc>>;

    fn position(&mut self) -> &mut SeriesPosition;

    /// The row with its position in `series` filled in.
    fn placed(mut self, series: Option<&Series>) -> Self {
        if let Some(start) = self.start() {
            *self.position() = SeriesPosition::of(series, start);
        }
        self
    }
}

/// `InSeries` for row types whose start is a field.
macro_rules! in_series {
    ($($row:ty => |$r:ident| $start:expr),+ $(,)?) => {
        $(impl InSeries for $row {
            fn start(&self) -> Option<chrono::DateTime<Utc>> {
                let $r = self;
                $start
            }

            fn position(&mut self) -> &mut SeriesPosition {
                &mut self.series
            }
        })+
    };
}

in_series! {
    super::satisfaction::SatisfactionRow => |r| r.period_start.map(|t| t.0),
    super::loyalty::LoyaltyRow => |r| Some(r.period_start.0),
    super::loyalty::CohortRetentionCell => |r| Some(r.cohort_start.0),
    super::complaints::ComplaintHandlingRow => |r| Some(r.period_start.0),
    super::complaint_loop::ComplaintLoopRow => |r| Some(r.period_start.0),
    super::complaint_recovery::ComplaintRecoveryRow => |r| Some(r.period_start.0),
}

/// A report's rows, then its total rows (`withTotal`), each made into its GraphQL row and marked.
pub fn rows_then_totals<R, T>(rows: Vec<R>, totals: Vec<R>, make: impl Fn(R, bool) -> T) -> Vec<T> {
    rows.into_iter().map(|row| make(row, false)).chain(totals.into_iter().map(|row| make(row, true))).collect()
}

/// A row that can be a total row of its insight.
pub trait Totalled: Sized {
    /// The row, marked as a total row or not.
    fn total(self, is_total: bool) -> Self;
}

macro_rules! totalled {
    ($($row:ty),+ $(,)?) => {
        $(impl Totalled for $row {
            fn total(mut self, is_total: bool) -> Self {
                self.is_total = is_total;
                self
            }
        })+
    };
}

totalled!(
    super::complaints::ComplaintHandlingRow,
    super::complaint_loop::ComplaintLoopRow,
    super::complaint_recovery::ComplaintRecoveryRow,
);
