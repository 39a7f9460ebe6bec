//! Fuzzes the AWS Query API end to end as the HTTP port runs it: each input line is a form
//! body, decoded by `Params::from_form`, routed (`route_as`) as the root, the IAM user
//! `alice`, or another principal, then — as the server does — a write is prepared and
//! applied on a small seeded `MemStore` (and committed, so later lines see it), a read is
//! prepared and run, and the result or the error is rendered. Never panics; routes only to
//! public operations; every response is well-formed XML (its root `{Action}Response` or
//! `ErrorResponse`) with a status AWS uses.
//!
//! Input: up to 8 lines; a line starting with `@alice ` is sent by alice, `@other ` by a
//! role session, any other by the root.
#![no_main]

use iam_aws::{render, route_as, AwsError, Call, Caller, Params};
use iam_state::{apply, Request};
use iamd_fuzz::{check_xml, seeded_store, FixedEnv, ACCOUNT, T0};
use libfuzzer_sys::fuzz_target;

const REQUEST_ID: &str = "0604c1a4-0a68-4d1a-b8e6-cdcf68176d71";

fn error_xml(e: &AwsError) {
    let (status, xml) = e.render(REQUEST_ID);
    assert!((400..=599).contains(&status), "status {status} for {e:?}");
    let root = check_xml(&xml).unwrap_or_else(|err| panic!("{err}: {xml}"));
    assert_eq!(root, "ErrorResponse", "{xml}");
}

fn success_xml(action: &str, json: &serde_json::Value) {
    let xml = render(action, json, REQUEST_ID);
    let root = check_xml(&xml).unwrap_or_else(|err| panic!("{err}: {xml}"));
    assert_eq!(root, format!("{action}Response"), "{xml}");
}

fuzz_target!(|data: &[u8]| {
    let mut store = seeded_store();
    let mut env = FixedEnv(1000);
    for (index, line) in data.split(|&b| b == b'\n').take(8).enumerate() {
        let (caller, body) = if let Some(rest) = line.strip_prefix(b"@alice ") {
            (Caller::User("alice"), rest)
        } else if let Some(rest) = line.strip_prefix(b"@other ") {
            (Caller::Other, rest)
        } else {
            (Caller::Root, line)
        };
        let params = Params::from_form(body);
        let call = match route_as(ACCOUNT, caller, &params) {
            Ok(call) => call,
            Err(e) => {
                error_xml(&e);
                continue;
            }
        };
        // `route` succeeded, so there is an Action, and it is one IAM has.
        let action = params.get("Action").unwrap_or_default().to_owned();
        assert!(
            iam_aws::is_supported(&action),
            "{action} routed but is not supported"
        );
        let result = match call {
            Call::Write(mut command) => {
                assert!(
                    !command.is_internal(),
                    "{action} routes to internal {command:?}"
                );
                command.prepare(&mut env);
                let req = Request {
                    request_token: None,
                    time_ms: T0,
                    command,
                };
                let (resp, writes) = apply(&store, 100 + index as u64, &req);
                assert!(
                    resp.result.is_ok() || writes.is_empty(),
                    "a rejected write wrote {writes:?}"
                );
                store.commit(writes);
                resp.result.map(|o| o.to_json()).map_err(AwsError::from)
            }
            Call::Read(mut query) => {
                assert!(
                    !query.is_internal(),
                    "{action} routes to internal {query:?}"
                );
                query.prepare(T0);
                query.run(&store).map_err(AwsError::from)
            }
            Call::Answer(v) => Ok(v),
            // Answered by the server's policy evaluation (not part of iam-aws).
            Call::Simulate(_) | Call::ContextKeys(_) => continue,
        };
        match result {
            Ok(json) => success_xml(&action, &json),
            Err(e) => error_xml(&e),
        }
    }
});
