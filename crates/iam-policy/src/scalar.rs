//! Reading condition values as numbers, dates (W3C ISO 8601 or epoch seconds) and booleans.
//! Pure parsing: no clock, no time zone database (offsets are explicit in the text).

/// Parses an integer or decimal number (optional sign, optional fraction and exponent).
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let ok_chars = body
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if body.is_empty()
        || !ok_chars
        || !body.as_bytes()[0].is_ascii_digit() && !body.starts_with('.')
    {
        return None;
    }
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Parses `true`/`false` (any case).
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A point in time as nanoseconds since 1970-01-01T00:00:00Z.
pub(crate) type Nanos = i128;

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// Parses a date: epoch seconds (`1577836800`, `1577836800.5`), or ISO 8601 in the W3C
/// profile: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, `YYYY-MM-DDThh:mm[:ss[.fraction]][zone]` where
/// zone is `Z`, `±hh:mm`, `±hhmm` or `±hh` (no zone means UTC).
pub(crate) fn parse_date(text: &str) -> Option<Nanos> {
    if text.len() > 64 || text.is_empty() {
        return None;
    }
    if is_epoch(text) {
        return parse_epoch(text);
    }
    let mut cur = Cursor {
        s: text.as_bytes(),
        i: 0,
    };
    let year = cur.digits(4)? as i64;
    let (mut month, mut day) = (1, 1);
    if cur.eat(b'-') {
        month = cur.digits(2)?;
        if cur.eat(b'-') {
            day = cur.digits(2)?;
        }
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut secs_of_day: i64 = 0;
    let mut frac: i128 = 0;
    let mut offset: i64 = 0;
    if cur.eat(b'T') || cur.eat(b't') {
        let hour = cur.digits(2)?;
        if !cur.eat(b':') {
            return None;
        }
        let minute = cur.digits(2)?;
        let mut second = 0;
        if cur.eat(b':') {
            second = cur.digits(2)?;
            if cur.eat(b'.') || cur.eat(b',') {
                frac = cur.fraction()?;
            }
        }
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        secs_of_day = i64::from(hour * 3600 + minute * 60 + second);
        offset = cur.zone()?;
    }
    if cur.i != cur.s.len() {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + secs_of_day - offset;
    Some(i128::from(secs) * NANOS_PER_SEC + frac)
}

fn is_epoch(text: &str) -> bool {
    let body = text.strip_prefix('-').unwrap_or(text);
    let mut parts = body.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    // Four digits alone read as a year; anything longer (or with a fraction) as epoch seconds.
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
        && (int.len() != 4 || frac.is_some() || text.starts_with('-'))
}

fn parse_epoch(text: &str) -> Option<Nanos> {
    let negative = text.starts_with('-');
    let body = text.trim_start_matches('-');
    let mut parts = body.splitn(2, '.');
    let int: i128 = parts.next()?.parse().ok()?;
    let frac = match parts.next() {
        Some(f) => frac_nanos(f.as_bytes())?,
        None => 0,
    };
    let value = int.checked_mul(NANOS_PER_SEC)?.checked_add(frac)?;
    Some(if negative { -value } else { value })
}

fn frac_nanos(digits: &[u8]) -> Option<i128> {
    let mut value: i128 = 0;
    for (i, &d) in digits.iter().enumerate() {
        if !d.is_ascii_digit() {
            return None;
        }
        if i < 9 {
            value = value * 10 + i128::from(d - b'0');
        }
    }
    let shown = digits.len().min(9);
    Some(value * 10_i128.pow(9 - shown as u32))
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn eat(&mut self, b: u8) -> bool {
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn digits(&mut self, n: usize) -> Option<u32> {
        let slice = self.s.get(self.i..self.i + n)?;
        let mut v = 0;
        for &b in slice {
            if !b.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(b - b'0');
        }
        self.i += n;
        Some(v)
    }

    fn fraction(&mut self) -> Option<i128> {
        let start = self.i;
        while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        if self.i == start {
            return None;
        }
        frac_nanos(&self.s[start..self.i])
    }

    /// The zone designator as an offset in seconds east of UTC.
    fn zone(&mut self) -> Option<i64> {
        if self.i == self.s.len() {
            return Some(0);
        }
        if self.eat(b'Z') || self.eat(b'z') {
            return Some(0);
        }
        let sign = if self.eat(b'+') {
            1
        } else if self.eat(b'-') {
            -1
        } else {
            return None;
        };
        let hours = self.digits(2)?;
        // `±hh:mm`, `±hhmm` or `±hh`.
        let minutes = if self.eat(b':') || self.i < self.s.len() {
            self.digits(2)?
        } else {
            0
        };
        if hours > 23 || minutes > 59 {
            return None;
        }
        Some(sign * i64::from(hours * 3600 + minutes * 60))
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i128 = NANOS_PER_SEC;

    #[test]
    fn iso_dates_in_all_supported_shapes() {
        assert_eq!(parse_date("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_date("2020-01-01T00:00:00Z"), Some(1_577_836_800 * S));
        assert_eq!(parse_date("2020-01-01"), Some(1_577_836_800 * S));
        assert_eq!(parse_date("2020-01"), Some(1_577_836_800 * S));
        assert_eq!(parse_date("2020"), Some(1_577_836_800 * S));
        assert_eq!(parse_date("2020-01-01T00:00Z"), Some(1_577_836_800 * S));
        assert_eq!(
            parse_date("2020-01-01T00:00:00.5Z"),
            Some(1_577_836_800 * S + S / 2)
        );
        assert_eq!(
            parse_date("2020-01-01T01:00:00+01:00"),
            Some(1_577_836_800 * S)
        );
        assert_eq!(
            parse_date("2019-12-31T19:00:00-0500"),
            Some(1_577_836_800 * S)
        );
        assert_eq!(parse_date("2020-01-01T00:00:00"), Some(1_577_836_800 * S));
        assert_eq!(parse_date("2000-02-29T12:00:00Z"), Some(951_825_600 * S));
    }

    #[test]
    fn epoch_seconds() {
        assert_eq!(parse_date("1577836800"), Some(1_577_836_800 * S));
        assert_eq!(parse_date("1577836800.25"), Some(1_577_836_800 * S + S / 4));
        assert_eq!(parse_date("0"), Some(0));
    }

    #[test]
    fn rejects_invalid_dates() {
        for bad in [
            "",
            "2020-13-01",
            "2019-02-29",
            "2020-01-01T25:00:00Z",
            "2020-01-01T00",
            "x",
            "2020-01-01T00:00:00Q",
            "2020-01-01 00:00:00",
            "1.",
            "2020-1-1",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("10"), Some(10.0));
        assert_eq!(parse_number("-1.5"), Some(-1.5));
        assert_eq!(parse_number(".5"), Some(0.5));
        assert_eq!(parse_number("1e3"), Some(1000.0));
        for bad in ["", "abc", "inf", "NaN", "1x", "-", "0x10"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("false"), Some(false));
        assert_eq!(parse_bool("yes"), None);
    }
}
