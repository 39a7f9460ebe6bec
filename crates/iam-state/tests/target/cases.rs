//! Exhaustive tables: every op and query variant with its expected action, resource and
//! request tags, written as the JSON clients send (`{"User": {"Delete": {"name": "alice"}}}`),
//! and the check that `IAMD_ACTIONS` is exactly what the mapping labels `iamd:`.

use super::*;

/// An op as a client sends it (`{"User": {"Delete": {"name": "alice"}}}`).
fn op(v: Value) -> Op {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"))
}

/// A query as a client sends it.
fn q(v: Value) -> Q {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"))
}

pub(super) type CommandCase = (Op, String, String, Vec<(String, String)>);

/// A case without request tags.
fn c(action: &str, resource: &str, op_json: Value) -> CommandCase {
    (op(op_json), action.to_owned(), resource.to_owned(), vec![])
}

/// A case whose request carries the tag env=prod.
fn tagged(action: &str, resource: &str, op_json: Value) -> CommandCase {
    let (op, action, resource, _) = c(action, resource, op_json);
    (op, action, resource, pairs(&[("env", "prod")]))
}

/// Every op variant (per principal kind where the name depends on it) with its expected
/// action, resource and request tags.
pub(super) fn command_cases(w: &World) -> Vec<CommandCase> {
    let user = &iam("user/eng/Alice");
    let group = &iam("group/teams/Devs");
    let role = &iam("role/svc/Deployer");
    let profile = &iam("instance-profile/web/Web");
    let tags = json!([{"key": "env", "value": "prod"}]);
    let key = w.key.as_str();
    let code = "123456";
    let mut cases = vec![
        // Users.
        tagged(
            "iam:CreateUser",
            &iam("user/ops/Carol"),
            json!({"User": {"Create": {"name": "Carol", "path": "/ops/", "tags": tags}}}),
        ),
        c(
            "iam:DeleteUser",
            user,
            json!({"User": {"Delete": {"name": "alice"}}}),
        ),
        c(
            "iam:UpdateUser",
            user,
            json!({"User": {"Update": {"name": "alice", "new_path": "/x/"}}}),
        ),
        tagged(
            "iam:TagUser",
            user,
            json!({"User": {"Tag": {"name": "alice", "tags": tags}}}),
        ),
        c(
            "iam:UntagUser",
            user,
            json!({"User": {"Untag": {"name": "alice", "tag_keys": ["env"]}}}),
        ),
        // Groups.
        c(
            "iam:CreateGroup",
            &iam("group/g/Ops"),
            json!({"Group": {"Create": {"name": "Ops", "path": "/g/"}}}),
        ),
        c(
            "iam:UpdateGroup",
            group,
            json!({"Group": {"Update": {"name": "devs", "new_name": "devs2"}}}),
        ),
        c(
            "iam:DeleteGroup",
            group,
            json!({"Group": {"Delete": {"name": "devs"}}}),
        ),
        c(
            "iam:AddUserToGroup",
            group,
            json!({"Group": {"AddUser": {"group_name": "devs", "user_name": "alice"}}}),
        ),
        c(
            "iam:RemoveUserFromGroup",
            group,
            json!({"Group": {"RemoveUser": {"group_name": "devs", "user_name": "alice"}}}),
        ),
        // Roles.
        tagged(
            "iam:CreateRole",
            &iam("role/ci/Builder"),
            json!({"Role": {"Create": {"name": "Builder", "path": "/ci/",
                "assume_role_policy_document": TRUST, "tags": tags}}}),
        ),
        c(
            "iam:UpdateRole",
            role,
            json!({"Role": {"Update": {"name": "deployer", "max_session_duration": 7200}}}),
        ),
        c(
            "iam:UpdateRoleDescription",
            role,
            json!({"Role": {"UpdateDescription": {"name": "deployer", "description": "d"}}}),
        ),
        c(
            "iam:UpdateAssumeRolePolicy",
            role,
            json!({"Role": {"UpdateAssumeRolePolicy":
                {"name": "deployer", "policy_document": TRUST}}}),
        ),
        c(
            "iam:DeleteRole",
            role,
            json!({"Role": {"Delete": {"name": "deployer"}}}),
        ),
        tagged(
            "iam:TagRole",
            role,
            json!({"Role": {"Tag": {"name": "deployer", "tags": tags}}}),
        ),
        c(
            "iam:UntagRole",
            role,
            json!({"Role": {"Untag": {"name": "deployer", "tag_keys": ["env"]}}}),
        ),
        // Service-linked roles: the role created (by the service's path and role name) or
        // deleted.
        c(
            "iam:CreateServiceLinkedRole",
            &iam(
                "role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling_web",
            ),
            json!({"Role": {"CreateServiceLinked":
                {"aws_service_name": "autoscaling.amazonaws.com", "custom_suffix": "web"}}}),
        ),
        c(
            "iam:DeleteServiceLinkedRole",
            role,
            json!({"Role": {"DeleteServiceLinked": {"name": "deployer"}}}),
        ),
        // Instance profiles: the profile outranks the role.
        tagged(
            "iam:CreateInstanceProfile",
            &iam("instance-profile/api/Api"),
            json!({"InstanceProfile": {"Create": {"name": "Api", "path": "/api/", "tags": tags}}}),
        ),
        c(
            "iam:DeleteInstanceProfile",
            profile,
            json!({"InstanceProfile": {"Delete": {"name": "web"}}}),
        ),
        c(
            "iam:AddRoleToInstanceProfile",
            profile,
            json!({"InstanceProfile": {"AddRole":
                {"instance_profile_name": "web", "role_name": "deployer"}}}),
        ),
        c(
            "iam:RemoveRoleFromInstanceProfile",
            profile,
            json!({"InstanceProfile": {"RemoveRole":
                {"instance_profile_name": "web", "role_name": "deployer"}}}),
        ),
        tagged(
            "iam:TagInstanceProfile",
            profile,
            json!({"InstanceProfile": {"Tag": {"name": "web", "tags": tags}}}),
        ),
        c(
            "iam:UntagInstanceProfile",
            profile,
            json!({"InstanceProfile": {"Untag": {"name": "web", "tag_keys": ["env"]}}}),
        ),
        // Managed policies, by the ARN given.
        tagged(
            "iam:CreatePolicy",
            &iam("policy/adm/Admin"),
            json!({"Policy": {"Create": {"policy_name": "Admin", "path": "/adm/",
                "policy_document": DOC, "tags": tags}}}),
        ),
        c(
            "iam:DeletePolicy",
            POLICY,
            json!({"Policy": {"Delete": {"policy_arn": POLICY}}}),
        ),
        c(
            "iam:CreatePolicyVersion",
            POLICY,
            json!({"Policy": {"CreateVersion": {"policy_arn": POLICY, "policy_document": DOC}}}),
        ),
        c(
            "iam:DeletePolicyVersion",
            POLICY,
            json!({"Policy": {"DeleteVersion": {"policy_arn": POLICY, "version_id": "v1"}}}),
        ),
        c(
            "iam:SetDefaultPolicyVersion",
            POLICY,
            json!({"Policy": {"SetDefaultVersion": {"policy_arn": POLICY, "version_id": "v1"}}}),
        ),
        tagged(
            "iam:TagPolicy",
            POLICY,
            json!({"Policy": {"Tag": {"policy_arn": POLICY, "tags": tags}}}),
        ),
        c(
            "iam:UntagPolicy",
            POLICY,
            json!({"Policy": {"Untag": {"policy_arn": POLICY, "tag_keys": ["env"]}}}),
        ),
        // SSH public keys: the user named (the key need not exist).
        c(
            "iam:UploadSSHPublicKey",
            user,
            json!({"SshKey": {"Upload": {"user_name": "alice", "body": "ssh-rsa AAAA"}}}),
        ),
        c(
            "iam:UpdateSSHPublicKey",
            user,
            json!({"SshKey": {"Update": {"user_name": "ALICE", "ssh_public_key_id": "APKA0000000000000000", "status": "Inactive"}}}),
        ),
        c(
            "iam:DeleteSSHPublicKey",
            user,
            json!({"SshKey": {"Delete": {"user_name": "alice", "ssh_public_key_id": "APKA0000000000000000"}}}),
        ),
        // Signing certificates: the user named (the certificate need not exist).
        c(
            "iam:UploadSigningCertificate",
            user,
            json!({"SigningCert": {"Upload": {"user_name": "alice", "certificate_body": "-----BEGIN CERTIFICATE-----"}}}),
        ),
        c(
            "iam:UpdateSigningCertificate",
            user,
            json!({"SigningCert": {"Update": {"user_name": "ALICE", "certificate_id": "AAAAAAAAAAAAAAAAAAAAAAAA", "status": "Inactive"}}}),
        ),
        c(
            "iam:DeleteSigningCertificate",
            user,
            json!({"SigningCert": {"Delete": {"user_name": "alice", "certificate_id": "AAAAAAAAAAAAAAAAAAAAAAAA"}}}),
        ),
        // Access keys: the user named, else the key's owner read from the state.
        c(
            "iam:CreateAccessKey",
            user,
            json!({"AccessKey": {"Create": {"user_name": "alice"}}}),
        ),
        c(
            "iam:UpdateAccessKey",
            user,
            json!({"AccessKey": {"Update": {"access_key_id": key, "status": "Inactive"}}}),
        ),
        c(
            "iam:DeleteAccessKey",
            user,
            json!({"AccessKey": {"Delete": {"user_name": "ALICE", "access_key_id": key}}}),
        ),
        c(
            "iamd:RecordAccessKeyUse",
            user,
            json!({"AccessKey": {"RecordUse": {"access_key_id": key}}}),
        ),
        // Login profiles.
        c(
            "iam:CreateLoginProfile",
            user,
            json!({"LoginProfile": {"Create": {"user_name": "alice", "password": "pw"}}}),
        ),
        c(
            "iam:UpdateLoginProfile",
            user,
            json!({"LoginProfile": {"Update":
                {"user_name": "alice", "password_reset_required": true}}}),
        ),
        c(
            "iam:DeleteLoginProfile",
            user,
            json!({"LoginProfile": {"Delete": {"user_name": "alice"}}}),
        ),
        c(
            "iam:ChangePassword",
            user,
            json!({"LoginProfile": {"ChangePassword": {"user_name": "alice"}}}),
        ),
        c(
            "iamd:RecordPasswordUse",
            user,
            json!({"LoginProfile": {"RecordUse": {"user_name": "alice"}}}),
        ),
        c(
            "iamd:RecordFailedSignIn",
            user,
            json!({"LoginProfile": {"RecordFailure": {"user_name": "alice"}}}),
        ),
        c(
            "iamd:AuthenticateMFA",
            user,
            json!({"Mfa": {"Authenticate":
                {"user_name": "alice", "serial_number": "arn:aws:iam::123456789012:mfa/token", "code": "123456"}}}),
        ),
        // Virtual MFA devices: the user outranks the device.
        tagged(
            "iam:CreateVirtualMFADevice",
            &iam("mfa/m/token"),
            json!({"Mfa": {"CreateVirtual": {"name": "token", "path": "/m/", "tags": tags}}}),
        ),
        c(
            "iam:EnableMFADevice",
            user,
            json!({"Mfa": {"Enable": {"user_name": "alice", "serial_number": SERIAL,
                "authentication_code1": code, "authentication_code2": code}}}),
        ),
        c(
            "iam:DeactivateMFADevice",
            user,
            json!({"Mfa": {"Deactivate": {"user_name": "alice", "serial_number": SERIAL}}}),
        ),
        c(
            "iam:ResyncMFADevice",
            user,
            json!({"Mfa": {"Resync": {"user_name": "alice", "serial_number": SERIAL,
                "authentication_code1": code, "authentication_code2": code}}}),
        ),
        c(
            "iam:DeleteVirtualMFADevice",
            SERIAL,
            json!({"Mfa": {"DeleteVirtual": {"serial_number": SERIAL}}}),
        ),
        tagged(
            "iam:TagMFADevice",
            SERIAL,
            json!({"Mfa": {"Tag": {"serial_number": SERIAL, "tags": tags}}}),
        ),
        c(
            "iam:UntagMFADevice",
            SERIAL,
            json!({"Mfa": {"Untag": {"serial_number": SERIAL, "tag_keys": ["env"]}}}),
        ),
        // OpenID Connect providers: the new one by its URL without the scheme.
        tagged(
            "iam:CreateOpenIDConnectProvider",
            &iam("oidc-provider/new.example.com"),
            json!({"OidcProvider": {"Create": {"url": "https://new.example.com", "tags": tags}}}),
        ),
        c(
            "iam:DeleteOpenIDConnectProvider",
            OIDC,
            json!({"OidcProvider": {"Delete": {"provider_arn": OIDC}}}),
        ),
        c(
            "iam:AddClientIDToOpenIDConnectProvider",
            OIDC,
            json!({"OidcProvider": {"AddClientId": {"provider_arn": OIDC, "client_id": "c"}}}),
        ),
        c(
            "iam:RemoveClientIDFromOpenIDConnectProvider",
            OIDC,
            json!({"OidcProvider": {"RemoveClientId": {"provider_arn": OIDC, "client_id": "c"}}}),
        ),
        c(
            "iam:UpdateOpenIDConnectProviderThumbprint",
            OIDC,
            json!({"OidcProvider": {"UpdateThumbprint": {"provider_arn": OIDC, "thumbprint_list": []}}}),
        ),
        tagged(
            "iam:TagOpenIDConnectProvider",
            OIDC,
            json!({"OidcProvider": {"Tag": {"provider_arn": OIDC, "tags": tags}}}),
        ),
        c(
            "iam:UntagOpenIDConnectProvider",
            OIDC,
            json!({"OidcProvider": {"Untag": {"provider_arn": OIDC, "tag_keys": ["env"]}}}),
        ),
        // Server certificates: the new one by its path and name; the others by their
        // stored path and name.
        tagged(
            "iam:UploadServerCertificate",
            &iam("server-certificate/cf/New"),
            json!({"ServerCert": {"Upload": {"server_certificate_name": "New", "path": "/cf/",
                "certificate_body": "-----BEGIN CERTIFICATE-----", "tags": tags}}}),
        ),
        c(
            "iam:UpdateServerCertificate",
            SCERT,
            json!({"ServerCert": {"Update": {"server_certificate_name": "edge", "new_path": "/cdn/"}}}),
        ),
        c(
            "iam:DeleteServerCertificate",
            SCERT,
            json!({"ServerCert": {"Delete": {"server_certificate_name": "EDGE"}}}),
        ),
        tagged(
            "iam:TagServerCertificate",
            SCERT,
            json!({"ServerCert": {"Tag": {"server_certificate_name": "Edge", "tags": tags}}}),
        ),
        c(
            "iam:UntagServerCertificate",
            SCERT,
            json!({"ServerCert": {"Untag": {"server_certificate_name": "Edge", "tag_keys": ["env"]}}}),
        ),
        // Account settings.
        c(
            "iam:CreateAccountAlias",
            "*",
            json!({"Account": {"CreateAlias": {"alias": "acme"}}}),
        ),
        c(
            "iam:DeleteAccountAlias",
            "*",
            json!({"Account": {"DeleteAlias": {"alias": "acme"}}}),
        ),
        c(
            "iam:UpdateAccountPasswordPolicy",
            "*",
            json!({"Account": {"UpdatePasswordPolicy": {}}}),
        ),
        c(
            "iam:DeleteAccountPasswordPolicy",
            "*",
            json!({"Account": {"DeletePasswordPolicy": {}}}),
        ),
        c(
            "iam:GenerateCredentialReport",
            "*",
            json!({"Account": {"GenerateCredentialReport": {}}}),
        ),
        // Quotas: iamd's own.
        c(
            "iamd:RequestQuotaIncrease",
            "*",
            json!({"Quota": {"RequestQuotaIncrease":
                {"kind": "roles", "desired_value": 2000, "justification": "growth"}}}),
        ),
        c(
            "iamd:ApproveQuotaIncrease",
            "*",
            json!({"Quota": {"ApproveQuotaIncrease": {"request_id": "qr-1"}}}),
        ),
        c(
            "iamd:DenyQuotaIncrease",
            "*",
            json!({"Quota": {"DenyQuotaIncrease": {"request_id": "qr-1", "reason": "no"}}}),
        ),
        c(
            "iamd:SetUsageLimit",
            "*",
            json!({"Quota": {"SetUsageLimit": {"name": "ec2:vms", "limit": 3}}}),
        ),
        c(
            "iamd:AcquireUsage",
            "*",
            json!({"Quota": {"Acquire": {"name": "ec2:vms", "amount": 1}}}),
        ),
        c(
            "iamd:ReleaseUsage",
            "*",
            json!({"Quota": {"Release": {"name": "ec2:vms", "amount": 1}}}),
        ),
        c(
            "iamd:DeleteUsageCap",
            "*",
            json!({"Quota": {"DeleteUsageCap": {"name": "ec2:vms"}}}),
        ),
    ];
    // Policy ops on a principal name the principal (it outranks the policy).
    for (kind, name, resource, k) in [
        ("user", "alice", user, "User"),
        ("group", "devs", group, "Group"),
        ("role", "deployer", role, "Role"),
    ] {
        let per_kind = [
            (
                "Attach",
                json!({"policy_arn": POLICY}),
                format!("Attach{k}Policy"),
            ),
            (
                "Detach",
                json!({"policy_arn": POLICY}),
                format!("Detach{k}Policy"),
            ),
            (
                "PutInline",
                json!({"policy_name": "p", "policy_document": DOC}),
                format!("Put{k}Policy"),
            ),
            (
                "DeleteInline",
                json!({"policy_name": "p"}),
                format!("Delete{k}Policy"),
            ),
            (
                "PutBoundary",
                json!({"permissions_boundary": POLICY}),
                format!("Put{k}PermissionsBoundary"),
            ),
            (
                "DeleteBoundary",
                json!({}),
                format!("Delete{k}PermissionsBoundary"),
            ),
        ];
        for (variant, mut fields, action) in per_kind {
            if kind == "group" && variant.ends_with("Boundary") {
                continue;
            }
            fields["entity"] = json!(kind);
            fields["entity_name"] = json!(name);
            let op_json = json!({"Policy": {variant: fields}});
            cases.push(c(&format!("iam:{action}"), resource, op_json));
        }
    }
    cases
}

