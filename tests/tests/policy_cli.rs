//! `iamctl policy validate` and `iamctl policy eval`, offline, as a CI user would run them.

use iamd_tests::{bin, give_input};
use std::process::{Command, Stdio};

fn iamctl(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(bin("iamctl"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("iamctl");
    give_input(&mut child, stdin);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn validate_reports_errors_and_warnings_with_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    std::fs::write(&good, r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#).unwrap();
    let admin = dir.path().join("admin.json");
    std::fs::write(
        &admin,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    )
    .unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Resource":"*"}]}"#,
    )
    .unwrap();

    let (code, out, err) = iamctl(
        &[
            "policy",
            "validate",
            good.to_str().unwrap(),
            admin.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("full-admin") || out.contains("warning"),
        "{out}"
    );
    let (code, out, _) = iamctl(
        &[
            "policy",
            "validate",
            "--kind",
            "managed",
            bad.to_str().unwrap(),
            "-o",
            "json",
        ],
        "",
    );
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let e = &v["results"][0]["report"]["errors"][0];
    assert_eq!(e["code"], "MalformedPolicyDocument");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("must contain actions"),
        "{e}"
    );
    // Principal in a managed policy is an error; the same document is a fine resource policy.
    let with_principal = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:*","Resource":"*"}}"#;
    let (code, out, _) = iamctl(
        &["policy", "validate", "--kind", "managed", "-"],
        with_principal,
    );
    assert_eq!(code, 1);
    assert!(out.contains("should not specify a principal"), "{out}");
    let (code, _, _) = iamctl(&["policy", "validate", "-"], with_principal);
    assert_eq!(code, 0);
    let (code, _, err) = iamctl(&["policy", "validate", "/nonexistent/p.json"], "");
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/p.json"), "{err}");
}

#[test]
fn eval_runs_cases_line_by_line() {
    let allow = r#"{"Version":"2012-10-17","Statement":{"Sid":"Home","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}"#;
    let deny = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}}"#;
    let case = |id: &str, ip: &str, extra: &str| {
        format!(
            r#"{{"id":"{id}","identity_policies":[{allow}{extra}],"permission_boundary":null,"session_policy":null,"resource_policy":null,"request":{{"principal":"arn:aws:iam::111122223333:user/bob","action":"s3:GetObject","resource":"arn:aws:s3:::home/bob/a.txt","context":{{"aws:username":"bob","aws:SourceIp":"{ip}"}}}}}}"#
        )
    };
    let input = [
        case("inside", "10.1.2.3", ""),
        case("outside", "192.0.2.1", ""),
        case("mfa-deny", "10.1.2.3", &format!(",{deny}")),
        "{not json".to_string(),
    ]
    .join("\n");
    let (code, out, err) = iamctl(&["policy", "eval", "--cases", "-"], &input);
    assert_eq!(code, 1, "one line was malformed: {err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["decision"], "Allow");
    assert_eq!(lines[0]["matched"][0]["sid"], "Home");
    assert_eq!(lines[1]["decision"], "ImplicitDeny");
    // No MFA key at all (long-term key): BoolIfExists ... false is true, so the Deny applies.
    assert_eq!(lines[2]["decision"], "ExplicitDeny");
    assert_eq!(lines[3]["line"], 4);
    assert!(lines[3]["error"].is_string());
}
