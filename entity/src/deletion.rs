//! A tombstone: a row with a global ID that a write deleted, kept so that a copy of the data (a BI
//! tool's) can delete it too (`Query.deletions`). Written in the transaction of the delete.

use sea_orm::entity::prelude::*;

use crate::NodeType;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deletions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The deleted row's table, by the type of its global ID.
    pub node_type: NodeType,
    /// The deleted row's own id: with `node_type`, its global ID.
    pub row_id: i64,
    /// The deleted row's id in the source system.
    pub external_id: String,
    pub deleted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
