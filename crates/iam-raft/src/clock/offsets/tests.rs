//! The clock verdict on hand-made tables: who finds itself out, jumps, unmeasured clocks.

use super::*;

const TOL: u64 = 500;

fn voters(ids: &[NodeId]) -> BTreeSet<NodeId> {
    ids.iter().copied().collect()
}

fn anchor(wall_ms: u64, at: Instant) -> Anchor {
    Anchor { wall_ms, at }
}

/// A member's status after receiving `table` at wall `wall` (and checked then).
fn member_status(me: NodeId, table: &[(NodeId, i64)], all: &[NodeId]) -> ClockStatus {
    let m = ClockMonitor::new(me, TOL);
    let t0 = Instant::now();
    let a = anchor(1_000_000, t0);
    m.receive(table.iter().copied().collect(), a);
    m.status(&voters(all), a)
}

#[test]
fn a_sample_takes_the_reply_to_be_made_half_way_through_the_round_trip() {
    assert_eq!(sample(1_000, Duration::from_millis(100), 1_250), 200);
    assert_eq!(sample(1_000, Duration::from_millis(10), 1_005), 0);
    assert_eq!(sample(5_000, Duration::ZERO, 3_000), -2_000);
}

#[test]
fn clocks_in_line_are_all_ok() {
    let table = [(1, 0), (2, 120), (3, -300)];
    for me in [1, 2, 3] {
        let s = member_status(me, &table, &[1, 2, 3]);
        assert!(s.ok, "node {me}: {}", s.detail);
    }
}

#[test]
fn a_follower_ahead_finds_itself_out_and_the_others_do_not() {
    let table = [(1, 0), (2, 2_000), (3, 10)];
    let s = member_status(2, &table, &[1, 2, 3]);
    assert!(!s.ok);
    assert_eq!(s.offset_ms, 1_990, "{}", s.detail);
    assert!(s.detail.contains("only 1 of 3 voters"), "{}", s.detail);
    assert!(member_status(1, &table, &[1, 2, 3]).ok);
    assert!(member_status(3, &table, &[1, 2, 3]).ok);
}

#[test]
fn a_leader_behind_finds_itself_out_and_its_followers_do_not() {
    // The leader (1) measures both followers 3 s ahead of it: its own clock is the odd one.
    let leader = ClockMonitor::new(1, TOL);
    let now = Anchor::now();
    leader.record(2, 3_000, now.at);
    leader.record(3, 3_100, now.at);
    let table = leader.leader_table(now);
    let s = leader.status(&voters(&[1, 2, 3]), now);
    assert!(!s.ok, "{}", s.detail);
    assert_eq!(s.offset_ms, -3_000);
    let table: Vec<_> = table.into_iter().collect();
    assert!(member_status(2, &table, &[1, 2, 3]).ok);
    assert!(member_status(3, &table, &[1, 2, 3]).ok);
}

#[test]
fn five_voters_with_two_clocks_off_in_opposite_directions() {
    let table = [(1, 0), (2, 5), (3, -20), (4, 4_000), (5, -90_000)];
    let all = [1, 2, 3, 4, 5];
    for me in [1, 2, 3] {
        assert!(member_status(me, &table, &all).ok, "node {me}");
    }
    for me in [4, 5] {
        assert!(!member_status(me, &table, &all).ok, "node {me}");
    }
}

#[test]
fn a_jump_of_the_own_clock_is_seen_before_the_next_table() {
    let m = ClockMonitor::new(2, TOL);
    let t0 = Instant::now();
    m.receive([(1, 0), (2, 0), (3, 0)].into(), anchor(1_000_000, t0));
    let all = voters(&[1, 2, 3]);
    // 200 ms later by both clocks: still in line.
    let later = t0 + Duration::from_millis(200);
    assert!(m.status(&all, anchor(1_000_200, later)).ok);
    // The wall clock jumped 3 s ahead of the monotonic one.
    let s = m.status(&all, anchor(1_003_200, later));
    assert!(!s.ok);
    assert_eq!(s.offset_ms, 3_000);
}

