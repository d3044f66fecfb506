//! The Gauss hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1, as the BG/NBD expectations use it.
//!
//! Its power series `sum_n (a)_n (b)_n / ((c)_n n!) z^n` converges for |z| < 1, but for a heavy buyer
//! (a = r + x with x in the hundreds) its terms first grow by a factor of about `x z / n` each: the value
//! can exceed f64 long before the series settles. The sum is therefore kept scaled: whenever the running
//! term or sum grows past `RESCALE`, both are divided by it and its logarithm is carried apart, so the
//! result comes out as a logarithm (and a sign) whatever its size. The callers multiply it by a power
//! that is tiny where the function is huge, in log space too.

use super::ClvError;

/// The logarithm of a value's magnitude and its sign (+1 or -1).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Scaled {
    pub ln_abs: f64,
    pub sign: f64,
}

impl Scaled {
    /// The value itself (overflows to infinity, or to 0, past f64's range).
    pub fn value(self) -> f64 {
        self.sign * self.ln_abs.exp()
    }
}

/// Relative size of the remaining tail at which the series stops.
const TOLERANCE: f64 = 1e-16;
/// The most terms summed; a series still going after that is reported, not truncated.
const MAX_TERMS: u32 = 2_000_000;
/// When the running term or sum passes this, both are scaled down by it.
const RESCALE: f64 = 1e200;

/// 2F1(a, b; c; z) for 0 <= z < 1, as a logarithm and a sign. `c` must not be 0 or a negative integer
/// (a term would divide by zero); an error when the series has not converged within its budget.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<Scaled, ClvError> {
    let diverged = || ClvError::Series { a, b, c, z };
    let valid = (0.0..1.0).contains(&z) && [a, b, c].iter().all(|v| v.is_finite());
    if !valid || (c <= 0.0 && c.fract() == 0.0) {
        return Err(diverged());
    }
    // The ratio of term n + 1 to term n.
    let ratio_at = |n: f64| (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z;
    let largest_parameter = a.abs().max(b.abs()).max(c.abs());
    let (mut term, mut sum, mut ln_scale) = (1.0_f64, 1.0_f64, 0.0_f64);
    let mut ratio = ratio_at(0.0);
    for n in 0..MAX_TERMS {
        let n = f64::from(n);
        term *= ratio;
        sum += term;
        if term.abs() > RESCALE || sum.abs() > RESCALE {
            term /= RESCALE;
            sum /= RESCALE;
            ln_scale += RESCALE.ln();
        }
        if term == 0.0 {
            // A polynomial: a or b is a non-positive integer.
            return finish(sum, ln_scale).ok_or_else(diverged);
        }
        // Past the parameters the ratio of successive terms tends to z monotonically, so the terms
        // still to come are bounded by a geometric series of ratio max(next ratio, z) < 1.
        ratio = ratio_at(n + 1.0);
        let bound = ratio.abs().max(z);
        if n + 1.0 >= largest_parameter && bound < 1.0 && term.abs() * bound / (1.0 - bound) <= TOLERANCE * sum.abs() {
            return finish(sum, ln_scale).ok_or_else(diverged);
        }
    }
    Err(diverged())
}

fn finish(sum: f64, ln_scale: f64) -> Option<Scaled> {
    (sum != 0.0 && sum.is_finite()).then(|| Scaled { ln_abs: sum.abs().ln() + ln_scale, sign: sum.signum() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(a: f64, b: f64, c: f64, z: f64) -> f64 {
        hyp2f1(a, b, c, z).unwrap().value()
    }

    fn close(actual: f64, expected: f64, relative: f64) {
        assert!((actual - expected).abs() <= relative * expected.abs(), "{actual} vs {expected}");
    }

    #[test]
    fn closed_forms_agree() {
        for z in [0.0_f64, 0.1, 0.5, 0.9, 0.99] {
            // 2F1(1, 1; 2; z) = -ln(1 - z) / z
            let expected = if z == 0.0 { 1.0 } else { -(1.0 - z).ln() / z };
            close(value(1.0, 1.0, 2.0, z), expected, 1e-13);
            // 2F1(a, b; b; z) = (1 - z)^-a
            close(value(2.5, 3.0, 3.0, z), (1.0 - z).powf(-2.5), 1e-13);
            // 2F1(1/2, 1; 3/2; z^2) = atanh(z) / z
            let expected = if z == 0.0 { 1.0 } else { z.atanh() / z };
            close(value(0.5, 1.0, 1.5, z * z), expected, 1e-13);
        }
    }

    #[test]
    fn huge_values_come_out_as_logarithms() {
        // (1 - z)^-a for a = 2000: e^1386, far past f64, as its logarithm.
        let scaled = hyp2f1(2000.0, 7.0, 7.0, 0.5).unwrap();
        close(scaled.ln_abs, -2000.0 * 0.5_f64.ln(), 1e-12);
        assert_eq!(scaled.sign, 1.0);
        assert!(scaled.value().is_infinite());
    }

    #[test]
    fn a_negative_c_gives_the_sign_too() {
        // 2F1(a, b; b; z) = (1 - z)^-a holds for any b that is not a non-positive integer, c = b < 0 here.
        close(value(1.5, -0.5, -0.5, 0.3), 0.7_f64.powf(-1.5), 1e-12);
        assert!(hyp2f1(1.0, 1.0, -2.0, 0.5).is_err(), "c a negative integer");
        assert!(hyp2f1(1.0, 1.0, 2.0, 1.0).is_err(), "z outside [0, 1)");
    }
}
