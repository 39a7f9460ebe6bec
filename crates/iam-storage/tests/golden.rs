//! Golden records: an entry of every command (every variant of `Command` and of every
//! account operation), responses, votes, ids, membership and snapshot data, as each record
//! format wrote them (`tests/golden/format-N.txt`), must keep decoding to the same values.
//! The current format's lines must also be what this build writes, byte for byte.
//!
//! A line: `kind<TAB>label<TAB>value as JSON<TAB>record as hex`. The JSON says what the
//! record holds, read with today's types (so a field added with a default reads as its
//! default from both).
//!
//! A new command or variant has no line yet: run `IAMD_BLESS_GOLDEN=1 cargo test --test
//! golden` once to append lines for what is missing (existing lines are never rewritten;
//! a line that stops decoding is a broken format, not a file to regenerate).

use iam_raft::format;
use iam_raft::types::{Entry, EntryPayload, IamNode, LeaderId, LogId, NodeId, Requests, Vote};
use iam_state::{Command, Op, Outcome, Request, Response};
use iam_storage::records;
use openraft::vote::RaftLeaderId;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::Value;
use serde_reflection::{ContainerFormat, Samples, Tracer, TracerConfig};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// The record formats there are golden files of: 0 is the unversioned records of storage
/// format 3 (before versioned formats), then every `iam_raft::format` version.
const FORMATS: std::ops::RangeInclusive<u16> = 0..=format::FORMAT;

fn golden_path(f: u16) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/format-{f}.txt"))
}

/// A request as format 0 wrote it (plain bincode: the fields of that time, by position).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PlainRequest {
    request_token: Option<String>,
    time_ms: u64,
    command: iam_state::Command,
}

/// A log entry's requests as format 0 wrote them (plain bincode), to write its lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
struct PlainRequests(Vec<PlainRequest>);

impl std::fmt::Display for PlainRequests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} request(s)", self.0.len())
    }
}

type PlainEntry = openraft::Entry<LeaderId, openraft::EntryPayload<PlainRequests, NodeId, IamNode>>;

/// What a golden line holds, typed.
#[derive(Debug, Clone, PartialEq)]
enum Sample {
    Entry(Entry),
    Response(Response),
    Vote(Vote),
    LogId(Option<LogId>),
    Pairs(Vec<(Vec<u8>, Vec<u8>)>),
}

impl Sample {
    fn kind(&self) -> &'static str {
        match self {
            Sample::Entry(_) => "entry",
            Sample::Response(_) => "response",
            Sample::Vote(_) => "vote",
            Sample::LogId(_) => "log-id",
            Sample::Pairs(_) => "snapshot-data",
        }
    }

    fn json(&self) -> Value {
        let v = match self {
            // The requests as JSON, not as the CBOR bytes the entry embeds.
            Sample::Entry(e) => Ok(match &e.payload {
                EntryPayload::Normal(r) => {
                    serde_json::json!({"log_id": e.log_id, "requests": *r.0})
                }
                EntryPayload::Blank => serde_json::json!({"log_id": e.log_id, "blank": true}),
                EntryPayload::Membership(m) => {
                    serde_json::json!({"log_id": e.log_id, "membership": m})
                }
            }),
            Sample::Response(r) => serde_json::to_value(r),
            Sample::Vote(v) => serde_json::to_value(v),
            Sample::LogId(l) => serde_json::to_value(l),
            Sample::Pairs(p) => serde_json::to_value(p),
        };
        v.expect("samples serialize to JSON")
    }

    fn from_json(kind: &str, json: &str) -> Self {
        fn parse<T: DeserializeOwned>(json: &str) -> T {
            serde_json::from_str(json).unwrap_or_else(|e| panic!("golden JSON {json}: {e}"))
        }
        match kind {
            "entry" => {
                let v: Value = parse(json);
                let log_id: LogId = serde_json::from_value(v["log_id"].clone()).expect("log id");
                let payload = if let Some(r) = v.get("requests") {
                    EntryPayload::Normal(Requests::new(
                        serde_json::from_value(r.clone()).expect("requests"),
                    ))
                } else if let Some(m) = v.get("membership") {
                    EntryPayload::Membership(serde_json::from_value(m.clone()).expect("membership"))
                } else {
                    EntryPayload::Blank
                };
                Sample::Entry(Entry { log_id, payload })
            }
            "response" => Sample::Response(parse(json)),
            "vote" => Sample::Vote(parse(json)),
            "log-id" => Sample::LogId(parse(json)),
            "snapshot-data" => Sample::Pairs(parse(json)),
            other => panic!("unknown golden kind {other}"),
        }
    }

    /// The record as format `f` writes it.
    fn encode(&self, f: u16) -> Vec<u8> {
        if f == format::FORMAT {
            return match self {
                Sample::Entry(e) => records::encode("entry", e),
                Sample::Response(r) => Ok(iam_state::codec::to_cbor(r).unwrap()),
                Sample::Vote(v) => records::encode("vote", v),
                Sample::LogId(l) => records::encode("log id", l),
                Sample::Pairs(p) => records::encode("pairs", p),
            }
            .unwrap();
        }
        assert_eq!(f, 0, "only the current format and format 0 can be written");
        match self {
            Sample::Entry(e) => {
                let payload = match &e.payload {
                    EntryPayload::Blank => openraft::EntryPayload::Blank,
                    EntryPayload::Normal(r) => openraft::EntryPayload::Normal(PlainRequests(
                        r.0.iter()
                            .map(|r| PlainRequest {
                                request_token: r.request_token.clone(),
                                time_ms: r.time_ms,
                                command: r.command.clone(),
                            })
                            .collect(),
                    )),
                    EntryPayload::Membership(m) => openraft::EntryPayload::Membership(m.clone()),
                };
                bincode::serialize(&PlainEntry {
                    log_id: e.log_id,
                    payload,
                })
            }
            Sample::Response(_) => unreachable!("format 0 responses were never stored"),
            Sample::Vote(v) => bincode::serialize(v),
            Sample::LogId(l) => bincode::serialize(l),
            Sample::Pairs(p) => bincode::serialize(p),
        }
        .unwrap()
    }

    /// The record read back the way a node reads it.
    fn decode(kind: &str, index: u64, bytes: &[u8]) -> Result<Self, String> {
        let e = |e: std::io::Error| e.to_string();
        Ok(match kind {
            "entry" => Sample::Entry(records::decode_entry(index, bytes).map_err(e)?),
            "response" => Sample::Response(iam_state::codec::from_cbor(bytes)?),
            "vote" => Sample::Vote(records::decode("vote", bytes).map_err(e)?),
            "log-id" => Sample::LogId(records::decode("log id", bytes).map_err(e)?),
            "snapshot-data" => Sample::Pairs(records::decode("pairs", bytes).map_err(e)?),
            other => return Err(format!("unknown golden kind {other}")),
        })
    }
}

