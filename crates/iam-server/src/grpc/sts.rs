//! STS on the gRPC API (`GetCallerIdentity`, `GetSessionToken`, `AssumeRole`,
//! `GetAccessKeyInfo`) for iamctl
//! (`credential-process`, `agent`): the typed request becomes the AWS parameters and runs
//! through exactly the code the AWS STS API on the HTTP port runs.

use super::auth::caller_of;
use super::status::status;
use crate::api::ApiState;
use iam_auth::token::IssuedCredentials;
use iam_aws::Params;
use iam_proto::v1::*;
use tonic::{Request, Response, Status};

pub(super) fn credentials(c: &IssuedCredentials) -> TemporaryCredentials {
    TemporaryCredentials {
        access_key_id: c.access_key_id.clone(),
        secret_access_key: c.secret_access_key.clone(),
        session_token: c.session_token.clone(),
        expiration_ms: c.expiration_ms,
        assumed_role_arn: String::new(),
        assumed_role_id: String::new(),
    }
}

/// `(name, value)` pairs with the AWS parameter names; empty values are left out.
fn params(pairs: Vec<(String, String)>) -> Params {
    Params::new(pairs.into_iter().filter(|(_, v)| !v.is_empty()))
}

fn duration(d: u32) -> String {
    if d == 0 {
        String::new()
    } else {
        d.to_string()
    }
}

impl ApiState {
    pub(crate) async fn get_caller_identity_rpc(
        &self,
        req: Request<GetCallerIdentityRequest>,
    ) -> Result<Response<CallerIdentity>, Status> {
        let caller = caller_of(&req)?;
        let (arn, user_id, account) = crate::sts::identity(self, &caller);
        Ok(Response::new(CallerIdentity {
            arn,
            user_id,
            account,
        }))
    }

    pub(crate) async fn get_access_key_info_rpc(
        &self,
        req: Request<GetAccessKeyInfoRequest>,
    ) -> Result<Response<AccessKeyInfo>, Status> {
        let caller = caller_of(&req)?;
        let p = params(vec![("AccessKeyId".into(), req.into_inner().access_key_id)]);
        let account = crate::sts::get_access_key_info(self, &caller, &p)
            .await
            .map_err(status)?;
        Ok(Response::new(AccessKeyInfo { account }))
    }

    pub(crate) async fn get_session_token_rpc(
        &self,
        req: Request<GetSessionTokenRequest>,
    ) -> Result<Response<TemporaryCredentials>, Status> {
        let caller = caller_of(&req)?;
        let r = req.into_inner();
        let p = params(vec![
            ("DurationSeconds".into(), duration(r.duration_seconds)),
            ("SerialNumber".into(), r.serial_number),
            ("TokenCode".into(), r.token_code),
        ]);
        let c = crate::sts::get_session_token(self, &caller, &p)
            .await
            .map_err(status)?;
        Ok(Response::new(credentials(&c)))
    }

    pub(crate) async fn assume_role_rpc(
        &self,
        req: Request<AssumeRoleRequest>,
    ) -> Result<Response<TemporaryCredentials>, Status> {
        let caller = caller_of(&req)?;
        let r = req.into_inner();
        let mut pairs = vec![
            ("RoleArn".to_owned(), r.role_arn),
            ("RoleSessionName".to_owned(), r.role_session_name),
            ("DurationSeconds".to_owned(), duration(r.duration_seconds)),
            ("ExternalId".to_owned(), r.external_id),
            ("Policy".to_owned(), r.policy),
            ("SerialNumber".to_owned(), r.serial_number),
            ("TokenCode".to_owned(), r.token_code),
            ("SourceIdentity".to_owned(), r.source_identity),
        ];
        for (i, arn) in r.policy_arns.into_iter().enumerate() {
            pairs.push((format!("PolicyArns.member.{}.arn", i + 1), arn));
        }
        for (i, t) in r.tags.into_iter().enumerate() {
            pairs.push((format!("Tags.member.{}.Key", i + 1), t.key));
            pairs.push((format!("Tags.member.{}.Value", i + 1), t.value));
        }
        for (i, k) in r.transitive_tag_keys.into_iter().enumerate() {
            pairs.push((format!("TransitiveTagKeys.member.{}", i + 1), k));
        }
        let a = crate::sts::assume_role(self, &caller, &params(pairs))
            .await
            .map_err(status)?;
        let mut out = credentials(&a.credentials);
        out.assumed_role_arn = a.arn;
        out.assumed_role_id = a.assumed_role_id;
        Ok(Response::new(out))
    }
}
