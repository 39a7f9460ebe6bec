//! Console-style sign-in with real processes: `iamctl login` (account id or alias, user,
//! password, MFA code) against a 3-node cluster saves session credentials that iamctl then
//! uses on another node; passwords that must change, the password policy on the new one,
//! MFA with the QR code from `mfa create-virtual --outfile`, replayed codes, and failed
//! sign-ins limited across the whole cluster.

use iam_state::ops::mfa::totp;
use iamd_tests::{bin, give_input, within, Cluster};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const READ_AND_CHANGE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}"#;

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// Runs iamctl with no credentials at all, `stdin` written to it, the AWS credentials file
/// `creds` and `AWS_PROFILE` = `profile` (if any); against the nodes `nodes`.
fn iamctl_plain(
    c: &mut Cluster,
    nodes: &[u64],
    creds: &Path,
    profile: Option<&str>,
    args: &[&str],
    stdin: &str,
) -> (i32, String, String) {
    let eps: Vec<String> = nodes.iter().map(|id| c.node(*id).api_url()).collect();
    let mut cmd = Command::new(bin("iamctl"));
    cmd.arg("--endpoints")
        .arg(eps.join(","))
        .args(args)
        .env_remove("IAMCTL_CONFIG")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env("AWS_SHARED_CREDENTIALS_FILE", creds)
        .env("HOME", "/nonexistent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match profile {
        Some(p) => cmd.env("AWS_PROFILE", p),
        None => cmd.env_remove("AWS_PROFILE"),
    };
    let mut child = cmd.spawn().expect("run iamctl");
    give_input(&mut child, stdin);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(c: &mut Cluster, args: &[&str]) -> String {
    let (code, out, err) = c.iamctl(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

/// Enables a new virtual MFA device (`mfa create-virtual`'s JSON) for `owner` with the
/// codes of the two previous steps, so the current step's code is still unused; returns
/// its serial number and seed.
fn enable(c: &mut Cluster, device: &Value, owner: &[&str]) -> (String, Vec<u8>) {
    let serial = device["serial_number"].as_str().unwrap().to_owned();
    let seed = totp::base32_decode(device["base32_string_seed"].as_str().unwrap()).unwrap();
    let step = totp::step_of(now_ms());
    let (c1, c2) = (
        totp::code_at(&seed, step - 2),
        totp::code_at(&seed, step - 1),
    );
    let mut args = vec!["mfa", "enable"];
    args.extend_from_slice(owner);
    args.extend([
        "--serial-number",
        &serial,
        "--authentication-code1",
        &c1,
        "--authentication-code2",
        &c2,
    ]);
    ok(c, &args);
    (serial, seed)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_with_password_and_mfa_saves_session_credentials() {
    within(Duration::from_secs(180), async {
        let mut c = Cluster::start(3).await;
        let account = c.account.clone();
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("credentials");
        std::fs::write(
            &creds,
            "# kept\n[default]\naws_access_key_id = AKIAKEEP\naws_secret_access_key = keep\n",
        )
        .unwrap();
        ok(&mut c, &["account", "set-alias", "--alias", "acme-login"]);
        ok(
            &mut c,
            &[
                "password-policy",
                "update",
                "--minimum-password-length",
                "10",
                "--allow-users-to-change-password",
                "--password-reuse-prevention",
                "2",
            ],
        );
        for user in ["alice", "bob"] {
            ok(&mut c, &["user", "create", user]);
            ok(
                &mut c,
                &[
                    "policy",
                    "put-inline",
                    "--user",
                    user,
                    "--policy-name",
                    "read",
                    "--policy-document",
                    READ_AND_CHANGE,
                ],
            );
        }
        ok(
            &mut c,
            &[
                "login-profile",
                "create",
                "--user-name",
                "alice",
                "--password",
                "Start-pass-1",
                "--password-reset-required",
            ],
        );
        ok(
            &mut c,
            &[
                "login-profile",
                "create",
                "--user-name",
                "bob",
                "--password",
                "Bobs-pass-12",
            ],
        );
        let login = |user: &str, account: String, extra: &[&str]| {
            let mut a = vec![
                "-o".to_owned(),
                "json".to_owned(),
                "--account".to_owned(),
                account,
                "login".to_owned(),
                "--user-name".to_owned(),
                user.to_owned(),
                "--password-stdin".to_owned(),
                "--save-as".to_owned(),
                "work".to_owned(),
            ];
            a.extend(extra.iter().map(|s| (*s).to_owned()));
            a
        };
        let run = |c: &mut Cluster, nodes: &[u64], args: &[String], stdin: &str| {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            iamctl_plain(c, nodes, &creds, None, &refs, stdin)
        };

        // Wrong password, unknown user, unknown account: one answer, exit 1.
        for (user, acct, pw) in [
            ("alice", "acme-login", "Wrong-pass-1\n"),
            ("mallory", "acme-login", "Start-pass-1\n"),
            ("alice", "999999999999", "Start-pass-1\n"),
        ] {
            let (code, _, err) = run(&mut c, &[1], &login(user, acct.into(), &[]), pw);
            assert_eq!(code, 1, "{err}");
            assert!(
                err.contains("AccessDenied") && err.contains("incorrect"),
                "{err}"
            );
        }
        // The password must change first; the new one must meet the policy and differ.
        let (code, _, err) = run(
            &mut c,
            &[2],
            &login("alice", "acme-login".into(), &[]),
            "Start-pass-1\n",
        );
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("must be changed"), "{err}");
        let changing = login("alice", "acme-login".into(), &["--new-password"]);
        let (code, _, err) = run(&mut c, &[2], &changing, "Start-pass-1\nshort\n");
        assert_eq!(
            (code, err.contains("PasswordPolicyViolation")),
            (1, true),
            "{err}"
        );
        let (code, _, err) = run(&mut c, &[2], &changing, "Start-pass-1\nStart-pass-1\n");
        assert_eq!(
            (code, err.contains("PasswordReusePrevention")),
            (1, true),
            "{err}"
        );
        let (code, out, err) = run(&mut c, &[2], &changing, "Start-pass-1\nSecond-pass-22\n");
        assert_eq!(code, 0, "{err}");
        let v = json(&out);
        assert_eq!(v["arn"], format!("arn:aws:iam::{account}:user/alice"));
        assert_eq!(v["password_changed"], true);
        assert_eq!(v["mfa_authenticated"], false);
        // Saved as [work], the rest of the file kept, readable by the owner only.
        let text = std::fs::read_to_string(&creds).unwrap();
        assert!(
            text.starts_with("# kept\n[default]\naws_access_key_id = AKIAKEEP"),
            "{text}"
        );
        let saved = iam_client::Credentials::from_file_text(&text, "work").unwrap();
        assert!(saved.access_key_id.starts_with("ASIA") && saved.session_token.is_some());
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&creds).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // iamctl uses the saved session on another node: alice, with her own policies.
        let (code, out, err) = iamctl_plain(
            &mut c,
            &[3],
            &creds,
            Some("work"),
            &["-o", "json", "sts", "get-caller-identity"],
            "",
        );
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            json(&out)["arn"],
            format!("arn:aws:iam::{account}:user/alice")
        );
        let (code, _, err) =
            iamctl_plain(&mut c, &[3], &creds, Some("work"), &["user", "list"], "");
        assert_eq!(code, 0, "{err}");
        let (code, _, err) = iamctl_plain(
            &mut c,
            &[3],
            &creds,
            Some("work"),
            &["user", "create", "eve"],
            "",
        );
        assert_eq!((code, err.contains("AccessDenied")), (1, true), "{err}");
        // The old password no longer signs in; the new one does, with no change needed.
        let (code, _, err) = run(
            &mut c,
            &[3],
            &login("alice", account.clone(), &[]),
            "Start-pass-1\n",
        );
        assert_eq!(code, 1, "{err}");
        let (code, _, err) = run(
            &mut c,
            &[3],
            &login("alice", account.clone(), &[]),
            "Second-pass-22\n",
        );
        assert_eq!(code, 0, "{err}");

        // MFA: a device created with its QR code PNG, enabled for alice.
        let png = dir.path().join("qr.png");
        let png_arg = png.display().to_string();
        let out = ok(
            &mut c,
            &[
                "-o",
                "json",
                "mfa",
                "create-virtual",
                "--name",
                "alice-phone",
                "--outfile",
                &png_arg,
                "--bootstrap-method",
                "QRCodePNG",
            ],
        );
        let device = json(&out);
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG file");
        let (serial, seed) = enable(&mut c, &device, &["--user-name", "alice"]);
        let (code, _, err) = run(
            &mut c,
            &[1],
            &login("alice", "acme-login".into(), &[]),
            "Second-pass-22\n",
        );
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("MFA code") && err.contains(&serial), "{err}");
        let code_now = totp::code_at(&seed, totp::step_of(now_ms()));
        let with_code = login("alice", "acme-login".into(), &["--mfa-code", &code_now]);
        let (code, out, err) = run(&mut c, &[1], &with_code, "Second-pass-22\n");
        assert_eq!(code, 0, "{err}");
        assert_eq!(json(&out)["mfa_authenticated"], true);
        // The same code again, through another node: refused.
        let (code, _, err) = run(&mut c, &[2], &with_code, "Second-pass-22\n");
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("MultiFactorAuthentication failed"), "{err}");

        // Failed sign-ins are limited across the cluster: five wrong passwords spread over
        // the nodes, then even the right one is refused on a node that saw none of them.
        for i in 0..5u64 {
            let (code, _, err) = run(
                &mut c,
                &[1 + i % 2],
                &login("bob", account.clone(), &[]),
                "Wrong-pass-99\n",
            );
            assert_eq!(code, 1, "{err}");
        }
        let (code, _, err) = run(
            &mut c,
            &[3],
            &login("bob", account.clone(), &[]),
            "Bobs-pass-12\n",
        );
        // The same answer as a wrong password: the lock does not tell that bob exists.
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("AccessDenied") && err.contains("incorrect"),
            "{err}"
        );

        // The root's own MFA device: enabled with `--root`, then a root session with MFA.
        let out = ok(
            &mut c,
            &[
                "-o",
                "json",
                "mfa",
                "create-virtual",
                "--name",
                "root-account-mfa-device",
            ],
        );
        let (root_serial, root_seed) = enable(&mut c, &json(&out), &["--root"]);
        let listed = json(&ok(&mut c, &["-o", "json", "mfa", "list", "--root"]));
        assert_eq!(
            listed["items"][0]["serial_number"],
            root_serial.as_str(),
            "{listed}"
        );
        let got = json(&ok(
            &mut c,
            &[
                "-o",
                "json",
                "mfa",
                "get",
                "--root",
                "--serial-number",
                &root_serial,
            ],
        ));
        assert_eq!(got["serial_number"], root_serial.as_str(), "{got}");
        assert!(got["enable_ms"].as_u64().is_some(), "{got}");
        assert!(
            got.get("seed").is_none(),
            "a device's seed is never shown: {got}"
        );
        let summary = json(&ok(&mut c, &["-o", "json", "account", "summary"]));
        assert_eq!(summary["AccountMFAEnabled"], 1, "{summary}");
        let root_code = totp::code_at(&root_seed, totp::step_of(now_ms()));
        let out = ok(
            &mut c,
            &[
                "-o",
                "json",
                "sts",
                "get-session-token",
                "--serial-number",
                &root_serial,
                "--token-code",
                &root_code,
            ],
        );
        let session = json(&out);
        let root_mfa = iam_client::Credentials {
            access_key_id: session["access_key_id"].as_str().unwrap().to_owned(),
            secret_access_key: session["secret_access_key"].as_str().unwrap().to_owned(),
            session_token: session["session_token"].as_str().map(str::to_owned),
        };
        let (code, out, err) =
            c.iamctl_as(&root_mfa, &["-o", "json", "sts", "get-caller-identity"]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(json(&out)["arn"], format!("arn:aws:iam::{account}:root"));
        // A user's session cannot touch the root's devices.
        let (code, _, err) = iamctl_plain(
            &mut c,
            &[1],
            &creds,
            Some("work"),
            &["mfa", "list", "--root"],
            "",
        );
        assert_eq!((code, err.contains("AccessDenied")), (1, true), "{err}");

        // Bad input: no account, a malformed MFA code, no password on stdin.
        let (code, _, err) = iamctl_plain(
            &mut c,
            &[1],
            &creds,
            None,
            &["login", "--user-name", "alice", "--password-stdin"],
            "x\n",
        );
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("--account"), "{err}");
        let bad = login("alice", account.clone(), &["--mfa-code", "12ab"]);
        let (code, _, err) = run(&mut c, &[1], &bad, "Second-pass-22\n");
        assert_eq!(code, 2, "{err}");
        let (code, _, err) = run(&mut c, &[1], &login("alice", account.clone(), &[]), "");
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("standard input ended"), "{err}");
    })
    .await;
}
