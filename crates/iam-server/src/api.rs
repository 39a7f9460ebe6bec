//! The service core: every request, whatever transport brought it, runs through
//! [`ApiState`]'s typed steps — authorization (`check`), reads (`query_as`) and writes
//! (`execute_as`) — and answers an [`IamError`] when refused. The transports are adapters
//! that convert at their edge only: gRPC in `crate::grpc`, the AWS Query API and STS in
//! `crate::aws_http`. Nothing here knows either.
//!
//! Writes: validate early (fast, friendly errors), choose time, ids and a request token, then
//! propose through [`RaftNode::propose`] (which forwards to the leader). Reads: wait for the
//! requested consistency, then answer from this node's state.

use crate::auth::authorize::Scope;
use crate::auth::{Authenticator, Caller};
use crate::errors::{from_raft, internal, invalid};
use crate::request_token::{request_digest, Proposer};
use crate::RaftNode;
use iam_auth::secret_box::SecretBox;
use iam_authz::AuthzIndex;
use iam_model::ids::{unique_id, IdPrefix, UNIQUE_ID_SUFFIX_LEN};
use iam_model::{ErrorCode, IamError};
use iam_raft::peer::PeerCounters;
pub use iam_raft::Consistency;
use iam_state::ops::target::{
    command_target, query_target, query_touches_root_credentials, touches_root_credentials, Target,
};
use iam_state::{Command, Env, Outcome, Query, Request as StateRequest, Response as StateResponse};
use iam_storage::StateView;
use std::sync::Arc;

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    pub node: Arc<RaftNode>,
    pub view: StateView,
    pub counters: Arc<PeerCounters>,
    /// Compiled policies per principal, kept right by the state machine's apply.
    pub authz: Arc<AuthzIndex>,
    /// Sandbox mode (`--sandbox`): see `aws_http`.
    pub sandbox: bool,
    /// Verifies request signatures; holds the cluster secret key.
    pub auth: Arc<Authenticator>,
    /// Failed password checks per user (ChangePassword), for rate limiting.
    pub failed_passwords: Arc<crate::password::FailedAttempts>,
    /// The API and HTTP ports serve TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
    /// Connections refused by the listeners (metrics).
    pub listen_counters: Arc<crate::listen::ListenCounters>,
    /// What requests may hold before they are authenticated (body budget, and sources
    /// whose requests keep failing authentication).
    pub preauth: Arc<crate::auth::preauth::Limits>,
    /// Sources whose sign-ins keep failing.
    pub sign_in_throttle: Arc<crate::auth::throttle::Throttle>,
    /// The last readiness read, shared by concurrent and closely following probes.
    pub(crate) ready_probe: Arc<crate::health::ProbeCache>,
    /// The audit trail (`crate::audit`): every request's line is written at its transport's
    /// edge.
    pub audit: Arc<crate::audit::Audit>,
    /// The event history's bounds this node proposes (most events, oldest in ms).
    pub history_bounds: (u64, u64),
    /// OpenID Connect providers' signing keys (`AssumeRoleWithWebIdentity`).
    pub oidc: Arc<crate::sts::OidcKeys>,
}

impl ApiState {
    pub fn new(
        node: Arc<RaftNode>,
        view: StateView,
        counters: Arc<PeerCounters>,
        authz: Arc<AuthzIndex>,
        secrets: SecretBox,
        hosts: crate::auth::hosts::AllowedHosts,
    ) -> Self {
        let audit = crate::audit::Audit::off(node.id());
        let clock_node = node.clone();
        let clock: crate::auth::ClockCheck = Arc::new(move || {
            let status = clock_node.clock_status();
            if status.ok {
                Ok(())
            } else {
                Err(status.detail)
            }
        });
        let auth =
            Arc::new(Authenticator::new(view.clone(), secrets, hosts).with_clock_check(clock));
        Self {
            node,
            view,
            counters,
            authz,
            sandbox: false,
            auth,
            failed_passwords: Arc::default(),
            secure_transport: false,
            listen_counters: Arc::default(),
            preauth: Arc::default(),
            sign_in_throttle: Arc::new(crate::auth::throttle::Throttle::sign_in()),
            ready_probe: Arc::default(),
            audit,
            history_bounds: (
                iam_state::events::DEFAULT_MAX_EVENTS,
                iam_state::events::DEFAULT_MAX_AGE_MS,
            ),
            oidc: Arc::default(),
        }
    }

