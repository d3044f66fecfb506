//! The data layer: filters, sort orders and pages of each domain, aggregated in SQL. Functions take
//! `&impl ConnectionTrait`, so they work on the pool and inside a transaction alike.

pub mod clv;
pub mod cohorts;
pub mod complaint_handling;
pub mod complaint_loop;
pub mod complaint_recovery;
pub mod complaints;
pub mod customer_ranges;
pub mod customers;
pub mod data_shape;
pub mod deletions;
pub mod dissatisfied;
pub mod facets;
pub mod feedback;
pub mod filters;
pub mod impact;
pub mod insight_dimensions;
pub mod listing;
pub mod lookups;
pub mod loyalty;
pub mod order_summary;
pub mod orders;
pub mod pagination;
pub mod placeholders;
pub mod purchases;
pub mod satisfaction;
pub mod satisfaction_insights;
pub mod touchpoints;
pub mod writes;
