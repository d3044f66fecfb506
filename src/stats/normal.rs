//! The standard normal distribution: CDF and two-sided p-values.

/// The standard normal CDF, accurate to about 1e-14 (Hart 1968, as given by G. West, "Better
/// approximations to cumulative normal functions", 2005). `erf` is not in Rust's standard library.
pub fn cdf(x: f64) -> f64 {
    let abs = x.abs();
    let tail = if abs > 37.0 {
        0.0
    } else {
        let exponential = (-abs * abs / 2.0).exp();
        if abs < 7.071_067_811_865_47 {
            let numerator = [
                3.526_249_659_989_11e-2,
                0.700_383_064_443_688,
                6.373_962_203_531_65,
                33.912_866_078_383,
                112.079_291_497_871,
                221.213_596_169_931,
                220.206_867_912_376,
            ]
            .iter()
            .fold(0.0, |acc, c| acc * abs + c);
            let denominator = [
                8.838_834_764_831_84e-2,
                1.755_667_163_182_64,
                16.064_177_579_207,
                86.780_732_202_946_1,
                296.564_248_779_674,
                637.333_633_378_831,
                793.826_512_519_948,
                440.413_735_824_752,
            ]
            .iter()
            .fold(0.0, |acc, c| acc * abs + c);
            exponential * numerator / denominator
        } else {
            let continued = abs + 1.0 / (abs + 2.0 / (abs + 3.0 / (abs + 4.0 / (abs + 0.65))));
            exponential / continued / 2.506_628_274_631
        }
    };
    if x > 0.0 { 1.0 - tail } else { tail }
}

/// The two-sided p-value of a z statistic: P(|Z| >= |z|).
pub fn two_sided_p(z: f64) -> f64 {
    (2.0 * cdf(-z.abs())).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_reference_values() {
        // Reference values from the closed form 0.5 * erfc(-x / sqrt(2)), computed to 16 digits.
        for (x, expected) in [
            (0.0, 0.5),
            (1.0, 0.841_344_746_068_542_9),
            (-1.0, 0.158_655_253_931_457_05),
            (-3.0, 0.001_349_898_031_630_094_6),
            (2.5, 0.993_790_334_674_223_6),
            (-8.0, 6.220_960_574_271_785e-16),
        ] {
            let got = cdf(x);
            assert!((got - expected).abs() <= 1e-14_f64.max(expected * 1e-9), "cdf({x}) = {got}, expected {expected}");
        }
    }

    #[test]
    fn two_sided_p_values() {
        assert!((two_sided_p(crate::stats::Z_95) - 0.05).abs() < 1e-6);
        assert!((two_sided_p(-crate::stats::Z_95) - 0.05).abs() < 1e-6);
        assert_eq!(two_sided_p(0.0), 1.0);
        assert!(two_sided_p(40.0) < 1e-300);
    }
}
