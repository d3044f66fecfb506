//! Splits a time range into what the rollups can answer (whole UTC years, months and days) and the
//! partial days at its edges, which are read from the rows. Pure, so it is tested without a database.
//!
//! A range `[from, to)` is covered greedily from the coarsest grain inwards: the whole years inside it,
//! then the whole months on either side of those, then whole days, then the rest of the day at each end.
//! Every instant of the range lands in exactly one piece, so counts added over the pieces are exact.

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
}

/// Rollup rows of `grain` whose slice starts in `[from, to)` (day numbers), counted for `slot`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct SlicePiece {
    pub slot: usize,
    pub grain: Grain,
    pub from: Day,
    pub to: Day,
}

/// Rows with a timestamp in `[start, end)`, counted for `slot`: read from the base tables.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RawPiece {
    pub slot: usize,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
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

impl Plan {
    /// Adds the pieces covering `[from, to)` (unbounded where `None`) for `slot`.
    pub fn cover(&mut self, slot: usize, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) {
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            return;
        }
        let first_whole_day = from.map(|t| t.timestamp().div_euclid(SECONDS_PER_DAY) + i64::from(!is_midnight(t)));
        let end_whole_day = to.map(|t| t.timestamp().div_euclid(SECONDS_PER_DAY));
        if let (Some(first), Some(end)) = (first_whole_day, end_whole_day)
            && first >= end
        {
            // No whole day inside: all of it is read from the rows.
            self.raw_piece(slot, from, to);
            return;
        }
        if let (Some(from), Some(first)) = (from, first_whole_day) {
            self.raw_piece(slot, Some(from), start_of_day(first));
        }
        if let (Some(to), Some(end)) = (to, end_whole_day) {
            self.raw_piece(slot, start_of_day(end), Some(to));
        }
        self.cover_days(slot, Grain::Year, first_whole_day, end_whole_day);
    }

    fn raw_piece(&mut self, slot: usize, start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) {
        if let (Some(start), Some(end)) = (start, end)
            && start < end
        {
            self.raw.push(RawPiece { slot, start, end });
        }
    }

    /// Covers whole days `[from, to)` with slices of `grain` and finer ones at the edges.
    fn cover_days(&mut self, slot: usize, grain: Grain, from: Option<Day>, to: Option<Day>) {
        let Some(finer) = grain.finer() else {
            let piece = SlicePiece { slot, grain, from: from.unwrap_or(BEFORE_ALL), to: to.unwrap_or(AFTER_ALL) };
            if piece.from < piece.to {
                self.slices.push(piece);
            }
            return;
        };
        let inner_from = match from {
            Some(day) => ceil_slice(grain, day),
            None => None,
        };
        let inner_to = match to {
            Some(day) => slice_start(grain, day),
            None => None,
        };
        // A bound that chrono cannot place on the calendar is left to the finer grain.
        let from_ok = from.is_none() || inner_from.is_some();
        let to_ok = to.is_none() || inner_to.is_some();
        let whole = match (inner_from, inner_to) {
            (Some(a), Some(b)) => a < b,
            _ => true,
        };
        if !(from_ok && to_ok && whole) {
            self.cover_days(slot, finer, from, to);
            return;
        }
        if let (Some(day), Some(inner)) = (from, inner_from)
            && day < inner
        {
            self.cover_days(slot, finer, Some(day), Some(inner));
        }
        self.slices.push(SlicePiece {
            slot,
            grain,
            from: inner_from.unwrap_or(BEFORE_ALL),
            to: inner_to.unwrap_or(AFTER_ALL),
        });
        if let (Some(day), Some(inner)) = (to, inner_to)
            && inner < day
        {
            self.cover_days(slot, finer, Some(inner), Some(day));
        }
    }
}

