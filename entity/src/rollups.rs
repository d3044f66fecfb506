//! The satisfaction rollup tables. They have no models: the server reads and keeps them with SQL of its
//! own (`rollups` in the server crate). Their names are here, beside the other tables', for the
//! statements that name every table.

pub const ANSWER_ROLLUPS: &str = "satisfaction_answer_rollups";
pub const SURVEY_ROLLUPS: &str = "satisfaction_survey_rollups";
