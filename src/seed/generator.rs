//! Generates the synthetic data set, one customer at a time, as plain entity models with their ids
//! already assigned (the target tables are empty). Pure: no I/O, so tests run without a database.
//!
//! The shape: about a third of customers buy once; the others come back with a probability that follows
//! their last experience, so detractors repurchase less than promoters. Scores depend on the touchpoint
//! kind, the channel and the customer. Complaints follow bad answers, returns and support contacts
//! (`complaints`).

mod complaints;

use chrono::{DateTime, Duration, TimeZone, Utc};
use entity::{Channel, OrderStatus, SurveyMetric, TouchpointKind, complaint, customer, feedback, order, touchpoint};

use crate::seed::rng::Rng;

/// The generated data spans these (fixed, so a seed always gives the same rows).
pub fn span() -> (DateTime<Utc>, DateTime<Utc>) {
    (Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2026, 10, 31, 0, 0, 0).unwrap())
}

/// One customer with everything that happened to them.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CustomerBundle {
    pub customer: Option<customer::Model>,
    pub orders: Vec<order::Model>,
    pub touchpoints: Vec<touchpoint::Model>,
    pub feedback: Vec<feedback::Model>,
    pub complaints: Vec<complaint::Model>,
}

pub struct Generator {
    rng: Rng,
    seed: u64,
    next_customer: i64,
    next_order: i64,
    next_touchpoint: i64,
    next_feedback: i64,
    next_complaint: i64,
    pulse_surveys_per_year: f64,
    /// Pulse surveys draw from their own stream, so adding them leaves every other row as it was.
    pulse_rng: Rng,
    /// Complaints too, drawn once the customer's journey is known: every other row stays as it was.
    complaint_rng: Rng,
    /// When the rows are stored: their `recorded_at` and `updated_at` (no part of the data set).
    written_at: DateTime<Utc>,
}

const FIRST_NAMES: &[&str] = &[
    "Ada", "Ben", "Chloe", "Diego", "Emma", "Farah", "Gustav", "Hana", "Ivan", "Julia", "Kenji", "Lea", "Mateo",
    "Nora", "Omar", "Priya",
];
const LAST_NAMES: &[&str] = &[
    "Almeida", "Berg", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Kowalski", "Lopez",
    "Meyer", "Novak",
];
const SEGMENTS: &[(&str, f64)] = &[("consumer", 0.70), ("smb", 0.22), ("enterprise", 0.08)];
const REGIONS: &[(&str, f64)] = &[("EMEA", 0.38), ("NA", 0.32), ("APAC", 0.20), ("LATAM", 0.10)];
const GOOD_COMMENTS: &[&str] = &[
    "Fast and friendly, thank you!",
    "Everything arrived as promised.",
    "Great support, solved in minutes.",
    "Love the product.",
];
const BAD_COMMENTS: &[&str] =
    &["Took far too long.", "Nobody answered my question.", "The parcel was damaged.", "Refund still not processed."];

fn currency_for(region: &str, rng: &mut Rng) -> &'static str {
    let options: &[(&'static str, f64)] = match region {
        "EMEA" => &[("EUR", 0.8), ("GBP", 0.2)],
        "NA" => &[("USD", 1.0)],
        "APAC" => &[("JPY", 0.6), ("AUD", 0.4)],
        _ => &[("BRL", 0.7), ("USD", 0.3)],
    };
    let &currency = rng.weighted(options);
    currency
}

/// How good a touchpoint of this kind usually feels (0..1).
fn kind_base(kind: TouchpointKind) -> f64 {
    use TouchpointKind::*;
    match kind {
        OrderConfirmation => 0.80,
        Shipping => 0.72,
        Delivery => 0.78,
        Onboarding => 0.70,
        ProductUsage => 0.68,
        Support => 0.58,
        FollowUp => 0.70,
        Return => 0.45,
        ReviewRequest => 0.72,
        LoyaltyProgram => 0.76,
    }
}

fn channel_adjustment(channel: Channel) -> f64 {
    use Channel::*;
    match channel {
        Phone => 0.06,
        Chat => 0.03,
        MobileApp => 0.04,
        InStore => 0.05,
        Sms => 0.02,
        Email | Web => 0.0,
        Social => -0.12,
    }
}