#[test]
fn every_command_family_maps_as_documented() {
    let w = World::new();
    let mut families = HashSet::new();
    for (op, action, resource, tags) in command_cases(&w) {
        let name = op.name();
        families.insert(std::mem::discriminant(&op));
        let t = w.target(op);
        assert_eq!(t.action, action, "{name}");
        assert_eq!(t.resource, resource, "{name}");
        assert_eq!(t.request_tags, tags, "{name}");
        assert_eq!(t.action.split_once(':').map(|(_, n)| n), Some(name));
    }
    assert_eq!(families.len(), 14, "one case at least per op family");
    let t = command_target(
        &w.s,
        &Command::SandboxReset {
            account_id: A.into(),
            name: "x".into(),
            email: "e@x.io".into(),
        },
    );
    assert_eq!(
        (t.action.as_str(), t.resource.as_str()),
        ("iamd:SandboxReset", "arn:aws:iamd:::account/*")
    );
}

/// A query case.
fn qc(action: &str, resource: &str, q_json: Value) -> (Q, String, String) {
    (q(q_json), action.to_owned(), resource.to_owned())
}

/// Every query variant (per principal kind where the name depends on it) with its
/// expected action and resource.
pub(super) fn query_cases(w: &World) -> Vec<(Q, String, String)> {
    let user = &iam("user/eng/Alice");
    let group = &iam("group/teams/Devs");
    let role = &iam("role/svc/Deployer");
    let profile = &iam("instance-profile/web/Web");
    let key = w.key.as_str();
    let mut cases = vec![
        qc(
            "iam:GetUser",
            user,
            json!({"User": {"Get": {"name": "ALICE"}}}),
        ),
        qc(
            "iam:ListUsers",
            &iam("user/eng/*"),
            json!({"User": {"List": {"path_prefix": "/eng/"}}}),
        ),
        qc(
            "iam:ListUserTags",
            user,
            json!({"User": {"ListTags": {"name": "alice"}}}),
        ),
        qc(
            "iam:GetGroup",
            group,
            json!({"Group": {"Get": {"name": "devs"}}}),
        ),
        qc(
            "iam:ListGroups",
            &iam("group/teams/*"),
            json!({"Group": {"List": {"path_prefix": "/teams/"}}}),
        ),
        qc(
            "iam:ListGroupsForUser",
            user,
            json!({"Group": {"ListForUser": {"user_name": "alice"}}}),
        ),
        qc(
            "iam:GetRole",
            role,
            json!({"Role": {"Get": {"name": "deployer"}}}),
        ),
        qc(
            "iam:ListRoles",
            &iam("role/*"),
            json!({"Role": {"List": {}}}),
        ),
        qc(
            "iam:ListRoleTags",
            role,
            json!({"Role": {"ListTags": {"name": "deployer"}}}),
        ),
        // The role the task id names (deleted by now).
        qc(
            "iam:GetServiceLinkedRoleDeletionStatus",
            &iam("role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"),
            json!({"Role": {"ServiceLinkedDeletionStatus": {"deletion_task_id":
                "task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"}}}),
        ),
        qc(
            "iam:GetInstanceProfile",
            profile,
            json!({"InstanceProfile": {"Get": {"name": "web"}}}),
        ),
        qc(
            "iam:ListInstanceProfiles",
            &iam("instance-profile/web/*"),
            json!({"InstanceProfile": {"List": {"path_prefix": "/web/"}}}),
        ),
        qc(
            "iam:ListInstanceProfilesForRole",
            role,
            json!({"InstanceProfile": {"ListForRole": {"role_name": "deployer"}}}),
        ),
        qc(
            "iam:ListInstanceProfileTags",
            profile,
            json!({"InstanceProfile": {"ListTags": {"name": "web"}}}),
        ),
        qc(
            "iam:GetPolicy",
            POLICY,
            json!({"Policy": {"Get": {"policy_arn": POLICY}}}),
        ),
        qc(
            "iam:ListPolicies",
            &iam("policy/pol/*"),
            json!({"Policy": {"List": {"path_prefix": "/pol/"}}}),
        ),
        qc(
            "iam:GetPolicyVersion",
            POLICY,
            json!({"Policy": {"GetVersion": {"policy_arn": POLICY, "version_id": "v1"}}}),
        ),
        qc(
            "iam:ListPolicyVersions",
            POLICY,
            json!({"Policy": {"ListVersions": {"policy_arn": POLICY}}}),
        ),
        qc(
            "iam:ListPolicyTags",
            POLICY,
            json!({"Policy": {"ListTags": {"policy_arn": POLICY}}}),
        ),
        qc(
            "iam:ListEntitiesForPolicy",
            POLICY,
            json!({"Policy": {"ListEntities": {"policy_arn": POLICY}}}),
        ),
        qc(
            "iam:ListSSHPublicKeys",
            user,
            json!({"SshKey": {"List": {"user_name": "alice"}}}),
        ),
        qc(
            "iam:GetSSHPublicKey",
            user,
            json!({"SshKey": {"Get": {"user_name": "alice", "ssh_public_key_id": "APKA0000000000000000", "encoding": "SSH"}}}),
        ),
        qc(
            "iam:ListSigningCertificates",
            user,
            json!({"SigningCert": {"List": {"user_name": "alice"}}}),
        ),
        qc(
            "iam:ListAccessKeys",
            user,
            json!({"AccessKey": {"List": {"user_name": "alice"}}}),
        ),
        qc(
            "iam:GetAccessKeyLastUsed",
            user,
            json!({"AccessKey": {"GetLastUsed": {"access_key_id": key}}}),
        ),
        qc(
            "iamd:LookupAccessKey",
            user,
            json!({"AccessKey": {"Lookup": {"access_key_id": key}}}),
        ),
        qc(
            "iam:GetLoginProfile",
            user,
            json!({"LoginProfile": {"Get": {"user_name": "alice"}}}),
        ),
        qc(
            "iam:ListVirtualMFADevices",
            &iam("mfa/*"),
            json!({"Mfa": {"ListVirtual": {}}}),
        ),
        qc(
            "iam:ListMFADevices",
            user,
            json!({"Mfa": {"List": {"user_name": "alice"}}}),
        ),
        qc(
            "iam:ListMFADeviceTags",
            SERIAL,
            json!({"Mfa": {"ListTags": {"serial_number": SERIAL}}}),
        ),
        qc(
            "iam:GetServerCertificate",
            SCERT,
            json!({"ServerCert": {"Get": {"server_certificate_name": "edge"}}}),
        ),
        qc(
            "iam:ListServerCertificates",
            &iam("server-certificate/cdn/*"),
            json!({"ServerCert": {"List": {"path_prefix": "/cdn/"}}}),
        ),
        qc(
            "iam:ListServerCertificateTags",
            SCERT,
            json!({"ServerCert": {"ListTags": {"server_certificate_name": "Edge"}}}),
        ),
        qc(
            "iam:GetOpenIDConnectProvider",
            OIDC,
            json!({"OidcProvider": {"Get": {"provider_arn": OIDC}}}),
        ),
        qc(
            "iam:ListOpenIDConnectProviders",
            &iam("oidc-provider/*"),
            json!({"OidcProvider": {"List": {}}}),
        ),
        qc(
            "iam:ListOpenIDConnectProviderTags",
            OIDC,
            json!({"OidcProvider": {"ListTags": {"provider_arn": OIDC}}}),
        ),
        qc(
            "iam:GetMFADevice",
            user,
            json!({"Mfa": {"Get": {"user_name": "alice", "serial_number": "arn:aws:iam::111122223333:mfa/alice"}}}),
        ),
        qc(
            "iam:ListAccountAliases",
            "*",
            json!({"Account": {"ListAliases": {}}}),
        ),
        qc(
            "iam:GetAccountPasswordPolicy",
            "*",
            json!({"Account": {"GetPasswordPolicy": {}}}),
        ),
        qc(
            "iam:GetAccountSummary",
            "*",
            json!({"Account": {"GetSummary": {}}}),
        ),
        qc(
            "iam:GetCredentialReport",
            "*",
            json!({"Account": {"GetCredentialReport": {"now_ms": 0}}}),
        ),
        qc(
            "iam:GetAccountAuthorizationDetails",
            "*",
            json!({"Account": {"GetAuthorizationDetails": {"filter": ["Role"]}}}),
        ),
        qc("iamd:ListQuotas", "*", json!({"Quota": "ListQuotas"})),
        qc(
            "iamd:ListQuotaRequests",
            "*",
            json!({"Quota": {"ListQuotaRequests": {}}}),
        ),
        qc(
            "iamd:GetQuotaRequest",
            "*",
            json!({"Quota": {"GetQuotaRequest": {"id": "qr-1"}}}),
        ),
        qc(
            "iamd:GetUsage",
            "*",
            json!({"Quota": {"GetUsage": {"name": "ec2:vms"}}}),
        ),
        qc("iamd:ListUsage", "*", json!({"Quota": {"ListUsage": {}}})),
        qc(
            "iamd:LookupEvents",
            "*",
            json!({"Events": {"Lookup": {"principal": null, "action": "CreateUser"}}}),
        ),
    ];
    for (kind, name, resource, k) in [
        ("user", "alice", user, "User"),
        ("group", "devs", group, "Group"),
        ("role", "deployer", role, "Role"),
    ] {
        for (variant, action) in [
            ("ListAttached", format!("ListAttached{k}Policies")),
            ("GetInline", format!("Get{k}Policy")),
            ("ListInline", format!("List{k}Policies")),
        ] {
            let fields = json!({"entity": kind, "entity_name": name, "policy_name": "p"});
            let q_json = json!({"Policy": {variant: fields}});
            cases.push(qc(&format!("iam:{action}"), resource, q_json));
        }
    }
    cases
}

