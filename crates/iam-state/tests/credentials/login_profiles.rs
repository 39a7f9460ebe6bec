//! Login profiles: the plaintext stays out of the log; the password policy applies.

use super::*;

#[test]
fn prepare_keeps_the_plaintext_password_out_of_the_log() {
    let mut env = TestEnv {
        next: 0,
        sealing: false,
    };
    let mut cmd = Command::in_account(A, create_login("alice", "Sup3r$ecret-pw"));
    cmd.prepare(&mut env);
    let logged = serde_json::to_string(&cmd).unwrap();
    assert!(!logged.contains("Sup3r$ecret-pw"), "{logged}");
    assert!(logged.contains("hash-of-14-chars"), "{logged}");
    assert!(logged.contains("\"has_symbol\":true"), "{logged}");
    let mut cmd = Command::in_account(A, update_login("alice", Some("N3w-pass!"), None));
    cmd.prepare(&mut env);
    let logged = serde_json::to_string(&cmd).unwrap();
    assert!(!logged.contains("N3w-pass!"), "{logged}");

    // An op that skipped prepare is refused rather than trusted.
    let mut w = World::new();
    let before = state_hash(&w.s);
    w.index += 1;
    let req = Request {
        request_token: None,
        time_ms: T0,
        command: Command::in_account(A, create_login("alice", "plaintext")),
        origin: None,
    };
    let (resp, writes) = apply(&w.s, w.index, &req);
    assert_eq!(resp.result.unwrap_err().code, ErrorCode::InvalidInput);
    w.s.commit(writes);
    assert_eq!(state_hash(&w.s), before);
}

#[test]
fn login_profiles_follow_the_password_policy() {
    let mut w = World::new();
    // No custom policy: any 1–128 allowed characters.
    w.rejects(T0, create_login("alice", ""), ErrorCode::ValidationError);
    let long = "x".repeat(129);
    let msg = w.rejects(T0, create_login("alice", &long), ErrorCode::ValidationError);
    assert!(!msg.contains(&long), "the password is never echoed");
    w.rejects(
        T0,
        create_login("alice", "snow\u{2603}man"),
        ErrorCode::ValidationError,
    );
    w.rejects(T0, create_login("nobody", "pw"), ErrorCode::NoSuchEntity);
    let created = w.ok(T0, create_login("Alice", "pw"));
    assert_eq!(created["user_name"], "alice");
    assert!(created.get("password_hash").is_none());
    let msg = w.rejects(
        T0,
        create_login("alice", "pw2"),
        ErrorCode::EntityAlreadyExists,
    );
    assert_eq!(msg, "Login Profile for user alice already exists.");

    let got = w
        .q(LoginProfileQuery::Get {
            user_name: "ALICE".into(),
        })
        .unwrap();
    assert_eq!(got["user_name"], "alice");
    assert_eq!(got["password_reset_required"], true);
    assert_eq!(got["created_ms"], T0);
    assert!(got.get("password_hash").is_none() && !got.to_string().contains("hash-of"));
    let missing = w.q_err(LoginProfileQuery::Get {
        user_name: "bob".into(),
    });
    assert_eq!(missing.code, ErrorCode::NoSuchEntity);
    assert_eq!(
        missing.message,
        "Login Profile for User bob cannot be found."
    );

    // A custom policy applies to new passwords, naming the unmet rule.
    set_policy(
        &mut w,
        PasswordPolicyInput {
            minimum_password_length: Some(10),
            require_symbols: true,
            require_numbers: true,
            require_uppercase_characters: true,
            require_lowercase_characters: true,
            ..Default::default()
        },
    )
    .unwrap();
    for (pw, rule) in [
        ("Sh0rt!", "minimum length of 10"),
        ("NOLOWER123!", "lowercase"),
        ("noupper123!", "uppercase"),
        ("NoNumbers!!", "number"),
        ("NoSymbols123", "symbol"),
    ] {
        let msg = w.rejects(
            T0,
            update_login("alice", Some(pw), None),
            ErrorCode::PasswordPolicyViolation,
        );
        assert!(msg.contains(rule), "{pw}: {msg}");
        w.rejects(
            T0,
            create_login("bob", pw),
            ErrorCode::PasswordPolicyViolation,
        );
    }
    w.ok(
        T0 + 5000,
        update_login("alice", Some("G00d-enough!"), Some(false)),
    );
    let got = w
        .q(LoginProfileQuery::Get {
            user_name: "alice".into(),
        })
        .unwrap();
    assert_eq!(got["password_reset_required"], false);
    assert_eq!(got["password_last_changed_ms"], T0 + 5000);
    // The reset flag alone changes no password.
    w.ok(T0 + 9000, update_login("alice", None, Some(true)));
    let got = w
        .q(LoginProfileQuery::Get {
            user_name: "alice".into(),
        })
        .unwrap();
    assert_eq!(got["password_reset_required"], true);
    assert_eq!(got["password_last_changed_ms"], T0 + 5000);
    w.rejects(
        T0,
        update_login("bob", None, Some(true)),
        ErrorCode::NoSuchEntity,
    );

    // Sign-in use is recorded coarsely; a user with a profile cannot be deleted.
    w.ok(
        T0,
        LoginProfileOp::RecordUse {
            user_name: "alice".into(),
        },
    );
    let before = state_hash(&w.s);
    w.ok(
        T0 + 60_000,
        LoginProfileOp::RecordUse {
            user_name: "alice".into(),
        },
    );
    assert_eq!(state_hash(&w.s), before);
    w.rejects(
        T0,
        LoginProfileOp::RecordUse {
            user_name: "bob".into(),
        },
        ErrorCode::NoSuchEntity,
    );
    w.rejects(
        T0,
        UserOp::Delete {
            name: "alice".into(),
        },
        ErrorCode::DeleteConflict,
    );
    w.ok(
        T0,
        LoginProfileOp::Delete {
            user_name: "alice".into(),
        },
    );
    w.rejects(
        T0,
        LoginProfileOp::Delete {
            user_name: "alice".into(),
        },
        ErrorCode::NoSuchEntity,
    );
    w.ok(
        T0,
        UserOp::Delete {
            name: "alice".into(),
        },
    );
}

