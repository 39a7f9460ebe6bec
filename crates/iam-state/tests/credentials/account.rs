//! Account settings: alias, password policy, summary, credential report.

use super::*;

#[test]
fn account_aliases_are_single_and_globally_unique() {
    let mut w = World::new();
    let create = |a: &str| AccountOp::CreateAlias { alias: a.into() };
    for bad in [
        "ab",
        "Acme",
        "-acme",
        "acme-",
        "ac--me",
        "ac_me",
        &"a".repeat(64),
    ] {
        w.rejects(T0, create(bad), ErrorCode::ValidationError);
    }
    w.rejects(T0, create("123456789012"), ErrorCode::InvalidInput);
    w.ok(T0, create("acme-prod"));
    let msg = w.rejects(T0, create("acme-dev"), ErrorCode::LimitExceeded);
    assert_eq!(msg, "Cannot exceed quota for AccountAliasesPerAccount: 1");
    w.rejects_in(B, T0, create("acme-prod"), ErrorCode::EntityAlreadyExists);
    w.rejects(T0, create("acme-prod"), ErrorCode::EntityAlreadyExists);
    let aliases = w
        .q(AccountQuery::ListAliases {
            page: PageRequest::default(),
        })
        .unwrap();
    assert_eq!(aliases["items"], serde_json::json!(["acme-prod"]));
    let acct = Query::GetAccount {
        account_id: A.into(),
    }
    .run(&w.s)
    .unwrap();
    assert_eq!(acct["alias"], "acme-prod");

    let delete = |a: &str| AccountOp::DeleteAlias { alias: a.into() };
    w.rejects_in(B, T0, delete("acme-prod"), ErrorCode::NoSuchEntity);
    w.rejects(T0, delete("acme-dev"), ErrorCode::NoSuchEntity);
    w.ok(T0, delete("acme-prod"));
    let aliases = w
        .q(AccountQuery::ListAliases {
            page: PageRequest::default(),
        })
        .unwrap();
    assert_eq!(aliases["items"], serde_json::json!([]));
    // Freed for any account.
    w.exec_in(B, T0, create("acme-prod")).unwrap();
}

#[test]
fn the_password_policy_is_replaced_whole_and_range_checked() {
    let mut w = World::new();
    let err = w.q_err(AccountQuery::GetPasswordPolicy {});
    assert_eq!(err.code, ErrorCode::NoSuchEntity);
    assert_eq!(
        err.message,
        format!("The Password Policy with domain name {A} cannot be found.")
    );
    w.rejects(
        T0,
        AccountOp::DeletePasswordPolicy {},
        ErrorCode::NoSuchEntity,
    );

    for bad in [
        PasswordPolicyInput {
            minimum_password_length: Some(5),
            ..Default::default()
        },
        PasswordPolicyInput {
            minimum_password_length: Some(129),
            ..Default::default()
        },
        PasswordPolicyInput {
            max_password_age: Some(0),
            ..Default::default()
        },
        PasswordPolicyInput {
            max_password_age: Some(1096),
            ..Default::default()
        },
        PasswordPolicyInput {
            password_reuse_prevention: Some(25),
            ..Default::default()
        },
    ] {
        w.rejects(
            T0,
            AccountOp::UpdatePasswordPolicy { policy: bad },
            ErrorCode::ValidationError,
        );
    }
    // Every violated constraint at once, in AWS's form (and nothing stored: `rejects`).
    let m = w.rejects(
        T0,
        AccountOp::UpdatePasswordPolicy {
            policy: PasswordPolicyInput {
                minimum_password_length: Some(129),
                max_password_age: Some(0),
                password_reuse_prevention: Some(25),
                ..Default::default()
            },
        },
        ErrorCode::ValidationError,
    );
    assert_eq!(
        m,
        "3 validation errors detected: \
         Value '129' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value less than or equal to 128; \
         Value '0' at 'maxPasswordAge' failed to satisfy constraint: Member must have value greater than or equal to 1; \
         Value '25' at 'passwordReusePrevention' failed to satisfy constraint: Member must have value less than or equal to 24"
    );
    let m = w.rejects(
        T0,
        AccountOp::UpdatePasswordPolicy {
            policy: PasswordPolicyInput {
                minimum_password_length: Some(5),
                ..Default::default()
            },
        },
        ErrorCode::ValidationError,
    );
    assert_eq!(
        m,
        "1 validation error detected: Value '5' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value greater than or equal to 6"
    );
    set_policy(
        &mut w,
        PasswordPolicyInput {
            minimum_password_length: Some(12),
            require_symbols: true,
            max_password_age: Some(90),
            password_reuse_prevention: Some(3),
            hard_expiry: true,
            ..Default::default()
        },
    )
    .unwrap();
    let p = w.q(AccountQuery::GetPasswordPolicy {}).unwrap();
    assert_eq!(p["minimum_password_length"], 12);
    assert_eq!(p["require_symbols"], true);
    assert_eq!(p["expire_passwords"], true);
    assert_eq!(p["max_password_age"], 90);
    assert_eq!(p["password_reuse_prevention"], 3);
    assert_eq!(p["hard_expiry"], true);
    // Omitted fields go back to their defaults.
    set_policy(&mut w, PasswordPolicyInput::default()).unwrap();
    let p = w.q(AccountQuery::GetPasswordPolicy {}).unwrap();
    assert_eq!(p["minimum_password_length"], 6);
    assert_eq!(p["require_symbols"], false);
    assert_eq!(p["expire_passwords"], false);
    assert!(p.get("max_password_age").is_none());
    assert_eq!(p["hard_expiry"], false);
    w.ok(T0, AccountOp::DeletePasswordPolicy {});
    assert_eq!(
        w.q_err(AccountQuery::GetPasswordPolicy {}).code,
        ErrorCode::NoSuchEntity
    );
}

