//! The AWS IAM Query API on each node's HTTP port (`POST /`, form-encoded `Action=...`), as
//! the AWS CLI and SDKs speak it: `iam_aws` turns the form into a native command or query and
//! the result into AWS's XML; this module resolves the account, runs the call on this node
//! (writes go through Raft like gRPC writes; reads are linearizable, so a script that writes
//! through one node and reads through another sees its writes) and answers.
//!
//! Every request is authenticated (SigV4, `crate::auth`) and authorized like a gRPC call:
//! the caller's account is the account the request acts in. In sandbox mode a request with
//! an unknown access key (or none) acts as the root of the sandbox account.

use crate::api::ApiState;
use crate::auth::CallerKind;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use iam_auth::sigv4::{sha256_hex, SignedRequest};
use iam_authz::{AuthzDecision, SimulateRequest as AuthzSimulate};
use iam_aws::{Call, Caller, Params};
use iam_model::ErrorCode;
use iam_proto::v1::{Consistency, ReadOptions};
use iam_state::ops::policies::effective_documents;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use tonic::Status;

/// `POST /` (and `GET /?Action=...`).
pub(crate) async fn handle(
    State(s): State<ApiState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let rid = request_id();
    let raw_query = uri.query().unwrap_or_default().to_owned();
    let mut pairs = iam_aws::parse_form(raw_query.as_bytes());
    pairs.extend(iam_aws::parse_form(&body));
    let params = Params::new(pairs);
    let action = params.get("Action").unwrap_or_default().to_owned();
    let signed = SignedRequest {
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        query: raw_query,
        headers: headers
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect(),
        payload_sha256: Some(sha256_hex(&body)),
    };
    let service = signed_service(&signed, &action);
    let mut caller = match authenticate(&s, &signed, service) {
        Ok(c) => c,
        Err((code, message)) => return xml_error(&code, &message, &rid),
    };
    caller.source_ip = Some(peer.ip().to_string());
    caller.secure_transport = s.secure_transport;
    if service == "sts" {
        return match crate::sts::handle(&s, &caller, &params, &rid).await {
            Ok(body) => xml(200, body, &rid),
            Err((code, message)) => xml_error(&code, &message, &rid),
        };
    }
    let as_aws = match &caller.kind {
        CallerKind::Root => Caller::Root,
        CallerKind::User { name } => Caller::User(name),
        CallerKind::Role { .. } => Caller::Other,
    };
    let call = match iam_aws::route_as(&caller.account, as_aws, &params) {
        Ok(c) => c,
        Err(e) => {
            let (status, body) = e.render(&rid);
            return xml(status, body, &rid);
        }
    };
    match run(&s, &caller, &action, call).await {
        Ok(v) => xml(200, iam_aws::render(&action, &v, &rid), &rid),
        Err((code, message)) => xml_error(&code, &message, &rid),
    }
}

/// The service a request is for: its credential scope's, else STS for the STS actions AWS
/// accepts unsigned, else IAM.
fn signed_service(req: &SignedRequest, action: &str) -> &'static str {
    match iam_auth::sigv4::parse(req) {
        Ok(a) if a.service == "sts" => "sts",
        Ok(_) => "iam",
        Err(_) if crate::sts::is_sts_action(action) => "sts",
        Err(_) => "iam",
    }
}

/// The verified caller; in sandbox mode unknown or missing credentials act as the sandbox
/// account's root.
fn authenticate(
    s: &ApiState,
    req: &SignedRequest,
    service: &str,
) -> Result<crate::auth::Caller, CallError> {
    match s.auth.authenticate(req, service, crate::now_ms()) {
        Ok(c) => Ok(c),
        Err(e)
            if s.sandbox
                && matches!(
                    e.code,
                    ErrorCode::InvalidClientTokenId | ErrorCode::MissingAuthenticationToken
                ) =>
        {
            Ok(crate::auth::Caller::root(crate::config::SANDBOX_ACCOUNT))
        }
        Err(e) => Err((e.code.as_str().to_owned(), e.message)),
    }
}

type CallError = (String, String);

fn from_status(s: &Status) -> CallError {
    let code = s
        .metadata()
        .get("x-iam-error-code")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match (code, s.code()) {
        (Some(c), _) => (c, s.message().to_owned()),
        (None, tonic::Code::Unavailable | tonic::Code::DeadlineExceeded) => {
            ("ServiceUnavailable".into(), s.message().to_owned())
        }
        (None, tonic::Code::InvalidArgument) => ("ValidationError".into(), s.message().to_owned()),
        (None, _) => ("ServiceFailure".into(), s.message().to_owned()),
    }
}