#[test]
fn change_password_checks_the_proposer_s_findings_and_keeps_a_history() {
    use iam_state::ops::login_profiles::{stored_hashes, ChangeCheck};
    let mut w = World::new();
    w.ok(T0, create_login("alice", "First-pass-1"));
    let current = stored_hashes(&w.s, A, "alice").unwrap()[0].clone();
    let change = |check: Option<ChangeCheck>| LoginProfileOp::ChangePassword {
        user_name: "alice".into(),
        old_password: "First-pass-1".into(),
        new_password: "Second-pass-22".into(),
        facts: None,
        password_hash: String::new(),
        check,
    };
    let good = ChangeCheck {
        current_hash: current.clone(),
        old_matches: true,
        reused_at: None,
    };
    // Not checked by a proposer: refused, nothing changes.
    w.rejects(T0, change(None), ErrorCode::InvalidInput);
    w.rejects(
        T0,
        change(Some(ChangeCheck {
            current_hash: "another".into(),
            ..good.clone()
        })),
        ErrorCode::EntityTemporarilyUnmodifiable,
    );
    let msg = w.rejects(
        T0,
        change(Some(ChangeCheck {
            old_matches: false,
            ..good.clone()
        })),
        ErrorCode::AccessDenied,
    );
    assert_eq!(msg, "The old password is incorrect.");
    // Reuse: the current password never; older ones within PasswordReusePrevention.
    w.rejects(
        T0,
        change(Some(ChangeCheck {
            reused_at: Some(0),
            ..good.clone()
        })),
        ErrorCode::PasswordPolicyViolation,
    );
    set_policy(
        &mut w,
        PasswordPolicyInput {
            password_reuse_prevention: Some(3),
            allow_users_to_change_password: true,
            ..Default::default()
        },
    )
    .unwrap();
    let msg = w.rejects(
        T0,
        change(Some(ChangeCheck {
            reused_at: Some(2),
            ..good.clone()
        })),
        ErrorCode::PasswordPolicyViolation,
    );
    assert!(msg.contains("PasswordReusePrevention"), "{msg}");
    w.ok(
        T0 + HOUR,
        change(Some(ChangeCheck {
            reused_at: Some(3),
            ..good
        })),
    );
    let hashes = stored_hashes(&w.s, A, "alice").unwrap();
    assert_eq!(hashes.len(), 2);
    assert_eq!(hashes[1], current, "the old hash is kept in the history");
    let p = w
        .q(LoginProfileQuery::Get {
            user_name: "alice".into(),
        })
        .unwrap();
    assert_eq!(p["password_last_changed_ms"], T0 + HOUR);
    assert_eq!(p["password_reset_required"], false);
    // The plaintexts never reach the log.
    let mut env = TestEnv {
        next: 0,
        sealing: false,
    };
    let mut cmd = Command::in_account(A, change(None));
    cmd.prepare(&mut env);
    let logged = serde_json::to_string(&cmd).unwrap();
    assert!(
        !logged.contains("First-pass-1") && !logged.contains("Second-pass-22"),
        "{logged}"
    );
}

