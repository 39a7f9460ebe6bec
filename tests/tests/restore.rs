//! Restoring a backup into a running cluster (`iamctl snapshot restore`, Vault-style): the
//! whole state of every member goes back to the backup's (state hash equal to the one at the
//! saved index), whatever was written since is gone; a damaged file, a caller other than the
//! operator, and another cluster's backup without `--force` are refused with nothing changed;
//! with `--force` another cluster's state (and so its operator) takes over.

use iamd_tests::iamctl::{json, populate_every_keyspace, user_with_key};
use iamd_tests::{within, Cluster};
use std::time::Duration;

fn ok(c: &mut Cluster, args: &[&str]) -> String {
    let (code, out, err) = c.iamctl(args);
    assert_eq!(code, 0, "iamctl {args:?}: {err}");
    out
}

/// Saves a linearizable backup to `name` in the cluster's dir: (path, index, state hash).
async fn save(c: &mut Cluster, name: &str) -> (String, u64, String) {
    let file = c.dir().join(name).display().to_string();
    let out = ok(
        c,
        &[
            "--consistency",
            "linearizable",
            "-o",
            "json",
            "snapshot",
            "save",
            &file,
        ],
    );
    let index = json(&out)["index"].as_u64().expect("index");
    let hash = c.wait_converged(index, Duration::from_secs(20)).await;
    (file, index, hash)
}

async fn hash_now(c: &mut Cluster) -> String {
    let index = c.status(1).await.expect("status").applied_index;
    c.wait_converged(index, Duration::from_secs(20)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_restores_in_place_on_every_member_and_bad_restores_change_nothing() {
    within(Duration::from_secs(240), async {
        let mut a = Cluster::start(3).await;
        populate_every_keyspace(&mut a);
        let plain = user_with_key(&mut a, None, "plain");
        let (file, _, saved_hash) = save(&mut a, "a.iamdsnap").await;

        // Written after the backup: undone by the restore.
        for args in [
            &["user", "create", "after-backup"][..],
            &["group", "remove-user", "devs", "alice"],
            &["quota", "set-limit", "ec2:instances", "20"],
        ] {
            ok(&mut a, args);
        }
        let changed = hash_now(&mut a).await;
        assert_ne!(changed, saved_hash);

        // Refused, nothing changed: a user of the operator account without iamd:RestoreSnapshot,
        // and a damaged file.
        let (code, _, err) = a.iamctl_as(&plain, &["snapshot", "restore", &file]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("AccessDenied"), "{err}");
        let mut bytes = std::fs::read(&file).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x01;
        let bad = a.dir().join("damaged.iamdsnap").display().to_string();
        std::fs::write(&bad, &bytes).unwrap();
        let (code, _, err) = a.iamctl(&["snapshot", "restore", &bad]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("corrupt"), "{err}");
        assert_eq!(
            hash_now(&mut a).await,
            changed,
            "a refused restore changed the state"
        );

        // The restore, through a follower: every member's state is the backup's again.
        let leader = a.leader(Duration::from_secs(10)).await;
        let follower = if leader == 1 { 2 } else { 1 };
        let (code, out, err) = a.iamctl_on(follower, &["-o", "json", "snapshot", "restore", &file]);
        assert_eq!(code, 0, "{err}");
        let at = json(&out)["index"].as_u64().expect("index");
        assert_eq!(
            a.wait_converged(at, Duration::from_secs(20)).await,
            saved_hash
        );
        let (code, _, _) = a.iamctl(&["user", "get", "after-backup"]);
        assert_eq!(code, 1, "a user created after the backup is gone");
        let out = ok(&mut a, &["-o", "json", "group", "get", "devs"]);
        assert!(out.contains("alice"), "{out}");
        // And the cluster goes on from there.
        ok(&mut a, &["user", "create", "after-restore"]);

        // Another cluster's backup (sealed with the same cluster key): only with --force.
        let mut b = Cluster::start(1).await;
        ok(&mut b, &["user", "create", "from-b"]);
        let (file_b, _, hash_b) = save(&mut b, "b.iamdsnap").await;
        let file_b = {
            let to = a.dir().join("b.iamdsnap");
            std::fs::copy(&file_b, &to).unwrap();
            to.display().to_string()
        };
        let before = hash_now(&mut a).await;
        let (code, _, err) = a.iamctl(&["snapshot", "restore", &file_b]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("--force"), "{err}");
        assert_eq!(hash_now(&mut a).await, before);
        let (code, out, err) = a.iamctl(&["-o", "json", "snapshot", "restore", "--force", &file_b]);
        assert_eq!(code, 0, "{err}");
        let at = json(&out)["index"].as_u64().expect("index");
        // B's operator now runs A; A's old root key is gone with A's state.
        let (code, _, err) = a.iamctl(&["user", "list"]);
        assert_eq!(code, 1, "A's old root key still works: {err}");
        a.creds = Some(b.root_credentials());
        assert_eq!(a.wait_converged(at, Duration::from_secs(20)).await, hash_b);
        let out = ok(&mut a, &["user", "list"]);
        assert!(out.contains("from-b"), "{out}");
    })
    .await;
}