    /// Whether `caller` may make the call `target` in `scope` (see [`crate::auth`]).
    pub(crate) fn check(
        &self,
        caller: &Caller,
        scope: Scope<'_>,
        target: &Target,
        root_credentials: bool,
    ) -> Result<(), IamError> {
        let started = std::time::Instant::now();
        let decision = crate::auth::authorize::check(
            &self.view,
            &self.authz,
            caller,
            scope,
            target,
            root_credentials,
            crate::now_ms(),
        );
        let outcome = match &decision {
            Ok(()) => crate::metrics::Outcome::Allowed,
            Err(_) => crate::metrics::Outcome::Denied,
        };
        let denial = decision.as_ref().err().map(|e| e.message.as_str());
        crate::audit::note_decision(
            &target.action,
            target.resources().map(str::to_owned).collect(),
            denial,
        );
        crate::metrics::decided(crate::metrics::Api::Iam, outcome, started.elapsed());
        decision
    }

    /// Authorizes a query for `caller` (filling in the caller's account when the query
    /// names none).
    pub(crate) fn authorize_query(
        &self,
        caller: &Caller,
        query: &mut Query,
    ) -> Result<(), IamError> {
        let scope_account = match query {
            Query::In { account, .. } => {
                if account.is_empty() {
                    account.clone_from(&caller.account);
                }
                Some(account.clone())
            }
            Query::GetAccount { account_id }
                if account_id.is_empty() || *account_id == caller.account =>
            {
                account_id.clone_from(&caller.account);
                Some(account_id.clone())
            }
            _ => None,
        };
        let target = query_target(&self.view, query);
        let scope = match &scope_account {
            Some(a) => Scope::Account(a),
            None => Scope::Cluster,
        };
        let root_creds = query_touches_root_credentials(&self.view, query);
        self.check(caller, scope, &target, root_creds)
    }

    /// Runs a query for `caller`: authorization, consistency, answer.
    pub(crate) async fn query_as(
        &self,
        caller: &Caller,
        consistency: Consistency,
        mut query: Query,
    ) -> Result<(serde_json::Value, u64), IamError> {
        crate::audit::note_params(|| serde_json::to_value(&query).ok());
        if query.is_internal() {
            return Err(invalid(format!(
                "{} returns secrets and is not available through the API",
                query.name()
            )));
        }
        // The consistency asked for first, then the caller and its rights as of that state:
        // a request that asks to see index N is judged by a state that includes N.
        let applied = self.read(consistency).await?;
        self.revalidate(caller)?;
        self.authorize_query(caller, &mut query)?;
        query.prepare(crate::now_ms());
        let result = query.run(&self.view)?;
        Ok((result, applied))
    }

    /// Proposes a command for `proposer`; returns the outcome and the commit index.
    /// `digest` names the request as the client sent it (see [`crate::request_token`]).
    async fn write(
        &self,
        proposer: &Proposer,
        digest: &str,
        request_token: Option<String>,
        command: Command,
    ) -> Result<(Outcome, u64), IamError> {
        let token = request_token.filter(|t| !t.is_empty());
        if let Some(t) = &token {
            if t.len() > iam_model::limits::REQUEST_TOKEN_LEN_MAX || t.chars().any(char::is_control)
            {
                return Err(invalid(format!(
                    "request token must be 1 to {} printable characters",
                    iam_model::limits::REQUEST_TOKEN_LEN_MAX
                )));
            }
        }
        // Every write carries a token so that internal retries across a failover are safe.
        let token = token.unwrap_or_else(|| format!("auto-{:032x}", rand::random::<u128>()));
        let req = StateRequest {
            request_token: Some(iam_state::token::scoped(&proposer.scope, digest, &token)),
            time_ms: crate::now_ms(),
            command,
            origin: proposer.origin.clone().map(Box::new),
        };
        let out = self.node.propose(req).await.map_err(|e| from_raft(&e))?;
        crate::audit::note_log_index(out.index);
        let outcome = out.response.result?;
        Ok((outcome, out.index))
    }

