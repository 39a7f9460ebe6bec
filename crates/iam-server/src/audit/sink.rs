//! Where audit lines go: each sink is a thread of its own behind a bounded queue, so a slow
//! or blocked sink (a full disk, a pipe nobody reads) never blocks a request task; the
//! request either does not wait (fail-open) or waits with a deadline (fail-closed).
//!
//! A file sink is opened for appending, owner-only, and reopened after SIGHUP (the
//! signal `reopen_on_sighup` listens for), so logrotate can move it away.

use iam_raft::metrics::Counter;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Lines a sink may have queued; past it, new lines are not taken (and the sink counts as
/// unhealthy).
pub const QUEUE_MAX: usize = 4096;

type Ack = Option<tokio::sync::mpsc::Sender<bool>>;

/// Bumped by SIGHUP: file sinks reopen their file before their next line.
static REOPEN: AtomicU64 = AtomicU64::new(0);

/// Lines written, lines lost, requests refused (fail-closed) — for `/metrics`.
struct Figures {
    written: [Counter; 2],
    failed: [Counter; 2],
    refused: Counter,
}

static FIGURES: Figures = Figures {
    written: [Counter::new(), Counter::new()],
    failed: [Counter::new(), Counter::new()],
    refused: Counter::new(),
};

const NAMES: [&str; 2] = ["file", "stdout"];

pub(crate) fn refused() {
    FIGURES.refused.inc();
}

pub(crate) fn render(out: &mut String) {
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        "# HELP iamd_audit_lines_total Audit lines written, by sink.\n# TYPE iamd_audit_lines_total counter"
    );
    for (i, name) in NAMES.iter().enumerate() {
        let _ = writeln!(
            out,
            "iamd_audit_lines_total{{sink=\"{name}\"}} {}",
            FIGURES.written[i].get()
        );
    }
    let _ = writeln!(
        out,
        "# HELP iamd_audit_failures_total Audit lines a sink failed to write or could not take (queue full), by sink.\n# TYPE iamd_audit_failures_total counter"
    );
    for (i, name) in NAMES.iter().enumerate() {
        let _ = writeln!(
            out,
            "iamd_audit_failures_total{{sink=\"{name}\"}} {}",
            FIGURES.failed[i].get()
        );
    }
    let _ = writeln!(
        out,
        "# HELP iamd_audit_refused_total Requests refused because no audit sink recorded them (fail-closed).\n# TYPE iamd_audit_refused_total counter\niamd_audit_refused_total {}",
        FIGURES.refused.get()
    );
}

/// Reopens file sinks on every SIGHUP (spawned once per node).
pub async fn reopen_on_sighup() {
    let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP: the audit file will not be reopened");
        return;
    };
    while hup.recv().await.is_some() {
        request_reopen();
        tracing::info!("SIGHUP: audit files reopen before their next line");
    }
}

/// Every file sink reopens its file before its next line.
pub(crate) fn request_reopen() {
    REOPEN.fetch_add(1, Ordering::SeqCst);
}

/// How a sink is doing, shared between its thread and the requests.
#[derive(Default)]
struct Health {
    /// Milliseconds since [`epoch`] when the line being written was taken; 0 when idle.
    busy_since: AtomicU64,
    /// The last write failed.
    failing: AtomicBool,
    /// Lines queued or being written.
    queued: AtomicUsize,
    /// When the last loud log about this sink was written (ms since [`epoch`]).
    last_complaint: AtomicU64,
}

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn since_epoch_ms() -> u64 {
    // Never 0, which means idle.
    u64::try_from(epoch().elapsed().as_millis()).unwrap_or(u64::MAX) + 1
}

pub struct Sink {
    index: usize,
    tx: SyncSender<(Arc<str>, Ack)>,
    health: Arc<Health>,
}

enum Target {
    File {
        path: PathBuf,
        file: std::fs::File,
        seen: u64,
    },
    Stdout,
}

fn open_append(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("audit file {}: {e}", path.display())))
}

