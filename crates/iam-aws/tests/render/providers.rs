//! OpenID Connect providers: botocore's element order for Create/Get/List, the tag list,
//! and AWS's errors as XML.

use super::*;

const ARN: &str = "arn:aws:iam::123456789012:oidc-provider/token.example.com/id/1";
const ARN_ENC: &str =
    "arn%3Aaws%3Aiam%3A%3A123456789012%3Aoidc-provider%2Ftoken.example.com%2Fid%2F1";

#[test]
fn openid_connect_providers() {
    let mut s = Server::new();
    // Refused until the cluster runs release 4.
    let xml =
        s.call("Action=CreateOpenIDConnectProvider&Url=https%3A%2F%2Ftoken.example.com%2Fid%2F1");
    assert!(
        xml.contains("<Code>ValidationError</Code>") && xml.contains("release 4"),
        "{xml}"
    );
    s.propose(Command::FinalizeRelease {
        release: iam_state::release::OIDC_PROVIDERS,
    })
    .unwrap();
    let thumb = "9E99A48A9960B14926BB7F3B02E22DA2B0AB7280";
    let xml = s.call(&format!(
        "Action=CreateOpenIDConnectProvider&Url=https%3A%2F%2Ftoken.example.com%2Fid%2F1\
         &ClientIDList.member.1=sts.amazonaws.com&ThumbprintList.member.1={thumb}\
         &Tags.member.1.Key=team&Tags.member.1.Value=id"
    ));
    assert_eq!(
        xml,
        ok(
            "CreateOpenIDConnectProvider",
            &format!(
                "<OpenIDConnectProviderArn>{ARN}</OpenIDConnectProviderArn>\
                 <Tags><member><Key>team</Key><Value>id</Value></member></Tags>"
            )
        )
    );
    assert_eq!(
        s.call(&format!(
            "Action=GetOpenIDConnectProvider&OpenIDConnectProviderArn={ARN_ENC}"
        )),
        ok(
            "GetOpenIDConnectProvider",
            &format!(
                "<Url>token.example.com/id/1</Url>\
                 <ClientIDList><member>sts.amazonaws.com</member></ClientIDList>\
                 <ThumbprintList><member>{}</member></ThumbprintList>\
                 <CreateDate>2024-01-02T03:04:05Z</CreateDate>\
                 <Tags><member><Key>team</Key><Value>id</Value></member></Tags>",
                thumb.to_ascii_lowercase()
            )
        )
    );
    assert_eq!(
        s.call("Action=ListOpenIDConnectProviders"),
        ok(
            "ListOpenIDConnectProviders",
            &format!("<OpenIDConnectProviderList><member><Arn>{ARN}</Arn></member></OpenIDConnectProviderList>")
        )
    );
    assert_eq!(
        s.call(&format!(
            "Action=ListOpenIDConnectProviderTags&OpenIDConnectProviderArn={ARN_ENC}"
        )),
        ok(
            "ListOpenIDConnectProviderTags",
            "<Tags><member><Key>team</Key><Value>id</Value></member></Tags><IsTruncated>false</IsTruncated>"
        )
    );
    // Writes without an output answer with the metadata only.
    for body in [
        format!("Action=AddClientIDToOpenIDConnectProvider&OpenIDConnectProviderArn={ARN_ENC}&ClientID=web"),
        format!("Action=RemoveClientIDFromOpenIDConnectProvider&OpenIDConnectProviderArn={ARN_ENC}&ClientID=sts.amazonaws.com"),
        format!("Action=UpdateOpenIDConnectProviderThumbprint&OpenIDConnectProviderArn={ARN_ENC}&ThumbprintList.member.1={}", "a".repeat(40)),
        format!("Action=UntagOpenIDConnectProvider&OpenIDConnectProviderArn={ARN_ENC}&TagKeys.member.1=team"),
    ] {
        let action = body[7..].split('&').next().unwrap().to_owned();
        assert_eq!(s.call(&body), envelope(&action, ""), "{body}");
    }
    let xml = s.call(&format!(
        "Action=GetOpenIDConnectProvider&OpenIDConnectProviderArn={ARN_ENC}"
    ));
    assert!(
        xml.contains(&format!(
            "<Url>token.example.com/id/1</Url><ClientIDList><member>web</member></ClientIDList>\
             <ThumbprintList><member>{}</member></ThumbprintList>",
            "a".repeat(40)
        )) && xml.contains("<Tags/>"),
        "{xml}"
    );
    // AWS's errors.
    let xml =
        s.call("Action=CreateOpenIDConnectProvider&Url=https%3A%2F%2Ftoken.example.com%2Fid%2F1");
    assert!(
        xml.contains("<Code>EntityAlreadyExists</Code>")
            && xml.contains("<Message>Provider with url https://token.example.com/id/1 already exists.</Message>"),
        "{xml}"
    );
    let xml = s.call("Action=CreateOpenIDConnectProvider&Url=http%3A%2F%2Fa.example.com");
    assert!(xml.contains("<Code>InvalidInput</Code>"), "{xml}");
    assert_eq!(
        s.call(&format!(
            "Action=DeleteOpenIDConnectProvider&OpenIDConnectProviderArn={ARN_ENC}"
        )),
        envelope("DeleteOpenIDConnectProvider", "")
    );
    let xml = s.call(&format!(
        "Action=GetOpenIDConnectProvider&OpenIDConnectProviderArn={ARN_ENC}"
    ));
    assert!(
        xml.contains("<Code>NoSuchEntity</Code>")
            && xml.contains(&format!("OpenIDConnect Provider not found for arn {ARN}")),
        "{xml}"
    );
    assert_eq!(
        s.call("Action=ListOpenIDConnectProviders"),
        ok("ListOpenIDConnectProviders", "<OpenIDConnectProviderList/>")
    );
}
