//! The condition keys each target carries (`Target::context`), checked against the Service
//! Authorization Reference's table for IAM ("Actions, resources, and condition keys for AWS
//! Identity and Access Management (IAM)"), written out here independently of the mapping:
//! every op and query case of `cases.rs` with the keys AWS lists for its action, in a world
//! where every taggable entity has a tag and the user and role a permissions boundary.

use super::cases::{command_cases, query_cases};
use super::*;
use iam_state::ops::policies::BoundaryEntity;

/// `aws:ResourceTag` and `iam:ResourceTag` of user Alice (tag owner=alice).
const USER: &[&str] = &["aws:ResourceTag/owner", "iam:ResourceTag/owner"];
/// Role Deployer (tier=prod).
const ROLE: &[&str] = &["aws:ResourceTag/tier", "iam:ResourceTag/tier"];
/// Managed policy ReadOnly (scope=read): `aws:ResourceTag` only.
const POL: &[&str] = &["aws:ResourceTag/scope"];
/// Instance profile Web (site=web).
const PROFILE: &[&str] = &["aws:ResourceTag/site"];
/// Virtual MFA device alice-phone (device=phone).
const DEVICE: &[&str] = &["aws:ResourceTag/device"];
/// OpenID Connect provider idp.example.com/tenant (idp=corp).
const IDP: &[&str] = &["aws:ResourceTag/idp"];
/// Server certificate Edge (cdn=edge).
const CERT: &[&str] = &["aws:ResourceTag/cdn"];
const PB: &str = "iam:PermissionsBoundary";
const ARN: &str = "iam:PolicyARN";
const KEYS: &str = "aws:TagKeys";

