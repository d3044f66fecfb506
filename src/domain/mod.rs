//! Domain values parsed at the boundary: opaque global IDs, money, timestamps; the rules a record keeps
//! to be written.

pub mod buckets;
pub mod currency;
pub mod ids;
pub mod money;
pub mod time;
pub mod validation;
