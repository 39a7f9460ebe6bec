//! The AWS IAM Query API on each node's HTTP port (`POST /`, form-encoded `Action=...`), as
//! the AWS CLI and SDKs speak it: `iam_aws` turns the form into a native command or query and
//! the result into AWS's XML; this module resolves the account, runs the call on this node
//! (writes go through Raft like gRPC writes; reads are linearizable, so a script that writes
//! through one node and reads through another sees its writes) and answers.
//!
//! Until request signing is verified (the authentication work), the account is the one of the
//! access key named in the request's SigV4 credential when that key exists, else the
//! cluster's only account; the API is open like the gRPC API.

use crate::api::ApiState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use iam_authz::{AuthzDecision, SimulateRequest as AuthzSimulate};
use iam_aws::{Call, Caller, Params};
use iam_proto::v1::{Consistency, ReadOptions};
use iam_state::ops::access_keys;
use iam_state::ops::policies::effective_documents;
use iam_state::query;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use tonic::Status;

/// `POST /` (and `GET /?Action=...`).
pub(crate) async fn handle(
    State(s): State<ApiState>,
    headers: HeaderMap,
    RawQuery(raw_query): RawQuery,
    body: Bytes,
) -> Response {
    let rid = request_id();
    let mut pairs = iam_aws::parse_form(raw_query.as_deref().unwrap_or("").as_bytes());
    pairs.extend(iam_aws::parse_form(&body));
    let params = Params::new(pairs);
    let action = params.get("Action").unwrap_or_default().to_owned();
    let (account, user) = match resolve(&s, &headers, &params) {
        Ok(v) => v,
        Err((code, message)) => return xml_error(&code, &message, &rid),
    };
    let caller = match &user {
        Some(u) => Caller::User(u),
        None => Caller::Root,
    };
    let call = match iam_aws::route_as(&account, caller, &params) {
        Ok(c) => c,
        Err(e) => {
            let (status, body) = e.render(&rid);
            return xml(status, body, &rid);
        }
    };
    match run(&s, call).await {
        Ok(v) => xml(200, iam_aws::render(&action, &v, &rid), &rid),
        Err((code, message)) => xml_error(&code, &message, &rid),
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

async fn run(s: &ApiState, call: Call) -> Result<Value, CallError> {
    match call {
        Call::Write(cmd) => {
            let (outcome, _) = s.execute(None, cmd).await.map_err(|e| from_status(&e))?;
            Ok(outcome.to_json())
        }
        Call::Read(mut q) => {
            linearizable(s).await?;
            q.prepare(crate::now_ms());
            q.run(&s.view).map_err(from_iam)
        }
        Call::Answer(v) => Ok(v),
        Call::Simulate(sim) => {
            linearizable(s).await?;
            simulate(s, sim)
        }
        Call::ContextKeys(ck) => {
            linearizable(s).await?;
            context_keys(s, &ck)
        }
    }
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
        let (kind, name) = principal_of(arn).ok_or_else(|| {
            (
                "InvalidInput".to_owned(),
                format!("{arn} is not the ARN of a user, group or role."),
            )
        })?;
        let found = effective_documents(&s.view, &ck.account, kind, &name).map_err(from_iam)?;
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

/// The access key id of the request's SigV4 credential, if any.
fn access_key_id(headers: &HeaderMap, params: &Params) -> Option<String> {
    let from_header = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').next())
        .map(str::to_owned);
    from_header.or_else(|| {
        params
            .get("X-Amz-Credential")
            .and_then(|c| c.split('/').next())
            .map(str::to_owned)
    })
}

/// The account and (for a user's key) the user the request acts as; see the module docs.
fn resolve(
    s: &ApiState,
    headers: &HeaderMap,
    params: &Params,
) -> Result<(String, Option<String>), CallError> {
    if let Some(id) = access_key_id(headers, params) {
        if let Some(key) = access_keys::lookup(&s.view, &id) {
            return Ok((key.account, Some(key.user_name)));
        }
    }
    if s.sandbox {
        return Ok((crate::config::SANDBOX_ACCOUNT.to_owned(), None));
    }
    let accounts = query::list_accounts(&s.view);
    match accounts.as_slice() {
        [only] => Ok((only.id.clone(), None)),
        [] => Err((
            "InvalidClientTokenId".into(),
            "The cluster has no account yet: create one with `iamctl account create`.".into(),
        )),
        _ => Err((
            "InvalidClientTokenId".into(),
            "The security token included in the request is invalid: sign with an access key of an iamd account (the cluster holds several accounts).".into(),
        )),
    }
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
