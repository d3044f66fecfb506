//! One check per rule, on one value. Values that arrive as text (the import's cells) are parsed here
//! too, so a parse error reads the same whatever file format it came in.

use chrono::{DateTime, Utc};
use entity::ComplaintStatus;
use sea_orm::ActiveEnum;

use crate::domain::currency::Currency;
use crate::domain::money::parse_major_units;
use crate::domain::time::parse_timestamp;
use crate::domain::validation::{Field, Invalid, RecordKind, Rule};
use crate::error::AppError;

/// A required text: trimmed, not blank, at most `max` characters, no NUL.
pub fn text(field: Field, value: &str, max: usize) -> Result<String, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Invalid::new(field, Rule::Required));
    }
    bounded(value, max).map_err(|rule| Invalid::new(field, rule))?;
    Ok(value.to_owned())
}

/// An optional text: blank means none; otherwise as [`text`].
pub fn optional_text(field: Field, value: Option<&str>, max: usize) -> Result<Option<String>, Invalid> {
    value.filter(|v| !v.trim().is_empty()).map(|v| text(field, v, max)).transpose()
}

/// At most `max` characters and no NUL (which PostgreSQL text cannot hold): for every text a client
/// sends to be stored or matched.
pub fn bounded(value: &str, max: usize) -> Result<(), Rule> {
    if value.chars().count() > max {
        return Err(Rule::TooLong { max });
    }
    if value.contains('\0') {
        return Err(Rule::Nul);
    }
    Ok(())
}

/// The shape of an e-mail address: something, `@`, a domain with a dot inside, no whitespace.
pub fn email(value: &str) -> Result<String, Invalid> {
    let email = text(Field::Email, value, super::MAX_EMAIL)?;
    let (local, domain) = email.split_once('@').unwrap_or(("", ""));
    if local.is_empty()
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || email.contains(char::is_whitespace)
    {
        return Err(Invalid::new(Field::Email, Rule::NotEmail));
    }
    Ok(email)
}

/// A score on its metric's scale.
pub fn score(metric: entity::SurveyMetric, score: i32) -> Result<i32, Invalid> {
    let (low, high) = metric.score_range();
    if (low..=high).contains(&score) {
        Ok(score)
    } else {
        Err(Invalid::new(Field::Score, Rule::OffScale { metric, score }))
    }
}

/// A batch of at most [`MAX_BATCH`](super::MAX_BATCH) records.
pub fn batch_size(len: usize) -> Result<(), Invalid> {
    if len > super::MAX_BATCH { Err(Invalid::whole(Rule::TooMany { actual: len })) } else { Ok(()) }
}

/// A survey is sent when or after its touchpoint happens.
pub fn survey_sent_at(
    occurred_at: DateTime<Utc>,
    sent: Option<DateTime<Utc>>,
) -> Result<Option<DateTime<Utc>>, Invalid> {
    match sent {
        Some(sent) if sent < occurred_at => Err(Invalid::new(Field::SurveySentAt, Rule::SurveyBeforeTouchpoint)),
        _ => Ok(sent),
    }
}

/// A complaint's handling, in order and as its status says (the CHECK constraints of the complaints
/// table hold the database to the same): nothing happens before the complaint is opened, nothing closes
/// it before its first response; an OPEN complaint has no response, an IN_PROGRESS one has one but is
/// not closed, a closed one (RESOLVED or UNRESOLVED_CLOSED) has a response, a closing time and an outcome.
pub fn complaint_handling(
    opened_at: DateTime<Utc>,
    first_response_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    status: ComplaintStatus,
    has_outcome: bool,
) -> Result<(), Invalid> {
    for (field, at) in [(Field::FirstResponseAt, first_response_at), (Field::ResolvedAt, resolved_at)] {
        if at.is_some_and(|at| at < opened_at) {
            return Err(Invalid::new(field, Rule::BeforeOpening));
        }
    }
    if let (Some(responded), Some(closed)) = (first_response_at, resolved_at)
        && closed < responded
    {
        return Err(Invalid::new(Field::ResolvedAt, Rule::BeforeFirstResponse));
    }
    let closed = status.is_closed();
    let expected = [
        (Field::FirstResponseAt, first_response_at.is_some(), status != ComplaintStatus::Open),
        (Field::ResolvedAt, resolved_at.is_some(), closed),
        (Field::Outcome, has_outcome, closed),
    ];
    for (field, present, needed) in expected {
        match (present, needed) {
            (false, true) => return Err(Invalid::new(field, Rule::NeededByStatus { status })),
            (true, false) => return Err(Invalid::new(field, Rule::ExcludedByStatus { status })),
            _ => {}
        }
    }
    Ok(())
}

