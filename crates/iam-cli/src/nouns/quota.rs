//! `iamctl quota ...`: the account's quotas and increase requests, and usage caps
//! (account-wide named counters services acquire and release).

use super::{Ctx, PageArgs};
use anyhow::anyhow;
use clap::{Subcommand, ValueEnum};
use iam_state::ops::limits::QuotaKind;
use iam_state::ops::quotas::{QuotaOp, QuotaQuery, RequestStatus};
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum StatusArg {
    Pending,
    Approved,
    Denied,
}

impl From<StatusArg> for RequestStatus {
    fn from(s: StatusArg) -> Self {
        match s {
            StatusArg::Pending => RequestStatus::Pending,
            StatusArg::Approved => RequestStatus::Approved,
            StatusArg::Denied => RequestStatus::Denied,
        }
    }
}

/// Checks a quota name on the command line (`roles`, `groups`, ...).
fn quota_kind(s: &str) -> Result<String, String> {
    match QuotaKind::parse(s) {
        Some(k) => Ok(k.as_str().to_owned()),
        None => Err(format!(
            "unknown quota {s:?}: expected one of {}",
            QuotaKind::ALL
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum QuotaCmd {
    /// List every quota: current value, default, maximum, usage, pending request.
    List,
    /// Ask for a quota to be raised (above its current value, at most its maximum).
    Request {
        /// The quota: users, groups, roles, policies, instance-profiles,
        /// attached-policies-per-user, attached-policies-per-role, assume-role-policy-size.
        #[arg(value_parser = quota_kind)]
        quota: String,
        /// The value wanted.
        #[arg(long)]
        desired_value: u64,
        /// Why (1-1000 characters).
        #[arg(long)]
        justification: String,
    },
    /// Approve a pending increase request: the quota becomes its desired value.
    Approve {
        request_id: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Deny a pending increase request.
    Deny {
        request_id: String,
        #[arg(long)]
        reason: String,
    },
    /// List increase requests (all pages unless --no-paginate).
    Requests {
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        #[command(flatten)]
        paging: PageArgs,
    },
    /// Show one increase request.
    GetRequest { request_id: String },
    /// Create a usage cap or change its limit (lowering below the usage is allowed).
    SetLimit {
        /// Cap name: 1-64 characters of A-Z a-z 0-9 : . _ - (e.g. ec2:instances).
        name: String,
        limit: u64,
    },
    /// Show one usage cap, or list them all.
    Usage {
        name: Option<String>,
        #[command(flatten)]
        paging: PageArgs,
    },
    /// Take units of a cap, all or nothing (use --request-token to retry safely).
    Acquire { name: String, amount: u64 },
    /// Give back units of a cap (use --request-token to retry safely).
    Release { name: String, amount: u64 },
    /// Delete a usage cap with nothing in use.
    DeleteCap { name: String },
}

const REQUEST_FIELDS: &[&str] = &[
    "id",
    "kind",
    "desired_value",
    "status",
    "justification",
    "requested_by",
    "created_ms",
    "decided_by",
    "decided_ms",
    "note",
];

const CAP_FIELDS: &[&str] = &["name", "limit", "used", "available", "updated_ms"];

fn positive(flag: &str, n: u64) -> anyhow::Result<u64> {
    if n == 0 {
        return Err(anyhow!("{flag} must be at least 1"));
    }
    Ok(n)
}

pub(crate) async fn run(ctx: &mut Ctx, cmd: QuotaCmd) -> anyhow::Result<u8> {
    match cmd {
        QuotaCmd::List => {
            let v = ctx.read(QuotaQuery::ListQuotas).await?;
            ctx.show_list(
                &json!({ "items": v }),
                &[
                    "name",
                    "aws_name",
                    "value",
                    "default",
                    "ceiling",
                    "usage",
                    "pending_request",
                ],
            );
        }
        QuotaCmd::Request {
            quota,
            desired_value,
            justification,
        } => {
            let op = QuotaOp::RequestQuotaIncrease {
                kind: quota,
                desired_value,
                justification,
                requested_by: String::new(),
                request_id: String::new(),
            };
            let v = ctx.write(op).await?;
            ctx.show(&v, REQUEST_FIELDS);
        }
        QuotaCmd::Approve { request_id, note } => {
            let op = QuotaOp::ApproveQuotaIncrease {
                request_id,
                decided_by: String::new(),
                note,
            };
            let v = ctx.write(op).await?;
            ctx.show(&v, REQUEST_FIELDS);
        }
        QuotaCmd::Deny { request_id, reason } => {
            let op = QuotaOp::DenyQuotaIncrease {
                request_id,
                decided_by: String::new(),
                reason,
            };
            let v = ctx.write(op).await?;
            ctx.show(&v, REQUEST_FIELDS);
        }
        QuotaCmd::Requests { status, paging } => {
            let status = status.map(RequestStatus::from);
            let v = ctx
                .read_all(&paging, |page| {
                    QuotaQuery::ListQuotaRequests { status, page }.into()
                })
                .await?;
            ctx.show_list(
                &v,
                &["id", "kind", "desired_value", "status", "requested_by"],
            );
        }
        QuotaCmd::GetRequest { request_id } => {
            let v = ctx
                .read(QuotaQuery::GetQuotaRequest { id: request_id })
                .await?;
            ctx.show(&v, REQUEST_FIELDS);
        }
        QuotaCmd::SetLimit { name, limit } => {
            let v = ctx.write(QuotaOp::SetUsageLimit { name, limit }).await?;
            ctx.show(&v, CAP_FIELDS);
        }
        QuotaCmd::Usage {
            name: Some(name), ..
        } => {
            let v = ctx.read(QuotaQuery::GetUsage { name }).await?;
            ctx.show(&v, CAP_FIELDS);
        }
        QuotaCmd::Usage { name: None, paging } => {
            let v = ctx
                .read_all(&paging, |page| QuotaQuery::ListUsage { page }.into())
                .await?;
            ctx.show_list(&v, &["name", "limit", "used", "available"]);
        }
        QuotaCmd::Acquire { name, amount } => {
            let amount = positive("AMOUNT", amount)?;
            let v = ctx.write(QuotaOp::Acquire { name, amount }).await?;
            ctx.show(&v, CAP_FIELDS);
        }
        QuotaCmd::Release { name, amount } => {
            let amount = positive("AMOUNT", amount)?;
            let v = ctx.write(QuotaOp::Release { name, amount }).await?;
            ctx.show(&v, CAP_FIELDS);
        }
        QuotaCmd::DeleteCap { name } => {
            let v = ctx.write(QuotaOp::DeleteUsageCap { name }).await?;
            ctx.done(&v);
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_names_are_checked_before_sending() {
        assert_eq!(quota_kind("roles").unwrap(), "roles");
        let e = quota_kind("lambdas").unwrap_err();
        assert!(e.contains("instance-profiles"), "{e}");
        assert!(positive("AMOUNT", 0).is_err());
    }
}
