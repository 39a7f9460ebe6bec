//! The signing keys of OpenID Connect identity providers, fetched as AWS fetches them: the
//! issuer's discovery document (`<issuer>/.well-known/openid-configuration`), whose `issuer`
//! must be the provider's URL, then its `jwks_uri`, both over HTTPS trusted only by the
//! provider entity's thumbprints (`iam_tls::pinned`).
//!
//! An attacker's view: `AssumeRoleWithWebIdentity` is unauthenticated, so anyone can make a
//! node fetch — but only from the URL of a provider some account created (the token's issuer
//! must name one), at most once per [`REFRESH_MIN`] per issuer beyond the cache's lifetime
//! (a token naming an unknown key id cannot make a node fetch in a loop), one fetch per
//! issuer at a time (concurrent requests wait for it), each bounded in time ([`FETCH_TIMEOUT`])
//! and size ([`DOCUMENT_MAX`]), and never answered with what the server sent. Whoever may
//! create a provider chooses the URL, so a node refuses to connect to link-local addresses
//! (cloud metadata services) ever, and to loopback and private addresses unless the
//! operator allows them (`--oidc-allow-private-networks`), or names the address of an
//! issuer host itself (`--oidc-resolve HOST=IP:PORT`, as curl's `--resolve`).

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use iam_auth::jwt::KeySet;
use iam_model::{ErrorCode, IamError};
use iam_tls::pinned::{pinned_client, THUMBPRINT_MISMATCH};
use iam_tls::pki::ServerName;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long fetched keys are used before they are fetched again.
pub(crate) const KEYS_TTL: Duration = Duration::from_secs(3600);
/// The least time between two fetches for one issuer (when a token names a key the cached
/// set lacks).
pub(crate) const REFRESH_MIN: Duration = Duration::from_secs(60);
/// How long a stale set still serves while its issuer cannot be reached.
const STALE_MAX: Duration = Duration::from_secs(6 * 3600);
/// The whole of one fetch (discovery and keys).
pub(crate) const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest discovery document or key set read.
pub(crate) const DOCUMENT_MAX: usize = 256 * 1024;
/// Most issuers cached (each is a provider of some account).
const ISSUERS_MAX: usize = 4096;

/// Where the node may fetch from (`--oidc-resolve`, `--oidc-allow-private-networks`).
#[derive(Debug, Clone, Default)]
pub struct FetchPolicy {
    /// Host name → the address to connect to (the operator's choice: not checked).
    pub resolve: HashMap<String, SocketAddr>,
    /// Loopback and private addresses found by DNS may be used.
    pub allow_private: bool,
}

impl FetchPolicy {
    /// Parses `HOST=IP:PORT` entries.
    pub fn parse_resolve(entries: &[String]) -> Result<HashMap<String, SocketAddr>, String> {
        entries
            .iter()
            .map(|e| {
                let (host, addr) = e
                    .split_once('=')
                    .ok_or_else(|| format!("--oidc-resolve {e:?}: expected HOST=IP:PORT"))?;
                let addr: SocketAddr = addr.parse().map_err(|_| {
                    format!("--oidc-resolve {e:?}: {addr:?} is not an IP address and port")
                })?;
                if host.is_empty() {
                    return Err(format!("--oidc-resolve {e:?}: the host is empty"));
                }
                Ok((host.to_ascii_lowercase(), addr))
            })
            .collect()
    }
}

struct Cached {
    keys: Option<Arc<KeySet>>,
    /// Why the last fetch failed (answered again until the next may be tried).
    failure: Option<IamError>,
    fetched: Option<Instant>,
    attempted: Instant,
}

/// One issuer's keys; its lock is held while they are fetched.
#[derive(Default)]
struct Slot(tokio::sync::Mutex<Option<Cached>>);

/// Every issuer's keys this node fetched.
#[derive(Default)]
pub struct OidcKeys {
    policy: FetchPolicy,
    slots: Mutex<HashMap<String, Arc<Slot>>>,
}

