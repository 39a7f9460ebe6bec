//! Issue 21, High 5 and two Low findings, as attacks over the real API against 3-node
//! clusters: Deny guardrails on the condition keys AWS supplies per IAM action
//! (`aws:ResourceTag`/`iam:ResourceTag` from the resource's current tags, `aws:TagKeys` of
//! `Untag*`, `iam:PolicyARN`, `iam:PermissionsBoundary`) must bite even when the attacker is
//! allowed `iam:*`; UpdateUser/UpdateGroup are authorized on the new ARN too; and nobody but
//! the operator's root simulates another account's principals, on either API, without
//! learning whether a name exists there.
//!
//! Each guardrail test has an untagged (or otherwise unguarded) twin that the same caller
//! may change, so a refusal is the guardrail's doing.

use iam_client::Credentials;
use iamd_tests::iamctl::{all_ok, as_user, json, user_with_key};
use iamd_tests::{within, Cluster};
use serde_json::{json as j, Value};
use std::time::Duration;

const TRUST_NOBODY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#;

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn policy(statements: Value) -> String {
    j!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// Allow everything in IAM and STS (the attacker's broad grant), plus `denies`.
fn broad_with(denies: Value) -> String {
    let mut statements =
        vec![j!({"Effect": "Allow", "Action": ["iam:*", "sts:*"], "Resource": "*"})];
    statements.extend(denies.as_array().cloned().unwrap_or_default());
    policy(Value::Array(statements))
}

/// Waits until every node has applied everything the leader has (nodes authorize from their
/// own state: the guardrails must be in place on whichever node answers).
async fn settle(c: &mut Cluster) {
    let leader = c.leader(Duration::from_secs(10)).await;
    let index = c.status(leader).await.expect("leader status").applied_index;
    c.wait_converged(index, Duration::from_secs(20)).await;
}

/// The call was refused, and for `action` itself (not for some other call the client made
/// first).
#[track_caller]
fn refused(r: (i32, String, String), action: &str) {
    assert_eq!(r.0, 1, "{action} should be refused: {} {}", r.1, r.2);
    assert!(
        r.2.contains("AccessDenied") && r.2.contains(&format!("perform: {action} ")),
        "{action}: {}",
        r.2
    );
}

#[track_caller]
fn done(r: (i32, String, String), what: &str) -> String {
    assert_eq!(r.0, 0, "{what} should succeed: {}", r.2);
    r.1
}

/// Runs iamctl as `creds` in `account`, named so that iamctl need not look it up (which
/// would be a call of its own).
fn run(
    c: &mut Cluster,
    creds: &Credentials,
    account: &str,
    args: &[&str],
) -> (i32, String, String) {
    as_user(c, creds, &[&["--account", account][..], args].concat())
}

/// A user with an access key whose only policy is `doc` (inline), settled on every node.
async fn attacker(c: &mut Cluster, name: &str, doc: &str) -> Credentials {
    let creds = user_with_key(c, None, name);
    all_ok(
        c,
        &[&[
            "policy",
            "put-inline",
            "--user",
            name,
            "--policy-name",
            "grant",
            "--policy-document",
            doc,
        ][..]],
    );
    settle(c).await;
    creds
}

/// The issue's scenario: a user allowed `iam:*` and `sts:*`, with a Deny on roles tagged
/// protected=true and on removing that tag, tries to rewrite a protected role's trust
/// policy to trust herself, to untag it first, to attach a policy to it, and to assume it.
/// Each step is refused; the same steps on an untagged role succeed (she assumes it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protected_role_cannot_be_rewritten_untagged_or_assumed() {
    within(Duration::from_secs(180), async {
        let mut c = Cluster::start(3).await;
        let account = c.account.clone();
        let guard = broad_with(j!([
            {"Sid": "ProtectTagged", "Effect": "Deny",
             "Action": ["iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePolicy",
                        "iam:DeleteRole", "iam:UntagRole", "iam:TagRole"],
             "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/protected": "true"}}},
            {"Sid": "KeepTheTag", "Effect": "Deny", "Action": "iam:Untag*", "Resource": "*",
             "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["protected"]}}}
        ]));
        all_ok(
            &mut c,
            &[
                &[
                    "role",
                    "create",
                    "prod-deployer",
                    "--assume-role-policy-document",
                    TRUST_NOBODY,
                    "--tag",
                    "protected=true",
                ][..],
                &[
                    "role",
                    "create",
                    "scratch",
                    "--assume-role-policy-document",
                    TRUST_NOBODY,
                ][..],
                &[
                    "policy",
                    "create",
                    "--policy-name",
                    "s3-list",
                    "--policy-document",
                    DOC,
                ][..],
            ],
        );
        let mallory = attacker(&mut c, "mallory", &guard).await;
        let s3_list = format!("arn:aws:iam::{account}:policy/s3-list");
        let me = format!("arn:aws:iam::{account}:user/mallory");
        let trust_me =
            policy(j!([{"Effect": "Allow", "Principal": {"AWS": me}, "Action": "sts:AssumeRole"}]));
        let rewrite = |role: &str| -> Vec<String> {
            [
                "role",
                "update-assume-role-policy",
                role,
                "--policy-document",
                &trust_me,
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
        };
        let prod = format!("arn:aws:iam::{account}:role/prod-deployer");

        // 1. Rewrite the protected role's trust policy: refused (aws:ResourceTag).
        refused(
            run(&mut c, &mallory, &account, &strs(&rewrite("prod-deployer"))),
            "iam:UpdateAssumeRolePolicy",
        );
        // 2. Untag it first: refused (aws:ResourceTag and aws:TagKeys), so 3. still refused.
        refused(
            run(
                &mut c,
                &mallory,
                &account,
                &["role", "untag", "prod-deployer", "--tag-key", "protected"],
            ),
            "iam:UntagRole",
        );
        refused(
            run(&mut c, &mallory, &account, &strs(&rewrite("prod-deployer"))),
            "iam:UpdateAssumeRolePolicy",
        );
        // Overwriting the tag's value is refused as well.
        refused(
            run(
                &mut c,
                &mallory,
                &account,
                &["role", "tag", "prod-deployer", "--tag", "protected=false"],
            ),
            "iam:TagRole",
        );
        // 4. Attach a policy to it, or put one inline: refused.
        refused(
            run(
                &mut c,
                &mallory,
                &account,
                &[
                    "policy",
                    "attach",
                    "--role",
                    "prod-deployer",
                    "--policy-arn",
                    &s3_list,
                ],
            ),
            "iam:AttachRolePolicy",
        );
        refused(
            run(
                &mut c,
                &mallory,
                &account,
                &[
                    "policy",
                    "put-inline",
                    "--role",
                    "prod-deployer",
                    "--policy-name",
                    "x",
                    "--policy-document",
                    DOC,
                ],
            ),
            "iam:PutRolePolicy",
        );
        // 5. Assume it: its trust policy is unchanged, so refused.
        refused(
            run(
                &mut c,
                &mallory,
                &account,
                &["sts", "assume-role", "--role-arn", &prod],
            ),
            "sts:AssumeRole",
        );
        let (code, out, err) = c.iamctl(&["-o", "json", "role", "get", "prod-deployer"]);
        assert_eq!(code, 0, "{err}");
        let role = json(&out);
        assert_eq!(
            role["assume_role_policy"], TRUST_NOBODY,
            "the trust policy changed"
        );
        assert!(
            role["attached_policies"]
                .as_array()
                .is_none_or(Vec::is_empty),
            "{role}"
        );
        let (_, tags, _) = c.iamctl(&["-o", "json", "role", "list-tags", "prod-deployer"]);
        assert!(tags.contains("protected"), "the tag is gone: {tags}");

        // The twin without the tag: every step goes through, and she assumes it.
        done(
            run(&mut c, &mallory, &account, &strs(&rewrite("scratch"))),
            "rewrite scratch",
        );
        done(
            run(
                &mut c,
                &mallory,
                &account,
                &[
                    "policy",
                    "attach",
                    "--role",
                    "scratch",
                    "--policy-arn",
                    &s3_list,
                ],
            ),
            "attach to scratch",
        );
        settle(&mut c).await;
        let scratch = format!("arn:aws:iam::{account}:role/scratch");
        let out = done(
            run(
                &mut c,
                &mallory,
                &account,
                &["-o", "json", "sts", "assume-role", "--role-arn", &scratch],
            ),
            "assume scratch",
        );
        assert!(json(&out)["assumed_role_arn"]
            .as_str()
            .unwrap()
            .contains("scratch"));
        // Untagging another key of the protected role is fine for KeepTheTag, but the
        // resource tag still protects the role.
        refused(
            run(
                &mut c,
                &mallory,
                &account,
                &["role", "untag", "prod-deployer", "--tag-key", "other"],
            ),
            "iam:UntagRole",
        );
    })
    .await;
}

