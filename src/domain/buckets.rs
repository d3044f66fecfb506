//! Calendar buckets for time series: DAY, WEEK (ISO, Monday first), MONTH, QUARTER, YEAR in an IANA time
//! zone. Boundaries are local midnights turned into UTC instants, so a day across a DST change is 23 or
//! 25 hours long, as a person in that zone would count it.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::error::AppError;

/// The most buckets one series may have (e.g. 2.7 years of days).
pub const MAX_BUCKETS: usize = 1000;

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Granularity {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

/// One bucket `[start, end)`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Bucket {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

pub fn parse_time_zone(field: &str, name: &str) -> Result<Tz, AppError> {
    name.parse::<Tz>()
        .map_err(|_| AppError::bad_input(field, format!("'{name}' is not an IANA time zone such as Europe/Berlin")))
}

/// The first day of the bucket containing `date`.
fn bucket_start_date(date: NaiveDate, granularity: Granularity) -> NaiveDate {
    let first_of = |month: u32| NaiveDate::from_ymd_opt(date.year(), month, 1).unwrap_or(date);
    match granularity {
        Granularity::Day => date,
        Granularity::Week => date - Days::new(u64::from(date.weekday().num_days_from_monday())),
        Granularity::Month => first_of(date.month()),
        Granularity::Quarter => first_of((date.month() - 1) / 3 * 3 + 1),
        Granularity::Year => first_of(1),
    }
}

fn next_start_date(date: NaiveDate, granularity: Granularity) -> Option<NaiveDate> {
    match granularity {
        Granularity::Day => date.checked_add_days(Days::new(1)),
        Granularity::Week => date.checked_add_days(Days::new(7)),
        Granularity::Month => date.checked_add_months(Months::new(1)),
        Granularity::Quarter => date.checked_add_months(Months::new(3)),
        Granularity::Year => date.checked_add_months(Months::new(12)),
    }
}

/// The instant local midnight of `date` begins in `tz`. Where midnight does not exist (a DST gap at
/// 00:00, as in some zones), the day begins at the first local time that does.
fn start_of_day(date: NaiveDate, tz: Tz) -> Option<DateTime<Utc>> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    (0..=180).step_by(15).find_map(|minutes| {
        let local = midnight + chrono::Duration::minutes(minutes);
        tz.from_local_datetime(&local).earliest().map(|t| t.with_timezone(&Utc))
    })
}

/// A time series' calendar: buckets of one granularity in one time zone.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Series {
    pub granularity: Granularity,
    pub time_zone: Tz,
}

impl Series {
    /// The label of the bucket starting at `start`, in this calendar: `2025-03-14` (DAY), `2025-W10`
    /// (WEEK: the ISO week and its year, which can differ from the calendar year at its ends), `2025-03`
    /// (MONTH), `2025-Q1` (QUARTER), `2025` (YEAR).
    pub fn label(&self, start: DateTime<Utc>) -> String {
        let local = start.with_timezone(&self.time_zone).date_naive();
        match self.granularity {
            Granularity::Day => local.format("%Y-%m-%d").to_string(),
            Granularity::Week => {
                let week = local.iso_week();
                format!("{}-W{:02}", week.year(), week.week())
            }
            Granularity::Month => local.format("%Y-%m").to_string(),
            Granularity::Quarter => format!("{}-Q{}", local.year(), local.month0() / 3 + 1),
            Granularity::Year => local.year().to_string(),
        }
    }

