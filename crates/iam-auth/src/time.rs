//! The two date forms SigV4 accepts (`X-Amz-Date` ISO-8601 basic, `Date` IMF-fixdate) to and
//! from milliseconds since the Unix epoch, without a date library.

use iam_model::time::Utc;

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
    let t = Utc::from_ms(ms);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second
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

fn to_epoch_ms(
    year: u64,
    month: u64,
    day: u64,
    hour: u64,
    minute: u64,
    second: u64,
) -> Option<u64> {
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
