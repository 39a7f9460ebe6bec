//! A revocation the client saw acknowledged at log index N is never answered with an allow
//! by a request that asks to see N (`at-least N`, or linearizable) on any node: neither the
//! revoked caller's own call nor a relying service's `Authorize` of a request it signed.
//!
//! The attack (found by the chaos suite's revocation workload): right after the leader
//! acknowledges DeleteAccessKey at N, a follower has usually not applied N yet. A request
//! signed with the deleted key and asking for `at-least N` was authenticated by the port
//! against the follower's older state (the key still there), then waited for N, then was
//! answered — an allow of a key whose deletion the caller had already seen acknowledged.

use iam_client::{Client, ClientError, Credentials};
use iam_proto::v1::{AuthorizeRequest, Consistency, GetUserRequest, ReadOptions};
use iam_state::ops::access_keys::AccessKeyOp;
use iam_state::ops::policies::{EntityKind, PolicyOp};
use iam_state::ops::users::UserOp;
use iam_state::Command;
use iamd_tests::{within, Cluster};
use std::time::{Duration, Instant};

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}"#;

fn at_least(index: u64) -> ReadOptions {
    ReadOptions {
        consistency: Consistency::AtLeast as i32,
        at_least_index: index,
    }
}

fn linearizable() -> ReadOptions {
    ReadOptions {
        consistency: Consistency::Linearizable as i32,
        at_least_index: 0,
    }
}

