//! STS's answers (API version 2011-06-15) as AWS writes them: `GetCallerIdentity`,
//! `GetSessionToken`, `AssumeRole` and `GetAccessKeyInfo`, from the typed results the server's STS step returns.

use crate::xml::{escape, timestamp};
use iam_auth::token::IssuedCredentials;

/// STS's XML namespace.
pub const STS_XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// What an STS call answered.
#[derive(Debug, Clone)]
pub enum StsResult {
    CallerIdentity {
        arn: String,
        user_id: String,
        account: String,
    },
    SessionToken(IssuedCredentials),
    AssumedRole {
        credentials: IssuedCredentials,
        assumed_role_id: String,
        arn: String,
        source_identity: Option<String>,
    },
    /// `AssumeRoleWithWebIdentity`'s answer.
    AssumedRoleWithWebIdentity {
        credentials: IssuedCredentials,
        /// The token's `sub`.
        subject: String,
        assumed_role_id: String,
        arn: String,
        /// The identity provider (its ARN).
        provider: String,
        /// The client id the token was issued for.
        audience: String,
    },
    /// `GetFederationToken`'s answer.
    FederationToken {
        credentials: IssuedCredentials,
        /// `ACCOUNT:NAME`.
        federated_user_id: String,
        /// `arn:aws:sts::ACCOUNT:federated-user/NAME`.
        arn: String,
    },
    /// The account an access key belongs to.
    AccessKeyInfo {
        account: String,
    },
}

impl StsResult {
    /// The action whose answer this is.
    pub fn action(&self) -> &'static str {
        match self {
            Self::CallerIdentity { .. } => "GetCallerIdentity",
            Self::SessionToken(_) => "GetSessionToken",
            Self::AssumedRole { .. } => "AssumeRole",
            Self::AssumedRoleWithWebIdentity { .. } => "AssumeRoleWithWebIdentity",
            Self::FederationToken { .. } => "GetFederationToken",
            Self::AccessKeyInfo { .. } => "GetAccessKeyInfo",
        }
    }
}

fn assumed_role_user_xml(assumed_role_id: &str, arn: &str) -> String {
    format!(
        "    <AssumedRoleUser>\n      <AssumedRoleId>{}</AssumedRoleId>\n      <Arn>{}</Arn>\n    </AssumedRoleUser>\n",
        escape(assumed_role_id),
        escape(arn)
    )
}

fn credentials_xml(c: &IssuedCredentials) -> String {
    format!(
        "    <Credentials>\n      <AccessKeyId>{}</AccessKeyId>\n      <SecretAccessKey>{}</SecretAccessKey>\n      <SessionToken>{}</SessionToken>\n      <Expiration>{}</Expiration>\n    </Credentials>\n",
        escape(&c.access_key_id),
        escape(&c.secret_access_key),
        escape(&c.session_token),
        timestamp(c.expiration_ms)
    )
}

