//! The `Iam` gRPC service: each call converted into the core's typed write or read on
//! [`ApiState`] (STS, authorization and simulation calls hand over to their modules) and its
//! answer back into proto.

use super::auth::caller_of;
use super::status::{invalid, status};
use super::{consistency, request_token};
use crate::api::{reveal, unexpected, ApiState};
use crate::login::{SignInRequest, SignedIn};
use iam_proto::v1::iam_server::Iam;
use iam_proto::v1::*;
use iam_proto::{account_to_proto, tag_from_proto, user_to_proto};
use iam_state::ops::users::{UserOp, UserQuery};
use iam_state::ops::{Page, PageRequest};
use iam_state::{Command, Outcome, Query};
use tonic::{Request, Response, Status};

/// A decoded record of the kind a query returns.
fn record<T: serde::de::DeserializeOwned>(v: serde_json::Value, what: &str) -> Result<T, Status> {
    serde_json::from_value(v).map_err(|e| status(crate::errors::internal(format!("{what}: {e}"))))
}

#[tonic::async_trait]
impl Iam for ApiState {
    async fn authorize(
        &self,
        req: Request<AuthorizeRequest>,
    ) -> Result<Response<AuthorizeReply>, Status> {
        self.authorize_rpc(req).await
    }

    async fn authorize_batch(
        &self,
        req: Request<AuthorizeBatchRequest>,
    ) -> Result<Response<AuthorizeBatchReply>, Status> {
        self.authorize_batch_rpc(req).await
    }

    async fn get_caller_identity(
        &self,
        req: Request<GetCallerIdentityRequest>,
    ) -> Result<Response<CallerIdentity>, Status> {
        self.get_caller_identity_rpc(req).await
    }

    async fn get_session_token(
        &self,
        req: Request<GetSessionTokenRequest>,
    ) -> Result<Response<TemporaryCredentials>, Status> {
        self.get_session_token_rpc(req).await
    }

    async fn assume_role(
        &self,
        req: Request<AssumeRoleRequest>,
    ) -> Result<Response<TemporaryCredentials>, Status> {
        self.assume_role_rpc(req).await
    }

    async fn get_access_key_info(
        &self,
        req: Request<GetAccessKeyInfoRequest>,
    ) -> Result<Response<AccessKeyInfo>, Status> {
        self.get_access_key_info_rpc(req).await
    }

    async fn login(&self, req: Request<LoginRequest>) -> Result<Response<LoginReply>, Status> {
        let ip = req.remote_addr().map(|a| a.ip());
        let r = req.into_inner();
        let asked = SignInRequest {
            account: r.account,
            user_name: r.user_name,
            password: r.password,
            new_password: r.new_password,
            mfa_code: r.mfa_code,
            duration_seconds: r.duration_seconds,
        };
        let s: SignedIn = self.sign_in(asked, ip).await.map_err(status)?;
        Ok(Response::new(LoginReply {
            credentials: Some(super::sts::credentials(&s.credentials)),
            arn: s.arn,
            account: s.account,
            mfa_authenticated: s.mfa_authenticated,
            password_changed: s.password_changed,
            password_expires_ms: s.password_expires_ms.unwrap_or(0),
        }))
    }

    async fn simulate(
        &self,
        req: Request<SimulateRequest>,
    ) -> Result<Response<SimulateReply>, Status> {
        self.simulate_rpc(req).await
    }

    async fn write(&self, req: Request<WriteCall>) -> Result<Response<WriteResult>, Status> {
        let caller = caller_of(&req)?;
        let r = req.into_inner();
        let command: Command = serde_json::from_str(&r.command_json)
            .map_err(|e| invalid(format!("command_json is not a valid iamd command: {e}")))?;
        let (outcome, index) = self
            .execute_as(&caller, request_token(r.write), command)
            .await
            .map_err(status)?;
        Ok(Response::new(WriteResult {
            outcome_json: with_qr_code(reveal(self.auth.secrets(), &outcome)).to_string(),
            log_index: index,
        }))
    }

    async fn read(&self, req: Request<ReadCall>) -> Result<Response<ReadResult>, Status> {
        let caller = caller_of(&req)?;
        let r = req.into_inner();
        let query: Query = serde_json::from_str(&r.query_json)
            .map_err(|e| invalid(format!("query_json is not a valid iamd query: {e}")))?;
        let (result, applied) = self
            .query_as(&caller, consistency(r.read).map_err(status)?, query)
            .await
            .map_err(status)?;
        Ok(Response::new(ReadResult {
            result_json: result.to_string(),
            applied_index: applied,
        }))
    }

    async fn create_account(
        &self,
        req: Request<CreateAccountRequest>,
    ) -> Result<Response<AccountReply>, Status> {
        let caller = caller_of(&req)?;
        let r = req.into_inner();
        let cmd = Command::CreateAccount {
            account_id: r.account_id,
            name: r.name,
            email: r.email,
        };
        match self
            .execute_as(&caller, request_token(r.write), cmd)
            .await
            .map_err(status)?
        {
            (Outcome::Account(a), index) => Ok(Response::new(AccountReply {
                account: Some(account_to_proto(&a)),
                log_index: index,
                applied_index: 0,
            })),
            (o, _) => Err(status(unexpected(&o))),
        }
    }