#[test]
fn the_account_summary_has_every_aws_key() {
    let mut w = World::new();
    new_device(&mut w, "spare");
    let s = summary(&w);
    let keys =
        "Users, UsersQuota, Groups, GroupsQuota, Roles, RolesQuota, Policies, PoliciesQuota, \
        InstanceProfiles, InstanceProfilesQuota, ServerCertificates, ServerCertificatesQuota, \
        MFADevices, MFADevicesInUse, Providers, PolicyVersionsInUse, PolicyVersionsInUseQuota, \
        VersionsPerPolicyQuota, PolicySizeQuota, UserPolicySizeQuota, GroupPolicySizeQuota, \
        RolePolicySizeQuota, AssumeRolePolicySizeQuota, GroupsPerUserQuota, \
        AttachedPoliciesPerUserQuota, AttachedPoliciesPerGroupQuota, AttachedPoliciesPerRoleQuota, \
        AccessKeysPerUserQuota, SigningCertificatesPerUserQuota, AccountMFAEnabled, \
        AccountAccessKeysPresent, AccountPasswordPresent, AccountSigningCertificatesPresent, \
        GlobalEndpointTokenVersion";
    let map = s.as_object().unwrap();
    for k in keys.split(',').map(str::trim) {
        assert!(
            map.get(k).is_some_and(Value::is_u64),
            "{k} missing or not an integer"
        );
    }
    assert_eq!(map.len(), keys.split(',').count());
    assert_eq!(s["Users"], 2);
    assert_eq!(s["UsersQuota"], 5000);
    assert_eq!(s["RolesQuota"], 250);
    assert_eq!(s["MFADevices"], 1);
    assert_eq!(s["AccessKeysPerUserQuota"], 2);
    assert_eq!(s["AccountMFAEnabled"], 0);
    assert_eq!(w.q_in(B, AccountQuery::GetSummary {}).unwrap()["Users"], 0);
}

