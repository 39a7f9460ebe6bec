//! The public gRPC API: the `Iam` and `Cluster` services.
//!
//! Writes: validate early (fast, friendly errors), choose time, ids and a request token, then
//! propose through [`RaftNode::propose`] (which forwards to the leader). Reads: wait for the
//! requested consistency, then answer from this node's state.

use crate::status::{from_iam, from_raft, invalid};
use iam_authz::{AuthzDecision, AuthzIndex, AuthzRequest, SimulateRequest as AuthzSimulate};
use iam_model::ids::{unique_id, IdPrefix, UNIQUE_ID_SUFFIX_LEN};
use iam_model::{ErrorCode, IamError};
use iam_proto::v1::cluster_server::{Cluster, ClusterServer};
use iam_proto::v1::iam_server::{Iam, IamServer};
use iam_proto::v1::*;
use iam_proto::{account_to_proto, tag_from_proto, user_to_proto};
use iam_raft::peer::PeerCounters;
use iam_raft::types::IamNode;
use iam_raft::{Consistency as RaftConsistency, RaftNode};
use iam_state::ops::users::{UserOp, UserQuery};
use iam_state::ops::{Page, PageRequest};
use iam_state::{
    query, Command, Env, Outcome, Query, Request as StateRequest, Response as StateResponse,
};
use iam_storage::StateView;
use std::sync::Arc;
use tonic::{Request, Response, Status};

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
}

impl ApiState {
    pub fn new(
        node: Arc<RaftNode>,
        view: StateView,
        counters: Arc<PeerCounters>,
        authz: Arc<AuthzIndex>,
    ) -> Self {
        Self {
            node,
            view,
            counters,
            authz,
            sandbox: false,
        }
    }

    /// Proposes a command; returns the outcome and the commit index.
    async fn write(
        &self,
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
        let request_token =
            Some(token.unwrap_or_else(|| format!("auto-{:032x}", rand::random::<u128>())));
        let req = StateRequest {
            request_token,
            time_ms: crate::now_ms(),
            command,
        };
        let out = self.node.propose(req).await.map_err(|e| from_raft(&e))?;
        match out.response.result {
            Ok(outcome) => Ok((outcome, out.index)),
            Err(e) => Err(from_iam(&e)),
        }
    }

    /// Proposes a command the node itself issues (no client validation path); returns the
    /// commit index.
    pub(crate) async fn write_internal(&self, command: Command) -> Result<u64, Status> {
        Ok(self.write(None, command).await?.1)
    }

    /// Waits for the read consistency asked for; returns the applied index to report.
    pub(crate) async fn read_at(&self, opts: Option<ReadOptions>) -> Result<u64, Status> {
        self.read(opts).await
    }

