//! Reading one account's state to name a call's resources and to learn what the condition
//! keys need of them (current tags, current permissions boundary).

use super::KeyOwner;
use crate::keys::{self, EntityKind};
use crate::ops::policies::policy_name_from_arn;
use crate::ops::{
    access_keys, groups, instance_profiles, mfa, oidc_providers, roles, server_certs, users,
};
use crate::store::{StateRead, Txn};
use iam_model::{arn, ManagedPolicy, Tag};

/// A resource as authorization sees it: its ARN and what the state holds about it.
#[derive(Debug, Default)]
pub(super) struct Resource {
    pub(super) arn: String,
    /// The current tags of an existing taggable resource (user, role, managed policy,
    /// instance profile, virtual MFA device): `aws:ResourceTag/<key>`.
    pub(super) tags: Vec<Tag>,
    /// A user or role: its tags are also `iam:ResourceTag/<key>`.
    pub(super) identity: bool,
    /// The current permissions boundary of an existing user or role.
    pub(super) boundary: Option<String>,
}

impl Resource {
    /// A resource the state says nothing more about (new, missing, untaggable, a list).
    pub(super) fn named(arn: String) -> Self {
        Self {
            arn,
            ..Self::default()
        }
    }
}

/// What one op tells the policy engine besides its action.
#[derive(Debug, Default)]
pub(super) struct Facts<'o> {
    /// The resource (see the module documentation of `target`).
    pub(super) resource: Resource,
    /// Further resources that must be allowed too (UpdateUser/UpdateGroup's new ARN).
    pub(super) extra_resources: Vec<String>,
    /// `aws:RequestTag/<key>` and `aws:TagKeys`: the tags a `Create*` or `Tag*` sets.
    pub(super) request_tags: &'o [Tag],
    /// `iam:PolicyARN`: the managed policy an `Attach*Policy`/`Detach*Policy` names.
    pub(super) policy_arn: Option<&'o str>,
    /// `iam:PermissionsBoundary` as the request sets it (`CreateUser`/`CreateRole` with a
    /// boundary, `Put*PermissionsBoundary`).
    pub(super) new_boundary: Option<&'o str>,
    /// `aws:TagKeys` of an `Untag*`: the keys it removes.
    pub(super) removed_tag_keys: &'o [String],
    /// `iam:AWSServiceName`: the service a `CreateServiceLinkedRole` names.
    pub(super) aws_service_name: Option<&'o str>,
}

impl<'o> Facts<'o> {
    pub(super) fn of(resource: Resource) -> Self {
        Self {
            resource,
            ..Self::default()
        }
    }

    pub(super) fn on(arn: String) -> Self {
        Self::of(Resource::named(arn))
    }

    pub(super) fn tagging(mut self, tags: &'o [Tag]) -> Self {
        self.request_tags = tags;
        self
    }

    pub(super) fn untagging(mut self, keys: &'o [String]) -> Self {
        self.removed_tag_keys = keys;
        self
    }

    pub(super) fn policy(mut self, policy_arn: &'o str) -> Self {
        self.policy_arn = Some(policy_arn);
        self
    }

    pub(super) fn boundary(mut self, boundary: Option<&'o str>) -> Self {
        self.new_boundary = boundary;
        self
    }

    pub(super) fn service(mut self, aws_service_name: &'o str) -> Self {
        self.aws_service_name = Some(aws_service_name);
        self
    }

    pub(super) fn also(mut self, arn: Option<String>) -> Self {
        self.extra_resources.extend(arn);
        self
    }
}

/// Reads the state of one account to name resources.
pub(super) struct Scope<'a> {
    txn: Txn<'a>,
    account: &'a str,
}

impl<'a> Scope<'a> {
    pub(super) fn new(state: &'a dyn StateRead, account: &'a str) -> Self {
        Self {
            txn: Txn::new(state),
            account,
        }
    }

    /// `arn:aws:iam::ACCT:{kind}{path}{name}`.
    pub(super) fn arn(&self, kind: &str, path: &str, name: &str) -> String {
        arn::entity_arn(self.account, kind, path, name)
    }