/// `aws:ResourceTag` and `iam:ResourceTag` for every taggable kind: users (by
/// `iam:ResourceTag`), managed policies, instance profiles and virtual MFA devices (by
/// `aws:ResourceTag`), each beside an untagged twin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_tag_guardrails_bite_on_every_taggable_kind() {
    within(Duration::from_secs(180), async {
        let mut c = Cluster::start(3).await;
        let account = c.account.clone();
        let locked = j!({"StringEquals": {"aws:ResourceTag/locked": "true"}});
        let guard = broad_with(j!([
            {"Effect": "Deny", "Action": ["iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:AttachUserPolicy"],
             "Resource": "*", "Condition": {"StringEquals": {"iam:ResourceTag/team": "admins"}}},
            {"Effect": "Deny", "Action": ["iam:CreatePolicyVersion", "iam:AddRoleToInstanceProfile",
                                          "iam:DeleteVirtualMFADevice"],
             "Resource": "*", "Condition": locked}
        ]));
        all_ok(
            &mut c,
            &[
                &["user", "create", "boss", "--tag", "team=admins"][..],
                &["user", "create", "intern", "--tag", "team=interns"][..],
                &["policy", "create", "--policy-name", "locked-pol", "--policy-document", DOC, "--tag", "locked=true"][..],
                &["policy", "create", "--policy-name", "open-pol", "--policy-document", DOC][..],
                &["role", "create", "worker", "--assume-role-policy-document", TRUST_NOBODY][..],
                &["instance-profile", "create", "locked-ip", "--tag", "locked=true"][..],
                &["instance-profile", "create", "open-ip"][..],
                &["mfa", "create-virtual", "--name", "locked-mfa", "--tag", "locked=true"][..],
                &["mfa", "create-virtual", "--name", "open-mfa"][..],
            ],
        );
        let eve = attacker(&mut c, "eve", &guard).await;
        let p = |name: &str| format!("arn:aws:iam::{account}:policy/{name}");
        let mfa = |name: &str| format!("arn:aws:iam::{account}:mfa/{name}");
        let cases: [(&[&str], &[&str], &str); 5] = [
            (
                &["access-key", "create", "--user-name", "boss"],
                &["access-key", "create", "--user-name", "intern"],
                "iam:CreateAccessKey",
            ),
            (
                &["policy", "attach", "--user", "boss", "--policy-arn", &p("open-pol")],
                &["policy", "attach", "--user", "intern", "--policy-arn", &p("open-pol")],
                "iam:AttachUserPolicy",
            ),
            (
                &["policy", "create-version", "--policy-arn", &p("locked-pol"), "--policy-document", DOC],
                &["policy", "create-version", "--policy-arn", &p("open-pol"), "--policy-document", DOC],
                "iam:CreatePolicyVersion",
            ),
            (
                &["instance-profile", "add-role", "locked-ip", "worker"],
                &["instance-profile", "add-role", "open-ip", "worker"],
                "iam:AddRoleToInstanceProfile",
            ),
            (
                &["mfa", "delete-virtual", "--serial-number", &mfa("locked-mfa")],
                &["mfa", "delete-virtual", "--serial-number", &mfa("open-mfa")],
                "iam:DeleteVirtualMFADevice",
            ),
        ];
        for (guarded, twin, what) in cases {
            refused(run(&mut c, &eve, &account, guarded), what);
            done(run(&mut c, &eve, &account, twin), what);
        }
        // A Tag* is judged on the tags the resource has before it: retagging boss is
        // refused by the same guardrail when it names TagUser.
        let retag = broad_with(j!([
            {"Effect": "Deny", "Action": "iam:TagUser", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/team": "admins"}}}
        ]));
        all_ok(
            &mut c,
            &[&["policy", "put-inline", "--user", "eve", "--policy-name", "grant", "--policy-document", &retag][..]],
        );
        settle(&mut c).await;
        refused(
            run(&mut c, &eve, &account, &["user", "tag", "boss", "--tag", "team=interns"]),
            "iam:TagUser",
        );
        done(run(&mut c, &eve, &account, &["user", "tag", "intern", "--tag", "team=admins"]), "TagUser");
    })
    .await;
}

