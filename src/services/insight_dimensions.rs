//! The dimensions insights filter and group by, as conditions every place that selects rows applies: the
//! kind and channel of the touchpoint (answered), the status of that touchpoint's order, and the
//! customer's segment and region. Satisfaction insights join touchpoints (`t`) and customers (`c`) and
//! apply these conditions there; the feedback, touchpoint and order lists apply the same conditions in
//! sub-queries with the same aliases, so a row of an insight opens into exactly the rows it counted
//! (drill-through).

use entity::{Channel, OrderStatus, TouchpointKind, customer, order, touchpoint};
use sea_orm::sea_query::{Alias, Cond, Expr, ExprTrait, IntoIden, Query, SelectStatement};

/// The alias of the answered touchpoint in the conditions.
pub const TOUCHPOINT: &str = "t";
/// The alias of the answering customer in the conditions.
pub const CUSTOMER: &str = "c";
const ORDER: &str = "o";

fn col(table: &str, column: impl IntoIden) -> Expr {
    Expr::col((Alias::new(table), column))
}

/// Conditions on the answered touchpoint (`t`): its kind, its channel, its order's status (a
/// semi-join, so planners keep driving from the answers or touchpoints rather than from every order of
/// the status). None when no such condition is set; then answers without a touchpoint (relationship
/// surveys) match too, otherwise they never do.
pub fn touchpoint_condition(
    kinds: Option<&[TouchpointKind]>,
    channels: Option<&[Channel]>,
    order_statuses: Option<&[OrderStatus]>,
) -> Option<Cond> {
    if kinds.is_none() && channels.is_none() && order_statuses.is_none() {
        return None;
    }
    let mut cond = Cond::all();
    if let Some(kinds) = kinds {
        cond =
            cond.add(col(TOUCHPOINT, touchpoint::Column::Kind).is_in(kinds.iter().map(|k| sea_orm::Value::from(*k))));
    }
    if let Some(channels) = channels {
        let channels = channels.iter().map(|c| sea_orm::Value::from(*c));
        cond = cond.add(col(TOUCHPOINT, touchpoint::Column::Channel).is_in(channels));
    }
    if let Some(statuses) = order_statuses {
        let of_status = Query::select()
            .expr(Expr::val(1))
            .from_as(order::Entity, Alias::new(ORDER))
            .and_where(col(ORDER, order::Column::Id).equals((Alias::new(TOUCHPOINT), touchpoint::Column::OrderId)))
            .and_where(col(ORDER, order::Column::Status).is_in(statuses.iter().map(|s| sea_orm::Value::from(*s))))
            .to_owned();
        cond = cond.add(Expr::exists(of_status));
    }
    Some(cond)
}

/// Conditions on the answering customer (`c`): segment and region. None when neither is set.
pub fn customer_condition(segments: Option<&[String]>, regions: Option<&[String]>) -> Option<Cond> {
    if segments.is_none() && regions.is_none() {
        return None;
    }
    let mut cond = Cond::all();
    if let Some(segments) = segments {
        cond = cond.add(col(CUSTOMER, customer::Column::Segment).is_in(segments.iter().cloned()));
    }
    if let Some(regions) = regions {
        cond = cond.add(col(CUSTOMER, customer::Column::Region).is_in(regions.iter().cloned()));
    }
    Some(cond)
}

/// `SELECT t.id FROM touchpoints t WHERE <condition>`: the touchpoints (and so the answers) that match.
pub fn touchpoints_where(condition: Cond) -> SelectStatement {
    Query::select()
        .column((Alias::new(TOUCHPOINT), touchpoint::Column::Id))
        .from_as(touchpoint::Entity, Alias::new(TOUCHPOINT))
        .cond_where(condition)
        .to_owned()
}

/// `SELECT c.id FROM customers c WHERE <segment and region>`: the customers whose rows match; None when
/// neither is set.
pub fn customers_matching(segments: Option<&[String]>, regions: Option<&[String]>) -> Option<SelectStatement> {
    let condition = customer_condition(segments, regions)?;
    Some(
        Query::select()
            .column((Alias::new(CUSTOMER), customer::Column::Id))
            .from_as(customer::Entity, Alias::new(CUSTOMER))
            .cond_where(condition)
            .to_owned(),
    )
}
