//! `GetAccountAuthorizationDetails`: every user, group, role and customer managed policy of
//! an account with what authorizes them (inline documents, attachments, group memberships,
//! instance profiles, every policy version), as auditing tools read an account in one pass.
//!
//! One page runs over the four lists in AWS's order (users, groups, roles, policies), those
//! the `Filter` names; `MaxItems` counts entries of all four together. The marker is
//! `{list}:{the last key returned}` (`u`, `g`, `r` or `p`), so a page continues inside the
//! list where the last one stopped. iamd keeps no AWS managed policies: `AWSManagedPolicy`
//! selects nothing.

use super::super::instance_profiles::{self, InstanceProfileView};
use super::super::paging::{scan_page, Page, PageRequest};
use super::super::policies::EntityFilter;
use crate::keys;
use crate::store::StateRead;
use iam_model::{Group, IamError, IamResult, ManagedPolicy, Role, User};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A role with the instance profiles it is in (AWS's `RoleDetail`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleDetail {
    pub role: Role,
    pub instance_profiles: Vec<InstanceProfileView>,
}

/// One page of an account's authorization details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationDetails {
    /// Users, with their groups, inline documents and attached policies.
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub roles: Vec<RoleDetail>,
    /// Customer managed policies, with every version's document.
    pub policies: Vec<ManagedPolicy>,
    pub is_truncated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// The four lists, in AWS's order: the marker's tag and the state's key kind.
const LISTS: [(char, &str, EntityFilter); 4] = [
    ('u', "user", EntityFilter::User),
    ('g', "group", EntityFilter::Group),
    ('r', "role", EntityFilter::Role),
    ('p', "policy", EntityFilter::LocalManagedPolicy),
];

/// The page `page` of the lists `filter` names (all four when empty).
pub fn query(
    state: &dyn StateRead,
    account: &str,
    filter: &[EntityFilter],
    page: &PageRequest,
) -> IamResult<AuthorizationDetails> {
    let mut remaining = page.size()?;
    let (start, start_marker) = parse_marker(page.marker.as_deref())?;
    let mut out = AuthorizationDetails {
        users: Vec::new(),
        groups: Vec::new(),
        roles: Vec::new(),
        policies: Vec::new(),
        is_truncated: false,
        marker: None,
    };
    let wanted = |f: &EntityFilter| filter.is_empty() || filter.contains(f);
    for (i, (tag, kind, f)) in LISTS.iter().enumerate().skip(start) {
        if !wanted(f) {
            continue;
        }
        let prefix = keys::prefix(kind, account);
        if remaining == 0 {
            // The page is full (only after the list it started in): truncated if this list
            // holds anything.
            if !state.scan(&prefix, None, 1).is_empty() {
                out.is_truncated = true;
                out.marker = Some(format!("{tag}:"));
                break;
            }
            continue;
        }
        let req = PageRequest {
            marker: (i == start && !start_marker.is_empty()).then(|| start_marker.to_owned()),
            max_items: Some(remaining as u32),
        };
        let taken = match f {
            EntityFilter::User => take(state, &prefix, &req, &mut out.users, Clone::clone)?,
            EntityFilter::Group => take(state, &prefix, &req, &mut out.groups, Clone::clone)?,
            EntityFilter::Role => take(state, &prefix, &req, &mut out.roles, |r: &Role| {
                RoleDetail {
                    role: super::super::roles::shown(state, r.clone()),
                    instance_profiles: instance_profiles::for_role(state, account, &r.name),
                }
            })?,
            _ => take(state, &prefix, &req, &mut out.policies, Clone::clone)?,
        };
        remaining -= taken.count;
        if let Some(m) = taken.marker {
            out.is_truncated = true;
            out.marker = Some(format!("{tag}:{m}"));
            break;
        }
    }
    Ok(out)
}

/// How much one list gave to the page, and where it stopped when it had more.
struct Taken {
    count: usize,
    marker: Option<String>,
}

fn take<T: DeserializeOwned, D>(
    state: &dyn StateRead,
    prefix: &[u8],
    req: &PageRequest,
    into: &mut Vec<D>,
    detail: impl Fn(&T) -> D,
) -> IamResult<Taken> {
    let p: Page<T> = scan_page(state, prefix, req, |_| true)?;
    into.extend(p.items.iter().map(detail));
    Ok(Taken {
        count: p.items.len(),
        marker: if p.is_truncated { p.marker } else { None },
    })
}

/// `{list}:{key}` → the list's index and the key to continue after ("" from its start).
fn parse_marker(marker: Option<&str>) -> IamResult<(usize, &str)> {
    let Some(m) = marker.filter(|m| !m.is_empty()) else {
        return Ok((0, ""));
    };
    let bad = || {
        IamError::new(
            iam_model::ErrorCode::InvalidInput,
            "Invalid Marker: it must be one a previous GetAccountAuthorizationDetails returned.",
        )
    };
    let (tag, rest) = m.split_once(':').ok_or_else(bad)?;
    let i = LISTS
        .iter()
        .position(|(t, _, _)| tag.len() == 1 && tag.starts_with(*t))
        .ok_or_else(bad)?;
    Ok((i, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_name_a_list_and_a_key() {
        assert_eq!(parse_marker(None).unwrap(), (0, ""));
        assert_eq!(parse_marker(Some("")).unwrap(), (0, ""));
        assert_eq!(parse_marker(Some("r:ops")).unwrap(), (2, "ops"));
        assert_eq!(parse_marker(Some("p:")).unwrap(), (3, ""));
        for bad in ["x:1", "users:1", "u", "uu:1"] {
            assert!(parse_marker(Some(bad)).is_err(), "{bad}");
        }
    }
}
