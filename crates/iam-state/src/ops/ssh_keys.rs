//! SSH public keys of IAM users (`ssh/{a}/{user}/{key id}`), as AWS keeps them for
//! CodeCommit: at most [`SSH_PUBLIC_KEYS_PER_USER_MAX`] per user, RSA only (`ssh-rsa` or
//! PEM, at least 2048 bits: [`encoding`]), stored in one normalized form (`ssh-rsa AAAA…`
//! without a comment) with its MD5 fingerprint; `GetSSHPublicKey` returns it as OpenSSH or
//! as an X.509 PEM. The id (`APKA` + 16 characters) is chosen by the proposing node.
//!
//! New in release [`SSH_PUBLIC_KEYS`]: an older build cannot decode these ops, so a cluster
//! refuses every one of them until its upgrade to that release is finalized.

pub mod encoding;

use super::access_keys::AccessKeyStatus;
use super::paging::{vec_page, PageRequest};
use super::{to_json, users, Ctx, Env};
use crate::command::Outcome;
use crate::keys;
use crate::release::SSH_PUBLIC_KEYS;
use crate::store::{StateRead, Txn};
use encoding::RsaKey;
use iam_model::ids::{unique_id, IdPrefix};
use iam_model::limits::SSH_PUBLIC_KEYS_PER_USER_MAX;
use iam_model::{ErrorCode, IamError, IamResult};
use serde::{Deserialize, Serialize};

/// Characters after `APKA` in an SSH public key id (20 in all, like AWS's).
pub const KEY_ID_SUFFIX_LEN: usize = 16;
/// `SSHPublicKeyBody`'s longest value.
pub const BODY_LEN_MAX: usize = 16384;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SshKeyOp {
    /// `UploadSSHPublicKey`.
    Upload {
        user_name: String,
        body: String,
        /// Chosen by the proposing node.
        #[serde(default)]
        ssh_public_key_id: String,
    },
    /// `UpdateSSHPublicKey`: `status` is `Active` or `Inactive`.
    Update {
        user_name: String,
        ssh_public_key_id: String,
        status: String,
    },
    /// `DeleteSSHPublicKey`.
    Delete {
        user_name: String,
        ssh_public_key_id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SshKeyQuery {
    /// `GetSSHPublicKey`: `encoding` is `SSH` or `PEM`.
    Get {
        user_name: String,
        ssh_public_key_id: String,
        encoding: String,
    },
    /// `ListSSHPublicKeys`: a user's keys (none for the account root, `user_name` empty).
    List {
        user_name: String,
        #[serde(default)]
        page: PageRequest,
    },
}

impl SshKeyOp {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Upload { .. } => "UploadSSHPublicKey",
            Self::Update { .. } => "UpdateSSHPublicKey",
            Self::Delete { .. } => "DeleteSSHPublicKey",
        }
    }

    /// The user the op acts on.
    pub fn user_name(&self) -> &str {
        match self {
            Self::Upload { user_name, .. }
            | Self::Update { user_name, .. }
            | Self::Delete { user_name, .. } => user_name,
        }
    }

    pub(crate) fn prepare(&mut self, env: &mut dyn Env) {
        if let Self::Upload {
            ssh_public_key_id, ..
        } = self
        {
            let bytes = env.random_bytes(KEY_ID_SUFFIX_LEN);
            if bytes.len() >= KEY_ID_SUFFIX_LEN {
                *ssh_public_key_id = unique_id(IdPrefix::SshPublicKey, &bytes, KEY_ID_SUFFIX_LEN);
            }
        }
    }
}

impl SshKeyQuery {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Get { .. } => "GetSSHPublicKey",
            Self::List { .. } => "ListSSHPublicKeys",
        }
    }

    /// The user the query reads.
    pub fn user_name(&self) -> &str {
        match self {
            Self::Get { user_name, .. } | Self::List { user_name, .. } => user_name,
        }
    }
}

/// The stored record; `UploadSSHPublicKey` and `GetSSHPublicKey` answer with it (`body` in
/// the encoding asked for).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshPublicKey {
    pub user_name: String,
    pub ssh_public_key_id: String,
    /// MD5 of the key blob, colon-separated hex.
    pub fingerprint: String,
    /// `ssh-rsa AAAA…` (stored), or the PEM `GetSSHPublicKey` was asked for.
    pub body: String,
    pub status: AccessKeyStatus,
    pub upload_ms: u64,
}

/// What `ListSSHPublicKeys` shows of a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshPublicKeyMetadata {
    pub user_name: String,
    pub ssh_public_key_id: String,
    pub status: AccessKeyStatus,
    pub upload_ms: u64,
}

impl From<&SshPublicKey> for SshPublicKeyMetadata {
    fn from(k: &SshPublicKey) -> Self {
        Self {
            user_name: k.user_name.clone(),
            ssh_public_key_id: k.ssh_public_key_id.clone(),
            status: k.status,
            upload_ms: k.upload_ms,
        }
    }
}

/// `SSHPublicKeyBody`: 1–16384 characters of `[\u0009\u000A\u000D\u0020-\u00FF]`.
fn validate_body(body: &str) -> IamResult<()> {
    let len = body.chars().count();
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}');
    if !(1..=BODY_LEN_MAX).contains(&len) || !body.chars().all(allowed) {
        let shown: String = body.chars().take(64).collect();
        return Err(IamError::validation(
            "sSHPublicKeyBody",
            &shown,
            "Member must have length between 1 and 16384 and satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
        ));
    }
    Ok(())
}

