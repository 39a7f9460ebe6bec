//! OpenID Connect identity providers (`oidc/{a}/{url}`): the IAM management API of the
//! providers a role's trust policy can name as `Federated` principal
//! (`arn:aws:iam::ACCT:oidc-provider/<url without https://>`). A provider is identified by its
//! URL, exactly as given (no two providers of an account share one); it holds the client ids
//! (audiences) and certificate thumbprints a web identity token is checked against, and tags.
//!
//! New in release [`OIDC_PROVIDERS`]: an older build cannot decode these ops, so a cluster
//! refuses every one of them until its upgrade to that release is finalized.
//!
//! AWS's documented behaviours kept here: adding a client id already present and removing
//! one that is absent succeed without a change, and so does deleting a provider that does
//! not exist ("This operation is idempotent", IAM API Reference). iamd cannot fetch an
//! identity provider's certificate, so a provider created without thumbprints has none.

mod validate;

use super::limits::{self, Counter};
use super::paging::{Page, PageRequest};
use super::users::tags;
use super::{to_json, Ctx, Env};
use crate::command::Outcome;
use crate::keys;
use crate::release::OIDC_PROVIDERS;
use crate::store::{StateRead, Txn};
use iam_model::limits::{CLIENT_IDS_PER_OIDC_PROVIDER_MAX, OIDC_PROVIDERS_PER_ACCOUNT_MAX};
use iam_model::{names, ErrorCode, IamError, IamResult, Tag};
use serde::{Deserialize, Serialize};

pub use validate::{CLIENT_ID_LEN_MAX, THUMBPRINT_LEN, URL_LEN_MAX};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OidcProviderOp {
    /// `CreateOpenIDConnectProvider`.
    Create {
        url: String,
        #[serde(default)]
        client_id_list: Vec<String>,
        #[serde(default)]
        thumbprint_list: Vec<String>,
        #[serde(default)]
        tags: Vec<Tag>,
    },
    /// `DeleteOpenIDConnectProvider`.
    Delete { provider_arn: String },
    /// `AddClientIDToOpenIDConnectProvider`.
    AddClientId {
        provider_arn: String,
        client_id: String,
    },
    /// `RemoveClientIDFromOpenIDConnectProvider`.
    RemoveClientId {
        provider_arn: String,
        client_id: String,
    },
    /// `UpdateOpenIDConnectProviderThumbprint`: replaces the whole list.
    UpdateThumbprint {
        provider_arn: String,
        thumbprint_list: Vec<String>,
    },
    /// `TagOpenIDConnectProvider`.
    Tag {
        provider_arn: String,
        tags: Vec<Tag>,
    },
    /// `UntagOpenIDConnectProvider`.
    Untag {
        provider_arn: String,
        tag_keys: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OidcProviderQuery {
    /// `GetOpenIDConnectProvider`.
    Get { provider_arn: String },
    /// `ListOpenIDConnectProviders`: every provider of the account (AWS does not page it).
    List {},
    /// `ListOpenIDConnectProviderTags`.
    ListTags {
        provider_arn: String,
        #[serde(default)]
        page: PageRequest,
    },
}

impl OidcProviderOp {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Create { .. } => "CreateOpenIDConnectProvider",
            Self::Delete { .. } => "DeleteOpenIDConnectProvider",
            Self::AddClientId { .. } => "AddClientIDToOpenIDConnectProvider",
            Self::RemoveClientId { .. } => "RemoveClientIDFromOpenIDConnectProvider",
            Self::UpdateThumbprint { .. } => "UpdateOpenIDConnectProviderThumbprint",
            Self::Tag { .. } => "TagOpenIDConnectProvider",
            Self::Untag { .. } => "UntagOpenIDConnectProvider",
        }
    }

    pub(crate) fn prepare(&mut self, _env: &mut dyn Env) {}
}

impl OidcProviderQuery {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Get { .. } => "GetOpenIDConnectProvider",
            Self::List {} => "ListOpenIDConnectProviders",
            Self::ListTags { .. } => "ListOpenIDConnectProviderTags",
        }
    }
}

