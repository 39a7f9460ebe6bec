//! The floor under any single-call gRPC figure on this machine: unary calls to a server
//! process that does nothing (no signature, no authorization, no state), from the same load
//! generator and the same tonic/HTTP/2 stack iamd uses. Whatever a single `Authorize` call
//! reaches, it cannot beat this; the gap between the two is iamd's own per-call work.
//!
//! The server is this binary re-run as a child process (`grpc_floor serve`), so, as with a
//! real follower, client and server are separate processes sharing the machine's cores.
//!
//! Usage: grpc_floor [--clients 1,8,32] [--seconds 5] [--connections 1,4]
//!                   [--request-bytes 200] [--reply-bytes 120]

use clap::{Parser, Subcommand};
use iam_proto::raft::raft_peer_client::RaftPeerClient;
use iam_proto::raft::raft_peer_server::{RaftPeer, RaftPeerServer};
use iam_proto::raft::{
    ClusterIdReply, ClusterIdRequest, Payload, ReadIndexReply, ReadIndexRequest,
};
use iamd_bench::load::{outcome, run};
use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Duration;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    mode: Option<Mode>,
    #[arg(long, value_delimiter = ',', default_value = "1,8,32")]
    clients: Vec<usize>,
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// HTTP/2 connections the clients share (each count is one run).
    #[arg(long, value_delimiter = ',', default_value = "1,4")]
    connections: Vec<usize>,
    /// Size of each request's payload (a single `Authorize` request is ~100–200 bytes).
    #[arg(long, default_value_t = 200)]
    request_bytes: usize,
    /// Size of each reply's payload.
    #[arg(long, default_value_t = 120)]
    reply_bytes: usize,
}

#[derive(Subcommand)]
enum Mode {
    /// Serve the do-nothing service on a loopback port (printed on stdout).
    Serve {
        #[arg(long, default_value_t = 120)]
        reply_bytes: usize,
    },
}

/// Answers every call at once with a fixed payload.
struct Nothing {
    reply: Vec<u8>,
}

#[tonic::async_trait]
impl RaftPeer for Nothing {
    async fn append_entries(&self, _: Request<Payload>) -> Result<Response<Payload>, Status> {
        Ok(Response::new(Payload {
            data: self.reply.clone(),
        }))
    }
    type AppendStreamStream = tokio_stream::Empty<Result<Payload, Status>>;
    async fn append_stream(
        &self,
        _: Request<tonic::Streaming<Payload>>,
    ) -> Result<Response<Self::AppendStreamStream>, Status> {
        Err(Status::unimplemented("floor"))
    }
    async fn vote(&self, _: Request<Payload>) -> Result<Response<Payload>, Status> {
        Err(Status::unimplemented("floor"))
    }
    async fn pre_vote(&self, _: Request<Payload>) -> Result<Response<Payload>, Status> {
        Err(Status::unimplemented("floor"))
    }
    async fn install_snapshot(
        &self,
        _: Request<tonic::Streaming<Payload>>,
    ) -> Result<Response<Payload>, Status> {
        Err(Status::unimplemented("floor"))
    }
    async fn forward(&self, _: Request<Payload>) -> Result<Response<Payload>, Status> {
        Err(Status::unimplemented("floor"))
    }
    async fn forward_writes(&self, _: Request<Payload>) -> Result<Response<Payload>, Status> {
        Err(Status::unimplemented("floor"))
    }
    async fn read_index(
        &self,
        _: Request<ReadIndexRequest>,
    ) -> Result<Response<ReadIndexReply>, Status> {
        Err(Status::unimplemented("floor"))
    }
    async fn cluster_id(
        &self,
        _: Request<ClusterIdRequest>,
    ) -> Result<Response<ClusterIdReply>, Status> {
        Err(Status::unimplemented("floor"))
    }
    async fn clock(
        &self,
        _: Request<iam_proto::raft::ClockRequest>,
    ) -> Result<Response<iam_proto::raft::ClockReply>, Status> {
        Err(Status::unimplemented("floor"))
    }
    async fn release(
        &self,
        _: Request<iam_proto::raft::ReleaseRequest>,
    ) -> Result<Response<iam_proto::raft::ReleaseReply>, Status> {
        Err(Status::unimplemented("floor"))
    }
}

async fn serve(reply_bytes: usize) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?.port());
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    tonic::transport::Server::builder()
        .tcp_nodelay(true)
        .add_service(RaftPeerServer::new(Nothing {
            reply: vec![7; reply_bytes],
        }))
        .serve_with_incoming(incoming)
        .await?;
    Ok(())
}

/// The server child; killed when dropped.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(reply_bytes: usize) -> anyhow::Result<(Server, u16)> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(["serve", "--reply-bytes", &reply_bytes.to_string()])
        .stdout(Stdio::piped())
        .spawn()?;
    let out = child.stdout.take().expect("piped stdout");
    let server = Server(child);
    let mut line = String::new();
    std::io::BufReader::new(out).read_line(&mut line)?;
    let port = line
        .trim()
        .parse()
        .map_err(|e| anyhow::anyhow!("the floor server printed {line:?} for its port: {e}"))?;
    Ok((server, port))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(Mode::Serve { reply_bytes }) = args.mode {
        return serve(reply_bytes).await;
    }
    let (_server, port) = start_server(args.reply_bytes)?;
    let ep = format!("http://127.0.0.1:{port}");
    println!(
        "Empty unary gRPC calls to a separate server process ({} B requests, {} B replies).\n",
        args.request_bytes, args.reply_bytes
    );
    println!("| connections | clients | calls/s | p50 | p99 | errors |");
    println!("|---|---|---|---|---|---|");
    for &connections in &args.connections {
        let mut chans: Vec<Channel> = Vec::new();
        for _ in 0..connections.max(1) {
            chans.push(
                Channel::from_shared(ep.clone())?
                    .tcp_nodelay(true)
                    .connect()
                    .await?,
            );
        }
        for &clients in &args.clients {
            let (chans, bytes) = (chans.clone(), args.request_bytes);
            let r = run(clients, Duration::from_secs(args.seconds), move |ci, _| {
                let mut c = RaftPeerClient::new(chans[ci % chans.len()].clone());
                let req = Payload {
                    data: vec![1; bytes],
                };
                async move { outcome(c.append_entries(req).await) }
            })
            .await;
            println!(
                "| {connections} | {clients} | {:.0} | {:.2?} | {:.2?} | {} |",
                r.throughput(),
                r.p50,
                r.p99,
                r.errors
            );
        }
    }
    Ok(())
}
