//! Signing certificates of IAM users (`cert/{a}/{user}/{certificate id}`), as AWS keeps
//! them for SOAP/EC2 request signing: at most [`SIGNING_CERTIFICATES_PER_USER_MAX`] per
//! user, each one PEM X.509 certificate ([`pem`]) valid at the request's time, never the
//! same certificate twice for a user, stored as given (trimmed). The id (24 uppercase base32
//! characters, no prefix) is chosen by the proposing node.
//!
//! Deviation from AWS: the account root has no signing certificates in iamd. Without a user
//! name, `ListSigningCertificates` lists none for the root (as `ListSSHPublicKeys` does),
//! and `UploadSigningCertificate`, `UpdateSigningCertificate` and `DeleteSigningCertificate`
//! refuse with a `ValidationError` saying `UserName` is required for the root (AWS would
//! act on the root's own certificates).
//!
//! New in release [`SIGNING_CERTIFICATES`]: an older build cannot decode these ops, so a
//! cluster refuses every one of them until its upgrade to that release is finalized.

pub mod pem;

use super::access_keys::AccessKeyStatus;
use super::paging::{vec_page, PageRequest};
use super::{to_json, users, Ctx, Env};
use crate::command::Outcome;
use crate::keys;
use crate::release::SIGNING_CERTIFICATES;
use crate::store::{StateRead, Txn};
use iam_model::ids::random_id;
use iam_model::limits::SIGNING_CERTIFICATES_PER_USER_MAX;
use iam_model::{ErrorCode, IamError, IamResult};
use pem::Certificate;
use serde::{Deserialize, Serialize};

/// Characters of a signing certificate id (AWS's are 24).
pub const CERTIFICATE_ID_LEN: usize = 24;
/// `CertificateBody`'s longest value.
pub const BODY_LEN_MAX: usize = 16384;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SigningCertOp {
    /// `UploadSigningCertificate`.
    Upload {
        user_name: String,
        certificate_body: String,
        /// Chosen by the proposing node.
        #[serde(default)]
        certificate_id: String,
    },
    /// `UpdateSigningCertificate`: `status` is `Active` or `Inactive`.
    Update {
        user_name: String,
        certificate_id: String,
        status: String,
    },
    /// `DeleteSigningCertificate`.
    Delete {
        user_name: String,
        certificate_id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SigningCertQuery {
    /// `ListSigningCertificates`: a user's certificates (none for the account root,
    /// `user_name` empty).
    List {
        user_name: String,
        #[serde(default)]
        page: PageRequest,
    },
}

impl SigningCertOp {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Upload { .. } => "UploadSigningCertificate",
            Self::Update { .. } => "UpdateSigningCertificate",
            Self::Delete { .. } => "DeleteSigningCertificate",
        }
    }

    /// The user the op acts on (empty: the account root).
    pub fn user_name(&self) -> &str {
        match self {
            Self::Upload { user_name, .. }
            | Self::Update { user_name, .. }
            | Self::Delete { user_name, .. } => user_name,
        }
    }

    pub(crate) fn prepare(&mut self, env: &mut dyn Env) {
        if let Self::Upload { certificate_id, .. } = self {
            let bytes = env.random_bytes(CERTIFICATE_ID_LEN);
            if bytes.len() >= CERTIFICATE_ID_LEN {
                *certificate_id = random_id(&bytes, CERTIFICATE_ID_LEN);
            }
        }
    }
}

impl SigningCertQuery {
    pub fn name(&self) -> &'static str {
        match self {
            Self::List { .. } => "ListSigningCertificates",
        }
    }

    /// The user the query reads (empty: the account root).
    pub fn user_name(&self) -> &str {
        match self {
            Self::List { user_name, .. } => user_name,
        }
    }
}

/// The stored record; `UploadSigningCertificate` answers with it and
/// `ListSigningCertificates` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningCertificate {
    pub user_name: String,
    pub certificate_id: String,
    /// The PEM as uploaded, trimmed.
    pub certificate_body: String,
    pub status: AccessKeyStatus,
    pub upload_ms: u64,
}

/// `CertificateBody`: 1–16384 characters of `[\u0009\u000A\u000D\u0020-\u00FF]`.
fn validate_body(body: &str) -> IamResult<()> {
    let len = body.chars().count();
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}');
    if !(1..=BODY_LEN_MAX).contains(&len) || !body.chars().all(allowed) {
        let shown: String = body.chars().take(64).collect();
        return Err(IamError::validation(
            "certificateBody",
            &shown,
            "Member must have length between 1 and 16384 and satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
        ));
    }
    Ok(())
}

/// `CertificateId`: 24–128 word characters.
fn validate_id(id: &str) -> IamResult<()> {
    let len = id.chars().count();
    if !(24..=128).contains(&len) || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(IamError::validation(
            "certificateId",
            id,
            "Member must have length between 24 and 128 and satisfy regular expression pattern: [\\w]+",
        ));
    }
    Ok(())
}

