//! A small, fast, seedable PRNG (SplitMix64). Written here rather than taken from `rand` so the data set
//! for a given seed can never change under a dependency upgrade.

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in [low, high].
    pub fn range(&mut self, low: i64, high: i64) -> i64 {
        let span = (high - low + 1) as u64;
        low + (self.next_u64() % span) as i64
    }

    /// Picks an item by weight.
    pub fn weighted<'a, T>(&mut self, items: &'a [(T, f64)]) -> &'a T {
        let total: f64 = items.iter().map(|(_, w)| w).sum();
        let mut pick = self.unit() * total;
        for (item, weight) in items {
            if pick < *weight {
                return item;
            }
            pick -= weight;
        }
        &items[items.len() - 1].0
    }

    /// Approximately normal (Irwin-Hall with 12 uniforms), mean 0, sd 1. Bounded to [-6, 6], which keeps
    /// every derived value (amounts, gaps, scores) finite and predictable.
    pub fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }

    /// Log-normal with median 1: `e^(sigma * normal)`.
    pub fn log_normal(&mut self, sigma: f64) -> f64 {
        exp(self.normal() * sigma)
    }
}

/// `e^x` from IEEE 754 basic operations only. `f64::exp` comes from the platform's libm, whose last bit
/// may differ between systems; that could flip the rounding of an amount and so change the data set of a
/// seed from one machine to another. Accurate to a few ulp for the small arguments used here.
pub fn exp(x: f64) -> f64 {
    use std::f64::consts::LN_2;
    // e^x = 2^k * e^r with |r| <= ln 2 / 2; the Taylor series of e^r converges to full precision by n = 18.
    let k = (x / LN_2).round();
    let r = x - k * LN_2;
    let (mut term, mut sum) = (1.0, 1.0);
    for n in 1..=18 {
        term *= r / f64::from(n);
        sum += term;
    }
    // 2^k built from its bits: exact, unlike a call to `powi`. |k| stays far inside the normal exponents.
    let k = (k as i64).clamp(-1000, 1000);
    sum * f64::from_bits(((1023 + k) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_other_seed_other_sequence() {
        let a: Vec<u64> = (0..5).scan(Rng::new(1), |r, _| Some(r.next_u64())).collect();
        let b: Vec<u64> = (0..5).scan(Rng::new(1), |r, _| Some(r.next_u64())).collect();
        let c: Vec<u64> = (0..5).scan(Rng::new(2), |r, _| Some(r.next_u64())).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn the_portable_exp_agrees_with_libm() {
        for i in -4000..=4000 {
            let x = f64::from(i) / 500.0;
            let (ours, libm) = (exp(x), x.exp());
            assert!(((ours - libm) / libm).abs() < 1e-15, "exp({x}): {ours} vs {libm}");
        }
        assert_eq!(exp(0.0), 1.0);
    }

    #[test]
    fn ranges_stay_in_bounds() {
        let mut rng = Rng::new(crate::test_seed::test_seed());
        for _ in 0..10_000 {
            assert!((0.0..1.0).contains(&rng.unit()));
            assert!((-2..=2).contains(&rng.range(-2, 2)));
        }
    }
}
