//! Property tests of the quotas family: usage caps never pass their limit under random
//! interleavings, and replicas agree.

use super::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    Acquire { client: usize, amount: u64 },
    Release { client: usize, amount: u64 },
    SetLimit(u64),
}

fn arb_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0usize..4, 1u64..6).prop_map(|(client, amount)| Step::Acquire { client, amount }),
        3 => (0usize..4, 1u64..6).prop_map(|(client, amount)| Step::Release { client, amount }),
        1 => (0u64..25).prop_map(Step::SetLimit),
    ]
}

proptest! {
    /// Clients acquire and release (each releases only what it holds, or tries more);
    /// usage never passes the limit through an acquire and always equals granted − released.
    #[test]
    fn usage_never_exceeds_the_limit(steps in prop::collection::vec(arb_step(), 1..80)) {
        let mut t = T::new();
        t.op(set("svc:units", 12)).unwrap();
        let mut held = [0u64; 4];
        let (mut granted, mut released) = (0u64, 0u64);
        let mut limit = 12u64;
        for step in steps {
            let before = state_hash(&t.s);
            let r = match step {
                Step::Acquire { client, amount } => {
                    let r = t.op(acquire("svc:units", amount));
                    if r.is_ok() {
                        held[client] += amount;
                        granted += amount;
                    }
                    r
                }
                Step::Release { client, amount } => {
                    // A client may only give back what the whole account holds.
                    let r = t.op(release("svc:units", amount));
                    if r.is_ok() {
                        let from_self = amount.min(held[client]);
                        held[client] -= from_self;
                        let mut rest = amount - from_self;
                        for h in held.iter_mut() {
                            let d = rest.min(*h);
                            *h -= d;
                            rest -= d;
                        }
                        prop_assert_eq!(rest, 0);
                        released += amount;
                    }
                    r
                }
                Step::SetLimit(l) => {
                    limit = l;
                    t.op(set("svc:units", l))
                }
            };
            let cap = t.q(QuotaQuery::GetUsage { name: "svc:units".into() }).unwrap();
            let used = cap["used"].as_u64().unwrap();
            match (&step, &r) {
                (Step::Acquire { .. }, Ok(_)) => prop_assert!(used <= limit),
                (_, Err(e)) => {
                    prop_assert!(matches!(e.code, ErrorCode::LimitExceeded | ErrorCode::InvalidInput));
                    prop_assert_eq!(state_hash(&t.s), before);
                }
                _ => {}
            }
            prop_assert_eq!(used, granted - released);
            prop_assert_eq!(used, held.iter().sum::<u64>());
            prop_assert_eq!(cap["limit"].as_u64().unwrap(), limit);
        }
    }
}

fn arb_op() -> impl Strategy<Value = QuotaOp> {
    let kind = prop::sample::select(vec!["roles", "groups", "users", "nope"]);
    let id = prop::sample::select(vec!["qr-1", "qr-2", "qr-3"]);
    let cap = prop::sample::select(vec!["a:x", "A:X", "b", "bad name"]);
    prop_oneof![
        (kind, 200u64..600, id.clone()).prop_map(|(k, d, i)| ask(k, d, i)),
        id.clone().prop_map(approve),
        id.prop_map(deny),
        (cap.clone(), 0u64..10).prop_map(|(c, l)| set(c, l)),
        (cap.clone(), 0u64..6).prop_map(|(c, a)| acquire(c, a)),
        (cap.clone(), 0u64..6).prop_map(|(c, a)| release(c, a)),
        cap.prop_map(|c| QuotaOp::DeleteUsageCap { name: c.into() }),
    ]
}

proptest! {
    #[test]
    fn replicas_applying_the_same_quota_ops_agree(
        ops in prop::collection::vec((arb_op(), prop::option::of(prop::sample::select(vec!["t1", "t2"]))), 0..40)
    ) {
        let mut a = T::new();
        let mut b = T::new();
        for (op, token) in ops {
            let ra = a.req(token, Command::in_account(A, op.clone()));
            let rb = b.req(token, Command::in_account(A, op));
            prop_assert_eq!(ra, rb);
        }
        prop_assert_eq!(state_hash(&a.s), state_hash(&b.s));
        let la = a.q(QuotaQuery::ListQuotas).unwrap();
        prop_assert_eq!(la, b.q(QuotaQuery::ListQuotas).unwrap());
    }
}
