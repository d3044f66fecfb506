//! Random choices for the randomized tests, all drawn from one seed (`test_seed`) so a failure replays.

use chrono::{DateTime, Duration, TimeZone, Utc};
use customer_insights::services::writes::CustomerWrite;
use entity::{Channel, OrderStatus, SurveyMetric, TouchpointKind, customer};

/// xorshift64*: small, deterministic, good enough to pick test cases.
pub struct Pick(u64);

impl Pick {
    pub fn new(seed: u64) -> Pick {
        // xorshift never leaves the state 0.
        Pick(seed.max(1))
    }

    pub fn draw(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.draw() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.draw() % 100 < percent
    }

    pub fn one<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A random non-empty subset, or None (no filter).
    pub fn subset<T: Clone>(&mut self, items: &[T]) -> Option<Vec<T>> {
        if self.chance(60) {
            return None;
        }
        let picked: Vec<T> = items.iter().filter(|_| self.chance(40)).cloned().collect();
        Some(if picked.is_empty() { vec![self.one(items).clone()] } else { picked })
    }

    /// An instant in the seeded span: on a year, month or day boundary, or on a random second.
    pub fn instant(&mut self) -> DateTime<Utc> {
        let day = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + Duration::days(self.below(1030) as i64);
        match self.below(4) {
            0 => Utc.with_ymd_and_hms(*self.one(&[2024, 2025, 2026]), 1, 1, 0, 0, 0).unwrap(),
            1 => Utc.with_ymd_and_hms(2025, 1 + self.below(12) as u32, 1, 0, 0, 0).unwrap(),
            2 => day,
            _ => day + Duration::seconds(self.below(86_400) as i64),
        }
    }

    /// A score on `metric`'s scale.
    pub fn score(&mut self, metric: SurveyMetric) -> i32 {
        let (low, high) = metric.score_range();
        low + self.below((high - low + 1) as usize) as i32
    }

    /// `customer` moved to a random segment and region, the rest unchanged.
    pub fn moved_customer(&mut self, customer: customer::Model) -> CustomerWrite {
        CustomerWrite {
            external_id: customer.external_id,
            name: customer.name,
            email: customer.email,
            segment: self.one(&SEGMENTS).to_string(),
            region: self.one(&REGIONS).to_string(),
            created_at: customer.created_at,
        }
    }
}

pub const KINDS: [TouchpointKind; 10] = [
    TouchpointKind::OrderConfirmation,
    TouchpointKind::Shipping,
    TouchpointKind::Delivery,
    TouchpointKind::Onboarding,
    TouchpointKind::ProductUsage,
    TouchpointKind::Support,
    TouchpointKind::FollowUp,
    TouchpointKind::Return,
    TouchpointKind::ReviewRequest,
    TouchpointKind::LoyaltyProgram,
];
pub const CHANNELS: [Channel; 8] = [
    Channel::Email,
    Channel::Sms,
    Channel::Phone,
    Channel::Chat,
    Channel::Web,
    Channel::MobileApp,
    Channel::InStore,
    Channel::Social,
];
pub const STATUSES: [OrderStatus; 5] = [
    OrderStatus::Placed,
    OrderStatus::Fulfilled,
    OrderStatus::Delivered,
    OrderStatus::Cancelled,
    OrderStatus::Returned,
];
pub const METRICS: [SurveyMetric; 3] = [SurveyMetric::Nps, SurveyMetric::Csat, SurveyMetric::Ces];
pub const SEGMENTS: [&str; 4] = ["consumer", "smb", "enterprise", "public"];
pub const REGIONS: [&str; 4] = ["EMEA", "NA", "APAC", "LATAM"];
