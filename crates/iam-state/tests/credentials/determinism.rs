//! Random credential op sequences give identical replicas.

use super::*;

/// Key ids the property test uses (created keys get one of them after `prepare`).
const PROP_KEYS: [&str; 3] = [
    "AKIAPROPTESTKEY00001",
    "AKIAPROPTESTKEY00002",
    "AKIAPROPTESTKEY00003",
];

fn arb_op() -> impl Strategy<Value = (u8, Command)> {
    let user = prop::sample::select(vec!["alice", "Alice", "bob", "nobody", "bad name"]);
    let dev = prop::sample::select(vec!["d1", "D1", "d2"]);
    let pw = prop::sample::select(vec!["", "pw", "Passw0rd!long", "x"]);
    let alias = prop::sample::select(vec!["acme", "acme-dev", "Bad"]);
    let acct = prop::sample::select(vec![A, B]);
    let key = prop::sample::select(PROP_KEYS.to_vec());
    (0u8..14, user, dev, pw, alias, acct, key, 0u8..3).prop_map(
        |(kind, user, dev, pw, alias, acct, key, t)| {
            let serial = format!("arn:aws:iam::{acct}:mfa/{dev}");
            let op: Op = match kind {
                0 => AccessKeyOp::Create {
                    user_name: user.into(),
                    access_key_id: key.into(),
                    secret_access_key: String::new(),
                }
                .into(),
                1 => AccessKeyOp::Delete {
                    user_name: None,
                    access_key_id: key.into(),
                }
                .into(),
                2 => AccessKeyOp::Update {
                    user_name: Some(user.into()),
                    access_key_id: key.into(),
                    status: "Inactive".into(),
                }
                .into(),
                3 => create_login(user, pw).into(),
                4 => update_login(user, Some(pw), Some(true)).into(),
                5 => LoginProfileOp::Delete {
                    user_name: user.into(),
                }
                .into(),
                6 => create_device(dev, "/").into(),
                7 => enable(user, &serial, ("000000".into(), "000001".into())).into(),
                8 => MfaOp::DeleteVirtual {
                    serial_number: serial,
                }
                .into(),
                9 => AccountOp::CreateAlias {
                    alias: alias.into(),
                }
                .into(),
                10 => AccountOp::DeleteAlias {
                    alias: alias.into(),
                }
                .into(),
                11 => AccountOp::UpdatePasswordPolicy {
                    policy: PasswordPolicyInput {
                        minimum_password_length: Some(8),
                        require_symbols: true,
                        ..Default::default()
                    },
                }
                .into(),
                12 => AccountOp::GenerateCredentialReport {}.into(),
                _ => create_user(user),
            };
            (t, Command::in_account(acct, op))
        },
    )
}

proptest! {
    #[test]
    fn credential_ops_apply_deterministically(ops in prop::collection::vec(arb_op(), 0..40)) {
        // The log carries prepared commands: prepare once, apply on two replicas.
        let mut env = TestEnv {
        next: 0,
        sealing: false,
    };
        let mut reqs = vec![
            Request { request_token: None, time_ms: T0, command: create_account(A), origin: None },
            Request { request_token: None, time_ms: T0, command: create_account(B), origin: None },
        ];
        for (t, mut command) in ops {
            let chosen = match &command {
                Command::In { op: Op::AccessKey(AccessKeyOp::Create { access_key_id, .. }), .. } => {
                    Some(access_key_id.clone())
                }
                _ => None,
            };
            command.prepare(&mut env);
            if let (Some(id), Command::In { op: Op::AccessKey(AccessKeyOp::Create { access_key_id, .. }), .. }) =
                (chosen, &mut command)
            {
                *access_key_id = id;
            }
            reqs.push(Request { request_token: None, time_ms: T0 + u64::from(t) * 3 * HOUR, command, origin: None });
        }
        let mut a = MemStore::new();
        let mut b = MemStore::new();
        for (i, r) in reqs.iter().enumerate() {
            let (ra, wa) = apply(&a, i as u64 + 1, r);
            let (rb, wb) = apply(&b, i as u64 + 1, r);
            prop_assert_eq!(ra, rb);
            a.commit(wa);
            b.commit(wb);
        }
        prop_assert_eq!(state_hash(&a), state_hash(&b));
        // Counters stay consistent with the records.
        for acct in [A, B] {
            let s = Query::in_account(acct, AccountQuery::GetSummary {}).run(&a).unwrap();
            let devices = Query::in_account(acct, MfaQuery::ListVirtual { assignment_status: None, page: PageRequest::default() })
                .run(&a)
                .unwrap();
            prop_assert_eq!(s["MFADevices"].as_u64(), Some(devices["items"].as_array().unwrap().len() as u64));
        }
    }
}
