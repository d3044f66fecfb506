//! Splits a time range into what the rollups can answer (whole UTC years, months and days) and what is
//! read from the rows. Pure, so it is tested without a database.
//!
//! A range is snapped, at each grain from the coarsest, to that grain's nearest boundaries, so a range
//! that is almost a whole year or month (a local calendar month is a UTC month shifted by a few hours)
//! reads that year's or month's rollups. The difference between the snapped range and the range is
//! then covered the same way at the next grain, and added where the snapped range falls short or
//! subtracted where it overshoots: pieces carry a sign. A grain is used only for a range at least one
//! of its slices long, so no piece reads much more than it answers. What is left under a day is read
//! from the rows. Every instant of the range is counted exactly once (the signs of the pieces holding it
//! add up to one, and to zero outside the range), so counts added over the pieces are exact.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

const SECONDS_PER_DAY: i64 = 86_400;

/// A day number: days since 1970-01-01, in UTC.
pub type Day = i64;

/// Stands for "no bound" in day ranges bound to SQL (further than any timestamp chrono can hold).
pub const BEFORE_ALL: Day = -(1 << 40);
pub const AFTER_ALL: Day = 1 << 40;

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grain {
    Day,
    Month,
    Year,
}

impl Grain {
    /// The code stored in the rollup tables' `grain` column.
    pub fn code(self) -> &'static str {
        match self {
            Grain::Day => "D",
            Grain::Month => "M",
            Grain::Year => "Y",
        }
    }

    fn finer(self) -> Option<Grain> {
        match self {
            Grain::Year => Some(Grain::Month),
            Grain::Month => Some(Grain::Day),
            Grain::Day => None,
        }
    }

    /// The shortest slice of this grain, in days: a shorter range does not use it.
    fn shortest_days(self) -> i64 {
        match self {
            Grain::Year => 365,
            Grain::Month => 28,
            Grain::Day => 1,
        }
    }
}

/// Rollup rows of `grain` whose slice starts in `[from, to)` (day numbers), counted `sign` times (1 or
/// -1) for `slot`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct SlicePiece {
    pub slot: usize,
    pub grain: Grain,
    pub from: Day,
    pub to: Day,
    pub sign: i64,
}

/// Rows with a timestamp in `[start, end)`, counted `sign` times for `slot`: read from the base tables.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RawPiece {
    pub slot: usize,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub sign: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub slices: Vec<SlicePiece>,
    pub raw: Vec<RawPiece>,
}

fn date_of(day: Day) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(day + 719_163).ok()?)
}

fn day_of(date: NaiveDate) -> Day {
    i64::from(date.num_days_from_ce()) - 719_163
}

fn start_of_day(day: Day) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(day.checked_mul(SECONDS_PER_DAY)?, 0)
}

/// The first day of the grain's slice containing `day`.
fn slice_start(grain: Grain, day: Day) -> Option<Day> {
    let date = date_of(day)?;
    let first = match grain {
        Grain::Day => date,
        Grain::Month => date.with_day(1)?,
        Grain::Year => NaiveDate::from_ymd_opt(date.year(), 1, 1)?,
    };
    Some(day_of(first))
}

/// The first slice boundary at or after `day`.
fn ceil_slice(grain: Grain, day: Day) -> Option<Day> {
    let start = slice_start(grain, day)?;
    if start == day {
        return Some(day);
    }
    let date = date_of(start)?;
    let next = match grain {
        Grain::Day => date.succ_opt()?,
        Grain::Month => date.checked_add_months(chrono::Months::new(1))?,
        Grain::Year => date.checked_add_months(chrono::Months::new(12))?,
    };
    Some(day_of(next))
}

/// The slice boundary of `grain` nearest to `t` (the earlier one when both are as near), as a day
/// number; `None` when the calendar cannot place it.
fn nearest_boundary(grain: Grain, t: DateTime<Utc>) -> Option<Day> {
    let floor = slice_start(grain, t.timestamp().div_euclid(SECONDS_PER_DAY))?;
    let floor_at = start_of_day(floor)?;
    if floor_at == t {
        return Some(floor);
    }
    let ceil = ceil_slice(grain, floor + 1)?;
    let ceil_at = start_of_day(ceil)?;
    Some(if t - floor_at <= ceil_at - t { floor } else { ceil })
}

