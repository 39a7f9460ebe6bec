//! Loading a principal's policies from the state with point reads only: the user (or role)
//! record, then each of its groups' records, then each attached or boundary policy record.
//! Documents are parsed once: inline documents when their owner is loaded, managed documents
//! once per (policy, version) through the index's document cache.

use crate::index::{bump, AuthzIndex, Key};
use iam_model::{ErrorCode, Group, IamError, IamResult, ManagedPolicy, Role, Tag, User};
use iam_policy::{CompiledSet, Policy, PolicyKind};
use iam_state::{decode, keys, StateRead};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Whether a cached principal is a user or a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    User,
    Role,
}

/// Where a policy of a compiled set comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    UserInline,
    GroupInline,
    RoleInline,
    /// A customer managed policy attached to the user, one of its groups, or the role.
    Managed,
    /// The managed policy used as permissions boundary.
    Boundary,
    /// A document given to `simulate`.
    Custom,
}

/// One policy of a principal's sets, as explanations report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicySource {
    pub kind: SourceKind,
    /// The inline policy's name, or the managed policy's name.
    pub name: String,
    /// For inline policies: the user, group or role holding it; for managed policies: the
    /// entity it is attached through (`group/devs`, `user/bob`, `role/ops`).
    pub via: Option<String>,
    /// Managed and boundary policies: the policy ARN.
    pub arn: Option<String>,
    /// Managed and boundary policies: the default version evaluated.
    pub version: Option<String>,
}

/// A principal's compiled policies, shared behind an `Arc` by every request of it until
/// something it read changes.
#[derive(Debug)]
pub struct PrincipalPolicies {
    pub kind: PrincipalKind,
    pub account: String,
    pub name: String,
    pub arn: String,
    /// `AIDA…` / `AROA…`
    pub id: String,
    pub tags: Vec<Tag>,
    /// Own inline, attached managed, then each group's inline and attached managed policies
    /// (a managed policy attached several times appears once).
    pub identity: CompiledSet,
    /// `sources[i]` describes `identity`'s policy `i`.
    pub sources: Vec<PolicySource>,
    /// The permissions boundary. A boundary whose policy cannot be found is an empty set:
    /// it allows nothing (fail closed).
    pub boundary: Option<CompiledSet>,
    pub boundary_source: Option<PolicySource>,
    /// Attached or boundary policy ARNs that do not resolve to a policy of the account
    /// (AWS managed policies are not stored by iamd).
    pub unresolved: Vec<String>,
    /// Lowercased names of the user's groups.
    pub groups: Vec<String>,
    /// Every state key the load read: a write to any of them drops this entry.
    pub(crate) deps: Vec<Key>,
}

/// A group as principals use it: its inline documents parsed, its attached ARNs.
#[derive(Debug)]
pub(crate) struct GroupEntry {
    pub(crate) name: String,
    pub(crate) inline: Vec<(String, Arc<Policy>)>,
    pub(crate) attached: Vec<String>,
}

fn corrupt(what: &str, e: &IamError) -> IamError {
    IamError::new(
        ErrorCode::PolicyEvaluation,
        format!(
            "The stored policy {what} could not be parsed: {}",
            e.message
        ),
    )
}

/// One load of one principal: the index (for its caches and counters), the state, the
/// generation the load started at and the keys it read.
pub(crate) struct Loader<'a> {
    pub(crate) index: &'a AuthzIndex,
    pub(crate) state: &'a dyn StateRead,
    pub(crate) since: u64,
    pub(crate) deps: Vec<Key>,
}

fn get<T: serde::de::DeserializeOwned>(state: &dyn StateRead, key: &[u8]) -> Option<T> {
    decode(key, &state.get(key)?)
}

/// Splits `arn:aws:iam::ACCT:policy/path/name` into (account, name).
fn policy_arn_parts(arn: &str) -> Option<(&str, &str)> {
    let mut it = arn.splitn(6, ':');
    match (
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
    ) {
        (Some("arn"), Some(_), Some("iam"), Some(""), Some(acct), Some(res)) => {
            let name = res.strip_prefix("policy/")?.rsplit('/').next()?;
            (!name.is_empty()).then_some((acct, name))
        }
        _ => None,
    }
}

