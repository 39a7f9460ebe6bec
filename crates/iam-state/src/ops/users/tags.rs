//! Tags on the taggable principals (users, roles, instance profiles), as AWS's
//! Tag*/Untag*/List*Tags operations treat them: keys are unique case-insensitively, tagging
//! with a key already present replaces that tag, untagging an absent key is not an error, and
//! a resource holds at most 50 tags.

use crate::ops::paging::{vec_page, Page, PageRequest};
use iam_model::limits::{TAGS_PER_RESOURCE_MAX, TAG_KEY_LEN_MAX};
use iam_model::{names, IamError, IamResult, Tag};

fn same_key(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// Adds `new` to `existing`, replacing tags whose key is already there.
pub(crate) fn tag(existing: &mut Vec<Tag>, new: &[Tag]) -> IamResult<()> {
    names::validate_tags(new)?;
    for t in new {
        match existing.iter_mut().find(|e| same_key(&e.key, &t.key)) {
            Some(e) => *e = t.clone(),
            None => existing.push(t.clone()),
        }
    }
    if existing.len() > TAGS_PER_RESOURCE_MAX {
        return Err(IamError::quota(
            "TagsPerResource",
            TAGS_PER_RESOURCE_MAX as u64,
        ));
    }
    Ok(())
}

fn valid_key(key: &str) -> bool {
    let len = key.chars().count();
    (1..=TAG_KEY_LEN_MAX).contains(&len)
        && key.chars().all(|c| {
            c.is_alphanumeric()
                || c.is_whitespace()
                || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
        })
}

/// Removes the tags with the given keys (absent keys are ignored).
pub(crate) fn untag(existing: &mut Vec<Tag>, keys: &[String]) -> IamResult<()> {
    if keys.len() > TAGS_PER_RESOURCE_MAX {
        return Err(IamError::validation(
            "tagKeys",
            &format!("[{}]", keys.join(", ")),
            "Member must have length less than or equal to 50",
        ));
    }
    if let Some(bad) = keys.iter().find(|k| !valid_key(k)) {
        return Err(IamError::validation(
            "tagKeys.member",
            bad,
            "Member must have length between 1 and 128 and satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
        ));
    }
    existing.retain(|t| !keys.iter().any(|k| same_key(k, &t.key)));
    Ok(())
}

/// One page of tags, in the order they were added (as AWS lists them; a tag replaced by
/// tagging its key again keeps its place). The marker is a position.
pub(crate) fn list(tags: &[Tag], page: &PageRequest) -> IamResult<Page<Tag>> {
    vec_page(
        tags.iter()
            .enumerate()
            .map(|(i, t)| (format!("{i:04}"), t.clone()))
            .collect(),
        page,
    )
}
