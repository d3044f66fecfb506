//! Domain values parsed at the boundary (opaque global IDs, money, timestamps) and the business rules
//! that SQL and Rust both apply (orders that count).

pub mod buckets;
pub mod currency;
pub mod ids;
pub mod money;
pub mod orders_that_count;
pub mod time;
