//! Slows down a client address that keeps failing authentication: each address may fail `BURST` times,
//! then once per `REFILL`; past that its requests get 429 with `Retry-After` before their key is even
//! looked at, so guessing keys costs time and a flood of bad keys costs the server almost nothing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Failures an address may have before it is slowed down.
const BURST: f64 = 20.0;
/// One more failure allowed per this much time.
const REFILL: Duration = Duration::from_secs(1);
/// Addresses remembered at most; past that the oldest knowledge is dropped (an attacker with many
/// addresses is the network's problem, not this table's).
const CAPACITY: usize = 100_000;

#[derive(Clone, Default)]
pub struct AuthFailures(Arc<Mutex<HashMap<IpAddr, (f64, Instant)>>>);

impl AuthFailures {
    /// `Err(seconds)` when `address` must wait before trying again.
    pub fn check(&self, address: IpAddr) -> Result<(), u64> {
        self.check_at(address, Instant::now())
    }

    /// Counts a failed authentication of `address`.
    pub fn record(&self, address: IpAddr) {
        self.record_at(address, Instant::now());
    }

    fn check_at(&self, address: IpAddr, now: Instant) -> Result<(), u64> {
        let Ok(table) = self.0.lock() else { return Ok(()) };
        match table.get(&address) {
            Some((allowance, since)) if allowance_at(*allowance, *since, now) < 1.0 => {
                let missing = 1.0 - allowance_at(*allowance, *since, now);
                Err((missing * REFILL.as_secs_f64()).ceil().max(1.0) as u64)
            }
            _ => Ok(()),
        }
    }

    fn record_at(&self, address: IpAddr, now: Instant) {
        let Ok(mut table) = self.0.lock() else { return };
        if table.len() >= CAPACITY && !table.contains_key(&address) {
            table.clear();
        }
        let (allowance, since) = table.entry(address).or_insert((BURST, now));
        *allowance = allowance_at(*allowance, *since, now) - 1.0;
        *since = now;
    }
}

fn allowance_at(allowance: f64, since: Instant, now: Instant) -> f64 {
    (allowance + now.saturating_duration_since(since).as_secs_f64() / REFILL.as_secs_f64()).min(BURST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_that_keeps_failing_waits_and_others_do_not() {
        let failures = AuthFailures::default();
        let (bad, good) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let start = Instant::now();
        for _ in 0..BURST as usize {
            assert!(failures.check_at(bad, start).is_ok());
            failures.record_at(bad, start);
        }
        assert_eq!(failures.check_at(bad, start), Err(1));
        assert!(failures.check_at(good, start).is_ok());
        assert!(failures.check_at(bad, start + REFILL).is_ok(), "one more try after a refill");
    }
}
