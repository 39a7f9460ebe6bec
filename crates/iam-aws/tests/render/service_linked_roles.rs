//! Service-linked roles: the `Role` of CreateServiceLinkedRole in botocore's member order
//! (as CreateRole's), `DeletionTaskId`, `Status` (no `Reason`), and the refusals as XML:
//! before release 5, for the protected ordinary operations, for a malformed task id.

use super::*;

/// The task UUID the test environment's random bytes (all 7) make.
const UUID: &str = "07070707-0707-4707-8707-070707070707";

fn error_code(xml: &str, code: &str) {
    assert!(
        xml.contains(&format!("<Code>{code}</Code>")) && xml.contains("<Type>Sender</Type>"),
        "{xml}"
    );
}

#[test]
fn service_linked_roles() {
    let mut s = Server::new();
    let create = "Action=CreateServiceLinkedRole&AWSServiceName=autoscaling.amazonaws.com\
                  &CustomSuffix=web&Description=scales+things";
    // Refused until the cluster runs release 5 (the proposer drew role id 1 for it).
    let xml = s.call(create);
    error_code(&xml, "ValidationError");
    assert!(xml.contains("release 5"), "{xml}");
    s.propose(Command::FinalizeRelease {
        release: iam_state::release::SERVICE_LINKED_ROLES,
    })
    .unwrap();
    let trust = enc(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"autoscaling.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
    );
    let role = format!(
        "<Path>/aws-service-role/autoscaling.amazonaws.com/</Path>\
         <RoleName>AWSServiceRoleForAutoScaling_web</RoleName><RoleId>AROA00000000000000002</RoleId>\
         <Arn>arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling_web</Arn>\
         <CreateDate>2024-01-02T03:04:05Z</CreateDate>\
         <AssumeRolePolicyDocument>{trust}</AssumeRolePolicyDocument>\
         <Description>scales things</Description><MaxSessionDuration>3600</MaxSessionDuration>"
    );
    assert_eq!(
        s.call(create),
        ok("CreateServiceLinkedRole", &format!("<Role>{role}</Role>"))
    );
    assert_eq!(
        s.call("Action=GetRole&RoleName=AWSServiceRoleForAutoScaling_web"),
        ok("GetRole", &format!("<Role>{role}</Role>"))
    );
    let xml = s.call(create);
    error_code(&xml, "InvalidInput");
    assert!(
        xml.contains("Service role name AWSServiceRoleForAutoScaling_web has been taken"),
        "{xml}"
    );
    let xml =
        s.call("Action=CreateServiceLinkedRole&AWSServiceName=ecs.amazonaws.com&CustomSuffix=x");
    error_code(&xml, "InvalidInput");
    assert!(
        xml.contains("Custom suffix is not allowed for ecs.amazonaws.com"),
        "{xml}"
    );

    // The ordinary operations are refused.
    for call in [
        "Action=DeleteRole&RoleName=AWSServiceRoleForAutoScaling_web",
        "Action=UpdateRole&RoleName=AWSServiceRoleForAutoScaling_web&MaxSessionDuration=7200",
        "Action=DeleteRolePolicy&RoleName=AWSServiceRoleForAutoScaling_web&PolicyName=p",
    ] {
        let xml = s.call(call);
        error_code(&xml, "UnmodifiableEntity");
        assert!(
            xml.contains(
                "Cannot perform the operation on the protected role \
                 &apos;AWSServiceRoleForAutoScaling_web&apos; - this role is only modifiable by AWS"
            ) || xml.contains(
                "Cannot perform the operation on the protected role \
                 'AWSServiceRoleForAutoScaling_web' - this role is only modifiable by AWS"
            ),
            "{call}: {xml}"
        );
    }
    assert_eq!(
        s.call("Action=UpdateRole&RoleName=AWSServiceRoleForAutoScaling_web&Description=d"),
        ok("UpdateRole", "")
    );

    let task = format!(
        "task/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling_web/{UUID}"
    );
    assert_eq!(
        s.call("Action=DeleteServiceLinkedRole&RoleName=AWSServiceRoleForAutoScaling_web"),
        ok(
            "DeleteServiceLinkedRole",
            &format!("<DeletionTaskId>{task}</DeletionTaskId>")
        )
    );
    assert_eq!(
        s.call(&format!(
            "Action=GetServiceLinkedRoleDeletionStatus&DeletionTaskId={}",
            enc(&task)
        )),
        ok(
            "GetServiceLinkedRoleDeletionStatus",
            "<Status>SUCCEEDED</Status>"
        )
    );
    error_code(
        &s.call("Action=GetRole&RoleName=AWSServiceRoleForAutoScaling_web"),
        "NoSuchEntity",
    );
    error_code(
        &s.call("Action=GetServiceLinkedRoleDeletionStatus&DeletionTaskId=nonsense"),
        "InvalidInput",
    );
    error_code(
        &s.call(&format!(
            "Action=GetServiceLinkedRoleDeletionStatus&DeletionTaskId={}",
            enc(&task.replace("0707-4707", "0808-4808"))
        )),
        "NoSuchEntity",
    );
}
