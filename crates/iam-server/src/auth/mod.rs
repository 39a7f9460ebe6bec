//! Authentication and authorization of every API call, on the node that receives it.
//!
//! [`Authenticator::authenticate`] turns a SigV4-signed request (the AWS Query API on the
//! HTTP port, or a gRPC call: see `crate::grpc::auth`) into a [`Caller`]: long-term keys (`AKIA…`) are
//! looked up in this node's state and their sealed secret opened with the cluster key;
//! temporary keys (`ASIA…`) are verified from their self-contained session token with the
//! replicated token key ring — no write and no round trip either way.
//!
//! [`authorize`] then asks the policy engine whether the caller may perform the call's AWS
//! action on its resource (`iam_state::ops::target`), with the request context AWS
//! derives from the caller. The account root is always allowed in its own account; only the
//! operator account's root acts in other accounts; cluster administration is for the
//! operator account.

pub mod authorize;
pub mod hosts;
pub mod preauth;
mod session;
pub mod throttle;

use iam_auth::secret_box::SecretBox;
use iam_auth::sigv4::{self, SignedRequest};
use iam_auth::token::{self, KeyRing, SessionClaims};
use iam_auth::{AuthError, AuthErrors};
use iam_model::ErrorCode;
use iam_state::ops::access_keys::{self, AccessKeyStatus, ROOT};
use iam_state::system::{self, TokenKeyRing};
use iam_state::Txn;
use iam_storage::StateView;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Who made a request, once its signature has been verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: String,
    /// The ARN policies are evaluated for: the user, the account root, or the assumed-role
    /// session (`arn:aws:sts::A:assumed-role/R/S`).
    pub arn: String,
    pub kind: CallerKind,
    pub access_key_id: String,
    /// The session of temporary credentials.
    pub session: Option<SessionClaims>,
    /// The region of the credential scope (`aws:RequestedRegion`).
    pub region: String,
    /// The client's address (`aws:SourceIp`).
    pub source_ip: Option<String>,
    /// The request came over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerKind {
    Root,
    User {
        name: String,
    },
    Role {
        role: String,
        session: String,
    },
    /// A federated user's session (`GetFederationToken`; `name` is the federated user's
    /// name, the session's `principal_arn` the IAM user or root that created it). As in AWS,
    /// it may call no IAM operation and no STS operation but `GetCallerIdentity`.
    Federated {
        name: String,
    },
}

impl Caller {
    /// The root of `account`.
    pub fn root(account: &str) -> Self {
        Self {
            account: account.to_owned(),
            arn: iam_model::arn::root_arn(account),
            kind: CallerKind::Root,
            access_key_id: String::new(),
            session: None,
            region: sigv4_default_region(),
            source_ip: None,
            secure_transport: false,
        }
    }

    pub fn is_root(&self) -> bool {
        self.kind == CallerKind::Root
    }

    /// The calling user's name (for the AWS operations whose `UserName` defaults to it).
    pub fn user_name(&self) -> Option<&str> {
        match &self.kind {
            CallerKind::User { name } => Some(name),
            _ => None,
        }
    }

    /// The session tags of a role session (`aws:PrincipalTag/*` over the role's tags).
    pub fn session_tags(&self) -> Vec<(String, String)> {
        self.session
            .as_ref()
            .map(|s| s.session_tags.clone())
            .unwrap_or_default()
    }

    /// The AWS `UserId` (`GetCallerIdentity`): the account for the root, `AIDA…` for users
    /// (filled by the caller of this function), `AROA…:session` for role sessions.
    pub fn principal_kind(&self) -> &'static str {
        match self.kind {
            CallerKind::Root => "Account",
            CallerKind::User { .. } => "User",
            CallerKind::Role { .. } => "AssumedRole",
            CallerKind::Federated { .. } => "FederatedUser",
        }
    }
}

fn sigv4_default_region() -> String {
    "us-east-1".into()
}

/// Verifies request signatures against this node's state. Shared by every request.
pub struct Authenticator {
    view: StateView,
    secrets: SecretBox,
    /// Opened secrets by access key id, valid while the key's sealed secret is unchanged.
    opened: Mutex<HashMap<String, (String, String)>>,
    /// The token key ring as last opened, with the record it came from.
    ring: Mutex<Option<(TokenKeyRing, Arc<KeyRing>)>>,
    /// Long-term keys used since the last flush whose recorded last use is older than
    /// AWS's granularity: key id -> (account, service, region). See [`Authenticator::take_uses`].
    uses: Mutex<HashMap<String, KeyUse>>,
    /// The names this node answers to: a request signed for another host is refused.
    hosts: hosts::AllowedHosts,
    /// Whether this node's clock is in line with the cluster's (`Err`: why not). Every check
    /// of a request reads the clock (SigV4's window, token expiry, issue times), so a node
    /// whose clock is off refuses them all (see `iam_raft::clock`).
    clock: Option<ClockCheck>,
}