/// One value of every variant of `T` (placeholder fields: empty, zero, none).
fn variants<T: for<'de> Deserialize<'de>>(tracer: &mut Tracer, samples: &Samples) -> Vec<T> {
    tracer
        .trace_type::<T>(samples)
        .unwrap_or_else(|e| panic!("tracing {}: {e}", std::any::type_name::<T>()))
        .1
}

/// The path of enum variants a sample's JSON takes: `In/User/Create`, `SandboxReset`.
fn variant_path(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(m) if m.len() == 1 => {
            let (name, inner) = m.iter().next().expect("one key");
            match inner.get("op") {
                Some(op) if name == "In" => format!("In/{}", variant_path(op)),
                _ => match inner {
                    Value::Object(o)
                        if o.len() == 1 && o.keys().all(|k| k.starts_with(char::is_uppercase)) =>
                    {
                        format!("{name}/{}", variant_path(inner))
                    }
                    _ => name.clone(),
                },
            }
        }
        _ => "?".into(),
    }
}

/// A labelled sample of every command variant, account operation, response outcome and
/// Raft record.
fn samples() -> Vec<(String, Sample)> {
    let mut tracer = Tracer::new(TracerConfig::default());
    let traced = Samples::new();
    let mut commands: Vec<Command> = variants(&mut tracer, &traced);
    let ops = [
        ops_of::<iam_state::ops::users::UserOp>(&mut tracer, &traced, "User"),
        ops_of::<iam_state::ops::groups::GroupOp>(&mut tracer, &traced, "Group"),
        ops_of::<iam_state::ops::roles::RoleOp>(&mut tracer, &traced, "Role"),
        ops_of::<iam_state::ops::instance_profiles::InstanceProfileOp>(
            &mut tracer,
            &traced,
            "InstanceProfile",
        ),
        ops_of::<iam_state::ops::policies::PolicyOp>(&mut tracer, &traced, "Policy"),
        ops_of::<iam_state::ops::access_keys::AccessKeyOp>(&mut tracer, &traced, "AccessKey"),
        ops_of::<iam_state::ops::login_profiles::LoginProfileOp>(
            &mut tracer,
            &traced,
            "LoginProfile",
        ),
        ops_of::<iam_state::ops::mfa::MfaOp>(&mut tracer, &traced, "Mfa"),
        ops_of::<iam_state::ops::account::AccountOp>(&mut tracer, &traced, "Account"),
        ops_of::<iam_state::ops::quotas::QuotaOp>(&mut tracer, &traced, "Quota"),
        ops_of::<iam_state::ops::oidc_providers::OidcProviderOp>(
            &mut tracer,
            &traced,
            "OidcProvider",
        ),
        ops_of::<iam_state::ops::ssh_keys::SshKeyOp>(&mut tracer, &traced, "SshKey"),
        ops_of::<iam_state::ops::signing_certs::SigningCertOp>(&mut tracer, &traced, "SigningCert"),
        ops_of::<iam_state::ops::server_certs::ServerCertOp>(&mut tracer, &traced, "ServerCert"),
    ];
    // Every `Op` variant's operations are listed above.
    let _: Vec<Op> = variants(&mut tracer, &traced);
    let outcomes: Vec<Outcome> = variants(&mut tracer, &traced);
    // (Enums inside operations, such as `EntityKind`, may be traced in one variant only.)
    let registry = tracer.registry_unchecked();
    let Some(ContainerFormat::Enum(op_variants)) = registry.get("Op") else {
        panic!("Op is an enum")
    };
    let listed: BTreeSet<&str> = ops.iter().map(|(name, _)| *name).collect();
    for v in op_variants.values() {
        assert!(
            listed.contains(v.name.as_str()),
            "Op::{} is new: list its operations in golden.rs `samples`",
            v.name
        );
    }
    for (name, values) in &ops {
        for op in values {
            let json = serde_json::json!({"In": {"account": "123456789012", "op": {*name: op}}});
            commands.push(serde_json::from_value(json).expect("an account command"));
        }
    }
    let mut out = Vec::new();
    let mut index = 0;
    let mut next_id = || {
        index += 1;
        LogId::new(LeaderId::new(2, 1), index)
    };
    let mut seen = BTreeSet::new();
    for command in commands {
        let label = variant_path(&serde_json::to_value(&command).unwrap());
        if !seen.insert(label.clone()) {
            continue;
        }
        let request = Request {
            request_token: Some(format!("token-{label}")),
            time_ms: 1_765_000_000_000,
            command,
            origin: None,
        };
        let entry = Entry {
            log_id: next_id(),
            payload: EntryPayload::Normal(Requests::new(vec![request])),
        };
        out.push((label, Sample::Entry(entry)));
    }
    // A client's change carries its origin (the event history, release 2).
    let mut with_origin = Request::new(
        1_765_000_000_000,
        Command::CreateAccount {
            account_id: "123456789012".into(),
            name: "acme".into(),
            email: "ops@acme.example".into(),
        },
    );
    with_origin.request_token = Some("token-with-origin".into());
    with_origin.origin = Some(Box::new(iam_state::events::Origin {
        account: "123456789012".into(),
        principal: "arn:aws:iam::123456789012:root".into(),
        access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
        source_ip: "192.0.2.1".into(),
        request_id: "c2f4a8b0-0000-4000-a000-000000000001".into(),
        action: "iamd:CreateAccount".into(),
        resources: vec!["arn:aws:iamd:::account/123456789012".into()],
        max_events: 100_000,
        max_age_ms: 7_776_000_000,
    }));
    out.push((
        "RequestWithOrigin".into(),
        Sample::Entry(Entry {
            log_id: next_id(),
            payload: EntryPayload::Normal(Requests::new(vec![with_origin])),
        }),
    ));
    out.push((
        "Blank".into(),
        Sample::Entry(Entry {
            log_id: next_id(),
            payload: EntryPayload::Blank,
        }),
    ));
    let nodes: BTreeMap<NodeId, IamNode> = (1..=3)
        .map(|i| {
            let node = IamNode {
                peer: format!("127.0.0.{i}:7001"),
                api: format!("127.0.0.{i}:7002"),
                http: format!("127.0.0.{i}:7003"),
            };
            (i, node)
        })
        .collect();
    let membership =
        openraft::Membership::new(vec![[1, 2, 3].into()], nodes).expect("a membership");
    out.push((
        "Membership".into(),
        Sample::Entry(Entry {
            log_id: next_id(),
            payload: EntryPayload::Membership(membership),
        }),
    ));
    for outcome in outcomes {
        let label = variant_path(&serde_json::to_value(&outcome).unwrap());
        out.push((
            label,
            Sample::Response(Response {
                result: Ok(outcome),
            }),
        ));
    }
    out.push((
        "Err".into(),
        Sample::Response(Response {
            result: Err(iam_model::IamError::new(
                iam_model::ErrorCode::NoSuchEntity,
                "The user with name x cannot be found.",
            )),
        }),
    ));
    out.push(("committed".into(), Sample::Vote(Vote::new_committed(5, 2))));
    out.push(("applied".into(), Sample::LogId(Some(next_id()))));
    out.push(("none".into(), Sample::LogId(None)));
    out.push((
        "pairs".into(),
        Sample::Pairs(vec![
            (b"acct/123456789012".to_vec(), br#"{"name":"a"}"#.to_vec()),
            (b"user/123456789012/x".to_vec(), vec![0, 159, 255]),
        ]),
    ));
    out
}

fn ops_of<T: Serialize + for<'de> Deserialize<'de>>(
    tracer: &mut Tracer,
    traced: &Samples,
    name: &'static str,
) -> (&'static str, Vec<Value>) {
    let values: Vec<T> = variants(tracer, traced);
    let json = values
        .iter()
        .map(|v| serde_json::to_value(v).expect("operations serialize"))
        .collect();
    (name, json)
}

/// The lines of golden file `f`: kind, label, JSON, bytes.
fn read_golden(f: u16) -> Vec<(String, String, String, Vec<u8>)> {
    let text = std::fs::read_to_string(golden_path(f)).unwrap_or_default();
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let parts: Vec<&str> = l.split('\t').collect();
            assert_eq!(parts.len(), 4, "a golden line has 4 fields: {l}");
            let bytes = hex::decode(parts[3]).expect("hex");
            (parts[0].into(), parts[1].into(), parts[2].into(), bytes)
        })
        .collect()
}

