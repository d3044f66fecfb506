//! What a model's field holds when its page did not select the column (`pagination::Columns`): a page
//! whose nodes read only some fields selects and decodes only their columns. Such a model only reaches
//! the fields that read the selected columns (`graphql::prefetch` decides which pages may), so a
//! placeholder is never shown; it is the cheapest value of its type, not a meaningful one.

use chrono::{DateTime, Utc};
use entity::{Channel, ComplaintCategory, ComplaintStatus, OrderStatus, SurveyMetric, TouchpointKind};

pub trait Placeholder {
    fn placeholder() -> Self;
}

macro_rules! placeholders {
    ($($type:ty => $value:expr),+ $(,)?) => {
        $(impl Placeholder for $type {
            fn placeholder() -> Self {
                $value
            }
        })+
    };
}

placeholders!(
    i32 => 0,
    i64 => 0,
    String => String::new(),
    DateTime<Utc> => DateTime::UNIX_EPOCH,
    OrderStatus => OrderStatus::Placed,
    TouchpointKind => TouchpointKind::OrderConfirmation,
    Channel => Channel::Email,
    SurveyMetric => SurveyMetric::Nps,
    ComplaintCategory => ComplaintCategory::Delivery,
    ComplaintStatus => ComplaintStatus::Open,
);

impl<T> Placeholder for Option<T> {
    fn placeholder() -> Self {
        None
    }
}
