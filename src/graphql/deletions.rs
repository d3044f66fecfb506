//! `Query.deletions`: the tombstones of deleted rows, for incremental extracts (`docs/api.md`).

use async_graphql::{Context, ID, Object};
use entity::deletion::Model;

use crate::error::AppResult;
use crate::graphql::connection::{Connection, ConnectionNode, ListArgs, flat_root_connection};
use crate::graphql::enums::NodeType;
use crate::graphql::inputs::list_filter;
use crate::graphql::node::global_id;
use crate::graphql::scalars::DateTime;
use crate::services::deletions::{DeletionFilter, DeletionSort};
use crate::services::pagination::{PageArgs, Sort, SortDirection};

/// A deleted row, as its tombstone tells it.
pub struct DeletedRow(pub Model);

impl ConnectionNode for DeletedRow {
    const CONNECTION: &'static str = "DeletedRowConnection";
    const EDGE: &'static str = "DeletedRowEdge";
    const OTHER_IN_PLACE_FIELDS: &'static [&'static str] = &["id", "externalId", "type", "deletedAt"];
    type Entity = entity::deletion::Entity;

    fn wrap(model: Model) -> Self {
        DeletedRow(model)
    }

    fn row(&self) -> &Model {
        &self.0
    }
}

/// A row a write deleted (a touchpoint with its answers, an answer, an erased customer's complaints):
/// delete it from a copy of the data too.
#[Object]
impl DeletedRow {
    /// The deleted row's global ID, as it was while the row existed (`node` now finds nothing).
    async fn id(&self) -> ID {
        global_id(self.0.node_type.into(), self.0.row_id)
    }

    /// The deleted row's id in the source system.
    async fn external_id(&self) -> &str {
        &self.0.external_id
    }

    /// What the deleted row was.
    #[graphql(name = "type")]
    async fn node_type(&self) -> NodeType {
        self.0.node_type.into()
    }

    /// When it was deleted.
    async fn deleted_at(&self) -> DateTime {
        DateTime(self.0.deleted_at)
    }
}

/// The rows deleted at or after `since`, of `types` (all when not given), in the order of deletion.
pub async fn deleted_rows(
    ctx: &Context<'_>,
    since: DateTime,
    types: Option<Vec<NodeType>>,
    page: PageArgs,
) -> AppResult<Connection<DeletedRow>> {
    let filter = DeletionFilter { since: Some(since.0), node_types: list_filter(types, "types")? };
    let sort = Sort { field: DeletionSort::DeletedAt, direction: SortDirection::Asc };
    flat_root_connection::<DeletedRow>(ctx, ListArgs { page, filter, sort }).await
}
