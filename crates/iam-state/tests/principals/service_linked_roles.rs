//! Service-linked roles: refused until the cluster runs release 5; then created (names,
//! suffixes, path, trust policy, quota, a taken name), protected from the ordinary role
//! operations (their description stays editable), deleted with their attachments and a
//! recorded task, whose status reads back. Before release 5 the ordinary operations keep
//! their old behaviour on a role under `/aws-service-role/`.

use super::*;
use iam_state::keys;
use iam_state::ops::policies::{BoundaryEntity, EntityKind, PolicyOp};
use iam_state::ops::roles::service_linked::{self, DELETION_TASKS_MAX};
use iam_state::release::SERVICE_LINKED_ROLES;

const UUID: &str = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";

fn finalized() -> S {
    let mut s = S::new();
    s.request(Command::FinalizeRelease {
        release: SERVICE_LINKED_ROLES,
    })
    .unwrap();
    s
}

fn create(service: &str, suffix: Option<&str>) -> RoleOp {
    RoleOp::CreateServiceLinked {
        aws_service_name: service.into(),
        description: None,
        custom_suffix: suffix.map(str::to_owned),
        role_id: "AROASERVICELINKED0001".into(),
    }
}

fn delete(name: &str, uuid: &str) -> RoleOp {
    RoleOp::DeleteServiceLinked {
        name: name.into(),
        task_uuid: uuid.into(),
    }
}

fn uuid(n: usize) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

fn status(task_id: &str) -> RoleQuery {
    RoleQuery::ServiceLinkedDeletionStatus {
        deletion_task_id: task_id.into(),
    }
}

fn role_at(name: &str, path: &str) -> RoleOp {
    let mut op = role(name);
    if let RoleOp::Create { path: p, .. } = &mut op {
        *p = path.into();
    }
    op
}

fn update_duration(name: &str) -> RoleOp {
    RoleOp::Update {
        name: name.into(),
        description: None,
        max_session_duration: Some(7200),
    }
}

fn update_trust(name: &str) -> RoleOp {
    RoleOp::UpdateAssumeRolePolicy {
        name: name.into(),
        policy_document: TRUST.into(),
    }
}

fn managed(name: &str) -> PolicyOp {
    PolicyOp::Create {
        policy_name: name.into(),
        path: "/".into(),
        policy_document:
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
                .into(),
        description: String::new(),
        tags: vec![],
        policy_id: format!("ANPA{name:0>17}"),
    }
}

fn policy_arn(name: &str) -> String {
    format!("arn:aws:iam::{A}:policy/{name}")
}

#[test]
fn the_ops_are_refused_before_release_5_with_nothing_changed() {
    let mut s = S::new();
    let m = s.err(
        create("autoscaling.amazonaws.com", None),
        ErrorCode::ValidationError,
    );
    assert!(
        m.contains("CreateServiceLinkedRole needs the cluster to run release 5"),
        "{m}"
    );
    let m = s.err(
        delete("AWSServiceRoleForAutoScaling", UUID),
        ErrorCode::ValidationError,
    );
    assert!(m.contains("DeleteServiceLinkedRole needs the cluster to run release 5"));
    assert_eq!(s.count("roles"), 0);
}

#[test]
fn before_release_5_a_role_under_the_service_path_keeps_the_old_behaviour() {
    let mut s = S::new();
    let path = "/aws-service-role/x.amazonaws.com/";
    s.ok(role_at("Legacy", path));
    s.ok(update_duration("Legacy"));
    s.ok(update_trust("Legacy"));
    s.ok(RoleOp::Delete {
        name: "Legacy".into(),
    });
    assert_eq!(s.count("roles"), 0);

    // Made before the upgrade, it is service-linked after it: protected, and
    // DeleteServiceLinkedRole deletes it.
    s.ok(role_at("Legacy", path));
    s.request(Command::FinalizeRelease {
        release: SERVICE_LINKED_ROLES,
    })
    .unwrap();
    s.err(
        RoleOp::Delete {
            name: "Legacy".into(),
        },
        ErrorCode::UnmodifiableEntity,
    );
    let r = s.ok(delete("legacy", UUID));
    assert_eq!(
        r["deletion_task_id"],
        format!("task/aws-service-role/x.amazonaws.com/Legacy/{UUID}")
    );
    assert_eq!(s.count("roles"), 0);
}

