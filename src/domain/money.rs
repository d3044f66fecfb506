//! Money as integer minor units: formatting to and parsing from exact decimal strings.

use crate::domain::currency::Currency;
use crate::error::AppError;

/// Formats minor units as a decimal string in major units: 1250 EUR -> "12.50", 1250 JPY -> "1250".
pub fn format_minor_units(minor: i64, currency: Currency) -> String {
    let digits = currency.minor_digits;
    if digits == 0 {
        return minor.to_string();
    }
    let scale = 10_u64.pow(digits);
    let abs = minor.unsigned_abs();
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = digits as usize)
}

/// Parses a decimal string in major units ("12.50") into minor units, exactly: more fraction digits
/// than the currency has are an error, not a rounding.
pub fn parse_major_units(field: &str, raw: &str, currency: Currency) -> Result<i64, AppError> {
    let invalid =
        |why: &str| AppError::bad_input(field, format!("'{raw}' is not a valid {} amount: {why}", currency.code));
    let (negative, unsigned) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("expected digits with an optional '.' and fraction"));
    }
    if unsigned.contains('.') && fraction.is_empty() {
        return Err(invalid("a '.' must be followed by digits"));
    }
    if fraction.len() > currency.minor_digits as usize {
        return Err(invalid(&format!("at most {} decimal places", currency.minor_digits)));
    }
    let padded = format!("{whole}{fraction:0<width$}", width = currency.minor_digits as usize);
    let magnitude = padded.parse::<i64>().map_err(|_| invalid("too large"))?;
    Ok(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn currency(code: &str) -> Currency {
        Currency::find(code).unwrap()
    }

    #[test]
    fn formats_by_minor_digits() {
        assert_eq!(format_minor_units(1250, currency("EUR")), "12.50");
        assert_eq!(format_minor_units(-5, currency("EUR")), "-0.05");
        assert_eq!(format_minor_units(1250, currency("JPY")), "1250");
        assert_eq!(format_minor_units(1_250, currency("KWD")), "1.250");
        assert_eq!(format_minor_units(i64::MIN, currency("USD")), "-92233720368547758.08");
    }

    #[test]
    fn parses_exactly_or_refuses() {
        assert_eq!(parse_major_units("amount", "12.5", currency("EUR")).unwrap(), 1250);
        assert_eq!(parse_major_units("amount", "12", currency("EUR")).unwrap(), 1200);
        assert_eq!(parse_major_units("amount", "-0.05", currency("EUR")).unwrap(), -5);
        assert_eq!(parse_major_units("amount", "1250", currency("JPY")).unwrap(), 1250);
        for bad in ["12.505", "1e3", "", ".5", "12.", "1,5", "99999999999999999999"] {
            assert!(parse_major_units("amount", bad, currency("EUR")).is_err(), "{bad}");
        }
    }

    #[test]
    fn format_and_parse_round_trip() {
        for minor in [0, 1, 99, 100, 123_456_789, -42] {
            for code in ["EUR", "JPY", "BHD", "CLF"] {
                let text = format_minor_units(minor, currency(code));
                assert_eq!(parse_major_units("a", &text, currency(code)).unwrap(), minor);
            }
        }
    }
}
