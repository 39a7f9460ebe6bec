//! Password guessing spread over many names, and the one call a user may make without a
//! grant (issue 21, "count and lock every guessable factor"; the same class as medium 6).
//!
//! - Sign-in locks each user after 5 failures, but a guesser can spread guesses over many
//!   user names: a source (IP) is held to 100 failed sign-ins a minute per node, then
//!   answered `Throttling` until the minute is over.
//! - `ChangePassword` needs no grant when the account's password policy allows users to
//!   change their passwords, but an explicit deny in the user's policies still wins (AWS's
//!   evaluation: an explicit deny overrides any allow).

use iam_client::ClientError;
use iam_proto::v1::LoginRequest;
use iam_state::ops::login_profiles::LoginProfileOp;
use iam_state::Command;
use iamd_tests::iamctl::{all_ok, user_with_key};
use iamd_tests::{within, Cluster};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_guessing_across_many_names_is_throttled() {
    within(Duration::from_secs(180), async {
        let c = Cluster::start(1).await;
        let account = c.account.clone();
        let client =
            iam_client::Client::new(&[c.node(1).api_url()], Duration::from_secs(30)).unwrap();
        let mut codes = Vec::new();
        for i in 0..130 {
            let r = client
                .call_one(0, |mut iam, _| {
                    let account = account.clone();
                    async move {
                        iam.login(LoginRequest {
                            account,
                            user_name: format!("nobody-{i}"),
                            password: "Guess-123456".into(),
                            ..Default::default()
                        })
                        .await
                    }
                })
                .await;
            codes.push(match r {
                Err(ClientError::Refused { code, .. }) => code,
                other => panic!("sign-in {i}: {other:?}"),
            });
        }
        let throttled = codes.iter().filter(|c| *c == "Throttling").count();
        assert_eq!(
            codes.iter().filter(|c| *c == "AccessDenied").count(),
            100,
            "{codes:?}"
        );
        assert_eq!(throttled, 30, "{codes:?}");
    })
    .await;
}

const DENY_CHANGE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:ChangePassword","Resource":"*"}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_explicit_deny_wins_over_the_password_policys_implicit_allow() {
    within(Duration::from_secs(120), async {
        let mut c = Cluster::start(3).await;
        let account = c.account.clone();
        let kept = user_with_key(&mut c, None, "kept");
        let free = user_with_key(&mut c, None, "free");
        all_ok(
            &mut c,
            &[
                &[
                    "password-policy",
                    "update",
                    "--minimum-password-length",
                    "8",
                    "--allow-users-to-change-password",
                ][..],
                &[
                    "login-profile",
                    "create",
                    "--user-name",
                    "kept",
                    "--password",
                    "Old-pass-123",
                ][..],
                &[
                    "login-profile",
                    "create",
                    "--user-name",
                    "free",
                    "--password",
                    "Old-pass-123",
                ][..],
                &[
                    "policy",
                    "put-inline",
                    "--user",
                    "kept",
                    "--policy-name",
                    "no-change",
                    "--policy-document",
                    DENY_CHANGE,
                ][..],
            ],
        );
        // Every node has the deny before the attempt (any of them may answer).
        let leader = c.leader(Duration::from_secs(10)).await;
        let index = c.status(leader).await.unwrap().applied_index;
        c.wait_converged(index, Duration::from_secs(10)).await;
        let change = |user: &str| {
            Command::in_account(
                &account,
                LoginProfileOp::ChangePassword {
                    user_name: user.into(),
                    old_password: "Old-pass-123".into(),
                    new_password: "New-pass-456".into(),
                    facts: None,
                    password_hash: String::new(),
                    check: None,
                },
            )
        };
        let e = c
            .client_as(kept)
            .write(&change("kept"), &iam_client::Client::new_token())
            .await
            .unwrap_err();
        match e {
            ClientError::Refused { code, message } => {
                assert_eq!(code, "AccessDenied", "{message}");
                assert!(message.contains("explicit deny"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        // Without the deny, the password policy alone allows it.
        c.client_as(free)
            .write(&change("free"), &iam_client::Client::new_token())
            .await
            .unwrap();
    })
    .await;
}