    /// The buckets covering `[from, to)`.
    pub fn buckets(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Bucket>, AppError> {
        buckets(from, to, self.granularity, self.time_zone)
    }
}

/// The periods of a report over `[from, to)`: that one period or, with a series, its buckets.
pub fn periods(from: DateTime<Utc>, to: DateTime<Utc>, series: Option<Series>) -> Result<Vec<Bucket>, AppError> {
    match series {
        None => Ok(vec![Bucket { start: from, end: to }]),
        Some(series) => series.buckets(from, to),
    }
}

/// The index of the period of `periods` (consecutive, in time order) that holds `at`, if any.
pub fn period_of(periods: &[Bucket], at: DateTime<Utc>) -> Option<usize> {
    let index = periods.partition_point(|p| p.end <= at);
    periods.get(index).filter(|p| p.start <= at).map(|_| index)
}

/// The rows of a report grouped over periods: each group's value per period (as many as `periods`),
/// groups ordered by `sort_key`, one row per group and period; without grouping (`grouped` false) and
/// without any group, one default group of default values, so that every period has its row.
pub fn rows_per_group_and_period<K, C, R, S: Ord>(
    groups: impl IntoIterator<Item = (K, Vec<C>)>,
    periods: &[Bucket],
    grouped: bool,
    sort_key: impl Fn(&K) -> S,
    row: impl Fn(K, Bucket, C) -> R,
) -> Vec<R>
where
    K: Default + Clone,
    C: Default + Clone,
{
    let mut groups: Vec<(K, Vec<C>)> = groups.into_iter().collect();
    if !grouped && groups.is_empty() {
        groups.push((K::default(), vec![C::default(); periods.len()]));
    }
    groups.sort_by_key(|(key, _)| sort_key(key));
    let mut rows = Vec::with_capacity(groups.len() * periods.len());
    for (key, values) in groups {
        for (period, value) in periods.iter().zip(values) {
            rows.push(row(key.clone(), *period, value));
        }
    }
    rows
}

/// Consecutive buckets, from the one containing a given instant on.
struct Run {
    day: NaiveDate,
    start: DateTime<Utc>,
    granularity: Granularity,
    tz: Tz,
}

impl Run {
    fn containing(at: DateTime<Utc>, granularity: Granularity, tz: Tz) -> Result<Run, AppError> {
        let day = bucket_start_date(at.with_timezone(&tz).date_naive(), granularity);
        Ok(Run { day, start: start_of_day(day, tz).ok_or_else(out_of_range)?, granularity, tz })
    }

    fn next_bucket(&mut self) -> Result<Bucket, AppError> {
        self.day = next_start_date(self.day, self.granularity).ok_or_else(out_of_range)?;
        let end = start_of_day(self.day, self.tz).ok_or_else(out_of_range)?;
        let bucket = Bucket { start: self.start, end };
        self.start = end;
        Ok(bucket)
    }
}

fn out_of_range() -> AppError {
    AppError::Internal("a bucket boundary is out of the calendar's range".into())
}

fn too_many_buckets() -> AppError {
    AppError::bad_input(
        "series",
        format!("the period holds more than {MAX_BUCKETS} buckets: choose a coarser granularity or a shorter period"),
    )
}

/// The buckets covering `[from, to)`: the first starts at or before `from`, the last ends at or after `to`.
pub fn buckets(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    granularity: Granularity,
    tz: Tz,
) -> Result<Vec<Bucket>, AppError> {
    let mut run = Run::containing(from, granularity, tz)?;
    let mut series = Vec::new();
    while run.start < to {
        if series.len() == MAX_BUCKETS {
            return Err(too_many_buckets());
        }
        series.push(run.next_bucket()?);
    }
    Ok(series)
}

/// `count` consecutive buckets, the first one containing `from`.
pub fn consecutive(
    from: DateTime<Utc>,
    count: usize,
    granularity: Granularity,
    tz: Tz,
) -> Result<Vec<Bucket>, AppError> {
    if count > MAX_BUCKETS {
        return Err(too_many_buckets());
    }
    let mut run = Run::containing(from, granularity, tz)?;
    (0..count).map(|_| run.next_bucket()).collect()
}

/// At least as many buckets as `buckets` makes for `[from, to)` in any time zone, computed without making
/// them: for pricing a request before it runs.
pub fn bucket_count_bound(from: DateTime<Utc>, to: DateTime<Utc>, granularity: Granularity) -> u64 {
    let days = u64::try_from((to - from).num_days()).unwrap_or(0);
    // The shortest bucket of each granularity, and two more for the partial buckets at both ends (a
    // local calendar can shift the ends by up to a day).
    let shortest_days = match granularity {
        Granularity::Day => 1,
        Granularity::Week => 7,
        Granularity::Month => 28,
        Granularity::Quarter => 89,
        Granularity::Year => 365,
    };
    days / shortest_days + 2
}

#[cfg(test)]
mod tests {
    #[test]
    fn labels_name_buckets_in_their_own_calendar() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let label = |granularity, start: &str| {
            let start = DateTime::parse_from_rfc3339(start).unwrap().with_timezone(&Utc);
            Series { granularity, time_zone: berlin }.label(start)
        };
        // Local midnight of 1 March 2025 in Berlin is 23:00 UTC the day before.
        assert_eq!(label(Granularity::Day, "2025-02-28T23:00:00Z"), "2025-03-01");
        assert_eq!(label(Granularity::Month, "2025-02-28T23:00:00Z"), "2025-03");
        assert_eq!(label(Granularity::Quarter, "2025-06-30T22:00:00Z"), "2025-Q3");
        assert_eq!(label(Granularity::Year, "2024-12-31T23:00:00Z"), "2025");
        // Monday 3 March 2025 starts ISO week 10; Monday 30 December 2024 starts week 1 of 2025.
        assert_eq!(label(Granularity::Week, "2025-03-02T23:00:00Z"), "2025-W10");
        assert_eq!(label(Granularity::Week, "2024-12-29T23:00:00Z"), "2025-W01");
    }

    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn tz(name: &str) -> Tz {
        parse_time_zone("tz", name).unwrap()
    }

