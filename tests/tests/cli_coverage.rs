//! Every operation a client can call has an iamctl command: each action the AWS Query API
//! routes (`iam_aws::SUPPORTED`) and each iamd action (`IAMD_ACTIONS`) is listed here with
//! the iamctl command that makes the call, and that command exists (`iamctl <noun> <verb>
//! --help` succeeds). An operation added to the API without a command fails this test until
//! it gets one (ARCHITECTURE.md, "Adding an operation") or is listed as not for iamctl,
//! with the reason.

use iamd_tests::bin;
use std::collections::BTreeSet;
use std::process::Command;

/// Action → the iamctl command that calls it.
#[rustfmt::skip]
const COMMANDS: &[(&str, &str)] = &[
    // users
    ("CreateUser", "user create"), ("GetUser", "user get"), ("UpdateUser", "user update"),
    ("DeleteUser", "user delete"), ("ListUsers", "user list"), ("TagUser", "user tag"),
    ("UntagUser", "user untag"), ("ListUserTags", "user list-tags"),
    // groups
    ("CreateGroup", "group create"), ("GetGroup", "group get"), ("UpdateGroup", "group update"),
    ("DeleteGroup", "group delete"), ("ListGroups", "group list"),
    ("ListGroupsForUser", "group list-for-user"), ("AddUserToGroup", "group add-user"),
    ("RemoveUserFromGroup", "group remove-user"),
    // roles
    ("CreateRole", "role create"), ("GetRole", "role get"), ("UpdateRole", "role update"),
    ("UpdateRoleDescription", "role update-description"),
    ("UpdateAssumeRolePolicy", "role update-assume-role-policy"),
    ("DeleteRole", "role delete"), ("ListRoles", "role list"), ("TagRole", "role tag"),
    ("UntagRole", "role untag"), ("ListRoleTags", "role list-tags"),
    // service-linked roles
    ("CreateServiceLinkedRole", "role create-service-linked"),
    ("DeleteServiceLinkedRole", "role delete-service-linked"),
    ("GetServiceLinkedRoleDeletionStatus", "role deletion-status"),
    // instance profiles
    ("CreateInstanceProfile", "instance-profile create"),
    ("GetInstanceProfile", "instance-profile get"),
    ("DeleteInstanceProfile", "instance-profile delete"),
    ("ListInstanceProfiles", "instance-profile list"),
    ("ListInstanceProfilesForRole", "instance-profile list-for-role"),
    ("AddRoleToInstanceProfile", "instance-profile add-role"),
    ("RemoveRoleFromInstanceProfile", "instance-profile remove-role"),
    ("TagInstanceProfile", "instance-profile tag"),
    ("UntagInstanceProfile", "instance-profile untag"),
    ("ListInstanceProfileTags", "instance-profile list-tags"),
    // managed policies
    ("CreatePolicy", "policy create"), ("GetPolicy", "policy get"),
    ("DeletePolicy", "policy delete"), ("ListPolicies", "policy list"),
    ("CreatePolicyVersion", "policy create-version"),
    ("GetPolicyVersion", "policy get-version"),
    ("DeletePolicyVersion", "policy delete-version"),
    ("ListPolicyVersions", "policy list-versions"),
    ("SetDefaultPolicyVersion", "policy set-default-version"), ("TagPolicy", "policy tag"),
    ("UntagPolicy", "policy untag"), ("ListPolicyTags", "policy list-tags"),
    ("ListEntitiesForPolicy", "policy list-entities"),
    // attachments (--user, --group or --role)
    ("AttachUserPolicy", "policy attach"), ("AttachGroupPolicy", "policy attach"),
    ("AttachRolePolicy", "policy attach"), ("DetachUserPolicy", "policy detach"),
    ("DetachGroupPolicy", "policy detach"), ("DetachRolePolicy", "policy detach"),
    ("ListAttachedUserPolicies", "policy list-attached"),
    ("ListAttachedGroupPolicies", "policy list-attached"),
    ("ListAttachedRolePolicies", "policy list-attached"),
    // inline policies (--user, --group or --role)
    ("PutUserPolicy", "policy put-inline"), ("PutGroupPolicy", "policy put-inline"),
    ("PutRolePolicy", "policy put-inline"), ("GetUserPolicy", "policy get-inline"),
    ("GetGroupPolicy", "policy get-inline"), ("GetRolePolicy", "policy get-inline"),
    ("DeleteUserPolicy", "policy delete-inline"), ("DeleteGroupPolicy", "policy delete-inline"),
    ("DeleteRolePolicy", "policy delete-inline"), ("ListUserPolicies", "policy list-inline"),
    ("ListGroupPolicies", "policy list-inline"), ("ListRolePolicies", "policy list-inline"),
    // permissions boundaries (--user or --role)
    ("PutUserPermissionsBoundary", "policy put-boundary"),
    ("PutRolePermissionsBoundary", "policy put-boundary"),
    ("DeleteUserPermissionsBoundary", "policy delete-boundary"),
    ("DeleteRolePermissionsBoundary", "policy delete-boundary"),
    // access keys
    ("CreateAccessKey", "access-key create"), ("UpdateAccessKey", "access-key update"),
    ("DeleteAccessKey", "access-key delete"), ("ListAccessKeys", "access-key list"),
    ("GetAccessKeyLastUsed", "access-key last-used"),
    // login profiles; a user changes their own password by signing in with a new one
    ("CreateLoginProfile", "login-profile create"), ("GetLoginProfile", "login-profile get"),
    ("UpdateLoginProfile", "login-profile update"),
    ("DeleteLoginProfile", "login-profile delete"), ("ChangePassword", "login"),
    // MFA
    ("CreateVirtualMFADevice", "mfa create-virtual"), ("EnableMFADevice", "mfa enable"),
    ("DeactivateMFADevice", "mfa deactivate"), ("ResyncMFADevice", "mfa resync"),
    ("DeleteVirtualMFADevice", "mfa delete-virtual"),
    ("ListVirtualMFADevices", "mfa list-virtual"), ("ListMFADevices", "mfa list"),
    ("GetMFADevice", "mfa get"), ("ListMFADeviceTags", "mfa list-tags"),
    ("TagMFADevice", "mfa tag"), ("UntagMFADevice", "mfa untag"),
    // OpenID Connect providers
    ("CreateOpenIDConnectProvider", "oidc-provider create"),
    ("GetOpenIDConnectProvider", "oidc-provider get"),
    ("ListOpenIDConnectProviders", "oidc-provider list"),
    ("DeleteOpenIDConnectProvider", "oidc-provider delete"),
    ("AddClientIDToOpenIDConnectProvider", "oidc-provider add-client-id"),
    ("RemoveClientIDFromOpenIDConnectProvider", "oidc-provider remove-client-id"),
    ("UpdateOpenIDConnectProviderThumbprint", "oidc-provider update-thumbprint"),
    ("TagOpenIDConnectProvider", "oidc-provider tag"),
    ("UntagOpenIDConnectProvider", "oidc-provider untag"),
    ("ListOpenIDConnectProviderTags", "oidc-provider list-tags"),
    // SSH public keys
    ("UploadSSHPublicKey", "ssh-key upload"), ("GetSSHPublicKey", "ssh-key get"),
    ("ListSSHPublicKeys", "ssh-key list"), ("UpdateSSHPublicKey", "ssh-key update"),
    ("DeleteSSHPublicKey", "ssh-key delete"),
    // signing certificates
    ("UploadSigningCertificate", "signing-cert upload"),
    ("ListSigningCertificates", "signing-cert list"),
    ("UpdateSigningCertificate", "signing-cert update"),
    ("DeleteSigningCertificate", "signing-cert delete"),
    // server certificates
    ("UploadServerCertificate", "server-cert upload"),
    ("GetServerCertificate", "server-cert get"), ("ListServerCertificates", "server-cert list"),
    ("UpdateServerCertificate", "server-cert update"),
    ("DeleteServerCertificate", "server-cert delete"),
    ("TagServerCertificate", "server-cert tag"), ("UntagServerCertificate", "server-cert untag"),
    ("ListServerCertificateTags", "server-cert list-tags"),
    // account
    ("CreateAccountAlias", "account set-alias"), ("DeleteAccountAlias", "account delete-alias"),
    ("ListAccountAliases", "account list-aliases"),
    ("UpdateAccountPasswordPolicy", "password-policy update"),
    ("GetAccountPasswordPolicy", "password-policy get"),
    ("DeleteAccountPasswordPolicy", "password-policy delete"),
    ("GetAccountSummary", "account summary"),
    ("GetAccountAuthorizationDetails", "account authorization-details"),
    ("GenerateCredentialReport", "credential-report"),
    ("GetCredentialReport", "credential-report"),
    // simulation
    ("SimulatePrincipalPolicy", "simulate"), ("SimulateCustomPolicy", "simulate"),
    // iamd: accounts, cluster, quotas, the event history
    ("CreateAccount", "account create"), ("ListAccounts", "account list"),
    ("GetAccount", "account get"), ("RestoreSnapshot", "snapshot restore"),
    ("FinalizeUpgrade", "cluster finalize-upgrade"), ("RotateKeyRing", "keyring rotate"),
    ("RevokeKeyRingKey", "keyring revoke"), ("RequestQuotaIncrease", "quota request"),
    ("ApproveQuotaIncrease", "quota approve"), ("DenyQuotaIncrease", "quota deny"),
    ("SetUsageLimit", "quota set-limit"), ("AcquireUsage", "quota acquire"),
    ("ReleaseUsage", "quota release"), ("DeleteUsageCap", "quota delete-cap"),
    ("ListQuotas", "quota list"), ("ListQuotaRequests", "quota requests"),
    ("GetQuotaRequest", "quota get-request"), ("GetUsage", "quota usage"),
    ("ListUsage", "quota usage"), ("LookupEvents", "audit lookup"),
];

