"""boto3 against a live iamd cluster: service-linked roles (CreateServiceLinkedRole,
DeleteServiceLinkedRole, GetServiceLinkedRoleDeletionStatus) with writes sent through
followers and reads from other nodes: the role as GetRole and ListRoles show it, the
names and suffixes, the ordinary role operations refused with UnmodifiableEntity (the
description stays editable), CreateRole kept off the service path, the deletion task and
its status, and iam:AWSServiceName in a caller's policy. Usage:
boto3_service_linked_roles.py URL [URL...] (one per node), signed with AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY from the environment. Exits non-zero (with the failing check) on the
first failure."""

import json
import re
import time

import boto3
from botocore.exceptions import ClientError

from iamd_cluster import CONFIG, URLS, eventually, expect_error, on, until

AUTOSCALING = "autoscaling.amazonaws.com"
NAME = "AWSServiceRoleForAutoScaling"
PATH = f"/aws-service-role/{AUTOSCALING}/"




def as_dict(document):
    """A policy document as boto3 returns it (decoded already, or JSON text)."""
    return document if isinstance(document, dict) else json.loads(document)


def trust(service):
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}


root = on(0)
account = root.get_user()["User"]["Arn"].split(":")[4]

# Create through a follower; read it back from another node.
role = on(1).create_service_linked_role(AWSServiceName=AUTOSCALING,
                                        Description="Scales things")["Role"]
assert role["RoleName"] == NAME, role
assert role["Path"] == PATH, role
assert role["Arn"] == f"arn:aws:iam::{account}:role/aws-service-role/{AUTOSCALING}/{NAME}", role
assert role["RoleId"].startswith("AROA") and len(role["RoleId"]) == 21, role
assert as_dict(role["AssumeRolePolicyDocument"]) == trust(AUTOSCALING), role
assert role["Description"] == "Scales things" and role["MaxSessionDuration"] == 3600, role
got = until(lambda: on(2).get_role(RoleName=NAME), lambda v: isinstance(v, dict),
            "the role on node 2")["Role"]
assert got["Arn"] == role["Arn"] and got["RoleId"] == role["RoleId"], got
assert got["Path"] == PATH and as_dict(got["AssumeRolePolicyDocument"]) == trust(AUTOSCALING), got
listed = on(2).list_roles(PathPrefix="/aws-service-role/")["Roles"]
assert [r["RoleName"] for r in listed] == [NAME], listed

# Names: taken, suffixes where the service takes one, unknown services.
msg = expect_error("InvalidInput", on(2).create_service_linked_role, AWSServiceName=AUTOSCALING)
assert msg == (f"Service role name {NAME} has been taken in this account, please try a "
               "different suffix."), msg
web = on(1).create_service_linked_role(AWSServiceName=AUTOSCALING, CustomSuffix="web")["Role"]
assert web["RoleName"] == f"{NAME}_web" and web["Path"] == PATH, web
msg = expect_error("InvalidInput", on(2).create_service_linked_role,
                   AWSServiceName="ecs.amazonaws.com", CustomSuffix="x")
assert msg == "Custom suffix is not allowed for ecs.amazonaws.com", msg
ecs = on(2).create_service_linked_role(AWSServiceName="ecs.amazonaws.com")["Role"]
assert ecs["RoleName"] == "AWSServiceRoleForECS", ecs
expect_error("InvalidInput", on(1).create_service_linked_role, AWSServiceName="ecs.example.com")
expect_error("ValidationError", on(1).create_service_linked_role,
             AWSServiceName="ecs.amazonaws.com", CustomSuffix="no/slash")

# The ordinary operations are refused; the description stays editable.
protected = (f"Cannot perform the operation on the protected role '{NAME}' - this role is "
             "only modifiable by AWS")