#[test]
fn every_format_ever_written_still_decodes_and_covers_every_command() {
    let bless = std::env::var_os("IAMD_BLESS_GOLDEN").is_some();
    let samples = samples();
    let labels: Vec<&String> = samples.iter().map(|(l, _)| l).collect();
    assert!(samples.len() > 80, "{} samples: {labels:?}", samples.len());
    for f in FORMATS {
        let lines = read_golden(f);
        for (kind, label, json, bytes) in &lines {
            let expected = Sample::from_json(kind, json);
            let index = match &expected {
                Sample::Entry(e) => e.log_id.index,
                _ => 0,
            };
            let got = Sample::decode(kind, index, bytes)
                .unwrap_or_else(|e| panic!("format {f} {kind} {label} no longer decodes: {e}"));
            assert_eq!(got, expected, "format {f} {kind} {label}");
            if f == format::FORMAT {
                assert_eq!(
                    hex::encode(expected.encode(f)),
                    hex::encode(bytes),
                    "format {f} {kind} {label} is no longer written the same: that is a new \
                     format (see iam_raft::format), not a golden file to rewrite"
                );
            }
        }
        let have: BTreeSet<(String, String)> = lines
            .iter()
            .map(|(k, l, _, _)| (k.clone(), l.clone()))
            .collect();
        let missing: Vec<&(String, Sample)> = samples
            .iter()
            .filter(|(label, s)| !have.contains(&(s.kind().to_owned(), label.clone())))
            // Format 0's responses only travelled between nodes (which now refuse them).
            .filter(|(_, s)| f != 0 || s.kind() != "response")
            .collect();
        if missing.is_empty() {
            continue;
        }
        let can_write = f == format::FORMAT || (f == 0 && lines.is_empty());
        if !(bless && can_write) {
            let names: Vec<String> = missing
                .iter()
                .map(|(l, s)| format!("{} {l}", s.kind()))
                .collect();
            if f < format::FORMAT && !lines.is_empty() {
                // An older format never wrote what is newer than it.
                continue;
            }
            panic!(
                "format {f} has no golden line for {names:?}: run IAMD_BLESS_GOLDEN=1 cargo test --test golden"
            );
        }
        let mut text = std::fs::read_to_string(golden_path(f)).unwrap_or_default();
        for (label, s) in missing {
            let json = serde_json::to_string(&s.json()).unwrap();
            text.push_str(&format!(
                "{}\t{label}\t{json}\t{}\n",
                s.kind(),
                hex::encode(s.encode(f))
            ));
        }
        std::fs::create_dir_all(golden_path(f).parent().unwrap()).unwrap();
        std::fs::write(golden_path(f), text).unwrap();
    }
}

#[test]
fn a_record_of_a_newer_format_is_refused_with_a_clear_error() {
    let entry = Entry {
        log_id: LogId::new(LeaderId::new(1, 1), 1),
        payload: EntryPayload::Blank,
    };
    let mut bytes = records::encode("entry", &entry).unwrap();
    bytes[4..6].copy_from_slice(&(format::FORMAT + 1).to_be_bytes());
    let e = records::decode_entry(1, &bytes).unwrap_err().to_string();
    assert!(
        e.contains("log entry 1") && e.contains("newer than this iamd reads"),
        "{e}"
    );
}