    async fn read(&self, opts: Option<ReadOptions>) -> Result<u64, Status> {
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

fn iam_err(e: IamError) -> Status {
    from_iam(&e)
}

fn unexpected(o: Outcome) -> Status {
    Status::internal(format!("unexpected outcome {o:?}"))
}

/// The proposing node's choices for [`Command::prepare`]: random ids and secrets, argon2id
/// password hashes.
struct NodeEnv;

impl Env for NodeEnv {
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

impl ApiState {
    /// Validates, prepares and proposes a command; returns its outcome and commit index.
    pub async fn execute(
        &self,
        opts: Option<WriteOptions>,
        mut command: Command,
    ) -> Result<(Outcome, u64), Status> {
        if let Command::CreateAccount { account_id, .. } = &mut command {
            if account_id.is_empty() {
                // First digit non-zero, as AWS account ids look.
                *account_id = iam_model::AccountId::from_number(
                    100_000_000_000 + rand::random::<u64>() % 900_000_000_000,
                )
                .to_string();
            }
        }
        if let Command::In { account, .. } = &command {
            // Until callers are authenticated the API acts as the account's root.
            let root = iam_model::arn::root_arn(account);
            command.set_caller(&root);
        }
        if matches!(command.name(), "CreateLoginProfile" | "UpdateLoginProfile") {
            // argon2id takes tens of milliseconds of CPU: keep it off the async workers.
            command = tokio::task::spawn_blocking(move || {
                command.prepare(&mut NodeEnv);
                command
            })
            .await
            .map_err(|e| Status::internal(format!("password hashing failed: {e}")))?;
        } else {
            command.prepare(&mut NodeEnv);
        }
        let dry_run = StateRequest {
            request_token: None,
            time_ms: crate::now_ms(),
            command,
        };
        if let (StateResponse { result: Err(e) }, _) = iam_state::apply(&self.view, 0, &dry_run) {
            if input_error(&e) {
                return Err(iam_err(e));
            }
        }
        self.write(opts, dry_run.command).await
    }
}

fn context(entries: Vec<ContextEntry>) -> Result<Vec<(String, Vec<String>)>, Status> {
    entries
        .into_iter()
        .map(|e| {
            if e.key.is_empty() || e.key.len() > 256 {
                return Err(invalid(format!(
                    "context key {:?} must be 1 to 256 characters",
                    e.key
                )));
            }
            Ok((e.key, e.values))
        })
        .collect()
}

fn decision_str(d: AuthzDecision) -> &'static str {
    match d {
        AuthzDecision::Allowed => "allowed",
        AuthzDecision::ExplicitDeny => "explicitDeny",
        AuthzDecision::ImplicitDeny => "implicitDeny",
    }
}

#[tonic::async_trait]
impl Iam for ApiState {
    async fn authorize(
        &self,
        req: Request<AuthorizeRequest>,
    ) -> Result<Response<AuthorizeReply>, Status> {
        let r = req.into_inner();
        self.read(r.read).await?;
        let q = AuthzRequest {
            principal_arn: r.principal_arn,
            action: r.action,
            resource: if r.resource.is_empty() {
                "*".into()
            } else {
                r.resource
            },
            context: context(r.context)?,
            with_explanation: r.explain,
        };
        // One consistent snapshot: the answer and the applied index it reports agree.
        let (answer, applied) = self
            .view
            .consistent(|state, applied| (self.authz.authorize(state, &q), applied));
        let a = answer.map_err(iam_err)?;
        let explanation_json = if r.explain {
            serde_json::to_string(&a).unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(AuthorizeReply {
            decision: decision_str(a.decision).into(),
            allowed: a.decision == AuthzDecision::Allowed,
            explanation_json,
            applied_index: applied,
        }))
    }

    async fn simulate(
        &self,
        req: Request<SimulateRequest>,
    ) -> Result<Response<SimulateReply>, Status> {
        let r = req.into_inner();
        self.read(r.read).await?;
        let q = AuthzSimulate {
            principal_arn: Some(r.principal_arn).filter(|p| !p.is_empty()),
            actions: r.actions,
            resources: r.resources,
            context: context(r.context)?,
            policy_documents: Some(r.policy_documents).filter(|d| !d.is_empty()),
            boundary_document: None,
            with_explanation: true,
        };
        let (answer, applied) = self
            .view
            .consistent(|state, applied| (self.authz.simulate(state, &q), applied));
        let a = answer.map_err(iam_err)?;
        let results = a
            .results
            .iter()
            .map(|res| SimulateResult {
                action: res.action.clone(),
                resource: res.resource.clone(),
                decision: decision_str(res.decision).into(),
                explanation_json: serde_json::to_string(res).unwrap_or_default(),
            })
            .collect();
        Ok(Response::new(SimulateReply {
            results,
            applied_index: applied,
        }))
    }

    async fn write(&self, req: Request<WriteCall>) -> Result<Response<WriteResult>, Status> {
        let r = req.into_inner();
        let command: Command = serde_json::from_str(&r.command_json)
            .map_err(|e| invalid(format!("command_json is not a valid iamd command: {e}")))?;
        if command.is_internal() {
            return Err(invalid(format!(
                "{} is issued by iamd itself and cannot be sent through the API",
                command.name()
            )));
        }
        let (outcome, index) = self.execute(r.write, command).await?;
        Ok(Response::new(WriteResult {
            outcome_json: outcome.to_json().to_string(),
            log_index: index,
        }))
    }

    async fn read(&self, req: Request<ReadCall>) -> Result<Response<ReadResult>, Status> {
        let r = req.into_inner();
        let mut query: Query = serde_json::from_str(&r.query_json)
            .map_err(|e| invalid(format!("query_json is not a valid iamd query: {e}")))?;
        if query.is_internal() {
            return Err(invalid(format!(
                "{} returns secrets and is not available through the API",
                query.name()
            )));
        }
        query.prepare(crate::now_ms());
        let applied = self.read(r.read).await?;
        let result = query.run(&self.view).map_err(iam_err)?;
        Ok(Response::new(ReadResult {
            result_json: result.to_string(),
            applied_index: applied,
        }))
    }

    async fn create_account(
        &self,
        req: Request<CreateAccountRequest>,
    ) -> Result<Response<AccountReply>, Status> {
        let r = req.into_inner();
        let cmd = Command::CreateAccount {
            account_id: r.account_id,
            name: r.name,
            email: r.email,
        };
        match self.execute(r.write, cmd).await? {
            (Outcome::Account(a), index) => Ok(Response::new(AccountReply {
                account: Some(account_to_proto(&a)),
                log_index: index,
                applied_index: 0,
            })),
            (o, _) => Err(unexpected(o)),
        }
    }

    async fn get_account(
        &self,
        req: Request<GetAccountRequest>,
    ) -> Result<Response<AccountReply>, Status> {
        let r = req.into_inner();
        let applied = self.read(r.read).await?;
        let a = query::get_account(&self.view, &r.account_id).map_err(iam_err)?;
        Ok(Response::new(AccountReply {
            account: Some(account_to_proto(&a)),
            log_index: 0,
            applied_index: applied,
        }))
    }

    async fn list_accounts(
        &self,
        req: Request<ListAccountsRequest>,
    ) -> Result<Response<ListAccountsReply>, Status> {
        let applied = self.read(req.into_inner().read).await?;
        let accounts = query::list_accounts(&self.view)
            .iter()
            .map(account_to_proto)
            .collect();
        Ok(Response::new(ListAccountsReply {
            accounts,
            applied_index: applied,
        }))
    }

    async fn create_user(
        &self,
        req: Request<CreateUserRequest>,
    ) -> Result<Response<UserReply>, Status> {
        let r = req.into_inner();
        let op = UserOp::Create {
            name: r.name,
            path: Some(r.path)
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "/".into()),
            tags: r.tags.into_iter().map(tag_from_proto).collect(),
            permissions_boundary: Some(r.permissions_boundary).filter(|b| !b.is_empty()),
            user_id: String::new(),
        };
        match self
            .execute(r.write, Command::in_account(&r.account, op))
            .await?
        {
            (Outcome::User(u), index) => Ok(Response::new(UserReply {
                user: Some(user_to_proto(&u)),
                log_index: index,
                applied_index: 0,
            })),
            (o, _) => Err(unexpected(o)),
        }
    }

    async fn get_user(&self, req: Request<GetUserRequest>) -> Result<Response<UserReply>, Status> {
        let r = req.into_inner();
        let applied = self.read(r.read).await?;
        let q = Query::in_account(&r.account, UserQuery::Get { name: r.name });
        let v = q.run(&self.view).map_err(iam_err)?;
        let u: iam_model::User =
            serde_json::from_value(v).map_err(|e| Status::internal(format!("user record: {e}")))?;
        Ok(Response::new(UserReply {
            user: Some(user_to_proto(&u)),
            log_index: 0,
            applied_index: applied,
        }))
    }

    async fn list_users(
        &self,
        req: Request<ListUsersRequest>,
    ) -> Result<Response<ListUsersReply>, Status> {
        let r = req.into_inner();
        let applied = self.read(r.read).await?;
        let q = UserQuery::List {
            path_prefix: Some(r.path_prefix)
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "/".into()),
            page: PageRequest {
                marker: Some(r.marker).filter(|m| !m.is_empty()),
                max_items: Some(r.max_items).filter(|&m| m != 0),
            },
        };
        let v = Query::in_account(&r.account, q)
            .run(&self.view)
            .map_err(iam_err)?;
        let page: Page<iam_model::User> =
            serde_json::from_value(v).map_err(|e| Status::internal(format!("user page: {e}")))?;
        Ok(Response::new(ListUsersReply {
            users: page.items.iter().map(user_to_proto).collect(),
            is_truncated: page.is_truncated,
            marker: page.marker.unwrap_or_default(),
            applied_index: applied,
        }))
    }

