//! Attacks on role trust and the policy engine, over the real API against a 3-node cluster
//! (issue 21: "session policies escape through re-assumption", "principals matched by name,
//! not unique id", the engine's account principal and empty multivalued keys, and the role
//! chaining rules). Each attack is refused; a control next to it shows the same setup does
//! grant what AWS grants, so a refusal is the rule's doing and not a broken setup.

use iam_client::{Client, ClientError, Credentials};
use iam_proto::v1::{
    AssumeRoleRequest, AuthorizeRequest, Consistency, ContextEntry, ReadOptions, Tag,
    TemporaryCredentials,
};
use iamd_tests::iamctl::{json, until_ok, user_with_key};
use iamd_tests::{within, Cluster};
use std::time::{Duration, Instant};

const GET_USER_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}"#;
const IAM_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","sts:*"],"Resource":"*"}]}"#;
const ASSUME_STATEMENT: &str =
    r#"{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"*"}"#;

fn document(statements: &[&str]) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

fn trust(principals: &[&str]) -> String {
    let list: Vec<String> = principals.iter().map(|p| format!("\"{p}\"")).collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":[{}]}},"Action":["sts:AssumeRole","sts:TagSession"]}}]}}"#,
        list.join(",")
    )
}

/// Runs iamctl as the operator's root; it must succeed.
fn ok(c: &mut Cluster, args: &[&str]) -> String {
    let (code, out, err) = c.iamctl(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

/// Runs iamctl as `creds` until `done` holds for (exit code, stdout, stderr) — a write made
/// through one node reaches the others a moment later — and returns that answer; fails
/// after 15 s with the last answer.
fn eventually(
    c: &mut Cluster,
    creds: &Credentials,
    args: &[&str],
    what: &str,
    done: impl Fn(i32, &str, &str) -> bool,
) -> (String, String) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (code, out, err) = c.iamctl_as(creds, args);
        if done(code, &out, &err) {
            return (out, err);
        }
        assert!(
            Instant::now() < deadline,
            "{what}: {args:?} gave {code}: {out}{err}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Runs iamctl as `creds` until it is refused with `code`; returns stderr.
fn refused(c: &mut Cluster, creds: &Credentials, args: &[&str], code: &str, what: &str) -> String {
    eventually(c, creds, args, what, |exit, _, err| {
        exit == 1 && err.contains(code)
    })
    .1
}

/// The session credentials in `sts assume-role` / `get-session-token` JSON output.
fn session(out: &str) -> Credentials {
    let s = json(out);
    Credentials {
        access_key_id: s["access_key_id"].as_str().unwrap().to_owned(),
        secret_access_key: s["secret_access_key"].as_str().unwrap().to_owned(),
        session_token: s["session_token"].as_str().map(str::to_owned),
    }
}

fn assume_args<'a>(role_arn: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["-o", "json", "sts", "assume-role", "--role-arn", role_arn];
    a.extend_from_slice(extra);
    a
}

/// High 3: a session restricted by its session policy assumed a role again — the same role
/// or another trusting its role's ARN — and shed the restriction. Session policies and
/// permissions boundaries must bound AssumeRole itself: a trust policy naming the role ARN
/// (or the account) is cut by them; only a grant naming the session itself stands alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_policies_and_boundaries_bound_assume_role() {
    within(Duration::from_secs(240), async {
        let mut c = Cluster::start(3).await;
        let a = c.account.clone();
        let alice = user_with_key(&mut c, None, "alice");
        let alice_arn = format!("arn:aws:iam::{a}:user/alice");
        let worker = format!("arn:aws:iam::{a}:role/worker");
        let admin = format!("arn:aws:iam::{a}:role/admin");
        let by_account = format!("arn:aws:iam::{a}:role/by-account");
        let root = format!("arn:aws:iam::{a}:root");
        ok(
            &mut c,
            &[
                "role",
                "create",
                "worker",
                "--assume-role-policy-document",
                &trust(&[&alice_arn]),
            ],
        );
        // A role may name itself once it exists: worker's sessions may assume worker again.
        ok(
            &mut c,
            &[
                "role",
                "update-assume-role-policy",
                "worker",
                "--policy-document",
                &trust(&[&alice_arn, &worker]),
            ],
        );
        ok(
            &mut c,
            &[
                "role",
                "create",
                "admin",
                "--assume-role-policy-document",
                &trust(&[&worker]),
            ],
        );
        ok(
            &mut c,
            &[
                "role",
                "create",
                "by-account",
                "--assume-role-policy-document",
                &trust(&[&root]),
            ],
        );
        for role in ["worker", "admin", "by-account"] {
            ok(
                &mut c,
                &[
                    "policy",
                    "put-inline",
                    "--role",
                    role,
                    "--policy-name",
                    "all",
                    "--policy-document",
                    IAM_ALL,
                ],
            );
        }

        // Alice's session of worker, restricted to iam:GetUser by its session policy.
        let out = until_ok(
            &mut c,
            &alice,
            &assume_args(
                &worker,
                &[
                    "--role-session-name",
                    "restricted",
                    "--policy",
                    GET_USER_ONLY,
                ],
            ),
            "alice assuming worker",
        );
        let restricted = session(&out);
        eventually(
            &mut c,
            &restricted,
            &["user", "get", "alice"],
            "the session policy allows GetUser",
            |code, _, _| code == 0,
        );
        refused(
            &mut c,
            &restricted,
            &["user", "create", "x0"],
            "AccessDenied",
            "the session policy forbids CreateUser",
        );

        // Control first: the same chain without a session policy is allowed (the role ARN grant
        // needs no identity allow; the account grant has worker's identity allow).
        let out = until_ok(
            &mut c,
            &alice,
            &assume_args(&worker, &["--role-session-name", "free"]),
            "alice assuming worker",
        );
        let free = session(&out);
        for target in [&admin, &worker, &by_account] {
            until_ok(
                &mut c,
                &free,
                &assume_args(target, &["--role-session-name", "chained"]),
                "an unrestricted chain",
            );
        }
        // The attack: assume admin (trusting worker's role ARN), worker itself, or a role
        // trusting the account — each would come without the session policy.
        for (target, what) in [
            (&admin, "a role trusting the restricted session's role ARN"),
            (&worker, "the restricted session's own role again"),
            (&by_account, "a role trusting the account"),
        ] {
            let (code, out, err) = c.iamctl_as(
                &restricted,
                &assume_args(target, &["--role-session-name", "escape"]),
            );
            assert_eq!(code, 1, "{what}: assumed ({out})");
            assert!(err.contains("AccessDenied"), "{what}: {err}");
        }

        // A trust policy naming the restricted *session* itself grants it directly: AWS does
        // not cut such a grant by the session policy.
        let session_arn = format!("arn:aws:sts::{a}:assumed-role/worker/restricted");
        ok(
            &mut c,
            &[
                "role",
                "update-assume-role-policy",
                "admin",
                "--policy-document",
                &trust(&[&worker, &session_arn]),
            ],
        );
        until_ok(
            &mut c,
            &restricted,
            &assume_args(&admin, &["--role-session-name", "named"]),
            "a grant to the session ARN",
        );

        // Boundaries cut the same way: a role whose boundary allows only iam:GetUser.
        ok(
            &mut c,
            &[
                "policy",
                "create",
                "--policy-name",
                "get-only",
                "--policy-document",
                GET_USER_ONLY,
            ],
        );
        let bounded = format!("arn:aws:iam::{a}:role/bounded");
        ok(
            &mut c,
            &[
                "role",
                "create",
                "bounded",
                "--assume-role-policy-document",
                &trust(&[&alice_arn]),
                "--permissions-boundary",
                &format!("arn:aws:iam::{a}:policy/get-only"),
            ],
        );
        ok(
            &mut c,
            &[
                "policy",
                "put-inline",
                "--role",
                "bounded",
                "--policy-name",
                "all",
                "--policy-document",
                IAM_ALL,
            ],
        );
        ok(
            &mut c,
            &[
                "role",
                "create",
                "above",
                "--assume-role-policy-document",
                &trust(&[&bounded]),
            ],
        );
        let above = format!("arn:aws:iam::{a}:role/above");
        let out = until_ok(
            &mut c,
            &alice,
            &assume_args(&bounded, &["--role-session-name", "bnd"]),
            "alice assuming bounded",
        );
        let b = session(&out);
        refused(
            &mut c,
            &b,
            &assume_args(&above, &["--role-session-name", "escape"]),
            "AccessDenied",
            "the boundary cuts a role ARN grant",
        );
    })
    .await;
}

/// Low: principals were matched by name. A user deleted and created again matched a trust
/// policy written for the old one; a session of a deleted role (or user) acted as the new
/// role (or user) of the same name. Trust policies and sessions are bound to unique ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_policies_and_sessions_are_bound_to_unique_ids() {
    within(Duration::from_secs(240), async {
        let mut c = Cluster::start(3).await;
        let a = c.account.clone();
        let bob_arn = format!("arn:aws:iam::{a}:user/bob");
        let ops = format!("arn:aws:iam::{a}:role/ops");

        // A trust policy may not name a user that does not exist (AWS: "Invalid principal").
        let (code, _, err) = c.iamctl(&[
            "role",
            "create",
            "ops",
            "--assume-role-policy-document",
            &trust(&[&bob_arn]),
        ]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("MalformedPolicyDocument") && err.contains("Invalid principal in policy"),
            "{err}"
        );

        let bob = user_with_key(&mut c, None, "bob");
        ok(
            &mut c,
            &[
                "role",
                "create",
                "ops",
                "--assume-role-policy-document",
                &trust(&[&bob_arn]),
            ],
        );
        until_ok(&mut c, &bob, &assume_args(&ops, &[]), "bob assuming ops");

        // Bob is deleted and another bob created: the trust policy does not know him.
        let old_key = bob.access_key_id.clone();
        ok(
            &mut c,
            &[
                "access-key",
                "delete",
                "--user-name",
                "bob",
                "--access-key-id",
                &old_key,
            ],
        );
        ok(&mut c, &["user", "delete", "bob"]);
        let new_bob = user_with_key(&mut c, None, "bob");
        let (_, err) = eventually(
            &mut c,
            &new_bob,
            &assume_args(&ops, &[]),
            "the new bob refused",
            |code, _, err| code == 1 && err.contains("AccessDenied"),
        );
        assert!(
            err.contains("not authorized to perform: sts:AssumeRole"),
            "{err}"
        );
        // GetRole shows the old bob's unique id where his ARN was.
        let role = json(&ok(&mut c, &["-o", "json", "role", "get", "ops"]));
        let doc = role["assume_role_policy"].as_str().unwrap().to_owned();
        assert!(doc.contains("AIDA") && !doc.contains(&bob_arn), "{doc}");
        // Saving the policy again binds the new bob.
        ok(
            &mut c,
            &[
                "role",
                "update-assume-role-policy",
                "ops",
                "--policy-document",
                &trust(&[&bob_arn]),
            ],
        );
        until_ok(
            &mut c,
            &new_bob,
            &assume_args(&ops, &[]),
            "the new bob once named again",
        );

        // A role session outlives its role only as long as the role: a new role of the same
        // name (with more permissions) is not the old session's.
        let alice = user_with_key(&mut c, None, "alice");
        ok(
            &mut c,
            &[
                "policy",
                "put-inline",
                "--user",
                "alice",
                "--policy-name",
                "assume",
                "--policy-document",
                &document(&[ASSUME_STATEMENT]),
            ],
        );
        let app = format!("arn:aws:iam::{a}:role/app");
        let root = format!("arn:aws:iam::{a}:root");
        ok(
            &mut c,
            &[
                "role",
                "create",
                "app",
                "--assume-role-policy-document",
                &trust(&[&root]),
            ],
        );
        ok(
            &mut c,
            &[
                "policy",
                "put-inline",
                "--role",
                "app",
                "--policy-name",
                "read",
                "--policy-document",
                GET_USER_ONLY,
            ],
        );
        let old_session = session(&until_ok(
            &mut c,
            &alice,
            &assume_args(&app, &[]),
            "alice assuming app",
        ));
        eventually(
            &mut c,
            &old_session,
            &["user", "get", "alice"],
            "the session works",
            |code, _, _| code == 0,
        );
        ok(
            &mut c,
            &[
                "policy",
                "delete-inline",
                "--role",
                "app",
                "--policy-name",
                "read",
            ],
        );
        ok(&mut c, &["role", "delete", "app"]);
        ok(
            &mut c,
            &[
                "role",
                "create",
                "app",
                "--assume-role-policy-document",
                &trust(&[&root]),
            ],
        );
        ok(
            &mut c,
            &[
                "policy",
                "put-inline",
                "--role",
                "app",
                "--policy-name",
                "all",
                "--policy-document",
                IAM_ALL,
            ],
        );
        refused(
            &mut c,
            &old_session,
            &["user", "create", "by-old-session"],
            "InvalidClientTokenId",
            "the old role session",
        );
        refused(
            &mut c,
            &old_session,
            &["sts", "get-caller-identity"],
            "InvalidClientTokenId",
            "the old role session",
        );
        // Control: a new session of the new role has its permissions.
        let new_session = session(&until_ok(
            &mut c,
            &alice,
            &assume_args(&app, &[]),
            "alice assuming the new app",
        ));
        eventually(
            &mut c,
            &new_session,
            &["user", "create", "by-new-session"],
            "the new session",
            |code, _, _| code == 0,
        );

        // The same for a user's own session (GetSessionToken).
        let carol = user_with_key(&mut c, None, "carol");
        let carol_session = session(&until_ok(
            &mut c,
            &carol,
            &["-o", "json", "sts", "get-session-token"],
            "carol's session",
        ));
        eventually(
            &mut c,
            &carol_session,
            &["sts", "get-caller-identity"],
            "carol's session works",
            |code, _, _| code == 0,
        );
        ok(
            &mut c,
            &[
                "access-key",
                "delete",
                "--user-name",
                "carol",
                "--access-key-id",
                &carol.access_key_id,
            ],
        );
        ok(&mut c, &["user", "delete", "carol"]);
        ok(&mut c, &["user", "create", "carol"]);
        ok(
            &mut c,
            &[
                "policy",
                "put-inline",
                "--user",
                "carol",
                "--policy-name",
                "all",
                "--policy-document",
                IAM_ALL,
            ],
        );
        refused(
            &mut c,
            &carol_session,
            &["user", "create", "by-old-carol"],
            "InvalidClientTokenId",
            "the old user session",
        );
    })
    .await;
}

