//! The `iam-rs` side of the policy benchmark: the same AWS JSON documents parsed with
//! `IAMPolicy::from_json`, one `PolicyEvaluator` per principal, the context with typed values
//! (the types its condition operators expect), and its decision mapped to AWS terms.

use iam_policy::Verdict;
use iam_rs::{
    Arn, Context, ContextValue, Decision, IAMPolicy, IAMRequest, PolicyEvaluator, Principal,
    PrincipalId,
};

use crate::fixture::{aws_json, Env, POLICIES, USER_ARN};

/// The 10 documents parsed by iam-rs.
pub(crate) fn parse_all(docs: &[String]) -> Vec<IAMPolicy> {
    docs.iter()
        .map(|d| IAMPolicy::from_json(d).unwrap_or_else(|e| panic!("iam-rs parse: {e}")))
        .collect()
}

/// The evaluator for the standard principal.
pub(crate) fn evaluator() -> PolicyEvaluator {
    let docs: Vec<String> = POLICIES.iter().map(aws_json).collect();
    PolicyEvaluator::with_policies(parse_all(&docs))
}

/// The context. Booleans and numbers are typed values (iam-rs compares a `Bool` condition
/// only against `ContextValue::Boolean`); the time is pre-parsed (`ContextValue::DateTime`),
/// which saves it a parse per date condition.
pub(crate) fn context(env: &Env) -> Context {
    let now = chrono_now(env.now);
    let mut ctx = Context::new()
        .with_string("aws:username", env.username)
        .with_string("aws:SourceIp", env.source_ip)
        .with_boolean("aws:MultiFactorAuthPresent", env.mfa)
        .with_number("aws:MultiFactorAuthAge", env.mfa_age as f64)
        .with_string("aws:RequestedRegion", env.region);
    ctx.insert("aws:CurrentTime".to_owned(), now);
    for (k, v) in env.tags {
        ctx.insert((*k).to_owned(), ContextValue::String((*v).to_owned()));
    }
    ctx
}

fn chrono_now(now: &str) -> ContextValue {
    let t = chrono::DateTime::parse_from_rfc3339(now)
        .unwrap_or_else(|e| panic!("{now}: {e}"))
        .with_timezone(&chrono::Utc);
    ContextValue::DateTime(t)
}

/// The request a server would build per call (the resource must be a parsable ARN).
pub(crate) fn request(env: &Env, action: &str, resource: &str) -> IAMRequest {
    IAMRequest::new_with_context(
        Principal::Aws(PrincipalId::String(USER_ARN.to_owned())),
        action,
        Arn::parse(resource).unwrap_or_else(|e| panic!("iam-rs arn {resource}: {e}")),
        context(env),
    )
}

/// The decision in AWS terms.
pub(crate) fn verdict(evaluator: &PolicyEvaluator, req: &IAMRequest) -> Verdict {
    match evaluator
        .evaluate(req)
        .unwrap_or_else(|e| panic!("iam-rs evaluate: {e}"))
        .decision
    {
        Decision::Allow => Verdict::Allow,
        Decision::Deny => Verdict::ExplicitDeny,
        Decision::NotApplicable => Verdict::ImplicitDeny,
    }
}
