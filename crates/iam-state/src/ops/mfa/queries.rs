//! The MFA queries: `ListVirtualMFADevices`, `ListMFADevices`, `GetMFADevice` and
//! `ListMFADeviceTags`, answered with the device view (a device's seed never leaves).

use super::{load_assigned, load_serial, owner_name, validate_serial};
use super::{MfaDeviceView, MfaQuery, VirtualMfaDevice};
use crate::keys;
use crate::ops::paging::{scan_page, vec_page};
use crate::ops::{to_json, users};
use crate::store::{StateRead, Txn};
use iam_model::{IamError, IamResult};

fn view(d: VirtualMfaDevice) -> MfaDeviceView {
    MfaDeviceView {
        serial_number: d.serial_number,
        user_name: d.user_name,
        enable_ms: d.enable_ms,
        created_ms: d.created_ms,
        tags: d.tags,
    }
}

pub(crate) fn query(
    state: &dyn StateRead,
    account: &str,
    q: &MfaQuery,
) -> IamResult<serde_json::Value> {
    match q {
        MfaQuery::ListVirtual {
            assignment_status,
            page,
        } => {
            let want: Option<bool> = match assignment_status.as_deref() {
                None | Some("Any") => None,
                Some("Assigned") => Some(true),
                Some("Unassigned") => Some(false),
                Some(other) => {
                    return Err(IamError::validation(
                        "assignmentStatus",
                        other,
                        "Member must satisfy enum value set: [Assigned, Unassigned, Any]",
                    ))
                }
            };
            let p = scan_page(
                state,
                &keys::prefix("mfa", account),
                page,
                |d: &VirtualMfaDevice| want.is_none_or(|w| d.user_name.is_some() == w),
            )?;
            Ok(to_json(&crate::ops::Page {
                items: p.items.into_iter().map(view).collect(),
                is_truncated: p.is_truncated,
                marker: p.marker,
            }))
        }
        MfaQuery::List { user_name, page } => {
            let txn = Txn::new(state);
            let owner = owner_name(&txn, account, user_name)?;
            let prefix = keys::user_mfa_prefix(account, &owner);
            let items = txn
                .scan_all(&prefix)
                .into_iter()
                .filter_map(|(k, _)| {
                    let device = String::from_utf8_lossy(k.get(prefix.len()..)?).into_owned();
                    let d: VirtualMfaDevice = txn.get_json(&keys::mfa_device(account, &device))?;
                    Some((device, view(d)))
                })
                .collect();
            Ok(to_json(&vec_page(items, page)?))
        }
        MfaQuery::Get {
            user_name,
            serial_number,
        } => {
            validate_serial(serial_number)?;
            let txn = Txn::new(state);
            let device = load_assigned(&txn, account, user_name, serial_number)?;
            Ok(to_json(&view(device)))
        }
        MfaQuery::ListTags {
            serial_number,
            page,
        } => {
            let device = load_serial(&Txn::new(state), account, serial_number)?;
            Ok(to_json(&users::tags::list(&device.tags, page)?))
        }
    }
}
