//! An async client for the iamd gRPC API with endpoint failover.
//!
//! Calls go to the first endpoint that answers; when an endpoint cannot be reached or says
//! it is unavailable (no leader, behind, draining), the client moves to the next one until
//! the deadline. Writes carry a request token chosen once per logical call, so retrying a
//! write on another node never applies it twice. Every call is signed with SigV4
//! ([`signing`]) when the client has credentials.

pub mod signing;

pub use signing::{profile_values, with_profile, Credentials, Signed};
use std::sync::Arc;

use iam_proto::v1::cluster_client::ClusterClient;
use iam_proto::v1::iam_client::IamClient;
use iam_proto::v1::{ReadCall, ReadOptions, WriteCall, WriteOptions};
use std::future::Future;
use std::time::{Duration, Instant};
use tonic::transport::{Channel, Endpoint};
use tonic::Code;

use iam_model::ErrorCode;
pub use iam_proto::ERROR_CODE_HEADER;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The service answered and refused the call (not found, exists, denied, invalid...).
    #[error("{code}: {message}")]
    Refused { code: String, message: String },
    /// The service failed internally.
    #[error("internal error: {0}")]
    Internal(String),
    /// No endpoint could serve the call in time.
    #[error("no endpoint could serve the request: {0}")]
    Unavailable(String),
    /// The client was used wrongly (bad endpoint URL...).
    #[error("{0}")]
    Usage(String),
}

impl ClientError {
    /// iamctl's exit code: 1 for refusals by the service, 2 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Refused { .. } => 1,
            _ => 2,
        }
    }

    /// The error a status from an iamd node means: its AWS code (every refusal carries one
    /// in [`ERROR_CODE_HEADER`]); a status without one (the transport's own: a connection
    /// refused, a deadline) is unavailable, or an internal failure.
    pub fn from_status(s: &tonic::Status) -> Self {
        match aws_code(s) {
            Some(c) if c.retryable() => Self::Unavailable(describe(s)),
            Some(c) if c.rpc() == iam_model::RpcCode::Internal => {
                Self::Internal(s.message().to_owned())
            }
            Some(c) => Self::Refused {
                code: c.as_str().to_owned(),
                message: s.message().to_owned(),
            },
            None if retryable(s) => Self::Unavailable(describe(s)),
            None => Self::Internal(s.message().to_owned()),
        }
    }
}

/// A status's message with the causes tonic keeps behind it.
fn describe(s: &tonic::Status) -> String {
    signing::with_causes(s)
}

