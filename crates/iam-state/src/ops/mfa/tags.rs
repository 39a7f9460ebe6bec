//! `TagMFADevice` / `UntagMFADevice`: a virtual device's tags, with the rules of the other
//! taggable entities (`users::tags`: case-insensitive keys, replace on re-tag, at most 50).
//! New in release [`MFA_DEVICE_TAGS`]: an older build cannot decode these ops, so a cluster
//! refuses them until its upgrade to that release is finalized.

use super::load_serial;
use crate::command::Outcome;
use crate::keys;
use crate::ops::{users, Ctx};
use crate::release::MFA_DEVICE_TAGS;
use iam_model::{IamResult, Tag};

pub(super) fn tag(cx: &mut Ctx<'_, '_>, serial: &str, tags: &[Tag]) -> IamResult<Outcome> {
    crate::release::require(&*cx.txn, MFA_DEVICE_TAGS, "TagMFADevice")?;
    let mut device = load_serial(cx.txn, cx.account, serial)?;
    users::tags::tag(&mut device.tags, tags)?;
    cx.txn
        .put_json(keys::mfa_device(cx.account, &device.name), &device);
    Ok(Outcome::Nothing)
}

pub(super) fn untag(cx: &mut Ctx<'_, '_>, serial: &str, tag_keys: &[String]) -> IamResult<Outcome> {
    crate::release::require(&*cx.txn, MFA_DEVICE_TAGS, "UntagMFADevice")?;
    let mut device = load_serial(cx.txn, cx.account, serial)?;
    users::tags::untag(&mut device.tags, tag_keys)?;
    cx.txn
        .put_json(keys::mfa_device(cx.account, &device.name), &device);
    Ok(Outcome::Nothing)
}