fn from_iam(e: iam_model::IamError) -> CallError {
    (e.code.as_str().to_owned(), e.message)
}

async fn run(
    s: &ApiState,
    caller: &crate::auth::Caller,
    action: &str,
    call: Call,
) -> Result<Value, CallError> {
    match call {
        Call::Write(cmd) => {
            let (outcome, _) = s
                .execute_as(caller, None, cmd)
                .await
                .map_err(|e| from_status(&e))?;
            Ok(crate::api::reveal(s.auth.secrets(), &outcome))
        }
        Call::Read(q) => {
            let opts = ReadOptions {
                consistency: Consistency::Linearizable as i32,
                at_least_index: 0,
            };
            let (v, _) = s
                .query_as(caller, Some(opts), q)
                .await
                .map_err(|e| from_status(&e))?;
            Ok(v)
        }
        Call::Answer(v) => Ok(v),
        Call::Simulate(sim) => {
            allow_simulation(s, caller, action, sim.policy_source_arn.as_deref())?;
            // The simulated caller's name and tags become context keys: the same rule.
            if let Some(arn) = sim.caller_arn.as_deref() {
                if crate::api_authz::arn_account(arn) != Some(caller.account.as_str()) {
                    s.may_simulate(caller, arn, action)
                        .map_err(|e| from_status(&e))?;
                }
            }
            linearizable(s).await?;
            simulate(s, sim)
        }
        Call::ContextKeys(ck) => {
            allow_simulation(s, caller, action, ck.policy_source_arn.as_deref())?;
            linearizable(s).await?;
            context_keys(s, &ck)
        }
    }
}

/// Authorizes a simulator action: `iam:{action}` on the principal simulated (in its own
/// account; another account's only for the operator's root, as on the gRPC API: see
/// `ApiState::may_simulate`), or on `*` in the caller's account for the custom-policy forms.
fn allow_simulation(
    s: &ApiState,
    caller: &crate::auth::Caller,
    action: &str,
    policy_source_arn: Option<&str>,
) -> Result<(), CallError> {
    match policy_source_arn {
        Some(arn) => s.may_simulate(caller, arn, action),
        None => s.check(
            caller,
            crate::auth::authorize::Scope::Account(&caller.account),
            &iam_state::ops::target::Target::new(format!("iam:{action}"), "*"),
            false,
        ),
    }
    .map_err(|e| from_status(&e))
}

async fn linearizable(s: &ApiState) -> Result<u64, CallError> {
    s.read_at(Some(ReadOptions {
        consistency: Consistency::Linearizable as i32,
        at_least_index: 0,
    }))
    .await
    .map_err(|e| from_status(&e))
}

fn simulate(s: &ApiState, sim: iam_aws::Simulate) -> Result<Value, CallError> {
    let custom = sim.policy_source_arn.is_none();
    let req = AuthzSimulate {
        principal_arn: sim.policy_source_arn.clone().or(sim.caller_arn.clone()),
        actions: sim.action_names,
        resources: sim.resource_arns,
        context: sim
            .context_entries
            .into_iter()
            .map(|e| (e.name, e.values))
            .collect(),
        policy_documents: if custom || !sim.policy_input_list.is_empty() {
            Some(sim.policy_input_list)
        } else {
            None
        },
        boundary_document: sim
            .permissions_boundary_policy_input_list
            .into_iter()
            .next(),
        with_explanation: true,
        session_tags: Vec::new(),
    };
    let answer = s
        .view
        .consistent(|state, _| s.authz.simulate(state, &req))
        .map_err(from_iam)?;
    let results: Vec<(String, Value)> = answer
        .results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let decision = match r.decision {
                AuthzDecision::Allowed => "allowed",
                AuthzDecision::ExplicitDeny => "explicitDeny",
                AuthzDecision::ImplicitDeny => "implicitDeny",
            };
            let matched: Vec<Value> = r
                .matched
                .iter()
                .chain(r.decided_by.iter())
                .map(|m| m.policy.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .map(|p| json!({"source_policy_id": p, "source_policy_type": if p.starts_with("arn:") { "IAM Policy" } else { "user" }}))
                .collect();
            (
                format!("{i:08}"),
                json!({
                    "eval_action_name": r.action,
                    "eval_resource_name": r.resource,
                    "eval_decision": decision,
                    "matched_statements": matched,
                    "missing_context_values": [],
                }),
            )
        })
        .collect();
    let page = iam_state::ops::paging::vec_page(results, &sim.page).map_err(from_iam)?;
    let mut out = json!({"evaluation_results": page.items, "is_truncated": page.is_truncated});
    if let Some(m) = page.marker {
        out["marker"] = json!(m);
    }
    Ok(out)
}

