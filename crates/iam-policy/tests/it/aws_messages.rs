//! AWS's exact messages. Each row is a document, the kind it is sent as and the message AWS
//! IAM returns (`aws_message()`, without iamd's detail and location). The invalid and valid
//! documents are the ones whose real AWS responses moto records in
//! `tests/test_iam/test_iam_policies.py` (all sent through CreatePolicy, i.e. as managed
//! policies), plus rows for the kinds that differ (inline and trust policies accept a
//! document without Version). See `VALIDATION.md` for the rules and their order.

use iam_policy::{parse, PolicyKind};

/// `{"Version":"2012-10-17","Statement":<statement>}`
fn v(statement: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":{statement}}}"#)
}

/// The usual statement with `extra` appended inside it.
fn s3(extra: &str) -> String {
    format!(
        r#"{{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"{extra}}}"#
    )
}

/// A statement with `Effect: Allow`, the given Action and Resource elements (JSON text).
fn st(action: &str, resource: &str) -> String {
    format!(r#"{{"Effect":"Allow","Action":{action},"Resource":{resource}}}"#)
}

const SYNTAX: &str = "Syntax errors in policy.";
const VERSION: &str = "Policy document must be version 2012-10-17 or greater.";
const LEGACY: &str = "The policy failed legacy parsing";
const VENDOR: &str = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";
const ONE_COLON: &str = "Actions/Condition can contain only one colon.";
const NO_ACTIONS: &str = "Policy statement must contain actions.";
const NO_RESOURCES: &str = "Policy statement must contain resources.";
const UNIQUE_SIDS: &str = "Statement IDs (SID) in a single policy must be unique.";
const VENDOR_REGEX: &str = "Resource vendor must be fully qualified and cannot contain regexes.";
const IAM_PATH: &str = "IAM resource path must either be \"*\" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.";
const BUCKET: &str = r#""arn:aws:s3:::example_bucket""#;

fn invalid_managed() -> Vec<(String, &'static str)> {
    let stmt_no_version = r#"{"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}}"#;
    vec![
        ("This is not a json document".into(), SYNTAX),
        (stmt_no_version.into(), VERSION),
        (stmt_no_version.replace(r#"{"Statement""#, r#"{"Version":"2008-10-17","Statement""#), VERSION),
        (stmt_no_version.replace(r#"{"Statement""#, r#"{"Version":"2013-10-17","Statement""#), SYNTAX),
        (r#"{"Version":"2012-10-17"}"#.into(), SYNTAX),
        (v(r#"["afd"]"#), SYNTAX),
        (format!(r#"{{"Version":"2012-10-17","Statement":{},"Extra field":"value"}}"#, s3("")), SYNTAX),
        (v(&s3(r#","Extra field":"value""#)), SYNTAX),
        (format!(r#"{{"Version":"2012-10-17","Id":["cd3a324d2343d942772346-34234234423404-4c2242343242349d1642ee"],"Statement":{}}}"#, s3("")), SYNTAX),
        (format!(r#"{{"Version":"2012-10-17","Id":{{}},"Statement":{}}}"#, s3("")), SYNTAX),
        (v(r#"{"Effect":"invalid","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}"#), SYNTAX),
        (v(&st(r#""invalid""#, BUCKET)), VENDOR),
        (v(r#"{"Effect":"Allow","NotAction":"","Resource":"arn:aws:s3:::example_bucket"}"#), VENDOR),
        (v(&st(r#""a a:ListBucket""#, BUCKET)), "Vendor a a is not valid"),
        (v(&st(r#""s3:List:Bucket""#, BUCKET)), ONE_COLON),
        (v(&format!("[{},{}]", st(r#""s3s:ListBucket""#, BUCKET), st(r#""s:3s:ListBucket""#, BUCKET))), ONE_COLON),
        (v(&st(r#""s3:ListBucket""#, r#""invalid resource""#)), "Resource invalid resource must be in ARN format or \"*\"."),
        (v(r#"[{"Sid":"EnableDisableHongKong","Effect":"Allow","Action":["account:EnableRegion","account:DisableRegion"],"Resource":"","Condition":{"StringEquals":{"account:TargetRegion":"ap-east-1"}}},{"Sid":"ViewConsole","Effect":"Allow","Action":["aws-portal:ViewAccount","account:ListRegions"],"Resource":""}]"#), "Resource  must be in ARN format or \"*\"."),
        (v(&st(r#""s:3:ListBucket""#, r#""sdfsadf""#)), "Resource sdfsadf must be in ARN format or \"*\"."),
        (v(&st(r#""s3:ListBucket""#, r#"["adf"]"#)), "Resource adf must be in ARN format or \"*\"."),
        (v(&st(r#""s3:ListBucket""#, r#""""#)), "Resource  must be in ARN format or \"*\"."),
        (v(r#"{"Effect":"Allow","NotAction":"s3s:ListBucket","Resource":"a:bsdfdsafsad"}"#), "Partition \"bsdfdsafsad\" is not valid for resource \"arn:bsdfdsafsad:*:*:*:*\"."),
        (v(r#"{"Effect":"Allow","NotAction":"s3s:ListBucket","Resource":"a:b:cadfsdf"}"#), "Partition \"b\" is not valid for resource \"arn:b:cadfsdf:*:*:*\"."),
        (v(r#"{"Effect":"Allow","NotAction":"s3s:ListBucket","Resource":"a:b:c:d:e:f:g:h"}"#), "Partition \"b\" is not valid for resource \"arn:b:c:d:e:f:g:h\"."),
        (v(&st(r#""s3:ListBucket""#, r#""aws:s3:::example_bucket""#)), "Partition \"s3\" is not valid for resource \"arn:s3:::example_bucket:*\"."),
        (v(&st(r#""s3:ListBucket""#, r#"["arn:error:s3:::example_bucket","arn:error:s3::example_bucket"]"#)), "Partition \"error\" is not valid for resource \"arn:error:s3:::example_bucket\"."),
        (v("[]"), SYNTAX),
        (v(r#"{"Effect":"Allow","Action":"s3:ListBucket"}"#), NO_RESOURCES),
        (v(&st(r#""s3:ListBucket""#, "[]")), NO_RESOURCES),
        (v(r#"{"Effect":"Allow","Action":"invalid"}"#), VENDOR),
        (v(r#"{"Effect":"Allow","Resource":"arn:aws:s3:::example_bucket"}"#), NO_ACTIONS),
        (v(r#"{"Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}"#), SYNTAX),
        (v(r#"{"Effect":"Allow"}"#), NO_ACTIONS),
        (v(&st("[]", BUCKET)), NO_ACTIONS),
        (v(&format!(r#"[{{"Effect":"Deny"}},{}]"#, s3(""))), NO_ACTIONS),
        (v(&st(r#""s3:ListBucket""#, r#""arn:aws:iam:::example_bucket""#)), IAM_PATH),
        (v(&st(r#""s3:ListBucket""#, r#""arn:aws:s3::example_bucket""#)), LEGACY),
        (v(r#"{"Effect":"Allow","Resource":"arn:aws:s3::example_bucket"}"#), LEGACY),
        (v(&st(r#""s3:ListBucket""#, r#""arn:aws""#)), VENDOR_REGEX),
        (v(&st(r#""s3:ListBucket""#, r#"{"a":"arn:aws:s3:::example_bucket"}"#)), SYNTAX),
        (v(r#"{"Effect":"Deny","Action":"s3:ListBucket","Resource":["adfdf",{}]}"#), SYNTAX),
        (v(r#"{"Effect":"Allow","NotAction":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","NotResource":[]}"#), SYNTAX),
        (v(r#"{"Effect":"Deny","Action":[[]],"Resource":"arn:aws:s3:::example_bucket"}"#), SYNTAX),
        (v(r#"{"Effect":"Allow","NotAction":"s3s:ListBucket","Action":[],"Resource":"arn:aws:s3:::example_bucket"}"#), SYNTAX),
        (v(&st("{}", BUCKET)), SYNTAX),
        (v(&s3(r#","Condition":[]"#)), SYNTAX),
        (v(&s3(r#","Condition":"a""#)), SYNTAX),
        (v(&s3(r#","Condition":{"a":"b"}"#)), SYNTAX),
        (v(&s3(r#","Condition":{"DateGreaterThan":"b"}"#)), SYNTAX),
        (v(&s3(r#","Condition":{"DateGreaterThan":[]}"#)), SYNTAX),
        (v(&s3(r#","Condition":{"DateGreaterThan":{"a":{}}}"#)), SYNTAX),
        (v(r#"{"Effect":"Allow","Resource":"arn:aws:s3:::example_bucket","Condition":{"DateGreaterThan":{"a":{}}}}"#), SYNTAX),
        (v(&s3(r#","Condition":{"x":{"a":"1"}}"#)), SYNTAX),
        (v(&s3(r#","Condition":{"ForAnyValue::StringEqualsIfExists":{"a":"asf"}}"#)), SYNTAX),
        (v(&s3(r#","Condition":[{"ForAllValues:StringEquals":{"aws:TagKeys":"Department"}}]"#)), SYNTAX),
        (v(&st(r#""s3:ListBucket""#, r#""arn:aws:iam:us-east-1::example_bucket""#)), "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information."),
        (v(&st(r#""s3:ListBucket""#, r#""arn:aws:s3:us-east-1::example_bucket""#)), "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information."),
        (v(r#"{"Sid":{},"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}"#), SYNTAX),
        (v(r#"{"Sid":[],"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}"#), SYNTAX),
        (v(r#"[{"Sid":"sdf","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"},{"Sid":"sdf","Effect":"Allow"}]"#), UNIQUE_SIDS),
        (r#"{"Statement":[{"Sid":"sdf","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"},{"Sid":"sdf","Effect":"Allow"}]}"#.into(), VERSION),
        (v(r#"{"Effect":"Allow","NotAction":"s3:ListBucket","Action":"iam:dsf","Resource":"arn:aws:s3:::example_bucket"}"#), SYNTAX),
        (v(&s3(r#","NotResource":"*""#)), SYNTAX),
        (v(r#"{"Effect":"denY","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}"#), LEGACY),
        (v(&s3(r#","Condition":{"DateGreaterThan":{"a":"sdfdsf"}}"#)), LEGACY),
        (format!(r#"{{"Statement":{}}}"#, s3(r#","Condition":{"DateGreaterThan":{"a":"sdfdsf"}}"#)), VERSION),
        (r#"{"Statement":{"Effect":"denY","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}}"#.into(), VERSION),
        (v(r#"{"Effect":"Allow","Condition":{"DateGreaterThan":{"a":"sdfdsf"}}}"#), LEGACY),
        (v(r#"{"Effect":"Allow","NotAction":"s3:ListBucket","Resource":"arn:aws::::example_bucket"}"#), LEGACY),
        (v(r#"{"Effect":"allow","Resource":"arn:aws:s3:us-east-1::example_bucket"}"#), LEGACY),
        (v(r#"[{"Sid":"sdf","Effect":"aLLow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"},{"Sid":"sdf","Effect":"Allow"}]"#), LEGACY),
        (v(r#"{"Effect":"Allow","Action":"s3:ListBucket","NotResource":"arn:aws:s3::example_bucket"}"#), LEGACY),
        (v(&s3(r#","Condition":{"DateLessThanEquals":{"a":"234-13"}}"#)), LEGACY),
        (v(&s3(r#","Condition":{"DateLessThanEquals":{"a":"2016-12-13t2:00:00.593194+1"}}"#)), LEGACY),
        (v(&s3(r#","Condition":{"DateLessThanEquals":{"a":"2016-12-13t2:00:00.1999999999+10:59"}}"#)), LEGACY),
        (v(&s3(r#","Condition":{"DateLessThan":{"a":"9223372036854775808"}}"#)), LEGACY),
        (v(r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:error:s3:::example_bucket","Condition":{"DateGreaterThan":{"a":"sdfdsf"}}}"#), LEGACY),
        (v(&st(r#""s3:ListBucket""#, r#""arn:aws::fdsasf""#)), LEGACY),
    ]
}

fn valid_managed() -> Vec<String> {
    let self_service = |extra: &str| {
        let user = "arn:aws:iam::*:user/${aws:username}";
        format!(
            r#"[{{"Sid":"AllowViewAccountInfo","Effect":"Allow","Action":["iam:GetAccountPasswordPolicy","iam:GetAccountSummary"{extra}],"Resource":"*"}},
            {{"Sid":"AllowManageOwnPasswords","Effect":"Allow","Action":["iam:ChangePassword","iam:GetUser"],"Resource":"{user}"}},
            {{"Sid":"AllowManageOwnAccessKeys","Effect":"Allow","Action":["iam:CreateAccessKey","iam:DeleteAccessKey","iam:ListAccessKeys","iam:UpdateAccessKey"],"Resource":"{user}"}},
            {{"Sid":"AllowManageOwnSigningCertificates","Effect":"Allow","Action":["iam:DeleteSigningCertificate","iam:ListSigningCertificates","iam:UpdateSigningCertificate","iam:UploadSigningCertificate"],"Resource":"{user}"}},
            {{"Sid":"AllowManageOwnSSHPublicKeys","Effect":"Allow","Action":["iam:DeleteSSHPublicKey","iam:GetSSHPublicKey","iam:ListSSHPublicKeys","iam:UpdateSSHPublicKey","iam:UploadSSHPublicKey"],"Resource":"{user}"}},
            {{"Sid":"AllowManageOwnGitCredentials","Effect":"Allow","Action":["iam:CreateServiceSpecificCredential","iam:DeleteServiceSpecificCredential","iam:ListServiceSpecificCredentials","iam:ResetServiceSpecificCredential","iam:UpdateServiceSpecificCredential"],"Resource":"{user}"}}"#
        )
    };
    let mfa = format!(
        r#"{},
        {{"Sid":"AllowManageOwnVirtualMFADevice","Effect":"Allow","Action":["iam:CreateVirtualMFADevice","iam:DeleteVirtualMFADevice"],"Resource":"arn:aws:iam::*:mfa/${{aws:username}}"}},
        {{"Sid":"AllowManageOwnUserMFA","Effect":"Allow","Action":["iam:DeactivateMFADevice","iam:EnableMFADevice","iam:ListMFADevices","iam:ResyncMFADevice"],"Resource":"arn:aws:iam::*:user/${{aws:username}}"}},
        {{"Sid":"DenyAllExceptListedIfNoMFA","Effect":"Deny","NotAction":["iam:CreateVirtualMFADevice","iam:EnableMFADevice","iam:GetUser","iam:ListMFADevices","iam:ListVirtualMFADevices","iam:ResyncMFADevice","sts:GetSessionToken"],"Resource":"*","Condition":{{"BoolIfExists":{{"aws:MultiFactorAuthPresent":"false"}}}}}}]"#,
        self_service(r#","iam:ListVirtualMFADevices""#)
    );
    let dates = r#","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2017-07-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2017-12-31T23:59:59Z"}}"#;
    let cond = |c: &str| v(&s3(&format!(r#","Condition":{c}"#)));
    let res = |r: &str| v(&st(r#""s3:ListBucket""#, r));
    let act = |a: &str| v(&st(a, BUCKET));
    vec![
        res(r#"["arn:aws:s3:::example_bucket"]"#),
        act(r#""iam: asdf safdsf af ""#),
        res(r#"["arn:aws:s3:::example_bucket","*"]"#),
        act(r#""*""#),
        v(&format!("[{}]", s3(""))),
        v(&format!(r#"{{"Effect":"Allow","Action":"service-prefix:action-name","Resource":"*"{dates}}}"#)),
        act(r#""fsx:ListBucket""#),
        res(r#""arn:aws:iam:::user/example_bucket""#),
        res(r#""arn:aws:s33:::example_bucket""#),
        res(r#""arn:aws:fdsasf""#),
        cond("{}"),
        cond(r#"{"ForAllValues:StringEquals":{"aws:TagKeys":"Department"}}"#),
        res(r#""arn:aws:cloudwatch:us-east-1::example_bucket""#),
        res(r#""arn:aws:ec2:us-east-1::example_bucket""#),
        res(r#""arn:aws:invalid-service:::example_bucket""#),
        res(r#""arn:aws:invalid-service:us-east-1::example_bucket""#),
        v(&s3(dates)),
        cond(r#"{"DateGreaterThan":{}}"#),
        cond(r#"{"DateGreaterThan":{"a":[]}}"#),
        cond(r#"{"a":{}}"#),
        v(r#"{"Sid":"dsfsdfsdfsdfsdfsadfsd","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}"#),
        v(r#"[{"Sid":"ConsoleDisplay","Effect":"Allow","Action":["iam:GetRole","iam:GetUser","iam:ListRoles","iam:ListRoleTags","iam:ListUsers","iam:ListUserTags"],"Resource":"*"},
            {"Sid":"AddTag","Effect":"Allow","Action":["iam:TagUser","iam:TagRole"],"Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/CostCenter":["A-123","B-456"]},"ForAllValues:StringEquals":{"aws:TagKeys":"CostCenter"}}}]"#),
        v(r#"{"Effect":"Allow","NotAction":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}"#),
        v(r#"{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::HRBucket/Payroll","arn:aws:s3:::HRBucket/Payroll/*"]}"#),
        r#"{"Version":"2012-10-17","Id":"sdfsdfsdf","Statement":{"Effect":"Allow","NotAction":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}}"#.into(),
        act(r#""aaaaaadsfdsafsadfsadfaaaaa:ListBucket""#),
        act(r#""s3-s:ListBucket""#),
        act(r#""s3.s:ListBucket""#),
        v(r#"{"Effect":"Allow","NotAction":"s3:ListBucket","NotResource":"*"}"#),
        v(&format!(r#"[{{"Sid":"sdf","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}},{}]"#, s3(""))),
        cond(r#"{"DateGreaterThan":{"a":"01T"}}"#),
        cond(r#"{"x":{},"y":{}}"#),
        cond(r#"{"StringEqualsIfExists":{"a":"asf"}}"#),
        cond(r#"{"ForAnyValue:StringEqualsIfExists":{"a":"asf"}}"#),
        cond(r#"{"DateLessThanEquals":{"a":"2019-07-01T13:20:15Z"}}"#),
        cond(r#"{"DateLessThanEquals":{"a":"2016-12-13T21:20:37.593194+00:00"}}"#),
        cond(r#"{"DateLessThanEquals":{"a":"2016-12-13t2:00:00.593194+23"}}"#),
        cond(r#"{"DateLessThan":{"a":"-292275054"}}"#),
        v(&mfa),
        v(r#"[{"Sid":"ListAndDescribe","Effect":"Allow","Action":["dynamodb:List*","dynamodb:DescribeReservedCapacity*","dynamodb:DescribeLimits","dynamodb:DescribeTimeToLive"],"Resource":"*"},
            {"Sid":"SpecificTable","Effect":"Allow","Action":["dynamodb:BatchGet*","dynamodb:DescribeStream","dynamodb:DescribeTable","dynamodb:Get*","dynamodb:Query","dynamodb:Scan","dynamodb:BatchWrite*","dynamodb:CreateTable","dynamodb:Delete*","dynamodb:Update*","dynamodb:PutItem"],"Resource":"arn:aws:dynamodb:*:*:table/MyTable"}]"#),
        v(r#"[{"Effect":"Allow","Action":["ec2:AttachVolume","ec2:DetachVolume"],"Resource":["arn:aws:ec2:*:*:volume/*","arn:aws:ec2:*:*:instance/*"],"Condition":{"ArnEquals":{"ec2:SourceInstanceARN":"arn:aws:ec2:*:*:instance/instance-id"}}}]"#),
        v(r#"[{"Effect":"Allow","Action":["ec2:AttachVolume","ec2:DetachVolume"],"Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"StringEquals":{"ec2:ResourceTag/Department":"Development"}}},
            {"Effect":"Allow","Action":["ec2:AttachVolume","ec2:DetachVolume"],"Resource":"arn:aws:ec2:*:*:volume/*","Condition":{"StringEquals":{"ec2:ResourceTag/VolumeUser":"${aws:username}"}}}]"#),
        v(r#"[{"Sid":"StartStopIfTags","Effect":"Allow","Action":["ec2:StartInstances","ec2:StopInstances","ec2:DescribeTags"],"Resource":"arn:aws:ec2:region:account-id:instance/*","Condition":{"StringEquals":{"ec2:ResourceTag/Project":"DataAnalytics","aws:PrincipalTag/Department":"Data"}}}]"#),
        v(r#"[{"Sid":"ListYourObjects","Effect":"Allow","Action":"s3:ListBucket","Resource":["arn:aws:s3:::bucket-name"],"Condition":{"StringLike":{"s3:prefix":["cognito/application-name/${cognito-identity.amazonaws.com:sub}"]}}},
            {"Sid":"ReadWriteDeleteYourObjects","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],"Resource":["arn:aws:s3:::bucket-name/cognito/application-name/${cognito-identity.amazonaws.com:sub}","arn:aws:s3:::bucket-name/cognito/application-name/${cognito-identity.amazonaws.com:sub}/*"]}]"#),
        v(r#"[{"Effect":"Allow","Action":["s3:ListAllMyBuckets","s3:GetBucketLocation"],"Resource":"*"},
            {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bucket-name","Condition":{"StringLike":{"s3:prefix":["","home/","home/${aws:userid}/*"]}}},
            {"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::bucket-name/home/${aws:userid}","arn:aws:s3:::bucket-name/home/${aws:userid}/*"]}]"#),
        v(r#"[{"Sid":"ConsoleAccess","Effect":"Allow","Action":["s3:GetAccountPublicAccessBlock","s3:GetBucketAcl","s3:GetBucketLocation","s3:GetBucketPolicyStatus","s3:GetBucketPublicAccessBlock","s3:ListAllMyBuckets"],"Resource":"*"},
            {"Sid":"ListObjectsInBucket","Effect":"Allow","Action":"s3:ListBucket","Resource":["arn:aws:s3:::bucket-name"]},
            {"Sid":"AllObjectActions","Effect":"Allow","Action":"s3:*Object","Resource":["arn:aws:s3:::bucket-name/*"]}]"#),
        v(&format!("{}]", self_service(""))),
        v(r#"[{"Action":"ec2:*","Resource":"*","Effect":"Allow","Condition":{"StringEquals":{"ec2:Region":"region"}}}]"#),
        v(r#"[{"Effect":"Allow","Action":"rds:*","Resource":["arn:aws:rds:region:*:*"]},{"Effect":"Allow","Action":["rds:Describe*"],"Resource":["*"]}]"#),
        v(r#"[{"Sid":"","Effect":"Allow","Action":"rds:*","Resource":["arn:aws:rds:region:*:*"]},{"Sid":"","Effect":"Allow","Action":["rds:Describe*"],"Resource":["*"]}]"#),
        v(r#"[{"Sid":"","Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:us-west-2:123456789012:accesspoint/my-access-point","arn:aws:s3:us-west-2:123456789012:accesspoint/my-access-point/object/*"]}]"#),
    ]
}

/// Rows for the kinds other than managed policies (not in moto's table).
fn other_kinds() -> Vec<(String, PolicyKind, Option<&'static str>)> {
    use PolicyKind::*;
    let no_version = format!(r#"{{"Statement":{}}}"#, s3(""));
    let old = format!(r#"{{"Version":"2008-10-17","Statement":{}}}"#, s3(""));
    let trust = r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;
    vec![
        // Inline, trust and session policies may omit the Version or use 2008-10-17.
        (no_version.clone(), UserInline, None),
        (old.clone(), GroupInline, None),
        (no_version.clone(), RoleInline, None),
        (no_version.clone(), Session, None),
        (trust.into(), Trust, None),
        // A permissions boundary is a managed policy.
        (no_version, Boundary, Some(VERSION)),
        (old, Boundary, Some(VERSION)),
        // An unknown version is a syntax error for every kind.
        (format!(r#"{{"Version":"2012-10-18","Statement":{}}}"#, s3("")), UserInline, Some(SYNTAX)),
        // The same rules and order for inline policies.
        (v(r#"{"Effect":"Allow","Action":"s3:ListBucket"}"#), UserInline, Some(NO_RESOURCES)),
        (v(r#"{"Effect":"deny","Action":"s3:ListBucket","Resource":"*"}"#), RoleInline, Some(LEGACY)),
        // Stages run over every statement: a wrong-case Effect in the second statement is
        // found before the first one's missing actions.
        (v(r#"[{"Effect":"Allow","Resource":"*"},{"Effect":"ALLOW","Action":"s3:*","Resource":"*"}]"#), Managed, Some(LEGACY)),
        (v(&s3(r#","Condition":{"NullIfExists":{"a":"true"}}"#)), Managed, Some(SYNTAX)),
        (v(&s3(r#","Condition":{"NullIfExists":{}}"#)), Managed, None),
        // Trust policies have no resources; their actions are checked the same way.
        (r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:Assume:Role"}}"#.into(), Trust, Some(ONE_COLON)),
        (r#"{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}}}"#.into(), Trust, Some(NO_ACTIONS)),
    ]
}

fn check(doc: &str, kind: PolicyKind, expected: Option<&str>) -> Option<String> {
    let got = parse(doc, kind).err();
    let got_text = got.as_ref().map(|e| e.aws_message());
    if got_text == expected {
        if let Some(e) = &got {
            assert_eq!(e.code(), "MalformedPolicyDocument", "{doc}");
            assert!(e.message().starts_with(e.aws_message()), "{}", e.message());
        }
        return None;
    }
    Some(format!(
        "{kind:?} {doc}\n  want: {expected:?}\n  got:  {:?}",
        got.map(|e| e.message().to_owned())
    ))
}

#[test]
fn invalid_documents_get_aws_exact_messages() {
    let rows = invalid_managed();
    assert_eq!(rows.len(), 78);
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|(doc, want)| check(doc, PolicyKind::Managed, Some(want)))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for (doc, want) in &rows {
        let e = parse(doc, PolicyKind::Managed).err();
        assert_eq!(e.as_ref().map(|e| e.aws_message()), Some(*want), "{doc}");
    }
}

#[test]
fn valid_documents_are_accepted() {
    let docs = valid_managed();
    assert_eq!(docs.len(), 51);
    let failures: Vec<String> = docs
        .iter()
        .filter_map(|doc| check(doc, PolicyKind::Managed, None))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn other_policy_kinds() {
    let failures: Vec<String> = other_kinds()
        .iter()
        .filter_map(|(doc, kind, want)| check(doc, *kind, *want))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_full_message_keeps_the_detail_and_location() {
    let doc = v(
        r#"[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"Two","Effect":"Allow","Action":"s3:List:Bucket","Resource":"*"}]"#,
    );
    let e = parse(&doc, PolicyKind::Managed).err();
    let e = e.unwrap_or_else(|| panic!("accepted: {doc}"));
    assert_eq!(e.aws_message(), ONE_COLON);
    assert_eq!(e.detail(), "(action \"s3:List:Bucket\")");
    assert_eq!(
        e.message(),
        "Actions/Condition can contain only one colon. (action \"s3:List:Bucket\") \
         (statement 1, Sid \"Two\", element Action)"
    );
    assert_eq!(e.to_string(), e.message());
    assert_eq!(e.location().statement, Some(1));
}

#[test]
fn stored_documents_are_read_by_the_grammar_alone() {
    use iam_policy::{parse_with, ParseOptions};
    // Accepted by an earlier build's rules, refused by AWS's: still evaluated once stored.
    for doc in [
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#.to_owned(),
        v(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:iam::123456789012:root"}"#),
        v(r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:*:s3:::b"}"#),
    ] {
        assert!(parse(&doc, PolicyKind::Managed).is_err(), "{doc}");
        let stored = parse_with(&doc, PolicyKind::Managed, ParseOptions::stored());
        assert!(stored.is_ok(), "{doc}: {:?}", stored.err());
    }
    // The grammar still holds, and an Effect AWS would not read stays refused (evaluation
    // would take it for a Deny).
    for doc in [
        v(r#"{"Effect":"Allow","Resource":"*"}"#),
        v(r#"{"Effect":"allow","Action":"s3:*","Resource":"*"}"#),
        "not json".to_owned(),
    ] {
        assert!(
            parse_with(&doc, PolicyKind::Managed, ParseOptions::stored()).is_err(),
            "{doc}"
        );
    }
}
