//! UTC calendar arithmetic for AWS's timestamps (SigV4 dates, XML timestamps, report dates):
//! milliseconds since the Unix epoch to and from calendar fields, for years from 1970, with
//! Howard Hinnant's day-count algorithms. Every crate that prints or parses such a date uses
//! this one; the policy engine (a peer of this crate, depending on nothing of iamd's) keeps
//! its own signed variant for condition values before 1970.

/// An instant in UTC as calendar fields, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utc {
    pub year: u64,
    pub month: u64,
    pub day: u64,
    pub hour: u64,
    pub minute: u64,
    pub second: u64,
}

impl Utc {
    /// The fields of `ms` milliseconds since the epoch (the milliseconds are dropped).
    pub fn from_ms(ms: u64) -> Self {
        let secs = ms / 1000;
        let rem = secs % 86_400;
        let (year, month, day) = civil_from_days(secs / 86_400);
        Self {
            year,
            month,
            day,
            hour: rem / 3600,
            minute: rem % 3600 / 60,
            second: rem % 60,
        }
    }

    /// Milliseconds since the epoch, or `None` for a date that does not exist or precedes
    /// 1970 (month 13, February 30, hour 24, ...).
    pub fn to_ms(self) -> Option<u64> {
        let (y, m, d) = (self.year, self.month, self.day);
        if y < 1970 || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return None;
        }
        if self.hour > 23 || self.minute > 59 || self.second > 59 {
            return None;
        }
        let secs = days_from_civil(y, m, d) * 86_400;
        Some((secs + self.hour * 3600 + self.minute * 60 + self.second) * 1000)
    }
}

impl Utc {
    /// `2024-01-02T03:04:05Z`.
    pub fn iso8601(self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Milliseconds since the epoch of `2024-01-02T03:04:05Z` (or `+00:00` for `Z`, as AWS's
/// credential report writes it), or of a date alone (`2024-01-02`: its midnight UTC).
/// `None` for anything else, or a date that does not exist.
pub fn parse_iso8601(text: &str) -> Option<u64> {
    let num = |s: &str, len: usize| -> Option<u64> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (date, time) = match text.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let mut d = date.split('-');
    let (year, month, day) = (num(d.next()?, 4)?, num(d.next()?, 2)?, num(d.next()?, 2)?);
    if d.next().is_some() {
        return None;
    }
    let (hour, minute, second) = match time {
        None => (0, 0, 0),
        Some(t) => {
            let t = t.strip_suffix('Z').or_else(|| t.strip_suffix("+00:00"))?;
            let mut p = t.split(':');
            let hms = (num(p.next()?, 2)?, num(p.next()?, 2)?, num(p.next()?, 2)?);
            if p.next().is_some() {
                return None;
            }
            hms
        }
    };
    Utc {
        year,
        month,
        day,
        hour,
        minute,
        second,
    }
    .to_ms()
}

fn is_leap(y: u64) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn days_in_month(y: u64, m: u64) -> u64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a date in or after 1970.
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a count of days since 1970-01-01.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + u64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        // 2015-08-30T12:36:00Z
        let t = Utc::from_ms(1_440_938_160_999);
        assert_eq!(
            (t.year, t.month, t.day, t.hour, t.minute, t.second),
            (2015, 8, 30, 12, 36, 0)
        );
        assert_eq!(t.to_ms(), Some(1_440_938_160_000));
        assert_eq!(Utc::from_ms(0).to_ms(), Some(0));
        // Leap days, the end of a century, the year 2000.
        for (y, m, d) in [(2000, 2, 29), (2024, 2, 29), (2100, 3, 1), (1999, 12, 31)] {
            let t = Utc {
                year: y,
                month: m,
                day: d,
                hour: 0,
                minute: 0,
                second: 0,
            };
            assert_eq!(Utc::from_ms(t.to_ms().unwrap()), t);
        }
    }

    #[test]
    fn iso8601_text_parses_and_prints() {
        let ms = 1_440_938_160_000;
        assert_eq!(Utc::from_ms(ms).iso8601(), "2015-08-30T12:36:00Z");
        assert_eq!(parse_iso8601("2015-08-30T12:36:00Z"), Some(ms));
        assert_eq!(parse_iso8601("2015-08-30T12:36:00+00:00"), Some(ms));
        assert_eq!(
            parse_iso8601("2015-08-30"),
            Some(ms - (12 * 3600 + 36 * 60) * 1000)
        );
        for bad in [
            "",
            "2015-08-30T12:36:00",
            "2015-8-30",
            "2015-02-30",
            "2015-08-30T24:00:00Z",
            "2015-08-30T12:36Z",
            "2015-08-30-01",
            "x015-08-30",
            "2015-08-30T12:36:00+01:00",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
    }

    #[test]
    fn impossible_dates_have_no_instant() {
        let t = |year, month, day, hour| Utc {
            year,
            month,
            day,
            hour,
            minute: 0,
            second: 0,
        };
        for bad in [
            t(2100, 2, 29, 0),
            t(2023, 2, 29, 0),
            t(2024, 13, 1, 0),
            t(2024, 4, 31, 0),
        ] {
            assert_eq!(bad.to_ms(), None, "{bad:?}");
        }
        assert_eq!(t(1969, 12, 31, 0).to_ms(), None);
        assert_eq!(t(2024, 1, 1, 24).to_ms(), None);
        assert_eq!(t(2024, 1, 0, 0).to_ms(), None);
    }

    #[test]
    fn every_day_for_four_centuries_round_trips() {
        for days in 0..146_097 * 4 {
            let ms = days * 86_400_000;
            assert_eq!(Utc::from_ms(ms).to_ms(), Some(ms), "day {days}");
        }
    }
}
