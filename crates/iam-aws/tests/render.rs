//! Responses end to end, as the server will produce them: a form body is routed, the
//! command prepared and applied (or the query run) on a `MemStore`, and the JSON rendered.
//! Golden XML for the shapes botocore parses; with `IAM_AWS_DUMP=<dir>` every response is
//! also written there (`<n>-<Action>.xml`) for checking with botocore's own parser.

use iam_aws::{render, route, Answer, AwsErrors, Call, EvaluationResult, Params, StatementSource};
use iam_state::{apply, Command, Env, MemStore, Request};
use serde_json::Value;

const A: &str = "123456789012";
/// 2024-01-02T03:04:05Z
const T0: u64 = 1_704_164_645_000;
const RID: &str = "0604c1a4-0a68-4d1a-b8e6-cdcf68176d71";

struct TestEnv(u64);

impl Env for TestEnv {
    fn unique_id(&mut self, prefix: iam_model::ids::IdPrefix) -> String {
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

struct Server {
    store: MemStore,
    index: u64,
    env: TestEnv,
    dumped: usize,
}

impl Server {
    fn new() -> Self {
        let mut s = Server {
            store: MemStore::new(),
            index: 0,
            env: TestEnv(0),
            dumped: 0,
        };
        s.propose(Command::CreateAccount {
            account_id: A.into(),
            name: "acme".into(),
            email: "ops@acme.io".into(),
        })
        .unwrap();
        s
    }

    fn propose(&mut self, mut command: Command) -> Result<Value, iam_model::IamError> {
        command.prepare(&mut self.env);
        self.index += 1;
        let req = Request {
            request_token: None,
            time_ms: T0,
            command,
            origin: None,
        };
        let (resp, writes) = apply(&self.store, self.index, &req);
        self.store.commit(writes);
        resp.result.map(|o| o.to_json())
    }

    /// The XML response to a form body sent by the root, or the error XML.
    fn call(&mut self, body: &str) -> String {
        let params = Params::from_form(body.as_bytes());
        let action = params.get("Action").unwrap_or_default().to_owned();
        let result = match route(A, None, &params) {
            Err(e) => Err(e),
            Ok(Call::Write(c)) => self.propose(c).map(Answer::State),
            Ok(Call::Read(mut q)) => {
                q.prepare(T0);
                q.run(&self.store).map(Answer::State)
            }
            Ok(Call::Answer(a)) => Ok(a),
            Ok(other) => panic!("{other:?}"),
        };
        let xml = match result {
            // Every result iam-state gives reads as its action's type.
            Ok(a) => render(&action, &a, RID)
                .unwrap_or_else(|e| panic!("{action} did not render: {}", e.message)),
            Err(e) => e.render(RID).1,
        };
        if let Ok(dir) = std::env::var("IAM_AWS_DUMP") {
            self.dumped += 1;
            let path = format!("{dir}/{:03}-{action}.xml", self.dumped);
            std::fs::write(path, &xml).unwrap();
        }
        xml
    }
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn envelope(action: &str, result: &str) -> String {
    format!(
        "<{action}Response xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">{result}\
         <ResponseMetadata><RequestId>{RID}</RequestId></ResponseMetadata></{action}Response>"
    )
}

fn ok(action: &str, body: &str) -> String {
    envelope(action, &format!("<{action}Result>{body}</{action}Result>"))
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const TRUST_ENC: &str = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";

#[test]
fn users() {
    let mut s = Server::new();
    let xml = s.call("Action=CreateUser&Version=2010-05-08&UserName=bob&Tags.member.1.Key=k&Tags.member.1.Value=v");
    assert_eq!(
        xml,
        ok(
            "CreateUser",
            "<User><Path>/</Path><UserName>bob</UserName><UserId>AIDA00000000000000001</UserId>\
             <Arn>arn:aws:iam::123456789012:user/bob</Arn><CreateDate>2024-01-02T03:04:05Z</CreateDate>\
             <Tags><member><Key>k</Key><Value>v</Value></member></Tags></User>"
        )
    );
    s.call("Action=CreateUser&UserName=carol&Path=%2Fops%2F");
    assert_eq!(
        s.call("Action=ListUsers&MaxItems=1"),
        ok(
            "ListUsers",
            "<Users><member><Path>/</Path><UserName>bob</UserName><UserId>AIDA00000000000000001</UserId>\
             <Arn>arn:aws:iam::123456789012:user/bob</Arn><CreateDate>2024-01-02T03:04:05Z</CreateDate>\
             </member></Users><IsTruncated>true</IsTruncated><Marker>bob</Marker>"
        )
    );
    assert_eq!(
        s.call("Action=ListUsers&PathPrefix=%2Fnobody%2F"),
        ok("ListUsers", "<Users/><IsTruncated>false</IsTruncated>")
    );
    // GetUser by the root without UserName describes the root identity.
    assert_eq!(
        s.call("Action=GetUser"),
        ok(
            "GetUser",
            "<User><UserId>123456789012</UserId><Arn>arn:aws:iam::123456789012:root</Arn>\
             <CreateDate>2024-01-02T03:04:05Z</CreateDate></User>"
        )
    );
    assert_eq!(
        s.call("Action=ListUserTags&UserName=bob"),
        ok(
            "ListUserTags",
            "<Tags><member><Key>k</Key><Value>v</Value></member></Tags><IsTruncated>false</IsTruncated>"
        )
    );
    // No-output operations: only ResponseMetadata.
    assert_eq!(
        s.call("Action=UpdateUser&UserName=carol&NewUserName=dave"),
        envelope("UpdateUser", "")
    );
    assert_eq!(
        s.call("Action=DeleteUser&UserName=dave"),
        envelope("DeleteUser", "")
    );
    // Errors keep AWS's code, status and wording.
    assert_eq!(
        s.call("Action=GetUser&UserName=dave"),
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
         <Code>NoSuchEntity</Code><Message>The user with name dave cannot be found.</Message></Error>\
         <RequestId>0604c1a4-0a68-4d1a-b8e6-cdcf68176d71</RequestId></ErrorResponse>"
    );
}

#[test]
fn groups() {
    let mut s = Server::new();
    assert_eq!(
        s.call("Action=CreateGroup&GroupName=devs"),
        ok(
            "CreateGroup",
            "<Group><Path>/</Path><GroupName>devs</GroupName><GroupId>AGPA00000000000000001</GroupId>\
             <Arn>arn:aws:iam::123456789012:group/devs</Arn><CreateDate>2024-01-02T03:04:05Z</CreateDate></Group>"
        )
    );
    s.call("Action=CreateUser&UserName=bob");
    assert_eq!(
        s.call("Action=AddUserToGroup&GroupName=devs&UserName=bob"),
        envelope("AddUserToGroup", "")
    );
    assert_eq!(
        s.call("Action=GetGroup&GroupName=devs"),
        ok(
            "GetGroup",
            "<Group><Path>/</Path><GroupName>devs</GroupName><GroupId>AGPA00000000000000001</GroupId>\
             <Arn>arn:aws:iam::123456789012:group/devs</Arn><CreateDate>2024-01-02T03:04:05Z</CreateDate></Group>\
             <Users><member><Path>/</Path><UserName>bob</UserName><UserId>AIDA00000000000000002</UserId>\
             <Arn>arn:aws:iam::123456789012:user/bob</Arn><CreateDate>2024-01-02T03:04:05Z</CreateDate></member></Users>\
             <IsTruncated>false</IsTruncated>"
        )
    );
    assert!(s
        .call("Action=ListGroupsForUser&UserName=bob")
        .contains("<Groups><member><Path>/</Path><GroupName>devs</GroupName>"));
}

#[test]
fn roles_and_trust_policies_are_url_encoded() {
    let mut s = Server::new();
    let xml = s.call(&format!(
        "Action=CreateRole&RoleName=web&AssumeRolePolicyDocument={}&Description=web+servers",
        enc(TRUST)
    ));
    let role = format!(
        "<Path>/</Path><RoleName>web</RoleName><RoleId>AROA00000000000000001</RoleId>\
         <Arn>arn:aws:iam::123456789012:role/web</Arn><CreateDate>2024-01-02T03:04:05Z</CreateDate>\
         <AssumeRolePolicyDocument>{TRUST_ENC}</AssumeRolePolicyDocument>\
         <Description>web servers</Description><MaxSessionDuration>3600</MaxSessionDuration>"
    );
    assert_eq!(xml, ok("CreateRole", &format!("<Role>{role}</Role>")));
    assert_eq!(
        s.call("Action=GetRole&RoleName=web"),
        ok("GetRole", &format!("<Role>{role}</Role>"))
    );
    assert_eq!(
        s.call("Action=ListRoles"),
        ok(
            "ListRoles",
            &format!("<Roles><member>{role}</member></Roles><IsTruncated>false</IsTruncated>")
        )
    );
    // UpdateRole's output shape is empty: AWS (and botocore) still want the element.
    assert_eq!(
        s.call("Action=UpdateRole&RoleName=web&MaxSessionDuration=7200"),
        ok("UpdateRole", "")
    );
    s.call("Action=CreateInstanceProfile&InstanceProfileName=web");
    s.call("Action=AddRoleToInstanceProfile&InstanceProfileName=web&RoleName=web");
    let xml = s.call("Action=GetInstanceProfile&InstanceProfileName=web");
    assert!(
        xml.starts_with(&envelope("GetInstanceProfile", "")[..60]),
        "{xml}"
    );
    assert!(
        xml.contains("<InstanceProfileName>web</InstanceProfileName><InstanceProfileId>AIPA00000000000000002</InstanceProfileId>"),
        "{xml}"
    );
    assert!(
        xml.contains("<Roles><member><Path>/</Path><RoleName>web</RoleName>"),
        "{xml}"
    );
    assert!(
        xml.contains("<MaxSessionDuration>7200</MaxSessionDuration></member></Roles>"),
        "{xml}"
    );
}

#[test]
fn managed_policies_versions_and_inline_documents() {
    let mut s = Server::new();
    let doc = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}]}"#;
    let xml = s.call(&format!(
        "Action=CreatePolicy&PolicyName=p&PolicyDocument={}&Description=d%26d",
        enc(doc)
    ));
    assert_eq!(
        xml,
        ok(
            "CreatePolicy",
            "<Policy><PolicyName>p</PolicyName><PolicyId>ANPA00000000000000001</PolicyId>\
             <Arn>arn:aws:iam::123456789012:policy/p</Arn><Path>/</Path><DefaultVersionId>v1</DefaultVersionId>\
             <AttachmentCount>0</AttachmentCount><PermissionsBoundaryUsageCount>0</PermissionsBoundaryUsageCount>\
             <IsAttachable>true</IsAttachable><Description>d&amp;d</Description>\
             <CreateDate>2024-01-02T03:04:05Z</CreateDate><UpdateDate>2024-01-02T03:04:05Z</UpdateDate></Policy>"
        )
    );
    let arn = enc("arn:aws:iam::123456789012:policy/p");
    // Spaces are %20 (botocore unquotes, it does not unquote_plus).
    let doc_enc = "%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%5B%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Action%22%3A%20%22s3%3A%2A%22%2C%20%22Resource%22%3A%20%22arn%3Aaws%3As3%3A%3A%3Ab%2F%2A%22%7D%5D%7D";
    assert_eq!(
        s.call(&format!("Action=GetPolicyVersion&PolicyArn={arn}&VersionId=v1")),
        ok(
            "GetPolicyVersion",
            &format!(
                "<PolicyVersion><Document>{doc_enc}</Document><VersionId>v1</VersionId>\
                 <IsDefaultVersion>true</IsDefaultVersion><CreateDate>2024-01-02T03:04:05Z</CreateDate></PolicyVersion>"
            )
        )
    );
    assert_eq!(
        s.call(&format!(
            "Action=CreatePolicyVersion&PolicyArn={arn}&PolicyDocument={}&SetAsDefault=true",
            enc(doc)
        )),
        ok(
            "CreatePolicyVersion",
            "<PolicyVersion><VersionId>v2</VersionId><IsDefaultVersion>true</IsDefaultVersion>\
             <CreateDate>2024-01-02T03:04:05Z</CreateDate></PolicyVersion>"
        )
    );
    assert!(s
        .call(&format!("Action=ListPolicyVersions&PolicyArn={arn}"))
        .contains(
            "<Versions><member><VersionId>v1</VersionId><IsDefaultVersion>false</IsDefaultVersion>"
        ));
    s.call("Action=CreateUser&UserName=bob");
    assert_eq!(
        s.call(&format!(
            "Action=AttachUserPolicy&UserName=bob&PolicyArn={arn}"
        )),
        envelope("AttachUserPolicy", "")
    );
    assert_eq!(
        s.call("Action=ListAttachedUserPolicies&UserName=bob"),
        ok(
            "ListAttachedUserPolicies",
            "<AttachedPolicies><member><PolicyName>p</PolicyName><PolicyArn>arn:aws:iam::123456789012:policy/p</PolicyArn>\
             </member></AttachedPolicies><IsTruncated>false</IsTruncated>"
        )
    );
    assert_eq!(
        s.call(&format!("Action=ListEntitiesForPolicy&PolicyArn={arn}")),
        ok(
            "ListEntitiesForPolicy",
            "<PolicyGroups/><PolicyUsers><member><UserName>bob</UserName><UserId>AIDA00000000000000002</UserId>\
             </member></PolicyUsers><PolicyRoles/><IsTruncated>false</IsTruncated>"
        )
    );
    assert!(s
        .call("Action=ListPolicies&Scope=Local")
        .contains("<Policies><member><PolicyName>p</PolicyName>"));
    assert_eq!(
        s.call(&format!(
            "Action=PutUserPolicy&UserName=bob&PolicyName=inline&PolicyDocument={}",
            enc(doc)
        )),
        envelope("PutUserPolicy", "")
    );
    assert_eq!(
        s.call("Action=GetUserPolicy&UserName=bob&PolicyName=inline"),
        ok(
            "GetUserPolicy",
            &format!("<UserName>bob</UserName><PolicyName>inline</PolicyName><PolicyDocument>{doc_enc}</PolicyDocument>")
        )
    );
    assert_eq!(
        s.call("Action=ListUserPolicies&UserName=bob"),
        ok(
            "ListUserPolicies",
            "<PolicyNames><member>inline</member></PolicyNames><IsTruncated>false</IsTruncated>"
        )
    );
    assert_eq!(
        s.call(&format!(
            "Action=PutUserPermissionsBoundary&UserName=bob&PermissionsBoundary={arn}"
        )),
        envelope("PutUserPermissionsBoundary", "")
    );
    assert!(s.call("Action=GetUser&UserName=bob").contains(
        "<PermissionsBoundary><PermissionsBoundaryType>PermissionsBoundaryPolicy</PermissionsBoundaryType>\
         <PermissionsBoundaryArn>arn:aws:iam::123456789012:policy/p</PermissionsBoundaryArn></PermissionsBoundary>"
    ));
}

#[test]
fn credentials_and_account() {
    let mut s = Server::new();
    s.call("Action=CreateUser&UserName=bob");
    let xml = s.call("Action=CreateAccessKey&UserName=bob");
    assert!(
        xml.contains("<AccessKey><UserName>bob</UserName><AccessKeyId>AKIA"),
        "{xml}"
    );
    assert!(
        xml.contains("</AccessKeyId><Status>Active</Status><SecretAccessKey>"),
        "{xml}"
    );
    assert!(
        xml.contains("</SecretAccessKey><CreateDate>2024-01-02T03:04:05Z</CreateDate></AccessKey>"),
        "{xml}"
    );
    let xml = s.call("Action=ListAccessKeys&UserName=bob");
    assert!(
        xml.contains("<AccessKeyMetadata><member><UserName>bob</UserName><AccessKeyId>AKIA"),
        "{xml}"
    );
    assert!(!xml.contains("SecretAccessKey"), "{xml}");
    let id = xml
        .split("<AccessKeyId>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        s.call(&format!("Action=GetAccessKeyLastUsed&AccessKeyId={id}")),
        ok(
            "GetAccessKeyLastUsed",
            "<UserName>bob</UserName><AccessKeyLastUsed><ServiceName>N/A</ServiceName><Region>N/A</Region></AccessKeyLastUsed>"
        )
    );
    assert_eq!(
        s.call("Action=ListAccessKeys"),
        ok(
            "ListAccessKeys",
            "<AccessKeyMetadata/><IsTruncated>false</IsTruncated>"
        )
    );
    assert_eq!(
        s.call(
            "Action=CreateLoginProfile&UserName=bob&Password=Secret-123&PasswordResetRequired=true"
        ),
        ok(
            "CreateLoginProfile",
            "<LoginProfile><UserName>bob</UserName><CreateDate>2024-01-02T03:04:05Z</CreateDate>\
             <PasswordResetRequired>true</PasswordResetRequired></LoginProfile>"
        )
    );
    let xml = s.call("Action=CreateVirtualMFADevice&VirtualMFADeviceName=bob-phone");
    assert!(xml.contains("<VirtualMFADevice><SerialNumber>arn:aws:iam::123456789012:mfa/bob-phone</SerialNumber><Base32StringSeed>"), "{xml}");
    // The QR code of the otpauth URI, drawn by the renderer: base64 of a PNG.
    assert!(
        xml.contains("</Base32StringSeed><QRCodePNG>iVBORw0KGgo"),
        "{xml}"
    );
    assert!(s.call("Action=ListVirtualMFADevices").contains("<VirtualMFADevices><member><SerialNumber>arn:aws:iam::123456789012:mfa/bob-phone</SerialNumber></member>"));
    // Not enabled for bob (enabling needs two codes of the seed: tests/aws/boto3_lifecycle.py).
    let xml = s.call(
        "Action=GetMFADevice&UserName=bob&SerialNumber=arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Fbob-phone",
    );
    assert!(
        xml.contains("<Code>NoSuchEntity</Code>") && xml.contains("is not enabled for user bob"),
        "{xml}"
    );
    let xml = s.call(
        "Action=ListMFADeviceTags&SerialNumber=arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Fbob-phone",
    );
    assert!(
        xml.contains("<ListMFADeviceTagsResult><Tags/><IsTruncated>false</IsTruncated>"),
        "{xml}"
    );
    let xml = s.call("Action=GetMFADevice&UserName=bob&SerialNumber=short");
    assert!(xml.contains("<Code>ValidationError</Code>"), "{xml}");
    assert_eq!(
        s.call("Action=CreateAccountAlias&AccountAlias=acme-prod"),
        envelope("CreateAccountAlias", "")
    );
    assert_eq!(
        s.call("Action=ListAccountAliases"),
        ok("ListAccountAliases", "<AccountAliases><member>acme-prod</member></AccountAliases><IsTruncated>false</IsTruncated>")
    );
    s.call("Action=UpdateAccountPasswordPolicy&MinimumPasswordLength=12&MaxPasswordAge=90");
    assert_eq!(
        s.call("Action=GetAccountPasswordPolicy"),
        ok(
            "GetAccountPasswordPolicy",
            "<PasswordPolicy><MinimumPasswordLength>12</MinimumPasswordLength><RequireSymbols>false</RequireSymbols>\
             <RequireNumbers>false</RequireNumbers><RequireUppercaseCharacters>false</RequireUppercaseCharacters>\
             <RequireLowercaseCharacters>false</RequireLowercaseCharacters>\
             <AllowUsersToChangePassword>false</AllowUsersToChangePassword><ExpirePasswords>true</ExpirePasswords>\
             <MaxPasswordAge>90</MaxPasswordAge><HardExpiry>false</HardExpiry></PasswordPolicy>"
        )
    );
    let xml = s.call("Action=GetAccountSummary");
    assert!(
        xml.contains(
            "<SummaryMap><entry><key>AccessKeysPerUserQuota</key><value>2</value></entry>"
        ),
        "{xml}"
    );
    assert!(
        xml.contains("<entry><key>Users</key><value>1</value></entry>"),
        "{xml}"
    );
    assert_eq!(
        s.call("Action=GenerateCredentialReport"),
        ok(
            "GenerateCredentialReport",
            "<State>STARTED</State><Description>No report exists. Starting a new report generation task</Description>"
        )
    );
    let xml = s.call("Action=GetCredentialReport");
    let content = xml
        .split("<Content>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    use base64::Engine as _;
    let csv = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(content)
            .unwrap(),
    )
    .unwrap();
    assert!(csv.starts_with("user,arn,user_creation_time,"), "{csv}");
    assert!(xml.contains("<ReportFormat>text/csv</ReportFormat><GeneratedTime>2024-01-02T03:04:05Z</GeneratedTime>"), "{xml}");
}

#[test]
fn simulation_shapes() {
    let result = EvaluationResult {
        eval_action_name: "s3:GetObject".into(),
        eval_resource_name: "*".into(),
        eval_decision: "allowed".into(),
        matched_statements: vec![StatementSource {
            source_policy_id: "p".into(),
            source_policy_type: "IAM Policy".into(),
        }],
        missing_context_values: Vec::new(),
        permissions_boundary_allowed: Some(true),
        eval_decision_details: Default::default(),
    };
    let page = iam_state::ops::Page {
        items: vec![result],
        is_truncated: false,
        marker: None,
    };
    assert_eq!(
        render("SimulatePrincipalPolicy", &Answer::Simulation(page), RID).unwrap(),
        ok(
            "SimulatePrincipalPolicy",
            "<EvaluationResults><member><EvalActionName>s3:GetObject</EvalActionName><EvalResourceName>*</EvalResourceName>\
             <EvalDecision>allowed</EvalDecision><MatchedStatements><member><SourcePolicyId>p</SourcePolicyId>\
             <SourcePolicyType>IAM Policy</SourcePolicyType></member></MatchedStatements><MissingContextValues/>\
             <PermissionsBoundaryDecisionDetail><AllowedByPermissionsBoundary>true</AllowedByPermissionsBoundary>\
             </PermissionsBoundaryDecisionDetail></member></EvaluationResults><IsTruncated>false</IsTruncated>"
        )
    );
    assert_eq!(
        render(
            "GetContextKeysForCustomPolicy",
            &Answer::ContextKeys(vec!["aws:SourceIp".into()]),
            RID
        )
        .unwrap(),
        ok(
            "GetContextKeysForCustomPolicy",
            "<ContextKeyNames><member>aws:SourceIp</member></ContextKeyNames>"
        )
    );
}

/// A result that does not read as its action's type is refused (`ServiceFailure`), never
/// rendered with elements missing: here a user whose `arn` field was renamed.
#[test]
fn a_result_of_the_wrong_shape_is_an_error_not_a_response_missing_elements() {
    let mut s = Server::new();
    let xml = s.call("Action=CreateUser&UserName=alice");
    assert!(
        xml.contains("<Arn>arn:aws:iam::123456789012:user/alice</Arn>"),
        "{xml}"
    );
    let get = iam_state::ops::users::UserQuery::Get {
        name: "alice".into(),
    };
    let mut user = iam_state::Query::in_account(A, get).run(&s.store).unwrap();
    let arn = user.as_object_mut().unwrap().remove("arn").unwrap();
    user["resource_name"] = arn;
    let e = render("GetUser", &Answer::State(user), RID).unwrap_err();
    assert_eq!(e.code, iam_model::ErrorCode::ServiceFailure);
    assert_eq!(
        e.message,
        "The result of GetUser could not be rendered: missing field `arn`"
    );
    // A value is never quoted (a result may hold a secret).
    let key = serde_json::json!({"user_name": 7, "secret_access_key": "s3cr3t"});
    let e = render("CreateAccessKey", &Answer::State(key), RID).unwrap_err();
    assert!(
        !e.message.contains("s3cr3t") && !e.message.contains('7'),
        "{}",
        e.message
    );
}

#[path = "render/details.rs"]
mod details;
#[path = "render/providers.rs"]
mod providers;
#[path = "render/server_certs.rs"]
mod server_certs;
#[path = "render/service_linked_roles.rs"]
mod service_linked_roles;
#[path = "render/signing_certs.rs"]
mod signing_certs;
#[path = "render/ssh_keys.rs"]
mod ssh_keys;