/// GetUser of itself signed with `creds` on node `id`: Ok(true) if answered.
async fn get_self(
    c: &Cluster,
    id: u64,
    creds: &Credentials,
    account: &str,
    user: &str,
    read: ReadOptions,
) -> Result<bool, ClientError> {
    let client = c
        .new_client(&[c.node(id).api_url()], Duration::from_secs(10))
        .with_credentials(creds.clone());
    let req = GetUserRequest {
        read: Some(read),
        account: account.to_owned(),
        name: user.to_owned(),
    };
    match client
        .call_one(0, move |mut i, _| {
            let req = req.clone();
            async move { i.get_user(req).await }
        })
        .await
    {
        Ok(_) => Ok(true),
        Err(ClientError::Refused { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// What a relying service received from the user's SDK: a request signed with `creds`.
fn signed_by(creds: &Credentials) -> iam_proto::v1::SignedHttpRequest {
    let mut req = iam_auth::sigv4::SignedRequest {
        method: "GET".into(),
        path: "/thing".into(),
        query: String::new(),
        headers: vec![("host".into(), "storage.example.com".into())],
        payload_sha256: Some(iam_auth::sigv4::EMPTY_SHA256.into()),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let auth = iam_auth::sigv4::sign(
        &mut req,
        &iam_auth::sigv4::SigningParams {
            access_key_id: &creds.access_key_id,
            secret_access_key: &creds.secret_access_key,
            session_token: None,
            region: "us-east-1",
            service: "iam",
            time_ms: now,
        },
    )
    .unwrap();
    req.headers.push(("authorization".into(), auth));
    iam_proto::v1::SignedHttpRequest {
        method: req.method,
        path: req.path,
        query: req.query,
        headers: req
            .headers
            .into_iter()
            .map(|(name, value)| iam_proto::v1::Header { name, value })
            .collect(),
        body_sha256: iam_auth::sigv4::EMPTY_SHA256.into(),
        service: "iam".into(),
        source_ip: "10.1.2.3".into(),
    }
}

/// A relying service (the operator) asks node `id` whether the signer of `sr` may GetUser:
/// Ok(true) when allowed.
async fn relayed_allowed(
    c: &Cluster,
    id: u64,
    sr: iam_proto::v1::SignedHttpRequest,
    resource: &str,
    read: ReadOptions,
) -> Result<bool, ClientError> {
    let relying = c.client_of(id);
    let req = AuthorizeRequest {
        read: Some(read),
        principal_arn: String::new(),
        action: "iam:GetUser".into(),
        resource: resource.to_owned(),
        context: vec![],
        explain: false,
        signed_request: Some(sr),
    };
    match relying
        .call_one(0, move |mut i, _| {
            let req = req.clone();
            async move { i.authorize(req).await }
        })
        .await
    {
        Ok(r) => Ok(r.allowed),
        Err(ClientError::Refused { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_node_answers_a_revoked_key_after_the_revocation_was_acknowledged() {
    within(Duration::from_secs(240), async {
        let mut c = Cluster::start(3).await;
        let account = c.account.clone();
        let mut admin = c.client();
        let write = |admin: &mut Client, op: iam_state::Op| {
            let cmd = Command::In {
                account: account.clone(),
                op,
            };
            let mut admin = admin.clone();
            async move {
                admin
                    .write(&cmd, &Client::new_token())
                    .await
                    .expect("setup write")
            }
        };
        write(
            &mut admin,
            PolicyOp::Create {
                policy_name: "get-user".into(),
                path: "/".into(),
                policy_document: POLICY.into(),
                description: String::new(),
                tags: vec![],
                policy_id: String::new(),
            }
            .into(),
        )
        .await;
        let policy_arn = format!("arn:aws:iam::{account}:policy/get-user");
        let mut stale = Vec::new();
        let mut probes = 0;
        for round in 0..12 {
            let user = format!("revoked-{round}");
            write(
                &mut admin,
                UserOp::Create {
                    name: user.clone(),
                    path: "/".into(),
                    tags: vec![],
                    permissions_boundary: None,
                    user_id: String::new(),
                }
                .into(),
            )
            .await;
            write(
                &mut admin,
                PolicyOp::Attach {
                    entity: EntityKind::User,
                    entity_name: user.clone(),
                    policy_arn: policy_arn.clone(),
                }
                .into(),
            )
            .await;
            let (key, index) = write(
                &mut admin,
                AccessKeyOp::Create {
                    user_name: user.clone(),
                    access_key_id: String::new(),
                    secret_access_key: String::new(),
                }
                .into(),
            )
            .await;
            let creds = Credentials {
                access_key_id: key["access_key_id"].as_str().unwrap().to_owned(),
                secret_access_key: key["secret_access_key"].as_str().unwrap().to_owned(),
                session_token: None,
            };
            let user_arn = format!("arn:aws:iam::{account}:user/{user}");
            // The key works everywhere first, or a refusal later would prove nothing.
            for id in 1..=3 {
                let deadline = Instant::now() + Duration::from_secs(10);
                while !matches!(get_self(&c, id, &creds, &account, &user, at_least(index)).await, Ok(true)) {
                    assert!(Instant::now() < deadline, "the new key never worked on node {id}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                let r = relayed_allowed(&c, id, signed_by(&creds), &user_arn, at_least(index)).await;
                assert!(matches!(r, Ok(true)), "a relayed request of the new key is allowed on node {id}: {r:?}");
            }
            let (kind, revoke) = match round % 3 {
                0 => (
                    "DeleteAccessKey",
                    AccessKeyOp::Delete {
                        user_name: Some(user.clone()),
                        access_key_id: creds.access_key_id.clone(),
                    }
                    .into(),
                ),
                1 => (
                    "UpdateAccessKey Inactive",
                    AccessKeyOp::Update {
                        user_name: Some(user.clone()),
                        access_key_id: creds.access_key_id.clone(),
                        status: "Inactive".into(),
                    }
                    .into(),
                ),
                _ => (
                    "DetachUserPolicy",
                    PolicyOp::Detach {
                        entity: EntityKind::User,
                        entity_name: user.clone(),
                        policy_arn: policy_arn.clone(),
                    }
                    .into(),
                ),
            };
            let (_, n) = write(&mut admin, revoke).await;
            // At once, on every node (the followers have usually not applied N yet).
            for id in [2, 3, 1] {
                for (name, read) in [("at-least", at_least(n)), ("linearizable", linearizable())] {
                    let own = get_self(&c, id, &creds, &account, &user, read).await;
                    let relayed =
                        relayed_allowed(&c, id, signed_by(&creds), &user_arn, read).await;
                    probes += 2;
                    if !matches!(own, Ok(false)) {
                        stale.push(format!("{kind} at {n}: node {id} answered its own {name} GetUser: {own:?}"));
                    }
                    if !matches!(relayed, Ok(false)) {
                        stale.push(format!("{kind} at {n}: node {id} allowed a relayed {name} request: {relayed:?}"));
                    }
                }
            }
        }
        assert!(stale.is_empty(), "{} of {probes} probes after an acknowledged revocation were not refused:\n{}", stale.len(), stale.join("\n"));
    })
    .await;
}
