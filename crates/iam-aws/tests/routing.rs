//! Exact routing: form parameters to the precise iamd command or query, the caller
//! defaults, AWS's list encodings, and the request-level errors.

use iam_aws::{parse_form, route, route_as, Call, Caller, ContextEntry, Params};
use iam_model::Tag;
use iam_state::ops::access_keys::{AccessKeyOp, AccessKeyQuery};
use iam_state::ops::account::password_policy::PasswordPolicyInput;
use iam_state::ops::account::AccountOp;
use iam_state::ops::groups::GroupQuery;
use iam_state::ops::mfa::MfaQuery;
use iam_state::ops::policies::{EntityKind, PolicyOp, PolicyQuery, Scope};
use iam_state::ops::roles::RoleOp;
use iam_state::ops::users::{UserOp, UserQuery};
use iam_state::ops::PageRequest;
use iam_state::{Command, Query};

const A: &str = "123456789012";

fn form(body: &str) -> Params {
    Params::from_form(body.as_bytes())
}

fn write(body: &str) -> Command {
    match route(A, Some("alice"), &form(body)).unwrap() {
        Call::Write(c) => c,
        other => panic!("{body}: {other:?}"),
    }
}

fn read_as(caller: Caller<'_>, body: &str) -> Query {
    match route_as(A, caller, &form(body)).unwrap() {
        Call::Read(q) => q,
        other => panic!("{body}: {other:?}"),
    }
}

fn error(caller: Caller<'_>, body: &str) -> iam_aws::AwsError {
    route_as(A, caller, &form(body)).unwrap_err()
}

#[test]
fn form_bodies_decode_plus_and_percent() {
    assert_eq!(
        parse_form(b"Action=CreateUser&UserName=a+b%2Bc&Path=%2Fx%2F"),
        vec![
            ("Action".to_owned(), "CreateUser".to_owned()),
            ("UserName".to_owned(), "a b+c".to_owned()),
            ("Path".to_owned(), "/x/".to_owned()),
        ]
    );
    // Invalid UTF-8 and stray percent signs do not fail.
    assert_eq!(
        parse_form(b"A=%FF%&B"),
        vec![
            ("A".to_owned(), "\u{fffd}%".to_owned()),
            ("B".to_owned(), String::new()),
        ]
    );
}

#[test]
fn create_user_with_path_tags_and_boundary() {
    let body = "Action=CreateUser&Version=2010-05-08&UserName=bob&Path=%2Fdev%2F\
                &PermissionsBoundary=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2FB\
                &Tags.member.2.Key=b&Tags.member.2.Value=&Tags.member.1.Key=a&Tags.member.1.Value=1";
    assert_eq!(
        write(body),
        Command::in_account(
            A,
            UserOp::Create {
                name: "bob".into(),
                path: "/dev/".into(),
                tags: vec![
                    Tag {
                        key: "a".into(),
                        value: "1".into()
                    },
                    Tag {
                        key: "b".into(),
                        value: String::new()
                    },
                ],
                permissions_boundary: Some("arn:aws:iam::123456789012:policy/B".into()),
                user_id: String::new(),
            }
        )
    );
}

#[test]
fn defaults_path_and_path_prefix_to_slash() {
    assert_eq!(
        write("Action=CreateUser&UserName=bob"),
        Command::in_account(
            A,
            UserOp::Create {
                name: "bob".into(),
                path: "/".into(),
                tags: vec![],
                permissions_boundary: None,
                user_id: String::new(),
            }
        )
    );
    assert_eq!(
        read_as(Caller::Root, "Action=ListUsers&MaxItems=2&Marker=m"),
        Query::in_account(
            A,
            UserQuery::List {
                path_prefix: "/".into(),
                page: PageRequest {
                    marker: Some("m".into()),
                    max_items: Some(2)
                },
            }
        )
    );
}

#[test]
fn update_user_renames_and_moves() {
    assert_eq!(
        write("Action=UpdateUser&UserName=bob&NewUserName=robert&NewPath=%2Fp%2F"),
        Command::in_account(
            A,
            UserOp::Update {
                name: "bob".into(),
                new_name: Some("robert".into()),
                new_path: Some("/p/".into()),
            }
        )
    );
}

#[test]
fn create_role_and_its_document_arrive_raw() {
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("Action", "CreateRole")
        .append_pair("RoleName", "r")
        .append_pair("AssumeRolePolicyDocument", doc)
        .append_pair("Description", "a role")
        .append_pair("MaxSessionDuration", "7200")
        .finish();
    assert_eq!(
        write(&body),
        Command::in_account(
            A,
            RoleOp::Create {
                name: "r".into(),
                path: "/".into(),
                assume_role_policy_document: doc.into(),
                description: Some("a role".into()),
                max_session_duration: Some(7200),
                permissions_boundary: None,
                tags: vec![],
                role_id: String::new(),
            }
        )
    );
}

