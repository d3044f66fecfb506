//! The complaints of one generated customer, drawn from their own random stream once the customer's
//! journey is known, so the rest of the data set does not change with them.
//!
//! Most complaints follow a bad answer (NPS detractor, CSAT not satisfied, CES not easy: the answer
//! raises the complaint), the others a return or a support contact, and a few come out of the blue. A
//! complaint is answered within minutes to days, then resolved, closed unresolved or left open.
//!
//! How a complaint is handled goes with what the customer did afterwards: one who ordered again within
//! `RECOVERY_DAYS` of it, or whose next NPS answer was no detractor's, was more often handled well (a
//! quick response, resolved within two days). Drawing the handling given the behaviour keeps the journey's
//! rows as they are and gives the data the shape the recovery insights look for: well-handled complaints
//! are followed by more repurchases. Complaints too recent for the customer to have come back are handled
//! well or not at even odds.

use chrono::{DateTime, Duration, Utc};
use entity::{
    Channel, ComplaintCategory, ComplaintOutcome, ComplaintStatus, SurveyMetric, TouchpointKind, complaint, feedback,
    touchpoint,
};

use crate::seed::generator::{CustomerBundle, span};
use crate::seed::rng::Rng;

/// How long after a complaint a next order counts as the customer coming back.
const RECOVERY_DAYS: i64 = 180;

/// What a complaint follows: its time, channel, order, answer and what it is about.
struct Trigger {
    at: DateTime<Utc>,
    channel: Channel,
    order_id: Option<i64>,
    feedback_id: Option<i64>,
    category: ComplaintCategory,
    /// The chance that it leads to a complaint.
    chance: f64,
}

/// Whether an answer is a bad one: NPS detractor, CSAT not satisfied, CES not easy.
fn bad(answer: &feedback::Model) -> bool {
    match answer.metric {
        SurveyMetric::Nps => answer.score <= 6,
        SurveyMetric::Csat => answer.score <= 3,
        SurveyMetric::Ces => answer.score <= 4,
    }
}

/// What a complaint about a moment of this kind is about.
fn category_of(kind: TouchpointKind, rng: &mut Rng) -> ComplaintCategory {
    use ComplaintCategory::*;
    match kind {
        TouchpointKind::Shipping | TouchpointKind::Delivery => Delivery,
        TouchpointKind::Onboarding | TouchpointKind::ProductUsage => ProductDefect,
        TouchpointKind::Support => Service,
        TouchpointKind::Return => ReturnRefund,
        TouchpointKind::OrderConfirmation => Billing,
        _ => *rng.weighted(&[(ProductDefect, 0.35), (Service, 0.25), (Billing, 0.15), (Other, 0.25)]),
    }
}

/// What a resolved complaint of this category gives the customer.
fn outcome_of(category: ComplaintCategory, rng: &mut Rng) -> ComplaintOutcome {
    use ComplaintOutcome::*;
    match category {
        ComplaintCategory::ReturnRefund => *rng.weighted(&[(Refund, 0.85), (Explanation, 0.15)]),
        ComplaintCategory::ProductDefect => *rng.weighted(&[(Replacement, 0.55), (Refund, 0.35), (Explanation, 0.1)]),
        ComplaintCategory::Delivery => *rng.weighted(&[(Replacement, 0.4), (Refund, 0.2), (Explanation, 0.4)]),
        ComplaintCategory::Billing => *rng.weighted(&[(Refund, 0.6), (Explanation, 0.4)]),
        ComplaintCategory::Service | ComplaintCategory::Other => *rng.weighted(&[(Explanation, 0.8), (Refund, 0.2)]),
    }
}

/// The moments of the journey a complaint may follow, in time order.
fn triggers(bundle: &CustomerBundle, rng: &mut Rng) -> Vec<Trigger> {
    let touchpoint = |id: i64| bundle.touchpoints.iter().find(|t| t.id == id);
    let mut found = Vec::new();
    for answer in bundle.feedback.iter().filter(|a| bad(a)) {
        let at = answer.touchpoint_id.and_then(touchpoint);
        let category = match at {
            Some(t) => category_of(t.kind, rng),
            None => category_of(TouchpointKind::LoyaltyProgram, rng),
        };
        let chance = match (answer.metric, answer.score) {
            (SurveyMetric::Nps, 0..=3) => 0.55,
            (SurveyMetric::Nps, _) => 0.3,
            _ => 0.25,
        };
        found.push(Trigger {
            at: answer.submitted_at,
            channel: at.map_or(Channel::Email, |t| t.channel),
            order_id: at.and_then(|t| t.order_id),
            feedback_id: Some(answer.id),
            category,
            chance,
        });
    }
    let answered = |t: &touchpoint::Model| bundle.feedback.iter().any(|a| a.touchpoint_id == Some(t.id) && bad(a));
    for t in bundle.touchpoints.iter().filter(|t| !answered(t)) {
        let chance = match t.kind {
            TouchpointKind::Return => 0.3,
            TouchpointKind::Support => 0.12,
            TouchpointKind::Delivery => 0.004,
            _ => continue,
        };
        let category = category_of(t.kind, rng);
        found.push(Trigger {
            at: t.occurred_at,
            channel: t.channel,
            order_id: t.order_id,
            feedback_id: None,
            category,
            chance,
        });
    }
    found.sort_by_key(|t| t.at);
    found
}

