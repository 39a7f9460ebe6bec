//! A user, group or role record seen through the fields this family manages (attached and
//! inline policies, permissions boundary). The records belong to their own families: only
//! those fields are changed here.

use crate::keys::{self, EntityKind};
use crate::ops::roles::service_linked;
use crate::store::{decode, StateRead, Txn};
use iam_model::{Group, IamError, IamResult, InlinePolicies, Role, User};

pub(super) enum Principal {
    User(User),
    Group(Group),
    Role(Role),
}

fn key(account: &str, kind: EntityKind, name: &str) -> Vec<u8> {
    match kind {
        EntityKind::User => keys::user(account, name),
        EntityKind::Group => keys::group(account, name),
        EntityKind::Role => keys::role(account, name),
    }
}

impl Principal {
    fn decode(kind: EntityKind, key: &[u8], bytes: &[u8]) -> Option<Self> {
        match kind {
            EntityKind::User => decode(key, bytes).map(Self::User),
            EntityKind::Group => decode(key, bytes).map(Self::Group),
            EntityKind::Role => decode(key, bytes).map(Self::Role),
        }
    }

    /// Loads the entity in a transaction, or fails with AWS's `NoSuchEntity`.
    pub(super) fn load(
        txn: &Txn<'_>,
        account: &str,
        kind: EntityKind,
        name: &str,
    ) -> IamResult<Self> {
        super::validate::entity_name(kind, name)?;
        let k = key(account, kind, name);
        txn.get(&k)
            .and_then(|v| Self::decode(kind, &k, &v))
            .ok_or_else(|| IamError::no_such(kind.as_str(), name))
    }

    /// Reads the entity from committed state, or fails with AWS's `NoSuchEntity`.
    pub(super) fn read(
        state: &dyn StateRead,
        account: &str,
        kind: EntityKind,
        name: &str,
    ) -> IamResult<Self> {
        super::validate::entity_name(kind, name)?;
        Self::find(state, account, kind, name).ok_or_else(|| IamError::no_such(kind.as_str(), name))
    }

    /// Reads the entity, if it exists (no input checks: for names taken from the state).
    pub(super) fn find(
        state: &dyn StateRead,
        account: &str,
        kind: EntityKind,
        name: &str,
    ) -> Option<Self> {
        let k = key(account, kind, name);
        state.get(&k).and_then(|v| Self::decode(kind, &k, &v))
    }

    pub(super) fn store(&self, txn: &mut Txn<'_>, account: &str) {
        let k = key(account, self.kind(), self.name());
        match self {
            Self::User(u) => txn.put_json(k, u),
            Self::Group(g) => txn.put_json(k, g),
            Self::Role(r) => txn.put_json(k, r),
        }
    }

    pub(super) fn kind(&self) -> EntityKind {
        match self {
            Self::User(_) => EntityKind::User,
            Self::Group(_) => EntityKind::Group,
            Self::Role(_) => EntityKind::Role,
        }
    }

    pub(super) fn name(&self) -> &str {
        match self {
            Self::User(u) => &u.name,
            Self::Group(g) => &g.name,
            Self::Role(r) => &r.name,
        }
    }

    pub(super) fn id(&self) -> &str {
        match self {
            Self::User(u) => &u.id,
            Self::Group(g) => &g.id,
            Self::Role(r) => &r.id,
        }
    }

    pub(super) fn path(&self) -> &str {
        match self {
            Self::User(u) => &u.path,
            Self::Group(g) => &g.path,
            Self::Role(r) => &r.path,
        }
    }

    pub(super) fn attached(&self) -> &[String] {
        match self {
            Self::User(u) => &u.attached_policies,
            Self::Group(g) => &g.attached_policies,
            Self::Role(r) => &r.attached_policies,
        }
    }

    pub(super) fn attached_mut(&mut self) -> &mut Vec<String> {
        match self {
            Self::User(u) => &mut u.attached_policies,
            Self::Group(g) => &mut g.attached_policies,
            Self::Role(r) => &mut r.attached_policies,
        }
    }

    pub(super) fn inline(&self) -> &InlinePolicies {
        match self {
            Self::User(u) => &u.inline_policies,
            Self::Group(g) => &g.inline_policies,
            Self::Role(r) => &r.inline_policies,
        }
    }

    pub(super) fn inline_mut(&mut self) -> &mut InlinePolicies {
        match self {
            Self::User(u) => &mut u.inline_policies,
            Self::Group(g) => &mut g.inline_policies,
            Self::Role(r) => &mut r.inline_policies,
        }
    }

    /// The permissions boundary slot (groups have none).
    pub(super) fn boundary(&self) -> Option<&Option<String>> {
        match self {
            Self::User(u) => Some(&u.permissions_boundary),
            Self::Group(_) => None,
            Self::Role(r) => Some(&r.permissions_boundary),
        }
    }

    pub(super) fn boundary_mut(&mut self) -> Option<&mut Option<String>> {
        match self {
            Self::User(u) => Some(&mut u.permissions_boundary),
            Self::Group(_) => None,
            Self::Role(r) => Some(&mut r.permissions_boundary),
        }
    }

    /// Service-linked roles (path `/aws-service-role/`) are modifiable only by AWS: at every
    /// release (this family refused them from the start, unlike the role family's own
    /// operations, see [`crate::ops::roles::service_linked`]).
    pub(super) fn check_modifiable(&self) -> IamResult<()> {
        match self {
            Self::Role(r) if service_linked::is_service_linked(r) => {
                Err(service_linked::protected(&r.name))
            }
            _ => Ok(()),
        }
    }
}
