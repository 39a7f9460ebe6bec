//! AWS's "legacy parsing" stage, which runs after the shape and version checks and reports
//! `The policy failed legacy parsing`: an `Effect` not spelled exactly `Allow` or `Deny`, and
//! a Date condition value the old parser cannot read. (The resource half of this stage, too
//! few ARN fields, is in `resource_arn`.)
//!
//! The date grammar is AWS's lenient one, not ISO 8601: epoch seconds as a non-negative
//! 64-bit integer, or (when the value holds a `T` or a `-`, in any case) a date of one to
//! three `-`-separated numbers (year -292275054..=292278993, month 1..=12, day 1..=31),
//! optionally followed by `T` and a time `h[:m[:s[.fraction]]]` with at most nine fraction
//! digits and an optional zone `Z`, `±hh`, `±hhmm` or `±hh:mm`. So `01T` and `-292275054`
//! pass while `2016-12-13T2:00:00.5+1` does not.

use crate::error::PolicyError;
use crate::operator::Family;
use crate::syntax::RawStatement;

/// The legacy checks of one statement: Effect case, then Date condition values.
pub(crate) fn check_statement(st: &RawStatement<'_>) -> Result<(), PolicyError> {
    check_effect(st)?;
    check_dates(st)
}

/// `Effect` spelled exactly `Allow` or `Deny` (evaluation reads anything else as Deny, so
/// this holds even where AWS's other rules are off: `crate::ParseOptions::aws_rules`).
pub(crate) fn check_effect(st: &RawStatement<'_>) -> Result<(), PolicyError> {
    if st.effect != "Allow" && st.effect != "Deny" {
        return Err(PolicyError::legacy(
            &format!(
                "(Effect \"{}\" must be spelled \"Allow\" or \"Deny\")",
                st.effect
            ),
            st.loc().with_element("Effect"),
        ));
    }
    Ok(())
}

/// Date condition values AWS's legacy parser reads.
fn check_dates(st: &RawStatement<'_>) -> Result<(), PolicyError> {
    for block in &st.conditions {
        if block.op.base.family() != Family::Date {
            continue;
        }
        for (key, values) in &block.keys {
            if let Some(bad) = values.iter().find(|v| !is_date(v)) {
                return Err(PolicyError::legacy(
                    &format!(
                        "(condition {} value \"{bad}\" for key \"{key}\" is not a date or \
                         epoch seconds)",
                        block.name
                    ),
                    st.loc().with_element("Condition"),
                ));
            }
        }
    }
    Ok(())
}

/// True when AWS's legacy parser reads `text` as a Date condition value.
pub(crate) fn is_date(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    if lower.contains(['t', '-']) {
        iso_like(&lower)
    } else {
        all_digits(&lower) && lower.parse::<i64>().is_ok()
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A number of one to `max` digits within `range`.
fn number(s: &str, max: usize, range: std::ops::RangeInclusive<i64>) -> bool {
    all_digits(s) && s.len() <= max && s.parse::<i64>().is_ok_and(|n| range.contains(&n))
}

fn iso_like(lower: &str) -> bool {
    let (date, time) = match lower.split_once('t') {
        Some((d, t)) => (d, Some(t)),
        None => (lower, None),
    };
    let (negative, body) = match date.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, date),
    };
    let parts: Vec<&str> = body.split('-').collect();
    if parts.len() > 3 || !all_digits(parts[0]) {
        return false;
    }
    let year = match parts[0].parse::<i64>() {
        Ok(y) if negative => -y,
        Ok(y) => y,
        Err(_) => return false,
    };
    if !(-292_275_054..=292_278_993).contains(&year) {
        return false;
    }
    if parts.get(1).is_some_and(|m| !number(m, 2, 1..=12))
        || parts.get(2).is_some_and(|d| !number(d, 2, 1..=31))
    {
        return false;
    }
    time.is_none_or(time_ok)
}

fn time_ok(time: &str) -> bool {
    if time.is_empty() {
        return true;
    }
    let (clock, zone) = match time.find(['z', '+', '-']) {
        Some(i) => time.split_at(i),
        None => (time, ""),
    };
    let (hms, fraction) = match clock.split_once('.') {
        Some((a, f)) => (a, Some(f)),
        None => (clock, None),
    };
    let fields: Vec<&str> = hms.split(':').collect();
    let limits = [23, 59, 59];
    if fields.len() > 3
        || fields
            .iter()
            .zip(limits)
            .any(|(f, max)| !number(f, 2, 0..=max))
    {
        return false;
    }
    if let Some(f) = fraction {
        if fields.len() != 3 || !all_digits(f) || f.len() > 9 {
            return false;
        }
    }
    zone_ok(zone)
}

fn zone_ok(zone: &str) -> bool {
    if zone.is_empty() || zone == "z" {
        return true;
    }
    let body = &zone[1..];
    let (hours, minutes) = match body.split_once(':') {
        Some((h, m)) => (h, Some(m)),
        None if body.len() == 4 => (&body[..2], Some(&body[2..])),
        None => (body, None),
    };
    hours.len() == 2
        && number(hours, 2, 0..=23)
        && minutes.is_none_or(|m| m.len() == 2 && number(m, 2, 0..=59))
}

#[cfg(test)]
mod tests {
    use super::is_date;

    #[test]
    fn aws_legacy_dates() {
        for ok in [
            "2017-07-01T00:00:00Z",
            "2016-12-13T21:20:37.593194+00:00",
            "2016-12-13t2:00:00.593194+23",
            "01T",
            "-292275054",
            "1577836800",
            "2020-01-01",
            "2020",
            "2020-01-01T10:00+0130",
        ] {
            assert!(is_date(ok), "{ok}");
        }
        for bad in [
            "sdfdsf",
            "234-13",
            "2016-12-13t2:00:00.593194+1",
            "2016-12-13t2:00:00.1999999999+10:59",
            "9223372036854775808",
            "-292275055",
            "1577836800.5",
            "2020-01-01T24:00:00Z",
            "",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
    }
}