/// A stored provider; `GetOpenIDConnectProvider` answers with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcProvider {
    pub account: String,
    /// `arn:aws:iam::ACCT:oidc-provider/<url>`.
    pub arn: String,
    /// The URL without `https://`, as AWS returns it.
    pub url: String,
    /// Client ids (audiences), in the order added.
    pub client_ids: Vec<String>,
    /// Certificate thumbprints (40 lowercase hex digits each), at most 5.
    pub thumbprints: Vec<String>,
    pub created_ms: u64,
    pub tags: Vec<Tag>,
}

/// `CreateOpenIDConnectProvider`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedOidcProvider {
    pub arn: String,
    pub tags: Vec<Tag>,
}

/// A member of `ListOpenIDConnectProviders` (AWS lists the ARNs only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcProviderEntry {
    pub arn: String,
}

/// `arn:aws:iam::ACCT:oidc-provider/<url without https://>`.
pub fn arn(account: &str, url: &str) -> String {
    format!("arn:aws:iam::{account}:oidc-provider/{url}")
}

/// The provider an ARN names, wherever its account (`AssumeRoleWithWebIdentity` looks up
/// the provider a trust policy's `Federated` principal names), if it exists.
pub fn by_arn(state: &dyn StateRead, provider_arn: &str) -> Option<OidcProvider> {
    let (account, url) = validate::split_arn(provider_arn)?;
    by_url(state, account, url)
}

/// The provider of `account` whose URL (without `https://`) is `url`, if any.
pub fn by_url(state: &dyn StateRead, account: &str, url: &str) -> Option<OidcProvider> {
    Txn::new(state).get_json(&keys::oidc_provider(account, url))
}

fn not_found(provider_arn: &str) -> IamError {
    IamError::new(
        ErrorCode::NoSuchEntity,
        format!("OpenIDConnect Provider not found for arn {provider_arn}"),
    )
}

/// The provider an ARN of `account` names, or AWS's `NoSuchEntity`.
fn load(txn: &Txn<'_>, account: &str, provider_arn: &str) -> IamResult<OidcProvider> {
    let url = validate::arn(account, provider_arn)?.ok_or_else(|| not_found(provider_arn))?;
    txn.get_json(&keys::oidc_provider(account, url))
        .ok_or_else(|| not_found(provider_arn))
}

fn save(cx: &mut Ctx<'_, '_>, p: &OidcProvider) {
    cx.txn.put_json(keys::oidc_provider(cx.account, &p.url), p);
}

