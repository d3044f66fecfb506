//! The figures of a loop report from its answers: each answer counted in its period and group (pending
//! when its window has not ended), then per group and period the share followed with its Wilson
//! interval and the hours to the first follow-up.

use std::collections::HashMap;

use super::{DissatisfiedAnswer, LoopKey, LoopQuery};
use crate::domain::buckets::{Bucket, period_of, rows_per_group_and_period};
use crate::stats::durations::{DurationSummary, hours_between};
use crate::stats::intervals::wilson_percent;
use crate::stats::percent;

/// One group's answers in one period.
#[derive(Clone, Debug, Default, PartialEq)]
struct LoopCounts {
    /// Answers whose window has ended: the base of the share.
    answers: u64,
    /// Answers whose window ends after `as_of`.
    pending: u64,
    by_complaint: u64,
    by_touchpoint: u64,
    /// By either.
    followed: u64,
    /// Of the followed answers: hours from the answer to the first follow-up.
    hours_to_follow_up: Vec<f64>,
}

fn count(counts: &mut LoopCounts, answer: &DissatisfiedAnswer, query: &LoopQuery) {
    if answer.submitted_at + query.follow_up > query.as_of {
        counts.pending += 1;
        return;
    }
    counts.answers += 1;
    counts.by_complaint += u64::from(answer.complaint_at.is_some());
    counts.by_touchpoint += u64::from(answer.follow_up_at.is_some());
    let first = match (answer.complaint_at, answer.follow_up_at) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(first) = first {
        counts.followed += 1;
        counts.hours_to_follow_up.push(hours_between(answer.submitted_at, first));
    }
}

/// Tallies `answers` per group and period.
fn tally(query: &LoopQuery, answers: &[DissatisfiedAnswer]) -> HashMap<LoopKey, Vec<LoopCounts>> {
    let mut groups: HashMap<LoopKey, Vec<LoopCounts>> = HashMap::new();
    for answer in answers {
        let Some(index) = period_of(&query.periods, answer.submitted_at) else { continue };
        let periods =
            groups.entry(answer.key.clone()).or_insert_with(|| vec![LoopCounts::default(); query.periods.len()]);
        count(&mut periods[index], answer, query);
    }
    groups
}

/// One row of a loop report, every figure computed.
#[derive(Clone, Debug, PartialEq)]
pub struct LoopRow {
    pub key: LoopKey,
    pub period: Bucket,
    pub answers: u64,
    pub pending: u64,
    pub by_complaint: u64,
    pub by_touchpoint: u64,
    pub followed: u64,
    /// `followed` of `answers`, in percent.
    pub followed_share: Option<f64>,
    /// Its 95% Wilson interval, in percent.
    pub interval: Option<(f64, f64)>,
    pub hours_to_follow_up: DurationSummary,
}

fn row(key: LoopKey, period: Bucket, counts: LoopCounts) -> LoopRow {
    LoopRow {
        key,
        period,
        answers: counts.answers,
        pending: counts.pending,
        by_complaint: counts.by_complaint,
        by_touchpoint: counts.by_touchpoint,
        followed: counts.followed,
        followed_share: percent(counts.followed, counts.answers),
        interval: wilson_percent(counts.followed, counts.answers),
        hours_to_follow_up: DurationSummary::of(counts.hours_to_follow_up),
    }
}

/// The rows of a report from its answers: one per group and period, zero-filled; without grouping,
/// exactly one per period.
pub fn rows(query: &LoopQuery, answers: &[DissatisfiedAnswer]) -> Vec<LoopRow> {
    let groups = tally(query, answers);
    rows_per_group_and_period(groups, &query.periods, !query.group_by.is_empty(), LoopKey::sort_key, row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::complaint_loop::LoopFilter;
    use crate::stats::test_support::assert_close;
    use chrono::{DateTime, Duration, Utc};

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::hours(hours)
    }

    fn answer(submitted: i64, complaint: Option<i64>, follow_up: Option<i64>) -> DissatisfiedAnswer {
        DissatisfiedAnswer {
            key: LoopKey::default(),
            submitted_at: at(submitted),
            complaint_at: complaint.map(at),
            follow_up_at: follow_up.map(at),
        }
    }

    #[test]
    fn followed_answers_pending_ones_and_hours_to_the_first_follow_up() {
        // Two periods of 100 hours, a 72-hour window, as of hour 200: answers after hour 128 are pending.
        let periods = vec![Bucket { start: at(0), end: at(100) }, Bucket { start: at(100), end: at(200) }];
        let query = LoopQuery {
            periods,
            group_by: Vec::new(),
            filter: LoopFilter::default(),
            follow_up: Duration::hours(72),
            as_of: at(200),
        };
        let answers = [
            answer(10, Some(12), None),     // a complaint after 2 h
            answer(20, None, Some(68)),     // a follow-up after 48 h
            answer(30, Some(40), Some(34)), // both: the touchpoint first, after 4 h
            answer(40, None, None),         // not followed
            answer(110, Some(110), None),   // raised by the answer at its instant: 0 h
            answer(128, None, None),        // the window ends at 200 = as of: counted
            answer(150, Some(151), None),   // pending
            answer(-5, Some(-4), None),     // before both periods
        ];
        let rows = rows(&query, &answers);
        assert_eq!(rows.len(), 2);
        let first = &rows[0];
        assert_eq!((first.answers, first.pending, first.by_complaint, first.by_touchpoint), (4, 0, 2, 2));
        assert_eq!((first.followed, first.followed_share), (3, Some(75.0)));
        let (low, high) = first.interval.unwrap();
        assert!(low < 75.0 && high > 75.0);
        assert_eq!((first.hours_to_follow_up.n, first.hours_to_follow_up.median), (3, Some(4.0)));
        assert_close(first.hours_to_follow_up.p90.unwrap(), 4.0 + 0.8 * 44.0);
        let second = &rows[1];
        assert_eq!((second.answers, second.pending, second.followed, second.followed_share), (2, 1, 1, Some(50.0)));
        assert_eq!(second.hours_to_follow_up.median, Some(0.0));
        let empty = super::rows(&query, &[]);
        assert_eq!(empty.len(), 2, "one row per period without grouping");
        assert_eq!((empty[0].answers, empty[0].followed_share, empty[0].interval), (0, None, None));
    }
}