/// The status a complaint is closed with: RESOLVED or UNRESOLVED_CLOSED.
pub fn closing_status(status: ComplaintStatus) -> Result<ComplaintStatus, Invalid> {
    if status.is_closed() { Ok(status) } else { Err(Invalid::new(Field::Status, Rule::NotClosing)) }
}

/// An amount in major units (`12.50`) as minor units, exactly: no more decimals than `currency` has.
pub fn amount(raw: &str, currency: Currency) -> Result<i64, Invalid> {
    parse_major_units(Field::TotalAmount.name(), raw, currency)
        .map_err(|e| Invalid::new(Field::TotalAmount, Rule::NotAmount { why: reason(e) }))
}

/// An ISO 4217 currency code.
pub fn currency(code: &str) -> Result<Currency, Invalid> {
    Currency::find(code).ok_or_else(|| Invalid::new(Field::Currency, Rule::NotCurrency { code: code.to_owned() }))
}

/// An RFC 3339 timestamp, in UTC.
pub fn timestamp(field: Field, raw: &str) -> Result<DateTime<Utc>, Invalid> {
    parse_timestamp(field.name(), raw).map_err(|e| Invalid::new(field, Rule::NotTimestamp { why: reason(e) }))
}

pub fn whole_number(field: Field, raw: &str) -> Result<i32, Invalid> {
    raw.parse().map_err(|_| Invalid::new(field, Rule::NotWholeNumber { raw: raw.to_owned() }))
}

/// One of an enumeration's values, as the data spells them (`DELIVERED`).
pub fn one_of<T: ActiveEnum<Value = String>>(field: Field, raw: &str) -> Result<T, Invalid> {
    T::try_from_value(&raw.to_owned())
        .map_err(|_| Invalid::new(field, Rule::NotOneOf { raw: raw.to_owned(), known: T::values() }))
}

/// A reference to a `kind` record, found as `found` if it exists.
pub fn existing<T>(field: Field, kind: RecordKind, external_id: &str, found: Option<T>) -> Result<T, Invalid> {
    found.ok_or_else(|| Invalid::new(field, Rule::Unknown { kind, external_id: external_id.to_owned() }))
}

/// A reference from a record of `customer` (its id and external id) to a `kind` record, found as
/// `found` (its id and its customer's id, if it exists): the referenced id, when the record exists and
/// is the same customer's.
pub fn foreign_reference(
    field: Field,
    kind: RecordKind,
    external_id: &str,
    found: Option<(i64, i64)>,
    (customer_id, customer): (i64, &str),
) -> Result<i64, Invalid> {
    let (id, owner) = existing(field, kind, external_id, found)?;
    if owner != customer_id {
        let rule = Rule::OtherCustomers { kind, external_id: external_id.to_owned(), customer: customer.to_owned() };
        return Err(Invalid::new(field, rule));
    }
    Ok(id)
}

