//! Virtual MFA devices: create, enable with TOTP codes, resync, deactivate, delete, lists.

use super::*;

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
