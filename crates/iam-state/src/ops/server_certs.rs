//! Server certificates (`scert/{a}/{name}`): the X.509 certificates and private keys an
//! account keeps in IAM for its load balancers and CloudFront (AWS's
//! `UploadServerCertificate` family). A certificate is named (unique per account,
//! case-insensitively), has a path (`/cloudfront/...` for CloudFront, as AWS asks), an id
//! (`ASCA` + 17 characters, chosen by the proposing node), an ARN
//! (`arn:aws:iam::ACCT:server-certificate{path}{name}`), its certificate body (one PEM X.509
//! certificate, not before its validity period), an optional chain (PEM certificates, each
//! one the issuer of the one before it), its private key and tags. At most
//! [`SERVER_CERTIFICATES_PER_ACCOUNT_MAX`] per account (`ServerCertificatesPerAccount`).
//!
//! The private key is a secret. The proposing node checks it against the certificate
//! ([`keypair`]) and seals it with the cluster key ([`Env::seal_secret`]) in
//! [`ServerCertOp::prepare`], before the command enters the log: the log, the state and
//! backups only ever hold it sealed, and apply judges the proposer's verdict
//! (`key_check`), never the key. No query returns it: `GetServerCertificate` answers the
//! metadata, the body, the chain and the tags. A key that fails the check is dropped from
//! the command.
//!
//! An expired certificate is accepted (its `Expiration` is in the past); one not valid yet
//! is refused as AWS refuses it (`MalformedCertificate`).
//!
//! New in release [`SERVER_CERTIFICATES`]: an older build cannot decode these ops, so a
//! cluster refuses every one of them until its upgrade to that release is finalized.

pub mod keypair;

use super::limits::{self, Counter};
use super::paging::{scan_page, PageRequest};
use super::signing_certs::pem::Certificate;
use super::users::tags;
use super::{to_json, Ctx, Env};
use crate::command::Outcome;
use crate::keys;
use crate::release::SERVER_CERTIFICATES;
use crate::store::{StateRead, Txn};
use iam_model::ids::IdPrefix;
use iam_model::limits::SERVER_CERTIFICATES_PER_ACCOUNT_MAX;
use iam_model::{arn, names, ErrorCode, IamError, IamResult, Tag};
use serde::{Deserialize, Serialize};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

/// `ServerCertificateName`'s longest value.
pub const NAME_LEN_MAX: usize = 128;
/// `CertificateBody`'s longest value.
pub const BODY_LEN_MAX: usize = 16384;
/// `CertificateChain`'s longest value.
pub const CHAIN_LEN_MAX: usize = 2_097_152;
/// `key_check` once the proposing node found the key to be the certificate's.
pub const KEY_OK: &str = "ok";

const PEM_END: &str = "-----END CERTIFICATE-----";

/// A PEM private key in a command: the client's text until [`ServerCertOp::prepare`]
/// replaces it with the sealed key (or with nothing, when the key was refused). It never
/// shows in `Debug` output.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PrivateKeyText(pub String);