/// AWS's words when the keys cannot be had.
fn no_keys() -> IamError {
    IamError::new(
        ErrorCode::InvalidIdentityToken,
        "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements",
    )
}

fn unreachable() -> IamError {
    IamError::new(
        ErrorCode::IDPCommunicationError,
        "The request could not be fulfilled because the identity provider (IDP) that was asked to verify the incoming identity token could not be reached. Couldn't connect to the IDP.",
    )
}

fn thumbprint_mismatch() -> IamError {
    IamError::new(
        ErrorCode::InvalidIdentityToken,
        "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
    )
}

/// Why a fetch failed: what the caller is told (details go to the node's log only).
#[derive(Debug)]
struct FetchError {
    answer: IamError,
    detail: String,
}

fn failed(answer: IamError, detail: impl Into<String>) -> FetchError {
    FetchError {
        answer,
        detail: detail.into(),
    }
}

impl OidcKeys {
    pub fn new(policy: FetchPolicy) -> Self {
        Self {
            policy,
            slots: Mutex::default(),
        }
    }

    /// The cache slot of an issuer trusted by these thumbprints: two providers of one URL in
    /// two accounts with different thumbprints keep a set each (one slot for both would
    /// make every request that alternates between them fetch again).
    fn slot(&self, issuer: &str, thumbprints: &[String]) -> Arc<Slot> {
        let key = format!("{issuer} {}", thumbprints.join(","));
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if slots.len() >= ISSUERS_MAX && !slots.contains_key(&key) {
            slots.clear();
        }
        slots.entry(key).or_default().clone()
    }

    /// The key set of `issuer` (`https://…`) fit to check a token signed with key `kid`:
    /// the cached set when it is fresh and has the key (or was fetched too recently to fetch
    /// again), else a new fetch; a stale set serves while the issuer cannot be reached.
    pub async fn keys(
        &self,
        issuer: &str,
        thumbprints: &[String],
        kid: Option<&str>,
    ) -> Result<Arc<KeySet>, IamError> {
        let slot = self.slot(issuer, thumbprints);
        let mut cached = slot.0.lock().await;
        if let Some(c) = cached.as_ref() {
            let fresh = c.fetched.is_some_and(|t| t.elapsed() < KEYS_TTL);
            let has_key = c.keys.as_ref().is_some_and(|k| k.has_key(kid));
            let may_fetch = c.attempted.elapsed() >= REFRESH_MIN;
            if (fresh && has_key) || !may_fetch {
                return match (&c.keys, &c.failure) {
                    (Some(keys), _) => Ok(keys.clone()),
                    (None, Some(failure)) => Err(failure.clone()),
                    (None, None) => Err(no_keys()),
                };
            }
        }
        let attempt = Instant::now();
        let fetched = tokio::time::timeout(FETCH_TIMEOUT, self.fetch(issuer, thumbprints))
            .await
            .unwrap_or_else(|_| Err(failed(unreachable(), "timed out")));
        let previous = cached.take().filter(|c| c.keys.is_some());
        match fetched {
            Ok(keys) => {
                let keys = Arc::new(keys);
                *cached = Some(Cached {
                    keys: Some(keys.clone()),
                    failure: None,
                    fetched: Some(attempt),
                    attempted: attempt,
                });
                Ok(keys)
            }
            Err(e) => {
                tracing::warn!(issuer, detail = %e.detail, "cannot fetch the OpenID Connect provider's keys");
                let stale_ok = previous
                    .as_ref()
                    .and_then(|p| p.fetched)
                    .is_some_and(|t| t.elapsed() < STALE_MAX);
                let keep = previous.filter(|_| stale_ok);
                let answer = keep.as_ref().and_then(|p| p.keys.clone());
                *cached = Some(Cached {
                    keys: answer.clone(),
                    failure: Some(e.answer.clone()),
                    fetched: keep.and_then(|p| p.fetched),
                    attempted: attempt,
                });
                answer.ok_or(e.answer)
            }
        }
    }