/// The SAR's keys for an action (beyond `aws:RequestTag`/`aws:TagKeys` of request tags,
/// which the server derives from `request_tags`), in the tagged world below.
fn expected(action: &str) -> Vec<&'static str> {
    let with = |base: &[&'static str], more: &[&'static str]| {
        base.iter().chain(more).copied().collect::<Vec<_>>()
    };
    match action {
        // Users (resource user*: aws:ResourceTag, iam:ResourceTag).
        "DeleteUser"
        | "UpdateUser"
        | "TagUser"
        | "GetUser"
        | "ListUserTags"
        | "ListGroupsForUser"
        | "CreateAccessKey"
        | "UpdateAccessKey"
        | "DeleteAccessKey"
        | "ListAccessKeys"
        | "GetAccessKeyLastUsed"
        | "UploadSSHPublicKey"
        | "GetSSHPublicKey"
        | "ListSSHPublicKeys"
        | "UpdateSSHPublicKey"
        | "DeleteSSHPublicKey"
        | "UploadSigningCertificate"
        | "ListSigningCertificates"
        | "UpdateSigningCertificate"
        | "DeleteSigningCertificate"
        | "CreateLoginProfile"
        | "UpdateLoginProfile"
        | "DeleteLoginProfile"
        | "GetLoginProfile"
        | "ChangePassword"
        | "EnableMFADevice"
        | "DeactivateMFADevice"
        | "ResyncMFADevice"
        | "ListMFADevices"
        | "GetMFADevice"
        | "ListAttachedUserPolicies"
        | "GetUserPolicy"
        | "ListUserPolicies" => USER.to_vec(),
        "UntagUser" => with(USER, &[KEYS]),
        "PutUserPolicy"
        | "DeleteUserPolicy"
        | "PutUserPermissionsBoundary"
        | "DeleteUserPermissionsBoundary" => with(USER, &[PB]),
        "AttachUserPolicy" | "DetachUserPolicy" => with(USER, &[PB, ARN]),
        // Groups take no tags.
        "AttachGroupPolicy" | "DetachGroupPolicy" => vec![ARN],
        // Roles.
        "TagRole"
        | "DeleteServiceLinkedRole"
        | "ListRoleTags"
        | "ListInstanceProfilesForRole"
        | "ListAttachedRolePolicies"
        | "GetRolePolicy"
        | "ListRolePolicies" => ROLE.to_vec(),
        "UntagRole" => with(ROLE, &[KEYS]),
        "UpdateRole"
        | "UpdateRoleDescription"
        | "UpdateAssumeRolePolicy"
        | "DeleteRole"
        | "GetRole"
        | "PutRolePolicy"
        | "DeleteRolePolicy"
        | "PutRolePermissionsBoundary"
        | "DeleteRolePermissionsBoundary" => with(ROLE, &[PB]),
        "AttachRolePolicy" | "DetachRolePolicy" => with(ROLE, &[PB, ARN]),
        // The role to be (role*, before it exists: no tags) and the service.
        "CreateServiceLinkedRole" => vec!["iam:AWSServiceName"],
        // Instance profiles (instance-profile*: aws:ResourceTag).
        "DeleteInstanceProfile"
        | "AddRoleToInstanceProfile"
        | "RemoveRoleFromInstanceProfile"
        | "TagInstanceProfile"
        | "GetInstanceProfile"
        | "ListInstanceProfileTags" => PROFILE.to_vec(),
        "UntagInstanceProfile" => with(PROFILE, &[KEYS]),
        // Managed policies (policy*: aws:ResourceTag).
        "DeletePolicy"
        | "CreatePolicyVersion"
        | "DeletePolicyVersion"
        | "SetDefaultPolicyVersion"
        | "TagPolicy"
        | "GetPolicy"
        | "GetPolicyVersion"
        | "ListPolicyVersions"
        | "ListPolicyTags"
        | "ListEntitiesForPolicy" => POL.to_vec(),
        "UntagPolicy" => with(POL, &[KEYS]),
        "DeleteVirtualMFADevice" | "ListMFADeviceTags" | "TagMFADevice" => DEVICE.to_vec(),
        "UntagMFADevice" => with(DEVICE, &[KEYS]),
        // OpenID Connect providers (oidc-provider*: aws:ResourceTag).
        "DeleteOpenIDConnectProvider"
        | "AddClientIDToOpenIDConnectProvider"
        | "RemoveClientIDFromOpenIDConnectProvider"
        | "UpdateOpenIDConnectProviderThumbprint"
        | "TagOpenIDConnectProvider"
        | "GetOpenIDConnectProvider"
        | "ListOpenIDConnectProviderTags" => IDP.to_vec(),
        "UntagOpenIDConnectProvider" => with(IDP, &[KEYS]),
        // Server certificates (server-certificate*: aws:ResourceTag).
        "UpdateServerCertificate"
        | "DeleteServerCertificate"
        | "TagServerCertificate"
        | "GetServerCertificate"
        | "ListServerCertificateTags" => CERT.to_vec(),
        "UntagServerCertificate" => with(CERT, &[KEYS]),
        // Creations (no resource yet; no boundary in these cases), groups, lists, account
        // settings, and iamd's own actions.
        _ => vec![],
    }
}

fn key_names(t: &Target) -> Vec<String> {
    let mut names: Vec<String> = t.context.iter().map(|(k, _)| k.clone()).collect();
    names.sort();
    names
}

fn sorted(keys: Vec<&str>) -> Vec<String> {
    let mut keys: Vec<String> = keys.into_iter().map(str::to_owned).collect();
    keys.sort();
    keys
}

/// `World::new` plus a tag on every taggable entity and a boundary on Alice and Deployer.
fn tagged_world() -> World {
    let mut w = World::new();
    w.ok(UserOp::Tag {
        name: "Alice".into(),
        tags: vec![tag("owner", "alice")],
    });
    w.ok(RoleOp::Tag {
        name: "Deployer".into(),
        tags: vec![tag("tier", "prod")],
    });
    w.ok(InstanceProfileOp::Tag {
        name: "Web".into(),
        tags: vec![tag("site", "web")],
    });
    w.ok(PolicyOp::Tag {
        policy_arn: POLICY.into(),
        tags: vec![tag("scope", "read")],
    });
    for (entity, entity_name) in [
        (BoundaryEntity::User, "Alice"),
        (BoundaryEntity::Role, "Deployer"),
    ] {
        w.ok(PolicyOp::PutBoundary {
            entity,
            entity_name: entity_name.into(),
            permissions_boundary: POLICY.into(),
        });
    }
    w
}

