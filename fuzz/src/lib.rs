//! Helpers shared by the fuzz targets: a raw HTTP request reader (the SigV4 test-suite
//! format), a deterministic `Env`, a small seeded state, an allocation counter and an XML
//! well-formedness check.

use iam_auth::sigv4::{sha256_hex, SignedRequest};
use iam_model::ids::IdPrefix;
use iam_state::{apply, Command, Env, MemStore, Request};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// The account every seeded state has.
pub const ACCOUNT: &str = "123456789012";
/// 2024-01-02T03:04:05Z: the time of every request applied by the targets.
pub const T0: u64 = 1_704_164_645_000;

/// Reads a request in the format of AWS's SigV4 test suite (`crates/iam-auth/tests/vectors`):
/// `METHOD target [HTTP/1.1]`, then `Name:value` header lines (a line starting with a space
/// or tab continues the previous value), a blank line and the body. Anything is accepted:
/// a line without `:` is a header with an empty value, a missing request line is an empty
/// method and path. Returns the request (with the body's hash) and the body.
pub fn http_request(text: &str) -> (SignedRequest, &str) {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let line = lines.next().unwrap_or_default();
    let (method, rest) = line.split_once(' ').unwrap_or((line, ""));
    let target = rest.strip_suffix(" HTTP/1.1").unwrap_or(rest);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for l in lines {
        match headers.last_mut() {
            Some(last) if l.starts_with(' ') || l.starts_with('\t') => {
                last.1.push(' ');
                last.1.push_str(l);
            }
            _ => {
                let (n, v) = l.split_once(':').unwrap_or((l, ""));
                headers.push((n.to_owned(), v.to_owned()));
            }
        }
    }
    let req = SignedRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        payload_sha256: Some(sha256_hex(body.as_bytes())),
    };
    (req, body)
}

/// What a proposing node chooses, made deterministic: sequential unique ids, fixed random
/// bytes, a fake password hash, secrets kept as they are.
#[derive(Debug, Default)]
pub struct FixedEnv(pub u64);

impl Env for FixedEnv {
    fn unique_id(&mut self, prefix: IdPrefix) -> String {
        self.0 += 1;
        format!("{}{:017}", prefix.as_str(), self.0)
    }
    fn random_bytes(&mut self, n: usize) -> Vec<u8> {
        vec![7; n]
    }
    fn hash_password(&mut self, password: &str) -> String {
        format!("hash-{}", password.len())
    }
}

/// Form bodies (AWS Query API, sent by the account's root) that build the seeded state.
const SEED_FORMS: &[&str] = &[
    "Action=CreateUser&UserName=alice&Path=/dev/&Tags.member.1.Key=team&Tags.member.1.Value=a",
    "Action=CreateUser&UserName=bob",
    "Action=CreateGroup&GroupName=devs",
    "Action=AddUserToGroup&GroupName=devs&UserName=alice",
    "Action=CreateRole&RoleName=deploy&AssumeRolePolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A123456789012%3Aroot%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D",
    "Action=CreatePolicy&PolicyName=read&PolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22iam%3AGet*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D",
    "Action=AttachUserPolicy&UserName=alice&PolicyArn=arn:aws:iam::123456789012:policy/read",
    "Action=PutUserPolicy&UserName=bob&PolicyName=inline&PolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Deny%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D",
    "Action=CreateInstanceProfile&InstanceProfileName=web",
    "Action=AddRoleToInstanceProfile&InstanceProfileName=web&RoleName=deploy",
    "Action=CreateAccessKey&UserName=alice",
    "Action=CreateLoginProfile&UserName=alice&Password=Correct-Horse-1",
    "Action=CreateVirtualMFADevice&VirtualMFADeviceName=phone",
    "Action=CreateAccountAlias&AccountAlias=acme",
];