#[test]
fn the_own_entry_counts_from_the_reply_it_was_sampled_from() {
    // Round k: this node answers at t0 (the leader samples it: in line). Its clock jumps
    // +2 s. Round k+1's table (which lists the sample from t0 as 0) arrives at t1: the jump
    // since t0 still shows.
    let m = ClockMonitor::new(2, TOL);
    let t0 = Instant::now();
    m.receive([(1, 0), (2, 0), (3, 0)].into(), anchor(1_000_000, t0));
    let t1 = t0 + Duration::from_millis(500);
    m.receive([(1, 0), (2, 0), (3, 0)].into(), anchor(1_002_500, t1));
    assert!(!m.status(&voters(&[1, 2, 3]), anchor(1_002_500, t1)).ok);
    // Round k+2's table has the jumped clock's sample from t1: +2 s, still out.
    let t2 = t1 + Duration::from_millis(500);
    m.receive([(1, 0), (2, 2_000), (3, 0)].into(), anchor(1_003_000, t2));
    assert!(!m.status(&voters(&[1, 2, 3]), anchor(1_003_000, t2)).ok);
}

#[test]
fn an_unmeasured_clock_is_not_in_line_unless_the_check_is_off() {
    let m = ClockMonitor::new(2, TOL);
    let now = Anchor::now();
    let s = m.status(&voters(&[1, 2, 3]), now);
    assert!(!s.ok && s.detail.contains("not measured"), "{}", s.detail);
    let off = ClockMonitor::new(2, 0);
    off.receive([(1, 0), (2, 99_000), (3, 0)].into(), now);
    assert!(off.status(&voters(&[1, 2, 3]), now).ok);
    assert!(off
        .status(&voters(&[1, 2, 3]), now)
        .detail
        .contains("not checked"));
    // A table that does not list this node (it just joined) says nothing about it.
    let m = ClockMonitor::new(4, TOL);
    m.receive([(1, 0), (2, 0), (3, 0)].into(), now);
    assert!(!m.status(&voters(&[1, 2, 3]), now).ok);
    // A leader that has measured nobody yet has no quorum agreeing with it.
    let m = ClockMonitor::new(1, TOL);
    m.leader_table(now);
    assert!(!m.status(&voters(&[1, 2, 3]), now).ok);
}

#[test]
fn a_leader_in_line_with_one_follower_of_two_is_in_line() {
    let m = ClockMonitor::new(1, TOL);
    let now = Anchor::now();
    m.record(2, 40, now.at);
    m.leader_table(now);
    assert!(m.status(&voters(&[1, 2, 3]), now).ok);
}

#[test]
fn a_single_voter_is_always_in_line_with_itself() {
    let m = ClockMonitor::new(1, TOL);
    let now = Anchor::now();
    m.leader_table(now);
    assert!(m.status(&voters(&[1]), now).ok);
}

#[test]
fn the_leader_forgets_members_that_stopped_answering() {
    let m = ClockMonitor::new(1, TOL);
    let t0 = Instant::now();
    m.record(2, 7_000, t0);
    m.record(3, 7_000, t0 + Duration::from_secs(9));
    let table = m.leader_table(anchor(1_000_000, t0 + Duration::from_secs(11)));
    assert_eq!(table, [(1, 0), (3, 7_000)].into());
}

#[test]
fn a_new_leaders_first_table_without_this_node_does_not_turn_it_away() {
    let m = ClockMonitor::new(2, TOL);
    let all = voters(&[1, 2, 3]);
    let t0 = Instant::now();
    m.receive([(1, 0), (2, 30), (3, 0)].into(), anchor(1_000_000, t0));
    // Node 3 now leads and has measured nobody yet: its table lists itself alone.
    let t1 = t0 + Duration::from_millis(500);
    m.receive([(3, 0)].into(), anchor(1_000_500, t1));
    assert!(m.status(&all, anchor(1_000_500, t1)).ok);
    // The kept table still catches a jump of this node's clock.
    assert!(!m.status(&all, anchor(1_004_500, t1)).ok);
    // Its next table lists everyone again.
    let t2 = t1 + Duration::from_millis(500);
    m.receive([(1, 0), (2, 900), (3, 0)].into(), anchor(1_001_000, t2));
    assert!(
        !m.status(&all, anchor(1_001_000, t2)).ok,
        "the new table rules"
    );
    // A table that lists this node no more, long after the last that did, is not ignored.
    let m = ClockMonitor::new(2, TOL);
    m.receive([(1, 0), (2, 0), (3, 0)].into(), anchor(1_000_000, t0));
    let late = t0 + SAMPLE_TTL + Duration::from_secs(1);
    m.receive([(1, 0), (3, 0)].into(), anchor(1_011_000, late));
    assert!(!m.status(&all, anchor(1_011_000, late)).ok);
}