impl std::fmt::Debug for PrivateKeyText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKeyText(..)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerCertOp {
    /// `UploadServerCertificate`.
    Upload {
        server_certificate_name: String,
        path: String,
        certificate_body: String,
        #[serde(default)]
        certificate_chain: Option<String>,
        /// Sealed by the proposing node (see [`PrivateKeyText`]).
        #[serde(default)]
        private_key: PrivateKeyText,
        #[serde(default)]
        tags: Vec<Tag>,
        /// Chosen by the proposing node.
        #[serde(default)]
        server_certificate_id: String,
        /// The proposing node's verdict on the private key: [`KEY_OK`], or the error as
        /// `Code: message`; empty: not checked (refused).
        #[serde(default)]
        key_check: String,
    },
    /// `UpdateServerCertificate`: a new name and/or a new path.
    Update {
        server_certificate_name: String,
        #[serde(default)]
        new_path: Option<String>,
        #[serde(default)]
        new_server_certificate_name: Option<String>,
    },
    /// `DeleteServerCertificate`.
    Delete { server_certificate_name: String },
    /// `TagServerCertificate`.
    Tag {
        server_certificate_name: String,
        tags: Vec<Tag>,
    },
    /// `UntagServerCertificate`.
    Untag {
        server_certificate_name: String,
        tag_keys: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerCertQuery {
    /// `GetServerCertificate`: never the private key.
    Get { server_certificate_name: String },
    /// `ListServerCertificates`: metadata, by name.
    List {
        path_prefix: String,
        #[serde(default)]
        page: PageRequest,
    },
    /// `ListServerCertificateTags`.
    ListTags {
        server_certificate_name: String,
        #[serde(default)]
        page: PageRequest,
    },
}

impl ServerCertOp {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Upload { .. } => "UploadServerCertificate",
            Self::Update { .. } => "UpdateServerCertificate",
            Self::Delete { .. } => "DeleteServerCertificate",
            Self::Tag { .. } => "TagServerCertificate",
            Self::Untag { .. } => "UntagServerCertificate",
        }
    }

    /// The certificate the op names.
    pub fn server_certificate_name(&self) -> &str {
        match self {
            Self::Upload {
                server_certificate_name,
                ..
            }
            | Self::Update {
                server_certificate_name,
                ..
            }
            | Self::Delete {
                server_certificate_name,
            }
            | Self::Tag {
                server_certificate_name,
                ..
            }
            | Self::Untag {
                server_certificate_name,
                ..
            } => server_certificate_name,
        }
    }

    /// Chooses the id, checks the private key against the certificate and seals it (or
    /// drops it, with the reason in `key_check`). Whatever a client put in
    /// `server_certificate_id` and `key_check` is replaced.
    pub(crate) fn prepare(&mut self, env: &mut dyn Env) {
        if let Self::Upload {
            certificate_body,
            private_key,
            server_certificate_id,
            key_check,
            ..
        } = self
        {
            *server_certificate_id = env.unique_id(IdPrefix::ServerCertificate);
            let plain = std::mem::take(&mut private_key.0);
            let verdict = parse_body(certificate_body).and_then(|c| keypair::check(&plain, &c));
            match verdict {
                Ok(()) => {
                    *key_check = KEY_OK.to_owned();
                    private_key.0 = env.seal_secret(&plain);
                }
                Err(e) => *key_check = format!("{}: {}", e.code.as_str(), e.message),
            }
        }
    }
}

impl ServerCertQuery {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Get { .. } => "GetServerCertificate",
            Self::List { .. } => "ListServerCertificates",
            Self::ListTags { .. } => "ListServerCertificateTags",
        }
    }
}

/// The stored record. Never returned whole: it holds the sealed private key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredServerCertificate {
    pub path: String,
    pub server_certificate_name: String,
    pub server_certificate_id: String,
    pub arn: String,
    pub upload_ms: u64,
    /// The certificate's `notAfter`.
    pub expiration_ms: u64,
    /// The PEM as uploaded, trimmed.
    pub certificate_body: String,
    /// The chain as uploaded, trimmed.
    #[serde(default)]
    pub certificate_chain: Option<String>,
    /// The private key, sealed with the cluster key by the proposing node.
    pub sealed_private_key: String,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// `ServerCertificateMetadata`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerCertificateMetadata {
    pub path: String,
    pub server_certificate_name: String,
    pub server_certificate_id: String,
    pub arn: String,
    pub upload_ms: u64,
    pub expiration_ms: u64,
}

/// `GetServerCertificate`'s answer (`ServerCertificate`): no private key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerCertificateView {
    pub metadata: ServerCertificateMetadata,
    pub certificate_body: String,
    #[serde(default)]
    pub certificate_chain: Option<String>,
    pub tags: Vec<Tag>,
}