impl Loader<'_> {
    fn read<T: serde::de::DeserializeOwned>(&mut self, key: Key) -> Option<T> {
        let v = get(self.state, &key);
        self.deps.push(key);
        v
    }

    pub(crate) fn parse(&self, text: &str, kind: PolicyKind) -> IamResult<Policy> {
        bump(&self.index.counters.parses);
        iam_state::ops::parse_stored_policy(text, kind)
    }

    fn require_account(&mut self, account: &str) -> IamResult<()> {
        if self
            .read::<iam_model::Account>(keys::account(account))
            .is_none()
        {
            return Err(IamError::new(
                ErrorCode::NoSuchEntity,
                format!("The account {account} cannot be found."),
            ));
        }
        Ok(())
    }

    fn inline(
        &self,
        docs: &iam_model::InlinePolicies,
        kind: PolicyKind,
        owner: &str,
    ) -> IamResult<Vec<(String, Arc<Policy>)>> {
        docs.iter()
            .map(|(name, text)| {
                let p = self
                    .parse(text, kind)
                    .map_err(|e| corrupt(&format!("{owner}/inline/{name}"), &e))?;
                Ok((name.clone(), Arc::new(p)))
            })
            .collect()
    }

    fn group(&mut self, account: &str, name: &str) -> IamResult<Option<Arc<GroupEntry>>> {
        let key = keys::group(account, name);
        self.deps.push(key.clone());
        if let Some(g) = self.index.cached_group(&key) {
            return Ok(Some(g));
        }
        bump(&self.index.counters.group_loads);
        let Some(g) = get::<Group>(self.state, &key) else {
            return Ok(None);
        };
        let inline = self.inline(
            &g.inline_policies,
            PolicyKind::GroupInline,
            &format!("group/{}", g.name),
        )?;
        let entry = Arc::new(GroupEntry {
            name: g.name,
            inline,
            attached: g.attached_policies,
        });
        self.index.insert_group(key, entry.clone(), self.since);
        Ok(Some(entry))
    }

    /// The default-version document of a managed policy of `account`, or `None` when the
    /// ARN does not name one.
    fn managed(
        &mut self,
        account: &str,
        arn: &str,
    ) -> IamResult<Option<(Arc<Policy>, ManagedPolicy)>> {
        let Some((acct, name)) = policy_arn_parts(arn).filter(|(a, _)| *a == account) else {
            return Ok(None);
        };
        let key = keys::policy(acct, name);
        let Some(rec) = self.read::<ManagedPolicy>(key.clone()) else {
            return Ok(None);
        };
        if rec.arn != arn {
            return Ok(None);
        }
        if let Some(doc) = self
            .index
            .cached_document(&key, &rec.id, &rec.default_version)
        {
            return Ok(Some((doc, rec)));
        }
        let Some(text) = rec.default_document() else {
            return Ok(None);
        };
        let doc = Arc::new(
            self.parse(text, PolicyKind::Managed)
                .map_err(|e| corrupt(arn, &e))?,
        );
        self.index
            .insert_document(key, &rec.id, &rec.default_version, doc.clone(), self.since);
        Ok(Some((doc, rec)))
    }

    /// Compiles the identity set, the boundary and the sources from what was gathered.
    fn finish(
        &mut self,
        account: &str,
        inline: Vec<(PolicySource, Arc<Policy>)>,
        attached: Vec<(String, String)>,
        boundary_arn: Option<&str>,
    ) -> IamResult<Compiled> {
        let mut sources = Vec::new();
        let mut policies: Vec<(String, Arc<Policy>)> = Vec::new();
        let mut unresolved = Vec::new();
        for (src, p) in inline {
            let label = format!("{}/inline/{}", src.via.as_deref().unwrap_or(""), src.name);
            policies.push((label, p));
            sources.push(src);
        }
        let mut seen: Vec<&str> = Vec::new();
        for (arn, via) in &attached {
            if seen.contains(&arn.as_str()) {
                continue;
            }
            seen.push(arn);
            match self.managed(account, arn)? {
                Some((doc, rec)) => {
                    policies.push((arn.clone(), doc));
                    sources.push(PolicySource {
                        kind: SourceKind::Managed,
                        name: rec.name,
                        via: Some(via.clone()),
                        arn: Some(arn.clone()),
                        version: Some(rec.default_version),
                    });
                }
                None => unresolved.push(arn.clone()),
            }
        }
        let (boundary, boundary_source) = match boundary_arn {
            None => (None, None),
            Some(arn) => match self.managed(account, arn)? {
                Some((doc, rec)) => (
                    Some(CompiledSet::new([(arn.to_owned(), doc)])),
                    Some(PolicySource {
                        kind: SourceKind::Boundary,
                        name: rec.name,
                        via: None,
                        arn: Some(arn.to_owned()),
                        version: Some(rec.default_version),
                    }),
                ),
                None => {
                    unresolved.push(arn.to_owned());
                    (Some(CompiledSet::empty()), None)
                }
            },
        };
        Ok(Compiled {
            identity: CompiledSet::new(policies),
            sources,
            boundary,
            boundary_source,
            unresolved,
        })
    }

    /// Loads a user: its record, its groups, the policies they reference.
    pub(crate) fn user(mut self, account: &str, name: &str) -> IamResult<PrincipalPolicies> {
        self.require_account(account)?;
        let user: User = self
            .read(keys::user(account, name))
            .ok_or_else(|| IamError::no_such("user", name))?;
        let via_user = format!("user/{}", user.name);
        let mut inline: Vec<(PolicySource, Arc<Policy>)> = self
            .inline(&user.inline_policies, PolicyKind::UserInline, &via_user)?
            .into_iter()
            .map(|(n, p)| (source(SourceKind::UserInline, n, &via_user), p))
            .collect();
        let mut attached: Vec<(String, String)> = user
            .attached_policies
            .iter()
            .map(|a| (a.clone(), via_user.clone()))
            .collect();
        let mut groups = Vec::new();
        for g in &user.groups {
            groups.push(keys::name_key(g));
            let Some(entry) = self.group(account, g)? else {
                continue;
            };
            let via = format!("group/{}", entry.name);
            for (n, p) in &entry.inline {
                inline.push((source(SourceKind::GroupInline, n.clone(), &via), p.clone()));
            }
            attached.extend(entry.attached.iter().map(|a| (a.clone(), via.clone())));
        }
        let c = self.finish(
            account,
            inline,
            attached,
            user.permissions_boundary.as_deref(),
        )?;
        Ok(self.build(
            PrincipalKind::User,
            user.account,
            user.name,
            user.arn,
            user.id,
            user.tags,
            groups,
            c,
        ))
    }

    /// Loads a role: its record and the policies it references.
    pub(crate) fn role(mut self, account: &str, name: &str) -> IamResult<PrincipalPolicies> {
        self.require_account(account)?;
        let role: Role = self
            .read(keys::role(account, name))
            .ok_or_else(|| IamError::no_such("role", name))?;
        let via = format!("role/{}", role.name);
        let inline = self
            .inline(&role.inline_policies, PolicyKind::RoleInline, &via)?
            .into_iter()
            .map(|(n, p)| (source(SourceKind::RoleInline, n, &via), p))
            .collect();
        let attached = role
            .attached_policies
            .iter()
            .map(|a| (a.clone(), via.clone()))
            .collect();
        let c = self.finish(
            account,
            inline,
            attached,
            role.permissions_boundary.as_deref(),
        )?;
        Ok(self.build(
            PrincipalKind::Role,
            role.account,
            role.name,
            role.arn,
            role.id,
            role.tags,
            Vec::new(),
            c,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        mut self,
        kind: PrincipalKind,
        account: String,
        name: String,
        arn: String,
        id: String,
        tags: Vec<Tag>,
        groups: Vec<String>,
        c: Compiled,
    ) -> PrincipalPolicies {
        self.deps.sort();
        self.deps.dedup();
        PrincipalPolicies {
            kind,
            account,
            name,
            arn,
            id,
            tags,
            identity: c.identity,
            sources: c.sources,
            boundary: c.boundary,
            boundary_source: c.boundary_source,
            unresolved: c.unresolved,
            groups,
            deps: self.deps,
        }
    }
}

struct Compiled {
    identity: CompiledSet,
    sources: Vec<PolicySource>,
    boundary: Option<CompiledSet>,
    boundary_source: Option<PolicySource>,
    unresolved: Vec<String>,
}

fn source(kind: SourceKind, name: String, via: &str) -> PolicySource {
    PolicySource {
        kind,
        name,
        via: Some(via.to_owned()),
        arn: None,
        version: None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn policy_arns_split_into_account_and_name() {
        use super::policy_arn_parts as p;
        assert_eq!(
            p("arn:aws:iam::123456789012:policy/a/b/Read"),
            Some(("123456789012", "Read"))
        );
        assert_eq!(
            p("arn:aws:iam::aws:policy/ReadOnlyAccess"),
            Some(("aws", "ReadOnlyAccess"))
        );
        assert_eq!(p("arn:aws:iam::123456789012:user/bob"), None);
        assert_eq!(p("arn:aws:iam::123456789012:policy/"), None);
        assert_eq!(p("nonsense"), None);
    }
}
