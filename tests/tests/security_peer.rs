//! Attacks on the peer port (issue 21, critical 1). At b215235 a process that could open a
//! TCP connection to a peer port asked `ClusterId` without any credential, then proposed
//! `AccessKey::Create` for the operator root with a secret in plain text through
//! `ForwardWrites`, and signed requests as the operator root with it. Now the peer port is
//! mutual TLS under the cluster's CA: nobody without the cluster secret key (or a
//! certificate of an operator-given peer CA) completes a handshake, and a secret that was
//! not sealed with the cluster key never authenticates anyone.

use iam_auth::secret_box::SecretBox;
use iam_client::{Client, ClientError, Credentials};
use iam_proto::v1::GetCallerIdentityRequest;
use iam_raft::network::{PeerClient, PeerRpc};
use iam_state::ops::access_keys::{AccessKeyOp, ROOT};
use iam_state::{Command, Request};
use iam_tls::{cluster_ca, ClientTls, Connector, Reloader, Source};
use iamd_tests::{within, Cluster, TEST_SECRET_KEY};
use std::sync::Arc;
use std::time::Duration;

/// A peer connector holding a certificate of the CA derived from `secret_key_hex`.
fn member_of(secret_key_hex: &str) -> Connector {
    let key = SecretBox::from_hex(secret_key_hex).unwrap();
    let loaded = cluster_ca::derive(&key.derive_key(cluster_ca::KEY_LABEL)).unwrap();
    let reloader = Arc::new(Reloader::new("test", Source::Fixed(loaded)).unwrap());
    Connector::new(Some(ClientTls::mutual(reloader).unwrap()))
}

/// The forged write of the attack: a root access key of the operator account with a secret
/// the attacker knows, unsealed.
fn forged_root_key(account: &str, key_id: &str) -> Vec<u8> {
    let req = Request {
        request_token: None,
        time_ms: 1,
        command: Command::in_account(
            account,
            AccessKeyOp::Create {
                user_name: ROOT.into(),
                access_key_id: key_id.into(),
                secret_access_key: "attacker-knows-this-secret".into(),
            },
        ),
        origin: None,
    };
    iam_raft::format::encode("writes", &iam_raft::types::Requests::new(vec![req])).unwrap()
}

/// A TLS client with no certificate of its own (it trusts some CA; the server refuses it
/// during the handshake for lack of a client certificate).
fn anonymous_tls() -> Connector {
    let dir = tempfile::tempdir().unwrap();
    let ca = iam_tls::gen::new_ca("anyone", 1).unwrap();
    std::fs::write(dir.path().join("ca.pem"), ca.cert).unwrap();
    Connector::new(Some(
        ClientTls::trusting(Some(&dir.path().join("ca.pem"))).unwrap(),
    ))
}