/// `sts:AssumeRole` carries the role's tags (AWS's example "IAM: Assume roles that have a
/// specific tag"): a user allowed to assume only roles tagged Project=abc assumes the tagged
/// role and not its untagged twin (both trust the account, so the identity policy decides).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assume_role_is_judged_on_the_roles_tags() {
    within(Duration::from_secs(180), async {
        let mut c = Cluster::start(3).await;
        let account = c.account.clone();
        let trust_account = policy(j!([{"Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{account}:root")}, "Action": "sts:AssumeRole"}]));
        let tagged_only = policy(j!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*",
            "Condition": {"StringEquals": {"iam:ResourceTag/Project": "abc"}}}]));
        all_ok(
            &mut c,
            &[
                &["role", "create", "abc-role", "--assume-role-policy-document", &trust_account, "--tag", "Project=abc"][..],
                &["role", "create", "other-role", "--assume-role-policy-document", &trust_account, "--tag", "Project=xyz"][..],
            ],
        );
        let pat = attacker(&mut c, "pat", &tagged_only).await;
        let arn = |r: &str| format!("arn:aws:iam::{account}:role/{r}");
        done(
            run(&mut c, &pat, &account, &["sts", "assume-role", "--role-arn", &arn("abc-role")]),
            "assume the tagged role",
        );
        refused(
            run(&mut c, &pat, &account, &["sts", "assume-role", "--role-arn", &arn("other-role")]),
            "sts:AssumeRole",
        );
    })
    .await;
}

