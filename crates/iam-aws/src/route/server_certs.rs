//! Server certificates: named by `ServerCertificateName`. The private key of an upload goes
//! into the command as given; the proposing node checks and seals it before the command
//! enters the log (`iam_state::ops::server_certs`).

use super::{Call, Cx};
use crate::error::AwsError;
use iam_state::ops::server_certs::{PrivateKeyText, ServerCertOp, ServerCertQuery};

pub(super) fn route(cx: &Cx<'_>, action: &str) -> Result<Option<Call>, AwsError> {
    let p = cx.p;
    let name = || cx.req("ServerCertificateName");
    let call = match action {
        "UploadServerCertificate" => cx.write(ServerCertOp::Upload {
            server_certificate_name: name()?,
            path: cx.path(),
            certificate_body: cx.req("CertificateBody")?,
            certificate_chain: cx.opt("CertificateChain"),
            private_key: PrivateKeyText(cx.req("PrivateKey")?),
            tags: p.tags("Tags")?,
            server_certificate_id: String::new(),
            key_check: String::new(),
        }),
        "GetServerCertificate" => cx.read(ServerCertQuery::Get {
            server_certificate_name: name()?,
        }),
        "ListServerCertificates" => cx.read(ServerCertQuery::List {
            path_prefix: cx.path_prefix(),
            page: cx.page()?,
        }),
        "UpdateServerCertificate" => cx.write(ServerCertOp::Update {
            server_certificate_name: name()?,
            new_path: cx.opt("NewPath"),
            new_server_certificate_name: cx.opt("NewServerCertificateName"),
        }),
        "DeleteServerCertificate" => cx.write(ServerCertOp::Delete {
            server_certificate_name: name()?,
        }),
        "TagServerCertificate" => cx.write(ServerCertOp::Tag {
            server_certificate_name: name()?,
            tags: super::principals::required_tags(cx)?,
        }),
        "UntagServerCertificate" => cx.write(ServerCertOp::Untag {
            server_certificate_name: name()?,
            tag_keys: p.required_list("TagKeys")?,
        }),
        "ListServerCertificateTags" => cx.read(ServerCertQuery::ListTags {
            server_certificate_name: name()?,
            page: cx.page()?,
        }),
        _ => return Ok(None),
    };
    Ok(Some(call))
}