    async fn delete_user(
        &self,
        req: Request<DeleteUserRequest>,
    ) -> Result<Response<WriteReply>, Status> {
        let r = req.into_inner();
        let cmd = Command::in_account(&r.account, UserOp::Delete { name: r.name });
        let (_, index) = self.execute(r.write, cmd).await?;
        Ok(Response::new(WriteReply { log_index: index }))
    }
}

fn members(node: &RaftNode) -> Vec<NodeAddr> {
    node.members()
        .into_iter()
        .map(|(id, n, voter)| NodeAddr {
            id,
            api: n.api,
            http: n.http,
            peer: n.peer,
            voter,
        })
        .collect()
}

#[tonic::async_trait]
impl Cluster for ApiState {
    async fn status(&self, _req: Request<StatusRequest>) -> Result<Response<NodeStatus>, Status> {
        let m = self.node.metrics();
        let (applied, hash) = self.view.hash_at_applied();
        let role = match m.state {
            openraft_state::Leader => "leader",
            openraft_state::Follower => "follower",
            openraft_state::Candidate => "candidate",
            openraft_state::Learner => "learner",
            openraft_state::Shutdown => "shutdown",
        };
        let me = m
            .membership_config
            .membership()
            .get_node(&m.id)
            .map(|n| n.api.clone())
            .unwrap_or_default();
        Ok(Response::new(NodeStatus {
            id: m.id,
            api: me,
            role: role.into(),
            term: m.current_term,
            last_log_index: m.last_log_index.unwrap_or(0),
            applied_index: applied,
            state_hash: hash,
            leader_id: m.current_leader.unwrap_or(0),
            has_leader: m.current_leader.is_some(),
            members: members(&self.node),
            cluster_id: self.node.config.cluster_id.clone(),
            snapshot_index: m.snapshot.map_or(0, |l| l.index),
            purged_index: self.view.purged_index(),
        }))
    }

