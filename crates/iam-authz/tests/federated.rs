//! The trust decision of AssumeRoleWithWebIdentity: the role's trust policy alone, naming
//! the identity provider as `Federated` principal, with the token's claims as condition keys.

mod common;

use common::*;
use iam_authz::{AuthzIndex, FederatedAsk};
use iam_model::ErrorCode;

const HOST: &str = "issuer.example.com/tenant";

fn provider() -> String {
    format!("arn:aws:iam::{A}:oidc-provider/{HOST}")
}

fn claims(sub: &str) -> Vec<(String, Vec<String>)> {
    vec![
        (format!("{HOST}:aud"), vec!["sts.amazonaws.com".into()]),
        (format!("{HOST}:sub"), vec![sub.into()]),
    ]
}

fn ask<'a>(provider: &'a str, claims: &'a [(String, Vec<String>)]) -> FederatedAsk<'a> {
    FederatedAsk {
        action: "sts:AssumeRoleWithWebIdentity",
        provider_arn: provider,
        claims,
        session_name: "pod",
        source_ip: Some("10.1.2.3"),
        secure_transport: true,
        now: 1_800_000_000_000,
    }
}

fn world_with(trust: &str) -> (World, iam_model::Role) {
    let mut w = World::new();
    let mut r = role("app");
    r.assume_role_policy = trust.to_owned();
    w.role(&r);
    (w, r)
}

fn trust(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

fn federated_allow(condition: &str) -> String {
    format!(
        r#"{{"Sid":"Pods","Effect":"Allow","Principal":{{"Federated":"{}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{condition}}}"#,
        provider()
    )
}

#[test]
fn the_trust_policy_alone_decides_with_the_token_claims() {
    let cond = format!(
        r#"{{"StringEquals":{{"{HOST}:sub":"system:serviceaccount:default:app","{HOST}:aud":"sts.amazonaws.com"}},"Bool":{{"aws:SecureTransport":"true"}}}}"#
    );
    let (w, r) = world_with(&trust(&federated_allow(&cond)));
    let index = AuthzIndex::new();
    let p = provider();
    let good = claims("system:serviceaccount:default:app");
    assert!(index
        .decide_federated_assume(&w.store, &r, &ask(&p, &good))
        .is_ok());
    // Another service account of the cluster.
    let other = claims("system:serviceaccount:kube-system:admin");
    let d = index
        .decide_federated_assume(&w.store, &r, &ask(&p, &other))
        .unwrap_err();
    assert_eq!(d.error.code, ErrorCode::AccessDenied);
    assert!(d.deciding_statement.is_none());
    // Another provider, even with the same claims.
    let stranger = format!("arn:aws:iam::{A}:oidc-provider/evil.example.com");
    assert!(index
        .decide_federated_assume(&w.store, &r, &ask(&stranger, &good))
        .is_err());
    // Over plain HTTP the condition on the transport fails.
    let plain = FederatedAsk {
        secure_transport: false,
        ..ask(&p, &good)
    };
    assert!(index.decide_federated_assume(&w.store, &r, &plain).is_err());
    // Another action than the trust policy allows.
    let saml = FederatedAsk {
        action: "sts:AssumeRoleWithSAML",
        ..ask(&p, &good)
    };
    assert!(index.decide_federated_assume(&w.store, &r, &saml).is_err());
}

#[test]
fn an_explicit_deny_wins_and_names_its_statement() {
    let deny = format!(
        r#"{{"Sid":"NoAdmins","Effect":"Deny","Principal":"*","Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringLike":{{"{HOST}:sub":"system:serviceaccount:kube-system:*"}}}}}}"#
    );
    let (w, r) = world_with(&trust(&format!("{},{deny}", federated_allow("{}"))));
    let index = AuthzIndex::new();
    let p = provider();
    assert!(index
        .decide_federated_assume(
            &w.store,
            &r,
            &ask(&p, &claims("system:serviceaccount:default:x"))
        )
        .is_ok());
    let d = index
        .decide_federated_assume(
            &w.store,
            &r,
            &ask(&p, &claims("system:serviceaccount:kube-system:admin")),
        )
        .unwrap_err();
    let statement = d.deciding_statement.expect("the deny statement");
    assert_eq!(statement.sid.as_deref(), Some("NoAdmins"));
    assert_eq!(statement.effect, "Deny");
}

#[test]
fn only_a_federated_principal_naming_the_provider_lets_it_in() {
    let p = provider();
    let good = claims("sub");
    let index = AuthzIndex::new();
    // The account, or a role ARN: grants to IAM principals, never to a federated one.
    for principal in [
        format!(r#"{{"AWS":"arn:aws:iam::{A}:root"}}"#),
        format!(r#"{{"AWS":"{}"}}"#, role_arn("app")),
        r#"{"Service":"ec2.amazonaws.com"}"#.to_owned(),
    ] {
        let (w, r) = world_with(&trust(&format!(
            r#"{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRoleWithWebIdentity"}}"#
        )));
        assert!(
            index
                .decide_federated_assume(&w.store, &r, &ask(&p, &good))
                .is_err(),
            "{principal}"
        );
    }
    // A trust policy that does not parse refuses.
    let (w, r) = world_with("{not json");
    assert!(index
        .decide_federated_assume(&w.store, &r, &ask(&p, &good))
        .is_err());
    // The session name is a condition key too.
    let named = r#"{"StringEquals":{"sts:RoleSessionName":"pod"}}"#;
    let (w, r) = world_with(&trust(&federated_allow(named)));
    assert!(index
        .decide_federated_assume(&w.store, &r, &ask(&p, &good))
        .is_ok());
    let other_name = FederatedAsk {
        session_name: "other",
        ..ask(&p, &good)
    };
    assert!(index
        .decide_federated_assume(&w.store, &r, &other_name)
        .is_err());
}
