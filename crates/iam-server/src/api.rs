//! The public gRPC API: the `Iam` service (the `Cluster` service is in `api_cluster`).
//! Every call arrives authenticated (`auth::grpc`) and is authorized here before it runs.
//!
//! Writes: validate early (fast, friendly errors), choose time, ids and a request token, then
//! propose through [`RaftNode::propose`] (which forwards to the leader). Reads: wait for the
//! requested consistency, then answer from this node's state.

use crate::auth::authorize::Scope;
use crate::auth::grpc::caller_of;
use crate::auth::{Authenticator, Caller};
use crate::request_token::{request_digest, Proposer};
use crate::status::{from_iam, from_raft, invalid};
use crate::RaftNode;
use iam_auth::secret_box::SecretBox;
use iam_authz::AuthzIndex;
use iam_model::ids::{unique_id, IdPrefix, UNIQUE_ID_SUFFIX_LEN};
use iam_model::{ErrorCode, IamError};
use iam_proto::v1::cluster_server::ClusterServer;
use iam_proto::v1::iam_server::{Iam, IamServer};
use iam_proto::v1::*;
use iam_proto::{account_to_proto, tag_from_proto, user_to_proto};
use iam_raft::peer::PeerCounters;
use iam_raft::Consistency as RaftConsistency;
use iam_state::ops::target::{
    command_target, query_target, query_touches_root_credentials, touches_root_credentials, Target,
};
use iam_state::ops::users::{UserOp, UserQuery};
use iam_state::ops::{Page, PageRequest};
use iam_state::{Command, Env, Outcome, Query, Request as StateRequest, Response as StateResponse};
use iam_storage::StateView;
use std::sync::Arc;
use tonic::{Request, Response, Status};

mod iam_service;

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
        }
    }

    /// Whether `caller` may make the call `target` in `scope` (see [`crate::auth`]).
    pub(crate) fn check(
        &self,
        caller: &Caller,
        scope: Scope<'_>,
        target: &Target,
        root_credentials: bool,
    ) -> Result<(), Status> {
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
        decision.map_err(|e| from_iam(&e))
    }

    /// Authorizes a query for `caller` (filling in the caller's account when the query
    /// names none).
    pub(crate) fn authorize_query(&self, caller: &Caller, query: &mut Query) -> Result<(), Status> {
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
        opts: Option<ReadOptions>,
        mut query: Query,
    ) -> Result<(serde_json::Value, u64), Status> {
        crate::audit::note_params(|| serde_json::to_value(&query).ok());
        if query.is_internal() {
            return Err(invalid(format!(
                "{} returns secrets and is not available through the API",
                query.name()
            )));
        }
        // The consistency asked for first, then the caller and its rights as of that state:
        // a request that asks to see index N is judged by a state that includes N.
        let applied = self.read(opts).await?;
        self.revalidate(caller)?;
        self.authorize_query(caller, &mut query)?;
        query.prepare(crate::now_ms());
        let result = query.run(&self.view).map_err(iam_err)?;
        Ok((result, applied))
    }

    /// Proposes a command for `proposer`; returns the outcome and the commit index.
    /// `digest` names the request as the client sent it (see [`crate::request_token`]).
    async fn write(
        &self,
        proposer: &Proposer,
        digest: &str,
        opts: Option<WriteOptions>,
        command: Command,
    ) -> Result<(Outcome, u64), Status> {
        let token = opts.map(|o| o.request_token).filter(|t| !t.is_empty());
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
        match out.response.result {
            Ok(outcome) => Ok((outcome, out.index)),
            Err(e) => Err(from_iam(&e)),
        }
    }

    /// Proposes a command the node itself issues (no client validation path); returns the
    /// commit index.
    pub(crate) async fn write_internal(&self, command: Command) -> Result<u64, Status> {
        let digest = request_digest(self.auth.secrets(), &command);
        Ok(self
            .write(&Proposer::internal(), &digest, None, command)
            .await?
            .1)
    }

    /// Checks again, against the state applied now, the caller the port authenticated
    /// earlier (see [`crate::auth::Authenticator::revalidate`]).
    pub(crate) fn revalidate(&self, caller: &Caller) -> Result<(), Status> {
        self.auth
            .revalidate(caller)
            .map_err(|e| from_iam(&IamError::new(e.code, e.message)))
    }

    /// Waits until this node has applied everything committed before the call (a
    /// linearizable read barrier); returns the applied index.
    pub(crate) async fn read_linearizable(&self) -> Result<u64, Status> {
        self.read(Some(LINEARIZABLE)).await
    }

    /// Waits for the read consistency asked for; returns the applied index to report.
    pub(crate) async fn read(&self, opts: Option<ReadOptions>) -> Result<u64, Status> {
        let opts = opts.unwrap_or_default();
        let c = match Consistency::try_from(opts.consistency) {
            Ok(Consistency::Local) => RaftConsistency::Local,
            Ok(Consistency::AtLeast) => RaftConsistency::AtLeast(opts.at_least_index),
            Ok(Consistency::Linearizable) => RaftConsistency::Linearizable,
            Err(_) => {
                return Err(invalid(format!(
                    "unknown consistency level {}",
                    opts.consistency
                )))
            }
        };
        self.node.read_barrier(c).await.map_err(|e| from_raft(&e))
    }
}

