//! OpenID Connect providers: refused until the cluster runs release 4; then created once per
//! URL and account, read back without the scheme, client ids and thumbprints changed with
//! AWS's idempotent semantics, tagged like other resources, at most 100 per account, gone
//! after a sandbox reset. Every rejection leaves the state hash unchanged (`World::rejects`).

use super::*;
use iam_model::Tag;
use iam_state::ops::oidc_providers::{self, OidcProviderOp, OidcProviderQuery};
use serde_json::json;

const URL: &str = "https://token.example.com/realms/main";
const ARN: &str = "arn:aws:iam::123456789012:oidc-provider/token.example.com/realms/main";

fn tag(k: &str, v: &str) -> Tag {
    Tag {
        key: k.into(),
        value: v.into(),
    }
}

fn thumb(c: char) -> String {
    c.to_string().repeat(40)
}

fn create(url: &str) -> OidcProviderOp {
    OidcProviderOp::Create {
        url: url.into(),
        client_id_list: vec!["app-1".into()],
        thumbprint_list: vec![thumb('a')],
        tags: vec![],
    }
}

fn finalized(release: u32) -> World {
    let mut w = World::new();
    w.command(T0, Command::FinalizeRelease { release }).unwrap();
    w
}

fn get(w: &World, arn: &str) -> iam_model::IamResult<Value> {
    w.q(OidcProviderQuery::Get {
        provider_arn: arn.into(),
    })
}

fn arns(w: &World, account: &str) -> Value {
    w.q_in(account, OidcProviderQuery::List {}).unwrap()["items"].clone()
}

#[test]
fn providers_are_refused_before_release_4_with_nothing_changed() {
    let mut w = finalized(3);
    let m = w.rejects(T0, create(URL), ErrorCode::ValidationError);
    assert!(
        m.contains("CreateOpenIDConnectProvider needs the cluster to run release 4")
            && m.contains("finalize the upgrade first"),
        "{m}"
    );
    // Every op is gated, whatever its input.
    w.rejects(
        T0,
        OidcProviderOp::Delete {
            provider_arn: ARN.into(),
        },
        ErrorCode::ValidationError,
    );
    assert_eq!(arns(&w, A), json!([]));
    w.command(
        T0,
        Command::FinalizeRelease {
            release: iam_state::release::OIDC_PROVIDERS,
        },
    )
    .unwrap();
    w.ok(T0, create(URL));
    assert_eq!(arns(&w, A), json!([{"arn": ARN}]));
}