/// See [`Authenticator::with_clock_check`].
pub type ClockCheck = Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

/// A use of a long-term access key still to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUse {
    pub account: String,
    pub service: String,
    pub region: String,
}

/// Most opened secrets kept (a bound, not a tuning knob: misses only cost a decryption).
const OPENED_MAX: usize = 100_000;

impl Authenticator {
    pub fn new(view: StateView, secrets: SecretBox, hosts: hosts::AllowedHosts) -> Self {
        Self {
            view,
            secrets,
            opened: Mutex::new(HashMap::new()),
            ring: Mutex::new(None),
            uses: Mutex::new(HashMap::new()),
            hosts,
            clock: None,
        }
    }

    /// Refuses every request while `check` says this node's clock is off the cluster's.
    pub fn with_clock_check(mut self, check: ClockCheck) -> Self {
        self.clock = Some(check);
        self
    }

    /// Whether `caller` is a principal of the operator account (cluster administration is
    /// only ever allowed to them; transports use this to bound what they buffer for others).
    pub fn in_operator_account(&self, caller: &Caller) -> bool {
        iam_state::system::operator_account(&self.view).is_some_and(|a| a == caller.account)
    }

    /// `ServiceUnavailable` while this node's clock is off the cluster's.
    pub fn clock_in_line(&self) -> Result<(), AuthError> {
        match self.clock.as_ref().map(|check| check()) {
            Some(Err(why)) => Err(AuthError::new(
                ErrorCode::ServiceUnavailable,
                format!("{why}; this node refuses requests until its clock is corrected: use another node"),
            )),
            _ => Ok(()),
        }
    }

    /// The names this node answers to.
    pub fn hosts(&self) -> &hosts::AllowedHosts {
        &self.hosts
    }

    /// Whether `id` is an access key id this cluster knows: a session key (`ASIA…`), a key
    /// in this node's state whatever its status, or an id this cluster issued
    /// (`iam_auth::key_id`: since deleted, or not yet replicated here). A sandbox lets
    /// only the other ids (made up by a test suite) act as its root.
    pub fn knows_key(&self, id: &str) -> bool {
        id.starts_with("ASIA")
            || access_keys::lookup(&self.view, id).is_some()
            || iam_auth::key_id::issued_by(&self.secrets, id)
    }

    /// The key uses to record (at most one per key), emptying the list. The server proposes
    /// them in one batch every little while, so a request never waits for a Raft write and
    /// a key costs at most one write per `USE_GRANULARITY_MS`.
    pub fn take_uses(&self) -> Vec<(String, KeyUse)> {
        self.uses
            .lock()
            .map(|mut u| u.drain().collect())
            .unwrap_or_default()
    }

    pub fn secrets(&self) -> &SecretBox {
        &self.secrets
    }

    /// Authenticates a request this node received, signed for `service` (`iam` or `sts`):
    /// its signed `Host` must be one of this node's names ([`check_host`]).
    pub fn authenticate(
        &self,
        req: &SignedRequest,
        service: &str,
        now_ms: u64,
    ) -> Result<Caller, AuthError> {
        self.clock_in_line()?;
        let verified = sigv4::parse(req)
            .and_then(|auth| {
                check_host(&self.hosts, req, &auth)?;
                Ok(auth)
            })
            .and_then(|auth| self.verify_signer(req, auth, service, now_ms));
        if let Err(e) = &verified {
            crate::metrics::auth_failed(e.code);
        }
        verified
    }

    /// Authenticates a request another service received and relays (`Authorize` with a
    /// signed request): addressed to that service, so its host is not this node's.
    pub fn authenticate_relayed(
        &self,
        req: &SignedRequest,
        service: &str,
        now_ms: u64,
    ) -> Result<Caller, AuthError> {
        self.clock_in_line()?;
        let verified =
            sigv4::parse(req).and_then(|auth| self.verify_signer(req, auth, service, now_ms));
        if let Err(e) = &verified {
            crate::metrics::auth_failed(e.code);
        }
        verified
    }

