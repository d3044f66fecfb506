//! The connection fields, written once: every one takes the same six arguments (`first`, `after`,
//! `last`, `before`, `filter`, `orderBy`) and pages its node type the same way.
//!
//! async-graphql reads a field's arguments from the method's own signature, so they cannot be shared
//! between methods. `connection_fields!` writes the methods instead, on a small object per parent type
//! (`CustomerLists`, ...); the parent flattens that object into its own fields
//! (`#[graphql(flatten)]`), so the schema sees them on the parent, with the same names, arguments and
//! descriptions. The small objects themselves are no part of the schema (no field returns them).

/// The connection fields of one parent type, on a new struct `$object` (for a node type, holding the
/// parent row's id: `CustomerLists(i64)`). Each field names its node type, where its rows come from
/// (`all` rows for a root field, or the parent's under one kind of parent, e.g. `OrderParent::Customer`)
/// and the description of its `filter`.
macro_rules! connection_fields {
    (
        $(#[doc = $object_doc:tt])*
        $object:ident $(($id:ty))? {
            $(
                $(#[doc = $doc:tt])*
                $field:ident: $node:ty, $scope:tt $(($parent:expr))?, $filter:tt;
            )+
        }
    ) => {
        $(#[doc = $object_doc])*
        pub struct $object $(($id))?;

        #[async_graphql::Object]
        impl $object {
            $(
                $(#[doc = $doc])*
                #[allow(clippy::too_many_arguments)]
                async fn $field(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                    #[graphql(desc = "Page size from the start (at most 100, default 20).")] first: Option<i32>,
                    #[graphql(desc = "Return rows after this cursor.")] after: Option<String>,
                    #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
                    #[graphql(desc = "Return rows before this cursor.")] before: Option<String>,
                    #[graphql(desc = $filter)] filter: Option<<$node as $crate::graphql::connection::FilterableNode>::FilterInput>,
                    #[graphql(desc = "The order of the rows.")] order_by: Option<<$node as $crate::graphql::connection::FilterableNode>::OrderInput>,
                ) -> async_graphql::Result<$crate::graphql::connection::Connection<$node>> {
                    let page = $crate::services::pagination::PageArgs { first, after, last, before };
                    let args = || <$node as $crate::graphql::connection::FilterableNode>::list_args(page, filter, order_by);
                    Ok(connection_fields!(@page self, ctx, args, $node, $scope $(($parent))?).await?)
                }
            )+
        }
    };
    (@page $object:expr, $ctx:ident, $args:ident, $node:ty, all) => {
        $crate::graphql::connection::root_connection::<$node>($ctx, $args()?)
    };
    (@page $object:expr, $ctx:ident, $args:ident, $node:ty, under($parent:expr)) => {
        $crate::graphql::connection::child_connection::<$node>($ctx, $object.0, $parent, $args)
    };
}

pub(crate) use connection_fields;