/// `aws:TagKeys` of `Untag*` is the list of keys removed: a Deny on removing `owner`
/// refuses UntagUser, UntagPolicy and UntagInstanceProfile of that key, not of others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untag_is_judged_on_the_keys_it_removes() {
    within(Duration::from_secs(180), async {
        let mut c = Cluster::start(3).await;
        let account = c.account.clone();
        let guard = broad_with(j!([
            {"Effect": "Deny", "Action": "iam:Untag*", "Resource": "*",
             "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["owner", "cost-center"]}}}
        ]));
        all_ok(
            &mut c,
            &[
                &[
                    "user",
                    "create",
                    "svc",
                    "--tag",
                    "owner=ops",
                    "--tag",
                    "note=x",
                ][..],
                &[
                    "policy",
                    "create",
                    "--policy-name",
                    "pol",
                    "--policy-document",
                    DOC,
                    "--tag",
                    "owner=ops",
                    "--tag",
                    "note=x",
                ][..],
                &[
                    "instance-profile",
                    "create",
                    "ip",
                    "--tag",
                    "owner=ops",
                    "--tag",
                    "note=x",
                ][..],
            ],
        );
        let trent = attacker(&mut c, "trent", &guard).await;
        let pol = format!("arn:aws:iam::{account}:policy/pol");
        let untag: [(&[&str], &str); 3] = [
            (&["user", "untag", "svc"], "iam:UntagUser"),
            (
                &["policy", "untag", "--policy-arn", &pol],
                "iam:UntagPolicy",
            ),
            (
                &["instance-profile", "untag", "ip"],
                "iam:UntagInstanceProfile",
            ),
        ];
        for (verb, what) in untag {
            // With another key beside it: still refused (any value matches).
            let both = [verb, &["--tag-key", "note", "--tag-key", "owner"]].concat();
            refused(run(&mut c, &trent, &account, &both), what);
            let note = [verb, &["--tag-key", "note"]].concat();
            done(run(&mut c, &trent, &account, &note), what);
        }
        let (_, tags, _) = c.iamctl(&["-o", "json", "user", "list-tags", "svc"]);
        assert!(tags.contains("owner") && !tags.contains("note"), "{tags}");
    })
    .await;
}

