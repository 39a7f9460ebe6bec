//! OpenID Connect providers, in botocore's member order (`ListOpenIDConnectProviderTags` is
//! rendered with the other tag lists).

use super::read;
use crate::error::AwsError;
use crate::xml::Xml;
use iam_state::ops::oidc_providers::{CreatedOidcProvider, OidcProvider, OidcProviderEntry};
use iam_state::ops::Page;
use serde_json::Value;

pub(super) fn body(x: &mut Xml, action: &str, v: &Value) -> Result<bool, AwsError> {
    match action {
        "CreateOpenIDConnectProvider" => {
            let c: CreatedOidcProvider = read(action, v)?;
            x.text("OpenIDConnectProviderArn", &c.arn)
                .tags_if_any(&c.tags);
        }
        "GetOpenIDConnectProvider" => {
            let p: OidcProvider = read(action, v)?;
            x.text("Url", &p.url)
                .strings("ClientIDList", &p.client_ids)
                .strings("ThumbprintList", &p.thumbprints)
                .time("CreateDate", p.created_ms)
                .tags(&p.tags);
        }
        "ListOpenIDConnectProviders" => {
            let p: Page<OidcProviderEntry> = read(action, v)?;
            x.list("OpenIDConnectProviderList", &p.items, |x, e| {
                x.text("Arn", &e.arn);
            });
        }
        _ => return Ok(false),
    }
    Ok(true)
}