/// A small state: the account, two users, a group, a role with an instance profile, a
/// managed and an inline policy, an access key, a login profile and a virtual MFA device.
/// Built once (every seed write must succeed), cloned per input.
pub fn seeded_store() -> MemStore {
    static STORE: OnceLock<MemStore> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let mut store = MemStore::new();
            let mut env = FixedEnv::default();
            let mut index = 0;
            let mut write = |store: &mut MemStore, mut command: Command| {
                command.prepare(&mut env);
                index += 1;
                let req = Request {
                    request_token: None,
                    time_ms: T0,
                    command,
                };
                let (resp, writes) = apply(store, index, &req);
                assert!(resp.result.is_ok(), "seed write failed: {resp:?}");
                store.commit(writes);
            };
            write(
                &mut store,
                Command::CreateAccount {
                    account_id: ACCOUNT.into(),
                    name: "acme".into(),
                    email: "ops@acme.io".into(),
                },
            );
            for form in SEED_FORMS {
                let params = iam_aws::Params::from_form(form.as_bytes());
                match iam_aws::route(ACCOUNT, None, &params) {
                    Ok(iam_aws::Call::Write(c)) => write(&mut store, c),
                    other => panic!("seed {form} does not route to a write: {other:?}"),
                }
            }
            store
        })
        .clone()
}

/// A global allocator that counts live bytes and the peak since [`reset_peak`], so a target
/// can check that decoding `n` bytes allocates O(n), not what a length prefix claims.
pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to `System`, only counting sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size >= layout.size() {
                let grow = new_size - layout.size();
                let now = LIVE.fetch_add(grow, Ordering::Relaxed) + grow;
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

/// Starts a measurement: the peak becomes the bytes live now, which are returned.
pub fn reset_peak() -> usize {
    let live = LIVE.load(Ordering::Relaxed);
    PEAK.store(live, Ordering::Relaxed);
    live
}

/// The most bytes live at once since [`reset_peak`] (only meaningful when the target's
/// binary installs [`Counting`] as its global allocator).
pub fn peak() -> usize {
    PEAK.load(Ordering::Relaxed)
}

/// Checks that `xml` is well formed as far as AWS's responses go: only XML 1.0 characters,
/// element tags that nest and match, no `<` or bare `&` in text, one root element. Returns
/// the root element's name.
pub fn check_xml(xml: &str) -> Result<String, String> {
    if let Some(c) = xml.chars().find(|&c| {
        let u = c as u32;
        !(matches!(u, 0x9 | 0xA | 0xD)
            || (0x20..=0xD7FF).contains(&u)
            || (0xE000..=0xFFFD).contains(&u)
            || u >= 0x10000)
    }) {
        return Err(format!(
            "character U+{:04X} is not allowed in XML 1.0",
            c as u32
        ));
    }
    let mut stack: Vec<&str> = Vec::new();
    let mut root: Option<String> = None;
    let mut rest = xml;
    while !rest.is_empty() {
        match rest.find('<') {
            Some(i) => {
                check_text(&rest[..i])?;
                if i > 0 && stack.is_empty() {
                    return Err("text outside the root element".into());
                }
                let end = rest[i..].find('>').ok_or("unterminated tag")? + i;
                let tag = &rest[i + 1..end];
                rest = &rest[end + 1..];
                if let Some(name) = tag.strip_prefix('/') {
                    match stack.pop() {
                        Some(open) if open == name => {}
                        other => return Err(format!("</{name}> closes {other:?}")),
                    }
                } else {
                    let self_closing = tag.ends_with('/');
                    let tag = tag.strip_suffix('/').unwrap_or(tag);
                    let name = tag.split(' ').next().unwrap_or_default();
                    if name.is_empty()
                        || !name.bytes().all(|b| {
                            b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'.' | b'-')
                        })
                        || name.as_bytes()[0].is_ascii_digit()
                    {
                        return Err(format!("bad element name in <{tag}>"));
                    }
                    let attrs = &tag[name.len()..];
                    if attrs.contains('<') || !attrs.matches('"').count().is_multiple_of(2) {
                        return Err(format!("bad attributes in <{tag}>"));
                    }
                    if stack.is_empty() {
                        if root.is_some() {
                            return Err("a second root element".into());
                        }
                        root = Some(name.to_owned());
                    }
                    if !self_closing {
                        stack.push(name);
                    }
                }
            }
            None => {
                if !rest.trim().is_empty() {
                    return Err("text after the root element".into());
                }
                break;
            }
        }
    }
    if let Some(open) = stack.pop() {
        return Err(format!("<{open}> is never closed"));
    }
    root.ok_or_else(|| "no root element".into())
}