    async fn fetch(&self, issuer: &str, thumbprints: &[String]) -> Result<KeySet, FetchError> {
        if thumbprints.is_empty() {
            return Err(failed(
                thumbprint_mismatch(),
                "the provider has no thumbprint to trust its certificate by",
            ));
        }
        let discovery = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let doc = self.get(&discovery, thumbprints).await?;
        #[derive(serde::Deserialize)]
        struct Discovery {
            issuer: String,
            jwks_uri: String,
        }
        let doc: Discovery = serde_json::from_slice(&doc)
            .map_err(|e| failed(no_keys(), format!("discovery document: {e}")))?;
        if doc.issuer != issuer {
            return Err(failed(
                no_keys(),
                format!("the discovery document names issuer {:?}", doc.issuer),
            ));
        }
        let jwks = self.get(&doc.jwks_uri, thumbprints).await?;
        let keys = KeySet::parse(&jwks).map_err(|e| failed(no_keys(), format!("jwks_uri: {e}")))?;
        if keys.is_empty() {
            return Err(failed(no_keys(), "the key set has no usable key"));
        }
        Ok(keys)
    }

    /// One HTTPS GET of a JSON document.
    async fn get(&self, url: &str, thumbprints: &[String]) -> Result<Vec<u8>, FetchError> {
        let target = Target::parse(url).map_err(|e| failed(no_keys(), e))?;
        let addr = self.address(&target).await?;
        let tcp = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| failed(unreachable(), format!("connect {addr}: {e}")))?;
        let tls = pinned_client(thumbprints).map_err(|e| failed(unreachable(), e.to_string()))?;
        let name = ServerName::try_from(target.host.clone())
            .map_err(|_| failed(no_keys(), format!("{:?} is not a host name", target.host)))?;
        let stream = iam_tls::tokio_rustls::TlsConnector::from(tls)
            .connect(name, tcp)
            .await
            .map_err(|e| {
                let text = e.to_string();
                if text.contains(THUMBPRINT_MISMATCH) {
                    failed(thumbprint_mismatch(), text)
                } else {
                    failed(unreachable(), format!("TLS with {}: {text}", target.host))
                }
            })?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| failed(unreachable(), format!("HTTP: {e}")))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let request = http::Request::get(target.path_and_query.as_str())
            .header(http::header::HOST, target.authority.as_str())
            .header(http::header::ACCEPT, "application/json")
            .header(http::header::USER_AGENT, "iamd")
            .body(Empty::<Bytes>::new())
            .map_err(|e| failed(no_keys(), format!("request: {e}")))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| failed(unreachable(), format!("HTTP: {e}")))?;
        if response.status() != http::StatusCode::OK {
            return Err(failed(
                no_keys(),
                format!("{url} answered {}", response.status()),
            ));
        }
        let body = Limited::new(response.into_body(), DOCUMENT_MAX)
            .collect()
            .await
            .map_err(|e| failed(no_keys(), format!("{url}: {e}")))?;
        Ok(body.to_bytes().to_vec())
    }

    /// The address to connect to for `target`: the operator's (`--oidc-resolve`), else the
    /// first address DNS gives that the fetch policy allows.
    async fn address(&self, target: &Target) -> Result<SocketAddr, FetchError> {
        if let Some(a) = self.policy.resolve.get(&target.host.to_ascii_lowercase()) {
            return Ok(*a);
        }
        let found = tokio::net::lookup_host((target.host.as_str(), target.port))
            .await
            .map_err(|e| failed(unreachable(), format!("resolve {}: {e}", target.host)))?;
        let mut refused = Vec::new();
        for addr in found {
            if allowed(addr.ip(), self.policy.allow_private) {
                return Ok(addr);
            }
            refused.push(addr.ip());
        }
        Err(failed(
            unreachable(),
            format!(
                "{} resolves to no address a node may fetch from ({refused:?}; see --oidc-allow-private-networks)",
                target.host
            ),
        ))
    }
}