    /// Proposes a command the node itself issues (no client validation path); returns the
    /// commit index.
    pub(crate) async fn write_internal(&self, command: Command) -> Result<u64, IamError> {
        let digest = request_digest(self.auth.secrets(), &command);
        Ok(self
            .write(&Proposer::internal(), &digest, None, command)
            .await?
            .1)
    }

    /// Checks again, against the state applied now, the caller the port authenticated
    /// earlier (see [`crate::auth::Authenticator::revalidate`]).
    pub(crate) fn revalidate(&self, caller: &Caller) -> Result<(), IamError> {
        self.auth.revalidate(caller)
    }

    /// Waits until this node has applied everything committed before the call (a
    /// linearizable read barrier); returns the applied index.
    pub(crate) async fn read_linearizable(&self) -> Result<u64, IamError> {
        self.read(Consistency::Linearizable).await
    }

    /// Waits for the read consistency asked for; returns the applied index to report.
    pub(crate) async fn read(&self, consistency: Consistency) -> Result<u64, IamError> {
        self.node
            .read_barrier(consistency)
            .await
            .map_err(|e| from_raft(&e))
    }
}

/// An outcome of another kind than the command makes.
pub(crate) fn unexpected(o: &Outcome) -> IamError {
    internal(format!("unexpected outcome {o:?}"))
}

/// The proposing node's choices for [`Command::prepare`]: random ids and secrets (sealed
/// with the cluster key), argon2id password hashes.
struct NodeEnv {
    secrets: SecretBox,
}

impl Env for NodeEnv {
    fn seal_secret(&mut self, plaintext: &str) -> String {
        self.secrets.seal(plaintext, rand::random())
    }

    fn unique_id(&mut self, prefix: IdPrefix) -> String {
        let len = match prefix {
            IdPrefix::AccessKey | IdPrefix::TemporaryAccessKey => 16,
            _ => UNIQUE_ID_SUFFIX_LEN,
        };
        unique_id(prefix, &rand::random::<[u8; 32]>(), len)
    }

    fn random_bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| rand::random::<u8>()).collect()
    }

    /// Tagged with the cluster key, so that every node (a sandbox's in particular) knows
    /// the id for this cluster's even once the key is gone.
    fn access_key_id(&mut self) -> String {
        iam_auth::key_id::issue(&self.secrets, &rand::random::<[u8; 16]>())
    }

    fn hash_password(&mut self, password: &str) -> String {
        crate::password::hash(password)
    }
}

/// Errors that depend only on the input, not on the state, so a dry run against this node's
/// (possibly lagging) state may report them before anything is proposed.
fn input_error(e: &IamError) -> bool {
    matches!(
        e.code,
        ErrorCode::ValidationError
            | ErrorCode::MalformedPolicyDocument
            | ErrorCode::MalformedCertificate
            | ErrorCode::KeyPairMismatch
    )
}

/// The outcome as the API returns it: a secret created by this call (sealed in the state: an
/// access key's secret, a virtual MFA device's seed) is shown to its creator once, in the
/// clear.
pub(crate) fn reveal(secrets: &SecretBox, outcome: &Outcome) -> serde_json::Value {
    let mut v = outcome.to_json();
    crate::mfa::reveal_seed(secrets, &mut v);
    if let Some(serde_json::Value::String(s)) = v.get_mut("secret_access_key") {
        if let Ok(plain) = secrets.open(s) {
            *s = plain;
        }
    }
    v
}