#[test]
fn failed_sign_ins_lock_out_within_the_window_and_a_sign_in_clears_them() {
    use iam_state::ops::login_profiles::{
        load, SignIn, SIGN_IN_FAILURES_MAX, SIGN_IN_FAILURE_WINDOW_MS,
    };
    let mut w = World::new();
    w.ok(T0, create_login("alice", "First-pass-1"));
    let profile = |w: &World| load(&iam_state::Txn::new(&w.s), A, "alice").unwrap();
    let fail = || LoginProfileOp::RecordFailure {
        user_name: "Alice".into(),
    };
    for i in 0..SIGN_IN_FAILURES_MAX as u64 {
        assert!(!profile(&w).locked_out(T0 + i));
        w.ok(T0 + i, fail());
    }
    assert!(profile(&w).locked_out(T0 + 10));
    // More failures keep at most the last few.
    w.ok(T0 + 20, fail());
    assert_eq!(profile(&w).failed_sign_ins.len(), SIGN_IN_FAILURES_MAX);
    // The window passes for the oldest: one more attempt is allowed.
    assert!(!profile(&w).locked_out(T0 + 1 + SIGN_IN_FAILURE_WINDOW_MS));
    w.rejects(
        T0,
        LoginProfileOp::RecordFailure {
            user_name: "bob".into(),
        },
        ErrorCode::NoSuchEntity,
    );
    // A successful sign-in forgets the failures.
    w.ok(
        T0 + 30,
        LoginProfileOp::RecordUse {
            user_name: "alice".into(),
        },
    );
    assert!(profile(&w).failed_sign_ins.is_empty());

    // Must-change and expiry: reset flag, then MaxPasswordAge, then HardExpiry.
    let day = 86_400_000;
    assert_eq!(profile(&w).sign_in(None, T0), SignIn::MustChange);
    w.ok(T0, update_login("alice", None, Some(false)));
    assert_eq!(profile(&w).sign_in(None, T0 + 400 * day), SignIn::Current);
    set_policy(
        &mut w,
        PasswordPolicyInput {
            max_password_age: Some(30),
            ..Default::default()
        },
    )
    .unwrap();
    let policy =
        |w: &World| iam_state::ops::account::password_policy::load(&iam_state::Txn::new(&w.s), A);
    let p = policy(&w);
    assert_eq!(profile(&w).expires_ms(p.as_ref()), Some(T0 + 30 * day));
    assert_eq!(
        profile(&w).sign_in(p.as_ref(), T0 + 29 * day),
        SignIn::Current
    );
    assert_eq!(
        profile(&w).sign_in(p.as_ref(), T0 + 30 * day),
        SignIn::MustChange
    );
    set_policy(
        &mut w,
        PasswordPolicyInput {
            max_password_age: Some(30),
            hard_expiry: true,
            ..Default::default()
        },
    )
    .unwrap();
    let p = policy(&w);
    assert_eq!(
        profile(&w).sign_in(p.as_ref(), T0 + 31 * day),
        SignIn::Expired
    );
    // An administrator's new password starts a new age.
    w.ok(
        T0 + 31 * day,
        update_login("alice", Some("Third-pass-333"), None),
    );
    assert_eq!(
        profile(&w).sign_in(p.as_ref(), T0 + 32 * day),
        SignIn::Current
    );
}

#[test]
fn password_attempts_are_reserved_before_they_run_and_refused_past_the_limit() {
    use iam_state::ops::login_profiles::{load, SIGN_IN_FAILURES_MAX, SIGN_IN_FAILURE_WINDOW_MS};
    use iam_state::{apply_batch, Request};
    let mut w = World::new();
    w.ok(T0, create_login("alice", "First-pass-1"));
    let profile = |w: &World| load(&iam_state::Txn::new(&w.s), A, "alice").unwrap();
    let reserve = |user: &str| LoginProfileOp::ReserveAttempt {
        user_name: user.into(),
    };
    assert!(reserve("alice").is_internal());
    // Thirty attempts at once, in one log entry: only the limit's number is granted, each
    // counted as failed until a success forgets it.
    let requests: Vec<Request> = (0..30)
        .map(|i| Request {
            request_token: Some(format!("r{i}")),
            time_ms: T0 + 1,
            command: Command::in_account(A, reserve("Alice")),
            origin: None,
        })
        .collect();
    let (responses, writes) = apply_batch(&w.s, 1000, &requests);
    w.s.commit(writes);
    let granted = responses.iter().filter(|r| r.result.is_ok()).count();
    assert_eq!(granted, SIGN_IN_FAILURES_MAX);
    let refused = responses
        .iter()
        .find_map(|r| r.result.as_ref().err())
        .unwrap();
    assert_eq!(refused.code, ErrorCode::LimitExceeded);
    assert!(profile(&w).locked_out(T0 + 2));
    // Refusals write nothing.
    w.rejects(T0 + 2, reserve("alice"), ErrorCode::LimitExceeded);
    w.rejects(T0 + 2, reserve("bob"), ErrorCode::NoSuchEntity);
    // The window passes: one more may run.
    let later = T0 + 1 + SIGN_IN_FAILURE_WINDOW_MS;
    w.ok(later, reserve("alice"));
    // A right password forgets the count (a no-op when there is none).
    w.ok(
        later + 1,
        LoginProfileOp::ForgetFailures {
            user_name: "alice".into(),
        },
    );
    assert!(profile(&w).failed_sign_ins.is_empty());
    w.ok(
        later + 2,
        LoginProfileOp::ForgetFailures {
            user_name: "alice".into(),
        },
    );
    w.rejects(
        later,
        LoginProfileOp::ForgetFailures {
            user_name: "bob".into(),
        },
        ErrorCode::NoSuchEntity,
    );
}