/// The root has no signing certificates in iamd (see the module documentation).
fn require_user(user_name: &str) -> IamResult<()> {
    if user_name.is_empty() {
        return Err(IamError::new(
            ErrorCode::ValidationError,
            "UserName is required when the caller is the account root: iamd keeps no signing certificates for the root",
        ));
    }
    Ok(())
}

fn no_such_cert(id: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("The Certificate with id {id} cannot be found."),
    )
}

/// The certificates of one user, in upload order.
pub fn user_certs(txn: &Txn<'_>, account: &str, user: &str) -> Vec<SigningCertificate> {
    let mut out: Vec<SigningCertificate> = txn
        .scan_all(&keys::user_signing_certs_prefix(account, user))
        .into_iter()
        .filter_map(|(k, v)| crate::store::decode::<SigningCertificate>(&k, &v))
        .collect();
    out.sort_by(|a, b| (a.upload_ms, &a.certificate_id).cmp(&(b.upload_ms, &b.certificate_id)));
    out
}

/// A certificate of an existing user, or `NoSuchEntity`.
fn load(txn: &Txn<'_>, account: &str, user: &str, id: &str) -> IamResult<SigningCertificate> {
    require_user(user)?;
    validate_id(id)?;
    let user = users::load(txn, account, user)?;
    txn.get_json(&keys::user_signing_cert(account, &user.name, id))
        .ok_or_else(|| no_such_cert(id))
}

pub(crate) fn apply(cx: &mut Ctx<'_, '_>, op: &SigningCertOp) -> IamResult<Outcome> {
    crate::release::require(&*cx.txn, SIGNING_CERTIFICATES, op.name())?;
    match op {
        SigningCertOp::Upload {
            user_name,
            certificate_body,
            certificate_id,
        } => upload(cx, user_name, certificate_body, certificate_id),
        SigningCertOp::Update {
            user_name,
            certificate_id,
            status,
        } => {
            let status = AccessKeyStatus::parse(status)?;
            let mut cert = load(cx.txn, cx.account, user_name, certificate_id)?;
            cert.status = status;
            let at = keys::user_signing_cert(cx.account, &cert.user_name, certificate_id);
            cx.txn.put_json(at, &cert);
            Ok(Outcome::Nothing)
        }
        SigningCertOp::Delete {
            user_name,
            certificate_id,
        } => {
            let cert = load(cx.txn, cx.account, user_name, certificate_id)?;
            cx.txn.delete(keys::user_signing_cert(
                cx.account,
                &cert.user_name,
                certificate_id,
            ));
            Ok(Outcome::Deleted)
        }
    }
}

fn upload(cx: &mut Ctx<'_, '_>, user_name: &str, body: &str, id: &str) -> IamResult<Outcome> {
    require_user(user_name)?;
    validate_body(body)?;
    let parsed = Certificate::parse(body)?;
    parsed.check_valid_at(cx.time_ms)?;
    let owner = users::load(cx.txn, cx.account, user_name)?.name;
    if validate_id(id).is_err() || id.chars().count() != CERTIFICATE_ID_LEN {
        return Err(IamError::new(
            ErrorCode::InvalidInput,
            "the signing certificate id was not chosen before proposing",
        ));
    }
    let existing = user_certs(cx.txn, cx.account, &owner);
    // The same certificate, however its PEM is wrapped.
    let same = |c: &SigningCertificate| {
        Certificate::parse(&c.certificate_body).is_ok_and(|e| e.der == parsed.der)
    };
    if existing.iter().any(same) {
        return Err(IamError::new(
            ErrorCode::DuplicateCertificate,
            "The request was rejected because the same certificate is already associated with the specified IAM user.",
        ));
    }
    if existing.len() >= SIGNING_CERTIFICATES_PER_USER_MAX {
        return Err(IamError::quota(
            "CertificatesPerUser",
            SIGNING_CERTIFICATES_PER_USER_MAX as u64,
        ));
    }
    let at = keys::user_signing_cert(cx.account, &owner, id);
    if cx.txn.exists(&at) {
        return Err(IamError::new(
            ErrorCode::EntityAlreadyExists,
            format!("Signing certificate with id {id} already exists."),
        ));
    }
    let cert = SigningCertificate {
        user_name: owner,
        certificate_id: id.to_owned(),
        certificate_body: body.trim().to_owned(),
        status: AccessKeyStatus::Active,
        upload_ms: cx.time_ms,
    };
    cx.txn.put_json(at, &cert);
    Ok(Outcome::record(&cert))
}

pub(crate) fn query(
    state: &dyn StateRead,
    account: &str,
    q: &SigningCertQuery,
) -> IamResult<serde_json::Value> {
    let txn = Txn::new(state);
    match q {
        SigningCertQuery::List { user_name, page } => {
            // The account root has no signing certificates.
            let owner = if user_name.is_empty() {
                None
            } else {
                Some(users::load(&txn, account, user_name)?.name)
            };
            let items = owner
                .map(|o| user_certs(&txn, account, &o))
                .unwrap_or_default()
                .into_iter()
                .map(|c| (format!("{:020}/{}", c.upload_ms, c.certificate_id), c))
                .collect();
            Ok(to_json(&vec_page(items, page)?))
        }
    }
}
