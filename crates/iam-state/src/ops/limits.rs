//! Adjustable per-account quotas and entity counters, shared by every family that creates
//! things. The defaults are iamd's (roles: 250, as the product brief requires); an approved
//! quota increase (`quotas`) stores a higher value under `quota/{a}/{kind}`, never above
//! [`QuotaKind::ceiling`].

use crate::keys;
use crate::store::Txn;
use iam_model::{IamError, IamResult};
use serde::{Deserialize, Serialize};

/// A quota an account may ask to raise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum QuotaKind {
    Users,
    Groups,
    Roles,
    Policies,
    InstanceProfiles,
    AttachedPoliciesPerUser,
    AttachedPoliciesPerRole,
    AssumeRolePolicySize,
}

impl QuotaKind {
    pub const ALL: [QuotaKind; 8] = [
        Self::Users,
        Self::Groups,
        Self::Roles,
        Self::Policies,
        Self::InstanceProfiles,
        Self::AttachedPoliciesPerUser,
        Self::AttachedPoliciesPerRole,
        Self::AssumeRolePolicySize,
    ];

    /// The value an account starts with.
    pub fn default_value(self) -> u64 {
        match self {
            Self::Users => 5000,
            Self::Groups => 300,
            Self::Roles => 250,
            Self::Policies => 1500,
            Self::InstanceProfiles => 1000,
            Self::AttachedPoliciesPerUser | Self::AttachedPoliciesPerRole => 10,
            Self::AssumeRolePolicySize => 2048,
        }
    }

    /// The highest value an increase may grant (AWS's maximums).
    pub fn ceiling(self) -> u64 {
        match self {
            Self::Users => 5000,
            Self::Groups => 500,
            Self::Roles => 5000,
            Self::Policies => 5000,
            Self::InstanceProfiles => 5000,
            Self::AttachedPoliciesPerUser | Self::AttachedPoliciesPerRole => 20,
            Self::AssumeRolePolicySize => 4096,
        }
    }

    /// AWS's quota name, as in "Cannot exceed quota for RolesPerAccount: 250".
    pub fn aws_name(self) -> &'static str {
        match self {
            Self::Users => "UsersPerAccount",
            Self::Groups => "GroupsPerAccount",
            Self::Roles => "RolesPerAccount",
            Self::Policies => "PoliciesPerAccount",
            Self::InstanceProfiles => "InstanceProfilesPerAccount",
            Self::AttachedPoliciesPerUser => "PoliciesPerUser",
            Self::AttachedPoliciesPerRole => "PoliciesPerRole",
            Self::AssumeRolePolicySize => "ACLSizePerRole",
        }
    }

    /// The name used in keys, on the command line and in the API (`roles`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Users => "users",
            Self::Groups => "groups",
            Self::Roles => "roles",
            Self::Policies => "policies",
            Self::InstanceProfiles => "instance-profiles",
            Self::AttachedPoliciesPerUser => "attached-policies-per-user",
            Self::AttachedPoliciesPerRole => "attached-policies-per-role",
            Self::AssumeRolePolicySize => "assume-role-policy-size",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The entity counter this quota bounds, for the per-account entity quotas.
    pub fn counter(self) -> Option<Counter> {
        match self {
            Self::Users => Some(Counter::Users),
            Self::Groups => Some(Counter::Groups),
            Self::Roles => Some(Counter::Roles),
            Self::Policies => Some(Counter::Policies),
            Self::InstanceProfiles => Some(Counter::InstanceProfiles),
            _ => None,
        }
    }
}

/// Per-account entity counters (`count/{a}/{name}`), kept by the families that create and
/// delete the entities; the account summary reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    Users,
    Groups,
    Roles,
    Policies,
    InstanceProfiles,
    /// Virtual MFA devices, assigned or not.
    MfaDevices,
    /// MFA devices enabled for a user.
    MfaDevicesInUse,
    /// Stored versions of all managed policies.
    PolicyVersions,
    /// OpenID Connect providers.
    OidcProviders,
    /// Server certificates.
    ServerCertificates,
}

impl Counter {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Users => "users",
            Self::Groups => "groups",
            Self::Roles => "roles",
            Self::Policies => "policies",
            Self::InstanceProfiles => "instance-profiles",
            Self::MfaDevices => "mfa-devices",
            Self::MfaDevicesInUse => "mfa-devices-in-use",
            Self::PolicyVersions => "policy-versions",
            Self::OidcProviders => "oidc-providers",
            Self::ServerCertificates => "server-certificates",
        }
    }
}

/// The account's current value of a quota.
pub fn quota(txn: &Txn<'_>, account: &str, kind: QuotaKind) -> u64 {
    match txn.counter(&keys::quota(account, kind.as_str())) {
        0 => kind.default_value(),
        v => v,
    }
}

/// The current value of a counter.
pub fn count(txn: &Txn<'_>, account: &str, counter: Counter) -> u64 {
    txn.counter(&keys::count(account, counter.as_str()))
}

/// Adds `delta` to a counter.
pub fn bump(txn: &mut Txn<'_>, account: &str, counter: Counter, delta: i64) {
    txn.add_counter(keys::count(account, counter.as_str()), delta);
}

/// Fails with AWS's `LimitExceeded` when one more entity of `kind` would pass the quota;
/// otherwise counts it.
pub fn admit_one(txn: &mut Txn<'_>, account: &str, kind: QuotaKind) -> IamResult<()> {
    let counter = kind
        .counter()
        .expect("admit_one is for per-account entity quotas");
    let limit = quota(txn, account, kind);
    let key = keys::count(account, counter.as_str());
    // Read once: this runs on every create, and the counter is a hot key.
    let n = txn.counter(&key);
    if n >= limit {
        return Err(IamError::quota(kind.aws_name(), limit));
    }
    txn.set_counter(key, n + 1);
    Ok(())
}

/// Fails with `LimitExceeded` when `value` is over the account's quota of `kind` (for
/// quotas on a size or a per-entity count).
pub fn check(txn: &Txn<'_>, account: &str, kind: QuotaKind, value: u64) -> IamResult<()> {
    let limit = quota(txn, account, kind);
    if value > limit {
        return Err(IamError::quota(kind.aws_name(), limit));
    }
    Ok(())
}
