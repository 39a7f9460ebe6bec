//! Access key ids that the cluster can recognize as its own: `AKIA` + 12 random base32
//! characters + a 4-character tag, a MAC of the first 16 under a key derived from the
//! cluster key ([`SecretBox::mac`]). Nobody without the cluster key can make an id whose
//! tag matches (one guess in 2^20 matches by chance), and the tag needs no state: a node
//! tells "a key this cluster issued, since deleted, deactivated or not yet replicated here"
//! from "a key id never issued here" even after a sandbox reset wiped the keys.
//!
//! What it is for: a sandbox (`iamd serve --sandbox`) lets a request signed with an access
//! key id it has never seen act as its root; an id this cluster issued must never fall
//! back that way, whatever became of the key.

use crate::secret_box::SecretBox;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const PREFIX: &str = "AKIA";
/// Random characters after the prefix (60 bits).
pub const RANDOM_LEN: usize = 12;
/// Tag characters at the end (20 bits).
pub const TAG_LEN: usize = 4;
const PURPOSE: &str = "access key id tag";

fn tag(secrets: &SecretBox, body: &str) -> String {
    secrets.mac(PURPOSE, body.as_bytes())[..TAG_LEN]
        .iter()
        .map(|b| char::from(BASE32[usize::from(*b) % 32]))
        .collect()
}

/// A new access key id (20 characters, like AWS's) from `random` (at least
/// [`RANDOM_LEN`] bytes, drawn by the caller), tagged as this cluster's.
pub fn issue(secrets: &SecretBox, random: &[u8]) -> String {
    let mut id = String::with_capacity(PREFIX.len() + RANDOM_LEN + TAG_LEN);
    id.push_str(PREFIX);
    for b in random.iter().take(RANDOM_LEN) {
        id.push(char::from(BASE32[usize::from(*b) % 32]));
    }
    let t = tag(secrets, &id);
    id.push_str(&t);
    id
}

/// Whether `id` carries this cluster's tag (was made by [`issue`] with this cluster key).
/// Constant time in the tag comparison.
pub fn issued_by(secrets: &SecretBox, id: &str) -> bool {
    if id.len() != PREFIX.len() + RANDOM_LEN + TAG_LEN || !id.starts_with(PREFIX) || !id.is_ascii()
    {
        return false;
    }
    let (body, t) = id.split_at(PREFIX.len() + RANDOM_LEN);
    crate::ct_eq(tag(secrets, body).as_bytes(), t.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_ids_are_recognized_by_their_cluster_only() {
        let mine = SecretBox::new(&[1; 32]);
        let other = SecretBox::new(&[2; 32]);
        let id = issue(&mine, &[7, 200, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("AKIA"));
        assert!(id.chars().all(|c| BASE32.contains(&(c as u8))));
        assert!(issued_by(&mine, &id));
        assert!(!issued_by(&other, &id));
        // Any changed character (body or tag) breaks it.
        for i in 4..20 {
            let mut b = id.clone().into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            assert!(!issued_by(&mine, &String::from_utf8(b).unwrap()), "{i}");
        }
        for made_up in [
            "AKIAANYTHINGATALL000",
            "test",
            "",
            "AKIA",
            "ASIA1234567890ABCDEF",
        ] {
            assert!(!issued_by(&mine, made_up), "{made_up}");
        }
        assert!(!issued_by(&mine, "AKIAÉÉÉÉÉÉÉÉÉÉ"));
    }
}