    async fn hash(&self, _req: Request<HashRequest>) -> Result<Response<HashReply>, Status> {
        let (applied, hash) = self.view.hash_at_applied();
        Ok(Response::new(HashReply {
            id: self.node.id(),
            applied_index: applied,
            state_hash: hash,
        }))
    }

    async fn add_node(
        &self,
        req: Request<AddNodeRequest>,
    ) -> Result<Response<MembershipReply>, Status> {
        let r = req.into_inner();
        if r.id == 0 {
            return Err(invalid("node id must be a positive integer"));
        }
        for (flag, addr) in [("peer", &r.peer), ("api", &r.api), ("http", &r.http)] {
            let optional = flag == "http" && addr.is_empty();
            if !optional && addr.parse::<std::net::SocketAddr>().is_err() && !addr.contains(':') {
                return Err(invalid(format!(
                    "--{flag} {addr:?} is not a host:port address"
                )));
            }
        }
        let node = IamNode {
            peer: r.peer,
            api: r.api,
            http: r.http,
        };
        let index = self
            .node
            .add_node(r.id, node, !r.learner_only)
            .await
            .map_err(|e| from_raft(&e))?;
        Ok(Response::new(MembershipReply {
            members: members(&self.node),
            log_index: index,
        }))
    }

    async fn remove_node(
        &self,
        req: Request<RemoveNodeRequest>,
    ) -> Result<Response<MembershipReply>, Status> {
        let id = req.into_inner().id;
        let index = self.node.remove_node(id).await.map_err(|e| from_raft(&e))?;
        Ok(Response::new(MembershipReply {
            members: members(&self.node),
            log_index: index,
        }))
    }

    async fn snapshot(
        &self,
        _req: Request<SnapshotRequest>,
    ) -> Result<Response<SnapshotReply>, Status> {
        let index = self.node.snapshot_now().await.map_err(|e| from_raft(&e))?;
        Ok(Response::new(SnapshotReply {
            snapshot_index: index,
        }))
    }
}

use iam_raft::types::ServerState as openraft_state;

/// The API router with both services.
pub fn router(state: ApiState) -> tonic::transport::server::Router {
    tonic::transport::Server::builder()
        .tcp_nodelay(true)
        .add_service(IamServer::new(state.clone()))
        .add_service(ClusterServer::new(state))
}