/// `UploadServerCertificate`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedServerCertificate {
    pub metadata: ServerCertificateMetadata,
    pub tags: Vec<Tag>,
}

impl StoredServerCertificate {
    pub fn metadata(&self) -> ServerCertificateMetadata {
        ServerCertificateMetadata {
            path: self.path.clone(),
            server_certificate_name: self.server_certificate_name.clone(),
            server_certificate_id: self.server_certificate_id.clone(),
            arn: self.arn.clone(),
            upload_ms: self.upload_ms,
            expiration_ms: self.expiration_ms,
        }
    }

    pub fn view(&self) -> ServerCertificateView {
        ServerCertificateView {
            metadata: self.metadata(),
            certificate_body: self.certificate_body.clone(),
            certificate_chain: self.certificate_chain.clone(),
            tags: self.tags.clone(),
        }
    }
}

/// `arn:aws:iam::ACCT:server-certificate{path}{name}`.
pub fn server_cert_arn(account: &str, path: &str, name: &str) -> String {
    arn::entity_arn(account, "server-certificate", path, name)
}

/// AWS's answer to a certificate body it cannot read.
pub fn malformed_body() -> IamError {
    IamError::new(
        ErrorCode::MalformedCertificate,
        "Unable to parse certificate. Please ensure the certificate is in PEM format.",
    )
}

fn malformed_chain(index: usize) -> IamError {
    IamError::new(
        ErrorCode::MalformedCertificate,
        format!("Unable to validate certificate chain. The certificate chain must start with the immediate signing certificate, followed by any intermediaries in order. The index within the chain of the invalid certificate is: {index}"),
    )
}

fn no_such(name: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("The Server Certificate with name {name} cannot be found."),
    )
}

fn already_exists(name: &str) -> IamError {
    IamError::new(
        ErrorCode::EntityAlreadyExists,
        format!("The Server Certificate with name {name} already exists."),
    )
}

fn validate_name(field: &str, name: &str) -> IamResult<()> {
    names::check_name(field, name, NAME_LEN_MAX)
}

/// `CertificateBody` and `CertificateChain`: 1–`max` characters of
/// `[\u0009\u000A\u000D\u0020-\u00FF]`.
fn validate_text(field: &str, text: &str, max: usize) -> IamResult<()> {
    let len = text.chars().count();
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}');
    if !(1..=max).contains(&len) || !text.chars().all(allowed) {
        let shown: String = text.chars().take(64).collect();
        return Err(IamError::validation(
            field,
            &shown,
            &format!("Member must have length between 1 and {max} and satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"),
        ));
    }
    Ok(())
}

/// The body as one certificate, or AWS's `MalformedCertificate`.
fn parse_body(body: &str) -> IamResult<Certificate> {
    Certificate::parse(body).map_err(|_| malformed_body())
}

/// The subject and issuer (DER) of a parsed certificate.
fn names_of(cert: &Certificate) -> Option<(Vec<u8>, Vec<u8>)> {
    let (_, x) = X509Certificate::from_der(&cert.der).ok()?;
    Some((x.subject().as_raw().to_vec(), x.issuer().as_raw().to_vec()))
}

/// The chain: PEM certificates and nothing else, the first the issuer of `leaf`, each
/// next one the issuer of the one before it.
fn check_chain(leaf: &Certificate, chain: &str) -> IamResult<()> {
    let mut rest = chain.trim();
    let mut issuer = names_of(leaf).ok_or_else(malformed_body)?.1;
    let mut index = 0;
    while !rest.is_empty() {
        let end = rest.find(PEM_END).ok_or_else(|| malformed_chain(index))? + PEM_END.len();
        let cert = Certificate::parse(&rest[..end]).map_err(|_| malformed_chain(index))?;
        let (subject, next) = names_of(&cert).ok_or_else(|| malformed_chain(index))?;
        if subject != issuer {
            return Err(malformed_chain(index));
        }
        issuer = next;
        rest = rest[end..].trim_start();
        index += 1;
    }
    Ok(())
}