/// The message of a domain parser's error, without its field (the refusal names the field).
fn reason(error: AppError) -> String {
    match error {
        AppError::BadUserInput { message, .. } => message,
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mail_addresses_need_a_local_part_and_a_dotted_domain() {
        for good in ["ada@example.com", " a.b+c@mail.example.org "] {
            assert!(email(good).is_ok(), "{good}");
        }
        for bad in ["not-an-email", "a@b", "@example.com", "a@.com", "a@example.", "a b@example.com"] {
            assert_eq!(email(bad), Err(Invalid::new(Field::Email, Rule::NotEmail)), "{bad}");
        }
        assert_eq!(email("  "), Err(Invalid::new(Field::Email, Rule::Required)));
    }

    #[test]
    fn scores_stay_on_their_metric_s_scale() {
        use entity::SurveyMetric::{Ces, Csat, Nps};
        for (metric, good, bad) in [(Nps, [0, 10], [-1, 11]), (Csat, [1, 5], [0, 6]), (Ces, [1, 7], [0, 8])] {
            for score in good {
                assert_eq!(super::score(metric, score), Ok(score));
            }
            for score in bad {
                assert!(super::score(metric, score).is_err(), "{metric:?} {score}");
            }
        }
        let refusal = super::score(Nps, 11).unwrap_err();
        assert_eq!(refusal.to_string(), "score: NPS scores are 0 to 10, not 11");
    }

    #[test]
    fn texts_are_trimmed_bounded_and_free_of_nul() {
        assert_eq!(text(Field::Name, "  Ada ", 3), Ok("Ada".to_owned()));
        assert_eq!(text(Field::Name, "Ada!", 3), Err(Invalid::new(Field::Name, Rule::TooLong { max: 3 })));
        assert_eq!(text(Field::Name, "A\0", 3), Err(Invalid::new(Field::Name, Rule::Nul)));
        assert_eq!(optional_text(Field::Comment, Some("  "), 3), Ok(None));
    }

    #[test]
    fn a_complaint_s_handling_is_in_order_and_matches_its_status() {
        use ComplaintStatus::{InProgress, Open, Resolved, UnresolvedClosed};
        let t = |hours: i64| DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::hours(hours);
        assert_eq!(complaint_handling(t(1), None, None, Open, false), Ok(()));
        assert_eq!(complaint_handling(t(1), Some(t(1)), None, InProgress, false), Ok(()));
        assert_eq!(complaint_handling(t(1), Some(t(2)), Some(t(2)), Resolved, true), Ok(()));
        assert_eq!(complaint_handling(t(1), Some(t(2)), Some(t(9)), UnresolvedClosed, true), Ok(()));
        let refused = |first, closed, status, outcome| complaint_handling(t(5), first, closed, status, outcome);
        assert_eq!(
            refused(Some(t(4)), None, InProgress, false),
            Err(Invalid::new(Field::FirstResponseAt, Rule::BeforeOpening))
        );
        assert_eq!(
            refused(Some(t(6)), Some(t(4)), Resolved, true),
            Err(Invalid::new(Field::ResolvedAt, Rule::BeforeOpening))
        );
        assert_eq!(
            refused(Some(t(7)), Some(t(6)), Resolved, true),
            Err(Invalid::new(Field::ResolvedAt, Rule::BeforeFirstResponse))
        );
        assert_eq!(
            refused(Some(t(6)), None, Open, false),
            Err(Invalid::new(Field::FirstResponseAt, Rule::ExcludedByStatus { status: Open }))
        );
        assert_eq!(
            refused(Some(t(6)), None, Resolved, true),
            Err(Invalid::new(Field::ResolvedAt, Rule::NeededByStatus { status: Resolved }))
        );
        let refusal = refused(Some(t(6)), Some(t(7)), InProgress, false).unwrap_err();
        assert_eq!(refusal.to_string(), "resolved_at: must be empty while the status is IN_PROGRESS");
        assert_eq!(closing_status(Open), Err(Invalid::new(Field::Status, Rule::NotClosing)));
    }

    #[test]
    fn references_must_exist_and_be_the_same_customer_s() {
        let reference = |found| foreign_reference(Field::OrderExternalId, RecordKind::Order, "O-1", found, (1, "C-1"));
        assert_eq!(reference(Some((7, 1))), Ok(7));
        assert_eq!(reference(None).unwrap_err().to_string(), "order_external_id: no order with external id 'O-1'");
        assert_eq!(
            reference(Some((7, 2))).unwrap_err().rule.to_string(),
            "order 'O-1' belongs to another customer than 'C-1'"
        );
    }
}
