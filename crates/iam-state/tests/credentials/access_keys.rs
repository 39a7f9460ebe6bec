//! Access keys: create (secret once, at most two), update, last used, delete, lookup.

use super::*;

#[test]
fn access_keys_are_created_with_a_secret_shown_once_and_limited_to_two() {
    let mut w = World::new();
    let k1 = w.ok(T0, create_key("Alice"));
    let id1 = k1["access_key_id"].as_str().unwrap().to_owned();
    let secret = k1["secret_access_key"].as_str().unwrap().to_owned();
    assert!(id1.starts_with("AKIA") && id1.len() == 20, "{id1}");
    assert_eq!(secret.len(), 40);
    assert_eq!(k1["user_name"], "alice", "records keep the user's spelling");
    assert_eq!(k1["status"], "Active");
    let k2 = w.ok(T0 + 1, create_key("alice"));
    assert_ne!(k2["access_key_id"], k1["access_key_id"]);
    let msg = w.rejects(T0 + 2, create_key("alice"), ErrorCode::LimitExceeded);
    assert_eq!(msg, "Cannot exceed quota for AccessKeysPerUser: 2");
    w.ok(T0 + 2, create_key("bob"));
    w.rejects(T0, create_key("nobody"), ErrorCode::NoSuchEntity);

    // Lists show metadata only, paged.
    let p1 = list_keys(&w, "alice", page(1, None));
    assert_eq!(p1["items"].as_array().unwrap().len(), 1);
    assert_eq!(p1["is_truncated"], true);
    let p2 = list_keys(&w, "alice", page(1, Some(&p1["marker"])));
    assert_eq!(p2["items"].as_array().unwrap().len(), 1);
    assert_eq!(p2["is_truncated"], false);
    assert_ne!(
        p1["items"][0]["access_key_id"],
        p2["items"][0]["access_key_id"]
    );
    let all = list_keys(&w, "alice", PageRequest::default());
    assert!(
        !all.to_string().contains(&secret),
        "lists never show the secret"
    );
    assert!(all["items"][0].get("secret_access_key").is_none());
    assert_eq!(
        w.q(AccessKeyQuery::List {
            user_name: "nobody".into(),
            page: PageRequest::default()
        })
        .unwrap_err()
        .code,
        ErrorCode::NoSuchEntity
    );

    // The internal lookup returns the whole record; other queries never do.
    let full = w
        .q_in(
            B,
            AccessKeyQuery::Lookup {
                access_key_id: id1.clone(),
            },
        )
        .unwrap();
    assert_eq!(full["secret_access_key"], secret.as_str());
    assert_eq!(full["account"], A);
    assert_eq!(
        iam_state::ops::access_keys::lookup(&w.s, &id1)
            .unwrap()
            .secret_access_key,
        secret
    );
}

#[test]
fn access_keys_are_updated_used_and_deleted() {
    let mut w = World::new();
    let id = w.ok(T0, create_key("alice"))["access_key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let update = |status: &str, user: Option<&str>| AccessKeyOp::Update {
        user_name: user.map(str::to_owned),
        access_key_id: id.clone(),
        status: status.into(),
    };
    w.rejects(T0, update("Expired", None), ErrorCode::ValidationError);
    w.rejects(T0, update("active", None), ErrorCode::ValidationError);
    w.rejects(T0, update("Inactive", Some("bob")), ErrorCode::NoSuchEntity);
    w.rejects(
        T0,
        update("Inactive", Some("nobody")),
        ErrorCode::NoSuchEntity,
    );
    w.rejects_in(B, T0, update("Inactive", None), ErrorCode::NoSuchEntity);
    let bad_id = AccessKeyOp::Update {
        user_name: None,
        access_key_id: "AKIA/../x".into(),
        status: "Active".into(),
    };
    w.rejects(T0, bad_id, ErrorCode::ValidationError);
    w.ok(T0, update("Inactive", Some("ALICE")));
    assert_eq!(
        list_keys(&w, "alice", PageRequest::default())["items"][0]["status"],
        "Inactive"
    );

    // Last used: N/A until used; only the first use in 15 minutes is recorded.
    let last = |w: &World| {
        w.q(AccessKeyQuery::GetLastUsed {
            access_key_id: id.clone(),
        })
        .unwrap()
    };
    let never = last(&w);
    assert_eq!(never["user_name"], "alice");
    assert_eq!(never["service_name"], "N/A");
    assert_eq!(never["region"], "N/A");
    assert!(never.get("last_used_ms").is_none());
    let used = || AccessKeyOp::RecordUse {
        access_key_id: id.clone(),
        service: "iam".into(),
        region: "us-east-1".into(),
    };
    w.ok(T0 + 1000, used());
    let l = last(&w);
    assert_eq!(l["last_used_ms"], T0 + 1000);
    assert_eq!(l["service_name"], "iam");
    assert_eq!(l["region"], "us-east-1");
    let before = state_hash(&w.s);
    w.ok(T0 + 1000 + 60_000, used());
    assert_eq!(
        state_hash(&w.s),
        before,
        "uses within 15 minutes are not recorded"
    );
    w.ok(T0 + 1000 + 15 * 60_000, used());
    assert_eq!(last(&w)["last_used_ms"], T0 + 1000 + 15 * 60_000);
    let other = w.q_in(
        B,
        AccessKeyQuery::GetLastUsed {
            access_key_id: id.clone(),
        },
    );
    assert_eq!(other.unwrap_err().code, ErrorCode::NoSuchEntity);

    // A user with keys cannot be deleted; deleting the key frees the slot.
    w.rejects(
        T0,
        UserOp::Delete {
            name: "alice".into(),
        },
        ErrorCode::DeleteConflict,
    );
    let delete = |user: Option<&str>| AccessKeyOp::Delete {
        user_name: user.map(str::to_owned),
        access_key_id: id.clone(),
    };
    w.rejects(T0, delete(Some("bob")), ErrorCode::NoSuchEntity);
    w.ok(T0, delete(Some("alice")));
    let msg = w.rejects(T0, delete(None), ErrorCode::NoSuchEntity);
    assert_eq!(msg, format!("The Access Key with id {id} cannot be found."));
    assert_eq!(
        list_keys(&w, "alice", PageRequest::default())["items"],
        serde_json::json!([])
    );
    w.ok(
        T0,
        UserOp::Delete {
            name: "alice".into(),
        },
    );
}

#[test]
fn secret_lookup_and_usage_records_are_marked_internal() {
    let lookup = Query::in_account(
        A,
        AccessKeyQuery::Lookup {
            access_key_id: "AKIAAAAAAAAAAAAAAAAA".into(),
        },
    );
    assert!(
        lookup.is_internal(),
        "the API must refuse the secret lookup"
    );
    let list = Query::in_account(
        A,
        AccessKeyQuery::List {
            user_name: "alice".into(),
            page: PageRequest::default(),
        },
    );
    assert!(!list.is_internal());
    let record: Op = AccessKeyOp::RecordUse {
        access_key_id: "AKIAAAAAAAAAAAAAAAAA".into(),
        service: "iam".into(),
        region: "us-east-1".into(),
    }
    .into();
    assert!(record.is_internal());
    let signin: Op = LoginProfileOp::RecordUse {
        user_name: "alice".into(),
    }
    .into();
    assert!(signin.is_internal());
    assert!(!Op::from(create_key("alice")).is_internal());
}