#[test]
fn every_command_carries_the_keys_the_reference_lists() {
    let w = tagged_world();
    for (op, action, ..) in command_cases(&w) {
        let t = w.target(op);
        let name = action.split_once(':').map_or("", |(_, n)| n);
        assert_eq!(key_names(&t), sorted(expected(name)), "{action}");
    }
}

#[test]
fn every_query_carries_the_keys_the_reference_lists() {
    let w = tagged_world();
    for (q, action, _) in query_cases(&w) {
        let t = w.q_target(q);
        let name = action.split_once(':').map_or("", |(_, n)| n);
        assert_eq!(key_names(&t), sorted(expected(name)), "{action}");
    }
}

fn value<'t>(t: &'t Target, key: &str) -> Option<&'t [String]> {
    t.context
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_slice())
}

#[test]
fn resource_tags_are_the_current_ones() {
    let mut w = tagged_world();
    let untag = |w: &World| {
        w.target(RoleOp::Untag {
            name: "deployer".into(),
            tag_keys: vec!["tier".into(), "other".into()],
        })
    };
    let t = untag(&w);
    assert_eq!(
        value(&t, "aws:ResourceTag/tier"),
        Some(&["prod".to_owned()][..])
    );
    assert_eq!(
        value(&t, "iam:ResourceTag/tier"),
        Some(&["prod".to_owned()][..])
    );
    // Untag*: aws:TagKeys is the list of keys removed (multi-valued even for one key).
    assert_eq!(
        value(&t, "aws:TagKeys"),
        Some(&["tier".to_owned(), "other".to_owned()][..])
    );
    // Once the tag is gone it is no longer the resource's.
    w.ok(RoleOp::Untag {
        name: "Deployer".into(),
        tag_keys: vec!["tier".into()],
    });
    assert_eq!(value(&untag(&w), "aws:ResourceTag/tier"), None);
    // A Tag* sees the tags before it (the new ones are aws:RequestTag).
    let t = w.target(UserOp::Tag {
        name: "alice".into(),
        tags: vec![tag("owner", "mallory")],
    });
    assert_eq!(
        value(&t, "aws:ResourceTag/owner"),
        Some(&["alice".to_owned()][..])
    );
    assert_eq!(t.request_tags, pairs(&[("owner", "mallory")]));
}

#[test]
fn the_boundary_is_the_requested_one_when_the_call_sets_it() {
    let w = tagged_world();
    let other = "arn:aws:iam::123456789012:policy/Other";
    let t = w.target(PolicyOp::PutBoundary {
        entity: BoundaryEntity::User,
        entity_name: "alice".into(),
        permissions_boundary: other.into(),
    });
    assert_eq!(value(&t, PB), Some(&[other.to_owned()][..]));
    let t = w.target(PolicyOp::DeleteBoundary {
        entity: BoundaryEntity::Role,
        entity_name: "deployer".into(),
    });
    assert_eq!(value(&t, PB), Some(&[POLICY.to_owned()][..]));
    let t = w.target(UserOp::Create {
        name: "Carol".into(),
        path: "/".into(),
        tags: vec![],
        permissions_boundary: Some(other.into()),
        user_id: String::new(),
    });
    assert_eq!(value(&t, PB), Some(&[other.to_owned()][..]));
    let t = w.target(RoleOp::Create {
        name: "Builder".into(),
        path: "/".into(),
        assume_role_policy_document: TRUST.into(),
        description: None,
        max_session_duration: None,
        permissions_boundary: None,
        tags: vec![],
        role_id: String::new(),
    });
    assert_eq!(value(&t, PB), None, "no boundary requested, none supplied");
    // Without a boundary (World::new), actions listing the key do not carry it.
    let plain = World::new();
    let t = plain.target(RoleOp::UpdateAssumeRolePolicy {
        name: "deployer".into(),
        policy_document: TRUST.into(),
    });
    assert_eq!(value(&t, PB), None);
}

