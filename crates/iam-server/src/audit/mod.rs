//! The audit trail: one JSON line for every request on every transport (gRPC, the AWS Query
//! API, STS, sign-in), allowed, denied or failed — authentication failures included.
//!
//! The choke point is the edge of each transport: the gRPC tower layer (`crate::grpc::audit`) and the
//! Query API's handler each open an [`Event`] for the request ([`scoped`]), the steps the
//! request passes fill it in as they learn something ([`note`]: authentication names the
//! caller, authorization the action, resources and decision, a write its log index, the
//! handler the parameters and the error), and the edge writes it exactly once when the
//! answer is known ([`Audit::record`]). A step never writes a line of its own, so a request
//! cannot be logged twice nor skipped by an early return.
//!
//! Secrets never reach a line: parameters go through [`redact`], which replaces every
//! password, secret key, session token, MFA code or seed with a salted HMAC (keyed from the
//! cluster key), so an operator can match a value (`iamd audit-hash`) without reading it.
//!
//! Sinks ([`sink`]): a file (reopened on SIGHUP, for logrotate) and stdout. A node runs
//! fail-open (default: a sink that fails or falls behind drops the line, counts it in
//! `iamd_audit_failures_total` and logs an error) or fail-closed (Vault's choice: a request
//! succeeds only once some sink has written its line; while none can, requests are refused
//! with `ServiceUnavailable` before they run).

pub mod redact;
pub mod sink;

use serde::Serialize;
use serde_json::Value;
use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// What the node does when no sink can take a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Serve anyway; count and log the loss.
    #[default]
    Open,
    /// Refuse: no request succeeds unless a sink recorded it.
    Closed,
}

impl Mode {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "open" => Ok(Self::Open),
            "closed" => Ok(Self::Closed),
            other => Err(format!(
                "audit mode must be `open` or `closed`, not `{other}`"
            )),
        }
    }
}

/// A node's audit settings (`--audit-file`, `--audit-stdout`, `--audit-mode`,
/// `--audit-timeout-ms`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub file: Option<std::path::PathBuf>,
    pub stdout: bool,
    pub mode: Mode,
    /// How long a fail-closed request waits for a sink to write its line.
    pub timeout: Duration,
}

/// One request, as the audit trail records it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Event {
    /// `2024-01-02T03:04:05.678Z`, when the answer was known.
    pub time: String,
    pub request_id: String,
    pub node: u64,
    /// `grpc`, `query` (the AWS IAM Query API) or `sts`.
    pub transport: &'static str,
    /// The call as the transport names it: `iam.v1.Iam/CreateUser`, `CreateUser`.
    pub operation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    /// The IAM action authorized (`iam:CreateUser`, `sts:AssumeRole`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// `allowed` or `denied`; absent when the request was refused before authorization
    /// (authentication, validation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<&'static str>,
    /// Why a denial: AWS's message, and the deny statement that decided when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deny_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deciding_statement: Option<Value>,
    /// `success` or `error`.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// The Raft log index of a write.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
    /// The request's parameters, secrets replaced by their HMAC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
}

impl Event {
    pub fn new(transport: &'static str, operation: impl Into<String>) -> Self {
        Self {
            transport,
            operation: operation.into(),
            outcome: "success",
            request_id: request_id(),
            ..Self::default()
        }
    }

    /// The request failed with AWS error `code`.
    pub fn failed(&mut self, code: &str, message: &str) {
        self.outcome = "error";
        self.error_code = Some(code.to_owned());
        self.error_message = Some(message.to_owned());
    }
}