/// Actions with no iamctl command, and why.
const NOT_IN_IAMCTL: &[(&str, &str)] = &[
    (
        "GetContextKeysForPrincipalPolicy",
        "the AWS SDKs' view of the simulator's inputs; iamctl simulate shows the decisions",
    ),
    (
        "GetContextKeysForCustomPolicy",
        "the AWS SDKs' view of the simulator's inputs; iamctl simulate shows the decisions",
    ),
    (
        "SandboxReset",
        "an HTTP endpoint of sandbox nodes (curl -X POST)",
    ),
    ("RecordAccessKeyUse", "internal: the node's own bookkeeping"),
    ("RecordPasswordUse", "internal: the node's own bookkeeping"),
    ("RecordFailedSignIn", "internal: the node's own bookkeeping"),
    ("AuthenticateMFA", "internal: a step of sign-in and STS"),
    ("LookupAccessKey", "internal: authentication's key lookup"),
];

#[test]
fn every_operation_has_an_iamctl_command() {
    let mut actions: BTreeSet<&str> = iam_aws::SUPPORTED.iter().copied().collect();
    actions.extend(iam_state::ops::target::IAMD_ACTIONS.iter().copied());
    let listed: BTreeSet<&str> = COMMANDS.iter().map(|(a, _)| *a).collect();
    let exempt: BTreeSet<&str> = NOT_IN_IAMCTL.iter().map(|(a, _)| *a).collect();
    let missing: Vec<&&str> = actions
        .iter()
        .filter(|a| !listed.contains(**a) && !exempt.contains(**a))
        .collect();
    assert!(
        missing.is_empty(),
        "operations without an iamctl command (add one, then list it in COMMANDS): {missing:?}"
    );
    let stale: Vec<&&str> = listed
        .iter()
        .chain(exempt.iter())
        .filter(|a| !actions.contains(**a))
        .collect();
    assert!(stale.is_empty(), "listed but no such operation: {stale:?}");
    let both: Vec<&&str> = listed.intersection(&exempt).collect();
    assert!(both.is_empty(), "both listed and exempt: {both:?}");

    let commands: BTreeSet<&str> = COMMANDS.iter().map(|(_, c)| *c).collect();
    for command in commands {
        let mut args: Vec<&str> = command.split(' ').collect();
        args.push("--help");
        let out = Command::new(bin("iamctl"))
            .args(&args)
            .output()
            .expect("run iamctl");
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && help.contains("Usage: iamctl"),
            "`iamctl {command}` is no command (exit {:?}): {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
