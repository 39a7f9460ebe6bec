//! Signing certificates of IAM users: `UserName` names the user, the calling user when
//! absent. The account root has none in iamd: ListSigningCertificates lists none for it
//! and the writes refuse it without a `UserName` (`iam_state::ops::signing_certs`).

use super::{non_user, Call, Caller, Cx};
use crate::error::AwsError;
use iam_state::ops::signing_certs::{SigningCertOp, SigningCertQuery};

pub(super) fn route(cx: &Cx<'_>, action: &str) -> Result<Option<Call>, AwsError> {
    // `UserName`, else the calling user; empty for the root (which the state refuses for
    // the writes and lists nothing for).
    let user_name = || match (cx.user_or_caller(), cx.caller) {
        (Some(u), _) => Ok(u),
        (None, Caller::Root) => Ok(String::new()),
        (None, _) => Err(non_user()),
    };
    let id = || cx.req("CertificateId");
    let call = match action {
        "UploadSigningCertificate" => cx.write(SigningCertOp::Upload {
            user_name: user_name()?,
            certificate_body: cx.req("CertificateBody")?,
            certificate_id: String::new(),
        }),
        "ListSigningCertificates" => cx.read(SigningCertQuery::List {
            user_name: user_name()?,
            page: cx.page()?,
        }),
        "UpdateSigningCertificate" => cx.write(SigningCertOp::Update {
            user_name: user_name()?,
            certificate_id: id()?,
            status: cx.req("Status")?,
        }),
        "DeleteSigningCertificate" => cx.write(SigningCertOp::Delete {
            user_name: user_name()?,
            certificate_id: id()?,
        }),
        _ => return Ok(None),
    };
    Ok(Some(call))
}