#[test]
fn create_names_the_role_after_its_service() {
    let mut s = finalized();
    let r = s.ok(create("autoscaling.amazonaws.com", None));
    assert_eq!(r["name"], "AWSServiceRoleForAutoScaling");
    assert_eq!(r["path"], "/aws-service-role/autoscaling.amazonaws.com/");
    assert_eq!(
        r["arn"],
        format!(
            "arn:aws:iam::{A}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
        )
    );
    assert_eq!(r["id"], "AROASERVICELINKED0001");
    assert_eq!(r["max_session_duration"], 3600);
    assert_eq!(r["description"], "");
    assert_eq!(
        r["assume_role_policy"],
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"autoscaling.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
    );
    assert_eq!(s.count("roles"), 1);
    // GetRole and ListRoles show it like any role.
    let got = s.qok(RoleQuery::Get {
        name: "awsserviceroleforautoscaling".into(),
    });
    assert_eq!(got["path"], r["path"]);
    let listed = s.qok(RoleQuery::List {
        path_prefix: "/aws-service-role/".into(),
        page: PageRequest::default(),
    });
    assert_eq!(names(&listed["items"]), ["AWSServiceRoleForAutoScaling"]);

    for (service, name) in [
        (
            "elasticloadbalancing.amazonaws.com",
            "AWSServiceRoleForElasticLoadBalancing",
        ),
        ("ecs.amazonaws.com", "AWSServiceRoleForECS"),
        ("rds.amazonaws.com", "AWSServiceRoleForRDS"),
        ("eks.amazonaws.com", "AWSServiceRoleForAmazonEKS"),
        ("spot.amazonaws.com", "AWSServiceRoleForEC2Spot"),
        (
            "organizations.amazonaws.com",
            "AWSServiceRoleForOrganizations",
        ),
        (
            "elasticbeanstalk.amazonaws.com",
            "AWSServiceRoleForElasticBeanstalk",
        ),
        ("config.amazonaws.com", "AWSServiceRoleForConfig"),
        // Unknown services: the first label, capitalized.
        ("widgets.amazonaws.com", "AWSServiceRoleForWidgets"),
        ("batch.ops.amazonaws.com", "AWSServiceRoleForBatch"),
    ] {
        assert_eq!(s.ok(create(service, None))["name"], name, "{service}");
    }
    assert_eq!(s.count("roles"), 11);
}

#[test]
fn a_custom_suffix_only_where_the_service_takes_one() {
    let mut s = finalized();
    let r = s.ok(create("autoscaling.amazonaws.com", Some("fleet-1")));
    assert_eq!(r["name"], "AWSServiceRoleForAutoScaling_fleet-1");
    assert_eq!(r["path"], "/aws-service-role/autoscaling.amazonaws.com/");
    let r = s.ok(create("widgets.amazonaws.com", Some("a")));
    assert_eq!(r["name"], "AWSServiceRoleForWidgets_a");
    let m = s.err(
        create("ecs.amazonaws.com", Some("x")),
        ErrorCode::InvalidInput,
    );
    assert_eq!(m, "Custom suffix is not allowed for ecs.amazonaws.com");
    s.err(
        create("autoscaling.amazonaws.com", Some("")),
        ErrorCode::ValidationError,
    );
    s.err(
        create("autoscaling.amazonaws.com", Some("bad/suffix")),
        ErrorCode::ValidationError,
    );
    s.err(
        create("autoscaling.amazonaws.com", Some(&"s".repeat(65))),
        ErrorCode::ValidationError,
    );
    // A suffix within its 64 characters can still make the name longer than a role name.
    s.err(
        create("autoscaling.amazonaws.com", Some(&"s".repeat(64))),
        ErrorCode::ValidationError,
    );
}

