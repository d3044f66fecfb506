//! Domain values parsed at the boundary: opaque global IDs, money, timestamps.

pub mod buckets;
pub mod currency;
pub mod ids;
pub mod money;
pub mod time;
