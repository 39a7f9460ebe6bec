//! The standard principal of the policy-engine benchmark, shared by all three engines: a
//! user in 3 groups with 10 policies (60 statements, 21 of them with conditions), the
//! request context, the benchmarked request shapes, and the AWS JSON documents generated
//! from one structured description (so the Cedar translation is generated from the very
//! same statements).

use std::collections::BTreeMap;

use iam_policy::{PolicyKind, Verdict};
use serde_json::{json, Map, Value};

pub(crate) const USER: &str = "alice";
pub(crate) const USER_ARN: &str = "arn:aws:iam::111122223333:user/alice";
pub(crate) const GROUPS: [&str; 3] = ["Developers", "DataTeam", "Ops"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

/// `Action` or `NotAction`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Actions {
    Only(&'static [&'static str]),
    Not(&'static [&'static str]),
}

/// The condition kinds of the standard principal. Each maps to one AWS operator and key
/// (see [`Cond::aws`]) and to one Cedar expression (see the `cedar` module).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cond {
    /// `IpAddress` `aws:SourceIp`.
    SourceIpIn(&'static [&'static str]),
    /// `DateGreaterThan` `aws:CurrentTime`.
    After(&'static str),
    /// `DateLessThan` `aws:CurrentTime`.
    Before(&'static str),
    /// `Bool` `aws:MultiFactorAuthPresent`.
    Mfa(bool),
    /// `NumericLessThan` `aws:MultiFactorAuthAge`.
    MfaAgeBelow(i64),
    /// `StringEquals` `aws:PrincipalTag/<tag>`.
    TagIn(&'static str, &'static [&'static str]),
    /// `StringNotEquals` `aws:PrincipalTag/<tag>`.
    TagNotIn(&'static str, &'static [&'static str]),
    /// `StringLike` `aws:PrincipalTag/<tag>`.
    TagLike(&'static str, &'static str),
    /// `StringEquals` `aws:RequestedRegion`.
    RegionIn(&'static [&'static str]),
    /// `StringNotEquals` `aws:RequestedRegion`.
    RegionNotIn(&'static [&'static str]),
}

impl Cond {
    /// AWS operator, condition key and value.
    fn aws(self) -> (&'static str, String, Value) {
        fn list(vs: &[&str]) -> Value {
            match vs {
                [one] => json!(one),
                _ => json!(vs),
            }
        }
        match self {
            Cond::SourceIpIn(v) => ("IpAddress", "aws:SourceIp".into(), list(v)),
            Cond::After(t) => ("DateGreaterThan", "aws:CurrentTime".into(), json!(t)),
            Cond::Before(t) => ("DateLessThan", "aws:CurrentTime".into(), json!(t)),
            Cond::Mfa(b) => (
                "Bool",
                "aws:MultiFactorAuthPresent".into(),
                json!(b.to_string()),
            ),
            Cond::MfaAgeBelow(n) => (
                "NumericLessThan",
                "aws:MultiFactorAuthAge".into(),
                json!(n.to_string()),
            ),
            Cond::TagIn(k, v) => ("StringEquals", format!("aws:PrincipalTag/{k}"), list(v)),
            Cond::TagNotIn(k, v) => ("StringNotEquals", format!("aws:PrincipalTag/{k}"), list(v)),
            Cond::TagLike(k, p) => ("StringLike", format!("aws:PrincipalTag/{k}"), json!(p)),
            Cond::RegionIn(v) => ("StringEquals", "aws:RequestedRegion".into(), list(v)),
            Cond::RegionNotIn(v) => ("StringNotEquals", "aws:RequestedRegion".into(), list(v)),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Stmt {
    pub(crate) sid: &'static str,
    pub(crate) effect: Effect,
    pub(crate) actions: Actions,
    pub(crate) resources: &'static [&'static str],
    pub(crate) conds: &'static [Cond],
}

/// Where a policy is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attached {
    User,
    Group(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct PolicyDef {
    pub(crate) name: &'static str,
    pub(crate) kind: PolicyKind,
    pub(crate) attached: Attached,
    pub(crate) statements: &'static [Stmt],
}

use Actions::{Not, Only};
use Cond::*;
use Effect::{Allow, Deny};

const fn st(
    sid: &'static str,
    effect: Effect,
    actions: Actions,
    resources: &'static [&'static str],
    conds: &'static [Cond],
) -> Stmt {
    Stmt {
        sid,
        effect,
        actions,
        resources,
        conds,
    }
}

const IP_CORP: &[&str] = &["10.0.0.0/8", "192.168.0.0/16"];
const IP_VPN: &[&str] = &["10.0.0.0/8"];

/// The standard principal's 10 policies: 1 user inline, 2 managed attached to the user, and
/// per group 1 inline + 1 or 2 managed. 60 statements, 21 with conditions, 10 Deny
/// ([`counts`] checks).
pub(crate) const POLICIES: &[PolicyDef] = &[
    PolicyDef {
        name: "alice-inline",
        kind: PolicyKind::UserInline,
        attached: Attached::User,
        statements: &[
            st(
                "HomeObjects",
                Allow,
                Only(&["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]),
                &["arn:aws:s3:::corp-home/${aws:username}/*"],
                &[SourceIpIn(IP_CORP)],
            ),
            st(
                "HomeList",
                Allow,
                Only(&["s3:ListBucket"]),
                &["arn:aws:s3:::corp-home"],
                &[],
            ),
            st(
                "OwnQueues",
                Allow,
                Only(&["sqs:SendMessage", "sqs:ReceiveMessage"]),
                &["arn:aws:sqs:us-east-1:111122223333:alice-*"],
                &[],
            ),
            st(
                "OwnUser",
                Allow,
                Only(&["iam:GetUser", "iam:ChangePassword"]),
                &["arn:aws:iam::111122223333:user/${aws:username}"],
                &[],
            ),
            st(
                "SharedByCostCenter",
                Allow,
                Only(&["s3:GetObject"]),
                &["arn:aws:s3:::corp-shared/*"],
                &[TagLike("cost-center", "cc-*")],
            ),
        ],
    },
    PolicyDef {
        name: "UserGuardrails",
        kind: PolicyKind::Managed,
        attached: Attached::User,
        statements: &[
            st(
                "NoBucketAdmin",
                Deny,
                Only(&[
                    "s3:DeleteBucket",
                    "s3:PutBucketPolicy",
                    "s3:DeleteBucketPolicy",
                ]),
                &["*"],
                &[],
            ),
            st(
                "RegionLock",
                Deny,
                Not(&["iam:*", "sts:*", "support:*"]),
                &["*"],
                &[RegionNotIn(&["us-east-1", "eu-west-1"])],
            ),
            st("IamNeedsMfa", Deny, Only(&["iam:*"]), &["*"], &[Mfa(false)]),
            st(
                "OnlyOpsStops",
                Deny,
                Only(&["ec2:TerminateInstances", "ec2:StopInstances"]),
                &["arn:aws:ec2:*:111122223333:instance/*"],
                &[TagNotIn("team", &["ops"])],
            ),
            st(
                "NoTableDrop",
                Deny,
                Only(&["dynamodb:DeleteTable"]),
                &["*"],
                &[],
            ),
            st(
                "WhoAmI",
                Allow,
                Only(&["sts:GetCallerIdentity"]),
                &["*"],
                &[],
            ),
        ],
    },
    PolicyDef {
        name: "SelfServiceCredentials",
        kind: PolicyKind::Managed,
        attached: Attached::User,
        statements: &[
            st(
                "OwnKeys",
                Allow,
                Only(&[
                    "iam:CreateAccessKey",
                    "iam:DeleteAccessKey",
                    "iam:ListAccessKeys",
                    "iam:UpdateAccessKey",
                ]),
                &["arn:aws:iam::111122223333:user/${aws:username}"],
                &[Mfa(true)],
            ),
            st(
                "OwnMfa",
                Allow,
                Only(&["iam:ListMFADevices", "iam:EnableMFADevice"]),
                &["arn:aws:iam::111122223333:user/${aws:username}"],
                &[],
            ),
            st(
                "NewMfa",
                Allow,
                Only(&["iam:CreateVirtualMFADevice"]),
                &["arn:aws:iam::111122223333:mfa/${aws:username}"],
                &[],
            ),
            st(
                "DecryptByCostCenter",
                Allow,
                Only(&["kms:Decrypt"]),
                &["arn:aws:kms:us-east-1:111122223333:key/*"],
                &[TagIn("cost-center", &["cc-42"])],
            ),
            st(
                "OwnSecrets",
                Allow,
                Only(&["secretsmanager:GetSecretValue"]),
                &["arn:aws:secretsmanager:us-east-1:111122223333:secret:${aws:username}/*"],
                &[],
            ),
            st(
                "NoKeyDeletion",
                Deny,
                Only(&["kms:ScheduleKeyDeletion"]),
                &["*"],
                &[],
            ),
        ],
    },
    PolicyDef {
        name: "developers-inline",
        kind: PolicyKind::GroupInline,
        attached: Attached::Group("Developers"),
        statements: &[
            st("Describe", Allow, Only(&["ec2:Describe*"]), &["*"], &[]),
            st(
                "TeamInstances",
                Allow,
                Only(&[
                    "ec2:StartInstances",
                    "ec2:StopInstances",
                    "ec2:RebootInstances",
                ]),
                &["arn:aws:ec2:us-east-1:111122223333:instance/*"],
                &[TagIn("team", &["dev", "ops"])],
            ),
            st(
                "AppLogs",
                Allow,
                Only(&["logs:CreateLogStream", "logs:PutLogEvents"]),
                &["arn:aws:logs:us-east-1:111122223333:log-group:/app/*"],
                &[],
            ),
            st(
                "Metrics",
                Allow,
                Only(&["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"]),
                &["*"],
                &[],
            ),
            st(
                "DevFunctions",
                Allow,
                Only(&["lambda:InvokeFunction"]),
                &["arn:aws:lambda:us-east-1:111122223333:function:dev-*"],
                &[Before("2026-12-31T23:59:59Z")],
            ),
            st(
                "Repos",
                Allow,
                Only(&["codecommit:GitPull", "codecommit:GitPush"]),
                &["arn:aws:codecommit:us-east-1:111122223333:app-*"],
                &[],
            ),
        ],
    },
    PolicyDef {
        name: "DevS3Access",
        kind: PolicyKind::Managed,
        attached: Attached::Group("Developers"),
        statements: &[
            st(
                "Buckets",
                Allow,
                Only(&["s3:ListAllMyBuckets", "s3:GetBucketLocation"]),
                &["*"],
                &[],
            ),
            st(
                "ReadArtifacts",
                Allow,
                Only(&["s3:GetObject", "s3:ListBucket"]),
                &[
                    "arn:aws:s3:::corp-artifacts",
                    "arn:aws:s3:::corp-artifacts/*",
                ],
                &[],
            ),
            st(
                "PushBuilds",
                Allow,
                Only(&["s3:PutObject"]),
                &["arn:aws:s3:::corp-artifacts/builds/*"],
                &[SourceIpIn(IP_VPN)],
            ),
            st(
                "Scratch",
                Allow,
                Only(&["s3:*"]),
                &["arn:aws:s3:::corp-scratch", "arn:aws:s3:::corp-scratch/*"],
                &[After("2024-01-01T00:00:00Z")],
            ),
            st(
                "ReleasesImmutable",
                Deny,
                Only(&["s3:PutObject"]),
                &["arn:aws:s3:::corp-artifacts/releases/*"],
                &[],
            ),
            st(
                "ArtifactTags",
                Allow,
                Only(&["s3:GetObjectTagging", "s3:PutObjectTagging"]),
                &["arn:aws:s3:::corp-artifacts/*"],
                &[],
            ),
            st(
                "Public",
                Allow,
                Only(&["s3:Get*"]),
                &["arn:aws:s3:::corp-public/*"],
                &[],
            ),
        ],
    },
    PolicyDef {
        name: "DevDynamo",
        kind: PolicyKind::Managed,
        attached: Attached::Group("Developers"),
        statements: &[
            st(
                "ReadDevTables",
                Allow,
                Only(&[
                    "dynamodb:GetItem",
                    "dynamodb:Query",
                    "dynamodb:Scan",
                    "dynamodb:BatchGetItem",
                ]),
                &["arn:aws:dynamodb:us-east-1:111122223333:table/dev-*"],
                &[],
            ),
            st(
                "WriteDevTables",
                Allow,
                Only(&[
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                ]),
                &["arn:aws:dynamodb:us-east-1:111122223333:table/dev-*"],
                &[Mfa(true)],
            ),
            st(
                "DescribeTables",
                Allow,
                Only(&["dynamodb:DescribeTable", "dynamodb:ListTables"]),
                &["*"],
                &[],
            ),
            st(
                "DevIndexes",
                Allow,
                Only(&["dynamodb:Query"]),
                &["arn:aws:dynamodb:us-east-1:111122223333:table/dev-*/index/*"],
                &[],
            ),
            st(
                "DevQueues",
                Allow,
                Only(&["sqs:SendMessage"]),
                &["arn:aws:sqs:us-east-1:111122223333:dev-*"],
                &[],
            ),
        ],
    },
    PolicyDef {
        name: "datateam-inline",
        kind: PolicyKind::GroupInline,
        attached: Attached::Group("DataTeam"),
        statements: &[
            st(
                "ReadData",
                Allow,
                Only(&["s3:GetObject", "s3:ListBucket"]),
                &["arn:aws:s3:::corp-data", "arn:aws:s3:::corp-data/*"],
                &[],
            ),
            st(
                "OwnData",
                Allow,
                Only(&["s3:*"]),
                &["arn:aws:s3:::corp-data", "arn:aws:s3:::corp-data/*"],
                &[TagIn("team", &["data"])],
            ),
            st(
                "Athena",
                Allow,
                Only(&["athena:StartQueryExecution", "athena:GetQueryResults"]),
                &["arn:aws:athena:us-east-1:111122223333:workgroup/data"],
                &[],
            ),
            st("Glue", Allow, Only(&["glue:Get*"]), &["*"], &[]),
            st(
                "Incoming",
                Allow,
                Only(&["s3:PutObject"]),
                &["arn:aws:s3:::corp-data/incoming/${aws:username}/*"],
                &[SourceIpIn(IP_CORP)],
            ),
            st(
                "RawImmutable",
                Deny,
                Only(&["s3:DeleteObject"]),
                &["arn:aws:s3:::corp-data/raw/*"],
                &[],
            ),
        ],
    },
    PolicyDef {
        name: "DataAnalytics",
        kind: PolicyKind::Managed,
        attached: Attached::Group("DataTeam"),
        statements: &[
            st(
                "ReadAnalytics",
                Allow,
                Only(&["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"]),
                &["arn:aws:dynamodb:us-east-1:111122223333:table/analytics-*"],
                &[],
            ),
            st(
                "WriteAnalytics",
                Allow,
                Only(&["dynamodb:PutItem", "dynamodb:BatchWriteItem"]),
                &["arn:aws:dynamodb:us-east-1:111122223333:table/analytics-*"],
                &[TagIn("team", &["data"]), Mfa(true), MfaAgeBelow(3600)],
            ),
            st(
                "Streams",
                Allow,
                Only(&["kinesis:PutRecord", "kinesis:PutRecords"]),
                &["arn:aws:kinesis:us-east-1:111122223333:stream/analytics-*"],
                &[],
            ),
            st(
                "DbUser",
                Allow,
                Only(&["redshift:GetClusterCredentials"]),
                &["arn:aws:redshift:us-east-1:111122223333:dbuser:analytics/${aws:username}"],
                &[],
            ),
            st(
                "Reports2025",
                Allow,
                Only(&["s3:GetObject"]),
                &["arn:aws:s3:::corp-reports/*"],
                &[
                    After("2025-01-01T00:00:00Z"),
                    Before("2025-12-31T23:59:59Z"),
                ],
            ),
            st(
                "AnalyticsQueues",
                Allow,
                Only(&["sqs:ReceiveMessage", "sqs:DeleteMessage"]),
                &["arn:aws:sqs:us-east-1:111122223333:analytics-*"],
                &[],
            ),
            st(
                "ArchiveReadOnly",
                Deny,
                Only(&["dynamodb:PutItem"]),
                &["arn:aws:dynamodb:us-east-1:111122223333:table/analytics-archive"],
                &[],
            ),
        ],
    },
    PolicyDef {
        name: "ops-inline",
        kind: PolicyKind::GroupInline,
        attached: Attached::Group("Ops"),
        statements: &[
            st(
                "OpsEc2",
                Allow,
                Only(&["ec2:*"]),
                &["*"],
                &[TagIn("team", &["ops"])],
            ),
            st("OpsMetrics", Allow, Only(&["cloudwatch:*"]), &["*"], &[]),
            st(
                "Sessions",
                Allow,
                Only(&["ssm:StartSession"]),
                &["arn:aws:ec2:us-east-1:111122223333:instance/*"],
                &[Mfa(true)],
            ),
            st(
                "OpsParams",
                Allow,
                Only(&["ssm:GetParameter", "ssm:GetParameters"]),
                &["arn:aws:ssm:us-east-1:111122223333:parameter/ops/*"],
                &[],
            ),
            st(
                "Alerts",
                Allow,
                Only(&["sns:Publish"]),
                &["arn:aws:sns:us-east-1:111122223333:ops-alerts"],
                &[],
            ),
            st(
                "Scaling",
                Allow,
                Only(&["autoscaling:UpdateAutoScalingGroup"]),
                &["*"],
                &[RegionIn(&["us-east-1"])],
            ),
        ],
    },
    PolicyDef {
        name: "OpsReadOnly",
        kind: PolicyKind::Managed,
        attached: Attached::Group("Ops"),
        statements: &[
            st(
                "IamRead",
                Allow,
                Only(&["iam:Get*", "iam:List*"]),
                &["*"],
                &[Mfa(true)],
            ),
            st(
                "Describe",
                Allow,
                Only(&[
                    "ec2:Describe*",
                    "elasticloadbalancing:Describe*",
                    "autoscaling:Describe*",
                ]),
                &["*"],
                &[],
            ),
            st("Rds", Allow, Only(&["rds:Describe*"]), &["*"], &[]),
            st(
                "Logs",
                Allow,
                Only(&["s3:GetObject"]),
                &["arn:aws:s3:::corp-logs/*"],
                &[SourceIpIn(IP_VPN)],
            ),
            st(
                "Queues",
                Allow,
                Only(&["sqs:GetQueueAttributes", "sqs:ListQueues"]),
                &["*"],
                &[],
            ),
            st(
                "NoDbDelete",
                Deny,
                Only(&["rds:DeleteDBInstance"]),
                &["*"],
                &[],
            ),
        ],
    },
];

/// The AWS JSON document of a policy.
pub(crate) fn aws_json(policy: &PolicyDef) -> String {
    let statements: Vec<Value> = policy.statements.iter().map(statement_json).collect();
    let doc = json!({"Version": "2012-10-17", "Statement": statements});
    serde_json::to_string_pretty(&doc).expect("serializable")
}

fn statement_json(s: &Stmt) -> Value {
    let mut o = Map::new();
    o.insert("Sid".into(), json!(s.sid));
    let effect = match s.effect {
        Allow => "Allow",
        Deny => "Deny",
    };
    o.insert("Effect".into(), json!(effect));
    let (field, actions) = match s.actions {
        Only(a) => ("Action", a),
        Not(a) => ("NotAction", a),
    };
    o.insert(field.into(), one_or_list(actions));
    o.insert("Resource".into(), one_or_list(s.resources));
    if !s.conds.is_empty() {
        let mut block: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
        for c in s.conds {
            let (op, key, value) = c.aws();
            let prev = block.entry(op).or_default().insert(key, value);
            assert!(prev.is_none(), "{}: one value per operator and key", s.sid);
        }
        o.insert("Condition".into(), json!(block));
    }
    Value::Object(o)
}

fn one_or_list(v: &[&str]) -> Value {
    match v {
        [one] => json!(one),
        _ => json!(v),
    }
}

/// The request context of one call: what a server knows about the caller and the call.
#[derive(Debug, Clone)]
pub(crate) struct Env {
    pub(crate) username: &'static str,
    pub(crate) source_ip: &'static str,
    pub(crate) now: &'static str,
    pub(crate) mfa: bool,
    pub(crate) mfa_age: i64,
    pub(crate) region: &'static str,
    /// Principal tags, keyed by their AWS condition key (`aws:PrincipalTag/<tag>`).
    pub(crate) tags: &'static [(&'static str, &'static str)],
}

/// The context of every benchmarked request.
pub(crate) const BASE_ENV: Env = Env {
    username: USER,
    source_ip: "10.20.30.40",
    now: "2025-06-15T12:00:00Z",
    mfa: true,
    mfa_age: 300,
    region: "us-east-1",
    tags: &[
        ("aws:PrincipalTag/team", "data"),
        ("aws:PrincipalTag/cost-center", "cc-42"),
    ],
};

/// Other contexts, only for the equivalence sweep: every condition flips in at least one.
pub(crate) const SWEEP_ENVS: [Env; 3] = [
    BASE_ENV,
    Env {
        username: USER,
        source_ip: "203.0.113.9",
        now: "2027-03-01T08:00:00Z",
        mfa: false,
        mfa_age: 7200,
        region: "ap-south-1",
        tags: &[
            ("aws:PrincipalTag/team", "ops"),
            ("aws:PrincipalTag/cost-center", "xx-1"),
        ],
    },
    Env {
        username: USER,
        source_ip: "192.168.7.7",
        now: "2023-05-05T05:05:05Z",
        mfa: true,
        mfa_age: 5000,
        region: "eu-west-1",
        tags: &[("aws:PrincipalTag/team", "dev")],
    },
];

/// One benchmarked request shape.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    pub(crate) name: &'static str,
    pub(crate) action: &'static str,
    pub(crate) resource: &'static str,
    pub(crate) expected: Verdict,
    pub(crate) why: &'static str,
}

pub(crate) const SHAPES: &[Shape] = &[
    Shape {
        name: "allow_conditional",
        action: "s3:GetObject",
        resource: "arn:aws:s3:::corp-home/alice/notes.txt",
        expected: Verdict::Allow,
        why: "alice-inline/HomeObjects: ${aws:username} in the Resource + IpAddress",
    },
    Shape {
        name: "allow_late_multi_condition",
        action: "dynamodb:PutItem",
        resource: "arn:aws:dynamodb:us-east-1:111122223333:table/analytics-events",
        expected: Verdict::Allow,
        why: "DataAnalytics/WriteAnalytics (8th policy): StringEquals tag + Bool MFA + NumericLessThan",
    },
    Shape {
        name: "wildcard_action",
        action: "ec2:DescribeInstances",
        resource: "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc123",
        expected: Verdict::Allow,
        why: "developers-inline/Describe: ec2:Describe*",
    },
    Shape {
        name: "explicit_deny",
        action: "s3:DeleteBucket",
        resource: "arn:aws:s3:::corp-data",
        expected: Verdict::ExplicitDeny,
        why: "UserGuardrails/NoBucketAdmin denies although datateam-inline/OwnData (s3:*) allows",
    },
    Shape {
        name: "implicit_deny",
        action: "sqs:DeleteQueue",
        resource: "arn:aws:sqs:us-east-1:111122223333:payments",
        expected: Verdict::ImplicitDeny,
        why: "no statement matches (4 sqs statements are candidates)",
    },
    Shape {
        name: "implicit_deny_conditions_fail",
        action: "ec2:StartInstances",
        resource: "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc123",
        expected: Verdict::ImplicitDeny,
        why: "two statements match action and resource, their tag conditions fail",
    },
];

/// Resources for the equivalence sweep (every benchmarked resource plus ones that exercise
/// the other statements, the variables with another user's name, and near misses).
pub(crate) const SWEEP_RESOURCES: &[&str] = &[
    "arn:aws:s3:::corp-home/alice/notes.txt",
    "arn:aws:s3:::corp-home/bob/notes.txt",
    "arn:aws:s3:::corp-home",
    "arn:aws:s3:::corp-shared/plan.pdf",
    "arn:aws:s3:::corp-data",
    "arn:aws:s3:::corp-data/raw/2025/01.parquet",
    "arn:aws:s3:::corp-data/incoming/alice/x.csv",
    "arn:aws:s3:::corp-data/incoming/bob/x.csv",
    "arn:aws:s3:::corp-artifacts/builds/1.tgz",
    "arn:aws:s3:::corp-artifacts/releases/1.tgz",
    "arn:aws:s3:::corp-scratch/tmp",
    "arn:aws:s3:::corp-public/logo.png",
    "arn:aws:s3:::corp-reports/q2.pdf",
    "arn:aws:s3:::corp-logs/app.log",
    "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc123",
    "arn:aws:ec2:eu-west-1:111122223333:instance/i-0def456",
    "arn:aws:dynamodb:us-east-1:111122223333:table/analytics-events",
    "arn:aws:dynamodb:us-east-1:111122223333:table/analytics-archive",
    "arn:aws:dynamodb:us-east-1:111122223333:table/dev-orders",
    "arn:aws:dynamodb:us-east-1:111122223333:table/dev-orders/index/by-date",
    "arn:aws:sqs:us-east-1:111122223333:payments",
    "arn:aws:sqs:us-east-1:111122223333:alice-jobs",
    "arn:aws:sqs:us-east-1:111122223333:analytics-in",
    "arn:aws:sqs:us-east-1:111122223333:dev-tasks",
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::111122223333:user/bob",
    "arn:aws:iam::111122223333:mfa/alice",
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd",
    "arn:aws:secretsmanager:us-east-1:111122223333:secret:alice/db",
    "arn:aws:secretsmanager:us-east-1:111122223333:secret:bob/db",
    "arn:aws:lambda:us-east-1:111122223333:function:dev-resize",
    "arn:aws:logs:us-east-1:111122223333:log-group:/app/web",
    "arn:aws:redshift:us-east-1:111122223333:dbuser:analytics/alice",
    "arn:aws:ssm:us-east-1:111122223333:parameter/ops/db-url",
    "arn:aws:sns:us-east-1:111122223333:ops-alerts",
    "arn:aws:athena:us-east-1:111122223333:workgroup/data",
    "arn:aws:codecommit:us-east-1:111122223333:app-web",
    "arn:aws:kinesis:us-east-1:111122223333:stream/analytics-clicks",
    "arn:aws:sts::111122223333:assumed-role/x/y",
];

/// Concrete actions that are not spelled out in any policy, for the sweep: they reach the
/// policies only through wildcards, NotAction, or not at all.
pub(crate) const EXTRA_ACTIONS: &[&str] = &[
    "ec2:DescribeInstances",
    "ec2:DescribeVolumes",
    "ec2:RunInstances",
    "s3:DeleteBucket",
    "s3:GetObjectAcl",
    "s3:PutObjectAcl",
    "sqs:DeleteQueue",
    "iam:GetRole",
    "iam:ListUsers",
    "iam:DeleteUser",
    "glue:GetTable",
    "glue:DeleteTable",
    "cloudwatch:PutMetricAlarm",
    "rds:DescribeDBInstances",
    "rds:DeleteDBInstance",
    "elasticloadbalancing:DescribeLoadBalancers",
    "autoscaling:DescribeAutoScalingGroups",
    "sts:AssumeRole",
    "support:DescribeCases",
    "kms:Encrypt",
];

/// Every concrete action of the policies plus [`EXTRA_ACTIONS`], sorted and deduplicated.
pub(crate) fn concrete_actions() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = EXTRA_ACTIONS.to_vec();
    for p in POLICIES {
        for s in p.statements {
            let (Only(a) | Not(a)) = s.actions;
            all.extend(a.iter().copied().filter(|a| !a.contains('*')));
        }
    }
    all.extend(SHAPES.iter().map(|s| s.action));
    all.sort_unstable();
    all.dedup();
    all
}

/// Every action pattern with a wildcard in the policies (without the bare `*`).
pub(crate) fn action_wildcards() -> Vec<&'static str> {
    let mut all = Vec::new();
    for p in POLICIES {
        for s in p.statements {
            let (Only(a) | Not(a)) = s.actions;
            all.extend(a.iter().copied().filter(|a| a.contains('*') && *a != "*"));
        }
    }
    all.sort_unstable();
    all.dedup();
    all
}

/// `*`-only glob, ASCII case-insensitive (how AWS matches action names).
pub(crate) fn glob_ignore_case(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some((b'*', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some((c, rest)) => t
                .split_first()
                .is_some_and(|(d, tr)| c.eq_ignore_ascii_case(d) && go(rest, tr)),
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

/// Statement counts: (statements, with conditions, Deny).
pub(crate) fn counts() -> (usize, usize, usize) {
    let all = POLICIES.iter().flat_map(|p| p.statements.iter());
    let (mut n, mut c, mut d) = (0, 0, 0);
    for s in all {
        n += 1;
        c += usize::from(!s.conds.is_empty());
        d += usize::from(s.effect == Deny);
    }
    (n, c, d)
}