/// `iam:PolicyARN`: a Deny on attaching the administrator policy refuses it for a user
/// (the attacker herself), a group she is in and a role; another policy attaches. A Deny on
/// detaching the baseline policy refuses that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attaching_a_forbidden_policy_is_refused_by_its_arn() {
    within(Duration::from_secs(180), async {
        let mut c = Cluster::start(3).await;
        let account = c.account.clone();
        let admin = format!("arn:aws:iam::{account}:policy/Admin");
        let baseline = format!("arn:aws:iam::{account}:policy/Baseline");
        let all = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        let guard = broad_with(j!([
            {"Effect": "Deny", "Action": ["iam:AttachUserPolicy", "iam:AttachGroupPolicy", "iam:AttachRolePolicy"],
             "Resource": "*", "Condition": {"ArnEquals": {"iam:PolicyARN": admin}}},
            {"Effect": "Deny", "Action": ["iam:DetachUserPolicy", "iam:DetachGroupPolicy", "iam:DetachRolePolicy"],
             "Resource": "*", "Condition": {"ArnEquals": {"iam:PolicyARN": baseline}}}
        ]));
        all_ok(
            &mut c,
            &[
                &["policy", "create", "--policy-name", "Admin", "--policy-document", all][..],
                &["policy", "create", "--policy-name", "Baseline", "--policy-document", DOC][..],
                &["policy", "create", "--policy-name", "Other", "--policy-document", DOC][..],
                &["group", "create", "devs"][..],
                &["role", "create", "app", "--assume-role-policy-document", TRUST_NOBODY][..],
                &["policy", "attach", "--role", "app", "--policy-arn", "Baseline"][..],
            ],
        );
        let mal = attacker(&mut c, "mal", &guard).await;
        all_ok(&mut c, &[&["group", "add-user", "devs", "mal"][..]]);
        settle(&mut c).await;
        for (flag, name, action) in [
            ("--user", "mal", "iam:AttachUserPolicy"),
            ("--group", "devs", "iam:AttachGroupPolicy"),
            ("--role", "app", "iam:AttachRolePolicy"),
        ] {
            let attach = |p: &'static str| ["policy", "attach", flag, name, "--policy-arn", p];
            refused(run(&mut c, &mal, &account, &attach("Admin")), action);
            done(run(&mut c, &mal, &account, &attach("Other")), action);
        }
        refused(
            run(&mut c, &mal, &account, &["policy", "detach", "--role", "app", "--policy-arn", "Baseline"]),
            "iam:DetachRolePolicy",
        );
        done(
            run(&mut c, &mal, &account, &["policy", "detach", "--role", "app", "--policy-arn", "Other"]),
            "detach Other",
        );
        // Whatever the policy engine was asked, Admin is attached nowhere.
        let (code, out, err) = c.iamctl(&["-o", "json", "policy", "list-entities", "--policy-arn", "Admin"]);
        assert_eq!(code, 0, "{err}");
        assert!(!out.contains("mal") && !out.contains("devs") && !out.contains("app"), "{out}");
    })
    .await;
}