policy_arn = root.create_policy(PolicyName="p", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))["Policy"]["Arn"]
doc = json.dumps({"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
refused = [
    (on(1).delete_role, {}),
    (on(2).update_assume_role_policy, {"PolicyDocument": json.dumps(trust("ec2.amazonaws.com"))}),
    (on(1).update_role, {"MaxSessionDuration": 7200}),
    (on(2).put_role_policy, {"PolicyName": "i", "PolicyDocument": doc}),
    (on(1).delete_role_policy, {"PolicyName": "i"}),
    (on(2).attach_role_policy, {"PolicyArn": policy_arn}),
    (on(1).detach_role_policy, {"PolicyArn": policy_arn}),
    (on(2).put_role_permissions_boundary, {"PermissionsBoundary": policy_arn}),
    (on(1).delete_role_permissions_boundary, {}),
]
# (Writes are decided by the leader's state: no waiting for followers.)
for fn, kwargs in refused:
    msg = expect_error("UnmodifiableEntity", fn, RoleName=NAME, **kwargs)
    assert msg == protected, (fn.__name__, msg)
on(2).update_role_description(RoleName=NAME, Description="Mine now")
on(1).update_role(RoleName=NAME, Description="Ours")
got = until(lambda: on(0).get_role(RoleName=NAME)["Role"],
            lambda v: v.get("Description") == "Ours", "the description on node 0")
assert got["MaxSessionDuration"] == 3600 and as_dict(got["AssumeRolePolicyDocument"]) == trust(AUTOSCALING)
# CreateRole cannot use the service path; DeleteServiceLinkedRole takes no ordinary role.
msg = expect_error("InvalidInput", on(2).create_role, RoleName="sneaky",
                   Path="/aws-service-role/ecs.amazonaws.com/",
                   AssumeRolePolicyDocument=json.dumps(trust("ecs.amazonaws.com")))
assert msg == "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles", msg
on(1).create_role(RoleName="plain", AssumeRolePolicyDocument=json.dumps(trust("ec2.amazonaws.com")))
expect_error("NoSuchEntity", on(2).delete_service_linked_role, RoleName="plain")
expect_error("NoSuchEntity", on(1).delete_service_linked_role, RoleName="nobody")

# Delete: a task id, SUCCEEDED at once (read from another node), the role gone.
task = on(2).delete_service_linked_role(RoleName=NAME)["DeletionTaskId"]
assert re.fullmatch(rf"task/aws-service-role/{re.escape(AUTOSCALING)}/{NAME}/"
                    r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", task), task
status = until(lambda: on(1).get_service_linked_role_deletion_status(DeletionTaskId=task),
               lambda v: isinstance(v, dict), "the task on node 1")
assert status["Status"] == "SUCCEEDED" and "Reason" not in status, status
until(lambda: on(0).get_role(RoleName=NAME), lambda v: v == "NoSuchEntity", "gone on node 0")
expect_error("NoSuchEntity", on(1).delete_service_linked_role, RoleName=NAME)
expect_error("InvalidInput", on(2).get_service_linked_role_deletion_status,
             DeletionTaskId="not-a-task")
expect_error("NoSuchEntity", on(2).get_service_linked_role_deletion_status,
             DeletionTaskId=task[:-12] + "000000000000")
# The policy is no longer held by anything: it can go.
root.delete_policy(PolicyArn=policy_arn)

# Authorization: iam:CreateServiceLinkedRole with iam:AWSServiceName.
root.create_user(UserName="ops")
key = root.create_access_key(UserName="ops")["AccessKey"]
root.put_user_policy(UserName="ops", PolicyName="rds-only", PolicyDocument=json.dumps({
    "Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": "*",
         "Condition": {"StringEquals": {"iam:AWSServiceName": "rds.amazonaws.com"}}},
        {"Effect": "Allow",
         "Action": ["iam:DeleteServiceLinkedRole", "iam:GetServiceLinkedRoleDeletionStatus"],
         "Resource": f"arn:aws:iam::{account}:role/aws-service-role/rds.amazonaws.com/*"}]}))
ops = boto3.client("iam", endpoint_url=URLS[1 % len(URLS)], region_name="us-east-1",
                   aws_access_key_id=key["AccessKeyId"],
                   aws_secret_access_key=key["SecretAccessKey"], config=CONFIG)
rds = eventually(lambda: ops.create_service_linked_role(AWSServiceName="rds.amazonaws.com"),
                 "ops's policy on node 1")["Role"]
assert rds["RoleName"] == "AWSServiceRoleForRDS", rds
msg = expect_error("AccessDenied", ops.create_service_linked_role,
                   AWSServiceName="elasticloadbalancing.amazonaws.com")
assert "iam:CreateServiceLinkedRole" in msg, msg
expect_error("AccessDenied", ops.delete_service_linked_role, RoleName="AWSServiceRoleForECS")
# (Node 1 names the role by its stored path once it has applied the creation.)
task = eventually(lambda: ops.delete_service_linked_role(RoleName="AWSServiceRoleForRDS"),
                  "the RDS role on node 1")["DeletionTaskId"]
status = until(lambda: ops.get_service_linked_role_deletion_status(DeletionTaskId=task),
               lambda v: isinstance(v, dict), "ops's task on node 1")
assert status["Status"] == "SUCCEEDED", status
print("ok")