#[test]
fn policies_attachments_and_inline_policies() {
    assert_eq!(
        write("Action=CreatePolicyVersion&PolicyArn=arn&PolicyDocument=%7B%7D&SetAsDefault=true"),
        Command::in_account(
            A,
            PolicyOp::CreateVersion {
                policy_arn: "arn".into(),
                policy_document: "{}".into(),
                set_as_default: true,
            }
        )
    );
    assert_eq!(
        write("Action=AttachGroupPolicy&GroupName=g&PolicyArn=arn"),
        Command::in_account(
            A,
            PolicyOp::Attach {
                entity: EntityKind::Group,
                entity_name: "g".into(),
                policy_arn: "arn".into(),
            }
        )
    );
    assert_eq!(
        write("Action=PutRolePolicy&RoleName=r&PolicyName=p&PolicyDocument=%7B%7D"),
        Command::in_account(
            A,
            PolicyOp::PutInline {
                entity: EntityKind::Role,
                entity_name: "r".into(),
                policy_name: "p".into(),
                policy_document: "{}".into(),
            }
        )
    );
    assert_eq!(
        read_as(
            Caller::Root,
            "Action=ListPolicies&Scope=Local&OnlyAttached=true"
        ),
        Query::in_account(
            A,
            PolicyQuery::List {
                scope: Scope::Local,
                only_attached: true,
                path_prefix: "/".into(),
                policy_usage_filter: None,
                page: PageRequest::default(),
            }
        )
    );
    assert_eq!(
        write("Action=UntagPolicy&PolicyArn=arn&TagKeys.member.1=a&TagKeys.member.2=b"),
        Command::in_account(
            A,
            PolicyOp::Untag {
                policy_arn: "arn".into(),
                tag_keys: vec!["a".into(), "b".into()]
            }
        )
    );
    // An empty list is sent as `Name=`.
    assert_eq!(
        write("Action=UntagPolicy&PolicyArn=arn&TagKeys="),
        Command::in_account(
            A,
            PolicyOp::Untag {
                policy_arn: "arn".into(),
                tag_keys: vec![]
            }
        )
    );
}

#[test]
fn get_group_pages_its_users() {
    assert_eq!(
        read_as(Caller::Root, "Action=GetGroup&GroupName=g&MaxItems=1"),
        Query::in_account(
            A,
            GroupQuery::Get {
                name: "g".into(),
                page: PageRequest {
                    marker: None,
                    max_items: Some(1)
                },
            }
        )
    );
}