fn linearizable() -> ReadOptions {
    ReadOptions {
        consistency: Consistency::Linearizable as i32,
        at_least_index: 0,
    }
}

fn refusal(e: &ClientError) -> (&str, &str) {
    match e {
        ClientError::Refused { code, message } => (code, message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn assume(
    client: &mut Client,
    req: AssumeRoleRequest,
) -> Result<TemporaryCredentials, ClientError> {
    client
        .call(|mut i, _| {
            let req = req.clone();
            async move { i.assume_role(req).await }
        })
        .await
}

/// Retries an AssumeRole until it is not `AccessDenied` (policies written through another
/// node arrive a moment later).
async fn assume_eventually(
    client: &mut Client,
    req: AssumeRoleRequest,
) -> Result<TemporaryCredentials, ClientError> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let r = assume(client, req.clone()).await;
        match &r {
            Err(ClientError::Refused { code, .. })
                if (code == "AccessDenied" || code == "InvalidClientTokenId")
                    && Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            _ => return r,
        }
    }
}

fn creds(t: &TemporaryCredentials) -> Credentials {
    Credentials {
        access_key_id: t.access_key_id.clone(),
        secret_access_key: t.secret_access_key.clone(),
        session_token: Some(t.session_token.clone()),
    }
}

fn ask(role_arn: &str, name: &str) -> AssumeRoleRequest {
    AssumeRoleRequest {
        role_arn: role_arn.into(),
        role_session_name: name.into(),
        ..Default::default()
    }
}

/// Role chaining keeps what the first session was given: at most one hour, its transitive
/// session tags (which cannot be changed on the way and stay transitive) and its source
/// identity (which cannot be changed or dropped). Each was escapable before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_chaining_keeps_its_limits_tags_and_source_identity() {
    within(Duration::from_secs(240), async {
        let mut c = Cluster::start(3).await;
        let a = c.account.clone();
        let alice = user_with_key(&mut c, None, "alice");
        let alice_arn = format!("arn:aws:iam::{a}:user/alice");
        let first = format!("arn:aws:iam::{a}:role/first");
        let second = format!("arn:aws:iam::{a}:role/second");
        let third = format!("arn:aws:iam::{a}:role/third");
        // GetUser is allowed only to sessions still carrying alice's tag and source identity.
        let tagged_get_user = r#"{"Effect":"Allow","Action":"iam:GetUser","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"red","aws:SourceIdentity":"alice-si"}}}"#;
        ok(&mut c, &["policy", "put-inline", "--user", "alice", "--policy-name", "assume", "--policy-document", &document(&[ASSUME_STATEMENT])]);
        ok(&mut c, &["role", "create", "first", "--assume-role-policy-document", &trust(&[&alice_arn])]);
        ok(&mut c, &["role", "create", "second", "--max-session-duration", "43200", "--assume-role-policy-document", &trust(&[&first])]);
        ok(&mut c, &["role", "create", "third", "--assume-role-policy-document", &trust(&[&second])]);
        ok(&mut c, &["policy", "put-inline", "--role", "first", "--policy-name", "assume", "--policy-document", &document(&[ASSUME_STATEMENT])]);
        let both = document(&[ASSUME_STATEMENT, tagged_get_user]);
        ok(&mut c, &["policy", "put-inline", "--role", "second", "--policy-name", "p", "--policy-document", &both]);
        ok(&mut c, &["policy", "put-inline", "--role", "third", "--policy-name", "p", "--policy-document", &document(&[tagged_get_user])]);

        let mut as_alice = c.client_as(alice.clone());
        let s1 = assume_eventually(
            &mut as_alice,
            AssumeRoleRequest {
                tags: vec![Tag { key: "team".into(), value: "red".into() }],
                transitive_tag_keys: vec!["team".into()],
                source_identity: "alice-si".into(),
                ..ask(&first, "s1")
            },
        )
        .await
        .expect("alice assumes first with a transitive tag and a source identity");
        let mut as_s1 = c.client_as(creds(&s1));

        // More than an hour by chaining: AWS's ValidationError, even though the role allows 12 h.
        let e = assume_eventually(&mut as_s1, AssumeRoleRequest { duration_seconds: 7200, ..ask(&second, "long") })
            .await
            .unwrap_err();
        let (code, message) = refusal(&e);
        assert_eq!(code, "ValidationError", "{message}");
        assert!(message.contains("1 hour session limit for roles assumed by role chaining"), "{message}");
        // Changing the inherited transitive tag on the way.
        let e = assume_eventually(
            &mut as_s1,
            AssumeRoleRequest { tags: vec![Tag { key: "Team".into(), value: "blue".into() }], ..ask(&second, "retag") },
        )
        .await
        .unwrap_err();
        let (code, message) = refusal(&e);
        assert_eq!(code, "ValidationError", "{e}");
        assert!(message.contains("transitive tag"), "{message}");
        // Changing the source identity on the way.
        let e = assume_eventually(&mut as_s1, AssumeRoleRequest { source_identity: "mallory".into(), ..ask(&second, "reid") })
            .await
            .unwrap_err();
        let (code, message) = refusal(&e);
        assert_eq!(code, "ValidationError", "{e}");
        assert!(message.contains("source identity"), "{message}");

        // A plain chain keeps both, two hops down (the tag stays transitive).
        let s2 = assume_eventually(&mut as_s1, AssumeRoleRequest { duration_seconds: 3600, ..ask(&second, "s2") })
            .await
            .expect("first -> second within an hour");
        let s2_creds = creds(&s2);
        eventually(&mut c, &s2_creds, &["user", "get", "alice"], "the second session keeps tag and source identity", |code, _, _| code == 0);
        let mut as_s2 = c.client_as(s2_creds);
        let s3 = assume_eventually(&mut as_s2, ask(&third, "s3")).await.expect("second -> third");
        eventually(&mut c, &creds(&s3), &["user", "get", "alice"], "the third session keeps tag and source identity", |code, _, _| code == 0);
    })
    .await;
}