/// `iam:PermissionsBoundary`: the usual delegation guardrail (create users and roles only
/// with the boundary; never set another one; never remove it nor change the policies of a
/// bounded user or role) holds against a user allowed `iam:*`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permissions_boundary_guardrails_bite() {
    within(Duration::from_secs(180), async {
        let mut c = Cluster::start(3).await;
        let account = c.account.clone();
        let boundary = format!("arn:aws:iam::{account}:policy/Boundary");
        let guard = broad_with(j!([
            {"Sid": "CreateOnlyBounded", "Effect": "Deny",
             "Action": ["iam:CreateUser", "iam:CreateRole", "iam:PutUserPermissionsBoundary",
                        "iam:PutRolePermissionsBoundary"],
             "Resource": "*", "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": boundary}}},
            {"Sid": "KeepBoundedAsTheyAre", "Effect": "Deny",
             "Action": ["iam:DeleteUserPermissionsBoundary", "iam:DeleteRolePermissionsBoundary",
                        "iam:PutUserPolicy", "iam:AttachUserPolicy", "iam:UpdateAssumeRolePolicy"],
             "Resource": "*", "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary}}}
        ]));
        all_ok(
            &mut c,
            &[
                &["policy", "create", "--policy-name", "Boundary", "--policy-document", DOC][..],
                &["policy", "create", "--policy-name", "Other", "--policy-document", DOC][..],
                &["user", "create", "bounded", "--permissions-boundary", &boundary][..],
                &["user", "create", "free"][..],
                &["role", "create", "bounded-role", "--assume-role-policy-document", TRUST_NOBODY, "--permissions-boundary", &boundary][..],
            ],
        );
        let dan = attacker(&mut c, "dan", &guard).await;
        let other = format!("arn:aws:iam::{account}:policy/Other");
        // Creation without the boundary (or with another one) is refused; with it, done.
        refused(run(&mut c, &dan, &account, &["user", "create", "u1"]), "iam:CreateUser");
        refused(
            run(&mut c, &dan, &account, &["user", "create", "u2", "--permissions-boundary", &other]),
            "iam:CreateUser",
        );
        done(
            run(&mut c, &dan, &account, &["user", "create", "u3", "--permissions-boundary", &boundary]),
            "CreateUser bounded",
        );
        refused(
            run(&mut c, &dan, &account, &["role", "create", "r1", "--assume-role-policy-document", TRUST_NOBODY]),
            "iam:CreateRole",
        );
        done(
            run(&mut c, &dan, &account, &["role", "create", "r2", "--assume-role-policy-document", TRUST_NOBODY, "--permissions-boundary", &boundary]),
            "CreateRole bounded",
        );
        // Setting another boundary is refused (the key is the one being set).
        refused(
            run(&mut c, &dan, &account, &["policy", "put-boundary", "--user", "free", "--permissions-boundary", &other]),
            "iam:PutUserPermissionsBoundary",
        );
        // A bounded user or role keeps its boundary and its policies (the key is its
        // current boundary); the unbounded one does not carry the key.
        refused(
            run(&mut c, &dan, &account, &["policy", "delete-boundary", "--user", "bounded"]),
            "iam:DeleteUserPermissionsBoundary",
        );
        refused(
            run(&mut c, &dan, &account, &["policy", "delete-boundary", "--role", "bounded-role"]),
            "iam:DeleteRolePermissionsBoundary",
        );
        refused(
            run(&mut c, &dan, &account, &["policy", "put-inline", "--user", "bounded", "--policy-name", "x", "--policy-document", DOC]),
            "iam:PutUserPolicy",
        );
        refused(
            run(&mut c, &dan, &account, &["policy", "attach", "--user", "bounded", "--policy-arn", "Other"]),
            "iam:AttachUserPolicy",
        );
        refused(
            run(&mut c, &dan, &account, &["role", "update-assume-role-policy", "bounded-role", "--policy-document", TRUST_NOBODY]),
            "iam:UpdateAssumeRolePolicy",
        );
        done(
            run(&mut c, &dan, &account, &["policy", "put-inline", "--user", "free", "--policy-name", "x", "--policy-document", DOC]),
            "PutUserPolicy on an unbounded user",
        );
        let (code, out, err) = c.iamctl(&["-o", "json", "user", "get", "bounded"]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("policy/Boundary"), "the boundary is gone: {out}");
        let (code, _, _) = c.iamctl(&["user", "get", "u1"]);
        assert_eq!(code, 1, "u1 must not exist");
    })
    .await;
}