fn is_midnight(t: DateTime<Utc>) -> bool {
    t.timestamp().rem_euclid(SECONDS_PER_DAY) == 0 && t.timestamp_subsec_nanos() == 0
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

    #[test]
    fn an_unbounded_range_is_every_year() {
        let p = plan(None, None);
        assert_eq!(p.raw, vec![]);
        assert_eq!(p.slices, vec![SlicePiece { slot: 0, grain: Grain::Year, from: BEFORE_ALL, to: AFTER_ALL }]);
    }

    #[test]
    fn a_utc_month_is_one_month_slice() {
        let p = plan(Some(at(2025, 3, 1, 0)), Some(at(2025, 4, 1, 0)));
        assert_eq!(p.raw, vec![]);
        assert_eq!(
            p.slices,
            vec![SlicePiece { slot: 0, grain: Grain::Month, from: day(2025, 3, 1), to: day(2025, 4, 1) }]
        );
    }

    #[test]
    fn a_range_across_years_uses_years_months_days_and_raw_edges() {
        let p = plan(Some(at(2023, 11, 20, 6)), Some(at(2026, 2, 3, 12)));
        assert_eq!(
            p.raw,
            vec![
                RawPiece { slot: 0, start: at(2023, 11, 20, 6), end: at(2023, 11, 21, 0) },
                RawPiece { slot: 0, start: at(2026, 2, 3, 0), end: at(2026, 2, 3, 12) },
            ]
        );
        assert_eq!(
            p.slices,
            vec![
                SlicePiece { slot: 0, grain: Grain::Day, from: day(2023, 11, 21), to: day(2023, 12, 1) },
                SlicePiece { slot: 0, grain: Grain::Month, from: day(2023, 12, 1), to: day(2024, 1, 1) },
                SlicePiece { slot: 0, grain: Grain::Year, from: day(2024, 1, 1), to: day(2026, 1, 1) },
                SlicePiece { slot: 0, grain: Grain::Month, from: day(2026, 1, 1), to: day(2026, 2, 1) },
                SlicePiece { slot: 0, grain: Grain::Day, from: day(2026, 2, 1), to: day(2026, 2, 3) },
            ]
        );
    }

    #[test]
    fn a_range_inside_one_day_is_read_from_the_rows() {
        let p = plan(Some(at(2025, 5, 5, 1)), Some(at(2025, 5, 5, 23)));
        assert_eq!(p.slices, vec![]);
        assert_eq!(p.raw, vec![RawPiece { slot: 0, start: at(2025, 5, 5, 1), end: at(2025, 5, 5, 23) }]);
        assert_eq!(plan(Some(at(2025, 5, 5, 1)), Some(at(2025, 5, 5, 1))), Plan::default());
    }

    #[test]
    fn a_local_month_in_new_york_reads_only_its_partial_days_from_the_rows() {
        // March 2025 in America/New_York: from 05:00 UTC on the 1st to 04:00 UTC on April 1st.
        let p = plan(Some(at(2025, 3, 1, 5)), Some(at(2025, 4, 1, 4)));
        assert_eq!(p.raw.len(), 2);
        assert_eq!(
            p.slices,
            vec![SlicePiece { slot: 0, grain: Grain::Day, from: day(2025, 3, 2), to: day(2025, 4, 1) }]
        );
    }

    #[test]
    fn half_open_ranges_use_open_slices() {
        let p = plan(Some(at(2025, 6, 15, 0)), None);
        assert_eq!(
            p.slices,
            vec![
                SlicePiece { slot: 0, grain: Grain::Day, from: day(2025, 6, 15), to: day(2025, 7, 1) },
                SlicePiece { slot: 0, grain: Grain::Month, from: day(2025, 7, 1), to: day(2026, 1, 1) },
                SlicePiece { slot: 0, grain: Grain::Year, from: day(2026, 1, 1), to: AFTER_ALL },
            ]
        );
        let p = plan(None, Some(at(2025, 6, 15, 0)));
        assert_eq!(
            p.slices,
            vec![
                SlicePiece { slot: 0, grain: Grain::Year, from: BEFORE_ALL, to: day(2025, 1, 1) },
                SlicePiece { slot: 0, grain: Grain::Month, from: day(2025, 1, 1), to: day(2025, 6, 1) },
                SlicePiece { slot: 0, grain: Grain::Day, from: day(2025, 6, 1), to: day(2025, 6, 15) },
            ]
        );
    }

    /// Every hour of a range lands in exactly one piece, whatever the bounds.
    #[test]
    fn pieces_partition_the_range_exactly() {
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
            let to = DateTime::from_timestamp(from.timestamp() + next(2000) * 3600 + next(2) * 60, 0).unwrap();
            let p = plan(Some(from), Some(to));
            let mut t = from.timestamp() - from.timestamp().rem_euclid(1800);
            while t < to.timestamp() + 1800 {
                let instant = DateTime::from_timestamp(t, 0).unwrap();
                let d = t.div_euclid(SECONDS_PER_DAY);
                let in_raw = p.raw.iter().filter(|r| r.start <= instant && instant < r.end).count();
                let in_slices = p
                    .slices
                    .iter()
                    .filter(|s| {
                        let start = slice_start(s.grain, d).unwrap();
                        s.from <= start && start < s.to
                    })
                    .count();
                let inside = from <= instant && instant < to;
                assert_eq!(in_raw + in_slices, usize::from(inside), "{instant} in {from}..{to}: {p:?}");
                t += 1800;
            }
        }
    }
}
