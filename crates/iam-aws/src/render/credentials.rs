//! Access keys, login profiles, MFA devices, account settings and the simulator's results.

use super::ITEMS;
use crate::xml::{base64, Xml};
use serde_json::Value;

fn key_metadata(x: &mut Xml, v: &Value) {
    x.str_field("UserName", v, "user_name")
        .str_field("AccessKeyId", v, "access_key_id")
        .str_field("Status", v, "status")
        .time_field("CreateDate", v, "created_ms");
}

fn mfa_device(x: &mut Xml, v: &Value) {
    x.str_field("UserName", v, "user_name")
        .str_field("SerialNumber", v, "serial_number")
        .time_field("EnableDate", v, "enable_ms");
}

/// A `VirtualMFADevice` of ListVirtualMFADevices: the user is named only (iamd's device
/// view carries the name, not the user record).
fn virtual_device(x: &mut Xml, v: &Value) {
    x.str_field("SerialNumber", v, "serial_number");
    if let Some(user) = v.get("user_name").and_then(Value::as_str) {
        x.open("User").text("UserName", user).close("User");
    }
    x.time_field("EnableDate", v, "enable_ms").tags_if_any(v);
}

/// One `EvaluationResult` of the simulation shape documented on [`crate::Call::Simulate`].
fn evaluation(x: &mut Xml, v: &Value) {
    x.str_field("EvalActionName", v, "eval_action_name")
        .str_field("EvalResourceName", v, "eval_resource_name")
        .str_field("EvalDecision", v, "eval_decision")
        .members("MatchedStatements", v, "matched_statements", |x, s| {
            x.str_field("SourcePolicyId", s, "source_policy_id")
                .str_field("SourcePolicyType", s, "source_policy_type");
        })
        .string_members("MissingContextValues", v, "missing_context_values");
    if v.get("permissions_boundary_allowed").is_some() {
        x.open("PermissionsBoundaryDecisionDetail")
            .bool_field(
                "AllowedByPermissionsBoundary",
                v,
                "permissions_boundary_allowed",
            )
            .close("PermissionsBoundaryDecisionDetail");
    }
    if let Some(details) = v.get("eval_decision_details").and_then(Value::as_object) {
        x.open("EvalDecisionDetails");
        for (k, d) in details {
            if let Some(d) = d.as_str() {
                x.open("entry")
                    .text("key", k)
                    .text("value", d)
                    .close("entry");
            }
        }
        x.close("EvalDecisionDetails");
    }
}

pub(super) fn body(x: &mut Xml, action: &str, v: &Value) -> bool {
    match action {
        "CreateAccessKey" => {
            x.open("AccessKey")
                .str_field("UserName", v, "user_name")
                .str_field("AccessKeyId", v, "access_key_id")
                .str_field("Status", v, "status")
                .str_field("SecretAccessKey", v, "secret_access_key")
                .time_field("CreateDate", v, "created_ms")
                .close("AccessKey");
        }
        "ListAccessKeys" => {
            x.members("AccessKeyMetadata", v, ITEMS, key_metadata)
                .paging(v);
        }
        "GetAccessKeyLastUsed" => {
            x.str_field("UserName", v, "user_name")
                .open("AccessKeyLastUsed")
                .time_field("LastUsedDate", v, "last_used_ms")
                .str_field("ServiceName", v, "service_name")
                .str_field("Region", v, "region")
                .close("AccessKeyLastUsed");
        }
        "CreateLoginProfile" | "GetLoginProfile" => {
            x.open("LoginProfile")
                .str_field("UserName", v, "user_name")
                .time_field("CreateDate", v, "created_ms")
                .bool_field("PasswordResetRequired", v, "password_reset_required")
                .close("LoginProfile");
        }
        "CreateVirtualMFADevice" => {
            x.open("VirtualMFADevice")
                .str_field("SerialNumber", v, "serial_number");
            // Blobs: base64 of the base32 text and of the PNG of the otpauth URI's QR code
            // (`qr_code_png`, already base64: see `crate::qr`), as AWS sends them.
            if let Some(seed) = v.get("base32_string_seed").and_then(Value::as_str) {
                x.text("Base32StringSeed", &base64(seed.as_bytes()));
            }
            if let Some(png) = v.get("qr_code_png").and_then(Value::as_str) {
                x.text("QRCodePNG", png);
            }
            x.tags_if_any(v).close("VirtualMFADevice");
        }
        "ListVirtualMFADevices" => {
            x.members("VirtualMFADevices", v, ITEMS, virtual_device)
                .paging(v);
        }
        "GetMFADevice" => mfa_device(x, v),
        "ListMFADevices" => {
            x.members("MFADevices", v, ITEMS, mfa_device).paging(v);
        }
        "ListAccountAliases" => {
            x.string_members("AccountAliases", v, ITEMS).paging(v);
        }
        "GetAccountPasswordPolicy" => {
            x.open("PasswordPolicy")
                .int_field("MinimumPasswordLength", v, "minimum_password_length")
                .bool_field("RequireSymbols", v, "require_symbols")
                .bool_field("RequireNumbers", v, "require_numbers")
                .bool_field(
                    "RequireUppercaseCharacters",
                    v,
                    "require_uppercase_characters",
                )
                .bool_field(
                    "RequireLowercaseCharacters",
                    v,
                    "require_lowercase_characters",
                )
                .bool_field(
                    "AllowUsersToChangePassword",
                    v,
                    "allow_users_to_change_password",
                )
                .bool_field("ExpirePasswords", v, "expire_passwords")
                .int_field("MaxPasswordAge", v, "max_password_age")
                .int_field("PasswordReusePrevention", v, "password_reuse_prevention")
                .bool_field("HardExpiry", v, "hard_expiry")
                .close("PasswordPolicy");
        }
        "GetAccountSummary" => {
            x.open("SummaryMap");
            for (k, n) in v.as_object().into_iter().flatten() {
                if let Some(n) = n.as_u64() {
                    x.open("entry")
                        .text("key", k)
                        .text("value", &n.to_string())
                        .close("entry");
                }
            }
            x.close("SummaryMap");
        }
        "GenerateCredentialReport" => {
            x.str_field("State", v, "state")
                .str_field("Description", v, "description");
        }
        "GetCredentialReport" => {
            if let Some(content) = v.get("content").and_then(Value::as_str) {
                x.text("Content", &base64(content.as_bytes()));
            }
            x.str_field("ReportFormat", v, "report_format").time_field(
                "GeneratedTime",
                v,
                "generated_ms",
            );
        }
        "SimulatePrincipalPolicy" | "SimulateCustomPolicy" => {
            x.members("EvaluationResults", v, "evaluation_results", evaluation)
                .paging(v);
        }
        "GetContextKeysForPrincipalPolicy" | "GetContextKeysForCustomPolicy" => {
            x.string_members("ContextKeyNames", v, "context_key_names");
        }
        _ => return false,
    }
    true
}
