//! The group columns both sources select, by the same aliases, and the group key read back from a row.

use sea_orm::QueryResult;

use super::{Dimension, GroupKey, SatisfactionQuery};
use crate::error::{AppError, AppResult};

/// The alias of a grouping dimension's column.
pub(super) fn dimension_alias(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::TouchpointKind => "g_kind",
        Dimension::Channel => "g_channel",
        Dimension::Segment => "g_segment",
        Dimension::Region => "g_region",
    }
}

/// The group of a row of either source. Answers without a touchpoint have no kind or channel: NULL from
/// the rows (an outer join), '' from the rollups (a key column); both read as None.
pub(super) fn read_key(row: &QueryResult, query: &SatisfactionQuery) -> AppResult<GroupKey> {
    let text = |dimension: Dimension| -> AppResult<Option<String>> {
        if !query.group_by.contains(&dimension) {
            return Ok(None);
        }
        let value: Option<String> = row.try_get("", dimension_alias(dimension)).map_err(AppError::from_db)?;
        let no_touchpoint =
            matches!(dimension, Dimension::TouchpointKind | Dimension::Channel) && value.as_deref() == Some("");
        Ok(if no_touchpoint { None } else { value })
    };
    let bucket = match &query.buckets {
        Some(_) => {
            let index: i64 = row.try_get("", "g_bucket").map_err(AppError::from_db)?;
            Some(usize::try_from(index).map_err(|_| AppError::Internal("negative bucket index".into()))?)
        }
        None => None,
    };
    Ok(GroupKey {
        touchpoint_kind: text(Dimension::TouchpointKind)?,
        channel: text(Dimension::Channel)?,
        segment: text(Dimension::Segment)?,
        region: text(Dimension::Region)?,
        bucket,
    })
}
