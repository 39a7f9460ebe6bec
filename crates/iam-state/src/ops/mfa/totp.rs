//! RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30-second steps) and RFC 4648 base32, as
//! authenticator apps use them for AWS virtual MFA devices.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per TOTP step.
pub const STEP_MS: u64 = 30_000;
/// Digits per code.
pub const DIGITS: usize = 6;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 with `=` padding.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = buf.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < chars {
                let idx = ((n >> (35 - 5 * i)) & 31) as usize;
                out.push(char::from(ALPHABET[idx]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes RFC 4648 base32 (case-insensitive, padding optional); `None` if malformed.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let mut acc: u64 = 0;
    let mut bits = 0u32;
    for c in text.chars() {
        let c = c.to_ascii_uppercase();
        let v = ALPHABET.iter().position(|a| char::from(*a) == c)?;
        acc = (acc << 5) | v as u64;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The 6-digit code for time step `step`.
pub fn code_at(seed: &[u8], step: u64) -> String {
    // HMAC accepts keys of any length, so this never fails.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(seed) else {
        return String::new();
    };
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[h.len() - 1] & 0x0f);
    let bin = u32::from_be_bytes([
        h[offset] & 0x7f,
        h[offset + 1],
        h[offset + 2],
        h[offset + 3],
    ]);
    format!("{:06}", bin % 1_000_000)
}

/// Whether `code` is six ASCII digits.
pub fn is_code(code: &str) -> bool {
    code.len() == DIGITS && code.bytes().all(|b| b.is_ascii_digit())
}

/// The step that `time_ms` falls in.
pub fn step_of(time_ms: u64) -> u64 {
    time_ms / STEP_MS
}

/// Finds two consecutive codes: the step `t` of `code2` (with `code1` at `t - 1`) such that
/// `t` is within `window` steps of `time_ms`'s and `t - 1` is after `last_step` (a code is
/// never accepted twice).
pub fn verify_pair(
    seed: &[u8],
    code1: &str,
    code2: &str,
    time_ms: u64,
    window: u64,
    last_step: Option<u64>,
) -> Option<u64> {
    if !is_code(code1) || !is_code(code2) {
        return None;
    }
    let now = step_of(time_ms);
    let first = now.saturating_sub(window).max(1);
    (first..=now.saturating_add(window)).find(|&t| {
        last_step.is_none_or(|l| t - 1 > l)
            && code_at(seed, t - 1) == code1
            && code_at(seed, t) == code2
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors_truncated_to_six_digits() {
        let seed = b"12345678901234567890";
        // RFC 6238 appendix B (8-digit codes; the last 6 digits are the 6-digit code).
        assert_eq!(code_at(seed, 59 / 30), "287082");
        assert_eq!(code_at(seed, 1_111_111_109 / 30), "081804");
        assert_eq!(code_at(seed, 1_234_567_890 / 30), "005924");
        assert_eq!(code_at(seed, 20_000_000_000 / 30), "353130");
    }

    #[test]
    fn rfc4648_base32_vectors() {
        for (raw, enc) in [
            ("", ""),
            ("f", "MY======"),
            ("fo", "MZXQ===="),
            ("foo", "MZXW6==="),
            ("foob", "MZXW6YQ="),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI======"),
        ] {
            assert_eq!(base32_encode(raw.as_bytes()), enc);
            assert_eq!(base32_decode(enc).unwrap(), raw.as_bytes());
        }
        assert_eq!(base32_decode("mzxw6ytb").unwrap(), b"fooba");
        assert!(base32_decode("MZ1W").is_none());
        assert_eq!(base32_encode(&[0u8; 20]).len(), 32);
    }

    #[test]
    fn pairs_must_be_consecutive_fresh_and_near_now() {
        let seed = b"12345678901234567890";
        let now = 1_111_111_109_000;
        let t = step_of(now);
        let (c1, c2) = (code_at(seed, t - 1), code_at(seed, t));
        assert_eq!(verify_pair(seed, &c1, &c2, now, 2, None), Some(t));
        assert_eq!(verify_pair(seed, &c2, &c1, now, 2, None), None);
        assert_eq!(verify_pair(seed, &c1, &c2, now, 2, Some(t - 1)), None);
        assert_eq!(
            verify_pair(seed, &c1, &c2, now + 10 * STEP_MS, 2, None),
            None
        );
        assert_eq!(verify_pair(seed, "12345", &c2, now, 2, None), None);
    }
}
