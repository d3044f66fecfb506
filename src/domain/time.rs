//! Timestamps: parsed from RFC 3339 with any offset, stored and returned in UTC.
//!
//! They are truncated to whole microseconds on the way in, because PostgreSQL keeps microseconds:
//! without it, SQLite and PostgreSQL would store (and compare) the same input differently.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};

use crate::error::AppError;

pub fn parse_timestamp(field: &str, raw: &str) -> Result<DateTime<Utc>, AppError> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| normalize(t.with_timezone(&Utc)))
        .map_err(|e| AppError::bad_input(field, format!("not an RFC 3339 timestamp ({e}), e.g. 2026-01-31T12:00:00Z")))
}

pub fn normalize(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_offsets_to_utc_and_truncates_to_microseconds() {
        let t = parse_timestamp("at", "2026-03-29T03:30:00.123456789+02:00").unwrap();
        assert_eq!(format_timestamp(t), "2026-03-29T01:30:00.123456Z");
    }

    #[test]
    fn rejects_timestamps_without_offset() {
        let err = parse_timestamp("filter.from", "2026-03-29 03:30:00").unwrap_err();
        assert!(err.to_string().starts_with("filter.from: not an RFC 3339 timestamp"));
    }
}
