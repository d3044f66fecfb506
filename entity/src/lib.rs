//! SeaORM entities: one module per table (the rollup tables, which have no models, are only named in
//! `rollups`). They carry no GraphQL derives: the API's output types are separate structs in the
//! server crate, so the tables never become the API by accident.

pub mod api_key;
pub mod clv_customer;
pub mod clv_model;
pub mod clv_tracking;
pub mod complaint;
pub mod customer;
pub mod deletion;
pub mod enums;
pub mod feedback;
pub mod order;
pub mod rollups;
pub mod touchpoint;

pub use enums::{
    Channel, ComplaintCategory, ComplaintOutcome, ComplaintStatus, NodeType, OrderStatus, SurveyMetric, TouchpointKind,
};
