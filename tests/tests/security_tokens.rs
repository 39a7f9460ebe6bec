//! Attacks on request tokens (issue 21, critical 2). At b215235 tokens were one global
//! namespace: a tenant user allowed only `iam:CreateAccessKey` on himself sent the
//! bootstrap's fixed token (`iamd-bootstrap-root-key`) and received the operator's root
//! access key and secret; a user with no policy at all did the same through ChangePassword;
//! and a token used first by anyone made a later write of someone else silently not happen.
//! Now a token is scoped to its caller and bound to its request.

use iam_state::ops::login_profiles::LoginProfileOp;
use iam_state::Command;
use iamd_tests::iamctl::{all_ok, as_user, json, until_ok, user_with_key};
use iamd_tests::{within, Cluster};
use std::time::Duration;

fn own_keys_only(account: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["iam:CreateAccessKey","iam:DeleteAccessKey"],"Resource":"arn:aws:iam::{account}:user/${{aws:username}}"}}]}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_token_is_its_callers_and_its_requests_alone() {
    within(Duration::from_secs(180), async {
        let mut c = Cluster::start(3).await;
        let operator_key = c.root_credentials().access_key_id;
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
        let bob = user_with_key(&mut c, Some(&tenant), "bob");
        all_ok(
            &mut c,
            &[&[
                "--account",
                &tenant,
                "policy",
                "put-inline",
                "--user",
                "bob",
                "--policy-name",
                "own-keys",
                "--policy-document",
                &own_keys_only(&tenant),
            ]],
        );

        // 1. The bootstrap's old fixed token gives bob a key of his own, nothing else.
        let create = [
            "-o",
            "json",
            "--request-token",
            "iamd-bootstrap-root-key",
            "access-key",
            "create",
            "--user-name",
            "bob",
        ];
        let out = until_ok(&mut c, &bob, &create, "bob's policy");
        let k = json(&out);
        let got = k["access_key_id"].as_str().unwrap().to_owned();
        assert_ne!(
            got, operator_key,
            "bob received the operator's root key: {out}"
        );
        assert_eq!(k["user_name"], "bob", "{out}");

        // 2. A token the operator used for a root key of the tenant gives bob nothing of it.
        let (code, out, err) = c.iamctl(&[
            "-o",
            "json",
            "--account",
            &tenant,
            "--request-token",
            "shared-token",
            "access-key",
            "create",
        ]);
        assert_eq!(code, 0, "{err}");
        let tenant_root_key = json(&out)["access_key_id"].as_str().unwrap().to_owned();
        let (code, out, err) = as_user(
            &mut c,
            &bob,
            &[
                "-o",
                "json",
                "--request-token",
                "shared-token",
                "access-key",
                "create",
                "--user-name",
                "bob",
            ],
        );
        // bob already has two keys (his first and the one above): AWS's quota refuses a
        // third, and in no case is the root's key in the answer.
        assert!(
            !out.contains(&tenant_root_key) && !err.contains(&tenant_root_key),
            "{out}{err}"
        );
        assert_eq!(code, 1, "{out}{err}");
        assert!(err.contains("LimitExceeded"), "{err}");

        // 3. A token chosen in advance does not make someone else's later write vanish: bob
        //    uses `pre-empted` first; the operator's later write with it still happens.
        let (code, _, err) = as_user(
            &mut c,
            &bob,
            &[
                "--request-token",
                "pre-empted",
                "access-key",
                "delete",
                "--user-name",
                "bob",
                "--access-key-id",
                &got,
            ],
        );
        assert_eq!(code, 0, "{err}");
        let (code, _, err) = c.iamctl(&[
            "--account",
            &tenant,
            "--request-token",
            "pre-empted",
            "user",
            "create",
            "carol",
        ]);
        assert_eq!(code, 0, "{err}");
        let (code, out, err) = c.iamctl(&[
            "-o",
            "json",
            "--account",
            &tenant,
            "--consistency",
            "linearizable",
            "user",
            "get",
            "carol",
        ]);
        assert_eq!(code, 0, "carol was never created: {out}{err}");

        // 4. The same caller retrying the same request gets the first answer (no second
        //    user); the same token for another request is refused, changing nothing.
        let (code, out1, err) = c.iamctl(&[
            "-o",
            "json",
            "--account",
            &tenant,
            "--request-token",
            "retry-1",
            "user",
            "create",
            "dave",
        ]);
        assert_eq!(code, 0, "{err}");
        let (code, out2, err) = c.iamctl(&[
            "-o",
            "json",
            "--account",
            &tenant,
            "--request-token",
            "retry-1",
            "user",
            "create",
            "dave",
        ]);
        assert_eq!(code, 0, "a retry is not an error: {err}");
        assert_eq!(json(&out1)["id"], json(&out2)["id"]);
        assert!(
            json(&out1)["id"]
                .as_str()
                .is_some_and(|i| i.starts_with("AIDA")),
            "{out1}"
        );
        let (code, _, err) = c.iamctl(&[
            "--account",
            &tenant,
            "--request-token",
            "retry-1",
            "user",
            "create",
            "erin",
        ]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("IdempotentParameterMismatch"), "{err}");
        let (code, _, _) = c.iamctl(&[
            "--account",
            &tenant,
            "--consistency",
            "linearizable",
            "user",
            "get",
            "erin",
        ]);
        assert_eq!(code, 1, "erin must not exist");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_password_does_not_replay_someone_elses_response() {
    within(Duration::from_secs(180), async {
        let mut c = Cluster::start(3).await;
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
        // The tenant's root key, created by the operator with a token the attacker knows.
        let (code, out, err) = c.iamctl(&[
            "-o",
            "json",
            "--account",
            &tenant,
            "--request-token",
            "known-token",
            "access-key",
            "create",
        ]);
        assert_eq!(code, 0, "{err}");
        let root_key = json(&out)["access_key_id"].as_str().unwrap().to_owned();
        // mallory: no policy at all, a password, and an account that lets users change it.
        let mallory = user_with_key(&mut c, Some(&tenant), "mallory");
        all_ok(
            &mut c,
            &[
                &[
                    "--account",
                    &tenant,
                    "password-policy",
                    "update",
                    "--minimum-password-length",
                    "8",
                    "--allow-users-to-change-password",
                ][..],
                &[
                    "--account",
                    &tenant,
                    "login-profile",
                    "create",
                    "--user-name",
                    "mallory",
                    "--password",
                    "Old-pass-123",
                ][..],
            ],
        );
        let mut client = c.client_as(mallory);
        let change = Command::in_account(
            &tenant,
            LoginProfileOp::ChangePassword {
                user_name: "mallory".into(),
                old_password: "Old-pass-123".into(),
                new_password: "New-pass-456".into(),
                facts: None,
                password_hash: String::new(),
                check: None,
            },
        );
        let mut answer = None;
        for _ in 0..50 {
            match client.write(&change, "known-token").await {
                Err(e) if e.to_string().contains("InvalidClientTokenId") => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                other => {
                    answer = Some(other);
                    break;
                }
            }
        }
        let (outcome, _) = answer.unwrap().expect("mallory changes her own password");
        let text = outcome.to_string();
        assert!(
            !text.contains(&root_key) && !text.contains("secret_access_key"),
            "mallory received the root key: {text}"
        );
    })
    .await;
}