/// Whether the customer came back after `opened_at`: an order within `RECOVERY_DAYS`, or a next NPS
/// answer that is no detractor's. None when the span ends too soon to tell.
fn came_back(bundle: &CustomerBundle, opened_at: DateTime<Utc>) -> Option<bool> {
    let (_, end) = span();
    let until = opened_at + Duration::days(RECOVERY_DAYS);
    if until >= end {
        return None;
    }
    let ordered = bundle.orders.iter().any(|o| o.placed_at > opened_at && o.placed_at <= until);
    let next_nps = bundle
        .feedback
        .iter()
        .filter(|a| a.metric == SurveyMetric::Nps && a.submitted_at > opened_at)
        .min_by_key(|a| a.submitted_at);
    Some(ordered || next_nps.is_some_and(|a| a.score >= 7))
}

/// How a complaint was handled.
struct Handling {
    first_response_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    status: ComplaintStatus,
    outcome: Option<ComplaintOutcome>,
}

/// The handling of a complaint opened at `opened_at`; what would happen after the end of the span has not
/// happened yet.
fn handling(rng: &mut Rng, opened_at: DateTime<Utc>, category: ComplaintCategory, well: bool) -> Handling {
    let (_, end) = span();
    let (responded, closed) = if well {
        let responded = opened_at + Duration::seconds(rng.range(5 * 60, 4 * 3600));
        let closed = responded + Duration::seconds(rng.range(30 * 60, 40 * 3600));
        (Some(responded), Some((closed, ComplaintStatus::Resolved)))
    } else {
        let responded = (!rng.chance(0.12)).then(|| opened_at + Duration::seconds(rng.range(86_400, 5 * 86_400)));
        let closed = responded.and_then(|responded| {
            let closing = *rng.weighted(&[
                (Some(ComplaintStatus::Resolved), 0.45),
                (Some(ComplaintStatus::UnresolvedClosed), 0.3),
                (None, 0.25),
            ]);
            closing.map(|status| (responded + Duration::seconds(rng.range(2 * 86_400, 25 * 86_400)), status))
        });
        (responded, closed)
    };
    let responded = responded.filter(|t| *t < end);
    let closed = closed.filter(|(t, _)| *t < end && responded.is_some());
    let open = |status| Handling { first_response_at: responded, resolved_at: None, status, outcome: None };
    match (responded, closed) {
        (None, _) => open(ComplaintStatus::Open),
        (Some(_), None) => open(ComplaintStatus::InProgress),
        (Some(_), Some((closed, status))) => {
            let outcome = if status == ComplaintStatus::Resolved {
                outcome_of(category, rng)
            } else {
                *rng.weighted(&[(ComplaintOutcome::None, 0.7), (ComplaintOutcome::Explanation, 0.3)])
            };
            Handling { first_response_at: responded, resolved_at: Some(closed), status, outcome: Some(outcome) }
        }
    }
}

/// The complaints of `bundle`, with ids from `first_id` on.
pub fn of(bundle: &CustomerBundle, rng: &mut Rng, seed: u64, first_id: i64) -> Vec<complaint::Model> {
    let Some(customer) = &bundle.customer else { return Vec::new() };
    let (_, end) = span();
    let mut made = Vec::new();
    for trigger in triggers(bundle, rng) {
        if !rng.chance(trigger.chance) {
            continue;
        }
        let opened_at = trigger.at + Duration::seconds(rng.range(5 * 60, 2 * 86_400));
        if opened_at >= end {
            continue;
        }
        let chance_well = match came_back(bundle, opened_at) {
            Some(true) => 0.75,
            Some(false) => 0.3,
            None => 0.5,
        };
        let well = rng.chance(chance_well);
        let Handling { first_response_at, resolved_at, status, outcome } =
            handling(rng, opened_at, trigger.category, well);
        let id = first_id + made.len() as i64;
        made.push(complaint::Model {
            id,
            external_id: format!("CMP{seed}-{id:07}"),
            customer_id: customer.id,
            order_id: trigger.order_id,
            feedback_id: trigger.feedback_id,
            category: trigger.category,
            channel: trigger.channel,
            opened_at,
            first_response_at,
            resolved_at,
            status,
            outcome,
        });
    }
    made
}
