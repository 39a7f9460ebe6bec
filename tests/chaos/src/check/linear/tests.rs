//! Classic hand-written histories, linearizable and not.

use super::*;

type E = Entry<RegOp, RegOutput>;
const STEPS: u64 = 5_000_000;

fn e(process: usize, call: u64, ret: u64, key: &str, op: RegInput, out: RegOutput) -> E {
    Entry {
        process,
        call_ns: call,
        return_ns: ret,
        input: RegOp {
            key: key.into(),
            op,
        },
        output: Some(out),
        outcome: Outcome::Ok,
    }
}
fn w(p: usize, call: u64, ret: u64, key: &str, v: i64) -> E {
    e(p, call, ret, key, RegInput::Write(v), RegOutput::Written)
}
fn r(p: usize, call: u64, ret: u64, key: &str, v: Option<i64>) -> E {
    e(p, call, ret, key, RegInput::Read, RegOutput::Read(v))
}
fn cas(p: usize, call: u64, ret: u64, key: &str, from: i64, to: i64, ok: bool) -> E {
    e(
        p,
        call,
        ret,
        key,
        RegInput::Cas { from, to },
        RegOutput::Cas(ok),
    )
}
fn info(mut x: E) -> E {
    x.outcome = Outcome::Info;
    x.output = None;
    x
}
fn fail(mut x: E) -> E {
    x.outcome = Outcome::Fail;
    x.output = None;
    x
}
fn verdict(h: &[E]) -> Verdict {
    check(&RegisterModel, h, STEPS)
}
#[track_caller]
fn assert_ok(h: &[E]) {
    let v = verdict(h);
    assert!(v.is_linearizable(), "expected linearizable, got {v}");
}
#[track_caller]
fn assert_bad(h: &[E]) -> String {
    match verdict(h) {
        Verdict::NotLinearizable { detail, .. } => detail,
        v => panic!("expected NOT linearizable, got {v}"),
    }
}

#[test]
fn sequential_history() {
    assert_ok(&[
        r(0, 0, 1, "a", None),
        w(0, 2, 3, "a", 1),
        r(1, 4, 5, "a", Some(1)),
        cas(1, 6, 7, "a", 1, 2, true),
        cas(0, 8, 9, "a", 1, 3, false),
        r(0, 10, 11, "a", Some(2)),
    ]);
    assert_ok(&[]);
}

#[test]
fn concurrent_write_and_read_overlap_either_order() {
    for seen in [Some(1), Some(2)] {
        assert_ok(&[
            w(0, 0, 10, "a", 1),
            w(0, 20, 40, "a", 2),
            r(1, 25, 30, "a", seen),
        ]);
    }
    // Touching intervals count as concurrent.
    assert_ok(&[w(0, 0, 10, "a", 1), r(1, 10, 12, "a", None)]);
}

#[test]
fn stale_read_after_completed_write_is_not_linearizable() {
    let detail = assert_bad(&[
        w(0, 0, 10, "a", 1),
        w(0, 20, 30, "a", 2),
        r(1, 40, 50, "a", Some(1)),
    ]);
    assert!(
        detail.contains("#2 p1 [40..50] Ok a:Read -> Read(Some(1))"),
        "{detail}"
    );
    assert!(
        detail.contains("longest linearizable prefix has 2"),
        "{detail}"
    );
}

#[test]
fn read_of_a_value_never_written_is_not_linearizable() {
    assert_bad(&[w(0, 0, 10, "a", 1), r(1, 5, 15, "a", Some(9))]);
    assert_bad(&[cas(0, 0, 10, "a", 0, 1, true)]);
    assert_bad(&[w(0, 0, 10, "a", 1), cas(1, 20, 30, "a", 1, 2, false)]);
}

#[test]
fn info_write_later_read_is_fine_but_not_before_its_call() {
    assert_ok(&[info(w(0, 0, 5, "a", 1)), r(1, 100, 110, "a", Some(1))]);
    // Taking effect long after the client gave up.
    assert_ok(&[
        info(w(0, 0, 5, "a", 1)),
        r(1, 100, 110, "a", None),
        r(1, 200, 210, "a", Some(1)),
    ]);
    assert_bad(&[r(1, 0, 10, "a", Some(1)), info(w(0, 20, 30, "a", 1))]);
}

#[test]
fn info_write_never_observed_is_fine() {
    assert_ok(&[
        w(0, 0, 5, "a", 1),
        info(w(1, 10, 20, "a", 7)),
        r(0, 30, 40, "a", Some(1)),
        r(2, 50, 60, "a", Some(1)),
    ]);
}

#[test]
fn info_cas_either_way_and_info_read_anything() {
    let base = [w(0, 0, 5, "a", 1), info(cas(1, 10, 20, "a", 1, 2, true))];
    for seen in [1, 2] {
        let mut h = base.to_vec();
        h.push(r(0, 30, 40, "a", Some(seen)));
        h.push(info(r(2, 35, 36, "a", Some(99))));
        assert_ok(&h);
    }
    let mut h = base.to_vec();
    h.extend([r(0, 30, 40, "a", Some(2)), r(0, 50, 60, "a", Some(1))]);
    assert_bad(&h);
}

#[test]
fn failed_operations_did_not_happen() {
    assert_ok(&[fail(w(0, 0, 5, "a", 1)), r(1, 10, 20, "a", None)]);
    assert_bad(&[fail(w(0, 0, 5, "a", 1)), r(1, 10, 20, "a", Some(1))]);
}

#[test]
fn new_old_inversion_is_not_linearizable() {
    let detail = assert_bad(&[
        w(0, 0, 5, "a", 1),
        w(0, 10, 100, "a", 2),
        r(1, 20, 30, "a", Some(2)),
        r(2, 40, 50, "a", Some(1)),
    ]);
    assert!(detail.contains("#3 p2"), "{detail}");
}

#[test]
fn a_violation_on_key_b_is_named() {
    let h = [
        w(0, 0, 10, "a", 1),
        w(1, 0, 10, "b", 1),
        r(0, 20, 30, "a", Some(1)),
        w(1, 20, 30, "b", 2),
        r(2, 40, 50, "b", Some(1)),
        r(2, 60, 70, "a", Some(1)),
    ];
    match verdict(&h) {
        Verdict::NotLinearizable { key, detail } => {
            assert_eq!(key, "b");
            assert!(detail.contains("#4 p2 [40..50] Ok b:Read"), "{detail}");
        }
        v => panic!("{v}"),
    }
}

#[test]
fn exceeding_max_steps_is_unknown() {
    let h: Vec<E> = (0..12)
        .map(|i| w(i, 0, 100, "a", i as i64))
        .chain([r(0, 200, 210, "a", Some(-1))])
        .collect();
    match check(&RegisterModel, &h, 50) {
        Verdict::Unknown { key, reason } => {
            assert_eq!(key, "a");
            assert!(reason.contains("max_steps=50"), "{reason}");
        }
        v => panic!("{v}"),
    }
    assert!(!verdict(&h).is_linearizable());
}
