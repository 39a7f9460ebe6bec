//! The chaos suite: real `iamd` clusters under seeded faults, IAM workloads over the real
//! APIs, a history of every operation and the checkers that judge it. See README.md.

pub mod check;
pub mod history;
pub mod proxy;
