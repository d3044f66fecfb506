//! Custom scalars: timestamps, exact decimals and currency codes.

use async_graphql::{Description, InputValueError, InputValueResult, Scalar, ScalarType, SimpleObject, Value};
use chrono::Utc;

use crate::domain::currency::Currency;
use crate::domain::money::format_minor_units;
use crate::domain::time::{format_timestamp, parse_timestamp};

/// A point in time, RFC 3339. Input accepts any offset and is converted to UTC (and truncated to
/// microseconds); output is always UTC with a `Z` suffix, e.g. `2026-01-31T12:00:00Z`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Description)]
pub struct DateTime(pub chrono::DateTime<Utc>);

#[Scalar(name = "DateTime", specified_by_url = "https://www.rfc-editor.org/rfc/rfc3339", use_type_description)]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(raw) => parse_timestamp("value", raw)
                .map(DateTime)
                .map_err(|_| InputValueError::custom(format!("'{raw}' is not an RFC 3339 timestamp with an offset"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(format_timestamp(self.0))
    }
}

/// An exact decimal number as a string, e.g. `"12.50"`: never a float, so no cent is ever lost. The form
/// is XML Schema's decimal without a leading `+`: an optional `-`, digits, optionally `.` and digits.
#[derive(Clone, Debug, PartialEq, Eq, Description)]
pub struct Decimal(pub String);

#[Scalar(name = "Decimal", specified_by_url = "https://www.w3.org/TR/xmlschema11-2/#decimal", use_type_description)]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(raw) if is_decimal(&raw) => Ok(Decimal(raw)),
            Value::String(raw) => {
                Err(InputValueError::custom(format!("'{raw}' is not a decimal number such as 12.50")))
            }
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

fn is_decimal(raw: &str) -> bool {
    let unsigned = raw.strip_prefix('-').unwrap_or(raw);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && (whole.len() + fraction.len()) <= 40
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// An ISO 4217 currency code, e.g. `EUR`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Description)]
pub struct CurrencyCode(pub Currency);

#[Scalar(
    name = "CurrencyCode",
    specified_by_url = "https://www.iso.org/iso-4217-currency-codes.html",
    use_type_description
)]
impl ScalarType for CurrencyCode {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(raw) => Currency::find(raw)
                .map(CurrencyCode)
                .ok_or_else(|| InputValueError::custom(format!("'{raw}' is not an ISO 4217 currency code"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.code.to_owned())
    }
}

/// An amount of money in one currency. Amounts are never summed across currencies.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct Money {
    /// The amount in major units as an exact decimal, with as many decimals as the currency has
    /// (`12.50` EUR, `1250` JPY).
    pub amount: Decimal,
    /// The ISO 4217 currency of `amount`.
    pub currency: CurrencyCode,
}

impl Money {
    /// Builds a money value from stored minor units (`Currency::stored`).
    pub fn from_minor(minor: i64, currency_code: &str) -> Self {
        let currency = Currency::stored(currency_code);
        Money { amount: Decimal(format_minor_units(minor, currency)), currency: CurrencyCode(currency) }
    }

    /// A money value from a computed amount in major units (an average, a CLV), rounded half to even to
    /// the currency's minor unit, as an amount of money is shown.
    pub fn from_major_rounded(major: f64, currency_code: &str) -> Self {
        let digits = Currency::stored(currency_code).minor_digits as i32;
        Money::from_minor((major * 10f64.powi(digits)).round_ties_even() as i64, currency_code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computed_money_is_rounded_half_to_even_to_the_minor_unit() {
        let amount = |major: f64, code: &str| Money::from_major_rounded(major, code).amount.0;
        assert_eq!(amount(63.713_114, "EUR"), "63.71");
        assert_eq!(amount(0.125, "EUR"), "0.12");
        assert_eq!(amount(0.375, "EUR"), "0.38");
        assert_eq!(amount(1204.5, "JPY"), "1204");
        assert_eq!(amount(-2.5, "JPY"), "-2");
    }
}
