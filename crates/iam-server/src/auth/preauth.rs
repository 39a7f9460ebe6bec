//! What a request may hold before its signature is verified, on both API transports (gRPC
//! and the AWS Query API): its body is read within [`BODY_READ_TIMEOUT`], and the bodies of
//! all requests not yet verified share one budget of [`PRE_AUTH_BYTES`]; a request that would
//! go over it is refused (`Throttling`) rather than waited for. With the per-source
//! [`Throttle`](super::throttle::Throttle) and the connection caps of `crate::listen`, this
//! bounds the memory a client without credentials can make a node hold.

use super::throttle::Throttle;
use bytes::Bytes;
use http_body_util::BodyExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Bytes of request bodies held, all requests together, before their signature is verified.
pub const PRE_AUTH_BYTES: usize = 64 * 1024 * 1024;
/// How long a request body may take to arrive.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The node's pre-authentication limits (shared by every request of every transport).
pub struct Limits {
    /// Pre-verification body bytes, in KiB permits.
    budget: Arc<Semaphore>,
    pub throttle: Arc<Throttle>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            budget: Arc::new(Semaphore::new(PRE_AUTH_BYTES / 1024)),
            throttle: Arc::default(),
        }
    }
}

/// Why a body was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Larger than the transport allows.
    TooLarge(usize),
    /// The pre-authentication budget is spent.
    Busy,
    /// It did not arrive within [`BODY_READ_TIMEOUT`].
    Slow,
    /// The connection failed while it was read.
    Broken(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge(max) => write!(f, "the request body is larger than {max} bytes"),
            Self::Busy => f.write_str(
                "Rate exceeded: the node holds too many request bodies not yet authenticated; retry later",
            ),
            Self::Slow => write!(
                f,
                "the request body did not arrive within {BODY_READ_TIMEOUT:?}"
            ),
            Self::Broken(e) => write!(f, "the request body could not be read: {e}"),
        }
    }
}

/// Reads a request body of at most `max` bytes, holding budget for what it has read; the
/// permit comes back with the bytes (drop it once the request is verified).
pub async fn read_body<B>(
    body: B,
    max: usize,
    limits: &Limits,
) -> Result<(Bytes, Option<OwnedSemaphorePermit>), ReadError>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Display,
{
    let read = async {
        let mut body = body;
        let mut buf = bytes::BytesMut::new();
        let mut held: Option<OwnedSemaphorePermit> = None;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| ReadError::Broken(e.to_string()))?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            if buf.len() + data.len() > max {
                return Err(ReadError::TooLarge(max));
            }
            let kib = u32::try_from(data.len().div_ceil(1024)).unwrap_or(u32::MAX);
            if kib > 0 {
                let permit = limits
                    .budget
                    .clone()
                    .try_acquire_many_owned(kib)
                    .map_err(|_| ReadError::Busy)?;
                match &mut held {
                    Some(h) => h.merge(permit),
                    None => held = Some(permit),
                }
            }
            buf.extend_from_slice(&data);
        }
        Ok((buf.freeze(), held))
    };
    match tokio::time::timeout(BODY_READ_TIMEOUT, read).await {
        Ok(r) => r,
        Err(_) => Err(ReadError::Slow),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bodies_share_one_budget_and_give_it_back() {
        let limits = Limits {
            budget: Arc::new(Semaphore::new(4)),
            throttle: Arc::default(),
        };
        let body = || http_body_util::Full::new(Bytes::from(vec![1u8; 3 * 1024]));
        let (bytes, held) = read_body(body(), 1 << 20, &limits).await.unwrap();
        assert_eq!(bytes.len(), 3 * 1024);
        // 3 of 4 KiB held: another 3 KiB body does not fit.
        assert_eq!(
            read_body(body(), 1 << 20, &limits).await.unwrap_err(),
            ReadError::Busy
        );
        drop(held);
        assert!(read_body(body(), 1 << 20, &limits).await.is_ok());
        assert_eq!(
            read_body(body(), 1024, &limits).await.unwrap_err(),
            ReadError::TooLarge(1024)
        );
    }
}
