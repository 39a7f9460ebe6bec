//! Backup and restore over the real API: `iamctl snapshot save` from a follower of a cluster
//! holding every keyspace, `iamctl snapshot status`, a new cluster built from the file
//! (`iamd serve --bootstrap --restore-from`) whose state hash equals the original's at the
//! saved index, and damaged files refused with nothing changed.

use iamd_tests::{bin, free_port, iamctl::json, within, Cluster, Options, TEST_SECRET_KEY};
use std::process::Command;
use std::time::{Duration, Instant};

fn ok(c: &mut Cluster, args: &[&str]) -> String {
    let (code, out, err) = c.iamctl(args);
    assert_eq!(code, 0, "iamctl {args:?}: {err}");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_restores_into_a_new_cluster_with_the_same_state() {
    within(Duration::from_secs(240), async {
        let mut a = Cluster::start(3).await;
        iamd_tests::iamctl::populate_every_keyspace(&mut a);
        let file = a.dir().join("backup.iamdsnap");
        let file_s = file.display().to_string();
        // From a follower, after a linearizable barrier: everything acknowledged is in it.
        let leader = a.leader(Duration::from_secs(10)).await;
        let mut follower = 0;
        for id in 1..=3u64 {
            if a.status(id).await.is_some_and(|s| s.id != leader) {
                follower = id;
            }
        }
        assert_ne!(follower, 0, "a follower");
        let (code, out, err) = a.iamctl_on(
            follower,
            &[
                "--consistency",
                "linearizable",
                "-o",
                "json",
                "snapshot",
                "save",
                &file_s,
            ],
        );
        assert_eq!(code, 0, "{err}");
        let saved = json(&out);
        let index = saved["index"].as_u64().expect("index");
        let original_hash = a.wait_converged(index, Duration::from_secs(20)).await;
        let status = a.status(follower).await.expect("status");
        assert_eq!(status.applied_index, index, "no write after the save");
        let cluster_a = status.cluster_id;

        // The file says what it holds, and verifies.
        let out = ok(&mut a, &["-o", "json", "snapshot", "status", &file_s]);
        let st = json(&out);
        assert_eq!(st["cluster_id"], cluster_a.as_str());
        assert_eq!(st["index"], index);
        assert_eq!(st["format_version"], 1);
        assert_eq!(st["sha256"], saved["sha256"]);
        let counts = st["counts"].as_object().expect("counts");
        for keyspace in ["user", "tok", "sys"] {
            assert!(
                counts.keys().any(|k| k.starts_with(keyspace)),
                "a {keyspace}* keyspace in {counts:?}"
            );
        }

        // A new cluster from the file: same state, new id.
        let creds = a.root_credentials();
        let account = a.account.clone();
        let mut b = Cluster::start_opts(
            1,
            Options {
                restore_from: Some(file.clone()),
                root: Some((creds, account)),
                ..Options::default()
            },
        )
        .await;
        let deadline = Instant::now() + Duration::from_secs(30);
        let restored = loop {
            let s = b.status(1).await;
            if let Some(s) = s.filter(|s| s.state_hash == original_hash) {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "the restored state never matched: {}",
                b.log_of(1)
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert_ne!(restored.cluster_id, cluster_a, "a new cluster id");
        // It serves the restored data with the restored credentials, and grows.
        let out = ok(&mut b, &["-o", "json", "user", "get", "alice"]);
        assert_eq!(json(&out)["name"], "alice");
        b.spawn_new(2);
        b.spawn_new(3);
        b.wait_voters(3, Duration::from_secs(30)).await;
        let index_b = b.status(1).await.expect("status").applied_index;
        b.wait_converged(index_b, Duration::from_secs(30)).await;
        ok(&mut b, &["user", "create", "after-restore"]);
        drop(a);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_backup_is_refused_and_nothing_is_created() {
    within(Duration::from_secs(120), async {
        let mut a = Cluster::start(1).await;
        ok(&mut a, &["user", "create", "alice"]);
        let file = a.dir().join("backup.iamdsnap");
        ok(&mut a, &["snapshot", "save", &file.display().to_string()]);
        let mut bytes = std::fs::read(&file).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x40;
        let bad = a.dir().join("damaged.iamdsnap");
        std::fs::write(&bad, &bytes).unwrap();
        let bad_s = bad.display().to_string();
        let (code, _, err) = a.iamctl(&["snapshot", "status", &bad_s]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("corrupt") && err.contains("SHA-256"), "{err}");
        let (code, _, err) = a.iamctl(&["snapshot", "status", "/nonexistent/x.iamdsnap"]);
        assert_eq!(code, 2, "{err}");

        // A node told to restore it refuses before it creates anything.
        let data = a.dir().join("restore-node");
        let key = a.dir().join("restore.key");
        std::fs::write(&key, TEST_SECRET_KEY).unwrap();
        let serve = |backup: &str, key: &std::path::Path| {
            Command::new(bin("iamd"))
                .args([
                    "serve",
                    "--node-id",
                    "1",
                    "--bootstrap",
                    "--restore-from",
                    backup,
                ])
                .arg("--data-dir")
                .arg(&data)
                .arg("--secret-key-file")
                .arg(key)
                .arg("--api-listen")
                .arg(format!("127.0.0.1:{}", free_port()))
                .arg("--http-listen")
                .arg(format!("127.0.0.1:{}", free_port()))
                .arg("--peer-listen")
                .arg(format!("127.0.0.1:{}", free_port()))
                .output()
                .expect("run iamd")
        };
        let out = serve(&bad_s, &key);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            err.contains("--restore-from") && err.contains("corrupt"),
            "{err}"
        );
        assert!(!data.join("node.json").exists(), "no cluster was created");
        // The right file with another cluster's key: refused, named.
        let other = a.dir().join("other.key");
        std::fs::write(&other, "11".repeat(32)).unwrap();
        let out = serve(&file.display().to_string(), &other);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(err.contains("another cluster secret key"), "{err}");
        assert!(!data.join("node.json").exists(), "no cluster was created");
    })
    .await;
}

/// A backup holds every sealed secret and password hash: only the operator account's
/// principals allowed `iamd:SaveSnapshot` may take one. An administrator of another account,
/// and an unprivileged user of the operator account, are refused and get no file; the
/// administrator cannot make a node buffer a backup-sized restore body either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_operator_may_take_a_backup() {
    within(Duration::from_secs(120), async {
        let mut a = Cluster::start(1).await;
        let out = ok(
            &mut a,
            &["-o", "json", "account", "create", "--name", "tenant", "--email", "t@example.com"],
        );
        let tenant = json(&out)["id"].as_str().expect("id").to_owned();
        let admin = iamd_tests::iamctl::user_with_key(&mut a, Some(&tenant), "tenant-admin");
        let all = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        ok(
            &mut a,
            &["--account", &tenant, "policy", "put-inline", "--user", "tenant-admin", "--policy-name", "all", "--policy-document", all],
        );
        let plain = iamd_tests::iamctl::user_with_key(&mut a, None, "plain");
        for (who, creds) in [("tenant admin", &admin), ("operator-account user", &plain)] {
            let file = a.dir().join("stolen.iamdsnap");
            let (code, _, err) = a.iamctl_as(
                creds,
                &["--consistency", "linearizable", "snapshot", "save", &file.display().to_string()],
            );
            assert_eq!(code, 1, "{who}: {err}");
            assert!(err.contains("AccessDenied"), "{who}: {err}");
            assert!(!file.exists(), "{who} got no file");
        }
        // A restore's body may be a whole backup (up to 49 MiB), but only for principals of
        // the operator account: another account's administrator sending a 9 MiB "backup" is
        // cut off at the ordinary 8 MiB body bound, before any handler reads it.
        // (A well-formed file: iamctl refuses a damaged one before sending it.)
        let big = a.dir().join("big.iamdsnap");
        let header = iam_state::backup::Header {
            cluster_id: "forged".into(),
            node_id: 1,
            index: 1,
            created_ms: 1,
            iamd_version: "0".into(),
            pairs: 0,
            counts: Default::default(),
        };
        let pairs = vec![(b"user/x".to_vec(), vec![0x5a; 9 << 20])];
        std::fs::write(&big, iam_state::backup::encode(header, &pairs)).unwrap();
        let (code, _, err) =
            a.iamctl_as(&admin, &["snapshot", "restore", &big.display().to_string()]);
        assert_ne!(code, 0, "{err}");
        assert!(err.contains("larger than"), "{err}");
        let (code, out, err) = a.iamctl(&["user", "list"]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("plain"), "nothing was restored: {out}");
    })
    .await;
}

/// The value of an unlabelled metric on node `id`, as Prometheus text has it (a float).
async fn gauge(c: &Cluster, id: u64, name: &str) -> f64 {
    let body = c.http_get(id, "/metrics").await.expect("/metrics");
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_backups_are_taken_verified_and_pruned() {
    within(Duration::from_secs(120), async {
        let extra = ["--snapshot-interval", "1s", "--snapshot-retain", "2"];
        let mut c = Cluster::start_opts(
            3,
            Options {
                extra: extra.iter().map(|s| s.to_string()).collect(),
                ..Options::default()
            },
        )
        .await;
        let dir = c.node(2).data_dir.join("backups");
        let mut seen = std::collections::BTreeSet::new();
        let mut written = 0;
        let deadline = Instant::now() + Duration::from_secs(60);
        // Writes keep coming, so every interval has something new to back up.
        while seen.len() < 4 {
            assert!(Instant::now() < deadline, "backups seen: {seen:?}");
            ok(&mut c, &["user", "create", &format!("scheduled-{written}")]);
            written += 1;
            tokio::time::sleep(Duration::from_millis(300)).await;
            let files: Vec<String> = std::fs::read_dir(&dir)
                .map(|d| {
                    d.filter_map(|e| e.ok())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .filter(|n| n.ends_with(".snap"))
                        .collect()
                })
                .unwrap_or_default();
            assert!(files.len() <= 2, "--snapshot-retain 2 keeps two: {files:?}");
            seen.extend(files);
        }
        // The last write is in a backup of node 2 within an interval or two.
        let index = c.status(2).await.expect("status").applied_index;
        let deadline = Instant::now() + Duration::from_secs(10);
        while (gauge(&c, 2, "iamd_backup_last_index").await as u64) < index {
            assert!(Instant::now() < deadline, "no backup reached index {index}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(gauge(&c, 2, "iamd_backup_failures_total").await, 0.0);
        let last = gauge(&c, 2, "iamd_backup_last_success_timestamp_seconds").await;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        assert!((now - last).abs() < 10.0, "last success {last}, now {now}");
        // The newest file is a verified backup of this cluster at that index or later,
        // readable by its owner alone, holding the last user written.
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "snap"))
            .collect();
        files.sort();
        let newest = files.last().expect("a backup").clone();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&newest).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{newest:?}");
        let out = ok(
            &mut c,
            &[
                "-o",
                "json",
                "snapshot",
                "status",
                &newest.display().to_string(),
            ],
        );
        let status = json(&out);
        assert!(status["index"].as_u64().unwrap() >= index, "{out}");
        assert_eq!(status["node_id"], c.status(2).await.unwrap().id, "{out}");
        assert_eq!(
            status["cluster_id"],
            c.status(1).await.unwrap().cluster_id,
            "{out}"
        );
        let bytes = std::fs::read(&newest).unwrap();
        let (_, pairs) = iam_state::backup::decode(&bytes).expect("a verified backup");
        let last_user = format!("scheduled-{}", written - 1);
        assert!(
            pairs
                .iter()
                .any(|(_, v)| String::from_utf8_lossy(v).contains(&last_user)),
            "{last_user} is in the backup"
        );
    })
    .await;
}
