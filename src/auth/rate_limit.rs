//! A token bucket per API key, filled with query cost: a key may spend `burst` points at once and
//! regains `per_second` points each second. A request is charged its requested cost before it runs and
//! refunded the part it did not use, like large public GraphQL APIs do.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The default budget of a key: two queries of the highest default cost (500,000) at once, and 2,000
/// points a second (120,000 a minute: 120 insight queries of cost 1,000, or 20 full nested pages of
/// 50 customers × 5 orders × 5 touchpoints × 5 answers); a stream of maximal queries gets one every
/// four minutes.
pub const DEFAULT_RATE_LIMIT: RateLimit = RateLimit { burst: 1_000_000.0, per_second: 2_000.0 };

#[derive(Copy, Clone, Debug, PartialEq)]
pub struct RateLimit {
    /// Bucket size: the most a key can spend at once.
    pub burst: f64,
    /// Points regained per second. Zero turns rate limiting off.
    pub per_second: f64,
}

/// A bucket's state after a charge, for the response's `extensions.cost.throttleStatus`.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Throttle {
    pub maximum_available: f64,
    pub currently_available: f64,
    pub restore_rate: f64,
}

#[derive(Clone)]
pub struct RateLimiter {
    limit: RateLimit,
    buckets: Arc<Mutex<HashMap<String, (f64, Instant)>>>,
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        RateLimiter { limit, buckets: Arc::default() }
    }

    pub fn is_enabled(&self) -> bool {
        self.limit.per_second > 0.0
    }

    /// Takes `cost` points from `key`'s bucket; `Err(seconds)` says when enough will be back.
    pub fn charge(&self, key: &str, cost: f64) -> Result<Throttle, f64> {
        self.charge_at(key, cost, Instant::now())
    }

    /// Gives back points charged but not used.
    pub fn refund(&self, key: &str, points: f64) {
        if let Ok(mut buckets) = self.buckets.lock()
            && let Some((available, _)) = buckets.get_mut(key)
        {
            *available = (*available + points).min(self.limit.burst);
        }
    }

    pub fn status(&self, key: &str) -> Throttle {
        let available = self.buckets.lock().ok().and_then(|b| b.get(key).map(|(a, _)| *a)).unwrap_or(self.limit.burst);
        self.throttle(available)
    }

    fn throttle(&self, available: f64) -> Throttle {
        Throttle {
            maximum_available: self.limit.burst,
            currently_available: available.floor(),
            restore_rate: self.limit.per_second,
        }
    }

    fn charge_at(&self, key: &str, cost: f64, now: Instant) -> Result<Throttle, f64> {
        if !self.is_enabled() {
            return Ok(self.throttle(self.limit.burst));
        }
        let Ok(mut buckets) = self.buckets.lock() else { return Ok(self.throttle(self.limit.burst)) };
        let (available, last) = buckets.entry(key.to_owned()).or_insert((self.limit.burst, now));
        let refill = now.saturating_duration_since(*last).as_secs_f64() * self.limit.per_second;
        *available = (*available + refill).min(self.limit.burst);
        *last = now;
        if cost > self.limit.burst {
            // Never affordable: the cost limit rejects such queries first, but say so clearly anyway.
            return Err(f64::INFINITY);
        }
        if cost > *available {
            return Err((cost - *available) / self.limit.per_second);
        }
        *available -= cost;
        Ok(self.throttle(*available))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_bucket_empties_refills_and_keys_are_separate() {
        let limiter = RateLimiter::new(RateLimit { burst: 100.0, per_second: 10.0 });
        let start = Instant::now();
        assert_eq!(limiter.charge_at("a", 60.0, start).unwrap().currently_available, 40.0);
        let wait = limiter.charge_at("a", 60.0, start).unwrap_err();
        assert!((wait - 2.0).abs() < 1e-9, "{wait}");
        assert!(limiter.charge_at("b", 60.0, start).is_ok(), "another key has its own bucket");
        assert!(limiter.charge_at("a", 60.0, start + Duration::from_secs(2)).is_ok());
        limiter.refund("a", 1000.0);
        assert_eq!(limiter.status("a").currently_available, 100.0, "refunds stop at the bucket size");
        assert!(RateLimiter::new(RateLimit { burst: 1.0, per_second: 0.0 }).charge("a", 1e9).is_ok());
    }
}
