//! SSH public keys of IAM users: `UserName` names the user (ListSSHPublicKeys defaults to
//! the calling user, as ListAccessKeys does; the account root has none).

use super::{non_user, Call, Caller, Cx};
use crate::error::AwsError;
use iam_state::ops::ssh_keys::{SshKeyOp, SshKeyQuery};

pub(super) fn route(cx: &Cx<'_>, action: &str) -> Result<Option<Call>, AwsError> {
    let id = || cx.req("SSHPublicKeyId");
    let call = match action {
        "UploadSSHPublicKey" => cx.write(SshKeyOp::Upload {
            user_name: cx.req("UserName")?,
            body: cx.req("SSHPublicKeyBody")?,
            ssh_public_key_id: String::new(),
        }),
        "GetSSHPublicKey" => cx.read(SshKeyQuery::Get {
            user_name: cx.req("UserName")?,
            ssh_public_key_id: id()?,
            encoding: cx.req("Encoding")?,
        }),
        "ListSSHPublicKeys" => {
            let user_name = match (cx.user_or_caller(), cx.caller) {
                (Some(u), _) => u,
                (None, Caller::Root) => String::new(),
                (None, _) => return Err(non_user()),
            };
            cx.read(SshKeyQuery::List {
                user_name,
                page: cx.page()?,
            })
        }
        "UpdateSSHPublicKey" => cx.write(SshKeyOp::Update {
            user_name: cx.req("UserName")?,
            ssh_public_key_id: id()?,
            status: cx.req("Status")?,
        }),
        "DeleteSSHPublicKey" => cx.write(SshKeyOp::Delete {
            user_name: cx.req("UserName")?,
            ssh_public_key_id: id()?,
        }),
        _ => return Ok(None),
    };
    Ok(Some(call))
}
