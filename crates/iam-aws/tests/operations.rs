//! Data-driven routing checks over every supported action, from botocore's IAM model
//! (`data/operations.txt`): with all its parameters an action routes to the iamd operation
//! of the same name, and without any one of its required parameters it fails with AWS's
//! "Value null" `ValidationError` naming that parameter. And each action's answer has the
//! `Result` element its AWS output shape calls for (`data/outputs.txt`), so an operation
//! added to the router but not to the renderer fails here.

use iam_aws::{result_body, route, route_as, Answer, Call, Caller, Params, SUPPORTED, UNSUPPORTED};

struct Operation {
    action: String,
    /// (name, type, required)
    members: Vec<(String, String, bool)>,
}

fn operations() -> Vec<Operation> {
    include_str!("data/operations.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut words = l.split_whitespace();
            let action = words.next().unwrap().to_owned();
            let members = words
                .map(|w| {
                    let (name, ty) = w.split_once(':').unwrap();
                    let required = ty.ends_with('*');
                    (
                        name.to_owned(),
                        ty.trim_end_matches('*').to_owned(),
                        required,
                    )
                })
                .collect();
            Operation { action, members }
        })
        .collect()
}

/// A plausible wire value (or values) for a member.
fn values(name: &str, ty: &str) -> Vec<(String, String)> {
    let one = |v: &str| vec![(name.to_owned(), v.to_owned())];
    match (name, ty) {
        ("Scope", _) => one("All"),
        ("EntityFilter", _) => one("User"),
        ("Filter", _) => vec![(format!("{name}.member.1"), "Role".into())],
        ("PolicyUsageFilter", _) => one("PermissionsPolicy"),
        ("Status", _) => one("Active"),
        ("AssignmentStatus", _) => one("Any"),
        (_, "integer") => one("5"),
        (_, "boolean") => one("true"),
        (_, "tags") => vec![
            (format!("{name}.member.1.Key"), "k".into()),
            (format!("{name}.member.1.Value"), "v".into()),
        ],
        (_, "context") => vec![
            (
                format!("{name}.member.1.ContextKeyName"),
                "aws:username".into(),
            ),
            (
                format!("{name}.member.1.ContextKeyValues.member.1"),
                "bob".into(),
            ),
            (format!("{name}.member.1.ContextKeyType"), "string".into()),
        ],
        (_, "list") => one_list(name),
        _ => one("x"),
    }
}

fn one_list(name: &str) -> Vec<(String, String)> {
    vec![(format!("{name}.member.1"), "x".to_owned())]
}

fn params(op: &Operation, skip: Option<&str>) -> Params {
    let mut pairs = vec![
        ("Action".to_owned(), op.action.clone()),
        ("Version".to_owned(), "2010-05-08".to_owned()),
    ];
    for (name, ty, _) in &op.members {
        if Some(name.as_str()) != skip {
            pairs.extend(values(name, ty));
        }
    }
    Params::new(pairs)
}

fn routed_name(call: &Call) -> String {
    match call {
        Call::Write(c) => c.name().to_owned(),
        Call::Read(q) => q.name().to_owned(),
        Call::Answer(_) => "Answer".to_owned(),
        Call::Simulate(s) if s.policy_source_arn.is_some() => "SimulatePrincipalPolicy".into(),
        Call::Simulate(_) => "SimulateCustomPolicy".into(),
        Call::ContextKeys(k) if k.policy_source_arn.is_some() => {
            "GetContextKeysForPrincipalPolicy".into()
        }
        Call::ContextKeys(_) => "GetContextKeysForCustomPolicy".into(),
    }
}

#[test]
fn the_model_file_lists_exactly_the_supported_actions() {
    let ops: Vec<String> = operations().into_iter().map(|o| o.action).collect();
    assert_eq!(
        ops,
        SUPPORTED.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    );
    for a in UNSUPPORTED {
        assert!(!SUPPORTED.contains(a), "{a} is both supported and not");
    }
}

#[test]
fn every_action_routes_to_the_operation_of_its_name() {
    for op in operations() {
        let call = route_as("123456789012", Caller::User("alice"), &params(&op, None))
            .unwrap_or_else(|e| panic!("{}: {e}", op.action));
        assert_eq!(routed_name(&call), op.action, "{call:?}");
        if let Call::Write(c) = &call {
            assert!(
                !c.is_internal(),
                "{} routes to an internal command",
                op.action
            );
        }
        if let Call::Read(q) = &call {
            assert!(
                !q.is_internal(),
                "{} routes to an internal query",
                op.action
            );
        }
    }
}

#[test]
fn a_missing_required_parameter_is_a_null_validation_error() {
    for op in operations() {
        for (name, _, required) in op.members.iter().filter(|m| m.2) {
            assert!(*required);
            let err = route_as(
                "123456789012",
                Caller::User("alice"),
                &params(&op, Some(name)),
            )
            .expect_err(&format!("{} without {name}", op.action));
            assert_eq!(
                err.code.as_str(),
                "ValidationError",
                "{} without {name}",
                op.action
            );
            assert_eq!(err.code.http_status(), 400);
            let field = iam_aws::field_name(name);
            assert_eq!(
                err.message,
                format!(
                    "1 validation error detected: Value null at '{field}' failed to satisfy \
                     constraint: Member must not be null"
                ),
                "{} without {name}",
                op.action
            );
        }
    }
}

#[test]
fn unsupported_actions_are_named_in_a_501() {
    for a in UNSUPPORTED {
        let p = Params::new([("Action".to_owned(), a.to_string())]);
        let err = route("123456789012", None, &p).unwrap_err();
        assert_eq!(err.code.as_str(), "NotImplemented");
        assert_eq!(err.code.http_status(), 501);
        assert_eq!(err.message, format!("iamd does not support {a}."));
    }
}

/// Every supported action with what botocore's model says its output is (`members`, `empty`
/// or `none`).
fn outputs() -> Vec<(&'static str, &'static str)> {
    include_str!("data/outputs.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split_once(' ').expect("action and output kind"))
        .collect()
}

#[test]
fn every_action_renders_the_result_element_its_aws_output_calls_for() {
    let listed: Vec<&str> = outputs().iter().map(|(a, _)| *a).collect();
    assert_eq!(
        listed, SUPPORTED,
        "data/outputs.txt must list exactly the supported actions"
    );
    for (action, kind) in outputs() {
        // An empty result: the renderer must still claim the action — render it, or refuse
        // it for not having the action's type — (its fields are checked by the golden XML of
        // tests/render.rs).
        let answer = if action.starts_with("Simulate") {
            Answer::Simulation(iam_state::ops::Page {
                items: Vec::new(),
                is_truncated: false,
                marker: None,
            })
        } else if action.starts_with("GetContextKeysFor") {
            Answer::ContextKeys(Vec::new())
        } else {
            Answer::State(serde_json::json!({}))
        };
        let body = result_body(action, &answer);
        match kind {
            "members" => assert!(
                !matches!(body, Ok(None)),
                "{action}: no renderer writes its Result"
            ),
            "empty" => assert_eq!(
                body.ok().flatten().as_deref(),
                Some(""),
                "{action}: an empty Result"
            ),
            "none" => assert!(
                matches!(body, Ok(None)),
                "{action}: AWS answers it without a Result"
            ),
            other => panic!("{action}: unknown output kind {other}"),
        }
    }
}
