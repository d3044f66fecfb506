//! Adding up the counts of every statement a query runs, per group, and laying them out as groups.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::QueryResult;

use super::keys::read_key;
use super::{GroupCounts, GroupKey, SatisfactionQuery};
use crate::db::sql::signed_column;
use crate::error::{AppError, AppResult};

/// Answer and survey counts per group, before groups are matched up. Signed while they are added up:
/// a plan may count a range once too often in one piece and take it out in another.
#[derive(Default)]
pub(super) struct Tally {
    answers: BTreeMap<GroupKey, SignedCounts>,
    surveys: BTreeMap<GroupKey, (i64, i64)>,
}

#[derive(Default)]
struct SignedCounts {
    histogram: Vec<(i32, i64)>,
    commented: i64,
}

/// What one statement pair read: answers per group and score `(key, score, answers, commented)`, and
/// surveys per group `(key, surveyed, answered)`, each signed.
#[derive(Default)]
pub(super) struct Counts {
    pub answers: Vec<(GroupKey, i32, i64, i64)>,
    pub surveys: Vec<(GroupKey, i64, i64)>,
}

impl Counts {
    /// One row of an answers statement (columns `score`, `answers`, `commented` and the group's).
    pub(super) fn answers_row(row: &QueryResult, query: &SatisfactionQuery) -> AppResult<(GroupKey, i32, i64, i64)> {
        let score: i32 = row.try_get("", "score").map_err(AppError::from_db)?;
        Ok((read_key(row, query)?, score, signed_column(row, "answers")?, signed_column(row, "commented")?))
    }

    /// One row of a surveys statement (columns `surveyed`, `answered` and the group's).
    pub(super) fn surveys_row(row: &QueryResult, query: &SatisfactionQuery) -> AppResult<(GroupKey, i64, i64)> {
        Ok((read_key(row, query)?, signed_column(row, "surveyed")?, signed_column(row, "answered")?))
    }
}

impl Tally {
    pub(super) fn add(&mut self, counts: Counts) {
        for (key, score, answers, commented) in counts.answers {
            self.add_answers(key, score, answers, commented);
        }
        for (key, surveyed, answered) in counts.surveys {
            self.add_surveys(key, surveyed, answered);
        }
    }

    fn add_answers(&mut self, key: GroupKey, score: i32, answers: i64, commented: i64) {
        let counts = self.answers.entry(key).or_default();
        match counts.histogram.iter_mut().find(|(s, _)| *s == score) {
            Some((_, n)) => *n += answers,
            None => counts.histogram.push((score, answers)),
        }
        counts.commented += commented;
    }

    fn add_surveys(&mut self, key: GroupKey, surveyed: i64, answered: i64) {
        let counts = self.surveys.entry(key).or_default();
        counts.0 += surveyed;
        counts.1 += answered;
    }

    /// Surveys only add to groups that have answers: a touchpoint does not record which question its
    /// survey asked, so a group with surveys but no answer of this metric (DELIVERY asking CSAT, when
    /// the query is about NPS) is not a group of this metric. Zero-filled buckets of a group keep theirs.
    /// Relationship surveys have no touchpoint and so no survey-sent record: they have no response rate.
    pub(super) fn into_groups(self) -> BTreeMap<GroupKey, GroupCounts> {
        // Every count adds up to what the rows hold, never below zero.
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        let mut groups: BTreeMap<GroupKey, GroupCounts> = self
            .answers
            .into_iter()
            .filter_map(|(key, counts)| {
                let mut histogram: Vec<(i32, u64)> =
                    counts.histogram.into_iter().filter(|(_, n)| *n > 0).map(|(s, n)| (s, count(n))).collect();
                histogram.sort_unstable();
                // A group whose answers were all taken out again has none.
                (!histogram.is_empty())
                    .then(|| (key, GroupCounts { histogram, commented: count(counts.commented), ..Default::default() }))
            })
            .collect();
        let answered_groups: BTreeSet<GroupKey> =
            groups.keys().map(|k| GroupKey { bucket: None, ..k.clone() }).collect();
        for (key, (surveyed, answered)) in self.surveys {
            // Surveys all taken out again, or of a group without answers of this metric.
            if surveyed == 0 || !answered_groups.contains(&GroupKey { bucket: None, ..key.clone() }) {
                continue;
            }
            let counts = groups.entry(key).or_default();
            counts.surveyed += count(surveyed);
            counts.answered += count(answered);
        }
        groups
    }
}
