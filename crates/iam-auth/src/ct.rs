//! Constant-time comparison for secrets and signatures.

use subtle::ConstantTimeEq;

/// `a == b` in time that depends only on the lengths, never on where the bytes differ.
/// Every comparison of a signature, MAC or secret in this crate goes through here.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    // `subtle` returns false at once for different lengths; lengths are public (a
    // signature is always 64 hex characters), so that leaks nothing.
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::ct_eq;

    #[test]
    fn equal_and_unequal() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(ct_eq(b"", b""));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
