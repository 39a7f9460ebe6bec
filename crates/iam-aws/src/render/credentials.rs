//! Access keys, login profiles, MFA devices, account settings and the simulator's results.

use super::{read, EvaluationResult};
use crate::error::AwsError;
use crate::xml::{base64, Xml};
use iam_state::ops::access_keys::{AccessKey, AccessKeyMetadata, LastUsedView};
use iam_state::ops::account::password_policy::PasswordPolicyView;
use iam_state::ops::account::{ReportState, ReportView};
use iam_state::ops::login_profiles::LoginProfileView;
use iam_state::ops::mfa::{CreatedDevice, MfaDeviceView};
use iam_state::ops::Page;
use serde_json::Value;
use std::collections::BTreeMap;

fn key_metadata(x: &mut Xml, k: &AccessKeyMetadata) {
    x.text("UserName", &k.user_name)
        .text("AccessKeyId", &k.access_key_id)
        .text("Status", k.status.as_str())
        .time("CreateDate", k.created_ms);
}

fn mfa_device(x: &mut Xml, d: &MfaDeviceView) {
    x.opt_text("UserName", d.user_name.as_deref())
        .text("SerialNumber", &d.serial_number);
    if let Some(ms) = d.enable_ms {
        x.time("EnableDate", ms);
    }
}

/// A `VirtualMFADevice` of ListVirtualMFADevices: the user is named only (iamd's device
/// view carries the name, not the user record).
fn virtual_device(x: &mut Xml, d: &MfaDeviceView) {
    x.text("SerialNumber", &d.serial_number);
    if let Some(user) = &d.user_name {
        x.open("User").text("UserName", user).close("User");
    }
    if let Some(ms) = d.enable_ms {
        x.time("EnableDate", ms);
    }
    x.tags_if_any(&d.tags);
}

/// One `EvaluationResult` of a simulation.
pub(super) fn evaluation(x: &mut Xml, r: &EvaluationResult) {
    x.text("EvalActionName", &r.eval_action_name)
        .text("EvalResourceName", &r.eval_resource_name)
        .text("EvalDecision", &r.eval_decision)
        .list("MatchedStatements", &r.matched_statements, |x, s| {
            x.text("SourcePolicyId", &s.source_policy_id)
                .text("SourcePolicyType", &s.source_policy_type);
        })
        .strings("MissingContextValues", &r.missing_context_values);
    if let Some(allowed) = r.permissions_boundary_allowed {
        x.open("PermissionsBoundaryDecisionDetail")
            .flag("AllowedByPermissionsBoundary", allowed)
            .close("PermissionsBoundaryDecisionDetail");
    }
    if !r.eval_decision_details.is_empty() {
        x.open("EvalDecisionDetails");
        for (k, d) in &r.eval_decision_details {
            x.open("entry")
                .text("key", k)
                .text("value", d)
                .close("entry");
        }
        x.close("EvalDecisionDetails");
    }
}

/// The virtual MFA device just created, with its seed (as the server revealed it to the
/// creator). Blobs: base64 of the base32 text and of the PNG of the otpauth URI's QR code,
/// as AWS sends them.
fn created_device(x: &mut Xml, d: &CreatedDevice) {
    x.open("VirtualMFADevice")
        .text("SerialNumber", &d.serial_number)
        .text("Base32StringSeed", &base64(d.base32_string_seed.as_bytes()));
    if let Some(png) = crate::qr::png(&d.qr_code_uri) {
        x.text("QRCodePNG", &base64(&png));
    }
    x.tags_if_any(&d.tags).close("VirtualMFADevice");
}

fn password_policy(x: &mut Xml, p: &PasswordPolicyView) {
    x.open("PasswordPolicy")
        .num("MinimumPasswordLength", p.minimum_password_length)
        .flag("RequireSymbols", p.require_symbols)
        .flag("RequireNumbers", p.require_numbers)
        .flag("RequireUppercaseCharacters", p.require_uppercase_characters)
        .flag("RequireLowercaseCharacters", p.require_lowercase_characters)
        .flag(
            "AllowUsersToChangePassword",
            p.allow_users_to_change_password,
        )
        .flag("ExpirePasswords", p.expire_passwords);
    if let Some(n) = p.max_password_age {
        x.num("MaxPasswordAge", n);
    }
    if let Some(n) = p.password_reuse_prevention {
        x.num("PasswordReusePrevention", n);
    }
    x.flag("HardExpiry", p.hard_expiry).close("PasswordPolicy");
}

pub(super) fn body(x: &mut Xml, action: &str, v: &Value) -> Result<bool, AwsError> {
    match action {
        "CreateAccessKey" => {
            let k: AccessKey = read(action, v)?;
            x.open("AccessKey")
                .text("UserName", &k.user_name)
                .text("AccessKeyId", &k.access_key_id)
                .text("Status", k.status.as_str())
                .text("SecretAccessKey", &k.secret_access_key)
                .time("CreateDate", k.created_ms)
                .close("AccessKey");
        }
        "ListAccessKeys" => {
            let p: Page<AccessKeyMetadata> = read(action, v)?;
            x.page("AccessKeyMetadata", &p, key_metadata);
        }
        "GetAccessKeyLastUsed" => {
            let u: LastUsedView = read(action, v)?;
            x.text("UserName", &u.user_name).open("AccessKeyLastUsed");
            if let Some(ms) = u.last_used_ms {
                x.time("LastUsedDate", ms);
            }
            x.text("ServiceName", &u.service_name)
                .text("Region", &u.region)
                .close("AccessKeyLastUsed");
        }
        "CreateLoginProfile" | "GetLoginProfile" => {
            let p: LoginProfileView = read(action, v)?;
            x.open("LoginProfile")
                .text("UserName", &p.user_name)
                .time("CreateDate", p.created_ms)
                .flag("PasswordResetRequired", p.password_reset_required)
                .close("LoginProfile");
        }
        "CreateVirtualMFADevice" => created_device(x, &read(action, v)?),
        "ListVirtualMFADevices" => {
            let p: Page<MfaDeviceView> = read(action, v)?;
            x.page("VirtualMFADevices", &p, virtual_device);
        }
        "GetMFADevice" => mfa_device(x, &read(action, v)?),
        "ListMFADevices" => {
            let p: Page<MfaDeviceView> = read(action, v)?;
            x.page("MFADevices", &p, mfa_device);
        }
        "ListAccountAliases" => {
            let p: Page<String> = read(action, v)?;
            x.strings("AccountAliases", &p.items)
                .paging(p.is_truncated, p.marker.as_deref());
        }
        "GetAccountPasswordPolicy" => password_policy(x, &read(action, v)?),
        "GetAccountSummary" => {
            let summary: BTreeMap<String, u64> = read(action, v)?;
            x.open("SummaryMap");
            for (k, n) in &summary {
                x.open("entry")
                    .text("key", k)
                    .num("value", n)
                    .close("entry");
            }
            x.close("SummaryMap");
        }
        "GenerateCredentialReport" => {
            let r: ReportState = read(action, v)?;
            x.text("State", &r.state)
                .text("Description", &r.description);
        }
        "GetCredentialReport" => {
            let r: ReportView = read(action, v)?;
            x.text("Content", &base64(r.content.as_bytes()))
                .text("ReportFormat", &r.report_format)
                .time("GeneratedTime", r.generated_ms);
        }
        _ => return Ok(false),
    }
    Ok(true)
}
