//! The Cedar side of the policy benchmark: the mechanical translation of the standard
//! principal's AWS statements into Cedar policies (one Cedar policy per AWS statement), the
//! entity store (user, groups, action groups standing for AWS action wildcards, resources
//! with their ARN as an attribute), the context, and the decision mapped back to AWS terms.
//! `bench/RESULTS.md` explains why the translation decides like AWS for these requests.

use std::fmt::Write as _;
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityId, EntityTypeName, EntityUid, PolicySet,
    Request, RestrictedExpression,
};
use iam_policy::Verdict;
use serde_json::{json, Value};

use crate::fixture::{
    action_wildcards, concrete_actions, glob_ignore_case, Actions, Attached, Cond, Effect, Env,
    Stmt, GROUPS, POLICIES,
};

/// The Cedar text of the 10 policies for the principal named `username`. `${aws:username}`
/// is substituted here, per principal, as literal text (Cedar has no string concatenation);
/// everything else is independent of the principal.
pub(crate) fn policy_text(username: &str) -> String {
    let mut out = String::new();
    for p in POLICIES {
        let principal = match p.attached {
            Attached::User => format!("principal == User::{}", quote(username)),
            Attached::Group(g) => format!("principal in Group::{}", quote(g)),
        };
        for s in p.statements {
            statement(&mut out, p.name, &principal, s, username);
        }
    }
    out
}

fn statement(out: &mut String, policy: &str, principal: &str, s: &Stmt, username: &str) {
    let mut when: Vec<String> = Vec::new();
    let action = match s.actions {
        Actions::Only(["*"]) => "action".to_owned(),
        Actions::Only(list) => format!("action in [{}]", action_list(list)),
        Actions::Not(list) => {
            when.push(format!("!(action in [{}])", action_list(list)));
            "action".to_owned()
        }
    };
    if s.resources != ["*"] {
        let any: Vec<String> = s
            .resources
            .iter()
            .map(|r| resource_match(r, username))
            .collect();
        when.push(or(any));
    }
    when.extend(s.conds.iter().map(|c| condition(*c)));
    let effect = match s.effect {
        Effect::Allow => "permit",
        Effect::Deny => "forbid",
    };
    let _ = write!(
        out,
        "@id(\"{policy}/{sid}\")\n{effect} (\n  {principal},\n  {action},\n  resource\n)",
        sid = s.sid
    );
    if !when.is_empty() {
        let _ = write!(out, "\nwhen {{\n  {}\n}}", when.join("\n  && "));
    }
    out.push_str(";\n\n");
}

