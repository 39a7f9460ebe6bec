//! Shared pieces of the benchmarks: process clusters of iamd and etcd on loopback, and a
//! closed-loop load runner that reports throughput and latency percentiles.

#![allow(unreachable_pub)]

pub mod etcd {
    tonic::include_proto!("etcdserverpb");
}

pub mod clusters;
pub mod load;
pub mod model;
