//! Virtual MFA devices: create, enable with TOTP codes, resync, deactivate, delete, lists.

use super::*;
use iam_state::ops::mfa::checked;
use iam_state::StateRead;

#[test]
fn virtual_mfa_devices_are_created_enabled_resynced_and_deleted() {
    let mut w = World::new();
    let out = w.ok(T0, create_device("alice-phone", "/team/"));
    let serial = out["serial_number"].as_str().unwrap().to_owned();
    assert_eq!(serial, format!("arn:aws:iam::{A}:mfa/team/alice-phone"));
    let b32 = out["base32_string_seed"].as_str().unwrap().to_owned();
    let seed = totp::base32_decode(&b32).unwrap();
    assert_eq!(seed.len(), 20);
    assert_eq!(
        out["qr_code_uri"],
        format!("otpauth://totp/alice-phone@{A}?secret={b32}")
    );
    let msg = w.rejects(
        T0,
        create_device("ALICE-PHONE", "/"),
        ErrorCode::EntityAlreadyExists,
    );
    assert_eq!(
        msg,
        "MFADevice entity at the same path and name already exists."
    );
    w.rejects(
        T0,
        create_device("bad name", "/"),
        ErrorCode::ValidationError,
    );
    w.rejects(
        T0,
        create_device("ok", "no-slash"),
        ErrorCode::ValidationError,
    );
    assert_eq!(summary(&w)["MFADevices"], 1);

    let list = |w: &World, status: Option<&str>| {
        w.q(MfaQuery::ListVirtual {
            assignment_status: status.map(str::to_owned),
            page: PageRequest::default(),
        })
    };
    assert_eq!(
        list(&w, Some("Unassigned")).unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        list(&w, Some("Assigned")).unwrap()["items"],
        serde_json::json!([])
    );
    assert_eq!(
        list(&w, Some("Bogus")).unwrap_err().code,
        ErrorCode::ValidationError
    );
    assert!(
        !list(&w, None).unwrap().to_string().contains(&b32),
        "lists never show the seed"
    );

    // Enabling needs two consecutive codes near the apply time.
    let now = T0 + 10_000;
    let good = codes(&seed, now);
    let (c1, c2) = good.clone();
    w.rejects(
        now,
        enable("alice", &serial, (c2.clone(), c1.clone())),
        ErrorCode::InvalidAuthenticationCode,
    );
    w.rejects(
        now,
        enable("alice", &serial, codes(&seed, now + 10 * 60_000)),
        ErrorCode::InvalidAuthenticationCode,
    );
    w.rejects(
        now,
        enable("alice", &serial, ("12345".into(), c2.clone())),
        ErrorCode::ValidationError,
    );
    w.rejects(
        now,
        enable("nobody", &serial, good.clone()),
        ErrorCode::NoSuchEntity,
    );
    let unknown = format!("arn:aws:iam::{A}:mfa/nope");
    w.rejects(
        now,
        enable("alice", &unknown, good.clone()),
        ErrorCode::NoSuchEntity,
    );
    let wrong_path = format!("arn:aws:iam::{A}:mfa/alice-phone");
    w.rejects(
        now,
        enable("alice", &wrong_path, good.clone()),
        ErrorCode::NoSuchEntity,
    );
    w.rejects_in(
        B,
        now,
        enable("alice", &serial, good.clone()),
        ErrorCode::NoSuchEntity,
    );
    w.ok(now + 30_000, enable("alice", &serial, good.clone()));
    let msg = w.rejects(
        now,
        enable("bob", &serial, codes(&seed, now + 60_000)),
        ErrorCode::EntityAlreadyExists,
    );
    assert_eq!(msg, "MFA Device is already in use.");
    let s = summary(&w);
    assert_eq!(
        (s["MFADevices"].as_u64(), s["MFADevicesInUse"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        list(&w, Some("Assigned")).unwrap()["items"][0]["user_name"],
        "alice"
    );
    let mine = w
        .q(MfaQuery::List {
            user_name: "alice".into(),
            page: PageRequest::default(),
        })
        .unwrap();
    assert_eq!(mine["items"][0]["serial_number"], serial.as_str());
    assert_eq!(mine["items"][0]["enable_ms"], now + 30_000);
    assert_eq!(
        w.q(MfaQuery::List {
            user_name: "nobody".into(),
            page: PageRequest::default()
        })
        .unwrap_err()
        .code,
        ErrorCode::NoSuchEntity
    );

    // The device cannot be deleted, nor its user, while it is enabled.
    let delete = MfaOp::DeleteVirtual {
        serial_number: serial.clone(),
    };
    w.rejects(now, delete.clone(), ErrorCode::DeleteConflict);
    w.rejects(
        now,
        UserOp::Delete {
            name: "alice".into(),
        },
        ErrorCode::DeleteConflict,
    );

    // Resync: the codes already accepted are refused (never twice), fresh ones work,
    // even from a device that drifted a few minutes.
    let resync = |user: &str, (c1, c2): (String, String)| MfaOp::Resync {
        user_name: user.into(),
        serial_number: serial.clone(),
        authentication_code1: c1,
        authentication_code2: c2,
    };
    w.rejects(
        now + 30_000,
        resync("alice", good.clone()),
        ErrorCode::InvalidAuthenticationCode,
    );
    w.rejects(
        now,
        resync("bob", codes(&seed, now + 120_000)),
        ErrorCode::NoSuchEntity,
    );
    let later = now + HOUR;
    w.ok(later, resync("alice", codes(&seed, later - 5 * 60_000)));
    w.rejects(
        later,
        resync("alice", codes(&seed, later - 5 * 60_000)),
        ErrorCode::InvalidAuthenticationCode,
    );

    // Deactivate, then delete.
    let deactivate = |user: &str| MfaOp::Deactivate {
        user_name: user.into(),
        serial_number: serial.clone(),
    };
    w.rejects(later, deactivate("bob"), ErrorCode::NoSuchEntity);
    w.ok(later, deactivate("alice"));
    w.rejects(later, deactivate("alice"), ErrorCode::NoSuchEntity);
    assert_eq!(summary(&w)["MFADevicesInUse"], 0);
    w.ok(later, delete.clone());
    w.rejects(later, delete, ErrorCode::NoSuchEntity);
    assert_eq!(summary(&w)["MFADevices"], 0);
    w.ok(
        later,
        UserOp::Delete {
            name: "alice".into(),
        },
    );
}

#[test]
fn a_user_has_at_most_eight_mfa_devices_and_lists_page() {
    let mut w = World::new();
    let now = T0 + 100_000;
    let devices: Vec<(String, Vec<u8>)> = (0..9)
        .map(|i| new_device(&mut w, &format!("d{i}")))
        .collect();
    for (serial, seed) in &devices[..8] {
        w.ok(now, enable("bob", serial, codes(seed, now)));
    }
    let (serial, seed) = &devices[8];
    let msg = w.rejects(
        now,
        enable("bob", serial, codes(seed, now)),
        ErrorCode::LimitExceeded,
    );
    assert_eq!(msg, "Cannot exceed quota for MFADevicesPerUser: 8");
    w.ok(now, enable("alice", serial, codes(seed, now)));

    let list = |p: PageRequest| {
        w.q(MfaQuery::List {
            user_name: "bob".into(),
            page: p,
        })
        .unwrap()
    };
    let p1 = list(page(5, None));
    assert_eq!(p1["items"].as_array().unwrap().len(), 5);
    assert_eq!(p1["is_truncated"], true);
    let p2 = list(page(5, Some(&p1["marker"])));
    assert_eq!(p2["items"].as_array().unwrap().len(), 3);
    assert_eq!(p2["is_truncated"], false);
    let v1 = w
        .q(MfaQuery::ListVirtual {
            assignment_status: None,
            page: page(4, None),
        })
        .unwrap();
    assert_eq!(v1["items"].as_array().unwrap().len(), 4);
    let v2 = w
        .q(MfaQuery::ListVirtual {
            assignment_status: Some("Any".into()),
            page: page(10, Some(&v1["marker"])),
        })
        .unwrap();
    assert_eq!(v2["items"].as_array().unwrap().len(), 5);
    assert_eq!(
        v2["items"][0]["serial_number"],
        format!("arn:aws:iam::{A}:mfa/d4")
    );
}

#[test]
fn verify_totp_accepts_a_code_once_near_now() {
    let seed = b"12345678901234567890";
    let now = 1_111_111_109_000;
    let t = totp::step_of(now);
    let code = totp::code_at(seed, t);
    assert_eq!(mfa::verify_totp(seed, &code, now, None), Some(t));
    assert_eq!(mfa::verify_totp(seed, &code, now + 30_000, None), Some(t));
    assert_eq!(
        mfa::verify_totp(seed, &code, now, Some(t)),
        None,
        "never twice"
    );
    assert_eq!(mfa::verify_totp(seed, &code, now + 5 * 60_000, None), None);
    assert_eq!(mfa::verify_totp(seed, "abcdef", now, None), None);
    assert_eq!(mfa::verify_totp(seed, "081804", now, None), Some(t));
}

#[test]
fn a_sign_in_code_is_accepted_once_and_only_for_the_device_s_user() {
    let mut w = World::new();
    let (serial, seed) = new_device(&mut w, "alice-token");
    w.ok(T0, enable("alice", &serial, codes(&seed, T0)));
    let at = T0 + 5 * 60_000;
    let code = totp::code_at(&seed, totp::step_of(at));
    let auth = |user: &str, code: &str| MfaOp::Authenticate {
        user_name: user.into(),
        serial_number: serial.clone(),
        code: code.into(),
    };
    assert!(MfaOp::is_internal(&auth("alice", &code)));
    w.rejects(at, auth("bob", &code), ErrorCode::AccessDenied);
    w.rejects(at, auth("alice", "000000"), ErrorCode::AccessDenied);
    let out = w.ok(at, auth("alice", &code));
    assert_eq!(out["authenticated_ms"], at);
    // The same code again (a replay), even a moment later: refused.
    let msg = w.rejects(at + 1_000, auth("alice", &code), ErrorCode::AccessDenied);
    assert!(msg.contains("invalid MFA one time pass code"), "{msg}");
    // The next step's code works.
    let next = at + 30_000;
    w.ok(
        next,
        auth("alice", &totp::code_at(&seed, totp::step_of(next))),
    );
}

#[test]
fn the_root_has_its_own_devices_reported_in_summary_and_credential_report() {
    use iam_state::ops::mfa::{enabled_serials, ROOT};
    let mut w = World::new();
    let (serial, seed) = new_device(&mut w, "root-account-mfa-device");
    let summary = |w: &World| {
        w.q(iam_state::ops::account::AccountQuery::GetSummary {})
            .unwrap()
    };
    assert_eq!(summary(&w)["AccountMFAEnabled"], 0);
    w.ok(T0, enable(ROOT, &serial, codes(&seed, T0)));
    assert_eq!(
        enabled_serials(&iam_state::Txn::new(&w.s), A, ROOT),
        vec![serial.clone()]
    );
    assert_eq!(summary(&w)["AccountMFAEnabled"], 1);
    // Listed as the root's, not as any user's; a user cannot take it.
    let listed = w
        .q(MfaQuery::List {
            user_name: ROOT.into(),
            page: PageRequest::default(),
        })
        .unwrap();
    assert_eq!(listed["items"][0]["serial_number"], serial.as_str());
    w.rejects(
        T0,
        enable("alice", &serial, codes(&seed, T0 + 60_000)),
        ErrorCode::EntityAlreadyExists,
    );
    // The root signs in with it once per code.
    let at = T0 + 5 * 60_000;
    let code = totp::code_at(&seed, totp::step_of(at));
    let auth = MfaOp::Authenticate {
        user_name: ROOT.into(),
        serial_number: serial.clone(),
        code,
    };
    w.ok(at, auth.clone());
    w.rejects(at, auth, ErrorCode::AccessDenied);
    w.ok(
        at,
        MfaOp::Deactivate {
            user_name: ROOT.into(),
            serial_number: serial,
        },
    );
    assert_eq!(summary(&w)["AccountMFAEnabled"], 0);
}

/// A device with a sealed seed, enabled for alice through the checked op; returns (serial,
/// stored seed, seed bytes).
fn sealed_device(w: &mut World, name: &str) -> (String, String, Vec<u8>) {
    w.env.sealing = true;
    let out = w.ok(T0, create_device(name, "/"));
    w.env.sealing = false;
    let serial = out["serial_number"].as_str().unwrap().to_owned();
    let stored = out["base32_string_seed"].as_str().unwrap().to_owned();
    let seed = totp::base32_decode(&unseal(&stored)).unwrap();
    let step = totp::step_of(T0);
    w.ok(
        T0,
        MfaOp::EnableChecked {
            user_name: "alice".into(),
            serial_number: serial.clone(),
            seed_check: checked::seed_check(&stored),
            step: Some(step),
        },
    );
    (serial, stored, seed)
}

fn check_code(serial: &str, stored: &str, step: Option<u64>) -> MfaOp {
    MfaOp::CheckCode {
        user_name: "alice".into(),
        serial_number: serial.into(),
        seed_check: checked::seed_check(stored),
        step,
    }
}

#[test]
fn sealed_seeds_stay_sealed_and_codes_for_them_are_checked_by_the_proposer() {
    let mut w = World::new();
    w.env.sealing = true;
    let out = w.ok(T0, create_device("phone", "/"));
    let stored = out["base32_string_seed"].as_str().unwrap().to_owned();
    let plain = unseal(&stored);
    assert!(stored.starts_with(checked::SEALED_PREFIX), "{stored}");
    assert_eq!(
        out["qr_code_uri"],
        format!("otpauth://totp/phone@{A}?secret={stored}"),
        "the reply as apply writes it holds only the sealed seed"
    );
    let mut dump = String::new();
    w.s.for_each(&mut |k, v| {
        dump.push_str(&String::from_utf8_lossy(k));
        dump.push_str(&String::from_utf8_lossy(v));
    });
    assert!(dump.contains(&stored) && !dump.contains(&plain));
    let seed = totp::base32_decode(&plain).unwrap();
    let serial = out["serial_number"].as_str().unwrap().to_owned();

    // The ops that check codes in apply cannot use a sealed seed: no code opens it, not
    // even one computed from an empty key (what an undecodable seed used to give).
    let empty_key = codes(&[], T0);
    w.rejects(
        T0,
        enable("alice", &serial, empty_key.clone()),
        ErrorCode::InvalidAuthenticationCode,
    );
    w.rejects(
        T0,
        enable("alice", &serial, codes(&seed, T0)),
        ErrorCode::InvalidAuthenticationCode,
    );

    // The checked form: a step near the request's time, for this seed.
    let step = totp::step_of(T0);
    let enable_checked = |seed_check: &str, step: Option<u64>| MfaOp::EnableChecked {
        user_name: "alice".into(),
        serial_number: serial.clone(),
        seed_check: seed_check.into(),
        step,
    };
    let check = checked::seed_check(&stored);
    w.rejects(
        T0,
        enable_checked(&check, None),
        ErrorCode::InvalidAuthenticationCode,
    );
    w.rejects(
        T0,
        enable_checked(&check, Some(step + 10)),
        ErrorCode::InvalidAuthenticationCode,
    );
    w.rejects(
        T0,
        enable_checked(&checked::seed_check("another seed"), Some(step)),
        ErrorCode::ConcurrentModification,
    );
    assert!(enable_checked(&check, Some(step)).is_internal());
    w.ok(T0, enable_checked(&check, Some(step)));

    // Old-style sign-in codes against a sealed seed never match.
    w.rejects(
        T0 + 60_000,
        MfaOp::Authenticate {
            user_name: "alice".into(),
            serial_number: serial.clone(),
            code: totp::code_at(&[], step + 2),
        },
        ErrorCode::AccessDenied,
    );
    // Resync, checked: both codes after the last accepted step.
    let resync_checked = |step: u64| MfaOp::ResyncChecked {
        user_name: "alice".into(),
        serial_number: serial.clone(),
        seed_check: check.clone(),
        step: Some(step),
    };
    w.rejects(
        T0,
        resync_checked(step + 1),
        ErrorCode::InvalidAuthenticationCode,
    );
    w.ok(T0 + 60_000, resync_checked(step + 3));
}

#[test]
fn wrong_codes_are_counted_per_device_and_lock_it_even_for_the_right_code() {
    let mut w = World::new();
    let (serial, stored, _) = sealed_device(&mut w, "phone");
    let at = T0 + 10 * 60_000;
    let step = totp::step_of(at);
    // Wrong codes are answered as wrong, and counted.
    for i in 0..checked::CODE_FAILURES_MAX as u64 {
        let out = w.ok(at + i, check_code(&serial, &stored, None));
        assert_eq!(out["authenticated_ms"], Value::Null, "{out}");
    }
    // Locked: the right code is refused, and nothing is written.
    let device = mfa::device(&w.s, A, &serial).unwrap();
    assert!(checked::is_locked(&device, at + 10));
    assert!(!checked::is_locked(
        &device,
        at + checked::CODE_FAILURE_WINDOW_MS
    ));
    let msg = w.rejects(
        at + 10,
        check_code(&serial, &stored, Some(step)),
        ErrorCode::AccessDenied,
    );
    assert!(msg.contains("too many invalid codes"), "{msg}");
    // Still locked just before the first failure leaves the window, open after.
    w.rejects(
        at + checked::CODE_FAILURE_WINDOW_MS - 1,
        check_code(
            &serial,
            &stored,
            Some(totp::step_of(at + checked::CODE_FAILURE_WINDOW_MS)),
        ),
        ErrorCode::AccessDenied,
    );
    let later = at + checked::CODE_FAILURE_WINDOW_MS;
    let out = w.ok(
        later,
        check_code(&serial, &stored, Some(totp::step_of(later))),
    );
    assert_eq!(out["authenticated_ms"], later);
    // A success forgets the failures: five more wrong ones before the next lock.
    let again = later + 60_000;
    for i in 0..checked::CODE_FAILURES_MAX as u64 {
        let out = w.ok(again + i, check_code(&serial, &stored, None));
        assert_eq!(out["authenticated_ms"], Value::Null);
    }
    w.rejects(
        again + 10,
        check_code(&serial, &stored, None),
        ErrorCode::AccessDenied,
    );
}

#[test]
fn a_used_or_stale_step_counts_as_a_wrong_code_and_other_users_are_refused() {
    let mut w = World::new();
    let (serial, stored, _) = sealed_device(&mut w, "phone");
    let at = T0 + 10 * 60_000;
    let step = totp::step_of(at);
    assert_eq!(
        w.ok(at, check_code(&serial, &stored, Some(step)))["authenticated_ms"],
        at
    );
    // The same step again (a replayed code), or a step far from the request's time.
    for (time, s) in [(at + 1, step), (at + 2, step + 5), (at + 3, step - 3)] {
        let out = w.ok(time, check_code(&serial, &stored, Some(s)));
        assert_eq!(out["authenticated_ms"], Value::Null, "step {s}");
    }
    // Another user's check of alice's device: refused, not counted.
    let bob = MfaOp::CheckCode {
        user_name: "bob".into(),
        serial_number: serial.clone(),
        seed_check: checked::seed_check(&stored),
        step: Some(step + 1),
    };
    w.rejects(at, bob, ErrorCode::AccessDenied);
    // A verdict made against another seed is not judged at all.
    w.rejects(
        at,
        MfaOp::CheckCode {
            user_name: "alice".into(),
            serial_number: serial.clone(),
            seed_check: checked::seed_check("sealed1:other"),
            step: Some(step + 1),
        },
        ErrorCode::ConcurrentModification,
    );
    // Two failures left before the lock (three counted above).
    w.ok(at + 4, check_code(&serial, &stored, None));
    w.ok(at + 5, check_code(&serial, &stored, None));
    w.rejects(
        at + 6,
        check_code(&serial, &stored, Some(step + 1)),
        ErrorCode::AccessDenied,
    );
}

#[test]
fn concurrent_checks_in_one_entry_are_judged_one_after_another() {
    use iam_state::{apply_batch, Request};
    let mut w = World::new();
    let (serial, stored, _) = sealed_device(&mut w, "phone");
    let at = T0 + 10 * 60_000;
    let step = totp::step_of(at);
    // Twenty verdicts in one log entry, the right one last: five are judged wrong, the rest
    // (the right one included) meet the lock.
    let mut requests: Vec<Request> = (0..19)
        .map(|i| Request {
            request_token: Some(format!("t{i}")),
            time_ms: at,
            command: Command::in_account(A, check_code(&serial, &stored, None)),
            origin: None,
        })
        .collect();
    requests.push(Request {
        request_token: Some("right".into()),
        time_ms: at,
        command: Command::in_account(A, check_code(&serial, &stored, Some(step))),
        origin: None,
    });
    let (responses, writes) = apply_batch(&w.s, 1000, &requests);
    w.s.commit(writes);
    let wrong = responses.iter().filter(|r| r.result.is_ok()).count();
    assert_eq!(wrong, checked::CODE_FAILURES_MAX);
    assert!(responses[..checked::CODE_FAILURES_MAX].iter().all(|r| r
        .result
        .as_ref()
        .unwrap()
        .to_json()["authenticated_ms"]
        .is_null()));
    let last = responses.last().unwrap().result.as_ref().unwrap_err();
    assert_eq!(last.code, ErrorCode::AccessDenied);
    assert!(last.message.contains("too many"), "{}", last.message);
}

#[test]
fn devices_with_seeds_in_clear_keep_working() {
    // Written by a version that stored seeds in clear (and by tools without a cluster key).
    let mut w = World::new();
    let (serial, seed) = new_device(&mut w, "old-phone");
    w.ok(T0, enable("alice", &serial, codes(&seed, T0)));
    let at = T0 + 5 * 60_000;
    let code = totp::code_at(&seed, totp::step_of(at));
    w.ok(
        at,
        MfaOp::Authenticate {
            user_name: "alice".into(),
            serial_number: serial.clone(),
            code,
        },
    );
    // The checked op names the seed in clear by its digest too.
    let stored = totp::base32_encode(&seed);
    let next = at + 30_000;
    let out = w.ok(
        next,
        MfaOp::CheckCode {
            user_name: "alice".into(),
            serial_number: serial,
            seed_check: checked::seed_check(&stored),
            step: Some(totp::step_of(next)),
        },
    );
    assert_eq!(out["authenticated_ms"], next);
}