#[test]
fn the_credential_report_is_built_from_the_state_and_expires() {
    let mut w = World::new();
    assert_eq!(
        get_report(&w, T0).unwrap_err().code,
        ErrorCode::ReportNotPresent
    );
    w.ok(T0 - HOUR, create_user("Carol"));
    set_policy(
        &mut w,
        PasswordPolicyInput {
            max_password_age: Some(30),
            ..Default::default()
        },
    )
    .unwrap();
    w.ok(T0, create_login("bob", "bob-password"));
    let key = w.ok(T0, create_key("bob"))["access_key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    w.ok(T0 + 60_000, create_key("bob"));
    w.ok(
        T0 + 120_000,
        AccessKeyOp::RecordUse {
            access_key_id: key.clone(),
            service: "s3".into(),
            region: "eu-west-1".into(),
        },
    );
    w.ok(
        T0,
        AccessKeyOp::Update {
            user_name: None,
            access_key_id: key,
            status: "Inactive".into(),
        },
    );
    let (serial, seed) = new_device(&mut w, "carol-phone");
    w.ok(T0, enable("carol", &serial, codes(&seed, T0)));

    let gen = w.ok(T0 + HOUR, AccountOp::GenerateCredentialReport {});
    assert_eq!(gen["state"], "STARTED");
    let report = get_report(&w, T0 + HOUR).unwrap();
    assert_eq!(report["report_format"], "text/csv");
    assert_eq!(report["generated_ms"], T0 + HOUR);
    assert_eq!(report["generated_time"], "2017-06-10T03:35:07+00:00");
    let r = rows(&report);
    assert_eq!(r[0].join(","), iam_state::ops::account::report::HEADER);
    assert!(r.iter().all(|row| row.len() == 22), "{r:?}");
    let names: Vec<&str> = r.iter().skip(1).map(|row| row[0].as_str()).collect();
    assert_eq!(names, ["<root_account>", "alice", "bob", "Carol"]);
    let root = &r[1];
    assert_eq!(root[1], format!("arn:aws:iam::{A}:root"));
    assert_eq!(root[3], "not_supported");
    assert_eq!(root[5], "not_supported");
    assert_eq!(root[6], "not_supported");

    let alice = &r[2];
    assert_eq!(alice[1], format!("arn:aws:iam::{A}:user/alice"));
    assert_eq!(alice[2], "2017-06-10T01:35:07+00:00");
    assert_eq!(&alice[3..8], ["false", "N/A", "N/A", "N/A", "false"]);
    assert_eq!(&alice[8..13], ["false", "N/A", "N/A", "N/A", "N/A"]);
    assert_eq!(&alice[18..], ["false", "N/A", "false", "N/A"]);

    let bob = &r[3];
    assert_eq!(
        &bob[3..8],
        [
            "true",
            "no_information",
            "2017-06-10T02:35:07+00:00",
            "2017-07-10T02:35:07+00:00",
            "false"
        ]
    );
    assert_eq!(
        &bob[8..13],
        [
            "false",
            "2017-06-10T02:35:07+00:00",
            "2017-06-10T02:37:07+00:00",
            "eu-west-1",
            "s3"
        ]
    );
    assert_eq!(
        &bob[13..18],
        ["true", "2017-06-10T02:36:07+00:00", "N/A", "N/A", "N/A"]
    );
    assert_eq!(r[4][7], "true", "carol's MFA is active");

    // Within 4 hours the report is not rebuilt; after 4 hours it expires.
    w.ok(T0 + HOUR, create_user("dave"));
    let again = w.ok(T0 + 4 * HOUR, AccountOp::GenerateCredentialReport {});
    assert_eq!(again["state"], "COMPLETE");
    assert_eq!(
        get_report(&w, T0 + 4 * HOUR).unwrap()["content"],
        report["content"]
    );
    let err = get_report(&w, T0 + 5 * HOUR).unwrap_err();
    assert_eq!(err.code, ErrorCode::ReportExpired);
    let regen = w.ok(T0 + 5 * HOUR, AccountOp::GenerateCredentialReport {});
    assert_eq!(regen["state"], "STARTED");
    let r = rows(&get_report(&w, T0 + 5 * HOUR).unwrap());
    assert_eq!(r.len(), 6);
    assert_eq!(r[5][0], "dave");
}