#[test]
fn a_provider_is_created_read_changed_and_deleted_as_aws_does() {
    let mut w = finalized(4);
    let created = w.ok(
        T0,
        OidcProviderOp::Create {
            url: URL.into(),
            client_id_list: vec!["app-1".into(), "app-2".into(), "app-1".into()],
            thumbprint_list: vec![thumb('A'), thumb('b')],
            tags: vec![tag("team", "id"), tag("env", "prod")],
        },
    );
    assert_eq!(
        created,
        json!({"arn": ARN, "tags": [{"key": "team", "value": "id"}, {"key": "env", "value": "prod"}]})
    );
    assert_eq!(
        get(&w, ARN).unwrap(),
        json!({
            "account": A,
            "arn": ARN,
            "url": "token.example.com/realms/main",
            "client_ids": ["app-1", "app-2"],
            "thumbprints": [thumb('a'), thumb('b')],
            "created_ms": T0,
            "tags": [{"key": "team", "value": "id"}, {"key": "env", "value": "prod"}],
        })
    );
    // The typed lookup AssumeRoleWithWebIdentity will use.
    let p = oidc_providers::by_arn(&w.s, ARN).expect("the provider");
    assert_eq!(p.client_ids, ["app-1", "app-2"]);
    assert!(oidc_providers::by_arn(&w.s, &format!("{ARN}/other")).is_none());
    assert!(oidc_providers::by_arn(&w.s, "arn:aws:iam::123456789012:user/alice").is_none());

    // The same URL again: AWS's EntityAlreadyExists, naming the URL.
    let m = w.rejects(T0, create(URL), ErrorCode::EntityAlreadyExists);
    assert_eq!(m, format!("Provider with url {URL} already exists."));
    // Another account has its own providers.
    w.exec_in(B, T0, create(URL)).unwrap();
    assert_eq!(
        arns(&w, B),
        json!([{"arn": "arn:aws:iam::210987654321:oidc-provider/token.example.com/realms/main"}])
    );

    // Client ids: adding a present one and removing an absent one change nothing.
    let before = state_hash(&w.s);
    let add = |id: &str| OidcProviderOp::AddClientId {
        provider_arn: ARN.into(),
        client_id: id.into(),
    };
    let remove = |id: &str| OidcProviderOp::RemoveClientId {
        provider_arn: ARN.into(),
        client_id: id.into(),
    };
    w.ok(T0, add("app-2"));
    w.ok(T0, remove("never-added"));
    assert_eq!(state_hash(&w.s), before);
    w.ok(T0, add("app-3"));
    w.ok(T0, remove("app-1"));
    assert_eq!(
        get(&w, ARN).unwrap()["client_ids"],
        json!(["app-2", "app-3"])
    );
    w.rejects(T0, add(""), ErrorCode::ValidationError);
    w.rejects(T0, add(&"c".repeat(256)), ErrorCode::ValidationError);

    // Thumbprints are replaced, not merged.
    w.ok(
        T0,
        OidcProviderOp::UpdateThumbprint {
            provider_arn: ARN.into(),
            thumbprint_list: vec![thumb('c'), thumb('D')],
        },
    );
    assert_eq!(
        get(&w, ARN).unwrap()["thumbprints"],
        json!([thumb('c'), thumb('d')])
    );
    let update = |list: Vec<String>| OidcProviderOp::UpdateThumbprint {
        provider_arn: ARN.into(),
        thumbprint_list: list,
    };
    let m = w.rejects(
        T0,
        update("123456".chars().map(thumb).collect()),
        ErrorCode::InvalidInput,
    );
    assert_eq!(m, "Thumbprint list must contain fewer than 5 entries.");
    w.rejects(T0, update(vec![thumb('g')]), ErrorCode::InvalidInput);
    w.rejects(T0, update(vec!["abc".into()]), ErrorCode::ValidationError);

    // Tags: in the order added, a re-tagged key keeps its place, untag by key.
    w.ok(
        T0,
        OidcProviderOp::Tag {
            provider_arn: ARN.into(),
            tags: vec![tag("ENV", "dev"), tag("cost", "42")],
        },
    );
    w.ok(
        T0,
        OidcProviderOp::Untag {
            provider_arn: ARN.into(),
            tag_keys: vec!["TEAM".into(), "absent".into()],
        },
    );
    let page = w
        .q(OidcProviderQuery::ListTags {
            provider_arn: ARN.into(),
            page: super::page(1, None),
        })
        .unwrap();
    assert_eq!(page["items"], json!([{"key": "ENV", "value": "dev"}]));
    assert_eq!(page["is_truncated"], json!(true));
    let rest = w
        .q(OidcProviderQuery::ListTags {
            provider_arn: ARN.into(),
            page: super::page(10, page.get("marker")),
        })
        .unwrap();
    assert_eq!(rest["items"], json!([{"key": "cost", "value": "42"}]));

    // Deleting removes it; deleting what does not exist is not an error and changes nothing.
    w.ok(
        T0,
        OidcProviderOp::Delete {
            provider_arn: ARN.into(),
        },
    );
    let e = get(&w, ARN).unwrap_err();
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
    assert_eq!(
        e.message,
        format!("OpenIDConnect Provider not found for arn {ARN}")
    );
    let before = state_hash(&w.s);
    w.ok(
        T0,
        OidcProviderOp::Delete {
            provider_arn: ARN.into(),
        },
    );
    assert_eq!(state_hash(&w.s), before);
    let m = w.rejects(T0, add("app-9"), ErrorCode::NoSuchEntity);
    assert_eq!(m, format!("OpenIDConnect Provider not found for arn {ARN}"));
    assert_eq!(arns(&w, A), json!([]));
}

