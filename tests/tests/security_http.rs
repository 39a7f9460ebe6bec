//! Attacks on request signing, the HTTP port, the sandbox, the token key ring and the data
//! files (issue 21), each run against a real 3-node cluster and required to be refused:
//! a body swapped under a signature (`UNSIGNED-PAYLOAD`, a lying `x-amz-content-sha256`),
//! `+`/duplicate-parameter smuggling, a request signed for another host (HTTP and gRPC),
//! session tokens sealed with a revoked key, file modes of every data file, and a
//! sandbox's fallbacks (deleted, deactivated and reset-away keys, unsigned GETs, browser
//! form posts, presigned URLs, DNS rebinding, browser resets).

use iam_auth::sigv4::{presign, sha256_hex, sign, SignedRequest, SigningParams};
use iam_client::Credentials;
use iam_proto::v1::GetCallerIdentityRequest;
use iamd_tests::{bin, free_port, within, Cluster};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// An HTTP/1.1 request about to be sent: what was signed (or not) and the body that goes
/// on the wire (an attacker may change it after signing).
struct Wire {
    req: SignedRequest,
    body: Vec<u8>,
}

/// A POST of a form body to `/`, with a `Host` of `host` and these extra headers.
fn post(host: &str, body: &str, extra: &[(&str, &str)]) -> Wire {
    let mut headers = vec![
        ("Host".to_owned(), host.to_owned()),
        ("Content-Type".to_owned(), FORM.to_owned()),
    ];
    headers.extend(
        extra
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
    );
    Wire {
        req: SignedRequest {
            method: "POST".into(),
            path: "/".into(),
            query: String::new(),
            headers,
            payload_sha256: Some(sha256_hex(body.as_bytes())),
        },
        body: body.as_bytes().to_vec(),
    }
}

/// A GET of `/?query` with a `Host` of `host`.
fn get(host: &str, query: &str) -> Wire {
    Wire {
        req: SignedRequest {
            method: "GET".into(),
            path: "/".into(),
            query: query.to_owned(),
            headers: vec![("Host".to_owned(), host.to_owned())],
            payload_sha256: Some(sha256_hex(b"")),
        },
        body: Vec::new(),
    }
}

fn params<'a>(creds: &'a Credentials, service: &'a str) -> SigningParams<'a> {
    SigningParams {
        access_key_id: &creds.access_key_id,
        secret_access_key: &creds.secret_access_key,
        session_token: creds.session_token.as_deref(),
        region: "eu-west-3",
        service,
        time_ms: now_ms(),
    }
}

impl Wire {
    /// Signs in the `Authorization` header, as an SDK does.
    fn signed(mut self, creds: &Credentials, service: &str) -> Self {
        sign(&mut self.req, &params(creds, service)).expect("sign");
        self
    }

    /// Signs in the query string (a presigned URL).
    fn presigned(mut self, creds: &Credentials, service: &str) -> Self {
        presign(&mut self.req, &params(creds, service), 300).expect("presign");
        self
    }

    fn body(mut self, body: &str) -> Self {
        self.body = body.as_bytes().to_vec();
        self
    }

    fn query(mut self, query: &str) -> Self {
        self.req.query = query.to_owned();
        self
    }

    /// Sends it to `addr` (`ip:port`) and returns the status and the body.
    async fn send(&self, addr: &str) -> (u16, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let target = if self.req.query.is_empty() {
            self.req.path.clone()
        } else {
            format!("{}?{}", self.req.path, self.req.query)
        };
        let mut out = format!("{} {target} HTTP/1.1\r\n", self.req.method).into_bytes();
        for (n, v) in &self.req.headers {
            out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "Content-Length: {}\r\nConnection: close\r\n\r\n",
                self.body.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(&self.body);
        let mut s = tokio::net::TcpStream::connect(addr)
            .await
            .unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
        s.write_all(&out).await.expect("send");
        let mut reply = Vec::new();
        tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut reply))
            .await
            .expect("reply within 20 s")
            .expect("read reply");
        let reply = String::from_utf8_lossy(&reply).into_owned();
        let status = reply
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (status, reply)
    }
}

fn http_addrs(c: &Cluster) -> Vec<String> {
    c.nodes.iter().map(|n| n.http.clone()).collect()
}