/// UpdateUser and UpdateGroup are authorized on the new ARN as well as the old one: a user
/// allowed `iam:*` but denied everything on `/admins/` cannot move a user or group there,
/// nor rename one into a denied name; moving elsewhere works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_user_into_a_denied_path_is_refused() {
    within(Duration::from_secs(180), async {
        let mut c = Cluster::start(3).await;
        let account = c.account.clone();
        let guard = broad_with(j!([
            {"Effect": "Deny", "Action": "iam:*", "Resource": [
                format!("arn:aws:iam::{account}:user/admins/*"),
                format!("arn:aws:iam::{account}:group/admins/*"),
                format!("arn:aws:iam::{account}:user/*/breakglass"),
            ]}
        ]));
        all_ok(
            &mut c,
            &[
                &["user", "create", "temp", "--path", "/staff/"][..],
                &["group", "create", "helpers", "--path", "/staff/"][..],
            ],
        );
        let oscar = attacker(&mut c, "oscar", &guard).await;
        refused(
            run(
                &mut c,
                &oscar,
                &account,
                &["user", "update", "temp", "--new-path", "/admins/"],
            ),
            "iam:UpdateUser",
        );
        refused(
            run(
                &mut c,
                &oscar,
                &account,
                &["user", "update", "temp", "--new-name", "breakglass"],
            ),
            "iam:UpdateUser",
        );
        refused(
            run(
                &mut c,
                &oscar,
                &account,
                &["group", "update", "helpers", "--new-path", "/admins/"],
            ),
            "iam:UpdateGroup",
        );
        let (code, out, err) = c.iamctl(&["-o", "json", "user", "get", "temp"]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(json(&out)["path"], "/staff/", "{out}");
        done(
            run(
                &mut c,
                &oscar,
                &account,
                &["user", "update", "temp", "--new-path", "/staff2/"],
            ),
            "UpdateUser elsewhere",
        );
        done(
            run(
                &mut c,
                &oscar,
                &account,
                &["group", "update", "helpers", "--new-name", "helpers2"],
            ),
            "UpdateGroup renamed",
        );
    })
    .await;
}