#[test]
fn attach_and_detach_carry_the_policy_arn() {
    let w = tagged_world();
    let other = "arn:aws:iam::123456789012:policy/adm/Admin";
    for entity in [EntityKind::User, EntityKind::Group, EntityKind::Role] {
        let name = match entity {
            EntityKind::User => "alice",
            EntityKind::Group => "devs",
            EntityKind::Role => "deployer",
        };
        let t = w.target(PolicyOp::Attach {
            entity,
            entity_name: name.into(),
            policy_arn: other.into(),
        });
        assert_eq!(
            value(&t, ARN),
            Some(&[other.to_owned()][..]),
            "{}",
            t.action
        );
    }
}

#[test]
fn update_user_and_group_also_name_the_new_arn() {
    let w = World::new();
    let t = w.target(UserOp::Update {
        name: "alice".into(),
        new_name: None,
        new_path: Some("/admins/".into()),
    });
    assert_eq!(t.resource, iam("user/eng/Alice"));
    assert_eq!(t.extra_resources, vec![iam("user/admins/Alice")]);
    let t = w.target(UserOp::Update {
        name: "alice".into(),
        new_name: Some("Root2".into()),
        new_path: None,
    });
    assert_eq!(t.extra_resources, vec![iam("user/eng/Root2")]);
    assert_eq!(
        t.resources().collect::<Vec<_>>(),
        vec![iam("user/eng/Alice"), iam("user/eng/Root2")]
    );
    // Nothing moves: one resource.
    let t = w.target(UserOp::Update {
        name: "alice".into(),
        new_name: Some("Alice".into()),
        new_path: Some("/eng/".into()),
    });
    assert!(t.extra_resources.is_empty());
    let t = w.target(GroupOp::Update {
        name: "devs".into(),
        new_name: Some("Ops".into()),
        new_path: Some("/x/".into()),
    });
    assert_eq!(
        (t.resource.as_str(), t.extra_resources.as_slice()),
        (iam("group/teams/Devs").as_str(), &[iam("group/x/Ops")][..])
    );
}

#[test]
fn a_principal_target_has_the_principal_tags_only_under_its_exact_arn() {
    let w = tagged_world();
    let t = principal_target(&w.s, A, "SimulatePrincipalPolicy", &iam("user/eng/Alice"));
    assert_eq!(t.action, "iam:SimulatePrincipalPolicy");
    assert_eq!(key_names(&t), sorted(USER.to_vec()));
    // Wrong path, another account's ARN, a missing user: the bare ARN.
    for arn in [
        iam("user/Alice"),
        "arn:aws:iam::210987654321:user/bob".to_owned(),
        iam("user/ghost"),
    ] {
        let t = principal_target(&w.s, A, "SimulatePrincipalPolicy", &arn);
        assert_eq!(t.resource, arn);
        assert!(t.context.is_empty(), "{arn}");
    }
}

#[test]
fn create_service_linked_role_carries_the_service_name() {
    let w = World::new();
    let t = w.target(RoleOp::CreateServiceLinked {
        aws_service_name: "ecs.amazonaws.com".into(),
        description: None,
        custom_suffix: None,
        role_id: String::new(),
    });
    assert_eq!(t.action, "iam:CreateServiceLinkedRole");
    assert_eq!(
        value(&t, "iam:AWSServiceName"),
        Some(&["ecs.amazonaws.com".to_owned()][..])
    );
}
