//! Releases: which iamd builds may apply this state (see ARCHITECTURE.md, "Releases").
//!
//! Each build has a [`RELEASE`] number: what its commands may carry. A cluster runs at a
//! release ([`cluster_release`], `sys/release`; 1 while never raised). A newer build writes
//! nothing an older one would apply differently until the operator finalizes its upgrade
//! ([`Command::FinalizeRelease`], proposed by `iamctl cluster finalize-upgrade` once every
//! member runs a build of that release): before that, a cluster can be rolled back member
//! by member; after it, a build of an older release refuses to apply the state (it stops
//! instead of applying commands it does not understand).

use crate::command::{Command, Outcome};
use crate::keys;
use crate::store::{StateRead, Txn};
use iam_model::{ErrorCode, IamError, IamResult};

/// This build's release. A build of the next release raises it; the `release-next` feature
/// stands for such a build in the rolling-upgrade test (tests/tests/upgrade.rs) and is never
/// shipped.
pub const RELEASE: u32 = if cfg!(feature = "release-next") { 6 } else { 5 };

/// The release from which a change's origin is recorded in the event history
/// ([`crate::events`]).
pub const EVENT_HISTORY: u32 = 2;

/// The release that brought `TagMFADevice` / `UntagMFADevice` (`ops::mfa::tags`).
pub const MFA_DEVICE_TAGS: u32 = 3;

/// The release that brought OpenID Connect providers (`ops::oidc_providers`: new op
/// variants).
pub const OIDC_PROVIDERS: u32 = 4;

/// The release from which the event history keeps its oldest event's time
/// (`keys::EVENT_OLDEST`), so that an entry tells whether any event is past the age bound
/// from two counters instead of reading the oldest event (`events::prune`).
pub const EVENT_HISTORY_OLDEST: u32 = 4;

/// The release from which the event history keeps one record per log entry
/// (`keys::event_entry`: the events of all its requests) instead of one per change
/// (`keys::event_at`): one key to write, replicate into every memtable and prune per entry
/// rather than one per write. Lookups and pruning read both layouts.
pub const EVENTS_PER_ENTRY: u32 = 5;

/// The release that brought SSH public keys (`ops::ssh_keys`: new op variants).
pub const SSH_PUBLIC_KEYS: u32 = 5;

/// The release that brought signing certificates (`ops::signing_certs`: new op variants).
pub const SIGNING_CERTIFICATES: u32 = 5;

/// Policy documents a command stores are checked with AWS's rules beyond the grammar
/// (iam-policy's `VALIDATION.md`: the managed policy `Version`, legacy parsing, resource
/// ARN formats) from this release; before it, with the grammar alone.
pub const AWS_POLICY_RULES: u32 = 5;

/// The release that brought service-linked roles (`ops::roles::service_linked`: new role op
/// variants and query; from it, the refusals that protect a service-linked role from the
/// ordinary role operations and keep `CreateRole` off the `/aws-service-role/` path).
pub const SERVICE_LINKED_ROLES: u32 = 5;
/// The release that brought server certificates (`ops::server_certs`: new op variants).
pub const SERVER_CERTIFICATES: u32 = 5;

/// The release a cluster runs at before any upgrade was finalized.
pub const FIRST: u32 = 1;

/// The release the cluster runs at (`sys/release`).
pub fn cluster_release(state: &dyn StateRead) -> u32 {
    parse(Txn::new(state).get(keys::RELEASE.as_bytes()).as_deref())
}

fn parse(value: Option<&[u8]>) -> u32 {
    value
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(FIRST)
}

/// The release a build must have to apply `command`: a finalization names it, a restore
/// carries its backup's. `None`: any build applies it.
pub fn needs(command: &Command) -> Option<u32> {
    match command {
        Command::FinalizeRelease { release } => Some(*release),
        Command::RestoreState { pairs } => Some(release_of_pairs(pairs)),
        _ => None,
    }
}

/// The release recorded in a whole state's key/value pairs (a snapshot's, a backup's).
pub fn release_of_pairs(pairs: &[(Vec<u8>, Vec<u8>)]) -> u32 {
    parse(
        pairs
            .iter()
            .find(|(k, _)| k == keys::RELEASE.as_bytes())
            .map(|(_, v)| v.as_slice()),
    )
}

/// Why this build cannot apply state at `release`, if it cannot.
pub fn unsupported(release: u32, what: &str) -> Option<String> {
    (release > RELEASE).then(|| {
        format!(
            "{what} needs iamd release {release} (an upgrade to it was finalized), but this iamd is release {RELEASE}: run an iamd of release {release} or later"
        )
    })
}

/// Raises the cluster's release (`FinalizeRelease`). Releases only go up: finalizing the
/// release the cluster runs at, or an older one, is refused.
pub(crate) fn finalize(txn: &mut Txn<'_>, release: u32) -> IamResult<Outcome> {
    let current = parse(txn.get(keys::RELEASE.as_bytes()).as_deref());
    if release <= current {
        return Err(IamError::new(
            ErrorCode::InvalidInput,
            format!("the cluster already runs release {current}; release {release} is not newer"),
        ));
    }
    txn.put(
        keys::RELEASE.as_bytes().to_vec(),
        release.to_string().into_bytes(),
    );
    Ok(Outcome::Record(format!("{{\"release\":{release}}}")))
}

/// A restore never lowers the release: a backup taken before an upgrade was finalized
/// restores into a cluster that finalized it at the cluster's release.
pub(crate) fn keep_after_restore(txn: &mut Txn<'_>, before: u32, pairs_release: u32) {
    if before > pairs_release {
        txn.put(
            keys::RELEASE.as_bytes().to_vec(),
            before.to_string().into_bytes(),
        );
    }
}

/// Refuses a command field that only builds of `release` understand while the cluster runs
/// at an older one: an older member would apply the command without it.
///
/// A `ValidationError`, so that the node that receives the command refuses it in its dry run,
/// before proposing (see `iam-server`'s write path): the release it sees can only be older
/// than the log's, never newer, so no command with the field is proposed too early.
pub fn require(state: &dyn StateRead, release: u32, field: &str) -> IamResult<()> {
    let current = cluster_release(state);
    if current < release {
        return Err(IamError::new(
            ErrorCode::ValidationError,
            format!(
                "{field} needs the cluster to run release {release} (it runs release {current}): finalize the upgrade first (iamctl cluster finalize-upgrade)"
            ),
        ));
    }
    Ok(())
}