/// Runs the AWS CLI against node `id`'s HTTP port with `creds`; (exit code, stdout, stderr).
fn aws(c: &Cluster, id: u64, creds: &Credentials, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new("aws")
        .args(["--endpoint-url", &format!("http://{}", c.node(id).http)])
        .args(["--region", "us-east-1", "--output", "json"])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", &creds.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &creds.secret_access_key)
        .env_remove("AWS_SESSION_TOKEN")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .expect("run aws");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A tenant root can neither simulate nor list the context keys of another account's
/// principals, over the AWS API or gRPC, and the refusal is the same whether the name
/// exists there or not; in its own account it can, and the operator's root can anywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulating_another_accounts_principals_is_refused_on_both_apis() {
    within(Duration::from_secs(180), async {
        let mut c = Cluster::start(3).await;
        let operator = c.account.clone();
        let (code, out, err) = c.iamctl(&[
            "-o",
            "json",
            "account",
            "create",
            "--name",
            "tenant",
            "--email",
            "t@example.com",
        ]);
        assert_eq!(code, 0, "{err}");
        let tenant = json(&out)["id"].as_str().unwrap().to_owned();
        let (code, out, err) =
            c.iamctl(&["--account", &tenant, "-o", "json", "access-key", "create"]);
        assert_eq!(code, 0, "{err}");
        let k = json(&out);
        let tenant_root = Credentials {
            access_key_id: k["access_key_id"].as_str().unwrap().to_owned(),
            secret_access_key: k["secret_access_key"].as_str().unwrap().to_owned(),
            session_token: None,
        };
        all_ok(
            &mut c,
            &[
                &["user", "create", "cfo"][..],
                &[
                    "policy",
                    "put-inline",
                    "--user",
                    "cfo",
                    "--policy-name",
                    "p",
                    "--policy-document",
                    DOC,
                ][..],
                &["--account", &tenant, "user", "create", "dev"][..],
            ],
        );
        settle(&mut c).await;
        let existing = format!("arn:aws:iam::{operator}:user/cfo");
        let missing = format!("arn:aws:iam::{operator}:user/nobody-here");
        let own = format!("arn:aws:iam::{tenant}:user/dev");
        let simulate = |arn: &str| -> Vec<String> {
            [
                "iam",
                "simulate-principal-policy",
                "--policy-source-arn",
                arn,
                "--action-names",
                "s3:ListBucket",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
        };
        let context_keys = |arn: &str| -> Vec<String> {
            [
                "iam",
                "get-context-keys-for-principal-policy",
                "--policy-source-arn",
                arn,
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
        };
        let caller = |arn: &str| -> Vec<String> {
            [
                "iam",
                "simulate-custom-policy",
                "--policy-input-list",
                DOC,
                "--action-names",
                "s3:ListBucket",
                "--caller-arn",
                arn,
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
        };
        for (make, what, node) in [
            (
                &simulate as &dyn Fn(&str) -> Vec<String>,
                "iam:SimulatePrincipalPolicy",
                1,
            ),
            (&context_keys, "iam:GetContextKeysForPrincipalPolicy", 2),
            (&caller, "iam:SimulateCustomPolicy", 3),
        ] {
            // Over the AWS API: refused, and identically for a missing name.
            let (code, _, err_existing) = aws(&c, node, &tenant_root, &strs(&make(&existing)));
            assert_ne!(code, 0, "{what} of another account's user answered");
            assert!(
                err_existing.contains("AccessDenied")
                    && err_existing.contains(&format!("perform: {what} on resource: {existing}")),
                "{what}: {err_existing}"
            );
            let (code, _, err_missing) = aws(&c, node, &tenant_root, &strs(&make(&missing)));
            assert_ne!(code, 0, "{what} of a missing name answered");
            assert_eq!(
                err_existing.replace(&existing, "ARN"),
                err_missing.replace(&missing, "ARN"),
                "{what}: the answer tells whether the name exists"
            );
            // In its own account the tenant root may.
            let (code, _, err) = aws(&c, 1, &tenant_root, &strs(&make(&own)));
            assert_eq!(code, 0, "{what} in its own account: {err}");
        }
        // Over gRPC (iamctl simulate): refused the same way, existing or not.
        let grpc = |arn: &str| -> Vec<String> {
            ["simulate", "--principal", arn, "--action", "s3:ListBucket"]
                .iter()
                .map(|s| (*s).to_owned())
                .collect()
        };
        let (code, _, err_existing) = c.iamctl_as(&tenant_root, &strs(&grpc(&existing)));
        assert_eq!(
            (code, err_existing.contains("AccessDenied")),
            (1, true),
            "{err_existing}"
        );
        let (code, _, err_missing) = c.iamctl_as(&tenant_root, &strs(&grpc(&missing)));
        assert_eq!(code, 1, "{err_missing}");
        assert_eq!(
            err_existing.replace(&existing, "ARN"),
            err_missing.replace(&missing, "ARN")
        );
        let (code, _, err) = c.iamctl_as(&tenant_root, &strs(&grpc(&own)));
        assert_eq!(code, 0, "{err}");
        // The operator's root (the cluster superuser) may, on both APIs.
        let root = c.root_credentials();
        let tenant_dev = format!("arn:aws:iam::{tenant}:user/dev");
        let (code, out, err) = aws(&c, 2, &root, &strs(&simulate(&tenant_dev)));
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            json(&out)["EvaluationResults"][0]["EvalDecision"],
            "implicitDeny"
        );
        let (code, _, err) = aws(&c, 2, &root, &strs(&context_keys(&tenant_dev)));
        assert_eq!(code, 0, "{err}");
        let (code, _, err) = c.iamctl(&strs(&grpc(&tenant_dev)));
        assert_eq!(code, 0, "{err}");
    })
    .await;
}