impl ApiState {
    /// Authorizes `command` for `caller` (filling in the caller's account when the command
    /// names none), then executes it.
    pub async fn execute_as(
        &self,
        caller: &Caller,
        request_token: Option<String>,
        mut command: Command,
    ) -> Result<(Outcome, u64), IamError> {
        crate::audit::note_params(|| serde_json::to_value(&command).ok());
        if command.is_internal() {
            return Err(invalid(format!(
                "{} is issued by iamd itself and cannot be sent through the API",
                command.name()
            )));
        }
        let account = match &mut command {
            Command::In { account, .. } => {
                if account.is_empty() {
                    account.clone_from(&caller.account);
                }
                Some(account.clone())
            }
            _ => None,
        };
        // The request as the client sent it, before this node fills anything in (a retry
        // must digest the same, whatever the state has become meanwhile).
        let digest = request_digest(self.auth.secrets(), &command);
        let implicit = self.check_password_change(caller, &mut command).await?;
        let target = command_target(&self.view, &command);
        // Deciding an account's quota increase is the operator's, not the account's own.
        let operator_only = command.is_operator_decision();
        let scope = match &account {
            Some(a) if !operator_only => Scope::Account(a),
            _ => Scope::Cluster,
        };
        let root_creds = touches_root_credentials(&self.view, &command);
        if implicit {
            let decision = crate::auth::authorize::check_explicit_deny(
                &self.view,
                &self.authz,
                caller,
                &target,
                crate::now_ms(),
            );
            crate::audit::note_decision(
                &target.action,
                target.resources().map(str::to_owned).collect(),
                decision.as_ref().err().map(|e| e.message.as_str()),
            );
            decision?;
        } else {
            self.check(caller, scope, &target, root_creds)?;
        }
        // MFA codes are checked here, where the sealed seed can be opened (`crate::mfa`).
        self.check_mfa_codes(&mut command).await?;
        command.set_caller(&caller.arn);
        let origin = self.origin(caller, account.as_deref(), &target);
        let proposer = Proposer::caller(caller).with_origin(origin);
        self.execute(&proposer, &digest, request_token, command)
            .await
    }

    /// What the event history records of a change `caller` makes (once the cluster runs a
    /// release that keeps the history: see `iam_state::events`).
    fn origin(
        &self,
        caller: &Caller,
        account: Option<&str>,
        target: &Target,
    ) -> Option<iam_state::events::Origin> {
        if iam_state::release::cluster_release(&self.view) < iam_state::release::EVENT_HISTORY {
            return None;
        }
        let (max_events, max_age_ms) = self.history_bounds;
        Some(iam_state::events::Origin {
            account: account.unwrap_or(&caller.account).to_owned(),
            principal: caller.arn.clone(),
            access_key_id: caller.access_key_id.clone(),
            source_ip: caller.source_ip.clone().unwrap_or_default(),
            request_id: crate::audit::current_request_id().unwrap_or_default(),
            action: target.action.clone(),
            resources: target.resources().map(str::to_owned).collect(),
            max_events,
            max_age_ms,
        })
    }

    /// The node's own writes (bootstrap, bookkeeping): no caller to authorize.
    pub(crate) async fn execute_internal(
        &self,
        command: Command,
    ) -> Result<(Outcome, u64), IamError> {
        let digest = request_digest(self.auth.secrets(), &command);
        self.execute(&Proposer::internal(), &digest, None, command)
            .await
    }

    /// The node's own write with a request token of its choosing (bootstrap: a retry returns
    /// the first result). The token is in the node's own scope: no client can use it.
    pub(crate) async fn execute_internal_with_token(
        &self,
        token: &str,
        command: Command,
    ) -> Result<(Outcome, u64), IamError> {
        let digest = request_digest(self.auth.secrets(), &command);
        self.execute(
            &Proposer::internal(),
            &digest,
            Some(token.to_owned()),
            command,
        )
        .await
    }

    /// Validates, prepares and proposes a command; returns its outcome and commit index.
    async fn execute(
        &self,
        proposer: &Proposer,
        digest: &str,
        request_token: Option<String>,
        mut command: Command,
    ) -> Result<(Outcome, u64), IamError> {
        let mut env = NodeEnv {
            secrets: self.auth.secrets().clone(),
        };
        if command.hashes_password() {
            // argon2id takes tens of milliseconds of CPU: keep it off the async workers.
            command = tokio::task::spawn_blocking(move || {
                command.prepare(&mut env);
                command
            })
            .await
            .map_err(|e| internal(format!("password hashing failed: {e}")))?;
        } else {
            command.prepare(&mut env);
        }
        let dry_run = StateRequest::new(crate::now_ms(), command);
        if let StateResponse { result: Err(e) } = iam_state::dry_run(&self.view, &dry_run) {
            if input_error(&e) {
                return Err(e);
            }
        }
        self.write(proposer, digest, request_token, dry_run.command)
            .await
    }
}
