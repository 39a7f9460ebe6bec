//! Signing certificates, in botocore's member order (`SigningCertificate`).

use super::read;
use crate::error::AwsError;
use crate::xml::Xml;
use iam_state::ops::signing_certs::SigningCertificate;
use iam_state::ops::Page;
use serde_json::Value;

fn members(x: &mut Xml, c: &SigningCertificate) {
    x.text("UserName", &c.user_name)
        .text("CertificateId", &c.certificate_id)
        .text("CertificateBody", &c.certificate_body)
        .text("Status", c.status.as_str())
        .time("UploadDate", c.upload_ms);
}

pub(super) fn body(x: &mut Xml, action: &str, v: &Value) -> Result<bool, AwsError> {
    match action {
        "UploadSigningCertificate" => {
            let c: SigningCertificate = read(action, v)?;
            x.open("Certificate");
            members(x, &c);
            x.close("Certificate");
        }
        "ListSigningCertificates" => {
            let p: Page<SigningCertificate> = read(action, v)?;
            x.page("Certificates", &p, members);
        }
        _ => return Ok(false),
    }
    Ok(true)
}
