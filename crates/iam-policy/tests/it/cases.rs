//! The offline case runner: output shape, policies as objects or strings, error lines that
//! name the input line, and the account root.

use iam_policy::{run_case_line, run_cases};
use serde_json::{json, Value};

fn run(case: Value) -> Value {
    let out = run_case_line(&case.to_string(), 7);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("output is not JSON ({e}): {out}"))
}

fn allow_get() -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Get", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]})
}

fn request(principal: &str, action: &str) -> Value {
    json!({"principal": principal, "action": action, "resource": "arn:aws:s3:::b/k",
           "context": {"aws:SourceIp": "10.0.0.1", "aws:TagKeys": ["a", "b"]}})
}

const BOB: &str = "arn:aws:iam::111122223333:user/bob";

#[test]
fn allow_with_matched_statements() {
    let out = run(
        json!({"id": "c1", "identity_policies": [allow_get()], "permission_boundary": null,
        "session_policy": null, "resource_policy": null, "request": request(BOB, "s3:GetObject")}),
    );
    assert_eq!(
        out,
        json!({"id": "c1", "decision": "Allow", "matched": [
        {"policy": "identity[0]", "statement": 0, "sid": "Get", "effect": "Allow"}]})
    );
    let text = run_case_line(&json!({"id": "c1", "identity_policies": [allow_get()], "request": request(BOB, "s3:GetObject")}).to_string(), 1);
    assert!(
        text.starts_with(r#"{"id":"c1","decision":"Allow","matched":["#),
        "field order: {text}"
    );
}

#[test]
fn explicit_and_implicit_denies() {
    let deny = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]});
    let out = run(
        json!({"id": 2, "identity_policies": [allow_get(), deny], "request": request(BOB, "s3:GetObject")}),
    );
    assert_eq!(
        out,
        json!({"id": 2, "decision": "ExplicitDeny", "matched": [
        {"policy": "identity[1]", "statement": 0, "sid": null, "effect": "Deny"}]})
    );
    let boundary = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}});
    let out = run(
        json!({"id": "b", "identity_policies": [allow_get()], "permission_boundary": boundary,
        "request": request(BOB, "s3:GetObject")}),
    );
    assert_eq!(out["decision"], "ImplicitDeny");
    assert_eq!(out["matched"][0]["policy"], "identity[0]");
}

#[test]
fn documents_may_be_json_strings_and_resource_policies_use_the_request_principal() {
    let resource = json!({"Version": "2012-10-17", "Statement": {"Sid": "R", "Effect": "Allow",
        "Principal": {"AWS": BOB}, "Action": "s3:GetObject", "Resource": "*"}});
    let session = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}});
    let out = run(
        json!({"id": "r", "identity_policies": [], "session_policy": session.to_string(),
        "resource_policy": resource.to_string(), "request": request(BOB, "s3:GetObject")}),
    );
    assert_eq!(
        out,
        json!({"id": "r", "decision": "Allow", "matched": [
        {"policy": "resource_policy", "statement": 0, "sid": "R", "effect": "Allow"}]})
    );
    let carol = "arn:aws:iam::111122223333:user/carol";
    let out = run(
        json!({"id": "r2", "resource_policy": resource, "request": request(carol, "s3:GetObject")}),
    );
    assert_eq!(out["decision"], "ImplicitDeny");
}

#[test]
fn trust_policies_are_recognised_by_their_missing_resource() {
    let trust = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}});
    let case = |identity: Value| {
        json!({"id": "t", "identity_policies": identity, "resource_policy": trust,
        "request": {"principal": BOB, "action": "sts:AssumeRole", "resource": "arn:aws:iam::111122223333:role/r"}})
    };
    assert_eq!(run(case(json!([])))["decision"], "ImplicitDeny");
    let may = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}});
    assert_eq!(run(case(json!([may])))["decision"], "Allow");
}

#[test]
fn the_account_root_is_allowed_and_matches_are_still_reported() {
    let deny = json!({"Statement": {"Sid": "D", "Effect": "Deny", "Action": "*", "Resource": "*"}});
    let out = run(
        json!({"id": "root", "identity_policies": [deny], "request": request("arn:aws:iam::111122223333:root", "s3:GetObject")}),
    );
    assert_eq!(
        out,
        json!({"id": "root", "decision": "Allow", "matched": [
        {"policy": "identity[0]", "statement": 0, "sid": "D", "effect": "Deny"}]})
    );
}

#[test]
fn context_lists_are_multi_valued() {
    let p = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
        "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b", "c"]}, "StringEquals": {"aws:sourceip": "10.0.0.1"}}}});
    assert_eq!(
        run(json!({"id": 1, "identity_policies": [p], "request": request(BOB, "s3:GetObject")}))
            ["decision"],
        "Allow"
    );
}

#[test]
fn bad_lines_give_error_lines_and_the_run_goes_on() {
    let bad_policy = json!({"id": "bad", "identity_policies": [{"Statement": {"Effect": "Allow", "Resource": "*"}}],
        "request": request(BOB, "s3:GetObject")});
    let out = run(bad_policy);
    assert_eq!(out["id"], "bad");
    assert_eq!(out["line"], 7);
    let message = out["error"].as_str().unwrap_or_default();
    assert!(
        message.contains("identity[0]")
            && message.contains("Policy statement must contain actions."),
        "{message}"
    );

    let no_request = run(json!({"id": "x"}));
    assert!(no_request["error"]
        .as_str()
        .is_some_and(|m| m.contains("request")));

    let input = format!(
        "{}\nnot json\n\n{}\n",
        json!({"id": "a", "identity_policies": [allow_get()], "request": request(BOB, "s3:GetObject")}),
        json!({"id": "b", "request": request(BOB, "s3:GetObject")})
    );
    let mut out = Vec::new();
    let stats = run_cases(input.as_bytes(), &mut out).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((stats.cases, stats.errors), (2, 1));
    let lines: Vec<Value> = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or(Value::Null))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["decision"], "Allow");
    assert_eq!(
        lines[1],
        json!({"id": null, "line": 2, "error": lines[1]["error"]})
    );
    assert_eq!(
        (lines[2]["id"].clone(), lines[2]["decision"].clone()),
        (json!("b"), json!("ImplicitDeny"))
    );
}

#[test]
fn duplicate_keys_inside_documents_are_reported() {
    let line = r#"{"id":"d","identity_policies":[{"Statement":{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}}],"request":{"principal":"p","action":"s3:x","resource":"*"}}"#;
    let out: Value = serde_json::from_str(&run_case_line(line, 3)).unwrap_or(Value::Null);
    assert_eq!(out["line"], 3);
    assert!(
        out["error"]
            .as_str()
            .is_some_and(|m| m.contains("duplicate key")),
        "{out}"
    );
}
