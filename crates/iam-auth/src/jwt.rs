//! Web identity tokens (OpenID Connect ID tokens, JWTs) as `AssumeRoleWithWebIdentity`
//! checks them: [`peek`] reads the issuer and key id of a token without trusting it (to find
//! the provider and its keys), then [`verify`] checks the signature against the provider's
//! JSON Web Key Set and the claims against the clock the caller passes.
//!
//! Signatures are checked by the `jsonwebtoken` crate (ring underneath), only with the
//! asymmetric algorithms identity providers use (RSA PKCS#1 and PSS, ECDSA, Ed25519):
//! `none` and the HMAC algorithms are refused before any key is looked at, so a token cannot
//! choose to be checked with a public key as an HMAC secret. The key is the set's key with
//! the token's `kid` (a token without one may use the only key of a one-key set), and must
//! be meant for signatures and for the token's algorithm when the key says so.
//!
//! Time: `exp` is required, and neither `nbf` nor `iat` may lie in the future, each with
//! [`SKEW_S`] of tolerance (an old token is good until its `exp`, as in AWS).

use iam_model::{ErrorCode, IamError};
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// Tolerated clock difference with the identity provider, in seconds.
pub const SKEW_S: u64 = 300;
/// Longest token AWS accepts (`WebIdentityToken`: 4 to 20,000 characters).
pub const TOKEN_LEN_MAX: usize = 20_000;
/// Shortest token AWS accepts.
pub const TOKEN_LEN_MIN: usize = 4;

/// The algorithms an identity provider may sign with.
const ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtError {
    /// Not a JWT, or claims of the wrong form or missing.
    Malformed(String),
    /// The key set holds no key with the token's key id (a fresher copy of the set may).
    UnknownKey(Option<String>),
    /// The signature does not verify, or the key cannot check this algorithm.
    BadSignature,
    /// `exp` has passed (`now` and `exp` in seconds since the epoch).
    Expired { now: u64, exp: u64 },
    /// `nbf` or `iat` lies in the future.
    NotYetValid,
}

impl JwtError {
    /// AWS's code and wording for this refusal.
    pub fn to_iam(&self) -> IamError {
        match self {
            JwtError::Malformed(detail) => IamError::new(
                ErrorCode::InvalidIdentityToken,
                format!("The web identity token that was passed could not be validated: {detail}"),
            ),
            JwtError::UnknownKey(_) => IamError::new(
                ErrorCode::InvalidIdentityToken,
                "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements",
            ),
            JwtError::BadSignature => IamError::new(
                ErrorCode::InvalidIdentityToken,
                "The web identity token that was passed could not be validated by Amazon Web Services. Get a new identity token from the identity provider and then retry the request.",
            ),
            JwtError::Expired { now, exp } => IamError::new(
                ErrorCode::ExpiredTokenException,
                format!("Token expired: current date/time {now} must be before the expiration date/time{exp}"),
            ),
            JwtError::NotYetValid => IamError::new(
                ErrorCode::InvalidIdentityToken,
                "The web identity token that was passed is not valid yet.",
            ),
        }
    }
}

fn malformed(detail: impl Into<String>) -> JwtError {
    JwtError::Malformed(detail.into())
}

/// What a token says about itself before it is trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peeked {
    /// `iss`: the provider's URL (`https://…`).
    pub issuer: String,
    pub key_id: Option<String>,
}

/// A string or a list of strings (`aud`, `amr`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
#[serde(untagged)]
enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
struct RawClaims {
    iss: Option<String>,
    sub: Option<String>,
    #[serde(default)]
    aud: OneOrMany,
    azp: Option<String>,
    exp: Option<u64>,
    nbf: Option<u64>,
    iat: Option<u64>,
    #[serde(default)]
    amr: OneOrMany,
}

/// The verified claims AWS uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub issuer: String,
    pub subject: String,
    /// `aud`, one or many.
    pub audiences: Vec<String>,
    /// `azp`, the authorized party, when present.
    pub authorized_party: Option<String>,
    /// `exp`, `iat` (seconds since the epoch).
    pub expires_s: u64,
    pub issued_s: Option<u64>,
    /// `amr`.
    pub methods: Vec<String>,
}

fn check_len(token: &str) -> Result<(), JwtError> {
    if !(TOKEN_LEN_MIN..=TOKEN_LEN_MAX).contains(&token.len()) {
        return Err(malformed(format!(
            "a token has {TOKEN_LEN_MIN} to {TOKEN_LEN_MAX} characters"
        )));
    }
    Ok(())
}

