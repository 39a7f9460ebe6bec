//! The data of the standard principal: its 10 policies as structured statements (the
//! shared description from which the AWS JSON and the Cedar text are both generated).

use crate::fixture::{Actions, Attached, Cond, Effect, PolicyDef, Stmt};
use iam_policy::PolicyKind;
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