#[test]
fn a_taken_name_and_bad_input_change_nothing() {
    let mut s = finalized();
    s.ok(create("ecs.amazonaws.com", None));
    let m = s.err(create("ecs.amazonaws.com", None), ErrorCode::InvalidInput);
    assert_eq!(
        m,
        "Service role name AWSServiceRoleForECS has been taken in this account, please try a different suffix."
    );
    // An ordinary role of that name (any case) takes it too.
    s.ok(role("awsserviceroleforrds"));
    s.err(create("rds.amazonaws.com", None), ErrorCode::InvalidInput);
    s.err(create("", None), ErrorCode::ValidationError);
    s.err(
        create("bad name.amazonaws.com", None),
        ErrorCode::ValidationError,
    );
    s.err(
        create(&format!("{}.amazonaws.com", "a".repeat(120)), None),
        ErrorCode::ValidationError,
    );
    for not_a_principal in [
        "ecs",
        "amazonaws.com",
        ".amazonaws.com",
        "a..amazonaws.com",
        "ecs.example.com",
    ] {
        s.err(create(not_a_principal, None), ErrorCode::InvalidInput);
    }
    let long = RoleOp::CreateServiceLinked {
        aws_service_name: "ec2.amazonaws.com".into(),
        description: Some("d".repeat(1001)),
        custom_suffix: None,
        role_id: "AROASERVICELINKED0002".into(),
    };
    s.err(long, ErrorCode::ValidationError);
    let ok = RoleOp::CreateServiceLinked {
        aws_service_name: "ec2.amazonaws.com".into(),
        description: Some("Lets EC2 work".into()),
        custom_suffix: None,
        role_id: "AROASERVICELINKED0002".into(),
    };
    assert_eq!(s.ok(ok)["description"], "Lets EC2 work");
}

#[test]
fn service_linked_roles_count_toward_the_roles_quota() {
    let mut s = finalized();
    s.raw_put(&format!("count/{A}/roles"), "249");
    s.ok(create("ecs.amazonaws.com", None));
    assert_eq!(s.count("roles"), 250);
    s.err(create("rds.amazonaws.com", None), ErrorCode::LimitExceeded);
    s.ok(delete("AWSServiceRoleForECS", UUID));
    assert_eq!(s.count("roles"), 249);
    s.ok(create("rds.amazonaws.com", None));
}

#[test]
fn the_ordinary_operations_are_refused_but_the_description_is_editable() {
    let mut s = finalized();
    s.ok(create("autoscaling.amazonaws.com", None));
    s.ok(managed("P"));
    let name = "AWSServiceRoleForAutoScaling";
    let protected = format!(
        "Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"
    );
    let refused: Vec<Op> = vec![
        RoleOp::Delete { name: name.into() }.into(),
        update_trust(name).into(),
        update_duration(name).into(),
        RoleOp::Update {
            name: name.into(),
            description: Some("d".into()),
            max_session_duration: Some(3600),
        }
        .into(),
        PolicyOp::Attach {
            entity: EntityKind::Role,
            entity_name: name.into(),
            policy_arn: policy_arn("P"),
        }
        .into(),
        PolicyOp::Detach {
            entity: EntityKind::Role,
            entity_name: name.into(),
            policy_arn: policy_arn("P"),
        }
        .into(),
        PolicyOp::PutInline {
            entity: EntityKind::Role,
            entity_name: name.into(),
            policy_name: "i".into(),
            policy_document:
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
                    .into(),
        }
        .into(),
        PolicyOp::DeleteInline {
            entity: EntityKind::Role,
            entity_name: name.into(),
            policy_name: "i".into(),
        }
        .into(),
        PolicyOp::PutBoundary {
            entity: BoundaryEntity::Role,
            entity_name: name.into(),
            permissions_boundary: policy_arn("P"),
        }
        .into(),
        PolicyOp::DeleteBoundary {
            entity: BoundaryEntity::Role,
            entity_name: name.into(),
        }
        .into(),
    ];
    for op in refused {
        let m = s.err(op.clone(), ErrorCode::UnmodifiableEntity);
        assert_eq!(m, protected, "{op:?}");
    }
    let r = s.ok(RoleOp::UpdateDescription {
        name: name.into(),
        description: "mine".into(),
    });
    assert_eq!(r["description"], "mine");
    let r = s.ok(RoleOp::Update {
        name: name.into(),
        description: Some("ours".into()),
        max_session_duration: None,
    });
    assert_eq!(r["description"], "ours");
    // CreateRole cannot use the path.
    let m = s.err(
        role_at("Mine", "/aws-service-role/ecs.amazonaws.com/"),
        ErrorCode::InvalidInput,
    );
    assert_eq!(
        m,
        "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles"
    );
    // An ordinary role is not service-linked: DeleteServiceLinkedRole does not take it.
    s.ok(role_at("Plain", "/aws-service/"));
    let m = s.err(delete("Plain", UUID), ErrorCode::NoSuchEntity);
    assert_eq!(m, "The role with name Plain is not a service-linked role.");
    s.err(delete("Nobody", UUID), ErrorCode::NoSuchEntity);
}

