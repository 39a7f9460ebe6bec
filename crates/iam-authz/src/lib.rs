//! The authorization index: every node answers "may this principal do this action on this
//! resource?" from its own copy of the state, with no scan and no re-parse of policies.
//!
//! # Design
//!
//! [`AuthzIndex`] is `Send + Sync` and shared by every request of a node. It holds three
//! caches behind one `RwLock` (lookups take the read lock and clone an `Arc`):
//!
//! - **principals**: state key (`user/{a}/{u}` or `role/{a}/{r}`) →
//!   `Arc<`[`PrincipalPolicies`]`>`: the compiled identity set (a user's inline and attached
//!   managed policies, then each of its groups' inline and attached policies; or a role's
//!   inline and attached policies), the compiled permissions boundary, the principal's id,
//!   ARN and tags, and the list of state keys the load read (its *dependencies*);
//! - **groups**: `group/{a}/{g}` → the group's parsed inline documents and attached ARNs, so a
//!   group's inline documents are parsed once however many members load;
//! - **documents**: policy state key → (policy id, version id) → parsed `iam_policy::Policy`,
//!   so a managed policy's default document is parsed once whoever attaches it.
//!
//! **Loading** a principal reads only point keys: `acct/{a}`, the user (or role) record,
//! each of its groups (`User::groups`) and each referenced policy (`policy/{a}/{name}` from
//! the ARN, checked against the record's ARN). Nothing is scanned. Every key read becomes a
//! dependency, including keys found missing.
//!
//! **Invalidation** ([`AuthzIndex::observe`]) is exact rather than per account: a written
//! key drops the cached principals that depend on it (a reverse index dependency → principals
//! makes this a hash lookup), the group entry at that key and the documents of a policy at
//! that key. Membership entries `gmem/{a}/{g}/{u}` count as a write of `user/{a}/{u}` and
//! attachment entries `pent/{a}/{p}/{kind}/{e}` as a write of `{kind}/{a}/{e}` (the ops also
//! rewrite the records themselves; this is a second line of defence). So: a user's record →
//! that user; a role's → that role; a group's record (inline policy, attachment, rename) →
//! exactly the cached members that loaded it; a policy record (new default version, delete)
//! → exactly the principals that attach it or use it as boundary. Keys of other kinds
//! (access keys, quotas, tokens, ...) do nothing.
//!
//! **Races**: loads run without holding the lock, so an apply may land in the middle of one.
//! Each `observe` that touches a relevant key increments a generation and remembers the keys
//! it wrote (the last 256 generations). A load records the generation it started at; it is
//! inserted only if no key it depends on was written since (or, when the remembered window
//! does not reach back that far, not at all). A load that raced still answers its own
//! request (from the state it read), but is never cached.
//!
//! **Contract with the storage layer**: call [`AuthzIndex::observe`] with each applied
//! batch's [`iam_state::WriteSet`] *after* its writes are readable through the
//! [`iam_state::StateRead`] given to `authorize`, and *before* the batch's log index is
//! published to readers. Then a read at index `i` (after a read barrier) never sees a cached
//! entry older than `i`. On snapshot installation call [`AuthzIndex::clear`].
//!
//! # Evaluation
//!
//! [`AuthzIndex::authorize`] resolves the principal ARN (`user/…`, `role/…`, an
//! `sts::…:assumed-role/R/S` session of a role, or the account root, which is always allowed
//! in its own account), builds the request context with AWS's principal keys
//! (aws-iam-facts §3: `aws:username` and `aws:userid` = `AIDA…` for users; `aws:userid` =
//! `AROA…:session` for role sessions, `AROA…` for a bare role ARN; `aws:PrincipalArn` = the
//! user or *role* ARN; `aws:PrincipalType` = `User`, `AssumedRole` or `Account`;
//! `aws:PrincipalAccount`; `aws:PrincipalTag/<k>` from the principal's tags), adds the
//! caller's other keys (caller-supplied principal keys are ignored: they come from the
//! state), and evaluates with `iam_policy` (identity ∩ boundary, explicit deny wins).
//! Resource-based policies are evaluated only when the asker supplies one
//! ([`AuthzIndex::authorize_with`], as STS does with a role's trust policy); otherwise a
//! resource ARN naming another account is an implicit deny. An attached policy that does not exist grants nothing; a boundary that
//! does not exist allows nothing. A stored document that fails to parse is an error
//! (`PolicyEvaluation`): the caller must deny.
//!
//! [`AuthzIndex::simulate`] does the same for every action × resource, optionally with
//! caller-supplied identity documents instead of the principal's (SimulateCustomPolicy).
//!
//! [`AuthzIndex::stats`] counts parses, loads, hits, invalidations and discarded fills.

mod api;
mod authorize;
mod call;
mod federated;
mod index;
mod principal;
mod simulate;
mod trust;

pub use api::{
    AuthzAnswer, AuthzDecision, AuthzRequest, ContextKeys, Layers, MatchedStatement, PrincipalInfo,
    SimulateAnswer, SimulateRequest, SimulateResult, SIMULATE_DOCUMENTS_MAX, SIMULATE_PAIRS_MAX,
};
pub use call::{request_context, CallerView, Denial, Scope, SessionView, CLUSTER_RESOURCE};
pub use federated::FederatedAsk;
pub use index::{AuthzIndex, AuthzStats, DEFAULT_MAX_PRINCIPALS};
pub use principal::{PolicySource, PrincipalKind, PrincipalPolicies, SourceKind};
pub use trust::AssumeAsk;

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn the_index_is_shareable() {
        assert_send_sync::<super::AuthzIndex>();
    }
}
