//! Helpers shared by the test modules: building sets and requests in one line.

use std::sync::Arc;

use iam_policy::{
    evaluate, explain, parse, CompiledSet, Context, Decision, Explanation, Policies, PolicyKind,
    Request, Verdict,
};

pub(crate) const USER: &str = "arn:aws:iam::111122223333:user/bob";

/// Parses `doc` as `kind`, panicking with the error message on failure.
pub(crate) fn policy(doc: &str, kind: PolicyKind) -> Arc<iam_policy::Policy> {
    Arc::new(parse(doc, kind).unwrap_or_else(|e| panic!("{e}\n{doc}")))
}

/// A set of managed (identity) policies labelled p0, p1, ...
pub(crate) fn identity(docs: &[&str]) -> CompiledSet {
    CompiledSet::new(
        docs.iter()
            .enumerate()
            .map(|(i, d)| (format!("p{i}"), policy(d, PolicyKind::Managed))),
    )
}

/// A set holding one policy of `kind`.
pub(crate) fn one(doc: &str, kind: PolicyKind) -> CompiledSet {
    CompiledSet::new([("p", policy(doc, kind))])
}

/// Wraps statements into a 2012-10-17 document.
pub(crate) fn doc(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

/// Evaluates identity policies alone for the default user.
pub(crate) fn decide(docs: &[&str], action: &str, resource: &str, ctx: &Context) -> Verdict {
    let set = identity(docs);
    let req = Request::new(USER, action, resource, ctx);
    evaluate(&req, &Policies::new(&set)).verdict
}

/// [`decide`] with the documents read as user inline policies, which (unlike managed
/// policies) may use `2008-10-17` or omit the Version.
pub(crate) fn decide_inline(docs: &[&str], action: &str, resource: &str, ctx: &Context) -> Verdict {
    let set = CompiledSet::new(
        docs.iter()
            .enumerate()
            .map(|(i, d)| (format!("p{i}"), policy(d, PolicyKind::UserInline))),
    );
    let req = Request::new(USER, action, resource, ctx);
    evaluate(&req, &Policies::new(&set)).verdict
}

/// Evaluates and explains, and checks both agree on the verdict and reason.
pub(crate) fn both(req: &Request<'_>, policies: &Policies<'_>) -> (Decision, Explanation) {
    let d = evaluate(req, policies);
    let e = explain(req, policies);
    assert_eq!(
        (d.verdict, d.reason),
        (e.verdict, e.reason),
        "evaluate and explain disagree"
    );
    (d, e)
}

/// An Allow statement for `s3:GetObject` on everything with one condition block.
pub(crate) fn allow_if(condition: &str) -> String {
    doc(&format!(
        r#"{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{condition}}}"#
    ))
}

/// True when `allow_if(condition)` allows `s3:GetObject` with `ctx`.
pub(crate) fn holds(condition: &str, ctx: &Context) -> bool {
    decide(
        &[&allow_if(condition)],
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        ctx,
    ) == Verdict::Allow
}