impl Plan {
    /// Adds the pieces covering `[from, to)` (unbounded where `None`) for `slot`.
    pub fn cover(&mut self, slot: usize, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) {
        self.cover_at(slot, 1, from, to, Some(Grain::Year));
    }

    /// Covers `[from, to)`, counted `sign` times, with slices of `grain` (or finer) and rows.
    fn cover_at(
        &mut self,
        slot: usize,
        sign: i64,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        grain: Option<Grain>,
    ) {
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            return;
        }
        let Some(grain) = grain else {
            // Under a day: from the rows. Unbounded pieces never get here (a day slice covers them).
            if let (Some(start), Some(end)) = (from, to) {
                self.raw.push(RawPiece { slot, start, end, sign });
            }
            return;
        };
        let long_enough = match (from, to) {
            (Some(from), Some(to)) => (to - from).num_seconds() >= grain.shortest_days() * SECONDS_PER_DAY,
            _ => true,
        };
        let a = from.map(|t| nearest_boundary(grain, t));
        let b = to.map(|t| nearest_boundary(grain, t));
        let placed = !matches!(a, Some(None)) && !matches!(b, Some(None));
        let (a, b) = (a.flatten(), b.flatten());
        let whole = match (a, b) {
            (Some(a), Some(b)) => a < b,
            _ => true,
        };
        if !(long_enough && placed && whole) {
            self.cover_at(slot, sign, from, to, grain.finer());
            return;
        }
        self.slices.push(SlicePiece { slot, grain, from: a.unwrap_or(BEFORE_ALL), to: b.unwrap_or(AFTER_ALL), sign });
        let finer = grain.finer();
        if let (Some(t), Some(snapped)) = (from, a.and_then(start_of_day)) {
            // The snapped start fell short of the range (add the difference) or overshot it (take it out).
            if t < snapped {
                self.cover_at(slot, sign, Some(t), Some(snapped), finer);
            } else {
                self.cover_at(slot, -sign, Some(snapped), Some(t), finer);
            }
        }
        if let (Some(t), Some(snapped)) = (to, b.and_then(start_of_day)) {
            if snapped < t {
                self.cover_at(slot, sign, Some(snapped), Some(t), finer);
            } else {
                self.cover_at(slot, -sign, Some(t), Some(snapped), finer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> Day {
        day_of(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    fn plan(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Plan {
        let mut plan = Plan::default();
        plan.cover(0, from, to);
        plan
    }

    #[test]
    fn day_numbers_start_at_the_unix_epoch() {
        assert_eq!(day(1970, 1, 1), 0);
        assert_eq!(day(2024, 1, 1), 19_723);
        assert_eq!(date_of(19_723), NaiveDate::from_ymd_opt(2024, 1, 1));
        assert_eq!(day(1969, 12, 31), -1);
    }

    fn slice(grain: Grain, from: Day, to: Day, sign: i64) -> SlicePiece {
        SlicePiece { slot: 0, grain, from, to, sign }
    }

    fn raw(start: DateTime<Utc>, end: DateTime<Utc>, sign: i64) -> RawPiece {
        RawPiece { slot: 0, start, end, sign }
    }

    #[test]
    fn an_unbounded_range_is_every_year() {
        let p = plan(None, None);
        assert_eq!(p.raw, vec![]);
        assert_eq!(p.slices, vec![slice(Grain::Year, BEFORE_ALL, AFTER_ALL, 1)]);
    }

    #[test]
    fn a_utc_month_is_one_month_slice() {
        let p = plan(Some(at(2025, 3, 1, 0)), Some(at(2025, 4, 1, 0)));
        assert_eq!(p.raw, vec![]);
        assert_eq!(p.slices, vec![slice(Grain::Month, day(2025, 3, 1), day(2025, 4, 1), 1)]);
    }

    #[test]
    fn a_range_across_years_snaps_to_the_nearest_boundaries_of_each_grain() {
        let p = plan(Some(at(2023, 11, 20, 6)), Some(at(2026, 2, 3, 12)));
        assert_eq!(
            p.slices,
            vec![
                slice(Grain::Year, day(2024, 1, 1), day(2026, 1, 1), 1),
                slice(Grain::Month, day(2023, 12, 1), day(2024, 1, 1), 1),
                slice(Grain::Day, day(2023, 11, 20), day(2023, 12, 1), 1),
                slice(Grain::Month, day(2026, 1, 1), day(2026, 2, 1), 1),
                slice(Grain::Day, day(2026, 2, 1), day(2026, 2, 3), 1),
            ]
        );
        // The day slice from November 20th counts six hours before the range: they are taken out.
        assert_eq!(
            p.raw,
            vec![raw(at(2023, 11, 20, 0), at(2023, 11, 20, 6), -1), raw(at(2026, 2, 3, 0), at(2026, 2, 3, 12), 1)]
        );
    }

    #[test]
    fn a_range_inside_one_day_is_read_from_the_rows() {
        let p = plan(Some(at(2025, 5, 5, 1)), Some(at(2025, 5, 5, 23)));
        assert_eq!(p.slices, vec![]);
        assert_eq!(p.raw, vec![raw(at(2025, 5, 5, 1), at(2025, 5, 5, 23), 1)]);
        assert_eq!(plan(Some(at(2025, 5, 5, 1)), Some(at(2025, 5, 5, 1))), Plan::default());
    }

    #[test]
    fn a_local_month_in_new_york_is_a_utc_month_and_its_shifted_hours() {
        // March 2025 in America/New_York: from 05:00 UTC on the 1st to 04:00 UTC on April 1st.
        let p = plan(Some(at(2025, 3, 1, 5)), Some(at(2025, 4, 1, 4)));
        assert_eq!(p.slices, vec![slice(Grain::Month, day(2025, 3, 1), day(2025, 4, 1), 1)]);
        assert_eq!(
            p.raw,
            vec![raw(at(2025, 3, 1, 0), at(2025, 3, 1, 5), -1), raw(at(2025, 4, 1, 0), at(2025, 4, 1, 4), 1)]
        );
    }

    #[test]
    fn a_short_range_never_reads_a_whole_coarser_slice() {
        // One day in the middle of a month: its day slice, not the month minus thirty days.
        let p = plan(Some(at(2025, 1, 16, 0)), Some(at(2025, 1, 17, 0)));
        assert_eq!(p.slices, vec![slice(Grain::Day, day(2025, 1, 16), day(2025, 1, 17), 1)]);
    }

    #[test]
    fn half_open_ranges_use_open_slices() {
        let p = plan(Some(at(2025, 6, 15, 0)), None);
        assert_eq!(
            p.slices,
            vec![
                slice(Grain::Year, day(2025, 1, 1), AFTER_ALL, 1),
                slice(Grain::Month, day(2025, 1, 1), day(2025, 6, 1), -1),
                slice(Grain::Day, day(2025, 6, 1), day(2025, 6, 15), -1),
            ]
        );
        let p = plan(None, Some(at(2025, 6, 15, 0)));
        assert_eq!(
            p.slices,
            vec![
                slice(Grain::Year, BEFORE_ALL, day(2025, 1, 1), 1),
                slice(Grain::Month, day(2025, 1, 1), day(2025, 6, 1), 1),
                slice(Grain::Day, day(2025, 6, 1), day(2025, 6, 15), 1),
            ]
        );
    }

    /// Every half hour of a range is counted exactly once, whatever the bounds: the signs of the pieces
    /// holding it add up to one inside the range and to zero outside.
    #[test]
    fn pieces_count_every_instant_of_the_range_once() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: i64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as i64
        };
        let base = at(2023, 12, 25, 0).timestamp();
        for _ in 0..300 {
            let from = DateTime::from_timestamp(base + next(900) * 3600 + next(2) * 1800, 0).unwrap();
            let to = DateTime::from_timestamp(from.timestamp() + next(9000) * 3600 + next(2) * 60, 0).unwrap();
            let p = plan(Some(from), Some(to));
            let first = at(2023, 1, 1, 0).timestamp();
            let last = at(2026, 1, 1, 0).timestamp() + 9000 * 3600;
            let mut t = first;
            while t < last {
                let instant = DateTime::from_timestamp(t, 0).unwrap();
                let d = t.div_euclid(SECONDS_PER_DAY);
                let in_raw: i64 = p.raw.iter().filter(|r| r.start <= instant && instant < r.end).map(|r| r.sign).sum();
                let in_slices: i64 = p
                    .slices
                    .iter()
                    .filter(|s| {
                        let start = slice_start(s.grain, d).unwrap();
                        s.from <= start && start < s.to
                    })
                    .map(|s| s.sign)
                    .sum();
                let inside = from <= instant && instant < to;
                assert_eq!(in_raw + in_slices, i64::from(inside), "{instant} in {from}..{to}: {p:?}");
                t += 1800 * 7;
            }
        }
    }
}