    fn verify_signer(
        &self,
        req: &SignedRequest,
        auth: sigv4::ParsedAuth,
        service: &str,
        now_ms: u64,
    ) -> Result<Caller, AuthError> {
        let id = auth.access_key_id.clone();
        let mut pending_use = None;
        let (secret, mut caller) = if id.starts_with("ASIA") {
            let Some(tok) = auth.security_token.as_deref() else {
                return Err(AuthError::invalid_client_token_id());
            };
            let ring = self.key_ring()?;
            let session = token::authenticate_session(&ring, tok, &id, now_ms)?;
            if !session::principal_current(&self.view, &session.claims) {
                return Err(AuthError::invalid_client_token_id());
            }
            let caller = from_session(&session.claims);
            (session.secret_access_key, caller)
        } else {
            let key = access_keys::lookup(&self.view, &id)
                .filter(|k| k.status == AccessKeyStatus::Active)
                .ok_or_else(AuthError::invalid_client_token_id)?;
            let secret = self.open_secret(&key.access_key_id, &key.secret_access_key)?;
            let due = key.last_used.as_ref().is_none_or(|u| {
                now_ms >= u.time_ms.saturating_add(access_keys::USE_GRANULARITY_MS)
            });
            if due {
                pending_use = Some((
                    key.access_key_id.clone(),
                    KeyUse {
                        account: key.account.clone(),
                        service: auth.service.clone(),
                        region: auth.region.clone(),
                    },
                ));
            }
            let caller = if key.user_name == ROOT {
                Caller::root(&key.account)
            } else {
                let txn = Txn::new(&self.view);
                let user = iam_state::ops::users::load(&txn, &key.account, &key.user_name)
                    .map_err(|_| AuthError::invalid_client_token_id())?;
                Caller {
                    account: key.account.clone(),
                    arn: user.arn.clone(),
                    kind: CallerKind::User { name: user.name },
                    access_key_id: String::new(),
                    session: None,
                    region: String::new(),
                    source_ip: None,
                    secure_transport: false,
                }
            };
            (secret, caller)
        };
        sigv4::verify(req, &auth, &secret, service, now_ms)?;
        // Only a verified request counts as a use of the key.
        if let Some((key_id, u)) = pending_use {
            if let Ok(mut uses) = self.uses.lock() {
                if uses.len() < OPENED_MAX {
                    uses.insert(key_id, u);
                }
            }
        }
        caller.access_key_id = id;
        caller.region = auth.region;
        Ok(caller)
    }

    /// Whether `caller`, authenticated earlier (by the port's layer, against the state this
    /// node had then), still holds in the state applied now: its access key exists, is
    /// active and belongs to the same principal; a session's principal is the one it was
    /// issued to. A request that waited for a read barrier (`at-least`, linearizable) is
    /// checked again after it, so that a revocation the client already saw acknowledged is
    /// never answered with a stale allow.
    pub fn revalidate(&self, caller: &Caller) -> Result<(), AuthError> {
        let id = caller.access_key_id.as_str();
        if let Some(claims) = &caller.session {
            return if session::principal_current(&self.view, claims) {
                Ok(())
            } else {
                Err(AuthError::invalid_client_token_id())
            };
        }
        match access_keys::lookup(&self.view, id) {
            Some(key) if key.status == AccessKeyStatus::Active && key.account == caller.account => {
                let same = match &caller.kind {
                    CallerKind::Root => key.user_name == ROOT,
                    CallerKind::User { .. } => {
                        let txn = Txn::new(&self.view);
                        key.user_name != ROOT
                            && iam_state::ops::users::load(&txn, &key.account, &key.user_name)
                                .is_ok_and(|u| u.arn == caller.arn)
                    }
                    CallerKind::Role { .. } | CallerKind::Federated { .. } => false,
                };
                if same {
                    Ok(())
                } else {
                    Err(AuthError::invalid_client_token_id())
                }
            }
            Some(_) => Err(AuthError::invalid_client_token_id()),
            // A sandbox's made-up key acts as the sandbox user while that user exists.
            None if !self.knows_key(id)
                && caller.account == crate::sandbox::ACCOUNT
                && caller.user_name() == Some(crate::sandbox::USER)
                && crate::sandbox::user(&self.view).is_some_and(|u| u.arn == caller.arn) =>
            {
                Ok(())
            }
            None => Err(AuthError::invalid_client_token_id()),
        }
    }

