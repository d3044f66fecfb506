//! What a child connection needs to know about its entity: how to filter it, how to sort it, and how it
//! hangs off each of its parents.

use std::fmt::Debug;
use std::hash::Hash;

use sea_orm::{EntityTrait, FromQueryResult, Select};

use crate::services::pagination::{Pageable, ParentColumn, SortField};

pub trait Listing: Pageable + EntityTrait<Model: FromQueryResult + Clone + Send + Sync> {
    type Filter: Clone + Debug + Default + Eq + Hash + Send + Sync + 'static;
    type Sort: SortField<Entity = Self>;
    /// The parents a list of this entity can hang off (e.g. the orders of a customer).
    type Parent: Copy + Debug + Eq + Hash + Send + Sync + 'static;

    /// All rows matching `filter`.
    fn filtered(filter: &Self::Filter) -> Select<Self>;

    /// Narrows `select` to the children of one kind of parent, and names the column holding the parent id.
    fn scoped(select: Select<Self>, parent: Self::Parent) -> (Select<Self>, ParentColumn);
}
