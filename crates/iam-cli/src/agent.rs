//! `iamctl agent`: holds the credentials iamctl found, assumes a role, and serves the role
//! session's credentials on a loopback HTTP endpoint in the AWS container-credentials format
//! (`AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN`), so an
//! unmodified SDK gets rotated role credentials. A new session is assumed well before the
//! current one expires (at two thirds of its life, and at least five minutes before).

use crate::nouns::sts::{assume_with, iso8601, RoleArgs};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use iam_client::Client;
use iam_proto::v1::TemporaryCredentials;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

#[derive(Clone)]
struct Served {
    token: Arc<str>,
    current: Arc<RwLock<TemporaryCredentials>>,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// When to replace credentials issued at `issued` that expire at `expires`.
fn refresh_at(issued: u64, expires: u64) -> u64 {
    let life = expires.saturating_sub(issued);
    let by_fraction = issued + life * 2 / 3;
    by_fraction
        .min(expires.saturating_sub(5 * 60_000))
        .max(issued)
}

async fn credentials(State(s): State<Served>, headers: HeaderMap) -> Response {
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !iam_auth::ct_eq(given.as_bytes(), s.token.as_bytes()) {
        return (
            StatusCode::FORBIDDEN,
            "missing or wrong authorization token\n",
        )
            .into_response();
    }
    let c = match s.current.read() {
        Ok(c) => c.clone(),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let body = serde_json::json!({
        "AccessKeyId": c.access_key_id,
        "SecretAccessKey": c.secret_access_key,
        "Token": c.session_token,
        "Expiration": iso8601(c.expiration_ms),
        "RoleArn": c.assumed_role_arn,
    });
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

pub(crate) async fn serve(
    mut client: Client,
    role: RoleArgs,
    addr: SocketAddr,
    token: String,
) -> anyhow::Result<u8> {
    let first = assume_with(&mut client, &role).await?;
    let mut issued = now_ms();
    let served = Served {
        token: token.clone().into(),
        current: Arc::new(RwLock::new(first)),
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    println!("export AWS_CONTAINER_CREDENTIALS_FULL_URI=http://{addr}/credentials");
    println!("export AWS_CONTAINER_AUTHORIZATION_TOKEN={token}");
    let current = served.current.clone();
    tokio::spawn(async move {
        loop {
            let expires = current.read().map(|c| c.expiration_ms).unwrap_or(0);
            let at = refresh_at(issued, expires);
            tokio::time::sleep(Duration::from_millis(at.saturating_sub(now_ms()))).await;
            match assume_with(&mut client, &role).await {
                Ok(next) => {
                    issued = now_ms();
                    if let Ok(mut c) = current.write() {
                        *c = next;
                    }
                }
                Err(e) => {
                    eprintln!("iamctl agent: cannot refresh the role session (retrying): {e:#}");
                    tokio::time::sleep(Duration::from_secs(10)).await;
                }
            }
        }
    });
    let app = axum::Router::new()
        .fallback(axum::routing::get(credentials))
        .with_state(served);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::refresh_at;

    #[test]
    fn refreshes_well_before_expiry() {
        // One hour: at 40 minutes.
        assert_eq!(refresh_at(0, 3_600_000), 2_400_000);
        // Fifteen minutes: five minutes before the end, not at two thirds.
        assert_eq!(refresh_at(0, 900_000), 600_000);
        // Already past: now.
        assert_eq!(refresh_at(1_000, 500), 1_000);
    }
}