#[test]
fn bad_input_is_refused_with_aws_codes_and_changes_nothing() {
    let mut w = finalized(4);
    let with = |url: &str, ids: Vec<String>, thumbs: Vec<String>| OidcProviderOp::Create {
        url: url.into(),
        client_id_list: ids,
        thumbprint_list: thumbs,
        tags: vec![],
    };
    let m = w.rejects(
        T0,
        with("token.example.com", vec![], vec![]),
        ErrorCode::ValidationError,
    );
    assert_eq!(m, "Invalid Open ID Connect Provider URL");
    let m = w.rejects(
        T0,
        with("http://token.example.com", vec![], vec![]),
        ErrorCode::InvalidInput,
    );
    assert_eq!(
        m,
        "Invalid Open ID Connect Provider URL. The URL must begin with https://."
    );
    w.rejects(
        T0,
        with("https://a.example:443", vec![], vec![]),
        ErrorCode::InvalidInput,
    );
    w.rejects(
        T0,
        with("https://a.example/?q", vec![], vec![]),
        ErrorCode::InvalidInput,
    );
    let m = w.rejects(
        T0,
        with(
            &format!("https://{}", "h".repeat(250)),
            vec![String::new()],
            vec!["ab".into()],
        ),
        ErrorCode::ValidationError,
    );
    assert!(
        m.starts_with("3 validation errors detected: Value at 'clientIDList'"),
        "{m}"
    );
    let six: Vec<String> = "abcdef".chars().map(thumb).collect();
    w.rejects(T0, with(URL, vec![], six), ErrorCode::InvalidInput);
    w.rejects(
        T0,
        with(URL, vec![], vec![thumb('x')]),
        ErrorCode::InvalidInput,
    );
    let many: Vec<String> = (0..101).map(|i| format!("app-{i}")).collect();
    let m = w.rejects(T0, with(URL, many, vec![]), ErrorCode::LimitExceeded);
    assert_eq!(
        m,
        "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100"
    );
    // A flood of ids is refused at the 101st distinct one (no search of the list per id),
    // while repeats of a few count once.
    let flood: Vec<String> = (0..200_000).map(|i| format!("app-{i}")).collect();
    w.rejects(T0, with(URL, flood, vec![]), ErrorCode::LimitExceeded);
    let repeats: Vec<String> = (0..30_000).map(|i| format!("app-{}", i % 3)).collect();
    w.ok(T0, with("https://repeats.example.com", repeats, vec![]));
    let p = get(
        &w,
        "arn:aws:iam::123456789012:oidc-provider/repeats.example.com",
    )
    .unwrap();
    assert_eq!(p["client_ids"], json!(["app-0", "app-1", "app-2"]));
    w.ok(
        T0,
        OidcProviderOp::Delete {
            provider_arn: "arn:aws:iam::123456789012:oidc-provider/repeats.example.com".into(),
        },
    );
    let too_many_tags: Vec<Tag> = (0..51).map(|i| tag(&format!("k{i}"), "v")).collect();
    w.rejects(
        T0,
        OidcProviderOp::Create {
            url: URL.into(),
            client_id_list: vec![],
            thumbprint_list: vec![],
            tags: too_many_tags,
        },
        ErrorCode::LimitExceeded,
    );
    // ARNs: malformed, too short, another account's.
    let get_err = |w: &World, arn: &str| get(w, arn).unwrap_err().code;
    assert_eq!(
        get_err(&w, "arn:aws:iam::123456789012:role/x"),
        ErrorCode::InvalidInput
    );
    assert_eq!(get_err(&w, "arn:aws"), ErrorCode::ValidationError);
    w.ok(T0, create(URL));
    assert_eq!(
        get_err(
            &w,
            "arn:aws:iam::210987654321:oidc-provider/token.example.com/realms/main"
        ),
        ErrorCode::NoSuchEntity
    );
    // The ARN names the URL exactly.
    assert_eq!(
        get_err(
            &w,
            "arn:aws:iam::123456789012:oidc-provider/TOKEN.example.com/realms/main"
        ),
        ErrorCode::NoSuchEntity
    );
    // One client id past 100 is refused on add too.
    let full: Vec<String> = (0..100).map(|i| format!("app-{i}")).collect();
    let other = "https://full.example.com";
    w.ok(T0, with(other, full, vec![]));
    let m = w.rejects(
        T0,
        OidcProviderOp::AddClientId {
            provider_arn: "arn:aws:iam::123456789012:oidc-provider/full.example.com".into(),
            client_id: "app-100".into(),
        },
        ErrorCode::LimitExceeded,
    );
    assert_eq!(
        m,
        "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100"
    );
    // A flood of ids is refused at the 101st distinct one (no search of the list per id),
    // while repeats of a few count once.
    let flood: Vec<String> = (0..200_000).map(|i| format!("app-{i}")).collect();
    w.rejects(T0, with(URL, flood, vec![]), ErrorCode::LimitExceeded);
    let repeats: Vec<String> = (0..30_000).map(|i| format!("app-{}", i % 3)).collect();
    w.ok(T0, with("https://repeats.example.com", repeats, vec![]));
    let p = get(
        &w,
        "arn:aws:iam::123456789012:oidc-provider/repeats.example.com",
    )
    .unwrap();
    assert_eq!(p["client_ids"], json!(["app-0", "app-1", "app-2"]));
    w.ok(
        T0,
        OidcProviderOp::Delete {
            provider_arn: "arn:aws:iam::123456789012:oidc-provider/repeats.example.com".into(),
        },
    );
}

#[test]
fn an_account_holds_at_most_100_providers_and_a_sandbox_reset_forgets_them() {
    let mut w = finalized(4);
    for i in 0..100 {
        w.ok(T0, create(&format!("https://idp{i}.example.com")));
    }
    let summary = |w: &World| w.q(AccountQuery::GetSummary {}).unwrap()["Providers"].clone();
    assert_eq!(summary(&w), json!(100));
    let m = w.rejects(
        T0,
        create("https://one-more.example.com"),
        ErrorCode::LimitExceeded,
    );
    assert_eq!(
        m,
        "Cannot exceed quota for OpenIdConnectProvidersPerAccount: 100"
    );
    // Deleting one makes room again.
    w.ok(
        T0,
        OidcProviderOp::Delete {
            provider_arn: "arn:aws:iam::123456789012:oidc-provider/idp7.example.com".into(),
        },
    );
    assert_eq!(summary(&w), json!(99));
    w.ok(T0, create("https://one-more.example.com"));
    assert_eq!(arns(&w, A).as_array().unwrap().len(), 100);

    w.command(
        T0,
        Command::SandboxReset {
            account_id: A.into(),
            name: "sandbox".into(),
            email: "sandbox@example.com".into(),
        },
    )
    .unwrap();
    assert_eq!(arns(&w, A), json!([]));
    assert_eq!(summary(&w), json!(0));
    assert!(oidc_providers::by_arn(
        &w.s,
        "arn:aws:iam::123456789012:oidc-provider/one-more.example.com"
    )
    .is_none());
    // The release survives a reset: providers can be created again at once.
    w.ok(T0, create("https://one-more.example.com"));
}
