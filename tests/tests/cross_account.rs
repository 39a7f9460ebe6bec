//! AssumeRole across accounts with real processes: the role's trust policy (naming the
//! caller's account or ARN) and an identity policy of the caller must both allow it, and the
//! session then acts in the role's account. GetAccessKeyInfo finds a key of another account.

use iam_client::Credentials;
use iamd_tests::iamctl::{all_ok, as_user, json, until_ok, user_with_key};
use iamd_tests::{within, Cluster};
use std::time::Duration;

const LIST_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#;

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// AssumeRole across accounts: the role's trust policy (by account or ARN) and an identity
/// policy of the caller must both allow it; the session then acts in the role's account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_account_assume_role_needs_trust_and_identity() {
    within(Duration::from_secs(150), async {
        let mut c = Cluster::start(3).await;
        let home = c.account.clone();
        let (code, out, err) = c.iamctl(&[
            "-o", "json", "account", "create", "--name", "partner", "--email", "p@example.com",
        ]);
        assert_eq!(code, 0, "{err}");
        let partner = json(&out)["id"].as_str().unwrap().to_owned();
        let amy = user_with_key(&mut c, None, "amy");
        let ned = user_with_key(&mut c, None, "ned");
        let ned_arn = format!("arn:aws:iam::{home}:user/ned");
        let by_account = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{home}:root"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"ext-1"}}}}}}]}}"#
        );
        let by_arn = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{ned_arn}"}},"Action":"sts:AssumeRole"}}]}}"#
        );
        let auditor = format!("arn:aws:iam::{partner}:role/auditor");
        let may_assume = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{auditor}"}}]}}"#
        );
        all_ok(
            &mut c,
            &[
                &["--account", &partner, "role", "create", "auditor", "--assume-role-policy-document", &by_account][..],
                &["--account", &partner, "policy", "put-inline", "--role", "auditor", "--policy-name", "read", "--policy-document", LIST_ONLY][..],
                &["--account", &partner, "role", "create", "named", "--assume-role-policy-document", &by_arn][..],
                &["--account", &partner, "user", "create", "partner-user"][..],
                &["policy", "put-inline", "--user", "amy", "--policy-name", "cross", "--policy-document", &may_assume][..],
            ],
        );
        let assume = |role: &str, extra: &[&str]| -> Vec<String> {
            let mut a: Vec<String> = ["-o", "json", "sts", "assume-role", "--role-arn", role]
                .iter()
                .map(|s| (*s).to_owned())
                .collect();
            a.extend(extra.iter().map(|s| (*s).to_owned()));
            a
        };
        let amy_in = assume(&auditor, &["--external-id", "ext-1"]);
        let out = until_ok(&mut c, &amy, &strs(&amy_in), "amy's cross-account policy");
        let s = json(&out);
        assert_eq!(
            s["assumed_role_arn"],
            format!("arn:aws:sts::{partner}:assumed-role/auditor/iamctl")
        );
        let session = Credentials {
            access_key_id: s["access_key_id"].as_str().unwrap().to_owned(),
            secret_access_key: s["secret_access_key"].as_str().unwrap().to_owned(),
            session_token: s["session_token"].as_str().map(str::to_owned),
        };
        // The session is the partner account's: it lists the partner's users, nothing more.
        let (code, out, err) = c.iamctl_as(&session, &["-o", "json", "user", "list"]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("partner-user") && !out.contains("\"amy\""), "{out}");
        let (code, _, err) = c.iamctl_as(&session, &["user", "create", "x"]);
        assert_eq!((code, err.contains("AccessDenied")), (1, true), "{err}");
        let (code, out, err) = c.iamctl_as(&session, &["-o", "json", "sts", "get-caller-identity"]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(json(&out)["account"], partner.as_str());
        // Without the ExternalId the trust policy asks for: refused.
        let no_ext = assume(&auditor, &[]);
        let (code, _, err) = as_user(&mut c, &amy, &strs(&no_ext));
        assert_eq!((code, err.contains("AccessDenied")), (1, true), "{err}");
        // Trusted by the account, but no identity policy of ned's allows it: refused.
        let ned_in = assume(&auditor, &["--external-id", "ext-1"]);
        let (code, _, err) = as_user(&mut c, &ned, &strs(&ned_in));
        assert_eq!((code, err.contains("AccessDenied")), (1, true), "{err}");
        // Even named by ARN in the trust policy: across accounts the identity side must
        // allow it too.
        let named = format!("arn:aws:iam::{partner}:role/named");
        let ned_named = assume(&named, &[]);
        let (code, _, err) = as_user(&mut c, &ned, &strs(&ned_named));
        assert_eq!((code, err.contains("AccessDenied")), (1, true), "{err}");

        // GetAccessKeyInfo names the account of a key of any account, as AWS does; a
        // caller needs sts:GetAccessKeyInfo (amy has only sts:AssumeRole).
        let pk = user_with_key(&mut c, Some(&partner), "pk");
        let info = ["-o", "json", "sts", "get-access-key-info", "--access-key-id"];
        let (code, out, err) = c.iamctl(&[&info[..], &[pk.access_key_id.as_str()]].concat());
        assert_eq!(code, 0, "{err}");
        assert_eq!(json(&out)["account"], partner.as_str());
        let (code, _, err) = as_user(&mut c, &amy, &[&info[..], &[pk.access_key_id.as_str()]].concat());
        assert_eq!((code, err.contains("AccessDenied")), (1, true), "{err}");
        let (code, _, err) = c.iamctl(&[&info[..], &["AKIAQQQQQQQQQQQQQQQQ"]].concat());
        assert_eq!((code, err.contains("InvalidClientTokenId")), (1, true), "{err}");
    })
    .await;
}