#[test]
fn caller_defaults() {
    // GetUser: the calling user; the root gets its account (rendered as the root user).
    assert_eq!(
        read_as(Caller::User("alice"), "Action=GetUser"),
        Query::in_account(
            A,
            UserQuery::Get {
                name: "alice".into()
            }
        )
    );
    assert_eq!(
        read_as(Caller::Root, "Action=GetUser"),
        Query::GetAccount {
            account_id: A.into()
        }
    );
    let e = error(Caller::Other, "Action=GetUser");
    assert_eq!(e.code.as_str(), "ValidationError");
    assert_eq!(
        e.message,
        "Must specify userName when calling with non-User credentials"
    );
    // CreateAccessKey / ListAccessKeys.
    assert_eq!(
        write("Action=CreateAccessKey"),
        Command::in_account(
            A,
            AccessKeyOp::Create {
                user_name: "alice".into(),
                access_key_id: String::new(),
                secret_access_key: String::new(),
            }
        )
    );
    // Without UserName the root manages its own keys (user name "" = the root).
    assert_eq!(
        route_as(A, Caller::Root, &form("Action=CreateAccessKey")).unwrap(),
        Call::Write(Command::in_account(
            A,
            AccessKeyOp::Create {
                user_name: String::new(),
                access_key_id: String::new(),
                secret_access_key: String::new(),
            }
        ))
    );
    assert_eq!(
        read_as(Caller::User("alice"), "Action=ListAccessKeys"),
        Query::in_account(
            A,
            AccessKeyQuery::List {
                user_name: "alice".into(),
                page: PageRequest::default()
            }
        )
    );
    assert_eq!(
        read_as(Caller::Root, "Action=ListAccessKeys"),
        Query::in_account(
            A,
            AccessKeyQuery::List {
                user_name: String::new(),
                page: PageRequest::default()
            }
        )
    );
    assert_eq!(
        route_as(A, Caller::Root, &form("Action=ListMFADevices")).unwrap(),
        Call::Answer(iam_aws::Answer::State(
            serde_json::json!({"items": [], "is_truncated": false})
        ))
    );
    assert_eq!(
        read_as(Caller::Root, "Action=ListMFADevices&UserName=bob"),
        Query::in_account(
            A,
            MfaQuery::List {
                user_name: "bob".into(),
                page: PageRequest::default()
            }
        )
    );
    // DeleteAccessKey: the root may name any user's key.
    match route_as(
        A,
        Caller::Root,
        &form("Action=DeleteAccessKey&AccessKeyId=AKIA1"),
    )
    .unwrap()
    {
        Call::Write(c) => assert_eq!(
            c,
            Command::in_account(
                A,
                AccessKeyOp::Delete {
                    user_name: None,
                    access_key_id: "AKIA1".into()
                }
            )
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        write("Action=DeleteAccessKey&AccessKeyId=AKIA1"),
        Command::in_account(
            A,
            AccessKeyOp::Delete {
                user_name: Some("alice".into()),
                access_key_id: "AKIA1".into()
            }
        )
    );
}

#[test]
fn password_policy_fields_left_out_take_defaults() {
    assert_eq!(
        write("Action=UpdateAccountPasswordPolicy&MinimumPasswordLength=12&RequireSymbols=true"),
        Command::in_account(
            A,
            AccountOp::UpdatePasswordPolicy {
                policy: PasswordPolicyInput {
                    minimum_password_length: Some(12),
                    require_symbols: true,
                    ..Default::default()
                },
            }
        )
    );
}

#[test]
fn simulations_carry_their_inputs() {
    let body = "Action=SimulatePrincipalPolicy&PolicySourceArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Fbob\
                &ActionNames.member.1=s3%3AGetObject&ActionNames.member.2=s3%3APutObject\
                &ContextEntries.member.1.ContextKeyName=aws%3ASourceIp\
                &ContextEntries.member.1.ContextKeyValues.member.2=10.0.0.2\
                &ContextEntries.member.1.ContextKeyValues.member.1=10.0.0.1\
                &ContextEntries.member.1.ContextKeyType=ipList&MaxItems=10";
    let Call::Simulate(s) = route(A, None, &form(body)).unwrap() else {
        panic!("not a simulation");
    };
    assert_eq!(
        s.policy_source_arn.as_deref(),
        Some("arn:aws:iam::123456789012:user/bob")
    );
    assert_eq!(s.action_names, ["s3:GetObject", "s3:PutObject"]);
    assert_eq!(s.resource_arns, ["*"]);
    assert_eq!(
        s.context_entries,
        [ContextEntry {
            name: "aws:SourceIp".into(),
            values: vec!["10.0.0.1".into(), "10.0.0.2".into()],
            kind: Some("ipList".into()),
        }]
    );
    assert_eq!(s.page.max_items, Some(10));
    let e = error(
        Caller::Root,
        "Action=SimulateCustomPolicy&ActionNames.member.1=s3%3A*",
    );
    assert!(e.message.contains("'policyInputList'"), "{e}");
}

#[test]
fn request_level_errors() {
    let e = error(Caller::Root, "UserName=bob");
    assert_eq!(
        (e.code.as_str(), e.code.http_status()),
        ("MissingAction", 400)
    );
    let e = error(Caller::Root, "Action=FrobnicateUser");
    assert_eq!(
        (e.code.as_str(), e.code.http_status()),
        ("InvalidAction", 400)
    );
    assert_eq!(
        e.message,
        "The action FrobnicateUser is not valid for this web service."
    );
    let e = error(Caller::Root, "Action=ListUsers&Version=2011-06-15");
    assert_eq!(e.code.as_str(), "InvalidAction");
    assert_eq!(
        e.message,
        "Could not find operation ListUsers for version 2011-06-15"
    );
    // ChangePassword is a user's own: the root gets AWS's InvalidUserType.
    let e = error(
        Caller::Root,
        "Action=ChangePassword&OldPassword=a&NewPassword=b",
    );
    assert_eq!(e.code.as_str(), "InvalidUserType");
    let e = error(
        Caller::Root,
        "Action=CreateSAMLProvider&Name=x&SAMLMetadataDocument=y",
    );
    assert_eq!(
        (e.code.as_str(), e.code.http_status()),
        ("NotImplemented", 501)
    );
    let e = error(Caller::Root, "Action=ListUsers&MaxItems=ten");
    assert_eq!(e.code.as_str(), "ValidationError");
    assert!(e.message.contains("'maxItems'"), "{e}");
    let e = error(Caller::Root, "Action=ListPolicies&OnlyAttached=yes");
    assert!(e.message.contains("'onlyAttached'"), "{e}");
    let e = error(Caller::Root, "Action=ListPolicies&Scope=Mine");
    assert!(e.message.contains("[All, AWS, Local]"), "{e}");
    let e = error(Caller::Root, "Action=TagUser&UserName=bob");
    assert!(e.message.contains("Value null at 'tags'"), "{e}");
    let e = error(
        Caller::Root,
        "Action=TagUser&UserName=bob&Tags.member.1.Value=v",
    );
    assert!(
        e.message.contains("Value null at 'tags.1.member.key'"),
        "{e}"
    );
}