fn load(txn: &Txn<'_>, account: &str, name: &str) -> IamResult<StoredServerCertificate> {
    validate_name("serverCertificateName", name)?;
    txn.get_json(&keys::server_cert(account, name))
        .ok_or_else(|| no_such(name))
}

fn save(cx: &mut Ctx<'_, '_>, c: &StoredServerCertificate) {
    cx.txn
        .put_json(keys::server_cert(cx.account, &c.server_certificate_name), c);
}

pub(crate) fn apply(cx: &mut Ctx<'_, '_>, op: &ServerCertOp) -> IamResult<Outcome> {
    crate::release::require(&*cx.txn, SERVER_CERTIFICATES, op.name())?;
    match op {
        ServerCertOp::Upload { .. } => upload(cx, op),
        ServerCertOp::Update {
            server_certificate_name,
            new_path,
            new_server_certificate_name,
        } => {
            if let Some(p) = new_path {
                names::validate_path("newPath", p)?;
            }
            if let Some(n) = new_server_certificate_name {
                validate_name("newServerCertificateName", n)?;
            }
            let mut c = load(cx.txn, cx.account, server_certificate_name)?;
            let old_key = keys::server_cert(cx.account, &c.server_certificate_name);
            if let Some(n) = new_server_certificate_name {
                let new_key = keys::server_cert(cx.account, n);
                if new_key != old_key && cx.txn.exists(&new_key) {
                    return Err(already_exists(n));
                }
                c.server_certificate_name = n.clone();
            }
            if let Some(p) = new_path {
                c.path = p.clone();
            }
            c.arn = server_cert_arn(cx.account, &c.path, &c.server_certificate_name);
            cx.txn.delete(old_key);
            save(cx, &c);
            Ok(Outcome::Nothing)
        }
        ServerCertOp::Delete {
            server_certificate_name,
        } => {
            let c = load(cx.txn, cx.account, server_certificate_name)?;
            cx.txn
                .delete(keys::server_cert(cx.account, &c.server_certificate_name));
            limits::bump(cx.txn, cx.account, Counter::ServerCertificates, -1);
            Ok(Outcome::Deleted)
        }
        ServerCertOp::Tag {
            server_certificate_name,
            tags: new,
        } => {
            let mut c = load(cx.txn, cx.account, server_certificate_name)?;
            tags::tag(&mut c.tags, new)?;
            save(cx, &c);
            Ok(Outcome::Nothing)
        }
        ServerCertOp::Untag {
            server_certificate_name,
            tag_keys,
        } => {
            let mut c = load(cx.txn, cx.account, server_certificate_name)?;
            tags::untag(&mut c.tags, tag_keys)?;
            save(cx, &c);
            Ok(Outcome::Nothing)
        }
    }
}

/// The proposing node's verdict on the key, as an error when it refused it.
fn judge_key(key_check: &str, sealed: &str) -> IamResult<()> {
    if key_check == KEY_OK && !sealed.is_empty() {
        return Ok(());
    }
    let refused = key_check.split_once(": ").and_then(|(code, message)| {
        ErrorCode::parse(code)
            .filter(|c| {
                matches!(
                    c,
                    ErrorCode::MalformedCertificate
                        | ErrorCode::KeyPairMismatch
                        | ErrorCode::ValidationError
                )
            })
            .map(|c| IamError::new(c, message))
    });
    Err(refused.unwrap_or_else(|| {
        IamError::new(
            ErrorCode::InvalidInput,
            "the private key was not checked and sealed before proposing",
        )
    }))
}