/// The `<{Action}Response>` document of `result`.
pub fn render_sts(result: &StsResult, request_id: &str) -> String {
    let body = match result {
        StsResult::CallerIdentity {
            arn,
            user_id,
            account,
        } => format!(
            "    <Arn>{}</Arn>\n    <UserId>{}</UserId>\n    <Account>{}</Account>\n",
            escape(arn),
            escape(user_id),
            escape(account)
        ),
        StsResult::SessionToken(c) => credentials_xml(c),
        StsResult::FederationToken {
            credentials,
            federated_user_id,
            arn,
        } => format!(
            "{}    <FederatedUser>\n      <FederatedUserId>{}</FederatedUserId>\n      <Arn>{}</Arn>\n    </FederatedUser>\n",
            credentials_xml(credentials),
            escape(federated_user_id),
            escape(arn)
        ),
        StsResult::AccessKeyInfo { account } => {
            format!("    <Account>{}</Account>\n", escape(account))
        }
        StsResult::AssumedRole {
            credentials,
            assumed_role_id,
            arn,
            source_identity,
        } => {
            let mut body = credentials_xml(credentials);
            body.push_str(&assumed_role_user_xml(assumed_role_id, arn));
            if let Some(si) = source_identity {
                body.push_str(&format!(
                    "    <SourceIdentity>{}</SourceIdentity>\n",
                    escape(si)
                ));
            }
            body
        }
        // botocore's order: Credentials, SubjectFromWebIdentityToken, AssumedRoleUser,
        // PackedPolicySize, Provider, Audience, SourceIdentity.
        StsResult::AssumedRoleWithWebIdentity {
            credentials,
            subject,
            assumed_role_id,
            arn,
            provider,
            audience,
        } => format!(
            "{}    <SubjectFromWebIdentityToken>{}</SubjectFromWebIdentityToken>\n{}    <Provider>{}</Provider>\n    <Audience>{}</Audience>\n",
            credentials_xml(credentials),
            escape(subject),
            assumed_role_user_xml(assumed_role_id, arn),
            escape(provider),
            escape(audience)
        ),
    };
    let action = result.action();
    format!(
        "<{action}Response xmlns=\"{STS_XMLNS}\">\n  <{action}Result>\n{body}  </{action}Result>\n  <ResponseMetadata>\n    <RequestId>{}</RequestId>\n  </ResponseMetadata>\n</{action}Response>\n",
        escape(request_id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> IssuedCredentials {
        IssuedCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "s/e+c<r>e&t".into(),
            session_token: "tok".into(),
            expiration_ms: 1_440_938_160_000,
        }
    }

    #[test]
    fn assume_role_answers_as_aws_writes_it() {
        let xml = render_sts(
            &StsResult::AssumedRole {
                credentials: creds(),
                assumed_role_id: "AROAEXAMPLE:s".into(),
                arn: "arn:aws:sts::123456789012:assumed-role/r/s".into(),
                source_identity: Some("alice".into()),
            },
            "rid",
        );
        assert!(xml.starts_with(
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <AssumeRoleResult>\n    <Credentials>"
        ));
        assert!(xml.contains("<SecretAccessKey>s/e+c&lt;r&gt;e&amp;t</SecretAccessKey>"));
        assert!(xml.contains("<Expiration>2015-08-30T12:36:00Z</Expiration>"));
        assert!(xml.contains("<AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId>"));
        assert!(xml.contains("<SourceIdentity>alice</SourceIdentity>"));
        assert!(xml.contains("<RequestId>rid</RequestId>"));
    }

    #[test]
    fn caller_identity_and_session_token() {
        let who = render_sts(
            &StsResult::CallerIdentity {
                arn: "arn:aws:iam::123456789012:user/bob".into(),
                user_id: "AIDAEXAMPLE".into(),
                account: "123456789012".into(),
            },
            "r",
        );
        assert!(who.contains("<GetCallerIdentityResult>\n    <Arn>arn:aws:iam::123456789012:user/bob</Arn>\n    <UserId>AIDAEXAMPLE</UserId>\n    <Account>123456789012</Account>\n  </GetCallerIdentityResult>"));
        let token = render_sts(&StsResult::SessionToken(creds()), "r");
        assert!(token.contains("<GetSessionTokenResult>\n    <Credentials>"));
        assert!(!token.contains("AssumedRoleUser"));
    }

    #[test]
    fn web_identity_answers_in_botocore_order() {
        let xml = render_sts(
            &StsResult::AssumedRoleWithWebIdentity {
                credentials: creds(),
                subject: "system:serviceaccount:default:<app>".into(),
                assumed_role_id: "AROAEXAMPLE:pod".into(),
                arn: "arn:aws:sts::123456789012:assumed-role/r/pod".into(),
                provider: "arn:aws:iam::123456789012:oidc-provider/issuer.example".into(),
                audience: "sts.amazonaws.com".into(),
            },
            "rid",
        );
        let order = [
            "<AssumeRoleWithWebIdentityResult>",
            "<Credentials>",
            "<SubjectFromWebIdentityToken>system:serviceaccount:default:&lt;app&gt;</SubjectFromWebIdentityToken>",
            "<AssumedRoleUser>",
            "<Arn>arn:aws:sts::123456789012:assumed-role/r/pod</Arn>",
            "<Provider>arn:aws:iam::123456789012:oidc-provider/issuer.example</Provider>",
            "<Audience>sts.amazonaws.com</Audience>",
            "</AssumeRoleWithWebIdentityResult>",
        ];
        let at: Vec<usize> = order.iter().map(|e| xml.find(e).expect(e)).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{xml}");
    }

    #[test]
    fn federation_token() {
        let xml = render_sts(
            &StsResult::FederationToken {
                credentials: creds(),
                federated_user_id: "123456789012:bob".into(),
                arn: "arn:aws:sts::123456789012:federated-user/bob".into(),
            },
            "rid",
        );
        assert!(
            xml.contains("<GetFederationTokenResult>\n    <Credentials>"),
            "{xml}"
        );
        assert!(xml.contains("</Credentials>\n    <FederatedUser>\n      <FederatedUserId>123456789012:bob</FederatedUserId>\n      <Arn>arn:aws:sts::123456789012:federated-user/bob</Arn>\n    </FederatedUser>\n  </GetFederationTokenResult>"), "{xml}");
    }

    #[test]
    fn access_key_info() {
        let xml = render_sts(
            &StsResult::AccessKeyInfo {
                account: "123456789012".into(),
            },
            "rid",
        );
        assert!(
            xml.contains(
                "<GetAccessKeyInfoResult>\n    <Account>123456789012</Account>\n  </GetAccessKeyInfoResult>"
            ),
            "{xml}"
        );
    }
}
