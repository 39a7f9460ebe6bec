//! A follower frozen past its election timeout (SIGSTOP, as a stalled VM would leave it) and
//! then resumed does not disturb the cluster: its first act on waking is an election, which
//! pre-vote turns into a question the others, who still hear from the leader, refuse. The
//! leader keeps its term and leadership, and the resumed node follows it again.

use iamd_tests::{within, Cluster};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_resumed_follower_does_not_unseat_the_leader() {
    within(Duration::from_secs(120), async {
        let mut c = Cluster::start(3).await;
        let leader = c.leader(Duration::from_secs(10)).await;
        let term = c.status(leader).await.expect("leader status").term;
        let follower = [1, 2, 3].into_iter().find(|&id| id != leader).unwrap();
        for round in 0..3 {
            c.pause(follower);
            // Several election timeouts (300-600 ms) pass while it is frozen.
            tokio::time::sleep(Duration::from_millis(1500)).await;
            c.resume(follower);
            tokio::time::sleep(Duration::from_millis(1500)).await;
            let now = c.status(leader).await.expect("leader status");
            assert_eq!(
                (now.role.as_str(), now.term),
                ("leader", term),
                "round {round}: the leader lost its place after node {follower} resumed"
            );
            let back = c.status(follower).await.expect("follower status");
            assert_eq!(
                (back.role.as_str(), back.leader_id, back.term),
                ("follower", leader, term),
                "round {round}: node {follower} did not go back to following"
            );
        }
        // The resumed node did stand (else this test proved nothing): it asked the others
        // first, and they said no.
        let mut asked = 0;
        for id in [1, 2, 3].into_iter().filter(|&id| id != follower) {
            asked += c
                .metric(id, "iamd_peer_rpcs_total{kind=\"pre_vote\"}")
                .await;
        }
        assert!(
            asked > 0,
            "node {follower} never asked for a vote on waking"
        );
    })
    .await;
}
