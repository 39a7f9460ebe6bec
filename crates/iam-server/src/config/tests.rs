//! Configuration merging and validation: defaults, bad values named, node ids, files.

use super::*;

fn args() -> ServeArgs {
    ServeArgs {
        node_id: Some("1".into()),
        ..Default::default()
    }
}

#[test]
fn defaults_are_valid() {
    let c = ServeConfig::from_args(args()).unwrap();
    assert_eq!(c.api_advertise, "127.0.0.1:7100");
    assert!(!c.bootstrap);
}

#[test]
fn dial_via_pairs_are_parsed_and_checked() {
    let c = ServeConfig::from_args(ServeArgs {
        peer_dial_via: vec!["127.0.0.1:7001=127.0.0.1:9001".into(), " ".into()],
        ..args()
    })
    .unwrap();
    assert_eq!(c.peer_dial_via["127.0.0.1:7001"], "127.0.0.1:9001");
    for (bad, says) in [
        ("127.0.0.1:7001", "is not PEER=VIA"),
        ("127.0.0.1=127.0.0.1:9001", "PEER \"127.0.0.1\""),
        ("a:1=b:x", "VIA \"b:x\""),
    ] {
        let e = ServeConfig::from_args(ServeArgs {
            peer_dial_via: vec![bad.into()],
            ..args()
        })
        .unwrap_err();
        assert!(e.to_string().contains(says), "{bad}: {e}");
    }
    let e = ServeConfig::from_args(ServeArgs {
        peer_dial_via: vec!["a:1=b:2".into(), "a:1=c:3".into()],
        ..args()
    })
    .unwrap_err();
    assert!(e.to_string().contains("twice"), "{e}");
}

#[test]
fn bad_values_are_named() {
    let e = ServeConfig::from_args(ServeArgs {
        api_listen: Some("nope".into()),
        ..args()
    })
    .unwrap_err();
    assert!(format!("{e:#}").contains("--api-listen \"nope\""), "{e:#}");
    let e = ServeConfig::from_args(ServeArgs {
        node_id: None,
        ..Default::default()
    })
    .unwrap_err();
    assert!(e.to_string().contains("--node-id is required"));
    for bad in ["0", "-1", "x", "auto1", ""] {
        let e = ServeConfig::from_args(ServeArgs {
            node_id: Some(bad.into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("--node-id"), "{bad}: {e}");
    }
    let e = ServeConfig::from_args(ServeArgs {
        node_id: Some("auto".into()),
        ..Default::default()
    })
    .unwrap_err();
    assert!(e.to_string().contains("give --data-dir"), "{e}");
    let e = ServeConfig::from_args(ServeArgs {
        runtime_threads: Some(RUNTIME_THREADS_MAX + 1),
        ..args()
    })
    .unwrap_err();
    assert!(e.to_string().contains("--runtime-threads 1025"), "{e:#}");
    let e = ServeConfig::from_args(ServeArgs {
        max_clock_offset_ms: Some(60_001),
        ..args()
    })
    .unwrap_err();
    assert!(
        e.to_string().contains("--max-clock-offset-ms 60001"),
        "{e:#}"
    );
    let c = ServeConfig::from_args(ServeArgs {
        max_clock_offset_ms: Some(0),
        ..args()
    })
    .unwrap();
    assert_eq!(c.max_clock_offset_ms, 0, "0 turns the check off");
    assert_eq!(
        ServeConfig::from_args(args()).unwrap().max_clock_offset_ms,
        iam_raft::DEFAULT_MAX_CLOCK_OFFSET_MS
    );
}

#[test]
fn an_auto_node_id_is_chosen_once_and_then_read_from_the_data_dir() {
    let dir = std::env::temp_dir().join(format!("iamd-auto-id-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let auto = || {
        ServeConfig::from_args(ServeArgs {
            node_id: Some("auto".into()),
            data_dir: Some(dir.clone()),
            ..Default::default()
        })
        .unwrap()
        .node_id
    };
    let (a, b) = (auto(), auto());
    assert!(a > 0 && a <= AUTO_NODE_ID_MAX && b > 0);
    assert_ne!(a, b, "nothing recorded yet: a new id each time");
    let mut store = iam_storage::open(&dir, a).unwrap();
    store
        .save_meta(iam_storage::NodeMeta {
            cluster_id: "c".into(),
            node_id: a,
        })
        .unwrap();
    drop(store);
    assert_eq!(auto(), a, "the recorded id");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn file_is_merged_and_unknown_keys_rejected() {
    let dir = std::env::temp_dir().join(format!("iamd-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    std::fs::write(
        &good,
        "node_id = 5\napi_listen = \"127.0.0.1:9000\"\nruntime_threads = 1\n",
    )
    .unwrap();
    let c = ServeConfig::from_args(ServeArgs {
        config: Some(good.clone()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        (c.node_id, c.api_listen.port(), c.runtime_threads),
        (5, 9000, 1)
    );
    // A flag wins over the file.
    let c = ServeConfig::from_args(ServeArgs {
        config: Some(good),
        runtime_threads: Some(3),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.runtime_threads, 3);
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "node_id = 5\nnode_idd = 6\n").unwrap();
    let e = ServeConfig::from_args(ServeArgs {
        config: Some(bad),
        ..Default::default()
    })
    .unwrap_err();
    assert!(format!("{e:#}").contains("unknown field"), "{e:#}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn scheduled_backups_are_configured_or_refused_by_name() {
    assert_eq!(ServeConfig::from_args(args()).unwrap().backups, None);
    let c = ServeConfig::from_args(ServeArgs {
        snapshot_interval: Some("30m".into()),
        ..args()
    })
    .unwrap();
    let s = c.backups.expect("scheduled");
    assert_eq!(s.interval, std::time::Duration::from_secs(1800));
    assert_eq!(s.retain, 7);
    assert_eq!(s.dir, c.data_dir.join("backups"));
    for (bad, says) in [
        (
            ServeArgs {
                snapshot_interval: Some("5x".into()),
                ..args()
            },
            "--snapshot-interval \"5x\"",
        ),
        (
            ServeArgs {
                snapshot_interval: Some("0".into()),
                ..args()
            },
            "at least 1s",
        ),
        (
            ServeArgs {
                snapshot_interval: Some("1h".into()),
                snapshot_retain: Some(0),
                ..args()
            },
            "--snapshot-retain must be at least 1",
        ),
        (
            ServeArgs {
                snapshot_retain: Some(3),
                ..args()
            },
            "give --snapshot-interval too",
        ),
    ] {
        let e = ServeConfig::from_args(bad).unwrap_err();
        assert!(e.to_string().contains(says), "{e}");
    }
}
