//! iamctl's command line (noun-verb), as close to the flags as possible; `cmd` turns it into
//! validated calls.

use crate::output::OutputFormat;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "iamctl", version, about = "Admin CLI for iamd", after_help = EXIT_CODES)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Noun,
}

pub(crate) const EXIT_CODES: &str =
    "Exit codes: 0 done; 1 refused by the service (denied, not found, \
conflict, limit, invalid input) or a policy with errors; 2 usage, connection or internal error.";

#[derive(Debug, Args)]
pub(crate) struct Global {
    /// Comma-separated API endpoints (https://host:port or http://host:port); the first that
    /// answers is used.
    #[arg(long, global = true, env = "IAMCTL_ENDPOINTS", value_delimiter = ',')]
    pub endpoints: Vec<String>,
    /// Profile file (TOML: endpoints, account, output), e.g. the one `iamd dev` writes.
    #[arg(long, global = true, env = "IAMCTL_CONFIG")]
    pub config: Option<PathBuf>,
    /// Account id to act in (default: the profile's).
    #[arg(long, global = true, env = "IAMCTL_ACCOUNT")]
    pub account: Option<String>,
    /// Output format.
    #[arg(long, short = 'o', global = true, value_enum)]
    pub output: Option<OutputFormat>,
    /// Read consistency: local, linearizable, or at-least=<log index>.
    #[arg(long, global = true, default_value = "local")]
    pub consistency: String,
    /// Give up after this many seconds (across endpoint failover).
    #[arg(long, global = true, default_value_t = 15)]
    pub timeout: u64,
    /// Idempotency token for a write (default: a fresh one per invocation).
    #[arg(long, global = true)]
    pub request_token: Option<String>,
    /// CA certificates (PEM) to verify https:// endpoints with, as the AWS CLI's
    /// --ca-bundle. Default: the profile's `ca_bundle` (it names its cluster's CA), else
    /// $AWS_CA_BUNDLE, else the system's CA bundle.
    #[arg(long, global = true)]
    pub ca_bundle: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Noun {
    /// Cluster membership and health.
    #[command(subcommand)]
    Cluster(ClusterCmd),
    /// Accounts, and the current account's alias and summary.
    #[command(subcommand)]
    Account(crate::nouns::account::AccountCmd),
    /// IAM users.
    #[command(subcommand)]
    User(crate::nouns::user::UserCmd),
    /// IAM groups and their members.
    #[command(subcommand)]
    Group(crate::nouns::group::GroupCmd),
    /// IAM roles.
    #[command(subcommand)]
    Role(crate::nouns::role::RoleCmd),
    /// Instance profiles (containers for one role).
    #[command(subcommand)]
    InstanceProfile(crate::nouns::instance_profile::InstanceProfileCmd),
    /// Access keys of IAM users.
    #[command(subcommand)]
    AccessKey(crate::nouns::access_key::AccessKeyCmd),
    /// Console passwords (login profiles) of IAM users.
    #[command(subcommand)]
    LoginProfile(crate::nouns::login_profile::LoginProfileCmd),
    /// Virtual MFA devices and their assignment to users.
    #[command(subcommand)]
    Mfa(crate::nouns::mfa::MfaCmd),
    /// OpenID Connect identity providers (web identity federation).
    #[command(subcommand)]
    OidcProvider(crate::nouns::oidc_provider::OidcProviderCmd),
    /// SSH public keys of IAM users (for Git over SSH, as CodeCommit uses them).
    #[command(subcommand)]
    SshKey(crate::nouns::ssh_key::SshKeyCmd),
    /// Signing certificates of IAM users (X.509, for request signing).
    #[command(subcommand)]
    SigningCert(crate::nouns::signing_cert::SigningCertCmd),
    /// Server certificates (X.509 certificates with their private keys, for load balancers
    /// and CloudFront).
    #[command(subcommand)]
    ServerCert(crate::nouns::server_cert::ServerCertCmd),
    /// The account password policy.
    #[command(subcommand)]
    PasswordPolicy(crate::nouns::password_policy::PasswordPolicyCmd),
    /// Generate and print the credential report, or list credentials unused for a while.
    CredentialReport(crate::nouns::credential_report::ReportArgs),
    /// Quotas, quota increase requests and usage caps.
    #[command(subcommand)]
    Quota(crate::nouns::quota::QuotaCmd),
    /// The event history: the account's applied changes (who, what, when).
    #[command(subcommand)]
    Audit(crate::nouns::audit::AuditCmd),
    /// Managed, inline and boundary policies; `validate` and `eval` work offline (no cluster).
    #[command(subcommand)]
    Policy(crate::nouns::policy::PolicyCmd),
    /// Temporary credentials: caller identity, session tokens, role sessions.
    #[command(subcommand)]
    Sts(crate::nouns::sts::StsCmd),
    /// Sign in as an IAM user with a password (and MFA code) and save the session
    /// credentials as a profile of the AWS credentials file.
    Login(crate::nouns::login::LoginArgs),
    /// Print a role session as the JSON of an AWS SDK `credential_process`.
    CredentialProcess(crate::nouns::sts::RoleArgs),
    /// Serve rotating role credentials to local AWS SDKs (container-credentials format).
    Agent(crate::nouns::sts::AgentArgs),
    /// Backups: save the whole state to a file, verify a file (operator account only).
    #[command(subcommand)]
    Snapshot(crate::nouns::snapshot::SnapshotCmd),
    /// The STS token key ring (operator account only).
    #[command(subcommand)]
    Keyring(KeyringCmd),
    /// What a principal (or a set of policy documents) may do: actions x resources, with
    /// the deciding statements, evaluated by the answering node.
    Simulate(crate::nouns::simulate::SimulateArgs),
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeyringCmd {
    /// Add a new token key and seal new session tokens with it; tokens sealed with older
    /// keys stay valid until they expire (older keys are dropped 36 h after replacement).
    Rotate,
    /// Remove an older token key from the ring now (say it leaked): every session token
    /// it sealed stops working on every node. The current key cannot be revoked: rotate
    /// first. A session token names its key (the id printed by `rotate`).
    Revoke {
        /// The key's id (a positive integer; `rotate` prints the current one).
        key_id: u32,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ClusterCmd {
    /// Every node's id, address, role, term, log and applied index, state hash, and the leader.
    Status,
    /// Every node's digest of its state at its applied index.
    Hash,
    /// Add a node (as learner, then voter unless --learner).
    AddNode {
        #[arg(long)]
        id: u64,
        #[arg(long)]
        peer: String,
        #[arg(long)]
        api: String,
        #[arg(long, default_value = "")]
        http: String,
        #[arg(long)]
        learner: bool,
    },
    /// Remove a node from the cluster.
    RemoveNode {
        #[arg(long)]
        id: u64,
    },
    /// Build a snapshot on the answering node and purge the log it covers.
    Snapshot,
    /// Finish a rolling upgrade: once every member runs the new release, let the cluster use
    /// what it adds. Builds of older releases can no longer serve the cluster afterwards, so
    /// a rollback is only possible before this.
    FinalizeUpgrade,
}
