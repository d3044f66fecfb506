//! Incremental satisfaction rollups: per-score answer counts and survey counts per UTC day, month and
//! year and per touchpoint kind, channel, segment, region and order status, kept exact by every write
//! path in its own transaction (`maintenance`, with the statements of `sql`, which define what they
//! hold), and read by the satisfaction service for the whole days of its periods (`plan` says which
//! slices).

pub mod maintenance;
pub mod plan;
pub mod sql;

/// Where satisfaction counts come from: the rollups (the default) or the rows, for comparisons,
/// benchmarks and as an operator's escape hatch (`--satisfaction-rollups false`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CountSource {
    Rollups,
    Rows,
}
