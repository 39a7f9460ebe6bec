//! SSH public keys, in botocore's member order (`SSHPublicKey`, `SSHPublicKeyMetadata`).

use super::read;
use crate::error::AwsError;
use crate::xml::Xml;
use iam_state::ops::ssh_keys::{SshPublicKey, SshPublicKeyMetadata};
use iam_state::ops::Page;
use serde_json::Value;

fn key(x: &mut Xml, k: &SshPublicKey) {
    x.open("SSHPublicKey")
        .text("UserName", &k.user_name)
        .text("SSHPublicKeyId", &k.ssh_public_key_id)
        .text("Fingerprint", &k.fingerprint)
        .text("SSHPublicKeyBody", &k.body)
        .text("Status", k.status.as_str())
        .time("UploadDate", k.upload_ms)
        .close("SSHPublicKey");
}

fn metadata(x: &mut Xml, k: &SshPublicKeyMetadata) {
    x.text("UserName", &k.user_name)
        .text("SSHPublicKeyId", &k.ssh_public_key_id)
        .text("Status", k.status.as_str())
        .time("UploadDate", k.upload_ms);
}

pub(super) fn body(x: &mut Xml, action: &str, v: &Value) -> Result<bool, AwsError> {
    match action {
        "UploadSSHPublicKey" | "GetSSHPublicKey" => key(x, &read(action, v)?),
        "ListSSHPublicKeys" => {
            let p: Page<SshPublicKeyMetadata> = read(action, v)?;
            x.page("SSHPublicKeys", &p, metadata);
        }
        _ => return Ok(false),
    }
    Ok(true)
}