    /// The checks of [`Authenticator::authenticate`] that need no body: the request carries a
    /// well-formed SigV4 authentication, addressed to this node ([`check_host`]), whose
    /// access key exists and is active (or whose session token opens). A request failing them is refused before its body is read.
    pub fn precheck(&self, req: &SignedRequest, now_ms: u64) -> Result<(), AuthError> {
        self.clock_in_line()?;
        let auth = sigv4::parse(req)?;
        check_host(&self.hosts, req, &auth)?;
        let id = &auth.access_key_id;
        if id.starts_with("ASIA") {
            let Some(tok) = auth.security_token.as_deref() else {
                return Err(AuthError::invalid_client_token_id());
            };
            let ring = self.key_ring()?;
            token::authenticate_session(&ring, tok, id, now_ms).map(|_| ())
        } else {
            access_keys::lookup(&self.view, id)
                .filter(|k| k.status == AccessKeyStatus::Active)
                .map(|_| ())
                .ok_or_else(AuthError::invalid_client_token_id)
        }
    }

    fn open_secret(&self, id: &str, sealed: &str) -> Result<String, AuthError> {
        if let Ok(cache) = self.opened.lock() {
            if let Some((s, plain)) = cache.get(id) {
                if s == sealed {
                    return Ok(plain.clone());
                }
            }
        }
        let plain = self.secrets.open(sealed)?;
        if let Ok(mut cache) = self.opened.lock() {
            if cache.len() >= OPENED_MAX {
                cache.clear();
            }
            cache.insert(id.to_owned(), (sealed.to_owned(), plain.clone()));
        }
        Ok(plain)
    }

    /// The token key ring of the state this node has applied, opened.
    pub fn key_ring(&self) -> Result<Arc<KeyRing>, AuthError> {
        let record = system::key_ring(&self.view);
        if let Ok(cache) = self.ring.lock() {
            if let Some((r, ring)) = cache.as_ref() {
                if *r == record {
                    return Ok(ring.clone());
                }
            }
        }
        let mut keys = Vec::new();
        for k in &record.keys {
            let hex_key = self.secrets.open(&k.sealed)?;
            let bytes: [u8; 32] = hex::decode(hex_key.trim())
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| {
                    AuthError::new(ErrorCode::ServiceFailure, "a token key is malformed")
                })?;
            keys.push((k.id, bytes));
        }
        let ring = KeyRing::new(keys, record.current).map_err(|e| {
            AuthError::new(
                ErrorCode::ServiceFailure,
                format!("the cluster has no usable token key yet ({e})"),
            )
        })?;
        let ring = Arc::new(ring);
        if let Ok(mut cache) = self.ring.lock() {
            *cache = Some((record, ring.clone()));
        }
        Ok(ring)
    }
}

/// The request's `Host` must be signed and name this node ([`hosts`]). A signature over
/// `:authority` alone covers nothing here: the server sees the authority as `host`.
pub fn check_host(
    hosts: &hosts::AllowedHosts,
    req: &SignedRequest,
    auth: &sigv4::ParsedAuth,
) -> Result<(), AuthError> {
    if !auth.signed_headers.iter().any(|h| h == "host") {
        return Err(AuthError::new(
            ErrorCode::IncompleteSignature,
            "'Host' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    hosts.check(req.header("host"))
}

/// The caller a session token describes.
fn from_session(c: &SessionClaims) -> Caller {
    let kind = if c.session_arn.contains(":federated-user/") {
        CallerKind::Federated {
            name: c.session_name.clone(),
        }
    } else if c.principal_arn.ends_with(":root") {
        CallerKind::Root
    } else if let Some(role) = c.principal_arn.split(":role/").nth(1) {
        CallerKind::Role {
            role: role.rsplit('/').next().unwrap_or(role).to_owned(),
            session: c.session_name.clone(),
        }
    } else {
        CallerKind::User {
            name: c
                .principal_arn
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned(),
        }
    };
    let arn = match kind {
        CallerKind::Role { .. } | CallerKind::Federated { .. } => c.session_arn.clone(),
        _ => c.principal_arn.clone(),
    };
    Caller {
        account: c.account.clone(),
        arn,
        kind,
        access_key_id: c.access_key_id.clone(),
        session: Some(c.clone()),
        region: String::new(),
        source_ip: None,
        secure_transport: false,
    }
}
