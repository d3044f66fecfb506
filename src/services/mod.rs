//! The data layer: filters, sort orders and pages of each domain, aggregated in SQL. Functions take
//! `&impl ConnectionTrait`, so they work on the pool and inside a transaction alike.

pub mod customers;
pub mod feedback;
pub mod filters;
pub mod listing;
pub mod orders;
pub mod pagination;
pub mod satisfaction;
pub mod touchpoints;