/// A request id in AWS's form (a random UUID).
pub fn request_id() -> String {
    let r: u128 = rand::random();
    let h = format!("{r:032x}");
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

tokio::task_local! {
    static CURRENT: RefCell<Event>;
    /// The request id of a request served while no audit sink is configured (the event
    /// history records it, and the client sees it, all the same).
    static REQUEST_ID: String;
}

/// Runs `fut` (one request, served without an audit event) under request id `rid`.
pub async fn with_request_id<F: Future>(rid: String, fut: F) -> F::Output {
    REQUEST_ID.scope(rid, fut).await
}

/// Runs `fut` (one request) with `event` as its audit event; returns its output and the
/// event as the steps left it.
pub async fn scoped<F: Future>(event: Event, fut: F) -> (F::Output, Event) {
    CURRENT
        .scope(RefCell::new(event), async move {
            let out = fut.await;
            let event = CURRENT.with(|e| std::mem::take(&mut *e.borrow_mut()));
            (out, event)
        })
        .await
}

/// Lets the current request's step fill in its event (nothing outside a request).
pub fn note(f: impl FnOnce(&mut Event)) {
    let _ = CURRENT.try_with(|e| f(&mut e.borrow_mut()));
}

/// Whether a request with an audit event is being served (so a step may skip work whose
/// only use is the audit line).
pub fn active() -> bool {
    CURRENT.try_with(|_| ()).is_ok()
}

/// The current request's id, if a request is being served.
pub fn current_request_id() -> Option<String> {
    CURRENT
        .try_with(|e| e.borrow().request_id.clone())
        .or_else(|_| REQUEST_ID.try_with(Clone::clone))
        .ok()
}

/// Notes the authenticated caller.
pub fn note_caller(caller: &crate::auth::Caller) {
    note(|e| {
        e.principal = Some(caller.arn.clone());
        e.account = Some(caller.account.clone());
        if !caller.access_key_id.is_empty() {
            e.access_key_id = Some(caller.access_key_id.clone());
        }
        if e.source_ip.is_none() {
            e.source_ip.clone_from(&caller.source_ip);
        }
    });
}

/// Notes an authorization decision. A request may be checked more than once (an action on
/// two resources, a call and its session policy): a denial is kept over a later allow.
pub fn note_decision(action: &str, resources: Vec<String>, denial: Option<&str>) {
    note(|e| {
        if e.decision == Some("denied") {
            return;
        }
        e.action = Some(action.to_owned());
        e.resources = resources;
        match denial {
            None => e.decision = Some("allowed"),
            Some(why) => {
                e.decision = Some("denied");
                e.deny_reason = Some(why.to_owned());
            }
        }
    });
}

/// Notes the deny statement that decided a denial.
pub fn note_deciding_statement(statement: &impl Serialize) {
    let value = serde_json::to_value(statement).ok();
    note(|e| {
        if e.deciding_statement.is_none() {
            e.deciding_statement = value;
        }
    });
}

/// Notes the parameters of the request (the first step to know them wins: the transport's
/// own view of what the client sent). They are redacted when the line is written.
pub fn note_params(params: impl FnOnce() -> Option<Value>) {
    note(|e| {
        if e.params.is_none() {
            e.params = params();
        }
    });
}

/// Notes a write's log index.
pub fn note_log_index(index: u64) {
    note(|e| e.log_index = Some(index));
}

/// The audit trail of one node: its sinks and what it does when they fail.
pub struct Audit {
    node: u64,
    sinks: Vec<sink::Sink>,
    mode: Mode,
    timeout: Duration,
    redactor: redact::Redactor,
}

/// Why a request could not be recorded (fail-closed).
pub const UNRECORDED: &str =
    "the audit trail cannot record requests (every audit sink failed or is blocked); this node refuses requests until one can";

impl Audit {
    /// No sinks: records nothing, refuses nothing.
    pub fn off(node: u64) -> Arc<Self> {
        Arc::new(Self {
            node,
            sinks: Vec::new(),
            mode: Mode::Open,
            timeout: Duration::ZERO,
            redactor: redact::Redactor::new([0; 32]),
        })
    }

    /// Opens the sinks `settings` name (an unwritable file is an error here, at start).
    pub fn open(node: u64, settings: &Settings, salt: [u8; 32]) -> std::io::Result<Arc<Self>> {
        let mut sinks = Vec::new();
        if let Some(path) = &settings.file {
            sinks.push(sink::Sink::file(path)?);
        }
        if settings.stdout {
            sinks.push(sink::Sink::stdout());
        }
        Ok(Arc::new(Self {
            node,
            sinks,
            mode: settings.mode,
            timeout: settings.timeout,
            redactor: redact::Redactor::new(salt),
        }))
    }

    pub fn enabled(&self) -> bool {
        !self.sinks.is_empty()
    }

    /// Fail-closed: whether a request may start (some sink is keeping up). Always true
    /// fail-open.
    pub fn admits(&self) -> bool {
        self.mode == Mode::Open
            || !self.enabled()
            || self.sinks.iter().any(|s| s.healthy(self.timeout))
    }

    /// The readiness check's view (`/readyz`'s `audit`): a fail-closed node none of whose
    /// sinks is keeping up refuses every request, so it is not ready for traffic.
    pub fn readiness(&self) -> Result<String, String> {
        match (self.enabled(), self.mode) {
            (false, _) => Ok("no audit sink".to_owned()),
            (true, Mode::Open) => Ok("fail-open".to_owned()),
            (true, Mode::Closed) if self.admits() => {
                Ok("fail-closed, a sink is writing".to_owned())
            }
            (true, Mode::Closed) => Err(
                "fail-closed and no audit sink is writing lines: every request is refused"
                    .to_owned(),
            ),
        }
    }

    /// Queues the line of a request refused because no sink can record it (fail-closed),
    /// without waiting for it: a refusal must not hold the caller (or the node) for the
    /// timeout. A sink that recovers writes it.
    pub fn record_refusal(&self, mut event: Event) {
        event.failed("ServiceUnavailable", UNRECORDED);
        let line = self.line(event);
        for s in &self.sinks {
            s.send(line.clone(), None);
        }
        sink::refused();
    }

    /// `event` as its JSON line: this node, the time now, parameters redacted.
    fn line(&self, mut event: Event) -> Arc<str> {
        event.node = self.node;
        event.time = timestamp_ms(crate::now_ms());
        if let Some(p) = event.params.as_mut() {
            self.redactor.redact(p);
        }
        let mut line = serde_json::to_string(&event).unwrap_or_default();
        line.push('\n');
        line.into()
    }

    /// Writes `event`'s line. Fail-closed, `Err` unless some sink wrote it within the
    /// timeout (the caller then refuses the request); fail-open, always `Ok`.
    pub async fn record(&self, event: Event) -> Result<(), ()> {
        if !self.enabled() {
            return Ok(());
        }
        let line = self.line(event);
        match self.mode {
            Mode::Open => {
                // A stuck sink loses the line now (counted and logged) rather than queueing
                // lines it may never write; a failing one tries again with it.
                for s in &self.sinks {
                    if s.stuck(self.timeout) {
                        s.lost(
                            "it is blocked: a write has not returned in time, or its queue is full",
                        );
                    } else {
                        s.send(line.clone(), None);
                    }
                }
                Ok(())
            }
            Mode::Closed => {
                let (tx, mut rx) = tokio::sync::mpsc::channel(self.sinks.len());
                for s in &self.sinks {
                    s.send(line.clone(), Some(tx.clone()));
                }
                drop(tx);
                // The first sink to write the line admits the request; all failing (their
                // acknowledgements dropped) or none within the timeout refuses it.
                let any = async {
                    while let Some(written) = rx.recv().await {
                        if written {
                            return true;
                        }
                    }
                    false
                };
                match tokio::time::timeout(self.timeout, any).await {
                    Ok(true) => Ok(()),
                    _ => {
                        sink::refused();
                        Err(())
                    }
                }
            }
        }
    }
}

/// `2024-01-02T03:04:05.678Z`.
fn timestamp_ms(ms: u64) -> String {
    let secs = iam_aws::timestamp(ms);
    format!("{}.{:03}Z", secs.trim_end_matches('Z'), ms % 1000)
}

/// The key the redactor's HMAC uses, derived from the cluster key.
pub fn salt(secrets: &iam_auth::secret_box::SecretBox) -> [u8; 32] {
    secrets.derive_key("iamd audit redaction v1")
}

/// `iamd audit-hash`: the HMAC audit lines show for a value.
pub fn hash_command(args: &crate::cli::AuditHashArgs) -> anyhow::Result<String> {
    use anyhow::Context;
    let hex = match &args.secret_key_file {
        Some(path) => std::fs::read_to_string(path).with_context(|| {
            format!("cannot read the cluster secret key file {}", path.display())
        })?,
        None => std::env::var(crate::config::SECRET_KEY_ENV).map_err(|_| {
            anyhow::anyhow!(
                "no cluster secret key: give --secret-key-file (or {})",
                crate::config::SECRET_KEY_ENV
            )
        })?,
    };
    let secrets = iam_auth::secret_box::SecretBox::from_hex(&hex)
        .map_err(|e| anyhow::anyhow!("the cluster secret key: {e}"))?;
    let value = if args.value == "-" {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("cannot read the value from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        args.value.clone()
    };
    Ok(redact::Redactor::new(salt(&secrets)).hash(&value))
}

#[cfg(test)]
mod tests;
