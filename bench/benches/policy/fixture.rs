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

pub(crate) use crate::policies::POLICIES;
use Actions::{Not, Only};
use Effect::{Allow, Deny};

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