impl Target {
    fn write(&mut self, line: &[u8]) -> std::io::Result<()> {
        match self {
            Self::File { path, file, seen } => {
                let now = REOPEN.load(Ordering::SeqCst);
                if now != *seen {
                    *file = open_append(path)?;
                    *seen = now;
                }
                let r = file.write_all(line);
                if r.is_err() {
                    // Try the file afresh with the next line (it may have been replaced).
                    *seen = now.wrapping_sub(1);
                }
                r
            }
            Self::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(line)?;
                out.flush()
            }
        }
    }
}

impl Sink {
    /// A file sink (created owner-only if missing; an error if it cannot be opened).
    pub fn file(path: &Path) -> std::io::Result<Self> {
        let file = open_append(path)?;
        let seen = REOPEN.load(Ordering::SeqCst);
        Ok(Self::spawn(
            0,
            Target::File {
                path: path.to_owned(),
                file,
                seen,
            },
        ))
    }

    pub fn stdout() -> Self {
        Self::spawn(1, Target::Stdout)
    }

    fn spawn(index: usize, mut target: Target) -> Self {
        let (tx, rx) = sync_channel::<(Arc<str>, Ack)>(QUEUE_MAX);
        let health = Arc::new(Health::default());
        let h = health.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("audit-{}", NAMES[index]))
            .spawn(move || {
                while let Ok((line, ack)) = rx.recv() {
                    h.busy_since.store(since_epoch_ms(), Ordering::SeqCst);
                    let result = target.write(line.as_bytes());
                    h.busy_since.store(0, Ordering::SeqCst);
                    h.queued.fetch_sub(1, Ordering::SeqCst);
                    let ok = match result {
                        Ok(()) => {
                            FIGURES.written[index].inc();
                            if h.failing.swap(false, Ordering::SeqCst) {
                                tracing::warn!(sink = NAMES[index], "audit sink writes again");
                            }
                            true
                        }
                        Err(e) => {
                            FIGURES.failed[index].inc();
                            h.failing.store(true, Ordering::SeqCst);
                            complain(&h, index, &e.to_string());
                            false
                        }
                    };
                    if let Some(ack) = ack {
                        let _ = ack.try_send(ok);
                    }
                }
            });
        if let Err(e) = spawned {
            health.failing.store(true, Ordering::SeqCst);
            tracing::error!(
                sink = NAMES[index],
                "cannot start the audit sink's thread: {e}"
            );
        }
        Self { index, tx, health }
    }

    /// Queues `line`; false when the sink cannot take it (its queue is full, its thread is
    /// gone), which counts as a failure of the sink.
    pub fn send(&self, line: Arc<str>, ack: Ack) -> bool {
        self.health.queued.fetch_add(1, Ordering::SeqCst);
        match self.tx.try_send((line, ack)) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.health.queued.fetch_sub(1, Ordering::SeqCst);
                self.lost("its queue is full (the sink is blocked or too slow)");
                false
            }
        }
    }

    /// Counts a line this sink did not take, and says so (loudly, now and then).
    pub fn lost(&self, why: &str) {
        FIGURES.failed[self.index].inc();
        complain(&self.health, self.index, why);
    }

    /// Whether the sink is stuck: on one line for longer than `timeout`, or with a full
    /// queue. A stuck sink is not given more lines (fail-open).
    pub fn stuck(&self, timeout: Duration) -> bool {
        let h = &self.health;
        let busy = h.busy_since.load(Ordering::SeqCst);
        let limit = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        (busy != 0 && since_epoch_ms().saturating_sub(busy) > limit)
            || h.queued.load(Ordering::SeqCst) >= QUEUE_MAX
    }

    /// Whether the sink is keeping up: not stuck, and its last write succeeded. (A failing
    /// sink still gets lines: the first that it writes makes it healthy again.)
    pub fn healthy(&self, timeout: Duration) -> bool {
        !self.stuck(timeout) && !self.health.failing.load(Ordering::SeqCst)
    }
}

/// A loud log that a sink lost lines, at most every 10 seconds per sink.
fn complain(h: &Health, index: usize, why: &str) {
    let now = since_epoch_ms();
    let last = h.last_complaint.load(Ordering::SeqCst);
    if last == 0 || now.saturating_sub(last) >= 10_000 {
        h.last_complaint.store(now, Ordering::SeqCst);
        tracing::error!(
            sink = NAMES[index],
            "AUDIT SINK FAILING: lines are being lost ({why}); see iamd_audit_failures_total"
        );
    }
}