/// The survey a touchpoint of this kind sends, and how often it sends one.
fn survey_for(kind: TouchpointKind, rng: &mut Rng) -> (SurveyMetric, f64) {
    use TouchpointKind::*;
    match kind {
        OrderConfirmation => (SurveyMetric::Csat, 0.15),
        Shipping => (SurveyMetric::Csat, 0.20),
        Delivery => (SurveyMetric::Csat, 0.60),
        Support => (SurveyMetric::Ces, 0.80),
        Return => (SurveyMetric::Ces, 0.70),
        FollowUp => (SurveyMetric::Nps, 0.90),
        ReviewRequest | Onboarding => (SurveyMetric::Nps, 0.50),
        ProductUsage => (if rng.chance(0.5) { SurveyMetric::Csat } else { SurveyMetric::Nps }, 0.30),
        LoyaltyProgram => (SurveyMetric::Nps, 0.30),
    }
}

/// Maps a latent satisfaction in 0..1 onto the metric's scale.
fn score(metric: SurveyMetric, satisfaction: f64) -> i32 {
    let (low, high) = metric.score_range();
    let s = satisfaction.clamp(0.0, 1.0);
    low + (s * f64::from(high - low)).round() as i32
}

impl Generator {
    /// The data set of `seed`, its rows stored at `written_at`.
    pub fn new(seed: u64, written_at: DateTime<Utc>) -> Self {
        Generator {
            rng: Rng::new(seed),
            seed,
            next_customer: 1,
            next_order: 1,
            next_touchpoint: 1,
            next_feedback: 1,
            next_complaint: 1,
            pulse_surveys_per_year: 0.0,
            pulse_rng: Rng::new(seed ^ 0x7075_6c73_6573),
            complaint_rng: Rng::new(seed ^ 0x636f_6d70_6c61_696e),
            written_at,
        }
    }

    /// Adds relationship NPS surveys at about this many per customer and year (none by default; without
    /// them the random sequence, and so the data set, is unchanged).
    pub fn with_pulse_surveys(mut self, per_year: f64) -> Self {
        self.pulse_surveys_per_year = per_year.max(0.0);
        self
    }

    fn seconds(&mut self, from: DateTime<Utc>, max_seconds: i64) -> DateTime<Utc> {
        from + Duration::seconds(self.rng.range(0, max_seconds.max(0)))
    }

    pub fn next_customer(&mut self) -> CustomerBundle {
        let (start, end) = span();
        let index = self.next_customer;
        self.next_customer += 1;
        let first = FIRST_NAMES[self.rng.range(0, FIRST_NAMES.len() as i64 - 1) as usize];
        let last = LAST_NAMES[self.rng.range(0, LAST_NAMES.len() as i64 - 1) as usize];
        let segment = *self.rng.weighted(SEGMENTS);
        let region = *self.rng.weighted(REGIONS);
        let created_at = self.seconds(start, (end - start).num_seconds() - 60 * 86_400);
        let customer = customer::Model {
            id: index,
            external_id: format!("C{}-{index:06}", self.seed),
            name: format!("{first} {last}"),
            email: format!("{}.{}{index}@example.com", first.to_lowercase(), last.to_lowercase()),
            segment: segment.to_owned(),
            region: region.to_owned(),
            created_at,
            recorded_at: self.written_at,
            updated_at: self.written_at,
        };
        let mut bundle = CustomerBundle { customer: Some(customer), ..Default::default() };
        let bias = self.rng.normal() * 0.10;
        let currency = currency_for(region, &mut self.rng);
        let one_time_buyer = self.rng.chance(0.35);
        let mean_gap_days = match segment {
            "enterprise" => 45,
            "smb" => 70,
            _ => 110,
        };
        let mut placed_at = self.seconds(created_at, 30 * 86_400);
        for order_number in 0..15 {
            if placed_at >= end {
                break;
            }
            let experience = self.order(&mut bundle, index, placed_at, currency, segment, bias, order_number == 0);
            // A bad experience makes a next order both less likely and later; a good one, likelier and sooner.
            let comes_back = (1.4 * experience - 0.3).clamp(0.03, 0.95);
            if one_time_buyer || !self.rng.chance(comes_back) {
                break;
            }
            let hesitation = (1.6 - experience).clamp(0.6, 1.6);
            let gap_days = (mean_gap_days as f64 * hesitation * (0.3 + 1.4 * self.rng.unit())) as i64;
            placed_at = self.seconds(placed_at + Duration::days(gap_days), 86_400);
        }
        if !bundle.orders.is_empty() && self.rng.chance(0.15) {
            // A relationship survey: NPS about the company, not about one touchpoint.
            let first_order = bundle.orders[0].placed_at;
            let at = self.seconds(first_order, (end - first_order).num_seconds());
            let satisfaction = 0.72 + bias + self.rng.normal() * 0.18;
            self.answer(&mut bundle, index, None, SurveyMetric::Nps, satisfaction, at);
        }
        if self.pulse_surveys_per_year > 0.0 && !bundle.orders.is_empty() {
            std::mem::swap(&mut self.rng, &mut self.pulse_rng);
            let mean_gap_seconds = 365.0 * 86_400.0 / self.pulse_surveys_per_year;
            let mut at = bundle.orders[0].placed_at;
            loop {
                at += Duration::seconds((mean_gap_seconds * (0.5 + self.rng.unit())) as i64);
                if at >= end {
                    break;
                }
                let satisfaction = 0.72 + bias + self.rng.normal() * 0.18;
                self.answer(&mut bundle, index, None, SurveyMetric::Nps, satisfaction, at);
            }
            std::mem::swap(&mut self.rng, &mut self.pulse_rng);
        }
        let first_complaint = self.next_complaint;
        bundle.complaints = complaints::of(&bundle, &mut self.complaint_rng, self.seed, first_complaint);
        self.next_complaint += bundle.complaints.len() as i64;
        bundle
    }

