//! The gRPC adapter: the only part of the server that knows tonic and the proto types
//! (a tidy test holds it to that). Its services (`Iam`, `Cluster`) convert each proto
//! request into the core's typed call on [`ApiState`] and the typed answer, or the
//! [`IamError`](iam_model::IamError), back into proto ([`status`]). The tower layers in front
//! of them are the port's audit edge ([`audit`]) and request authentication ([`auth`]).
//!
//! The peer port's service is iam-raft's; this module only serves it.

pub mod audit;
pub mod auth;
mod authz;
mod cluster;
mod iam;
pub mod status;
mod sts;

use crate::api::{ApiState, Consistency};
use crate::listen::Conn;
use iam_model::IamError;
use iam_proto::v1::cluster_server::ClusterServer;
use iam_proto::v1::iam_server::IamServer;
use iam_proto::v1::{ReadOptions, WriteOptions};
use std::future::Future;

/// HTTP/2 streams one API connection may have open at once.
pub const API_STREAMS_PER_CONNECTION: u32 = 256;

/// The API router with both services, behind the audit edge and request authentication.
fn router(
    state: ApiState,
) -> tonic::transport::server::Router<
    tower_layer::Stack<
        auth::AuthLayer,
        tower_layer::Stack<audit::AuditLayer, tower_layer::Identity>,
    >,
> {
    tonic::transport::Server::builder()
        .tcp_nodelay(true)
        // Streams one connection may have open at once (each holds at most a bounded
        // body, see `auth`).
        .max_concurrent_streams(Some(API_STREAMS_PER_CONNECTION))
        // The audit edge is outermost: a request refused by authentication is recorded too.
        .layer(audit::AuditLayer::new(state.audit.clone()))
        .layer(auth::AuthLayer::new(
            state.auth.clone(),
            state.secure_transport,
            state.preauth.clone(),
        ))
        .add_service(IamServer::new(state.clone()))
        .add_service(ClusterServer::new(state))
}

/// Serves the API port's connections until `shutdown` completes.
pub async fn serve_api(
    state: ApiState,
    conns: tokio::sync::mpsc::Receiver<Conn>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), tonic::transport::Error> {
    router(state)
        .serve_with_incoming_shutdown(crate::listen::incoming(conns), shutdown)
        .await
}

/// Serves the peer port's connections (iam-raft's service) until `shutdown` completes.
pub async fn serve_peer(
    node: std::sync::Arc<crate::RaftNode>,
    counters: std::sync::Arc<iam_raft::peer::PeerCounters>,
    conns: tokio::sync::mpsc::Receiver<Conn>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), tonic::transport::Error> {
    tonic::transport::Server::builder()
        .tcp_nodelay(true)
        .add_service(iam_raft::peer::PeerService::new(node, counters))
        .serve_with_incoming_shutdown(crate::listen::incoming(conns), shutdown)
        .await
}

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = tonic::transport::server::TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        tonic::transport::server::TcpConnectInfo {
            local_addr: self.local(),
            remote_addr: Some(self.remote()),
        }
    }
}

/// The consistency a request's read options ask for (none: this node's state).
pub(crate) fn consistency(opts: Option<ReadOptions>) -> Result<Consistency, IamError> {
    use iam_proto::v1::Consistency as Proto;
    let opts = opts.unwrap_or_default();
    match Proto::try_from(opts.consistency) {
        Ok(Proto::Local) => Ok(Consistency::Local),
        Ok(Proto::AtLeast) => Ok(Consistency::AtLeast(opts.at_least_index)),
        Ok(Proto::Linearizable) => Ok(Consistency::Linearizable),
        Err(_) => Err(crate::errors::invalid(format!(
            "unknown consistency level {}",
            opts.consistency
        ))),
    }
}

/// The request token a write's options carry, if any.
pub(crate) fn request_token(opts: Option<WriteOptions>) -> Option<String> {
    opts.map(|o| o.request_token).filter(|t| !t.is_empty())
}