/// Whether a node may connect to `ip` for an identity provider: never link-local (cloud
/// metadata), unspecified, broadcast or multicast addresses; loopback and private ones only
/// when allowed.
pub(crate) fn allowed(ip: IpAddr, allow_private: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || o[0] == 0
            {
                return false;
            }
            let private =
                v4.is_loopback() || v4.is_private() || (o[0] == 100 && (64..128).contains(&o[1]));
            allow_private || !private
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return allowed(IpAddr::V4(v4), allow_private);
            }
            let s = v6.segments();
            if v6.is_unspecified() || v6.is_multicast() || (s[0] & 0xffc0) == 0xfe80 {
                return false;
            }
            let private = v6.is_loopback() || (s[0] & 0xfe00) == 0xfc00;
            allow_private || !private
        }
    }
}

/// An `https://` URL's parts.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    host: String,
    port: u16,
    /// `host[:port]` as the URL gives it (the `Host` header).
    authority: String,
    path_and_query: String,
}

impl Target {
    fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("https://")
            .ok_or_else(|| format!("{url:?} is not an https URL"))?;
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let path = tail.split('#').next().unwrap_or_default();
        let path_and_query = match path {
            "" => "/".to_owned(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_owned(),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err(format!("{url:?} has no usable host"));
        }
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => {
                let (h, after) = v6
                    .split_once(']')
                    .ok_or_else(|| format!("{url:?}: unclosed ["))?;
                (h.to_owned(), after.strip_prefix(':'))
            }
            None => match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), Some(p)),
                None => (authority.to_owned(), None),
            },
        };
        let port = match port {
            None => 443,
            Some(p) => p.parse().map_err(|_| format!("{url:?}: bad port"))?,
        };
        if host.is_empty()
            || path_and_query
                .chars()
                .any(|c| c.is_ascii_control() || c == ' ')
        {
            return Err(format!("{url:?} is not a usable URL"));
        }
        Ok(Target {
            host,
            port,
            authority: authority.to_owned(),
            path_and_query,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_into_host_port_and_path() {
        let t = Target::parse("https://issuer.example/tenant/keys?x=1").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("issuer.example", 443));
        assert_eq!(t.path_and_query, "/tenant/keys?x=1");
        let t = Target::parse("https://issuer.example:8443").unwrap();
        assert_eq!((t.port, t.path_and_query.as_str()), (8443, "/"));
        assert_eq!(t.authority, "issuer.example:8443");
        let t = Target::parse("https://[::1]:9000/k").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 9000));
        for bad in [
            "http://issuer.example/",
            "https://",
            "https://user@issuer.example/",
            "https://issuer.example:http/",
            "https://[::1/",
            "https://issuer.example/a b",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn metadata_addresses_are_never_fetched_private_ones_only_when_allowed() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        for never in [
            "169.254.169.254",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "fe80::1",
            "::",
            "::ffff:169.254.169.254",
        ] {
            assert!(!allowed(ip(never), true), "{never}");
        }
        for private in [
            "127.0.0.1",
            "10.0.0.5",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!allowed(ip(private), false), "{private}");
            assert!(allowed(ip(private), true), "{private}");
        }
        for public in ["8.8.8.8", "2001:4860:4860::8888"] {
            assert!(allowed(ip(public), false), "{public}");
        }
    }

    #[test]
    fn resolve_entries_parse_or_say_what_is_wrong() {
        let m = FetchPolicy::parse_resolve(&["Issuer.Test=127.0.0.1:8443".into()]).unwrap();
        assert_eq!(m["issuer.test"], "127.0.0.1:8443".parse().unwrap());
        for bad in [
            "issuer.test",
            "issuer.test=127.0.0.1",
            "=127.0.0.1:1",
            "h=name:1",
        ] {
            let e = FetchPolicy::parse_resolve(&[bad.into()]).unwrap_err();
            assert!(e.contains("--oidc-resolve"), "{e}");
        }
    }
}