fn action_list(list: &[&str]) -> String {
    assert!(!list.contains(&"*"), "a bare * is only translated alone");
    list.iter()
        .map(|a| format!("Action::{}", quote(a)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An AWS resource pattern as a test on `resource.arn`: `==` without wildcard, `like` with
/// one (AWS's `*`; `?` is not used by the standard principal).
fn resource_match(pattern: &str, username: &str) -> String {
    assert!(!pattern.contains('?'));
    let parts: Vec<&str> = pattern.split("${aws:username}").collect();
    if pattern.replace("${aws:username}", "").contains('*') {
        // In a Cedar `like` pattern `\*` is a literal star; AWS variables are literal text.
        let user = username.replace('\\', "\\\\").replace('*', "\\*");
        let text = parts.join(&user).replace('"', "\\\"");
        format!("resource.arn like \"{text}\"")
    } else {
        format!("resource.arn == {}", quote(&parts.join(username)))
    }
}

fn condition(c: Cond) -> String {
    match c {
        Cond::SourceIpIn(nets) => format!(
            "context has source_ip && {}",
            or(nets
                .iter()
                .map(|n| format!("context.source_ip.isInRange(ip({}))", quote(n)))
                .collect())
        ),
        Cond::After(t) => format!("context has now && context.now > datetime({})", quote(t)),
        Cond::Before(t) => format!("context has now && context.now < datetime({})", quote(t)),
        Cond::Mfa(b) => format!("context has mfa && context.mfa == {b}"),
        Cond::MfaAgeBelow(n) => format!("context has mfa_age && context.mfa_age < {n}"),
        Cond::TagIn(k, vs) => {
            let k = quote(k);
            let any = vs
                .iter()
                .map(|v| format!("principal.tags[{k}] == {}", quote(v)))
                .collect();
            format!("principal.tags has {k} && {}", or(any))
        }
        // AWS: a negated operator is true when the key is missing, and with several
        // values true only when the request value equals none of them.
        Cond::TagNotIn(k, vs) => {
            let k = quote(k);
            let none: Vec<String> = vs
                .iter()
                .map(|v| format!("principal.tags[{k}] != {}", quote(v)))
                .collect();
            format!("(!(principal.tags has {k}) || ({}))", none.join(" && "))
        }
        Cond::TagLike(k, p) => {
            let k = quote(k);
            format!(
                "principal.tags has {k} && principal.tags[{k}] like {}",
                quote(p)
            )
        }
        Cond::RegionIn(vs) => format!(
            "context has region && {}",
            or(vs
                .iter()
                .map(|v| format!("context.region == {}", quote(v)))
                .collect())
        ),
        Cond::RegionNotIn(vs) => format!(
            "(!(context has region) || ({}))",
            vs.iter()
                .map(|v| format!("context.region != {}", quote(v)))
                .collect::<Vec<_>>()
                .join(" && ")
        ),
    }
}

fn or(mut terms: Vec<String>) -> String {
    if terms.len() == 1 {
        terms.pop().unwrap_or_default()
    } else {
        format!("({})", terms.join(" || "))
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The entity store for one principal: the user (name and tags as attributes, the 3 groups
/// as parents), the groups, every concrete action with the action groups (AWS wildcards
/// such as `s3:Get*`) that contain it as parents, and one entity per resource ARN.
pub(crate) fn entities_json(env: &Env, resources: &[&str]) -> String {
    let mut out: Vec<Value> = Vec::new();
    let tags: serde_json::Map<String, Value> = env
        .tags
        .iter()
        .map(|(k, v)| (tag_name(k).into(), json!(v)))
        .collect();
    out.push(json!({
        "uid": {"type": "User", "id": env.username},
        "attrs": {"name": env.username, "tags": tags},
        "parents": GROUPS.iter().map(|g| json!({"type": "Group", "id": g})).collect::<Vec<_>>(),
    }));
    for g in GROUPS {
        out.push(json!({"uid": {"type": "Group", "id": g}, "attrs": {}, "parents": []}));
    }
    let wildcards = action_wildcards();
    for w in &wildcards {
        out.push(json!({"uid": {"type": "Action", "id": w}, "attrs": {}, "parents": []}));
    }
    for a in concrete_actions() {
        let parents: Vec<Value> = wildcards
            .iter()
            .filter(|w| glob_ignore_case(w, a))
            .map(|w| json!({"type": "Action", "id": w}))
            .collect();
        out.push(json!({"uid": {"type": "Action", "id": a}, "attrs": {}, "parents": parents}));
    }
    for r in resources {
        out.push(json!({"uid": {"type": "Resource", "id": r}, "attrs": {"arn": r}, "parents": []}));
    }
    serde_json::to_string(&out).expect("serializable")
}

/// What a Cedar deployment keeps per principal, plus the parsed type names that requests use.
pub(crate) struct CedarSet {
    pub(crate) policies: PolicySet,
    pub(crate) entities: Entities,
    pub(crate) authorizer: Authorizer,
    user: EntityTypeName,
    action: EntityTypeName,
    resource: EntityTypeName,
}

impl CedarSet {
    pub(crate) fn new(env: &Env, resources: &[&str]) -> Self {
        let policies = PolicySet::from_str(&policy_text(env.username))
            .unwrap_or_else(|e| panic!("cedar policies: {e:?}"));
        let entities = Entities::from_json_str(&entities_json(env, resources), None)
            .unwrap_or_else(|e| panic!("cedar entities: {e:?}"));
        CedarSet {
            policies,
            entities,
            authorizer: Authorizer::new(),
            user: type_name("User"),
            action: type_name("Action"),
            resource: type_name("Resource"),
        }
    }

    /// The request a server would build per call.
    pub(crate) fn request(&self, env: &Env, action: &str, resource: &str) -> Request {
        let uid = |t: &EntityTypeName, id: &str| {
            EntityUid::from_type_name_and_id(t.clone(), EntityId::new(id))
        };
        Request::new(
            uid(&self.user, env.username),
            uid(&self.action, action),
            uid(&self.resource, resource),
            context(env),
            None,
        )
        .unwrap_or_else(|e| panic!("cedar request: {e:?}"))
    }

    /// The decision in AWS terms: a Deny with a satisfied `forbid` is explicit. Panics when
    /// Cedar reports an evaluation error (an erroring policy would be silently skipped).
    pub(crate) fn verdict(&self, req: &Request) -> Verdict {
        let resp = self
            .authorizer
            .is_authorized(req, &self.policies, &self.entities);
        let errors: Vec<String> = resp
            .diagnostics()
            .errors()
            .map(|e| format!("{e:?}"))
            .collect();
        assert!(errors.is_empty(), "cedar evaluation errors: {errors:?}");
        match resp.decision() {
            Decision::Allow => Verdict::Allow,
            Decision::Deny if resp.diagnostics().reason().next().is_some() => Verdict::ExplicitDeny,
            Decision::Deny => Verdict::ImplicitDeny,
        }
    }
}

/// `aws:PrincipalTag/team` → `team`.
fn tag_name(key: &str) -> &str {
    key.strip_prefix("aws:PrincipalTag/")
        .unwrap_or_else(|| panic!("{key}: not a principal tag key"))
}

fn type_name(t: &str) -> EntityTypeName {
    EntityTypeName::from_str(t).unwrap_or_else(|e| panic!("{t}: {e:?}"))
}

/// The request context: source IP and time as extension values, MFA as a boolean, MFA age
/// as a long, the requested region as a string (tags live on the user entity).
pub(crate) fn context(env: &Env) -> Context {
    Context::from_pairs([
        (
            "source_ip".to_owned(),
            RestrictedExpression::new_ip(env.source_ip),
        ),
        (
            "now".to_owned(),
            RestrictedExpression::new_datetime(env.now),
        ),
        ("mfa".to_owned(), RestrictedExpression::new_bool(env.mfa)),
        (
            "mfa_age".to_owned(),
            RestrictedExpression::new_long(env.mfa_age),
        ),
        (
            "region".to_owned(),
            RestrictedExpression::new_string(env.region.to_owned()),
        ),
    ])
    .unwrap_or_else(|e| panic!("cedar context: {e:?}"))
}