    #[test]
    fn a_report_s_periods_and_the_period_of_an_instant() {
        let (from, to) = (utc("2025-01-15T00:00:00Z"), utc("2025-03-10T00:00:00Z"));
        assert_eq!(periods(from, to, None).unwrap(), [Bucket { start: from, end: to }]);
        let months = periods(from, to, Some(Series { granularity: Granularity::Month, time_zone: tz("UTC") })).unwrap();
        assert_eq!(months.len(), 3);
        assert_eq!(period_of(&months, utc("2025-01-01T00:00:00Z")), Some(0), "a bucket's start is in it");
        assert_eq!(period_of(&months, utc("2025-02-01T00:00:00Z")), Some(1), "its end is not");
        assert_eq!(period_of(&months, utc("2025-04-01T00:00:00Z")), None);
        assert_eq!(period_of(&months, utc("2024-12-31T23:59:59Z")), None);
    }

    #[test]
    fn days_across_a_dst_change_are_23_and_25_hours_long() {
        let berlin = tz("Europe/Berlin");
        let spring =
            buckets(utc("2026-03-28T12:00:00Z"), utc("2026-03-30T00:00:00Z"), Granularity::Day, berlin).unwrap();
        assert_eq!(spring[0].start, utc("2026-03-27T23:00:00Z"));
        assert_eq!(spring[1].start, utc("2026-03-28T23:00:00Z"));
        assert_eq!(spring[1].end, utc("2026-03-29T22:00:00Z"));
        assert_eq!((spring[1].end - spring[1].start).num_hours(), 23);
        let autumn =
            buckets(utc("2026-10-25T00:00:00Z"), utc("2026-10-25T12:00:00Z"), Granularity::Day, berlin).unwrap();
        assert_eq!((autumn[0].end - autumn[0].start).num_hours(), 25);
    }

    #[test]
    fn iso_weeks_start_on_monday_across_a_year_end() {
        let series =
            buckets(utc("2025-12-30T00:00:00Z"), utc("2026-01-06T00:00:00Z"), Granularity::Week, Tz::UTC).unwrap();
        // 2025-12-29 is the Monday of ISO week 2026-W01.
        assert_eq!(series[0].start, utc("2025-12-29T00:00:00Z"));
        assert_eq!(series[0].end, utc("2026-01-05T00:00:00Z"));
        assert_eq!(series.len(), 2);
    }