    /// Generates one order and its touchpoints; returns how the order felt (0..1).
    #[allow(clippy::too_many_arguments)]
    fn order(
        &mut self,
        bundle: &mut CustomerBundle,
        customer_id: i64,
        placed_at: DateTime<Utc>,
        currency: &str,
        segment: &str,
        bias: f64,
        first_order: bool,
    ) -> f64 {
        let (_, end) = span();
        let id = self.next_order;
        self.next_order += 1;
        let age = end - placed_at;
        let status = if age < Duration::days(3) {
            OrderStatus::Placed
        } else if age < Duration::days(7) {
            OrderStatus::Fulfilled
        } else {
            *self.rng.weighted(&[
                (OrderStatus::Delivered, 0.90),
                (OrderStatus::Cancelled, 0.04),
                (OrderStatus::Returned, 0.06),
            ])
        };
        let major = match segment {
            "enterprise" => 1200.0,
            "smb" => 250.0,
            _ => 60.0,
        } * self.rng.log_normal(0.5);
        let total_amount_minor =
            if currency == "JPY" { (major * 150.0).round() as i64 } else { (major * 100.0).round() as i64 };
        bundle.orders.push(order::Model {
            id,
            external_id: format!("O{}-{id:07}", self.seed),
            customer_id,
            placed_at,
            status,
            total_amount_minor: total_amount_minor.max(100),
            currency: currency.to_owned(),
            recorded_at: self.written_at,
            updated_at: self.written_at,
        });

        use Channel::*;
        use TouchpointKind::*;
        let mut plan: Vec<(TouchpointKind, Channel, i64)> = vec![(OrderConfirmation, Email, 60)];
        let delivered = matches!(status, OrderStatus::Delivered | OrderStatus::Returned);
        if status != OrderStatus::Cancelled && status != OrderStatus::Placed {
            let channel = *self.rng.weighted(&[(Email, 0.5), (Sms, 0.3), (MobileApp, 0.2)]);
            plan.push((Shipping, channel, self.rng.range(86_400, 2 * 86_400)));
        }
        if delivered {
            let channel = *self.rng.weighted(&[(Sms, 0.4), (MobileApp, 0.35), (Email, 0.25)]);
            plan.push((Delivery, channel, self.rng.range(3 * 86_400, 6 * 86_400)));
            if first_order && self.rng.chance(0.3) {
                plan.push((Onboarding, *self.rng.weighted(&[(Email, 0.5), (Web, 0.5)]), 7 * 86_400));
            }
            if self.rng.chance(0.25) {
                plan.push((
                    ProductUsage,
                    *self.rng.weighted(&[(Web, 0.5), (MobileApp, 0.5)]),
                    self.rng.range(14 * 86_400, 30 * 86_400),
                ));
            }
            if self.rng.chance(0.35) {
                plan.push((ReviewRequest, Email, 10 * 86_400));
            }
            if self.rng.chance(0.4) {
                plan.push((FollowUp, Email, 21 * 86_400));
            }
        }
        if self.rng.chance(if status == OrderStatus::Cancelled { 0.3 } else { 0.18 }) {
            let channel = *self.rng.weighted(&[(Phone, 0.3), (Chat, 0.35), (Email, 0.25), (Social, 0.1)]);
            plan.push((Support, channel, self.rng.range(5 * 86_400, 20 * 86_400)));
        }
        if status == OrderStatus::Returned {
            plan.push((
                Return,
                *self.rng.weighted(&[(InStore, 0.4), (Web, 0.6)]),
                self.rng.range(10 * 86_400, 20 * 86_400),
            ));
        }
        if !first_order && self.rng.chance(0.1) {
            plan.push((
                LoyaltyProgram,
                *self.rng.weighted(&[(Email, 0.5), (MobileApp, 0.5)]),
                self.rng.range(86_400, 40 * 86_400),
            ));
        }
        plan.sort_by_key(|(_, _, offset)| *offset);

        let mut felt = Vec::new();
        for (kind, channel, offset) in plan {
            let occurred_at = placed_at + Duration::seconds(offset);
            if occurred_at >= end {
                continue;
            }
            let satisfaction = kind_base(kind) + channel_adjustment(channel) + bias + self.rng.normal() * 0.18;
            felt.push(satisfaction.clamp(0.0, 1.0));
            let (metric, send_rate) = survey_for(kind, &mut self.rng);
            // A survey that would go out after the end of the span is not sent: every timestamp stays inside.
            let survey_sent_at = self
                .rng
                .chance(send_rate)
                .then(|| occurred_at + Duration::seconds(self.rng.range(300, 6 * 3600)))
                .filter(|sent| *sent < end);
            let touchpoint_id = self.next_touchpoint;
            self.next_touchpoint += 1;
            // Loyalty-program touchpoints belong to the customer, not to the order that preceded them.
            let order_id = (kind != LoyaltyProgram).then_some(id);
            bundle.touchpoints.push(touchpoint::Model {
                id: touchpoint_id,
                external_id: format!("T{}-{touchpoint_id:08}", self.seed),
                customer_id,
                order_id,
                kind,
                channel,
                occurred_at,
                survey_sent_at,
                recorded_at: self.written_at,
                updated_at: self.written_at,
            });
            if let Some(sent) = survey_sent_at {
                let answer_rate = if matches!(channel, Phone | Chat) { 0.4 } else { 0.3 };
                if self.rng.chance(answer_rate) {
                    let at = sent + Duration::seconds(self.rng.range(300, 3 * 86_400));
                    if at < end {
                        self.answer(bundle, customer_id, Some(touchpoint_id), metric, satisfaction, at);
                    }
                }
            }
        }
        // The worst moment weighs most in how an order is remembered.
        let worst = felt.iter().copied().fold(1.0, f64::min);
        let average = if felt.is_empty() { 0.7 } else { felt.iter().sum::<f64>() / felt.len() as f64 };
        0.5 * worst + 0.5 * average
    }

    fn answer(
        &mut self,
        bundle: &mut CustomerBundle,
        customer_id: i64,
        touchpoint_id: Option<i64>,
        metric: SurveyMetric,
        satisfaction: f64,
        submitted_at: DateTime<Utc>,
    ) {
        let id = self.next_feedback;
        self.next_feedback += 1;
        let comment = self.rng.chance(0.25).then(|| {
            let pool = if satisfaction >= 0.65 { GOOD_COMMENTS } else { BAD_COMMENTS };
            pool[self.rng.range(0, pool.len() as i64 - 1) as usize].to_owned()
        });
        bundle.feedback.push(feedback::Model {
            id,
            external_id: format!("F{}-{id:08}", self.seed),
            customer_id,
            touchpoint_id,
            metric,
            score: score(metric, satisfaction),
            comment,
            submitted_at,
            recorded_at: self.written_at,
            updated_at: self.written_at,
        });
    }
}
