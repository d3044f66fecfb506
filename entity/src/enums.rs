//! Enumerations stored as upper-case strings (the GraphQL enum names), so the database stays readable and
//! the same values work on SQLite and PostgreSQL. Each column also has a CHECK constraint in the migration.

use sea_orm::entity::prelude::*;

/// Life-cycle state of an order.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum OrderStatus {
    #[sea_orm(string_value = "PLACED")]
    Placed,
    #[sea_orm(string_value = "FULFILLED")]
    Fulfilled,
    #[sea_orm(string_value = "DELIVERED")]
    Delivered,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
    #[sea_orm(string_value = "RETURNED")]
    Returned,
}

/// The moment of the post-purchase journey a touchpoint belongs to.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum TouchpointKind {
    #[sea_orm(string_value = "ORDER_CONFIRMATION")]
    OrderConfirmation,
    #[sea_orm(string_value = "SHIPPING")]
    Shipping,
    #[sea_orm(string_value = "DELIVERY")]
    Delivery,
    #[sea_orm(string_value = "ONBOARDING")]
    Onboarding,
    #[sea_orm(string_value = "PRODUCT_USAGE")]
    ProductUsage,
    #[sea_orm(string_value = "SUPPORT")]
    Support,
    #[sea_orm(string_value = "FOLLOW_UP")]
    FollowUp,
    #[sea_orm(string_value = "RETURN")]
    Return,
    #[sea_orm(string_value = "REVIEW_REQUEST")]
    ReviewRequest,
    #[sea_orm(string_value = "LOYALTY_PROGRAM")]
    LoyaltyProgram,
}

/// The medium through which a touchpoint reached the customer.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Channel {
    #[sea_orm(string_value = "EMAIL")]
    Email,
    #[sea_orm(string_value = "SMS")]
    Sms,
    #[sea_orm(string_value = "PHONE")]
    Phone,
    #[sea_orm(string_value = "CHAT")]
    Chat,
    #[sea_orm(string_value = "WEB")]
    Web,
    #[sea_orm(string_value = "MOBILE_APP")]
    MobileApp,
    #[sea_orm(string_value = "IN_STORE")]
    InStore,
    #[sea_orm(string_value = "SOCIAL")]
    Social,
}

/// The survey question of an answer; it fixes the score scale.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum SurveyMetric {
    #[sea_orm(string_value = "NPS")]
    Nps,
    #[sea_orm(string_value = "CSAT")]
    Csat,
    #[sea_orm(string_value = "CES")]
    Ces,
}

impl SurveyMetric {
    /// The inclusive score range of the metric's scale (`docs/metrics.md`, "Survey scales"): NPS 0-10,
    /// CSAT 1-5, CES 1-7. The one definition that input validation, the statistics and the seed read;
    /// the CHECK constraint the migration created holds the database to the same ranges.
    pub const fn score_range(self) -> (i32, i32) {
        match self {
            SurveyMetric::Nps => (0, 10),
            SurveyMetric::Csat => (1, 5),
            SurveyMetric::Ces => (1, 7),
        }
    }
}

/// What a complaint is about.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ComplaintCategory {
    #[sea_orm(string_value = "DELIVERY")]
    Delivery,
    #[sea_orm(string_value = "PRODUCT_DEFECT")]
    ProductDefect,
    #[sea_orm(string_value = "BILLING")]
    Billing,
    #[sea_orm(string_value = "RETURN_REFUND")]
    ReturnRefund,
    #[sea_orm(string_value = "SERVICE")]
    Service,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// Where a complaint stands in its handling.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum ComplaintStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "IN_PROGRESS")]
    InProgress,
    #[sea_orm(string_value = "RESOLVED")]
    Resolved,
    #[sea_orm(string_value = "UNRESOLVED_CLOSED")]
    UnresolvedClosed,
}

impl ComplaintStatus {
    /// Whether the complaint is closed, resolved or not: it then has a closing time and an outcome.
    pub const fn is_closed(self) -> bool {
        matches!(self, ComplaintStatus::Resolved | ComplaintStatus::UnresolvedClosed)
    }
}

/// What a closed complaint gave the customer.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ComplaintOutcome {
    #[sea_orm(string_value = "REFUND")]
    Refund,
    #[sea_orm(string_value = "REPLACEMENT")]
    Replacement,
    #[sea_orm(string_value = "EXPLANATION")]
    Explanation,
    #[sea_orm(string_value = "NONE")]
    None,
}

/// The kind of a row that has a global ID: what a deletion's tombstone (`deletion`) names.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum NodeType {
    #[sea_orm(string_value = "CUSTOMER")]
    Customer,
    #[sea_orm(string_value = "ORDER")]
    Order,
    #[sea_orm(string_value = "TOUCHPOINT")]
    Touchpoint,
    #[sea_orm(string_value = "FEEDBACK")]
    Feedback,
    #[sea_orm(string_value = "COMPLAINT")]
    Complaint,
}
