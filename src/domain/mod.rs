//! Domain values parsed at the boundary (opaque global IDs, money, timestamps), the business rules that
//! SQL and Rust both apply (orders that count), and the rules a record keeps to be written.

pub mod buckets;
pub mod currency;
pub mod ids;
pub mod money;
pub mod orders_that_count;
pub mod time;
pub mod validation;