#[test]
fn every_query_family_maps_as_documented() {
    let w = World::new();
    let mut families = HashSet::new();
    for (q, action, resource) in query_cases(&w) {
        families.insert(std::mem::discriminant(&q));
        let query = Query::in_account(A, q);
        let t = query_target(&w.s, &query);
        assert_eq!(t.action, action, "{}", query.name());
        assert_eq!(t.resource, resource, "{}", query.name());
        assert!(t.request_tags.is_empty());
        assert_eq!(t.action.split_once(':').map(|(_, n)| n), Some(query.name()));
    }
    assert_eq!(families.len(), 15, "one case at least per query family");
}

#[test]
fn iamd_actions_are_exactly_the_iamd_targets() {
    // Every iamd: action the mapping produces is listed, and every listed name is produced
    // by some command or query (no stale entry, no AWS action under the iamd: prefix).
    let w = World::new();
    let mut seen = BTreeSet::new();
    let mut iam_names = BTreeSet::new();
    let mut record = |t: Target| match t.action.split_once(':') {
        Some(("iamd", name)) => {
            seen.insert(name.to_owned());
        }
        Some(("iam", name)) => {
            iam_names.insert(name.to_owned());
        }
        _ => panic!("unexpected action {}", t.action),
    };
    for (op, ..) in command_cases(&w) {
        record(w.target(op));
    }
    for (q, ..) in query_cases(&w) {
        record(w.q_target(q));
    }
    record(command_target(&w.s, &create_account("111122223333")));
    record(command_target(
        &w.s,
        &Command::SandboxReset {
            account_id: A.into(),
            name: "x".into(),
            email: "e@x.io".into(),
        },
    ));
    let restore = command_target(&w.s, &Command::RestoreState { pairs: vec![] });
    assert_eq!(restore.resource, "arn:aws:iamd:::account/*");
    record(restore);
    record(command_target(
        &w.s,
        &Command::RotateTokenKey {
            sealed_key: String::new(),
        },
    ));
    let revoke = command_target(&w.s, &Command::RevokeTokenKey { key_id: 1 });
    assert_eq!(revoke.resource, "arn:aws:iamd:::keyring");
    record(revoke);
    let finalize = command_target(&w.s, &Command::FinalizeRelease { release: 2 });
    assert_eq!(finalize.resource, "arn:aws:iamd:::cluster");
    record(finalize);
    record(query_target(&w.s, &Query::ListAccounts));
    record(query_target(
        &w.s,
        &Query::GetAccount {
            account_id: A.into(),
        },
    ));
    let listed: BTreeSet<String> = IAMD_ACTIONS.iter().map(|n| (*n).to_owned()).collect();
    assert_eq!(seen, listed);
    assert!(iam_names.is_disjoint(&listed));
}