    #[test]
    fn months_quarters_and_years_follow_the_calendar_in_the_zone() {
        let tokyo = tz("Asia/Tokyo");
        // April begins in Tokyo at 2026-03-31T15:00Z: a period ending there holds January to March.
        let months =
            buckets(utc("2026-01-15T00:00:00Z"), utc("2026-03-31T15:00:00Z"), Granularity::Month, tokyo).unwrap();
        assert_eq!(months[0].start, utc("2025-12-31T15:00:00Z"));
        assert_eq!(months.len(), 3);
        let quarters =
            buckets(utc("2026-05-01T00:00:00Z"), utc("2026-12-31T00:00:00Z"), Granularity::Quarter, Tz::UTC).unwrap();
        assert_eq!(quarters.iter().map(|b| b.start.month()).collect::<Vec<_>>(), vec![4, 7, 10]);
        let years =
            buckets(utc("2024-06-01T00:00:00Z"), utc("2026-01-01T00:00:00Z"), Granularity::Year, Tz::UTC).unwrap();
        assert_eq!(years.len(), 2);
    }

    #[test]
    fn a_midnight_dst_gap_starts_the_day_at_the_first_valid_time() {
        // Chile moved its clocks from 24:00 to 01:00 on 2026-09-06.
        let santiago = tz("America/Santiago");
        let days =
            buckets(utc("2026-09-06T12:00:00Z"), utc("2026-09-06T13:00:00Z"), Granularity::Day, santiago).unwrap();
        let local_start = days[0].start.with_timezone(&santiago);
        assert_eq!(local_start.date_naive(), NaiveDate::from_ymd_opt(2026, 9, 6).unwrap());
        assert!(days[0].end > days[0].start);
    }

    #[test]
    fn the_bucket_count_bound_is_never_below_the_count() {
        let ends = ["2024-01-01T00:00:00Z", "2024-02-29T13:00:00Z", "2025-03-30T23:30:00Z", "2026-12-31T00:00:00Z"];
        let zones = ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Berlin"];
        let granularities =
            [Granularity::Day, Granularity::Week, Granularity::Month, Granularity::Quarter, Granularity::Year];
        for (i, from) in ends.iter().enumerate() {
            for to in &ends[i + 1..] {
                for granularity in granularities {
                    let bound = bucket_count_bound(utc(from), utc(to), granularity);
                    for zone in zones {
                        if let Ok(series) = buckets(utc(from), utc(to), granularity, tz(zone)) {
                            assert!(series.len() as u64 <= bound, "{from} {to} {granularity:?} {zone}");
                        }
                    }
                }
            }
        }
        assert_eq!(bucket_count_bound(utc(ends[1]), utc(ends[0]), Granularity::Day), 2, "an empty period");
    }

    #[test]
    fn consecutive_buckets_continue_the_calendar_past_a_period() {
        let berlin = tz("Europe/Berlin");
        let from = utc("2026-01-15T00:00:00Z");
        let months = consecutive(from, 14, Granularity::Month, berlin).unwrap();
        assert_eq!(months.len(), 14);
        assert_eq!(months[..3], buckets(from, utc("2026-03-01T00:00:00Z"), Granularity::Month, berlin).unwrap()[..]);
        assert!(months.windows(2).all(|pair| pair[0].end == pair[1].start));
        assert_eq!(months[13].start, utc("2027-01-31T23:00:00Z"));
        assert!(consecutive(from, MAX_BUCKETS + 1, Granularity::Day, Tz::UTC).is_err());
    }

    #[test]
    fn too_many_buckets_and_unknown_zones_are_refused() {
        assert!(buckets(utc("2020-01-01T00:00:00Z"), utc("2026-01-01T00:00:00Z"), Granularity::Day, Tz::UTC).is_err());
        assert!(parse_time_zone("tz", "Mars/Olympus").is_err());
    }
}