/// The engine: a multivalued key present with no values (`aws:TagKeys: []`) is not a
/// missing key for `...IfExists` (an Allow with `ForAnyValue:StringEqualsIfExists` granted
/// it), while ForAllValues/ForAnyValue/Null treat it as AWS documents. Asked through the
/// Authorize API, whose caller supplies the context.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_multivalued_keys_are_not_missing_keys() {
    within(Duration::from_secs(150), async {
        let mut c = Cluster::start(3).await;
        let a = c.account.clone();
        ok(&mut c, &["user", "create", "tagger"]);
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:TagUser","Resource":"*","Condition":{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["team"]}}},{"Effect":"Allow","Action":"iam:UntagUser","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]},"Null":{"aws:TagKeys":"false"}}}]}"#;
        ok(&mut c, &["policy", "put-inline", "--user", "tagger", "--policy-name", "p", "--policy-document", doc]);
        let mut root = c.client();
        let principal = format!("arn:aws:iam::{a}:user/tagger");
        let resource = format!("arn:aws:iam::{a}:user/x");
        let mut decide = async |action: &str, keys: Option<Vec<&str>>| {
            let req = AuthorizeRequest {
                read: Some(linearizable()),
                principal_arn: principal.clone(),
                action: action.into(),
                resource: resource.clone(),
                context: keys
                    .map(|k| ContextEntry {
                        key: "aws:TagKeys".into(),
                        values: k.iter().map(|s| (*s).to_owned()).collect(),
                    })
                    .into_iter()
                    .collect(),
                explain: false,
                signed_request: None,
            };
            root.call(|mut i, _| {
                let req = req.clone();
                async move { i.authorize(req).await }
            })
            .await
            .expect("authorize")
            .decision
        };
        assert_eq!(decide("iam:TagUser", Some(vec!["team"])).await, "allowed");
        assert_eq!(decide("iam:TagUser", None).await, "allowed");
        assert_eq!(decide("iam:TagUser", Some(vec![])).await, "implicitDeny");
        assert_eq!(decide("iam:UntagUser", Some(vec!["team"])).await, "allowed");
        assert_eq!(decide("iam:UntagUser", Some(vec![])).await, "implicitDeny");
        assert_eq!(decide("iam:UntagUser", None).await, "implicitDeny");
    })
    .await;
}
