//! `Marker`/`MaxItems` paging for list queries, as AWS does it: a page holds at most
//! `max_items` (1–1000, default 100); when more remain, `is_truncated` is set and `marker`
//! names where to continue (here: the sort key of the last item returned).

use crate::store::{decode, StateRead};
use iam_model::limits::{LIST_ITEMS_DEFAULT, LIST_ITEMS_MAX};
use iam_model::{IamError, IamResult};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The paging part of a list query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    #[serde(default)]
    pub marker: Option<String>,
    #[serde(default)]
    pub max_items: Option<u32>,
}

/// Longest marker AWS accepts.
const MARKER_LEN_MAX: usize = 320;

impl PageRequest {
    /// The validated page size.
    pub fn size(&self) -> IamResult<usize> {
        match self.max_items {
            None => Ok(LIST_ITEMS_DEFAULT),
            Some(n) if (1..=LIST_ITEMS_MAX as u32).contains(&n) => Ok(n as usize),
            Some(n) => Err(IamError::validation(
                "maxItems",
                &n.to_string(),
                "Member must have value between 1 and 1000",
            )),
        }
    }

    fn marker(&self) -> IamResult<Option<&str>> {
        match self.marker.as_deref() {
            None | Some("") => Ok(None),
            Some(m) if m.chars().count() <= MARKER_LEN_MAX && !m.chars().any(char::is_control) => {
                Ok(Some(m))
            }
            Some(m) => Err(IamError::validation(
                "marker",
                m,
                "Member must have length less than or equal to 320",
            )),
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub is_truncated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// Pages through the records under `prefix` in key order, keeping those `keep` accepts.
/// The marker is the key suffix (after `prefix`) of the last item returned.
pub fn scan_page<T: DeserializeOwned>(
    state: &dyn StateRead,
    prefix: &[u8],
    req: &PageRequest,
    mut keep: impl FnMut(&T) -> bool,
) -> IamResult<Page<T>> {
    const BATCH: usize = 256;
    let size = req.size()?;
    let mut after: Option<Vec<u8>> = req.marker()?.map(|m| [prefix, m.as_bytes()].concat());
    let mut items = Vec::new();
    let mut last_key: Option<Vec<u8>> = None;
    loop {
        let batch = state.scan(prefix, after.as_deref(), BATCH);
        let done = batch.len() < BATCH;
        for (k, v) in batch {
            if let Some(item) = decode::<T>(&k, &v) {
                if keep(&item) {
                    if items.len() == size {
                        let marker = last_key
                            .map(|l| String::from_utf8_lossy(&l[prefix.len()..]).into_owned());
                        return Ok(Page {
                            items,
                            is_truncated: true,
                            marker,
                        });
                    }
                    items.push(item);
                    last_key = Some(k.clone());
                }
            }
            after = Some(k);
        }
        if done {
            return Ok(Page {
                items,
                is_truncated: false,
                marker: None,
            });
        }
    }
}

/// Pages through an in-memory list of `(sort key, item)` (e.g. a user's groups).
pub fn vec_page<T>(mut items: Vec<(String, T)>, req: &PageRequest) -> IamResult<Page<T>> {
    let size = req.size()?;
    let marker = req.marker()?;
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let mut rest: Vec<(String, T)> = items
        .into_iter()
        .filter(|(k, _)| marker.is_none_or(|m| k.as_str() > m))
        .collect();
    let is_truncated = rest.len() > size;
    rest.truncate(size);
    let marker = if is_truncated {
        rest.last().map(|(k, _)| k.clone())
    } else {
        None
    };
    Ok(Page {
        items: rest.into_iter().map(|(_, v)| v).collect(),
        is_truncated,
        marker,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vec_pages_continue_after_the_marker() {
        let items: Vec<(String, u32)> = (0..5).map(|i| (format!("k{i}"), i)).collect();
        let req = PageRequest {
            marker: None,
            max_items: Some(2),
        };
        let p = vec_page(items.clone(), &req).unwrap();
        assert_eq!(p.items, vec![0, 1]);
        assert!(p.is_truncated);
        let req = PageRequest {
            marker: p.marker,
            max_items: Some(3),
        };
        let p = vec_page(items, &req).unwrap();
        assert_eq!(p.items, vec![2, 3, 4]);
        assert!(!p.is_truncated);
        assert!(PageRequest {
            marker: None,
            max_items: Some(0)
        }
        .size()
        .is_err());
    }
}
