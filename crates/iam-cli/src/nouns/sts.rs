//! Temporary credentials from the command line: `iamctl sts ...` (the caller's own identity,
//! session tokens, role sessions), `iamctl credential-process` (the JSON an AWS SDK's
//! `credential_process` setting expects) and `iamctl agent` (a local endpoint serving role
//! credentials in the container-credentials format, refreshed well before they expire).

use super::{read_document, Ctx};
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use iam_proto::v1::{
    AssumeRoleRequest, GetAccessKeyInfoRequest, GetCallerIdentityRequest, GetSessionTokenRequest,
    TemporaryCredentials,
};
use serde_json::{json, Value};

#[derive(Debug, Subcommand)]
pub(crate) enum StsCmd {
    /// Who the credentials belong to (ARN, user id, account).
    GetCallerIdentity,
    /// Temporary credentials for the calling user (optionally MFA-authenticated).
    GetSessionToken {
        #[arg(long)]
        duration_seconds: Option<u32>,
        #[command(flatten)]
        mfa: MfaArgs,
    },
    /// Temporary credentials of a role session.
    AssumeRole(RoleArgs),
    /// The account an access key belongs to (a key that exists, in any account).
    GetAccessKeyInfo {
        #[arg(long)]
        access_key_id: String,
    },
}