    /// The ARN of an entity that may not exist: from its stored path and name, else `/`
    /// and the requested name.
    fn arn_of(&self, kind: &str, found: Option<(&str, &str)>, name: &str) -> String {
        match found {
            Some((path, stored)) => self.arn(kind, path, stored),
            None => self.arn(kind, "/", name),
        }
    }

    pub(super) fn user(&self, name: &str) -> Resource {
        let found = users::load(&self.txn, self.account, name).ok();
        Resource {
            arn: self.arn_of(
                "user",
                found.as_ref().map(|u| (u.path.as_str(), u.name.as_str())),
                name,
            ),
            identity: true,
            boundary: found.as_ref().and_then(|u| u.permissions_boundary.clone()),
            tags: found.map(|u| u.tags).unwrap_or_default(),
        }
    }

    pub(super) fn role(&self, name: &str) -> Resource {
        let found = roles::load(&self.txn, self.account, name).ok();
        Resource {
            arn: self.arn_of(
                "role",
                found.as_ref().map(|r| (r.path.as_str(), r.name.as_str())),
                name,
            ),
            identity: true,
            boundary: found.as_ref().and_then(|r| r.permissions_boundary.clone()),
            tags: found.map(|r| r.tags).unwrap_or_default(),
        }
    }

    /// Groups cannot be tagged.
    pub(super) fn group(&self, name: &str) -> Resource {
        let found = groups::load(&self.txn, self.account, name).ok();
        let found = found.as_ref().map(|g| (g.path.as_str(), g.name.as_str()));
        Resource::named(self.arn_of("group", found, name))
    }

    pub(super) fn instance_profile(&self, name: &str) -> Resource {
        let found = instance_profiles::load(&self.txn, self.account, name).ok();
        Resource {
            arn: self.arn_of(
                "instance-profile",
                found.as_ref().map(|p| (p.path.as_str(), p.name.as_str())),
                name,
            ),
            tags: found.map(|p| p.tags).unwrap_or_default(),
            ..Resource::default()
        }
    }

    /// A managed policy by its ARN, as given (apply accepts only the exact stored ARN, so
    /// only then are its tags the resource's).
    pub(super) fn policy(&self, policy_arn: &str) -> Resource {
        let found = policy_name_from_arn(self.account, policy_arn)
            .ok()
            .and_then(|name| {
                self.txn
                    .get_json::<ManagedPolicy>(&keys::policy(self.account, name))
            })
            .filter(|p| p.arn == policy_arn);
        Resource {
            arn: policy_arn.to_owned(),
            tags: found.map(|p| p.tags).unwrap_or_default(),
            ..Resource::default()
        }
    }

    /// A virtual MFA device by its serial number (its ARN); anything else (which no device
    /// has) is named as a device of this account.
    pub(super) fn mfa_device(&self, serial_number: &str) -> Resource {
        if !serial_number.starts_with("arn:") {
            return Resource::named(self.arn("mfa", "/", serial_number));
        }
        let name = serial_number.rsplit('/').next().unwrap_or_default();
        let found = self
            .txn
            .get_json::<mfa::VirtualMfaDevice>(&keys::mfa_device(self.account, name))
            .filter(|d| d.serial_number == serial_number);
        Resource {
            arn: serial_number.to_owned(),
            tags: found.map(|d| d.tags).unwrap_or_default(),
            ..Resource::default()
        }
    }

    /// An OpenID Connect provider by its ARN, as given (with its tags when it is a provider
    /// of this account).
    pub(super) fn oidc_provider(&self, provider_arn: &str) -> Resource {
        let found = oidc_providers::by_arn(self.txn.base(), provider_arn)
            .filter(|p| p.account == self.account);
        Resource {
            arn: provider_arn.to_owned(),
            tags: found.map(|p| p.tags).unwrap_or_default(),
            ..Resource::default()
        }
    }

    /// The ARN `CreateOpenIDConnectProvider` gives the provider of `url`: `oidc-provider/`
    /// and the URL without its `https://`.
    pub(super) fn new_oidc_provider(&self, url: &str) -> String {
        oidc_providers::arn(self.account, url.strip_prefix("https://").unwrap_or(url))
    }

