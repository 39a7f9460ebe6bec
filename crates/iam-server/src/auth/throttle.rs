//! A per-source brake on failed authentication: a source (IP address) whose requests fail to
//! authenticate more than [`FAILURES_PER_SECOND`] times in a second is refused outright
//! (`Throttling`) for the rest of that second, before any body is read or any signature
//! computed. Guessing keys or flooding a node with junk signatures costs the attacker, not
//! the node; well-behaved clients never come near the limit. Sign-in has its own, slower
//! brake ([`Throttle::sign_in`]): a password guesser spreading guesses over many user names
//! (each of which locks after 5) is held to [`SIGN_IN_FAILURES_PER_MINUTE`] per source.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed authentications a source may have per second.
pub const FAILURES_PER_SECOND: u32 = 100;
/// Failed sign-ins a source may have per minute (on one node).
pub const SIGN_IN_FAILURES_PER_MINUTE: u32 = 100;
const WINDOW: Duration = Duration::from_secs(1);
/// Sources tracked at once (older windows are dropped first).
const SOURCES_MAX: usize = 65_536;

#[derive(Debug)]
struct Window {
    start: Instant,
    failures: u32,
}

/// See the module docs.
#[derive(Debug)]
pub struct Throttle {
    limit: u32,
    window: Duration,
    sources: Mutex<HashMap<IpAddr, Window>>,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(FAILURES_PER_SECOND)
    }
}

impl Throttle {
    /// At most `limit` failures per source per second.
    pub fn new(limit: u32) -> Self {
        Self::with_window(limit, WINDOW)
    }

    /// At most `limit` failures per source per `window`.
    pub fn with_window(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            sources: Mutex::new(HashMap::new()),
        }
    }

    /// The sign-in brake: [`SIGN_IN_FAILURES_PER_MINUTE`].
    pub fn sign_in() -> Self {
        Self::with_window(SIGN_IN_FAILURES_PER_MINUTE, Duration::from_secs(60))
    }

    /// Whether a request from `ip` may be looked at now.
    pub fn allowed(&self, ip: IpAddr) -> bool {
        let sources = self.sources.lock().unwrap_or_else(|p| p.into_inner());
        sources
            .get(&ip)
            .is_none_or(|w| w.start.elapsed() >= self.window || w.failures < self.limit)
    }

    /// Counts a failed authentication from `ip`.
    pub fn failed(&self, ip: IpAddr) {
        let mut sources = self.sources.lock().unwrap_or_else(|p| p.into_inner());
        if sources.len() >= SOURCES_MAX && !sources.contains_key(&ip) {
            let window = self.window;
            sources.retain(|_, w| w.start.elapsed() < window);
            if sources.len() >= SOURCES_MAX {
                sources.clear();
            }
        }
        let w = sources.entry(ip).or_insert(Window {
            start: Instant::now(),
            failures: 0,
        });
        if w.start.elapsed() >= self.window {
            *w = Window {
                start: Instant::now(),
                failures: 0,
            };
        }
        w.failures = w.failures.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_is_refused_after_its_failures_and_others_are_not() {
        let t = Throttle::new(3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(t.allowed(a));
            t.failed(a);
        }
        assert!(!t.allowed(a));
        assert!(t.allowed(b));
        std::thread::sleep(WINDOW);
        assert!(t.allowed(a), "a new window starts afresh");
    }
}