/// The issuer and key id of `token`, read without checking anything else.
pub fn peek(token: &str) -> Result<Peeked, JwtError> {
    check_len(token)?;
    use base64::Engine as _;
    let header = jsonwebtoken::decode_header(token).map_err(|e| malformed(e.to_string()))?;
    let payload = match token.split('.').collect::<Vec<_>>()[..] {
        [_, payload, _] => payload,
        _ => return Err(malformed("a JWT has three parts")),
    };
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| malformed("the claims are not base64url"))?;
    let claims: RawClaims =
        serde_json::from_slice(&json).map_err(|e| malformed(format!("the claims: {e}")))?;
    let issuer = claims
        .iss
        .ok_or_else(|| malformed("the token has no iss claim"))?;
    Ok(Peeked {
        issuer,
        key_id: header.kid,
    })
}

/// A JSON Web Key Set as a provider publishes it (`jwks_uri`).
#[derive(Debug, Clone)]
pub struct KeySet(JwkSet);

impl KeySet {
    /// Parses a key set document; keys this crate cannot use are kept but never match.
    pub fn parse(json: &[u8]) -> Result<Self, String> {
        // Keys of unknown types fail the whole set in `JwkSet`: read them one by one.
        #[derive(Deserialize)]
        struct Doc {
            keys: Vec<serde_json::Value>,
        }
        let doc: Doc =
            serde_json::from_slice(json).map_err(|e| format!("not a JSON Web Key Set: {e}"))?;
        let keys = doc
            .keys
            .into_iter()
            .filter_map(|k| serde_json::from_value::<Jwk>(k).ok())
            .collect();
        Ok(KeySet(JwkSet { keys }))
    }

    pub fn len(&self) -> usize {
        self.0.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.keys.is_empty()
    }

    /// Whether the set has the key a token names (or, for a token without `kid`, a single
    /// key to use).
    pub fn has_key(&self, kid: Option<&str>) -> bool {
        self.key(kid).is_some()
    }

    fn key(&self, kid: Option<&str>) -> Option<&Jwk> {
        match kid {
            Some(kid) => self.0.find(kid),
            None if self.0.keys.len() == 1 => self.0.keys.first(),
            None => None,
        }
    }
}

fn usable_for(jwk: &Jwk, alg: Algorithm) -> bool {
    let sig = !matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption) | Some(PublicKeyUse::Other(_))
    );
    let alg_ok = match jwk.common.key_algorithm {
        None => true,
        Some(k) => key_algorithm(k) == Some(alg),
    };
    sig && alg_ok
}

fn key_algorithm(k: KeyAlgorithm) -> Option<Algorithm> {
    Some(match k {
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::RS384 => Algorithm::RS384,
        KeyAlgorithm::RS512 => Algorithm::RS512,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::PS384 => Algorithm::PS384,
        KeyAlgorithm::PS512 => Algorithm::PS512,
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        _ => return None,
    })
}

/// Verifies `token`'s signature with `keys` and its times against `now_ms`; returns its
/// claims. Issuer and audience are the caller's to compare (it knows the provider).
pub fn verify(token: &str, keys: &KeySet, now_ms: u64) -> Result<Claims, JwtError> {
    check_len(token)?;
    let header = jsonwebtoken::decode_header(token).map_err(|e| malformed(e.to_string()))?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err(malformed(format!(
            "the signing algorithm {:?} is not accepted",
            header.alg
        )));
    }
    let jwk = keys
        .key(header.kid.as_deref())
        .ok_or_else(|| JwtError::UnknownKey(header.kid.clone()))?;
    if !usable_for(jwk, header.alg) {
        return Err(JwtError::BadSignature);
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|_| JwtError::BadSignature)?;
    let mut v = Validation::new(header.alg);
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<RawClaims>(token, &key, &v).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind as K;
        match e.kind() {
            K::InvalidSignature | K::InvalidAlgorithm | K::InvalidKeyFormat => {
                JwtError::BadSignature
            }
            _ => malformed(e.to_string()),
        }
    })?;
    let c = data.claims;
    let now = now_ms / 1000;
    let exp = c
        .exp
        .ok_or_else(|| malformed("the token has no exp claim"))?;
    if now >= exp.saturating_add(SKEW_S) {
        return Err(JwtError::Expired { now, exp });
    }
    let future = |t: Option<u64>| t.is_some_and(|t| t > now.saturating_add(SKEW_S));
    if future(c.nbf) || future(c.iat) {
        return Err(JwtError::NotYetValid);
    }
    let issuer = c
        .iss
        .ok_or_else(|| malformed("the token has no iss claim"))?;
    let subject = c
        .sub
        .filter(|s| !s.is_empty())
        .ok_or_else(|| malformed("the token has no sub claim"))?;
    let audiences = c.aud.into_vec();
    if audiences.is_empty() {
        return Err(malformed("the token has no aud claim"));
    }
    Ok(Claims {
        issuer,
        subject,
        audiences,
        authorized_party: c.azp,
        expires_s: exp,
        issued_s: c.iat,
        methods: c.amr.into_vec(),
    })
}
