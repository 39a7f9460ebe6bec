//! Every bounded thing has a named limit here, with AWS's number where AWS has one.

/// Length of an account id (digits).
pub const ACCOUNT_ID_LEN: usize = 12;
/// User and role names.
pub const USER_NAME_LEN_MAX: usize = 64;
/// Group, policy and instance-profile names.
pub const GROUP_NAME_LEN_MAX: usize = 128;
/// Entity paths.
pub const PATH_LEN_MAX: usize = 512;
/// Tags on one taggable resource.
pub const TAGS_PER_RESOURCE_MAX: usize = 50;
/// Tag key length.
pub const TAG_KEY_LEN_MAX: usize = 128;
/// Tag value length.
pub const TAG_VALUE_LEN_MAX: usize = 256;
/// Users per account (AWS: 5000, not adjustable).
pub const USERS_PER_ACCOUNT_MAX: u64 = 5000;
/// `MaxItems` on list calls.
pub const LIST_ITEMS_MAX: usize = 1000;
/// `MaxItems` default.
pub const LIST_ITEMS_DEFAULT: usize = 100;
/// Client request tokens (idempotency keys).
pub const REQUEST_TOKEN_LEN_MAX: usize = 128;
/// How many log entries a request token is remembered for; a retry older than this window
/// is treated as a new request.
pub const REQUEST_TOKEN_WINDOW_ENTRIES: u64 = 200_000;
/// At most this many request tokens are remembered, however many requests the log entries
/// of the window carry (the oldest are forgotten first).
pub const REQUEST_TOKENS_MAX: u64 = 200_000;
/// Email of the account root identity.
pub const EMAIL_LEN_MAX: usize = 254;
/// Account display names.
pub const ACCOUNT_NAME_LEN_MAX: usize = 50;

/// Groups one user can be in (AWS, fixed).
pub const GROUPS_PER_USER_MAX: usize = 10;
/// Managed policies attached to one group (AWS, fixed). Users and roles have adjustable
/// quotas (`iam_state::ops::limits::QuotaKind`).
pub const ATTACHED_POLICIES_PER_GROUP_MAX: usize = 10;
/// Access keys per user (AWS, fixed).
pub const ACCESS_KEYS_PER_USER_MAX: usize = 2;
/// SSH public keys per user (AWS's `SSHPublicKeysPerUser`, fixed in iamd).
pub const SSH_PUBLIC_KEYS_PER_USER_MAX: usize = 5;
/// Signing certificates per user (AWS's `CertificatesPerUser`, fixed in iamd).
pub const SIGNING_CERTIFICATES_PER_USER_MAX: usize = 2;
/// MFA devices in use per user (AWS, fixed).
pub const MFA_DEVICES_PER_USER_MAX: usize = 8;
/// Stored versions of one managed policy.
pub const POLICY_VERSIONS_MAX: usize = 5;
/// Roles in one instance profile.
pub const ROLES_PER_INSTANCE_PROFILE_MAX: usize = 1;
/// OpenID Connect providers per account (AWS's default quota, fixed in iamd).
pub const OIDC_PROVIDERS_PER_ACCOUNT_MAX: u64 = 100;
/// Server certificates per account (AWS's `ServerCertificatesPerAccount` default quota,
/// fixed in iamd).
pub const SERVER_CERTIFICATES_PER_ACCOUNT_MAX: u64 = 20;
/// Client ids (audiences) of one OpenID Connect provider.
pub const CLIENT_IDS_PER_OIDC_PROVIDER_MAX: usize = 100;
/// Server certificate thumbprints of one OpenID Connect provider.
pub const THUMBPRINTS_PER_OIDC_PROVIDER_MAX: usize = 5;
// Policy document sizes are the policy engine's (`iam_policy::*_SIZE_MAX`): one definition.
/// Role `MaxSessionDuration` bounds (seconds) and default.
pub const ROLE_SESSION_DURATION_MIN: u32 = 3600;
pub const ROLE_SESSION_DURATION_MAX: u32 = 43200;
/// Role and policy descriptions.
pub const DESCRIPTION_LEN_MAX: usize = 1000;
/// Managed and inline policy names, instance-profile names.
pub const POLICY_NAME_LEN_MAX: usize = 128;

const _: () = assert!(LIST_ITEMS_DEFAULT <= LIST_ITEMS_MAX);
const _: () = assert!(USER_NAME_LEN_MAX <= GROUP_NAME_LEN_MAX);