/// Whether user `name` exists, asked through iamctl (any node, linearizable).
fn user_exists(c: &mut Cluster, name: &str) -> bool {
    let (code, _, err) = c.iamctl(&["user", "get", name]);
    assert!(code == 0 || err.contains("NoSuchEntity"), "{err}");
    code == 0
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                iam_auth::sigv4::uri_encode(k.as_bytes(), false),
                iam_auth::sigv4::uri_encode(v.as_bytes(), false)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn create_user(name: &str) -> String {
    form(&[
        ("Action", "CreateUser"),
        ("UserName", name),
        ("Version", "2010-05-08"),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_swapped_under_a_valid_signature_is_refused() {
    within(Duration::from_secs(120), async {
        let mut c = Cluster::start(3).await;
        let root = c.root_credentials();
        let get_user = form(&[("Action", "GetUser"), ("Version", "2010-05-08")]);
        for (i, addr) in http_addrs(&c).iter().enumerate() {
            // The harness is sound: a signed request over its real body is served.
            let (status, reply) = post(addr, &get_user, &[])
                .signed(&root, "iam")
                .send(addr)
                .await;
            assert_eq!(status, 200, "{reply}");

            // Signed for GetUser with UNSIGNED-PAYLOAD, sent with a CreateUser body.
            let victim = format!("swapped{i}");
            let wire = post(
                addr,
                &get_user,
                &[("x-amz-content-sha256", "UNSIGNED-PAYLOAD")],
            )
            .signed(&root, "iam")
            .body(&create_user(&victim));
            let (status, reply) = wire.send(addr).await;
            assert_eq!(status, 403, "{reply}");
            assert!(
                reply.contains("SignatureDoesNotMatch") && reply.contains("UNSIGNED-PAYLOAD"),
                "{reply}"
            );

            // The header claims the signed body's hash; the body on the wire is another.
            let hash = sha256_hex(get_user.as_bytes());
            let wire = post(addr, &get_user, &[("x-amz-content-sha256", &hash)])
                .signed(&root, "iam")
                .body(&create_user(&victim));
            let (status, reply) = wire.send(addr).await;
            assert_eq!(status, 403, "{reply}");
            assert!(reply.contains("x-amz-content-sha256"), "{reply}");

            // The same for STS.
            let who = form(&[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")]);
            let wire = post(addr, &who, &[("x-amz-content-sha256", "UNSIGNED-PAYLOAD")])
                .signed(&root, "sts")
                .body(&form(&[
                    ("Action", "GetSessionToken"),
                    ("Version", "2011-06-15"),
                ]));
            let (status, reply) = wire.send(addr).await;
            assert_eq!(status, 403, "{reply}");
            assert!(!reply.contains("SessionToken"), "{reply}");

            assert!(!user_exists(&mut c, &victim), "{victim} was created");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plus_signs_and_repeated_parameters_cannot_change_what_runs() {
    within(Duration::from_secs(120), async {
        let mut c = Cluster::start(3).await;
        let root = c.root_credentials();
        let addrs = http_addrs(&c);
        let addr = &addrs[1];

        // A client signs a query whose tag value is `x+y` (`%2B`); an attacker resends it
        // with a raw `+`, which the form decoder reads as a space. The signature must not
        // cover the changed request.
        let signed_query = "Action=CreateUser&UserName=plus1&Tags.member.1.Key=team&Tags.member.1.Value=x%2By&Version=2010-05-08";
        let wire = get(addr, signed_query).signed(&root, "iam");
        let replayed = wire.query(&signed_query.replace("x%2By", "x+y"));
        let (status, reply) = replayed.send(addr).await;
        assert_eq!(status, 403, "{reply}");
        assert!(reply.contains("SignatureDoesNotMatch"), "{reply}");
        assert!(!user_exists(&mut c, "plus1"));
        // Signed as sent, a raw `+` is a space on both sides (here: an invalid name).
        let wire = get(addr, "Action=CreateUser&UserName=plus+2&Version=2010-05-08").signed(&root, "iam");
        let (status, reply) = wire.send(addr).await;
        assert_eq!(status, 400, "{reply}");
        assert!(reply.contains("ValidationError"), "{reply}");
        // And the honest request works, with its `+`.
        let wire = get(addr, signed_query).signed(&root, "iam");
        let (status, reply) = wire.send(addr).await;
        assert_eq!(status, 200, "{reply}");
        let tags = form(&[("Action", "ListUserTags"), ("UserName", "plus1"), ("Version", "2010-05-08")]);
        let (status, reply) = post(addr, &tags, &[]).signed(&root, "iam").send(addr).await;
        assert_eq!(status, 200, "{reply}");
        assert!(reply.contains("<Value>x+y</Value>"), "{reply}");

        // A parameter given twice is refused, wherever the two are, not run one way.
        for (query, body) in [
            // Query and body both name the action.
            (
                "Action=CreateUser&UserName=dup1&Version=2010-05-08",
                "Action=GetUser&UserName=dup1".to_owned(),
            ),
            ("", format!("{}&UserName=dup2", create_user("dup1"))),
            ("", format!("{}&User%4Eame=dup2", create_user("dup1"))),
        ] {
            let wire = post(addr, &body, &[]).query(query).signed(&root, "iam");
            let (status, reply) = wire.send(addr).await;
            assert_eq!(status, 404, "{query} {body}: {reply}");
            assert!(
                reply.contains("MalformedQueryString") && reply.contains("more than once"),
                "{reply}"
            );
        }
        assert!(!user_exists(&mut c, "dup1"));
        assert!(!user_exists(&mut c, "dup2"));

        // A POST whose body is not a form is refused (a browser's text/plain form).
        let wire = post(addr, &create_user("plain1"), &[]);
        let mut wire = wire;
        wire.req.headers[1].1 = "text/plain".into();
        let (status, reply) = wire.signed(&root, "iam").send(addr).await;
        assert_eq!(status, 415, "{reply}");
        assert!(!user_exists(&mut c, "plain1"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_signed_for_another_host_is_refused() {
    within(Duration::from_secs(120), async {
        let mut c = Cluster::start(3).await;
        let root = c.root_credentials();
        let addrs = http_addrs(&c);
        for (i, addr) in addrs.iter().enumerate() {
            let name = format!("elsewhere{i}");
            for host in ["iam.evil.example", "iam.evil.example:443"] {
                let (status, reply) = post(host, &create_user(&name), &[])
                    .signed(&root, "iam")
                    .send(addr)
                    .await;
                assert_eq!(status, 403, "{reply}");
                assert!(
                    reply.contains("SignatureDoesNotMatch") && reply.contains("--allowed-hosts"),
                    "{reply}"
                );
            }
            // Another node's address is not this node's name either.
            let other = &addrs[(i + 1) % addrs.len()];
            let (status, reply) = post(other, &create_user(&name), &[])
                .signed(&root, "iam")
                .send(addr)
                .await;
            assert_eq!(status, 403, "{reply}");
            assert!(!user_exists(&mut c, &name));
            // Its own address and `localhost` are.
            let port = addr.rsplit(':').next().unwrap();
            for host in [addr.clone(), format!("localhost:{port}")] {
                let wire = post(
                    &host,
                    &form(&[("Action", "GetUser"), ("Version", "2010-05-08")]),
                    &[],
                );
                let (status, reply) = wire.signed(&root, "iam").send(addr).await;
                assert_eq!(status, 200, "{host}: {reply}");
            }
        }

        // gRPC: a call whose :authority (signed as host) is another name.
        let api = c.node(2).api.clone();
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{api}"))
            .unwrap()
            .origin("http://iam.evil.example:7100".parse().unwrap())
            .connect()
            .await
            .unwrap();
        let signed = iam_client::Signed::new(
            channel,
            "iam.evil.example:7100".into(),
            Some(std::sync::Arc::new(root.clone())),
        );
        let err = iam_proto::v1::iam_client::IamClient::new(signed)
            .get_caller_identity(GetCallerIdentityRequest {})
            .await
            .unwrap_err();
        assert!(err.message().contains("not a name of this node"), "{err:?}");
        // The same call addressed to the node is served.
        let me = c.client_of(2);
        me.call_one(0, |mut iam, _| async move {
            iam.get_caller_identity(GetCallerIdentityRequest {}).await
        })
        .await
        .expect("served when addressed to the node");
    })
    .await;
}

/// GetCallerIdentity with `creds` on node `id`, over gRPC and over the HTTP port: Ok if
/// both serve it, Err with both refusals otherwise.
async fn whoami(c: &Cluster, id: u64, creds: &Credentials) -> Result<(), String> {
    let grpc = iam_client::Client::new(&[c.node(id).api_url()], Duration::from_secs(5))
        .unwrap()
        .with_credentials(creds.clone())
        .call_one(0, |mut iam, _| async move {
            iam.get_caller_identity(GetCallerIdentityRequest {}).await
        })
        .await;
    let addr = c.node(id).http.clone();
    let body = form(&[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")]);
    let (status, reply) = post(&addr, &body, &[])
        .signed(creds, "sts")
        .send(&addr)
        .await;
    match (grpc, status) {
        (Ok(_), 200) => Ok(()),
        (Err(e), s) if s != 200 => Err(format!("grpc: {e}; http {s}: {reply}")),
        (g, s) => panic!("the two ports disagree on node {id}: grpc {g:?}, http {s}: {reply}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_sealed_with_a_revoked_token_key_are_refused_on_every_node() {
    within(Duration::from_secs(150), async {
        let mut c = Cluster::start(3).await;
        let (code, out, err) = c.iamctl(&["-o", "json", "sts", "get-session-token"]);
        assert_eq!(code, 0, "{err}");
        let s: Value = serde_json::from_str(&out).unwrap();
        let session = Credentials {
            access_key_id: s["access_key_id"].as_str().unwrap().to_owned(),
            secret_access_key: s["secret_access_key"].as_str().unwrap().to_owned(),
            session_token: s["session_token"].as_str().map(str::to_owned),
        };
        // Sealed with key 1 (the bootstrap's). Rotating keeps it valid everywhere.
        let (code, out, err) = c.iamctl(&["-o", "json", "keyring", "rotate"]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            serde_json::from_str::<Value>(&out).unwrap()["current"],
            2,
            "{out}"
        );
        let (_, index) = c
            .client()
            .write(
                &iam_state::Command::RotateTokenKey {
                    sealed_key: String::new(),
                },
                &iam_client::Client::new_token(),
            )
            .await
            .unwrap();
        c.wait_converged(index, Duration::from_secs(10)).await;
        for id in 1..=3 {
            whoami(&c, id, &session)
                .await
                .unwrap_or_else(|e| panic!("node {id}: {e}"));
        }

        // The current key (3) cannot be revoked; an unknown one is named as such.
        let (code, _, err) = c.iamctl(&["keyring", "revoke", "3"]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("current key") && err.contains("rotate first"),
            "{err}"
        );
        let (code, _, err) = c.iamctl(&["keyring", "revoke", "9"]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("NoSuchEntity") && err.contains("1, 2, 3"),
            "{err}"
        );
        // Only the operator administers the ring.
        let (code, out, err) = c.iamctl(&["-o", "json", "user", "create", "ops"]);
        assert_eq!(code, 0, "{out}{err}");
        let (code, out, err) =
            c.iamctl(&["-o", "json", "access-key", "create", "--user-name", "ops"]);
        assert_eq!(code, 0, "{err}");
        let k: Value = serde_json::from_str(&out).unwrap();
        let ops = Credentials {
            access_key_id: k["access_key_id"].as_str().unwrap().to_owned(),
            secret_access_key: k["secret_access_key"].as_str().unwrap().to_owned(),
            session_token: None,
        };
        let (code, _, err) = c.iamctl_as(&ops, &["keyring", "revoke", "1"]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("AccessDenied"), "{err}");
        whoami(&c, 1, &session).await.expect("still valid");

        // Revoke key 1: on each node, as soon as it has applied the revoke, the session
        // is refused (no 36-hour wait).
        let started = Instant::now();
        let (v, index) = c
            .client()
            .write(
                &iam_state::Command::RevokeTokenKey { key_id: 1 },
                &iam_client::Client::new_token(),
            )
            .await
            .unwrap();
        assert_eq!(v["revoked"], 1, "{v}");
        for id in 1..=3 {
            loop {
                let applied = c.status(id).await.map_or(0, |s| s.applied_index);
                if applied >= index {
                    break;
                }
                assert!(started.elapsed() < Duration::from_secs(5), "node {id} lags");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let e = whoami(&c, id, &session)
                .await
                .expect_err("a session of a revoked key must be refused");
            assert!(
                e.contains("ExpiredToken") || e.contains("InvalidClientTokenId"),
                "{e}"
            );
        }
        eprintln!(
            "revoke effective on all 3 nodes {:?} after the call",
            started.elapsed()
        );
        // Newer sessions are unaffected.
        let (code, _, err) = c.iamctl(&["sts", "get-session-token"]);
        assert_eq!(code, 0, "{err}");
    })
    .await;
}

/// Every entry under `dir` with group or other permission bits. The nodes are running:
/// RocksDB and the journal remove files meanwhile, and a file gone is not too open.
fn too_open(dir: &Path, out: &mut Vec<String>) {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => panic!("{}: {e}", dir.display()),
    };
    let mode = meta.permissions().mode() & 0o7777;
    if meta.is_dir() {
        if mode != 0o700 {
            out.push(format!("{} {mode:o}", dir.display()));
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) => panic!("{}: {e}", dir.display()),
        };
        for e in entries.flatten() {
            too_open(&e.path(), out);
        }
    } else if mode & 0o077 != 0 {
        out.push(format!("{} {mode:o}", dir.display()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_files_are_the_owners_alone() {
    within(Duration::from_secs(150), async {
        let mut c = Cluster::start(3).await;
        for i in 0..20 {
            let (code, _, err) = c.iamctl(&["user", "create", &format!("u{i}")]);
            assert_eq!(code, 0, "{err}");
        }
        // A snapshot on every node (snapshot.bin) and the journal's files exist too.
        for id in 1..=3 {
            c.client_of(id)
                .call_one(0, |_, mut cluster| async move {
                    cluster.snapshot(iam_proto::v1::SnapshotRequest {}).await
                })
                .await
                .expect("snapshot");
        }
        let mut files = 0;
        let mut bad = Vec::new();
        for n in &c.nodes {
            too_open(&n.data_dir, &mut bad);
            files += walk_count(&n.data_dir);
            assert!(n.data_dir.join("snapshot.bin").exists() || has_snapshot(&n.data_dir));
        }
        assert!(
            files > 30,
            "only {files} files: the walk found nothing to check"
        );
        // The root credentials the bootstrap node wrote.
        let creds_mode = std::fs::metadata(c.credentials_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(creds_mode & 0o777, 0o600);
        assert!(bad.is_empty(), "readable by others: {bad:#?}");

        // An existing data dir left open (an older iamd, a careless copy) is narrowed when
        // the node opens it.
        c.stop(3);
        let dir = c.node(3).data_dir.clone();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let some_file = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.is_file())
            .unwrap();
        std::fs::set_permissions(&some_file, std::fs::Permissions::from_mode(0o644)).unwrap();
        c.start_node(3);
        c.wait_voters(3, Duration::from_secs(30)).await;
        let mut bad = Vec::new();
        too_open(&dir, &mut bad);
        assert!(bad.is_empty(), "not narrowed on open: {bad:#?}");
        assert!(c.log_of(3).contains("readable or writable by other users"));
    })
    .await;
}

fn walk_count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            if p.is_dir() {
                1 + walk_count(&p)
            } else {
                1
            }
        })
        .sum()
}

fn has_snapshot(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .contains("snapshot")
    })
}

/// `iamd dev --sandbox` with 3 nodes; stopped (SIGINT) on drop.
struct Sandbox {
    child: std::process::Child,
    _dir: tempfile::TempDir,
    http: Vec<String>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // SAFETY: SIGINT to our own child, which then stops its nodes.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn sandbox() -> Sandbox {
    let dir = tempfile::tempdir().unwrap();
    // Every port of the three nodes (base .. base+22) must be free, not just one.
    let base = loop {
        let base = free_port() / 100 * 100;
        if (base..base + 23).all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()) {
            break base;
        }
    };
    let child = Command::new(bin("iamd"))
        .args([
            "dev",
            "--sandbox",
            "--nodes",
            "3",
            "--base-port",
            &base.to_string(),
            "--dir",
        ])
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("dev.err")).unwrap())
        .spawn()
        .unwrap();
    let mut sb = Sandbox {
        child,
        http: Vec::new(),
        _dir: dir,
    };
    let cluster_json: PathBuf = sb._dir.path().join("cluster.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cluster_json.exists() {
        assert!(
            matches!(sb.child.try_wait(), Ok(None)),
            "iamd dev --sandbox exited early: {}",
            std::fs::read_to_string(sb._dir.path().join("dev.err")).unwrap_or_default()
        );
        assert!(
            Instant::now() < deadline,
            "cluster.json not written within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&cluster_json).unwrap()).unwrap();
    sb.http = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            n["http"]
                .as_str()
                .unwrap()
                .trim_start_matches("http://")
                .to_owned()
        })
        .collect();
    sb
}

fn made_up() -> Credentials {
    Credentials {
        access_key_id: "AKIAANYTHINGATALL000".into(),
        secret_access_key: "whatever".into(),
        session_token: None,
    }
}

/// The XML element `name`'s text in `reply`.
fn element(reply: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let start = reply
        .find(&open)
        .unwrap_or_else(|| panic!("no {name} in {reply}"))
        + open.len();
    let end = reply[start..].find(&format!("</{name}>")).unwrap() + start;
    reply[start..end].to_owned()
}

/// Runs a Query API call on `addr` signed with `creds`; status and reply.
async fn call(addr: &str, creds: &Credentials, pairs: &[(&str, &str)]) -> (u16, String) {
    let mut all = pairs.to_vec();
    all.push(("Version", "2010-05-08"));
    post(addr, &form(&all), &[])
        .signed(creds, "iam")
        .send(addr)
        .await
}

async fn sandbox_user_exists(addr: &str, name: &str) -> bool {
    let (status, reply) = call(
        addr,
        &made_up(),
        &[("Action", "GetUser"), ("UserName", name)],
    )
    .await;
    assert!(status == 200 || reply.contains("NoSuchEntity"), "{reply}");
    status == 200
}

/// `creds` (a key just deactivated or deleted) trying CreateUser on `addr`: refused with
/// InvalidClientTokenId once the node has applied the change; before that the key is still
/// `app` (AccessDenied). Never the sandbox user.
async fn refused_once_replicated(addr: &str, creds: &Credentials, user: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, reply) =
            call(addr, creds, &[("Action", "CreateUser"), ("UserName", user)]).await;
        assert_eq!(status, 403, "{reply}");
        if reply.contains("InvalidClientTokenId") {
            return;
        }
        assert!(reply.contains("AccessDenied"), "{reply}");
        assert!(Instant::now() < deadline, "{addr} never applied the change");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_lets_only_never_issued_keys_act_as_its_user() {
    within(Duration::from_secs(180), async {
        let sb = sandbox().await;
        let (a, b) = (sb.http[0].clone(), sb.http[2].clone());
        // Made-up credentials act as the sandbox user (what the sandbox is for).
        let (status, reply) = call(
            &a,
            &made_up(),
            &[("Action", "CreateUser"), ("UserName", "app")],
        )
        .await;
        assert_eq!(status, 200, "{reply}");
        let (status, reply) = call(
            &a,
            &made_up(),
            &[("Action", "CreateAccessKey"), ("UserName", "app")],
        )
        .await;
        assert_eq!(status, 200, "{reply}");
        let app = Credentials {
            access_key_id: element(&reply, "AccessKeyId"),
            secret_access_key: element(&reply, "SecretAccessKey"),
            session_token: None,
        };
        // A known key is itself: `app` has no policy. Until node 3 has the key it answers
        // InvalidClientTokenId (the id is this cluster's), never the sandbox user.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (status, reply) =
                call(&b, &app, &[("Action", "CreateUser"), ("UserName", "x1")]).await;
            assert_eq!(status, 403, "{reply}");
            if reply.contains("AccessDenied") {
                break;
            }
            assert!(reply.contains("InvalidClientTokenId"), "{reply}");
            assert!(Instant::now() < deadline, "node 3 never learned the key");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // A known key with a wrong secret is refused, not the sandbox user.
        let wrong = Credentials {
            secret_access_key: "not-the-secret".into(),
            ..app.clone()
        };
        let (status, reply) =
            call(&b, &wrong, &[("Action", "CreateUser"), ("UserName", "x2")]).await;
        assert_eq!(status, 403, "{reply}");

        // Deactivated: refused on every node, never the sandbox user.
        let (status, reply) = call(
            &a,
            &made_up(),
            &[
                ("Action", "UpdateAccessKey"),
                ("UserName", "app"),
                ("AccessKeyId", &app.access_key_id),
                ("Status", "Inactive"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{reply}");
        for addr in &sb.http {
            refused_once_replicated(addr, &app, "x3").await;
        }
        // Deleted: the same.
        let (status, reply) = call(
            &a,
            &made_up(),
            &[
                ("Action", "DeleteAccessKey"),
                ("UserName", "app"),
                ("AccessKeyId", &app.access_key_id),
            ],
        )
        .await;
        assert_eq!(status, 200, "{reply}");
        for addr in &sb.http {
            refused_once_replicated(addr, &app, "x4").await;
        }
        // A key issued before a reset wiped it is still this cluster's: refused.
        let (status, reply) = call(
            &a,
            &made_up(),
            &[("Action", "CreateAccessKey"), ("UserName", "app")],
        )
        .await;
        assert_eq!(status, 200, "{reply}");
        let before_reset = Credentials {
            access_key_id: element(&reply, "AccessKeyId"),
            secret_access_key: element(&reply, "SecretAccessKey"),
            session_token: None,
        };
        let (status, reply) = post(&a, "", &[])
            .send_to_path(&a, "/_iamd/sandbox/reset")
            .await;
        assert_eq!(status, 200, "{reply}");
        let (status, reply) = call(
            &b,
            &before_reset,
            &[("Action", "CreateUser"), ("UserName", "x5")],
        )
        .await;
        assert_eq!(status, 403, "{reply}");
        for n in ["x1", "x2", "x3", "x4", "x5"] {
            assert!(!sandbox_user_exists(&a, n).await, "{n} was created");
        }
    })
    .await;
}

impl Wire {
    async fn send_to_path(mut self, addr: &str, path: &str) -> (u16, String) {
        self.req.path = path.to_owned();
        self.send(addr).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_page_cannot_drive_a_sandbox() {
    within(Duration::from_secs(180), async {
        let sb = sandbox().await;
        let a = sb.http[0].clone();
        // An <img src> or link: an unsigned GET.
        let (status, reply) = get(&a, "Action=CreateUser&UserName=csrf1&Version=2010-05-08")
            .send(&a)
            .await;
        assert_eq!(status, 403, "{reply}");
        assert!(reply.contains("MissingAuthenticationToken"), "{reply}");
        // A cross-site <form method=post>: a form body, an Origin, no Authorization.
        let (status, reply) = post(
            &a,
            &create_user("csrf2"),
            &[("Origin", "http://evil.example")],
        )
        .send(&a)
        .await;
        assert_eq!(status, 403, "{reply}");
        // A presigned URL with a made-up key (a GET a page can embed).
        let (status, reply) = get(&a, "Action=CreateUser&UserName=csrf3&Version=2010-05-08")
            .presigned(&made_up(), "iam")
            .send(&a)
            .await;
        assert_eq!(status, 403, "{reply}");
        assert!(reply.contains("InvalidClientTokenId"), "{reply}");
        // A page that reached the port through its own DNS name (rebinding), even signed.
        let (status, reply) = post("rebind.evil.example:80", &create_user("csrf4"), &[])
            .signed(&made_up(), "iam")
            .send(&a)
            .await;
        assert_eq!(status, 403, "{reply}");
        // A browser's signed-looking request still carries its Origin.
        let (status, reply) = post(
            &a,
            &create_user("csrf5"),
            &[("Origin", "http://evil.example")],
        )
        .signed(&made_up(), "iam")
        .send(&a)
        .await;
        assert_eq!(status, 403, "{reply}");
        // Reset: a browser (Origin / Sec-Fetch-Site) or a foreign Host is refused; curl works.
        for wire in [
            post(&a, "", &[("Origin", "http://evil.example")]),
            post(&a, "", &[("Sec-Fetch-Site", "cross-site")]),
            post("rebind.evil.example", "", &[]),
        ] {
            let (status, reply) = wire.send_to_path(&a, "/_iamd/sandbox/reset").await;
            assert_eq!(status, 403, "{reply}");
        }
        let (status, reply) = call(
            &a,
            &made_up(),
            &[("Action", "CreateUser"), ("UserName", "kept")],
        )
        .await;
        assert_eq!(status, 200, "{reply}");
        assert!(
            sandbox_user_exists(&a, "kept").await,
            "a refused reset wiped the state"
        );
        for n in ["csrf1", "csrf2", "csrf3", "csrf4", "csrf5"] {
            assert!(!sandbox_user_exists(&a, n).await, "{n} was created");
        }
        let mut curl = get(&a, "");
        curl.req.method = "POST".into();
        let (status, reply) = curl.send_to_path(&a, "/_iamd/sandbox/reset").await;
        assert_eq!(status, 200, "{reply}");
        assert!(!sandbox_user_exists(&a, "kept").await);
    })
    .await;
}
