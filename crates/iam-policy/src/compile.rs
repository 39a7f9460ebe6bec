//! A principal's policies compiled into one evaluable set: statements indexed by the
//! (lowercased) service prefix of their actions, with a bucket for statements that can match
//! any service, and Deny statements kept apart from Allow statements so evaluation looks for
//! denies first and stops at the first allow.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::policy::{Effect, Policy, PolicyKind, Statement};

/// A statement inside a [`CompiledSet`]: the policy's position in the set and the
/// statement's index in its document (both zero-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatementIndex {
    pub policy: usize,
    pub statement: usize,
}

#[derive(Debug, Clone, Default)]
struct Bucket {
    deny: Vec<StatementIndex>,
    allow: Vec<StatementIndex>,
}

impl Bucket {
    fn push(&mut self, effect: Effect, at: StatementIndex) {
        match effect {
            Effect::Deny => self.deny.push(at),
            Effect::Allow => self.allow.push(at),
        }
    }

    fn of(&self, effect: Effect) -> &[StatementIndex] {
        match effect {
            Effect::Deny => &self.deny,
            Effect::Allow => &self.allow,
        }
    }
}

/// One named policy of a set.
#[derive(Debug, Clone)]
struct Named {
    label: Arc<str>,
    policy: Arc<Policy>,
}

/// A list of named policies compiled for evaluation. Build it when a principal's policies
/// change; evaluate against it per request. Cheap to share behind an `Arc`.
#[derive(Debug, Clone, Default)]
pub struct CompiledSet {
    policies: Vec<Named>,
    /// Sorted by service prefix (lowercase).
    services: Vec<(Box<str>, Bucket)>,
    /// Statements that may match any service.
    wildcard: Bucket,
}

impl CompiledSet {
    /// Compiles policies given with a label each (e.g. the policy name or ARN; explanations
    /// report it).
    pub fn new<L, I>(policies: I) -> Self
    where
        L: Into<Arc<str>>,
        I: IntoIterator<Item = (L, Arc<Policy>)>,
    {
        let mut set = CompiledSet::default();
        for (label, policy) in policies {
            set.add(label.into(), policy);
        }
        set
    }

    /// A set without policies (evaluates to "no allow").
    pub fn empty() -> Self {
        CompiledSet::default()
    }

    fn add(&mut self, label: Arc<str>, policy: Arc<Policy>) {
        let p = self.policies.len();
        for (s, stmt) in policy.statements.iter().enumerate() {
            let at = StatementIndex {
                policy: p,
                statement: s,
            };
            match &stmt.action.services {
                None => self.wildcard.push(stmt.effect, at),
                Some(services) => {
                    for service in services {
                        self.bucket_mut(service).push(stmt.effect, at);
                    }
                }
            }
        }
        self.policies.push(Named { label, policy });
    }

    fn bucket_mut(&mut self, service: &str) -> &mut Bucket {
        let i = match self.services.binary_search_by(|(k, _)| (**k).cmp(service)) {
            Ok(i) => i,
            Err(i) => {
                self.services.insert(i, (service.into(), Bucket::default()));
                i
            }
        };
        &mut self.services[i].1
    }

    /// The statements with `effect` that could match `action`: the action's service bucket,
    /// then the wildcard bucket. Allocation-free.
    pub(crate) fn candidates(
        &self,
        action: &str,
        effect: Effect,
    ) -> impl Iterator<Item = StatementIndex> + '_ {
        let service = action.split(':').next().unwrap_or("");
        let bucket = self
            .services
            .binary_search_by(|(k, _)| cmp_ignore_ascii_case(k, service))
            .ok()
            .map(|i| self.services[i].1.of(effect))
            .unwrap_or(&[]);
        bucket.iter().chain(self.wildcard.of(effect)).copied()
    }

    /// The statement at `at`. Panics never: an index not from this set yields `None`.
    pub fn statement(&self, at: StatementIndex) -> Option<&Statement> {
        self.policies
            .get(at.policy)?
            .policy
            .statements
            .get(at.statement)
    }

    /// The label of the policy at `index`.
    pub fn label(&self, index: usize) -> Option<&Arc<str>> {
        self.policies.get(index).map(|n| &n.label)
    }

    /// The policy at `index`.
    pub fn policy(&self, index: usize) -> Option<&Arc<Policy>> {
        self.policies.get(index).map(|n| &n.policy)
    }

    /// Number of policies.
    pub fn len(&self) -> usize {
        self.policies.len()
    }

    /// True when the set has no policy.
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// Number of statements over all policies.
    pub fn statement_count(&self) -> usize {
        self.policies
            .iter()
            .map(|n| n.policy.statements.len())
            .sum()
    }

    /// True when every policy is a role trust policy, so resource grants follow trust rules.
    pub(crate) fn is_trust(&self) -> bool {
        !self.policies.is_empty()
            && self
                .policies
                .iter()
                .all(|n| n.policy.kind == PolicyKind::Trust)
    }
}

/// Compares an already-lowercase key with `s` as if `s` were lowercased.
fn cmp_ignore_ascii_case(lower: &str, s: &str) -> Ordering {
    lower.bytes().cmp(s.bytes().map(|b| b.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    fn set(doc: &str) -> CompiledSet {
        let policy = parse(doc, PolicyKind::Managed).unwrap_or_else(|e| panic!("{e}"));
        CompiledSet::new([("p", Arc::new(policy))])
    }

    #[test]
    fn statements_land_in_service_and_wildcard_buckets() {
        let s = set(r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["s3:Get*","S3:List*"],"Resource":"*"},
            {"Effect":"Deny","Action":"iam:*","Resource":"*"},
            {"Effect":"Allow","NotAction":"iam:*","Resource":"*"},
            {"Effect":"Allow","Action":["ec2:Run*","*"],"Resource":"*"}]}"#);
        let allow: Vec<_> = s
            .candidates("S3:GetObject", Effect::Allow)
            .map(|i| i.statement)
            .collect();
        assert_eq!(allow, vec![0, 2, 3]);
        let deny: Vec<_> = s
            .candidates("IAM:ListUsers", Effect::Deny)
            .map(|i| i.statement)
            .collect();
        assert_eq!(deny, vec![1]);
        let other: Vec<_> = s
            .candidates("sqs:SendMessage", Effect::Allow)
            .map(|i| i.statement)
            .collect();
        assert_eq!(other, vec![2, 3]);
        assert_eq!(s.statement_count(), 4);
    }
}