fn check_text(text: &str) -> Result<(), String> {
    if text.contains('>') {
        // Allowed by XML, but the renderer always escapes it: a raw one means unescaped text.
        return Err(format!("unescaped '>' in text {text:?}"));
    }
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        let after = &rest[i + 1..];
        let end = after
            .find(';')
            .ok_or_else(|| format!("bare '&' in text {text:?}"))?;
        let entity = &after[..end];
        let ok = matches!(entity, "amp" | "lt" | "gt" | "quot" | "apos")
            || entity
                .strip_prefix("#x")
                .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
            || entity
                .strip_prefix('#')
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            return Err(format!("unknown entity &{entity}; in text {text:?}"));
        }
        rest = &after[end + 1..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes the generated seeds of `command_json` and `peer_bincode` (commands and
    /// requests as the API and the peer port carry them), from the forms that build the
    /// seeded state: `cargo test --lib -- --ignored write_seeds` in `fuzz/`.
    #[test]
    #[ignore]
    fn write_seeds() {
        use iam_raft::types::{Entry, EntryPayload, LeaderId, LogId, Requests, Vote};
        use openraft::vote::RaftLeaderId;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let commands: Vec<Command> = SEED_FORMS
            .iter()
            .filter_map(|form| {
                match iam_aws::route(ACCOUNT, None, &iam_aws::Params::from_form(form.as_bytes())) {
                    Ok(iam_aws::Call::Write(c)) => Some(c),
                    _ => None,
                }
            })
            .collect();
        let json = dir.join("command_json");
        std::fs::create_dir_all(&json).unwrap();
        for (i, c) in commands
            .iter()
            .enumerate()
            .filter(|(i, _)| [0, 4, 5, 10].contains(i))
        {
            std::fs::write(
                json.join(format!("seed-{i}.json")),
                serde_json::to_string(c).unwrap(),
            )
            .unwrap();
        }
        let query = iam_state::Query::in_account(
            ACCOUNT,
            iam_state::ops::users::UserQuery::Get {
                name: "alice".into(),
            },
        );
        std::fs::write(
            json.join("seed-query.json"),
            serde_json::to_string(&query).unwrap(),
        )
        .unwrap();
        let requests: Vec<Request> = commands
            .iter()
            .take(4)
            .map(|c| Request {
                request_token: Some("t".into()),
                time_ms: T0,
                command: c.clone(),
            })
            .collect();
        let peer = dir.join("peer_bincode");
        std::fs::create_dir_all(&peer).unwrap();
        std::fs::write(
            peer.join("forward-writes.bin"),
            bincode::serialize(&requests).unwrap(),
        )
        .unwrap();
        let log_id = |i| LogId::new(LeaderId::new(2, 1), i);
        let append = openraft::raft::AppendEntriesRequest::<iam_raft::types::TypeConfig> {
            vote: Vote::new_committed(2, 1),
            prev_log_id: Some(log_id(6)),
            entries: vec![
                Entry {
                    log_id: log_id(7),
                    payload: EntryPayload::Blank,
                },
                Entry {
                    log_id: log_id(8),
                    payload: EntryPayload::Normal(Requests(requests[1..3].to_vec())),
                },
            ],
            leader_commit: Some(log_id(7)),
        };
        std::fs::write(
            peer.join("append-entries.bin"),
            bincode::serialize(&append).unwrap(),
        )
        .unwrap();
        let vote = openraft::raft::VoteRequest::<iam_raft::types::TypeConfig> {
            vote: Vote::new(3, 2),
            last_log_id: Some(log_id(8)),
            leadership_transfer: false,
        };
        std::fs::write(peer.join("vote.bin"), bincode::serialize(&vote).unwrap()).unwrap();
    }

    #[test]
    fn the_seeded_state_builds() {
        assert!(seeded_store().len() > 20);
    }

    #[test]
    fn xml_checks_catch_what_they_should() {
        assert_eq!(
            check_xml("<a x=\"1\"><b>t &amp; u</b><c/></a>").unwrap(),
            "a"
        );
        assert!(check_xml("<a><b></a></b>").is_err());
        assert!(check_xml("<a>x < y</a>").is_err());
        assert!(check_xml("<a>x & y</a>").is_err());
        assert!(check_xml("<a>\u{1}</a>").is_err());
        assert!(check_xml("<a></a><b></b>").is_err());
        assert!(check_xml("<a>").is_err());
    }

    #[test]
    fn http_requests_read_like_the_suite_and_never_fail() {
        let (req, body) = http_request("POST /?a=b HTTP/1.1\nHost:x\n  y\n\nbody");
        assert_eq!(req.method, "POST");
        assert_eq!(req.path, "/");
        assert_eq!(req.query, "a=b");
        assert_eq!(req.headers, [("Host".to_owned(), "x   y".to_owned())]);
        assert_eq!(body, "body");
        let _ = http_request("");
        let _ = http_request(" \n\t\n:");
    }
}

/// How much memory peer messages can take per byte on the wire, and what a length prefix
/// claiming more than the message holds costs (`docs/fuzzing.md` quotes the numbers). Run
/// alone, since the allocation counter is global:
/// `cargo test --lib -- --ignored --nocapture --test-threads 1 decoding_costs`.
#[cfg(test)]
mod decoding_costs {
    use super::*;
    use iam_raft::types::{Entry, EntryPayload, LeaderId, LogId, TypeConfig, Vote};
    use openraft::vote::RaftLeaderId;

    #[global_allocator]
    static ALLOC: Counting = Counting;

    fn cost<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> (bool, usize) {
        let base = reset_peak();
        let ok = bincode::deserialize::<T>(bytes).is_ok();
        (ok, peak() - base)
    }

    #[test]
    #[ignore]
    fn decoding_costs() {
        // A Vec<Request> whose length prefix claims u64::MAX elements, with nothing after.
        let (ok, used) = cost::<Vec<Request>>(&u64::MAX.to_le_bytes());
        println!("Vec<Request> claiming 2^64-1 elements in 8 bytes: ok={ok}, peak {used} bytes");
        assert!(!ok && used <= 1 << 20);
        // One request whose string claims 2^40 bytes.
        let mut b = bincode::serialize(&vec![Request {
            request_token: Some(String::new()),
            time_ms: 0,
            command: Command::RotateTokenKey {
                sealed_key: String::new(),
            },
        }])
        .unwrap();
        let at = b.len() - 8;
        b[at..].copy_from_slice(&(1u64 << 40).to_le_bytes());
        let (ok, used) = cost::<Vec<Request>>(&b);
        println!("a string claiming 2^40 bytes: ok={ok}, peak {used} bytes");
        assert!(!ok && used <= 1 << 20);
        // Amplification: the smallest requests, many of them.
        let n = 100_000;
        let small = vec![
            Request {
                request_token: None,
                time_ms: 0,
                command: Command::RotateTokenKey {
                    sealed_key: String::new()
                },
            };
            n
        ];
        let b = bincode::serialize(&small).unwrap();
        let (ok, used) = cost::<Vec<Request>>(&b);
        println!(
            "ForwardWrites of {n} minimal requests: {} bytes on the wire, peak {used} bytes decoded ({:.1}x); size_of::<Request>() = {}",
            b.len(),
            used as f64 / b.len() as f64,
            std::mem::size_of::<Request>()
        );
        assert!(ok);
        let log_id = |i| LogId::new(LeaderId::new(1, 1), i);
        let append = openraft::raft::AppendEntriesRequest::<TypeConfig> {
            vote: Vote::new_committed(1, 1),
            prev_log_id: None,
            entries: (1..=n as u64)
                .map(|i| Entry {
                    log_id: log_id(i),
                    payload: EntryPayload::Blank,
                })
                .collect(),
            leader_commit: None,
        };
        let b = bincode::serialize(&append).unwrap();
        let (ok, used) = cost::<openraft::raft::AppendEntriesRequest<TypeConfig>>(&b);
        println!(
            "AppendEntries of {n} blank entries: {} bytes on the wire, peak {used} bytes decoded ({:.1}x)",
            b.len(),
            used as f64 / b.len() as f64
        );
        assert!(ok);
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = vec![(Vec::new(), Vec::new()); n];
        let b = bincode::serialize(&pairs).unwrap();
        let (ok, used) = cost::<Vec<(Vec<u8>, Vec<u8>)>>(&b);
        println!(
            "snapshot data of {n} empty pairs: {} bytes, peak {used} bytes decoded ({:.1}x)",
            b.len(),
            used as f64 / b.len() as f64
        );
        assert!(ok);
    }
}
