//! The names a node answers to. SigV4 signs the `Host` header (`:authority` over HTTP/2),
//! so a request signed for another endpoint carries that endpoint's name; checking it
//! against this node's names refuses such a request even where the same credentials are
//! valid (and, for a sandbox, refuses a web page that reached a loopback port through a
//! DNS name it controls: DNS rebinding).
//!
//! A node answers to: its advertise addresses and listen addresses (`host:port`, as
//! given); `localhost:<port>` for a loopback listen address; any IP literal with the
//! port of a listen address on all interfaces (`0.0.0.0`, `[::]`); and each name of
//! `--allowed-hosts` (a load balancer's or DNS name; `name` matches any port, `name:port`
//! that port; `*` turns the check off). Names compare case-insensitively; a `Host` without
//! a port matches an address with port 80 or 443.

use iam_auth::AuthError;
use iam_model::ErrorCode;
use std::net::{IpAddr, SocketAddr};

/// See the module documentation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    /// `host:port`, lowercase.
    exact: Vec<String>,
    /// Names that match on any port, lowercase.
    any_port: Vec<String>,
    /// Ports on which any IP literal is accepted (listen addresses on all interfaces).
    ip_ports: Vec<u16>,
    /// `--allowed-hosts '*'`: no check.
    any: bool,
}

/// Splits `host[:port]` (IPv6 in brackets) into the lowercase host and the port.
fn split(host: &str) -> (String, Option<u16>) {
    let h = host.trim().to_ascii_lowercase();
    if let Some(rest) = h.strip_prefix('[') {
        if let Some((ip, tail)) = rest.split_once(']') {
            let port = tail.strip_prefix(':').and_then(|p| p.parse().ok());
            return (format!("[{ip}]"), port);
        }
    }
    match h.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => match port.parse() {
            Ok(p) => (name.to_owned(), Some(p)),
            Err(_) => (h.clone(), None),
        },
        _ => (h, None),
    }
}

fn is_ip_literal(host: &str) -> bool {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse::<IpAddr>().is_ok()
}

impl AllowedHosts {
    /// Every name accepted (no check): for nodes built without a configuration (tests).
    pub fn any() -> Self {
        Self {
            any: true,
            ..Self::default()
        }
    }

    /// The names of a node with these advertise addresses, listen addresses and
    /// `--allowed-hosts` entries.
    pub fn new(advertise: &[&str], listen: &[SocketAddr], allowed: &[String]) -> Self {
        let mut out = Self::default();
        for a in advertise {
            out.exact.push(a.trim().to_ascii_lowercase());
        }
        for l in listen {
            out.exact.push(l.to_string().to_ascii_lowercase());
            if l.ip().is_loopback() {
                out.exact.push(format!("localhost:{}", l.port()));
            }
            if l.ip().is_unspecified() {
                out.ip_ports.push(l.port());
            }
        }
        for a in allowed {
            let a = a.trim();
            if a == "*" {
                out.any = true;
            } else if !a.is_empty() {
                match split(a) {
                    (name, Some(port)) => out.exact.push(format!("{name}:{port}")),
                    (name, None) => out.any_port.push(name),
                }
            }
        }
        out
    }

    /// Whether `host` (a `Host` header or `:authority`) names this node.
    pub fn allows(&self, host: &str) -> bool {
        if self.any {
            return true;
        }
        let (name, port) = split(host);
        if self.any_port.contains(&name) {
            return true;
        }
        let ports: &[u16] = match port {
            Some(p) => &[p][..],
            None => &[80, 443][..],
        };
        ports.iter().any(|p| {
            self.exact.contains(&format!("{name}:{p}"))
                || (self.ip_ports.contains(p) && is_ip_literal(&name))
        })
    }

    /// `Ok` when the request's `host` names this node; else `SignatureDoesNotMatch` (the
    /// signature is over a name that is not this node's).
    pub fn check(&self, host: Option<&str>) -> Result<(), AuthError> {
        match host {
            Some(h) if self.allows(h) => Ok(()),
            Some(h) => Err(AuthError::new(
                ErrorCode::SignatureDoesNotMatch,
                format!(
                    "The request is signed for host '{h}', which is not a name of this node. A \
                 load balancer's or DNS name must be given to the node with --allowed-hosts."
                ),
            )),
            None => Err(AuthError::new(
                ErrorCode::IncompleteSignature,
                "The request has no Host header (or :authority).",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_answers_to_its_addresses_and_allowed_names_only() {
        let listen: Vec<SocketAddr> = vec![
            "127.0.0.1:7101".parse().unwrap(),
            "0.0.0.0:7100".parse().unwrap(),
        ];
        let h = AllowedHosts::new(
            &["node1.internal:7101", "10.0.0.5:7100"],
            &listen,
            &["IAM.example.com".into(), "lb.example.com:8443".into()],
        );
        for ok in [
            "127.0.0.1:7101",
            "localhost:7101",
            "Node1.Internal:7101",
            "10.0.0.5:7100",
            // Listening on all interfaces: any address of this machine on that port.
            "192.168.1.9:7100",
            "[::1]:7100",
            "iam.example.com",
            "iam.example.com:443",
            "lb.example.com:8443",
        ] {
            assert!(h.allows(ok), "{ok}");
        }
        for bad in [
            "127.0.0.1:7102",
            "localhost:7100",
            "evil.example:7101",
            "node1.internal:7100",
            "lb.example.com",
            "lb.example.com:443",
            "iam.example.com.evil.example",
            "",
            "127.0.0.1",
        ] {
            assert!(!h.allows(bad), "{bad}");
        }
        let e = h.check(Some("evil.example:7101")).unwrap_err();
        assert!(e.message.contains("evil.example:7101"), "{}", e.message);
        assert!(h.check(None).is_err());
        let open = AllowedHosts::new(&[], &listen, &["*".into()]);
        assert!(open.allows("anything:1"));
        let web = AllowedHosts::new(&["iam.example.com:443"], &[], &[]);
        assert!(web.allows("iam.example.com"));
        assert!(!web.allows("iam.example.com:80"));
    }
}