#[derive(Debug, Clone, Args)]
pub(crate) struct MfaArgs {
    /// The MFA device's serial number (ARN), with --token-code.
    #[arg(long, requires = "token_code")]
    serial_number: Option<String>,
    /// The device's current 6-digit code.
    #[arg(long, requires = "serial_number")]
    token_code: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub(crate) struct RoleArgs {
    /// The role to assume.
    #[arg(long = "role-arn", alias = "role")]
    role_arn: String,
    /// The session's name (2-64 characters of [\w+=,.@-]).
    #[arg(long, default_value = "iamctl")]
    role_session_name: String,
    /// 900 up to the role's maximum session duration (default 3600).
    #[arg(long)]
    duration_seconds: Option<u32>,
    #[arg(long)]
    external_id: Option<String>,
    /// An inline session policy (file://path, @path, - or inline JSON).
    #[arg(long)]
    policy: Option<String>,
    #[command(flatten)]
    mfa: MfaArgs,
}

pub(crate) fn iso8601(ms: u64) -> String {
    iam_model::time::Utc::from_ms(ms).iso8601()
}

fn credentials_json(c: &TemporaryCredentials) -> Value {
    let mut v = json!({
        "access_key_id": c.access_key_id,
        "secret_access_key": c.secret_access_key,
        "session_token": c.session_token,
        "expiration": iso8601(c.expiration_ms),
        "expiration_ms": c.expiration_ms,
    });
    if !c.assumed_role_arn.is_empty() {
        v["assumed_role_arn"] = json!(c.assumed_role_arn);
        v["assumed_role_id"] = json!(c.assumed_role_id);
    }
    v
}

/// Assumes the role with the context's credentials.
pub(crate) async fn assume(ctx: &mut Ctx, a: &RoleArgs) -> anyhow::Result<TemporaryCredentials> {
    assume_with(ctx.client()?, a).await
}

/// Assumes the role with `client`'s credentials.
pub(crate) async fn assume_with(
    client: &mut iam_client::Client,
    a: &RoleArgs,
) -> anyhow::Result<TemporaryCredentials> {
    let policy = match &a.policy {
        Some(p) => read_document("--policy", p)?,
        None => String::new(),
    };
    let req = AssumeRoleRequest {
        role_arn: a.role_arn.clone(),
        role_session_name: a.role_session_name.clone(),
        duration_seconds: a.duration_seconds.unwrap_or(0),
        external_id: a.external_id.clone().unwrap_or_default(),
        policy,
        policy_arns: vec![],
        serial_number: a.mfa.serial_number.clone().unwrap_or_default(),
        token_code: a.mfa.token_code.clone().unwrap_or_default(),
        tags: vec![],
        transitive_tag_keys: vec![],
        source_identity: String::new(),
    };
    Ok(client
        .call(|mut c, _| {
            let req = req.clone();
            async move { c.assume_role(req).await }
        })
        .await?)
}

pub(crate) async fn run(ctx: &mut Ctx, cmd: StsCmd) -> anyhow::Result<u8> {
    match cmd {
        StsCmd::GetCallerIdentity => {
            let r =
                ctx.client()?
                    .call(|mut c, _| async move {
                        c.get_caller_identity(GetCallerIdentityRequest {}).await
                    })
                    .await?;
            let v = json!({"arn": r.arn, "user_id": r.user_id, "account": r.account});
            ctx.show(&v, &["arn", "user_id", "account"]);
        }
        StsCmd::GetAccessKeyInfo { access_key_id } => {
            let req = GetAccessKeyInfoRequest { access_key_id };
            let r = ctx
                .client()?
                .call(|mut c, _| {
                    let req = req.clone();
                    async move { c.get_access_key_info(req).await }
                })
                .await?;
            ctx.show(&json!({"account": r.account}), &["account"]);
        }
        StsCmd::GetSessionToken {
            duration_seconds,
            mfa,
        } => {
            let req = GetSessionTokenRequest {
                duration_seconds: duration_seconds.unwrap_or(0),
                serial_number: mfa.serial_number.unwrap_or_default(),
                token_code: mfa.token_code.unwrap_or_default(),
            };
            let r = ctx
                .client()?
                .call(|mut c, _| {
                    let req = req.clone();
                    async move { c.get_session_token(req).await }
                })
                .await?;
            ctx.show(
                &credentials_json(&r),
                &[
                    "access_key_id",
                    "secret_access_key",
                    "session_token",
                    "expiration",
                ],
            );
        }
        StsCmd::AssumeRole(a) => {
            let r = assume(ctx, &a).await?;
            ctx.show(
                &credentials_json(&r),
                &[
                    "assumed_role_arn",
                    "access_key_id",
                    "secret_access_key",
                    "session_token",
                    "expiration",
                ],
            );
        }
    }
    Ok(0)
}

/// `iamctl credential-process`: one role session as the `credential_process` JSON.
pub(crate) async fn credential_process(ctx: &mut Ctx, a: RoleArgs) -> anyhow::Result<u8> {
    let c = assume(ctx, &a).await?;
    let v = json!({
        "Version": 1,
        "AccessKeyId": c.access_key_id,
        "SecretAccessKey": c.secret_access_key,
        "SessionToken": c.session_token,
        "Expiration": iso8601(c.expiration_ms),
    });
    println!("{v}");
    Ok(0)
}

#[derive(Debug, Args)]
pub(crate) struct AgentArgs {
    #[command(flatten)]
    role: RoleArgs,
    /// Where to serve credentials (loopback only: AWS SDKs accept only loopback URIs).
    #[arg(long, default_value = "127.0.0.1:9911")]
    listen: String,
    /// The authorization token clients must send (default: a random one, printed).
    #[arg(long, env = "IAMCTL_AGENT_TOKEN")]
    token: Option<String>,
}

/// `iamctl agent`: see [`crate::agent`].
pub(crate) async fn agent(ctx: &mut Ctx, a: AgentArgs) -> anyhow::Result<u8> {
    let addr: std::net::SocketAddr = a
        .listen
        .parse()
        .with_context(|| format!("--listen {:?} is not a host:port address", a.listen))?;
    if !addr.ip().is_loopback() {
        bail!("--listen {addr} is not a loopback address: the agent hands out credentials to whoever asks with the token, and SDKs only accept loopback URIs");
    }
    let token = a
        .token
        .unwrap_or_else(|| format!("{:032x}", rand::random::<u128>()));
    let client = ctx.client()?.clone();
    crate::agent::serve(client, a.role, addr, token).await
}
