//! Access keys, login profiles and virtual MFA devices. Several of these default
//! `UserName` to the calling user (see [`super::Caller`]). Without `UserName` the root
//! manages its own access keys; iamd keeps no root passwords or MFA devices, so those lists
//! are empty and those creates are refused.

use super::{empty_page, non_user, Call, Caller, Cx};
use crate::error::AwsError;
use iam_state::ops::access_keys::{AccessKeyOp, AccessKeyQuery, ROOT};
use iam_state::ops::login_profiles::{LoginProfileOp, LoginProfileQuery};
use iam_state::ops::mfa::{MfaOp, MfaQuery};

pub(super) fn route(cx: &Cx<'_>, action: &str) -> Result<Option<Call>, AwsError> {
    let p = cx.p;
    let call = match action {
        // ---- access keys
        "CreateAccessKey" => match (cx.user_or_caller(), cx.caller) {
            (Some(user_name), _) => cx.write(AccessKeyOp::Create {
                user_name,
                access_key_id: String::new(),
                secret_access_key: String::new(),
            }),
            (None, Caller::Root) => cx.write(AccessKeyOp::Create {
                user_name: ROOT.to_owned(),
                access_key_id: String::new(),
                secret_access_key: String::new(),
            }),
            (None, _) => return Err(non_user()),
        },
        "ListAccessKeys" => match (cx.user_or_caller(), cx.caller) {
            (Some(user_name), _) => cx.read(AccessKeyQuery::List {
                user_name,
                page: cx.page()?,
            }),
            (None, Caller::Root) => cx.read(AccessKeyQuery::List {
                user_name: ROOT.to_owned(),
                page: cx.page()?,
            }),
            (None, _) => return Err(non_user()),
        },
        "UpdateAccessKey" => cx.write(AccessKeyOp::Update {
            user_name: key_owner(cx)?,
            access_key_id: cx.req("AccessKeyId")?,
            status: cx.req("Status")?,
        }),
        "DeleteAccessKey" => cx.write(AccessKeyOp::Delete {
            user_name: key_owner(cx)?,
            access_key_id: cx.req("AccessKeyId")?,
        }),
        "GetAccessKeyLastUsed" => cx.read(AccessKeyQuery::GetLastUsed {
            access_key_id: cx.req("AccessKeyId")?,
        }),
        // ---- login profiles
        "ChangePassword" => match cx.caller {
            Caller::User(u) => cx.write(LoginProfileOp::ChangePassword {
                user_name: u.to_owned(),
                old_password: cx.req("OldPassword")?,
                new_password: cx.req("NewPassword")?,
                facts: None,
                password_hash: String::new(),
                check: None,
            }),
            _ => {
                return Err(AwsError::new(
                    iam_model::ErrorCode::InvalidUserType,
                    "Only IAM users can change their own password.",
                ))
            }
        },
        "CreateLoginProfile" => cx.write(LoginProfileOp::Create {
            user_name: cx.user_or_caller_required()?,
            password: cx.req("Password")?,
            password_reset_required: p.bool("PasswordResetRequired")?.unwrap_or(false),
            facts: None,
            password_hash: String::new(),
        }),
        "GetLoginProfile" => cx.read(LoginProfileQuery::Get {
            user_name: cx.user_or_caller_required()?,
        }),
        "UpdateLoginProfile" => cx.write(LoginProfileOp::Update {
            user_name: cx.req("UserName")?,
            password: cx.opt("Password"),
            password_reset_required: p.bool("PasswordResetRequired")?,
            facts: None,
            password_hash: None,
        }),
        "DeleteLoginProfile" => cx.write(LoginProfileOp::Delete {
            user_name: cx.user_or_caller_required()?,
        }),
        // ---- MFA
        "CreateVirtualMFADevice" => cx.write(MfaOp::CreateVirtual {
            name: cx.req("VirtualMFADeviceName")?,
            path: cx.path(),
            tags: p.tags("Tags")?,
            seed: String::new(),
        }),
        "EnableMFADevice" => cx.write(MfaOp::Enable {
            user_name: cx.req("UserName")?,
            serial_number: cx.req("SerialNumber")?,
            authentication_code1: cx.req("AuthenticationCode1")?,
            authentication_code2: cx.req("AuthenticationCode2")?,
        }),
        "DeactivateMFADevice" => {
            let serial_number = cx.req("SerialNumber")?;
            cx.write(MfaOp::Deactivate {
                user_name: cx.user_or_caller_required()?,
                serial_number,
            })
        }
        "ResyncMFADevice" => cx.write(MfaOp::Resync {
            user_name: cx.req("UserName")?,
            serial_number: cx.req("SerialNumber")?,
            authentication_code1: cx.req("AuthenticationCode1")?,
            authentication_code2: cx.req("AuthenticationCode2")?,
        }),
        "DeleteVirtualMFADevice" => cx.write(MfaOp::DeleteVirtual {
            serial_number: cx.req("SerialNumber")?,
        }),
        "ListVirtualMFADevices" => cx.read(MfaQuery::ListVirtual {
            assignment_status: cx.opt("AssignmentStatus"),
            page: cx.page()?,
        }),
        "ListMFADevices" => match (cx.user_or_caller(), cx.caller) {
            (Some(user_name), _) => cx.read(MfaQuery::List {
                user_name,
                page: cx.page()?,
            }),
            (None, Caller::Root) => {
                cx.page()?;
                empty_page()
            }
            (None, _) => return Err(non_user()),
        },
        "TagMFADevice" => cx.write(MfaOp::Tag {
            serial_number: cx.req("SerialNumber")?,
            tags: super::principals::required_tags(cx)?,
        }),
        "UntagMFADevice" => cx.write(MfaOp::Untag {
            serial_number: cx.req("SerialNumber")?,
            tag_keys: p.required_list("TagKeys")?,
        }),
        "ListMFADeviceTags" => cx.read(MfaQuery::ListTags {
            serial_number: cx.req("SerialNumber")?,
            page: cx.page()?,
        }),
        "GetMFADevice" => {
            let serial_number = cx.req("SerialNumber")?;
            let user_name = match (cx.user_or_caller(), cx.caller) {
                (Some(user_name), _) => user_name,
                // The root's own device (iamd keeps the root's devices under `mfa::ROOT`).
                (None, Caller::Root) => iam_state::ops::mfa::ROOT.to_owned(),
                (None, _) => return Err(non_user()),
            };
            cx.read(MfaQuery::Get {
                user_name,
                serial_number,
            })
        }
        _ => return Ok(None),
    };
    Ok(Some(call))
}

/// The key owner for UpdateAccessKey/DeleteAccessKey: `UserName`, else the calling user;
/// for the root `None` (iamd then finds the key among all the account's users).
fn key_owner(cx: &Cx<'_>) -> Result<Option<String>, AwsError> {
    match (cx.user_or_caller(), cx.caller) {
        (Some(u), _) => Ok(Some(u)),
        (None, Caller::Root) => Ok(None),
        (None, _) => Err(non_user()),
    }
}
