//! Server certificates, in botocore's member order (`ServerCertificateMetadata`,
//! `ServerCertificate`; `ListServerCertificateTags` is rendered with the other tag lists).
//! Nothing here has a private key to render: iam-state's answers hold none.

use super::read;
use crate::error::AwsError;
use crate::xml::Xml;
use iam_state::ops::server_certs::{
    ServerCertificateMetadata, ServerCertificateView, UploadedServerCertificate,
};
use iam_state::ops::Page;
use serde_json::Value;

fn metadata(x: &mut Xml, m: &ServerCertificateMetadata) {
    x.text("Path", &m.path)
        .text("ServerCertificateName", &m.server_certificate_name)
        .text("ServerCertificateId", &m.server_certificate_id)
        .text("Arn", &m.arn)
        .time("UploadDate", m.upload_ms)
        .time("Expiration", m.expiration_ms);
}

fn wrapped_metadata(x: &mut Xml, m: &ServerCertificateMetadata) {
    x.open("ServerCertificateMetadata");
    metadata(x, m);
    x.close("ServerCertificateMetadata");
}

pub(super) fn body(x: &mut Xml, action: &str, v: &Value) -> Result<bool, AwsError> {
    match action {
        "UploadServerCertificate" => {
            let u: UploadedServerCertificate = read(action, v)?;
            wrapped_metadata(x, &u.metadata);
            x.tags_if_any(&u.tags);
        }
        "GetServerCertificate" => {
            let c: ServerCertificateView = read(action, v)?;
            x.open("ServerCertificate");
            wrapped_metadata(x, &c.metadata);
            x.text("CertificateBody", &c.certificate_body)
                .opt_text("CertificateChain", c.certificate_chain.as_deref())
                .tags(&c.tags);
            x.close("ServerCertificate");
        }
        "ListServerCertificates" => {
            let p: Page<ServerCertificateMetadata> = read(action, v)?;
            x.page("ServerCertificateMetadataList", &p, metadata);
        }
        _ => return Ok(false),
    }
    Ok(true)
}