/// The read options of a linearizable read, for the calls that take options.
pub(crate) const LINEARIZABLE: ReadOptions = ReadOptions {
    consistency: Consistency::Linearizable as i32,
    at_least_index: 0,
};

fn iam_err(e: IamError) -> Status {
    from_iam(&e)
}

fn unexpected(o: Outcome) -> Status {
    Status::internal(format!("unexpected outcome {o:?}"))
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
        ErrorCode::ValidationError | ErrorCode::MalformedPolicyDocument
    )
}

/// The outcome as the API returns it: a secret created by this call (sealed in the state: an
/// access key's secret, a virtual MFA device's seed) is shown to its creator once, in the
/// clear; a new virtual MFA device's otpauth URI comes
/// with its QR code (`qr_code_png`: base64 of the PNG, as AWS's `QRCodePNG`).
pub(crate) fn reveal(secrets: &SecretBox, outcome: &Outcome) -> serde_json::Value {
    let mut v = outcome.to_json();
    crate::mfa::reveal_seed(secrets, &mut v);
    if let Some(serde_json::Value::String(s)) = v.get_mut("secret_access_key") {
        if let Ok(plain) = secrets.open(s) {
            *s = plain;
        }
    }
    let qr = v
        .get("qr_code_uri")
        .and_then(serde_json::Value::as_str)
        .and_then(iam_aws::qr::png);
    if let Some(png) = qr {
        use base64::Engine;
        v["qr_code_png"] = base64::engine::general_purpose::STANDARD.encode(png).into();
    }
    v
}

impl ApiState {
    /// Authorizes `command` for `caller` (filling in the caller's account when the command
    /// names none), then executes it.
    pub async fn execute_as(
        &self,
        caller: &Caller,
        opts: Option<WriteOptions>,
        mut command: Command,
    ) -> Result<(Outcome, u64), Status> {
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
        let operator_only = matches!(command.name(), "ApproveQuotaIncrease" | "DenyQuotaIncrease");
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
            decision.map_err(|e| from_iam(&e))?;
        } else {
            self.check(caller, scope, &target, root_creds)?;
        }
        // MFA codes are checked here, where the sealed seed can be opened (`crate::mfa`).
        self.check_mfa_codes(&mut command).await?;
        command.set_caller(&caller.arn);
        let origin = self.origin(caller, account.as_deref(), &target);
        let proposer = Proposer::caller(caller).with_origin(origin);
        self.execute(&proposer, &digest, opts, command).await
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
    ) -> Result<(Outcome, u64), Status> {
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
    ) -> Result<(Outcome, u64), Status> {
        let opts = WriteOptions {
            request_token: token.to_owned(),
        };
        let digest = request_digest(self.auth.secrets(), &command);
        self.execute(&Proposer::internal(), &digest, Some(opts), command)
            .await
    }

    /// Validates, prepares and proposes a command; returns its outcome and commit index.
    async fn execute(
        &self,
        proposer: &Proposer,
        digest: &str,
        opts: Option<WriteOptions>,
        mut command: Command,
    ) -> Result<(Outcome, u64), Status> {
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
            .map_err(|e| Status::internal(format!("password hashing failed: {e}")))?;
        } else {
            command.prepare(&mut env);
        }
        let dry_run = StateRequest::new(crate::now_ms(), command);
        if let StateResponse { result: Err(e) } = iam_state::dry_run(&self.view, &dry_run) {
            if input_error(&e) {
                return Err(iam_err(e));
            }
        }
        self.write(proposer, digest, opts, dry_run.command).await
    }
}

/// HTTP/2 streams one API connection may have open at once.
pub const API_STREAMS_PER_CONNECTION: u32 = 256;

/// The API router with both services, behind request authentication.
pub fn router(
    state: ApiState,
) -> tonic::transport::server::Router<
    tower_layer::Stack<
        crate::auth::grpc::AuthLayer,
        tower_layer::Stack<crate::audit::grpc::AuditLayer, tower_layer::Identity>,
    >,
> {
    tonic::transport::Server::builder()
        .tcp_nodelay(true)
        // Streams one connection may have open at once (each holds at most a bounded
        // body, see `auth::grpc`).
        .max_concurrent_streams(Some(API_STREAMS_PER_CONNECTION))
        // The audit edge is outermost: a request refused by authentication is recorded too.
        .layer(crate::audit::grpc::AuditLayer::new(state.audit.clone()))
        .layer(crate::auth::grpc::AuthLayer::new(
            state.auth.clone(),
            state.secure_transport,
            state.preauth.clone(),
        ))
        .add_service(IamServer::new(state.clone()))
        .add_service(ClusterServer::new(state))
}