/// The AWS error code a status carries in [`ERROR_CODE_HEADER`].
fn aws_code(s: &tonic::Status) -> Option<ErrorCode> {
    s.metadata()
        .get(ERROR_CODE_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(ErrorCode::parse)
}

/// Whether another attempt (on this endpoint or the next) may succeed: the AWS code says so
/// ([`ErrorCode::retryable`]); a status without one is the transport's, retried when it
/// is about reaching the node.
fn retryable(s: &tonic::Status) -> bool {
    match aws_code(s) {
        Some(c) => c.retryable(),
        None => matches!(
            s.code(),
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::Aborted
        ),
    }
}

/// A client over a list of endpoints (`http://host:port`).
#[derive(Clone)]
pub struct Client {
    /// (URL, authority, channel) per endpoint.
    channels: Vec<(String, String, Channel)>,
    preferred: usize,
    deadline: Duration,
    creds: Option<Arc<Credentials>>,
}

/// Normalizes `host:port` to `http://host:port`.
pub fn endpoint_url(s: &str) -> String {
    if s.starts_with("http://") || s.starts_with("https://") {
        s.trim_end_matches('/').to_owned()
    } else {
        format!("http://{}", s.trim_end_matches('/'))
    }
}

impl Client {
    /// Builds a client; connections are made lazily. `https://` endpoints are verified
    /// against the system's CA bundle (see [`Client::with_ca_bundle`]).
    pub fn new(endpoints: &[String], deadline: Duration) -> Result<Self, ClientError> {
        Self::with_ca_bundle(endpoints, deadline, None)
    }

    /// Builds a client whose `https://` endpoints are verified against the CA certificates
    /// of `ca_bundle` (PEM; `None`: the system's bundle). `http://` endpoints (and bare
    /// `host:port`) are plain TCP.
    pub fn with_ca_bundle(
        endpoints: &[String],
        deadline: Duration,
        ca_bundle: Option<&std::path::Path>,
    ) -> Result<Self, ClientError> {
        if endpoints.is_empty() {
            return Err(ClientError::Usage(
                "no endpoints given (use --endpoints or a profile)".into(),
            ));
        }
        let mut channels = Vec::new();
        let mut tls = None;
        for e in endpoints {
            let url = endpoint_url(e);
            let connector = if url.starts_with("https://") {
                if tls.is_none() {
                    tls = Some(
                        iam_tls::ClientTls::trusting(ca_bundle)
                            .map_err(|err| ClientError::Usage(err.to_string()))?,
                    );
                }
                iam_tls::Connector::new(tls.clone())
            } else {
                iam_tls::Connector::new(None)
            };
            let ep = Endpoint::from_shared(url.clone())
                .map_err(|err| {
                    ClientError::Usage(format!("endpoint {e:?} is not a valid URL: {err}"))
                })?
                .connect_timeout(Duration::from_millis(1000))
                .tcp_nodelay(true);
            let authority = ep
                .uri()
                .authority()
                .map(|a| a.to_string())
                .unwrap_or_default();
            channels.push((url, authority, ep.connect_with_connector_lazy(connector)));
        }
        Ok(Self {
            channels,
            preferred: 0,
            deadline,
            creds: None,
        })
    }

    /// Signs every call with these credentials from now on.
    pub fn with_credentials(mut self, creds: Credentials) -> Self {
        self.creds = Some(Arc::new(creds));
        self
    }

    /// The credentials calls are signed with, if any.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.creds.as_deref()
    }

    pub fn endpoints(&self) -> Vec<String> {
        self.channels.iter().map(|(u, _, _)| u.clone()).collect()
    }

    fn signed(&self, idx: usize) -> Option<(String, Signed)> {
        let (url, authority, ch) = self.channels.get(idx)?;
        Some((
            url.clone(),
            Signed::new(ch.clone(), authority.clone(), self.creds.clone()),
        ))
    }

    /// A new request token for one logical write.
    pub fn new_token() -> String {
        format!("cli-{:032x}", rand::random::<u128>())
    }

    /// Runs `f` against endpoints in turn until one serves it or the deadline passes.
    pub async fn call<T, F, Fut>(&mut self, f: F) -> Result<T, ClientError>
    where
        F: Fn(IamClient<Signed>, ClusterClient<Signed>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        let start = Instant::now();
        let n = self.channels.len();
        let mut errors: Vec<String> = Vec::new();
        let mut attempt = 0usize;
        loop {
            let idx = (self.preferred + attempt) % n;
            let Some((url, ch)) = self.signed(idx) else {
                return Err(ClientError::Usage("no endpoints".into()));
            };
            match f(IamClient::new(ch.clone()), ClusterClient::new(ch)).await {
                Ok(r) => {
                    self.preferred = idx;
                    return Ok(r.into_inner());
                }
                Err(s) if retryable(&s) => errors.push(format!("{url}: {}", describe(&s))),
                Err(s) => return Err(ClientError::from_status(&s)),
            }
            attempt += 1;
            if start.elapsed() >= self.deadline {
                errors.dedup();
                let tail: Vec<String> = errors.iter().rev().take(n).cloned().collect();
                return Err(ClientError::Unavailable(tail.join("; ")));
            }
            if attempt.is_multiple_of(n) {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    /// Runs `f` against one specific endpoint (no failover).
    pub async fn call_one<T, F, Fut>(&self, index: usize, f: F) -> Result<T, ClientError>
    where
        F: Fn(IamClient<Signed>, ClusterClient<Signed>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        let (_, ch) = self
            .signed(index)
            .ok_or_else(|| ClientError::Usage(format!("no endpoint #{index}")))?;
        match tokio::time::timeout(
            self.deadline,
            f(IamClient::new(ch.clone()), ClusterClient::new(ch)),
        )
        .await
        {
            Ok(Ok(r)) => Ok(r.into_inner()),
            Ok(Err(s)) if retryable(&s) => Err(ClientError::Unavailable(describe(&s))),
            Ok(Err(s)) => Err(ClientError::from_status(&s)),
            Err(_) => Err(ClientError::Unavailable(format!(
                "timed out after {:?}",
                self.deadline
            ))),
        }
    }

    /// Proposes an iamd command through the generic `Write` call (with failover); returns
    /// the outcome JSON and the log index it committed at. `token` makes retries safe.
    pub async fn write(
        &mut self,
        command: &iam_state::Command,
        token: &str,
    ) -> Result<(serde_json::Value, u64), ClientError> {
        let call = WriteCall {
            write: Some(WriteOptions {
                request_token: token.to_owned(),
            }),
            command_json: serde_json::to_string(command)
                .map_err(|e| ClientError::Usage(format!("command does not serialize: {e}")))?,
        };
        let r = self
            .call(|mut c, _| {
                let call = call.clone();
                async move { c.write(call).await }
            })
            .await?;
        let v = serde_json::from_str(&r.outcome_json)
            .map_err(|e| ClientError::Internal(format!("outcome is not JSON: {e}")))?;
        Ok((v, r.log_index))
    }

    /// Runs an iamd query through the generic `Read` call (with failover); returns the
    /// result JSON and the index the answering node had applied.
    pub async fn read(
        &mut self,
        query: &iam_state::Query,
        read: ReadOptions,
    ) -> Result<(serde_json::Value, u64), ClientError> {
        let call = ReadCall {
            read: Some(read),
            query_json: serde_json::to_string(query)
                .map_err(|e| ClientError::Usage(format!("query does not serialize: {e}")))?,
        };
        let r = self
            .call(|mut c, _| {
                let call = call.clone();
                async move { c.read(call).await }
            })
            .await?;
        let v = serde_json::from_str(&r.result_json)
            .map_err(|e| ClientError::Internal(format!("result is not JSON: {e}")))?;
        Ok((v, r.applied_index))
    }
}