    /// A server certificate by name (with its stored path, name and tags when it exists).
    pub(super) fn server_cert(&self, name: &str) -> Resource {
        let found = server_certs::stored(self.txn.base(), self.account, name);
        Resource {
            arn: self.arn_of(
                "server-certificate",
                found
                    .as_ref()
                    .map(|c| (c.path.as_str(), c.server_certificate_name.as_str())),
                name,
            ),
            tags: found.map(|c| c.tags).unwrap_or_default(),
            ..Resource::default()
        }
    }

    /// The stored path and name of a server certificate, if it exists.
    pub(super) fn server_cert_place(&self, name: &str) -> Option<(String, String)> {
        server_certs::stored(self.txn.base(), self.account, name)
            .map(|c| (c.path, c.server_certificate_name))
    }

    /// A user, group or role that a policy op names.
    pub(super) fn principal(&self, kind: EntityKind, name: &str) -> Resource {
        match kind {
            EntityKind::User => self.user(name),
            EntityKind::Group => self.group(name),
            EntityKind::Role => self.role(name),
        }
    }

    /// A user, group or role of this account by its ARN (a simulation's policy source):
    /// with what the state holds when an entity of that kind and name exists under exactly
    /// this ARN; the bare ARN otherwise.
    pub(super) fn principal_by_arn(&self, principal_arn: &str) -> Resource {
        let parsed = principal_arn
            .strip_prefix(&format!("arn:aws:iam::{}:", self.account))
            .and_then(|rest| rest.split_once('/'))
            .and_then(|(kind, path_name)| {
                let name = path_name.rsplit('/').next()?;
                match kind {
                    "user" => Some(self.user(name)),
                    "group" => Some(self.group(name)),
                    "role" => Some(self.role(name)),
                    _ => None,
                }
            });
        match parsed {
            Some(r) if r.arn == principal_arn => r,
            _ => Resource::named(principal_arn.to_owned()),
        }
    }

    /// UpdateUser/UpdateGroup: the entity's ARN after the move or rename, when it differs
    /// from `current` (the stored path and name replaced by those the request gives).
    pub(super) fn moved(
        &self,
        kind: &str,
        current: Option<(&str, &str)>,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Option<String> {
        let (path, stored) = current.unwrap_or(("/", name));
        if new_name.is_none() && new_path.is_none() {
            return None;
        }
        let moved = self.arn(kind, new_path.unwrap_or(path), new_name.unwrap_or(stored));
        (moved != self.arn(kind, path, stored)).then_some(moved)
    }

    /// The stored path and name of a user, if it exists.
    pub(super) fn user_place(&self, name: &str) -> Option<(String, String)> {
        users::load(&self.txn, self.account, name)
            .ok()
            .map(|u| (u.path, u.name))
    }

    /// The stored path and name of a group, if it exists.
    pub(super) fn group_place(&self, name: &str) -> Option<(String, String)> {
        groups::load(&self.txn, self.account, name)
            .ok()
            .map(|g| (g.path, g.name))
    }

    /// An account-wide list: `{kind}{path_prefix}*`.
    pub(super) fn listing(&self, kind: &str, path_prefix: &str) -> Resource {
        Resource::named(self.arn(kind, path_prefix, "*"))
    }

    pub(super) fn root(&self) -> Resource {
        Resource::named(arn::root_arn(self.account))
    }

    /// The owner of an MFA device an op or query names: a user, or the root for
    /// [`mfa::ROOT`].
    pub(super) fn mfa_owner(&self, user_name: &str) -> Resource {
        if user_name == mfa::ROOT {
            self.root()
        } else {
            self.user(user_name)
        }
    }

    /// The owner of a key: the user the request names, else the key record's (only a key
    /// of this account counts).
    pub(super) fn key_owner(&self, user_name: Option<&str>, access_key_id: &str) -> KeyOwner {
        if let Some(name) = user_name {
            return KeyOwner::named(name);
        }
        match access_keys::lookup(self.txn.base(), access_key_id) {
            Some(k) if k.account == self.account => KeyOwner::named(&k.user_name),
            _ => KeyOwner::Unknown,
        }
    }

    /// The resource of an access-key call: the owning user, else the account root.
    pub(super) fn key_resource(&self, owner: KeyOwner) -> Resource {
        match owner {
            KeyOwner::User(name) => self.user(&name),
            KeyOwner::Root | KeyOwner::Unknown => self.root(),
        }
    }
}