#[test]
fn delete_cleans_up_records_a_task_and_its_status_reads_back() {
    let mut s = finalized();
    s.ok(create("autoscaling.amazonaws.com", Some("web")));
    let name = "AWSServiceRoleForAutoScaling_web";
    s.ok(managed("Attached"));
    s.ok(managed("Boundary"));
    s.ok(profile("Web"));
    s.ok(add_role("Web", name));
    // What the service itself would have set up: a managed policy, an inline policy and a
    // boundary (the API refuses them, so they are written as the families store them).
    s.raw_edit(&format!("role/{A}/{}", name.to_lowercase()), |r| {
        r["attached_policies"] = json!([policy_arn("Attached")]);
        r["inline_policies"] = json!({"i": TRUST});
        r["permissions_boundary"] = json!(policy_arn("Boundary"));
    });
    s.raw_put(
        &String::from_utf8(keys::policy_entity(A, "Attached", EntityKind::Role, name)).unwrap(),
        "",
    );
    s.raw_edit(&format!("policy/{A}/attached"), |p| {
        p["attachment_count"] = json!(1)
    });
    s.raw_edit(&format!("policy/{A}/boundary"), |p| {
        p["boundary_usage_count"] = json!(1)
    });

    let r = s.ok(delete(&name.to_uppercase(), UUID));
    let task = format!("task/aws-service-role/autoscaling.amazonaws.com/{name}/{UUID}");
    assert_eq!(r, json!({ "deletion_task_id": task }));
    s.q(RoleQuery::Get { name: name.into() }).unwrap_err();
    assert_eq!(s.count("roles"), 0);
    assert!(s
        .raw_get(
            &String::from_utf8(keys::policy_entity(A, "Attached", EntityKind::Role, name)).unwrap()
        )
        .is_none());
    let attached: Value =
        serde_json::from_str(&s.raw_get(&format!("policy/{A}/attached")).unwrap()).unwrap();
    assert_eq!(attached["attachment_count"], 0);
    let boundary: Value =
        serde_json::from_str(&s.raw_get(&format!("policy/{A}/boundary")).unwrap()).unwrap();
    assert_eq!(boundary["boundary_usage_count"], 0);
    let web = s.qok(InstanceProfileQuery::Get { name: "Web".into() });
    assert_eq!(web["roles"], json!([]));
    assert!(s
        .raw_get(&format!("rprof/{A}/{}/web", name.to_lowercase()))
        .is_none());
    // The policies are free to go.
    s.ok(PolicyOp::Delete {
        policy_arn: policy_arn("Attached"),
    });

    assert_eq!(s.qok(status(&task)), json!({"status": "SUCCEEDED"}));
    // Gone: a second deletion finds no role.
    s.err(delete(name, &uuid(2)), ErrorCode::NoSuchEntity);
    // Unknown and malformed task ids.
    let unknown = format!(
        "task/aws-service-role/autoscaling.amazonaws.com/{name}/{}",
        uuid(9)
    );
    assert_eq!(
        s.q(status(&unknown)).unwrap_err().code,
        ErrorCode::NoSuchEntity
    );
    for bad in [
        "nonsense",
        "task/aws-service-role/x.amazonaws.com/R/not-a-uuid",
        "task/aws-service-role//R/00000000-0000-4000-8000-000000000001",
        "task/other/x.amazonaws.com/R/00000000-0000-4000-8000-000000000001",
    ] {
        assert_eq!(
            s.q(status(bad)).unwrap_err().code,
            ErrorCode::InvalidInput,
            "{bad}"
        );
    }
    assert_eq!(
        s.q(status("")).unwrap_err().code,
        ErrorCode::ValidationError
    );
    assert_eq!(
        s.q(status(&"t".repeat(1001))).unwrap_err().code,
        ErrorCode::ValidationError
    );
    // A task id the proposer did not choose is refused.
    s.ok(create("ecs.amazonaws.com", None));
    s.err(delete("AWSServiceRoleForECS", ""), ErrorCode::InvalidInput);
}