pub(crate) fn apply(cx: &mut Ctx<'_, '_>, op: &OidcProviderOp) -> IamResult<Outcome> {
    crate::release::require(&*cx.txn, OIDC_PROVIDERS, op.name())?;
    match op {
        OidcProviderOp::Create {
            url,
            client_id_list,
            thumbprint_list,
            tags,
        } => create(cx, url, client_id_list, thumbprint_list, tags),
        OidcProviderOp::Delete { provider_arn } => {
            let url = validate::arn(cx.account, provider_arn)?;
            let key = url.map(|u| keys::oidc_provider(cx.account, u));
            match key {
                Some(key) if cx.txn.exists(&key) => {
                    cx.txn.delete(key);
                    limits::bump(cx.txn, cx.account, Counter::OidcProviders, -1);
                    Ok(Outcome::Deleted)
                }
                // Idempotent, as AWS documents it.
                _ => Ok(Outcome::Nothing),
            }
        }
        OidcProviderOp::AddClientId {
            provider_arn,
            client_id,
        } => {
            validate::client_id(client_id)?;
            let mut p = load(cx.txn, cx.account, provider_arn)?;
            if !p.client_ids.contains(client_id) {
                if p.client_ids.len() >= CLIENT_IDS_PER_OIDC_PROVIDER_MAX {
                    return Err(validate::too_many_client_ids());
                }
                p.client_ids.push(client_id.clone());
                save(cx, &p);
            }
            Ok(Outcome::Nothing)
        }
        OidcProviderOp::RemoveClientId {
            provider_arn,
            client_id,
        } => {
            validate::client_id(client_id)?;
            let mut p = load(cx.txn, cx.account, provider_arn)?;
            if p.client_ids.contains(client_id) {
                p.client_ids.retain(|c| c != client_id);
                save(cx, &p);
            }
            Ok(Outcome::Nothing)
        }
        OidcProviderOp::UpdateThumbprint {
            provider_arn,
            thumbprint_list,
        } => {
            let thumbprints = validate::thumbprints(thumbprint_list)?;
            let mut p = load(cx.txn, cx.account, provider_arn)?;
            p.thumbprints = thumbprints;
            save(cx, &p);
            Ok(Outcome::Nothing)
        }
        OidcProviderOp::Tag {
            provider_arn,
            tags: new,
        } => {
            let mut p = load(cx.txn, cx.account, provider_arn)?;
            tags::tag(&mut p.tags, new)?;
            save(cx, &p);
            Ok(Outcome::Nothing)
        }
        OidcProviderOp::Untag {
            provider_arn,
            tag_keys,
        } => {
            let mut p = load(cx.txn, cx.account, provider_arn)?;
            tags::untag(&mut p.tags, tag_keys)?;
            save(cx, &p);
            Ok(Outcome::Nothing)
        }
    }
}

fn create(
    cx: &mut Ctx<'_, '_>,
    url: &str,
    client_id_list: &[String],
    thumbprint_list: &[String],
    tags: &[Tag],
) -> IamResult<Outcome> {
    validate::create_lengths(url, client_id_list, thumbprint_list)?;
    let bare = validate::url(url)?;
    let thumbprints = validate::thumbprints(thumbprint_list)?;
    let client_ids = validate::client_ids(client_id_list)?;
    names::validate_tags(tags)?;
    let key = keys::oidc_provider(cx.account, bare);
    if cx.txn.exists(&key) {
        return Err(IamError::new(
            ErrorCode::EntityAlreadyExists,
            format!("Provider with url {url} already exists."),
        ));
    }
    if limits::count(cx.txn, cx.account, Counter::OidcProviders) >= OIDC_PROVIDERS_PER_ACCOUNT_MAX {
        return Err(IamError::quota(
            "OpenIdConnectProvidersPerAccount",
            OIDC_PROVIDERS_PER_ACCOUNT_MAX,
        ));
    }
    limits::bump(cx.txn, cx.account, Counter::OidcProviders, 1);
    let p = OidcProvider {
        account: cx.account.to_owned(),
        arn: arn(cx.account, bare),
        url: bare.to_owned(),
        client_ids,
        thumbprints,
        created_ms: cx.time_ms,
        tags: tags.to_vec(),
    };
    cx.txn.put_json(key, &p);
    Ok(Outcome::record(&CreatedOidcProvider {
        arn: p.arn,
        tags: p.tags,
    }))
}

pub(crate) fn query(
    state: &dyn StateRead,
    account: &str,
    q: &OidcProviderQuery,
) -> IamResult<serde_json::Value> {
    let txn = Txn::new(state);
    match q {
        OidcProviderQuery::Get { provider_arn } => Ok(to_json(&load(&txn, account, provider_arn)?)),
        OidcProviderQuery::List {} => {
            let prefix = keys::prefix("oidc", account);
            let items = txn
                .scan_all(&prefix)
                .into_iter()
                .filter_map(|(k, v)| crate::store::decode::<OidcProvider>(&k, &v))
                .map(|p| OidcProviderEntry { arn: p.arn })
                .collect();
            Ok(to_json(&Page {
                items,
                is_truncated: false,
                marker: None,
            }))
        }
        OidcProviderQuery::ListTags { provider_arn, page } => {
            let p = load(&txn, account, provider_arn)?;
            Ok(to_json(&tags::list(&p.tags, page)?))
        }
    }
}