fn upload(cx: &mut Ctx<'_, '_>, op: &ServerCertOp) -> IamResult<Outcome> {
    let ServerCertOp::Upload {
        server_certificate_name: name,
        path,
        certificate_body: body,
        certificate_chain: chain,
        private_key,
        tags,
        server_certificate_id: id,
        key_check,
    } = op
    else {
        unreachable!("upload is called with an Upload op");
    };
    validate_name("serverCertificateName", name)?;
    names::validate_path("path", path)?;
    validate_text("certificateBody", body, BODY_LEN_MAX)?;
    if let Some(chain) = chain {
        validate_text("certificateChain", chain, CHAIN_LEN_MAX)?;
    }
    names::validate_tags(tags)?;
    let cert = parse_body(body)?;
    let now = i64::try_from(cx.time_ms / 1000).unwrap_or(i64::MAX);
    if now < cert.not_before {
        return Err(IamError::new(
            ErrorCode::MalformedCertificate,
            "Unable to validate certificate: it is not valid yet (its notBefore is after the request's time).",
        ));
    }
    if let Some(chain) = chain {
        check_chain(&cert, chain)?;
    }
    judge_key(key_check, &private_key.0)?;
    let id_ok = id.len() == 21
        && id.starts_with(IdPrefix::ServerCertificate.as_str())
        && id.chars().all(|c| c.is_ascii_alphanumeric());
    if !id_ok {
        return Err(IamError::new(
            ErrorCode::InvalidInput,
            "the server certificate id was not chosen before proposing",
        ));
    }
    let key = keys::server_cert(cx.account, name);
    if cx.txn.exists(&key) {
        return Err(already_exists(name));
    }
    if limits::count(cx.txn, cx.account, Counter::ServerCertificates)
        >= SERVER_CERTIFICATES_PER_ACCOUNT_MAX
    {
        return Err(IamError::quota(
            "ServerCertificatesPerAccount",
            SERVER_CERTIFICATES_PER_ACCOUNT_MAX,
        ));
    }
    limits::bump(cx.txn, cx.account, Counter::ServerCertificates, 1);
    let c = StoredServerCertificate {
        path: path.clone(),
        server_certificate_name: name.clone(),
        server_certificate_id: id.clone(),
        arn: server_cert_arn(cx.account, path, name),
        upload_ms: cx.time_ms,
        expiration_ms: u64::try_from(cert.not_after)
            .unwrap_or(0)
            .saturating_mul(1000),
        certificate_body: body.trim().to_owned(),
        certificate_chain: chain.as_ref().map(|c| c.trim().to_owned()),
        sealed_private_key: private_key.0.clone(),
        tags: tags.clone(),
    };
    cx.txn.put_json(key, &c);
    Ok(Outcome::record(&UploadedServerCertificate {
        metadata: c.metadata(),
        tags: c.tags,
    }))
}

/// A server certificate of `account` by name, as stored (sealed key included), if any:
/// for the node itself, never for the API.
pub fn stored(state: &dyn StateRead, account: &str, name: &str) -> Option<StoredServerCertificate> {
    Txn::new(state).get_json(&keys::server_cert(account, name))
}

pub(crate) fn query(
    state: &dyn StateRead,
    account: &str,
    q: &ServerCertQuery,
) -> IamResult<serde_json::Value> {
    let txn = Txn::new(state);
    match q {
        ServerCertQuery::Get {
            server_certificate_name,
        } => Ok(to_json(
            &load(&txn, account, server_certificate_name)?.view(),
        )),
        ServerCertQuery::List { path_prefix, page } => {
            names::validate_path_prefix(path_prefix)?;
            let p = scan_page(
                state,
                &keys::prefix("scert", account),
                page,
                |c: &StoredServerCertificate| c.path.starts_with(path_prefix.as_str()),
            )?;
            Ok(to_json(&super::Page {
                items: p
                    .items
                    .iter()
                    .map(StoredServerCertificate::metadata)
                    .collect::<Vec<_>>(),
                is_truncated: p.is_truncated,
                marker: p.marker,
            }))
        }
        ServerCertQuery::ListTags {
            server_certificate_name,
            page,
        } => {
            let c = load(&txn, account, server_certificate_name)?;
            Ok(to_json(&tags::list(&c.tags, page)?))
        }
    }
}