#[test]
fn only_the_most_recent_tasks_are_kept() {
    let mut s = finalized();
    let mut ids = Vec::new();
    for i in 0..=DELETION_TASKS_MAX {
        s.ok(create("autoscaling.amazonaws.com", Some(&i.to_string())));
        let r = s.ok(delete(
            &format!("AWSServiceRoleForAutoScaling_{i}"),
            &uuid(i),
        ));
        ids.push(r["deletion_task_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        s.q(status(&ids[0])).unwrap_err().code,
        ErrorCode::NoSuchEntity,
        "the oldest task is dropped"
    );
    for id in &ids[1..] {
        assert_eq!(s.qok(status(id))["status"], "SUCCEEDED");
    }
}

#[test]
fn the_proposer_chooses_the_role_id_and_a_v4_task_uuid() {
    struct Fixed;
    impl iam_state::Env for Fixed {
        fn unique_id(&mut self, prefix: iam_model::ids::IdPrefix) -> String {
            format!("{}{}", prefix.as_str(), "B".repeat(17))
        }
        fn random_bytes(&mut self, n: usize) -> Vec<u8> {
            vec![0xff; n]
        }
        fn hash_password(&mut self, _: &str) -> String {
            String::new()
        }
    }
    let mut c = Command::in_account(A, create("ecs.amazonaws.com", None));
    c.prepare(&mut Fixed);
    let Command::In {
        op: Op::Role(RoleOp::CreateServiceLinked { role_id, .. }),
        ..
    } = c
    else {
        panic!("{c:?}")
    };
    assert_eq!(role_id, format!("AROA{}", "B".repeat(17)));
    let mut c = Command::in_account(A, delete("R", ""));
    c.prepare(&mut Fixed);
    let Command::In {
        op: Op::Role(RoleOp::DeleteServiceLinked { task_uuid, .. }),
        ..
    } = c
    else {
        panic!("{c:?}")
    };
    assert_eq!(task_uuid, "ffffffff-ffff-4fff-bfff-ffffffffffff");
    assert_eq!(
        service_linked::task_role(&format!(
            "task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/{task_uuid}"
        )),
        Some("aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS")
    );
}

#[test]
fn every_known_service_makes_a_valid_role() {
    let mut s = finalized();
    for (service, name, suffix_allowed) in service_linked::KNOWN {
        service_linked::validate_service_name(service).unwrap();
        assert_eq!(service_linked::role_name(service, None).unwrap(), *name);
        assert_eq!(
            service_linked::role_name(service, Some("x")).is_ok(),
            *suffix_allowed,
            "{service}"
        );
        let r = s.ok(create(service, None));
        assert_eq!(r["name"], *name);
        assert_eq!(r["path"], format!("/aws-service-role/{service}/"));
    }
    assert_eq!(s.count("roles"), service_linked::KNOWN.len() as u64);
}