/// `SSHPublicKeyId`: 20–128 word characters.
fn validate_id(id: &str) -> IamResult<()> {
    let len = id.chars().count();
    if !(20..=128).contains(&len) || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(IamError::validation(
            "sSHPublicKeyId",
            id,
            "Member must have length between 20 and 128 and satisfy regular expression pattern: [\\w]+",
        ));
    }
    Ok(())
}

fn no_such_key(id: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("The Public Key with id {id} cannot be found."),
    )
}

/// The keys of one user, in upload order.
pub fn user_keys(txn: &Txn<'_>, account: &str, user: &str) -> Vec<SshPublicKey> {
    let mut out: Vec<SshPublicKey> = txn
        .scan_all(&keys::user_ssh_keys_prefix(account, user))
        .into_iter()
        .filter_map(|(k, v)| crate::store::decode::<SshPublicKey>(&k, &v))
        .collect();
    out.sort_by(|a, b| {
        (a.upload_ms, &a.ssh_public_key_id).cmp(&(b.upload_ms, &b.ssh_public_key_id))
    });
    out
}

/// A key of an existing user, or `NoSuchEntity`.
fn load(txn: &Txn<'_>, account: &str, user: &str, id: &str) -> IamResult<SshPublicKey> {
    validate_id(id)?;
    let user = users::load(txn, account, user)?;
    txn.get_json(&keys::user_ssh_key(account, &user.name, id))
        .ok_or_else(|| no_such_key(id))
}

pub(crate) fn apply(cx: &mut Ctx<'_, '_>, op: &SshKeyOp) -> IamResult<Outcome> {
    crate::release::require(&*cx.txn, SSH_PUBLIC_KEYS, op.name())?;
    match op {
        SshKeyOp::Upload {
            user_name,
            body,
            ssh_public_key_id,
        } => upload(cx, user_name, body, ssh_public_key_id),
        SshKeyOp::Update {
            user_name,
            ssh_public_key_id,
            status,
        } => {
            let status = AccessKeyStatus::parse(status)?;
            let mut key = load(cx.txn, cx.account, user_name, ssh_public_key_id)?;
            key.status = status;
            let at = keys::user_ssh_key(cx.account, &key.user_name, ssh_public_key_id);
            cx.txn.put_json(at, &key);
            Ok(Outcome::Nothing)
        }
        SshKeyOp::Delete {
            user_name,
            ssh_public_key_id,
        } => {
            let key = load(cx.txn, cx.account, user_name, ssh_public_key_id)?;
            cx.txn.delete(keys::user_ssh_key(
                cx.account,
                &key.user_name,
                ssh_public_key_id,
            ));
            Ok(Outcome::Deleted)
        }
    }
}

fn upload(cx: &mut Ctx<'_, '_>, user_name: &str, body: &str, id: &str) -> IamResult<Outcome> {
    validate_body(body)?;
    let parsed = RsaKey::parse(body)?;
    let owner = users::load(cx.txn, cx.account, user_name)?.name;
    if validate_id(id).is_err() || !id.starts_with(IdPrefix::SshPublicKey.as_str()) {
        return Err(IamError::new(
            ErrorCode::InvalidInput,
            "the SSH public key id was not chosen before proposing",
        ));
    }
    let fingerprint = parsed.fingerprint()?;
    let existing = user_keys(cx.txn, cx.account, &owner);
    if existing.iter().any(|k| k.fingerprint == fingerprint) {
        return Err(IamError::new(
            ErrorCode::DuplicateSSHPublicKey,
            "The request was rejected because the SSH public key is already associated with the specified IAM user.",
        ));
    }
    if existing.len() >= SSH_PUBLIC_KEYS_PER_USER_MAX {
        return Err(IamError::quota(
            "SSHPublicKeysPerUser",
            SSH_PUBLIC_KEYS_PER_USER_MAX as u64,
        ));
    }
    let at = keys::user_ssh_key(cx.account, &owner, id);
    if cx.txn.exists(&at) {
        return Err(IamError::new(
            ErrorCode::EntityAlreadyExists,
            format!("SSH public key with id {id} already exists."),
        ));
    }
    let key = SshPublicKey {
        user_name: owner,
        ssh_public_key_id: id.to_owned(),
        fingerprint,
        body: parsed.to_openssh()?,
        status: AccessKeyStatus::Active,
        upload_ms: cx.time_ms,
    };
    cx.txn.put_json(at, &key);
    Ok(Outcome::record(&key))
}

pub(crate) fn query(
    state: &dyn StateRead,
    account: &str,
    q: &SshKeyQuery,
) -> IamResult<serde_json::Value> {
    let txn = Txn::new(state);
    match q {
        SshKeyQuery::Get {
            user_name,
            ssh_public_key_id,
            encoding,
        } => {
            let pem = match encoding.as_str() {
                "SSH" => false,
                "PEM" => true,
                _ => {
                    return Err(IamError::validation(
                        "encoding",
                        encoding,
                        "Member must satisfy enum value set: [SSH, PEM]",
                    ))
                }
            };
            let mut key = load(&txn, account, user_name, ssh_public_key_id)?;
            if pem {
                key.body = RsaKey::parse(&key.body)?.to_pem()?;
            }
            Ok(to_json(&key))
        }
        SshKeyQuery::List { user_name, page } => {
            // The account root has no SSH keys.
            let owner = if user_name.is_empty() {
                None
            } else {
                Some(users::load(&txn, account, user_name)?.name)
            };
            let items = owner
                .map(|o| user_keys(&txn, account, &o))
                .unwrap_or_default()
                .iter()
                .map(|k| {
                    let order = format!("{:020}/{}", k.upload_ms, k.ssh_public_key_id);
                    (order, SshPublicKeyMetadata::from(k))
                })
                .collect();
            Ok(to_json(&vec_page(items, page)?))
        }
    }
}
