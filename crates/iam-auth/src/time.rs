//! The two date forms SigV4 accepts (`X-Amz-Date` ISO-8601 basic, `Date` IMF-fixdate) to and
//! from milliseconds since the Unix epoch, without a date library.

/// Parses `YYYYMMDD'T'HHMMSS'Z'` (e.g. `20150830T123600Z`) to epoch milliseconds.
pub fn parse_amz_date(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[4..6])?;
    let day = digits(&b[6..8])?;
    let hour = digits(&b[9..11])?;
    let min = digits(&b[11..13])?;
    let sec = digits(&b[13..15])?;
    to_epoch_ms(year, month, day, hour, min, sec)
}

/// Formats epoch milliseconds as `YYYYMMDD'T'HHMMSS'Z'` (seconds truncated).
pub fn format_amz_date(ms: u64) -> String {
    let secs = ms / 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Parses an HTTP `Date` header in IMF-fixdate form (`Sun, 30 Aug 2015 12:36:00 GMT`).
pub(crate) fn parse_http_date(s: &str) -> Option<u64> {
    let b = s.trim().as_bytes();
    // "Sun, 30 Aug 2015 12:36:00 GMT" is 29 bytes.
    if b.len() != 29 || &b[3..5] != b", " || &b[25..] != b" GMT" {
        return None;
    }
    if b[7] != b' ' || b[11] != b' ' || b[16] != b' ' || b[19] != b':' || b[22] != b':' {
        return None;
    }
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == &b[8..11])? as u64 + 1;
    let day = digits(&b[5..7])?;
    let year = digits(&b[12..16])?;
    let hour = digits(&b[17..19])?;
    let min = digits(&b[20..22])?;
    let sec = digits(&b[23..25])?;
    to_epoch_ms(year, month, day, hour, min, sec)
}

fn digits(b: &[u8]) -> Option<u64> {
    let mut n = 0u64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(c - b'0');
    }
    Some(n)
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

fn to_epoch_ms(y: u64, m: u64, d: u64, hh: u64, mm: u64, ss: u64) -> Option<u64> {
    if y < 1970 || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    if hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    Some((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1000)
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm, for years >= 1970).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: u64) -> (u64, u64, u64) {
    let z = z + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_dates() {
        // 2015-08-30T12:36:00Z
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160_000));
        assert_eq!(format_amz_date(1_440_938_160_999), "20150830T123600Z");
        assert_eq!(
            parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"),
            Some(1_440_938_160_000)
        );
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(
            parse_amz_date("20240229T000000Z")
                .map(format_amz_date)
                .as_deref(),
            Some("20240229T000000Z")
        );
    }

    #[test]
    fn rejects_bad_dates() {
        for s in [
            "",
            "20150830T123600",
            "20150830 123600Z",
            "20151330T123600Z",
            "20150230T123600Z",
            "20230229T000000Z",
            "20150830T243600Z",
            "2015083aT123600Z",
            "19691231T235959Z",
            "20150830T12360ÿZ",
        ] {
            assert_eq!(parse_amz_date(s), None, "{s}");
        }
        assert_eq!(parse_http_date("Sun, 30 Foo 2015 12:36:00 GMT"), None);
        assert_eq!(parse_http_date("Sun, 30 Aug 2015 12:36:00 UTC"), None);
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(secs in 0u64..253_402_300_799) {
            let s = format_amz_date(secs * 1000);
            prop_assert_eq!(parse_amz_date(&s), Some(secs * 1000));
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,40}") {
            let _ = parse_amz_date(&s);
            let _ = parse_http_date(&s);
        }
    }
}
