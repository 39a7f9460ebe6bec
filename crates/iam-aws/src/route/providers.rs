//! OpenID Connect identity providers: named by `OpenIDConnectProviderArn`, created from a
//! `Url`.

use super::{Call, Cx};
use crate::error::AwsError;
use iam_state::ops::oidc_providers::{OidcProviderOp, OidcProviderQuery};

pub(super) fn route(cx: &Cx<'_>, action: &str) -> Result<Option<Call>, AwsError> {
    let p = cx.p;
    let arn = || cx.req("OpenIDConnectProviderArn");
    let call = match action {
        "CreateOpenIDConnectProvider" => cx.write(OidcProviderOp::Create {
            url: cx.req("Url")?,
            client_id_list: p.list("ClientIDList"),
            thumbprint_list: p.list("ThumbprintList"),
            tags: p.tags("Tags")?,
        }),
        "GetOpenIDConnectProvider" => cx.read(OidcProviderQuery::Get {
            provider_arn: arn()?,
        }),
        "ListOpenIDConnectProviders" => cx.read(OidcProviderQuery::List {}),
        "DeleteOpenIDConnectProvider" => cx.write(OidcProviderOp::Delete {
            provider_arn: arn()?,
        }),
        "AddClientIDToOpenIDConnectProvider" => cx.write(OidcProviderOp::AddClientId {
            provider_arn: arn()?,
            client_id: cx.req("ClientID")?,
        }),
        "RemoveClientIDFromOpenIDConnectProvider" => cx.write(OidcProviderOp::RemoveClientId {
            provider_arn: arn()?,
            client_id: cx.req("ClientID")?,
        }),
        "UpdateOpenIDConnectProviderThumbprint" => cx.write(OidcProviderOp::UpdateThumbprint {
            provider_arn: arn()?,
            thumbprint_list: p.required_list("ThumbprintList")?,
        }),
        "TagOpenIDConnectProvider" => cx.write(OidcProviderOp::Tag {
            provider_arn: arn()?,
            tags: super::principals::required_tags(cx)?,
        }),
        "UntagOpenIDConnectProvider" => cx.write(OidcProviderOp::Untag {
            provider_arn: arn()?,
            tag_keys: p.required_list("TagKeys")?,
        }),
        "ListOpenIDConnectProviderTags" => cx.read(OidcProviderQuery::ListTags {
            provider_arn: arn()?,
            page: cx.page()?,
        }),
        _ => return Ok(None),
    };
    Ok(Some(call))
}