async fn authenticates(c: &Cluster, key_id: &str) -> Result<(), ClientError> {
    let client = Client::new(&[c.node(1).api_url()], Duration::from_secs(5))
        .unwrap()
        .with_credentials(Credentials {
            access_key_id: key_id.into(),
            secret_access_key: "attacker-knows-this-secret".into(),
            session_token: None,
        });
    client
        .call_one(0, |mut iam, _| async move {
            iam.get_caller_identity(GetCallerIdentityRequest {}).await
        })
        .await
        .map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_peer_port_accepts_nothing_from_a_non_member() {
    within(Duration::from_secs(120), async {
        let mut c = Cluster::start(3).await;
        let leader = c.leader(Duration::from_secs(10)).await;
        let peer = c.node(leader).peer.clone();
        let account = c.account.clone();
        let other_key = "11".repeat(32);
        let strangers = [
            ("plain TCP", Connector::new(None)),
            ("TLS with another cluster's CA", member_of(&other_key)),
            ("TLS without a client certificate", anonymous_tls()),
        ];
        for (who, connector) in &strangers {
            let client = PeerClient::new(&peer, "", connector).unwrap();
            // Not even the cluster id is told.
            let e = client.cluster_id(Duration::from_secs(3)).await;
            assert!(e.is_err(), "{who}: ClusterId answered {e:?}");
            // Nor is a forged write taken, with or without the cluster id header.
            for id in ["", c.node(1).peer.as_str()] {
                let client = PeerClient::new(&peer, id, connector).unwrap();
                let r = client
                    .call(
                        PeerRpc::ForwardWrites,
                        forged_root_key(&account, "AKIAFORGEDBYSTRANGER"),
                        Some(Duration::from_secs(3)),
                    )
                    .await;
                assert!(r.is_err(), "{who}: ForwardWrites was served");
            }
        }
        assert!(authenticates(&c, "AKIAFORGEDBYSTRANGER").await.is_err());

        // A member (it holds the cluster secret key) is served: the refusals above are the
        // port's doing, not a broken client.
        let member = PeerClient::new(&peer, "", &member_of(TEST_SECRET_KEY)).unwrap();
        let cluster_id = member.cluster_id(Duration::from_secs(3)).await.unwrap();
        assert_eq!(cluster_id.len(), 32);
        // Even a member cannot plant a secret that was not sealed with the cluster key: the
        // write is applied, but the key never authenticates.
        let member = PeerClient::new(&peer, &cluster_id, &member_of(TEST_SECRET_KEY)).unwrap();
        member
            .call(
                PeerRpc::ForwardWrites,
                forged_root_key(&account, "AKIAUNSEALEDSECRET01"),
                Some(Duration::from_secs(5)),
            )
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let e = authenticates(&c, "AKIAUNSEALEDSECRET01").await.unwrap_err();
        assert!(
            !matches!(e, ClientError::Unavailable(_)),
            "the key must be refused, not the node unreachable: {e}"
        );
        // The operator's own credentials still work (the cluster is fine).
        let mut ok = c.client();
        ok.call(
            |mut iam, _| async move { iam.get_caller_identity(GetCallerIdentityRequest {}).await },
        )
        .await
        .unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_without_the_cluster_key_cannot_join() {
    within(Duration::from_secs(120), async {
        let mut c = Cluster::start(1).await;
        // A node given another key asks the seed for its cluster id and is refused at the
        // handshake: it never becomes a member.
        let dir = c.dir().join("intruder");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("secret.key"), "22".repeat(32)).unwrap();
        let out = std::process::Command::new(iamd_tests::bin("iamd"))
            .args(["serve", "--node-id", "9", "--data-dir"])
            .arg(dir.join("data"))
            .args([
                "--api-listen",
                &format!("127.0.0.1:{}", iamd_tests::free_port()),
                "--http-listen",
                &format!("127.0.0.1:{}", iamd_tests::free_port()),
                "--peer-listen",
                &format!("127.0.0.1:{}", iamd_tests::free_port()),
                "--join",
                &c.node(1).peer,
                "--secret-key-file",
            ])
            .arg(dir.join("secret.key"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("cannot reach any --join seed"), "{err}");
        c.wait_voters(1, Duration::from_secs(5)).await;
        let status = c.status(1).await.unwrap();
        assert_eq!(status.members.len(), 1, "{:?}", status.members);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn even_a_members_messages_are_bounded() {
    within(Duration::from_secs(60), async {
        let c = Cluster::start(1).await;
        let peer = c.node(1).peer.clone();
        let account = c.account.clone();
        let probe = PeerClient::new(&peer, "", &member_of(TEST_SECRET_KEY)).unwrap();
        let cluster_id = probe.cluster_id(Duration::from_secs(3)).await.unwrap();
        let member = PeerClient::new(&peer, &cluster_id, &member_of(TEST_SECRET_KEY)).unwrap();
        // More writes in one call than a node ever forwards at once: refused whole.
        let req = |i: usize| Request {
            request_token: None,
            time_ms: 1,
            command: Command::in_account(
                &account,
                iam_state::ops::users::UserOp::Create {
                    name: format!("flood-{i}"),
                    path: "/".into(),
                    tags: vec![],
                    permissions_boundary: None,
                    user_id: format!("AIDAFLOOD{i:011}"),
                },
            ),
            origin: None,
        };
        let flood: Vec<Request> = (0..300).map(req).collect();
        let e = member
            .call(
                PeerRpc::ForwardWrites,
                iam_raft::format::encode("writes", &iam_raft::types::Requests::new(flood)).unwrap(),
                Some(Duration::from_secs(5)),
            )
            .await
            .unwrap_err();
        assert_eq!(e.code(), tonic::Code::InvalidArgument, "{e}");
        // A vote is tens of bytes: a megabyte claiming to be one is not decoded.
        let e = member
            .call(
                PeerRpc::Vote,
                vec![0u8; 1 << 20],
                Some(Duration::from_secs(5)),
            )
            .await
            .unwrap_err();
        assert_eq!(e.code(), tonic::Code::InvalidArgument, "{e}");
        assert!(e.message().contains("larger than"), "{e}");
        // A message in a format this node does not read (newer, or from before formats) is
        // refused by name, never guessed at.
        let mut newer =
            iam_raft::format::encode("writes", &iam_raft::types::Requests::new(vec![req(0)]))
                .unwrap();
        newer[4..6].copy_from_slice(&(iam_raft::format::FORMAT + 1).to_be_bytes());
        let unversioned = bincode::serialize(&vec![req(0)]).unwrap();
        for (bytes, says) in [
            (newer, "newer than this iamd reads"),
            (unversioned, "no format version"),
        ] {
            let e = member
                .call(PeerRpc::ForwardWrites, bytes, Some(Duration::from_secs(5)))
                .await
                .unwrap_err();
            assert_eq!(e.code(), tonic::Code::FailedPrecondition, "{e}");
            assert!(e.message().contains(says), "{e}");
        }
        // Nothing of the flood (or of those) was applied; a normal batch still is.
        let ok: Vec<Request> = (0..3).map(req).collect();
        member
            .call(
                PeerRpc::ForwardWrites,
                iam_raft::format::encode("writes", &iam_raft::types::Requests::new(ok)).unwrap(),
                Some(Duration::from_secs(5)),
            )
            .await
            .unwrap();
        let (code, out, _) = {
            let mut c = c;
            c.iamctl(&["--consistency", "linearizable", "user", "list"])
        };
        assert_eq!(code, 0);
        assert!(out.contains("flood-2") && !out.contains("flood-3"), "{out}");
    })
    .await;
}
