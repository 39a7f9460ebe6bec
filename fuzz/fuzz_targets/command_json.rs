//! Fuzzes the public `Write` and `Read` RPCs' payloads: any text is decoded (serde_json) as an
//! `iam_state::Command` and as a `Query`, as the server decodes `command_json` and
//! `query_json`. A command that decodes is prepared (`Command::prepare`), dry-run and applied
//! on a small seeded `MemStore` (a rejection writes nothing), and must survive the Raft log's
//! encoding (bincode of the `Request`) unchanged; a query that decodes is prepared and run.
//! Never panics.
#![no_main]

use iam_state::{apply, dry_run, Command, Query, Request};
use iamd_fuzz::{seeded_store, FixedEnv, T0};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(mut command) = serde_json::from_str::<Command>(text) {
        let _ = command.name();
        let _ = command.is_internal();
        command.prepare(&mut FixedEnv(1000));
        let req = Request {
            request_token: Some("fuzz".into()),
            time_ms: T0,
            command,
        };
        // What forwarding and the log do to it.
        let bytes = bincode::serialize(&req).expect("a request always encodes");
        let back: Request = bincode::deserialize(&bytes)
            .unwrap_or_else(|e| panic!("a decoded command does not survive the log: {e}: {req:?}"));
        assert_eq!(back, req);
        let store = seeded_store();
        let dry = dry_run(&store, &req);
        let (resp, writes) = apply(&store, 100, &req);
        assert_eq!(
            dry.result.is_ok(),
            resp.result.is_ok(),
            "dry run and apply disagree"
        );
        if resp.result.is_err() {
            assert!(writes.is_empty(), "a rejected command wrote {writes:?}");
        }
        if let Ok(outcome) = &resp.result {
            let _ = outcome.to_json();
        }
    }
    if let Ok(mut query) = serde_json::from_str::<Query>(text) {
        let _ = query.name();
        let _ = query.is_internal();
        query.prepare(T0);
        let _ = query.run(&seeded_store());
    }
});