    async fn get_account(
        &self,
        req: Request<GetAccountRequest>,
    ) -> Result<Response<AccountReply>, Status> {
        let caller = caller_of(&req)?;
        let r = req.into_inner();
        let (v, applied) = self
            .query_as(
                &caller,
                consistency(r.read).map_err(status)?,
                Query::GetAccount {
                    account_id: r.account_id,
                },
            )
            .await
            .map_err(status)?;
        let a: iam_model::Account = record(v, "account record")?;
        Ok(Response::new(AccountReply {
            account: Some(account_to_proto(&a)),
            log_index: 0,
            applied_index: applied,
        }))
    }

    async fn list_accounts(
        &self,
        req: Request<ListAccountsRequest>,
    ) -> Result<Response<ListAccountsReply>, Status> {
        let caller = caller_of(&req)?;
        let (v, applied) = self
            .query_as(
                &caller,
                consistency(req.into_inner().read).map_err(status)?,
                Query::ListAccounts,
            )
            .await
            .map_err(status)?;
        let accounts: Vec<iam_model::Account> = record(v, "account list")?;
        let accounts = accounts.iter().map(account_to_proto).collect();
        Ok(Response::new(ListAccountsReply {
            accounts,
            applied_index: applied,
        }))
    }

    async fn create_user(
        &self,
        req: Request<CreateUserRequest>,
    ) -> Result<Response<UserReply>, Status> {
        let caller = caller_of(&req)?;
        let r = req.into_inner();
        let op = UserOp::Create {
            name: r.name,
            path: Some(r.path)
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "/".into()),
            tags: r.tags.into_iter().map(tag_from_proto).collect(),
            permissions_boundary: Some(r.permissions_boundary).filter(|b| !b.is_empty()),
            user_id: String::new(),
        };
        match self
            .execute_as(
                &caller,
                request_token(r.write),
                Command::in_account(&r.account, op),
            )
            .await
            .map_err(status)?
        {
            (Outcome::User(u), index) => Ok(Response::new(UserReply {
                user: Some(user_to_proto(&u)),
                log_index: index,
                applied_index: 0,
            })),
            (o, _) => Err(status(unexpected(&o))),
        }
    }

    async fn get_user(&self, req: Request<GetUserRequest>) -> Result<Response<UserReply>, Status> {
        let caller = caller_of(&req)?;
        let r = req.into_inner();
        let q = Query::in_account(&r.account, UserQuery::Get { name: r.name });
        let (v, applied) = self
            .query_as(&caller, consistency(r.read).map_err(status)?, q)
            .await
            .map_err(status)?;
        let u: iam_model::User = record(v, "user record")?;
        Ok(Response::new(UserReply {
            user: Some(user_to_proto(&u)),
            log_index: 0,
            applied_index: applied,
        }))
    }

    async fn list_users(
        &self,
        req: Request<ListUsersRequest>,
    ) -> Result<Response<ListUsersReply>, Status> {
        let caller = caller_of(&req)?;
        let r = req.into_inner();
        let q = UserQuery::List {
            path_prefix: Some(r.path_prefix)
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "/".into()),
            page: PageRequest {
                marker: Some(r.marker).filter(|m| !m.is_empty()),
                max_items: Some(r.max_items).filter(|&m| m != 0),
            },
        };
        let (v, applied) = self
            .query_as(
                &caller,
                consistency(r.read).map_err(status)?,
                Query::in_account(&r.account, q),
            )
            .await
            .map_err(status)?;
        let page: Page<iam_model::User> = record(v, "user page")?;
        Ok(Response::new(ListUsersReply {
            users: page.items.iter().map(user_to_proto).collect(),
            is_truncated: page.is_truncated,
            marker: page.marker.unwrap_or_default(),
            applied_index: applied,
        }))
    }

    async fn delete_user(
        &self,
        req: Request<DeleteUserRequest>,
    ) -> Result<Response<WriteReply>, Status> {
        let caller = caller_of(&req)?;
        let r = req.into_inner();
        let cmd = Command::in_account(&r.account, UserOp::Delete { name: r.name });
        let (_, index) = self
            .execute_as(&caller, request_token(r.write), cmd)
            .await
            .map_err(status)?;
        Ok(Response::new(WriteReply { log_index: index }))
    }
}

/// A new virtual MFA device's outcome gains its QR code for the native API (`qr_code_png`:
/// base64 of the PNG of the otpauth URI, what `iamctl mfa create-virtual --outfile` writes
/// out); the Query API's renderer draws its own `QRCodePNG` from the typed record.
fn with_qr_code(mut v: serde_json::Value) -> serde_json::Value {
    let qr = v
        .get("qr_code_uri")
        .and_then(serde_json::Value::as_str)
        .and_then(iam_aws::qr::png);
    if let Some(png) = qr {
        use base64::Engine;
        v["qr_code_png"] = base64::engine::general_purpose::STANDARD.encode(png).into();
    }
    v
}
