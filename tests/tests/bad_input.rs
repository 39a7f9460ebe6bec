//! Bad configuration and bad requests get clear errors naming the problem, and change
//! nothing stored.

use iamd_tests::{bin, free_port, within, Cluster};
use std::process::Command;
use std::time::Duration;

fn iamd(args: &[&str]) -> (i32, String) {
    let out = Command::new(bin("iamd"))
        .args(args)
        .output()
        .expect("run iamd");
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    (out.status.code().unwrap_or(-1), text)
}

fn addrs() -> [String; 3] {
    [0, 1, 2].map(|_| format!("127.0.0.1:{}", free_port()))
}

#[test]
fn malformed_config_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("iamd.toml");
    std::fs::write(&cfg, "node_id = 1\napi_listen = 7\n").unwrap();
    let (code, err) = iamd(&["serve", "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("iamd.toml is invalid") && err.contains("api_listen"),
        "{err}"
    );
    let (code, err) = iamd(&["serve", "--node-id", "1", "--api-listen", "localhost"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--api-listen \"localhost\" is not a host:port"),
        "{err}"
    );
    let (code, err) = iamd(&["serve", "--node-id", "abc"]);
    assert_eq!(code, 2);
    assert!(err.contains("--node-id"), "{err}");
    let (code, err) = iamd(&[
        "serve",
        "--node-id",
        "1",
        "--data-dir",
        dir.path().join("d").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--bootstrap") && err.contains("--join"),
        "{err}"
    );
}

#[test]
fn a_port_in_use_is_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let [_, http, peer] = addrs();
    let (code, err) = iamd(&[
        "serve",
        "--node-id",
        "1",
        "--bootstrap",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--api-listen",
        &port,
        "--http-listen",
        &http,
        "--peer-listen",
        &peer,
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("api address {port} is already in use")),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_dir_of_another_node_or_cluster_is_refused() {
    within(Duration::from_secs(90), async {
        let mut cluster = Cluster::start(1).await;
        let data = cluster.node(1).data_dir.clone();
        cluster.stop(1);
        let [api, http, peer] = addrs();
        let (code, err) = iamd(&[
            "serve",
            "--node-id",
            "7",
            "--data-dir",
            data.to_str().unwrap(),
            "--api-listen",
            &api,
            "--http-listen",
            &http,
            "--peer-listen",
            &peer,
        ]);
        assert_eq!(code, 2);
        assert!(err.contains("belongs to node 1, not node 7"), "{err}");

        // A second, separate cluster: node 1's data dir must not join it.
        let mut other = Cluster::start(1).await;
        let seed = other.node(1).peer.clone();
        let secret = other.dir().join("secret.key");
        let (code, err) = iamd(&[
            "serve",
            "--node-id",
            "1",
            "--data-dir",
            data.to_str().unwrap(),
            "--join",
            &seed,
            // The same key as the other cluster's (every test cluster has it): the
            // handshake succeeds and the cluster ids are compared.
            "--secret-key-file",
            secret.to_str().unwrap(),
            "--api-listen",
            &api,
            "--http-listen",
            &http,
            "--peer-listen",
            &peer,
        ]);
        assert_eq!(code, 2);
        assert!(
            err.contains("belongs to cluster") && err.contains("--join seeds belong to cluster"),
            "{err}"
        );
        // Nothing was corrupted: the original node still starts on its data dir.
        cluster.start_node(1);
        cluster
            .wait_for(|s| s.has_leader && s.id == 1, Duration::from_secs(20))
            .await;
        let _ = other.stop(1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_refused_with_aws_codes_and_exit_codes() {
    within(Duration::from_secs(60), async {
        let mut cluster = Cluster::start(1).await;
        let (code, out, err) = cluster.iamctl(&[
            "account",
            "create",
            "--name",
            "acme",
            "--email",
            "root@acme.example.com",
            "-o",
            "json",
        ]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        let account = v["id"].as_str().expect("id").to_owned();
        let hash_before = cluster.status(1).await.unwrap().state_hash;

        let (code, _, err) = cluster.iamctl(&["--account", &account, "user", "create", "bad name"]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("ValidationError") && err.contains("'bad name'"),
            "{err}"
        );
        let (code, _, err) = cluster.iamctl(&[
            "--account",
            &account,
            "user",
            "create",
            "ok",
            "--path",
            "nopath",
        ]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("'nopath'"), "{err}");
        let (code, _, err) = cluster.iamctl(&[
            "--account",
            &account,
            "user",
            "create",
            "ok",
            "--tag",
            "novalue",
        ]);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("--tag \"novalue\" is not Key=k,Value=v or k=v"),
            "{err}"
        );
        let (code, _, err) = cluster.iamctl(&[
            "--account",
            &account,
            "--consistency",
            "sometimes",
            "user",
            "list",
        ]);
        assert_eq!(code, 2);
        assert!(err.contains("--consistency \"sometimes\""), "{err}");
        let (code, _, _) = cluster.iamctl(&["user", "frobnicate"]);
        assert_eq!(code, 2);
        assert_eq!(
            cluster.status(1).await.unwrap().state_hash,
            hash_before,
            "refused requests stored nothing"
        );

        // Refusals that depend on the state are decided by the log: what they store is only
        // their request token with the refusal (so that no earlier copy of the request can
        // be applied after it), never an entity.
        let users_before = cluster.iamctl(&["--account", &account, "user", "list", "-o", "json"]);
        assert_eq!(users_before.0, 0, "{}", users_before.2);
        let (code, _, err) = cluster.iamctl(&["--account", "999999999999", "user", "create", "ok"]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("NoSuchEntity"), "{err}");
        let (code, _, err) = cluster.iamctl(&["--account", &account, "user", "delete", "ghost"]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("The user with name ghost cannot be found."),
            "{err}"
        );
        let users_after = cluster.iamctl(&["--account", &account, "user", "list", "-o", "json"]);
        assert_eq!(
            users_after.1, users_before.1,
            "refused requests created nothing"
        );
        let (code, _, err) = cluster.iamctl(&["account", "get", "999999999999"]);
        assert_eq!(code, 1, "the refused create made no account: {err}");

        // Connection errors exit 2.
        let out = Command::new(bin("iamctl"))
            .args([
                "--endpoints",
                &format!("http://127.0.0.1:{}", free_port()),
                "--timeout",
                "2",
                "cluster",
                "status",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
    })
    .await;
}

#[test]
fn a_bad_or_missing_cluster_secret_key_is_named_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let key = dir.path().join("secret.key");
    std::fs::write(&key, "not hex at all\n").unwrap();
    let [api, http, peer] = addrs();
    let base = [
        "serve",
        "--node-id",
        "1",
        "--bootstrap",
        "--api-listen",
        &api,
        "--http-listen",
        &http,
        "--peer-listen",
        &peer,
        "--data-dir",
        data.to_str().unwrap(),
    ];
    let (code, err) = iamd(&[&base[..], &["--secret-key-file", key.to_str().unwrap()]].concat());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("secret.key") && err.contains("64 hexadecimal digits"),
        "{err}"
    );
    let (code, err) = iamd(&[&base[..], &["--secret-key-file", "/nonexistent/key"]].concat());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot read the cluster secret key file /nonexistent/key"),
        "{err}"
    );
    // Nothing was initialized: the data dir holds no cluster identity yet.
    assert!(!data.join("node.json").exists());
}