/// The condition keys used in the principal's policies and the given documents.
fn context_keys(s: &ApiState, ck: &iam_aws::ContextKeys) -> Result<Value, CallError> {
    let mut docs: Vec<String> = ck.policy_input_list.clone();
    if let Some(arn) = &ck.policy_source_arn {
        let not_principal = || {
            (
                "InvalidInput".to_owned(),
                format!("{arn} is not the ARN of a user, group or role."),
            )
        };
        let (kind, name) = principal_of(arn).ok_or_else(not_principal)?;
        // The principal of the ARN's account (authorized above), under exactly that ARN.
        let account = crate::api_authz::arn_account(arn).ok_or_else(not_principal)?;
        if stored_arn(&s.view, account, kind, &name).as_deref() != Some(arn.as_str()) {
            return Err(from_iam(iam_model::IamError::no_such(kind.as_str(), &name)));
        }
        let found = effective_documents(&s.view, account, kind, &name).map_err(from_iam)?;
        docs.extend(found.policies.into_iter().map(|d| d.document));
    }
    let mut keys = BTreeSet::new();
    for d in &docs {
        let v: Value = serde_json::from_str(d).map_err(|e| {
            (
                "InvalidInput".to_owned(),
                format!("a policy document is not JSON: {e}"),
            )
        })?;
        let statements = match &v["Statement"] {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        for st in statements {
            if let Some(ops) = st["Condition"].as_object() {
                for keys_of_op in ops.values().filter_map(Value::as_object) {
                    keys.extend(keys_of_op.keys().cloned());
                }
            }
        }
    }
    Ok(json!({"context_key_names": keys.into_iter().collect::<Vec<_>>()}))
}

/// The stored ARN of a user, group or role, if it exists.
fn stored_arn(
    view: &iam_storage::StateView,
    account: &str,
    kind: iam_state::keys::EntityKind,
    name: &str,
) -> Option<String> {
    use iam_state::keys::EntityKind;
    use iam_state::ops::{groups, roles, users};
    let txn = iam_state::Txn::new(view);
    match kind {
        EntityKind::User => users::load(&txn, account, name).ok().map(|u| u.arn),
        EntityKind::Group => groups::load(&txn, account, name).ok().map(|g| g.arn),
        EntityKind::Role => roles::load(&txn, account, name).ok().map(|r| r.arn),
    }
}

fn principal_of(arn: &str) -> Option<(iam_state::keys::EntityKind, String)> {
    let resource = arn.strip_prefix("arn:aws:iam::")?.split_once(':')?.1;
    let (kind, rest) = resource.split_once('/')?;
    let kind = match kind {
        "user" => iam_state::keys::EntityKind::User,
        "group" => iam_state::keys::EntityKind::Group,
        "role" => iam_state::keys::EntityKind::Role,
        _ => return None,
    };
    Some((kind, rest.rsplit('/').next()?.to_owned()))
}

fn request_id() -> String {
    let b: [u8; 16] = rand::random();
    let h = hex_lower(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn xml_error(code: &str, message: &str, rid: &str) -> Response {
    let (status, body) = iam_aws::render_error(code, message, rid);
    xml(status, body, rid)
}

fn xml(status: u16, body: String, rid: &str) -> Response {
    let mut r = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body,
    )
        .into_response();
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static("text/xml"));
    if let Ok(v) = HeaderValue::from_str(rid) {
        h.insert("x-amzn-requestid", v);
    }
    r
}

/// `POST /_iamd/sandbox/reset`: wipes the whole state and recreates the sandbox account
/// (sandbox mode only; 404 otherwise).
pub(crate) async fn sandbox_reset(State(s): State<ApiState>) -> Response {
    if !s.sandbox {
        return (StatusCode::NOT_FOUND, "not a sandbox node\n").into_response();
    }
    let cmd = iam_state::Command::SandboxReset {
        account_id: crate::config::SANDBOX_ACCOUNT.into(),
        name: "sandbox".into(),
        email: "root@sandbox.example.com".into(),
    };
    match s.write_internal(cmd).await {
        Ok(index) => (
            StatusCode::OK,
            format!("{{\"reset\":true,\"log_index\":{index}}}\n"),
        )
            .into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("reset failed: {}\n", e.message()),
        )
            .into_response(),
    }
}
