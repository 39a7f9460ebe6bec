"""boto3 against a live iamd cluster: the lifecycle of every entity family, AWS error codes,
pagination, MFA with codes computed here, the credential report, the policy simulator, and
requests spread over every node. Usage: boto3_lifecycle.py URL [URL...] (one per node), signed
with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment.
Exits non-zero (with the failing check) on the first failure."""

import base64
import csv
import hashlib
import hmac
import io
import json
import struct
import time

from iamd_cluster import IAMS, ClientError, expect_error, on

iam = IAMS[0]


def totp(seed_b32, t):
    key = base64.b32decode(seed_b32)
    mac = hmac.new(key, struct.pack(">Q", int(t // 30)), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000
    return f"{code:06d}"


DOC = {"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]}
DOC2 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]}
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}

# Users, through different nodes.
u = on(1).create_user(UserName="alice", Path="/eng/", Tags=[{"Key": "team", "Value": "core"}])["User"]
assert u["UserName"] == "alice" and u["Path"] == "/eng/" and u["UserId"].startswith("AIDA"), u
assert u["Arn"].endswith(":user/eng/alice"), u
account = u["Arn"].split(":")[4]
got = on(2).get_user(UserName="ALICE")["User"]
assert got["UserName"] == "alice" and got["Tags"] == [{"Key": "team", "Value": "core"}], got
expect_error("EntityAlreadyExists", on(2).create_user, UserName="Alice")
expect_error("NoSuchEntity", iam.get_user, UserName="nobody")
expect_error("ValidationError", iam.create_user, UserName="bad name")
for i in range(5):
    on(i).create_user(UserName=f"bulk{i}", Path="/bulk/")
page = iam.list_users(PathPrefix="/bulk/", MaxItems=2)
assert page["IsTruncated"] and len(page["Users"]) == 2 and "Marker" in page, page
names = [x["UserName"] for p in iam.get_paginator("list_users").paginate(PathPrefix="/bulk/", PaginationConfig={"PageSize": 2}) for x in p["Users"]]
assert names == [f"bulk{i}" for i in range(5)], names
iam.update_user(UserName="bulk0", NewUserName="renamed0", NewPath="/moved/")
assert on(1).get_user(UserName="renamed0")["User"]["Path"] == "/moved/"
iam.tag_user(UserName="alice", Tags=[{"Key": "cost", "Value": "42"}])
tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName="alice")["Tags"]}
assert tags == {"team": "core", "cost": "42"}, tags
iam.untag_user(UserName="alice", TagKeys=["cost"])
# Tags list in the order they were added (not sorted), page by page too.
iam.tag_user(UserName="alice", Tags=[{"Key": "Stan", "Value": "1"}, {"Key": "like-a", "Value": "2"}])
keys = [t["Key"] for p in iam.get_paginator("list_user_tags").paginate(
    UserName="alice", PaginationConfig={"PageSize": 1}) for t in p["Tags"]]
assert keys == ["team", "Stan", "like-a"], keys
iam.untag_user(UserName="alice", TagKeys=["Stan", "like-a"])

# Groups and membership.
g = on(2).create_group(GroupName="devs")["Group"]
assert g["GroupId"].startswith("AGPA"), g
iam.add_user_to_group(GroupName="devs", UserName="alice")
members = [x["UserName"] for x in on(1).get_group(GroupName="devs")["Users"]]
assert members == ["alice"], members
assert [x["GroupName"] for x in iam.list_groups_for_user(UserName="alice")["Groups"]] == ["devs"]
expect_error("DeleteConflict", iam.delete_group, GroupName="devs")

# Managed policies, versions, attachments.
p = iam.create_policy(PolicyName="read-data", PolicyDocument=json.dumps(DOC), Description="reads")["Policy"]
arn = p["Arn"]
assert p["DefaultVersionId"] == "v1" and p["PolicyId"].startswith("ANPA"), p
expect_error("MalformedPolicyDocument", iam.create_policy, PolicyName="bad", PolicyDocument='{"Statement": []}')
v = on(2).get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
doc = v["Document"] if isinstance(v["Document"], dict) else json.loads(v["Document"])
assert doc == DOC, doc
iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(DOC2), SetAsDefault=True)
assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
expect_error("DeleteConflict", iam.delete_policy_version, PolicyArn=arn, VersionId="v2")
iam.attach_group_policy(GroupName="devs", PolicyArn=arn)
ents = on(1).list_entities_for_policy(PolicyArn=arn)
assert [x["GroupName"] for x in ents["PolicyGroups"]] == ["devs"], ents
expect_error("DeleteConflict", iam.delete_policy, PolicyArn=arn)
iam.put_user_policy(UserName="alice", PolicyName="no-delete", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}}))
assert iam.list_user_policies(UserName="alice")["PolicyNames"] == ["no-delete"]
inline = iam.get_user_policy(UserName="alice", PolicyName="no-delete")["PolicyDocument"]
assert (inline if isinstance(inline, dict) else json.loads(inline))["Statement"]["Effect"] == "Deny"

# The simulator agrees with what was just attached, from another node.
res = on(2).simulate_principal_policy(PolicySourceArn=u["Arn"], ActionNames=["s3:GetObject", "s3:DeleteObject", "iam:CreateUser"])
decisions = {r["EvalActionName"]: r["EvalDecision"] for r in res["EvaluationResults"]}
assert decisions == {"s3:GetObject": "allowed", "s3:DeleteObject": "explicitDeny", "iam:CreateUser": "implicitDeny"}, decisions
res = iam.simulate_custom_policy(PolicyInputList=[json.dumps(DOC)], ActionNames=["s3:GetObject"], ResourceArns=["arn:aws:s3:::data/x"])
assert res["EvaluationResults"][0]["EvalDecision"] == "allowed", res

# Roles and instance profiles.
r = iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(TRUST), MaxSessionDuration=7200)["Role"]
assert r["RoleId"].startswith("AROA") and r["MaxSessionDuration"] == 7200, r
trust = on(1).get_role(RoleName="app")["Role"]["AssumeRolePolicyDocument"]
assert (trust if isinstance(trust, dict) else json.loads(trust)) == TRUST, trust
expect_error("MalformedPolicyDocument", iam.create_role, RoleName="bad", AssumeRolePolicyDocument=json.dumps(DOC))
iam.create_role(RoleName="app2", AssumeRolePolicyDocument=json.dumps(TRUST))
iam.create_instance_profile(InstanceProfileName="web")
iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="app")
expect_error("LimitExceeded", iam.add_role_to_instance_profile, InstanceProfileName="web", RoleName="app2")
expect_error("DeleteConflict", iam.delete_role, RoleName="app")
assert [x["InstanceProfileName"] for x in iam.list_instance_profiles_for_role(RoleName="app")["InstanceProfiles"]] == ["web"]

# Access keys, login profile, password policy, MFA.
k = iam.create_access_key(UserName="alice")["AccessKey"]
assert k["AccessKeyId"].startswith("AKIA") and len(k["SecretAccessKey"]) == 40, k
listed = on(2).list_access_keys(UserName="alice")["AccessKeyMetadata"]
assert [x["AccessKeyId"] for x in listed] == [k["AccessKeyId"]] and "SecretAccessKey" not in listed[0]
iam.update_access_key(UserName="alice", AccessKeyId=k["AccessKeyId"], Status="Inactive")
iam.create_access_key(UserName="alice")
expect_error("LimitExceeded", iam.create_access_key, UserName="alice")
iam.update_account_password_policy(MinimumPasswordLength=12, RequireSymbols=True)
assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 12
# Every violated constraint in one ValidationError, as AWS words it; the policy is unchanged.
try:
    iam.update_account_password_policy(MinimumPasswordLength=129, PasswordReusePrevention=25)
    raise AssertionError("an out-of-range password policy was accepted")
except ClientError as e:
    err = e.response["Error"]
    assert err["Code"] == "ValidationError", err
    assert err["Message"] == (
        "2 validation errors detected: Value '129' at 'minimumPasswordLength' failed to satisfy "
        "constraint: Member must have value less than or equal to 128; Value '25' at "
        "'passwordReusePrevention' failed to satisfy constraint: Member must have value less "
        "than or equal to 24"), err
assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 12
expect_error("PasswordPolicyViolation", iam.create_login_profile, UserName="alice", Password="short")
iam.create_login_profile(UserName="alice", Password="Correct-horse-42", PasswordResetRequired=False)
dev = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone",
                                    Tags=[{"Key": "owner", "Value": "alice"}, {"Key": "kind", "Value": "phone"}])["VirtualMFADevice"]
tags = on(2).list_mfa_device_tags(SerialNumber=dev["SerialNumber"])
assert sorted((t["Key"], t["Value"]) for t in tags["Tags"]) == [("kind", "phone"), ("owner", "alice")], tags
assert tags["IsTruncated"] is False, tags
page = iam.list_mfa_device_tags(SerialNumber=dev["SerialNumber"], MaxItems=1)
assert len(page["Tags"]) == 1 and page["IsTruncated"] is True and page["Marker"], page
expect_error("NoSuchEntity", iam.list_mfa_device_tags, SerialNumber="arn:aws:iam::123456789012:mfa/nothing-here")
# Tagged and untagged through followers; tags list in the order added, a re-tagged key in place.
on(1).tag_mfa_device(SerialNumber=dev["SerialNumber"],
                     Tags=[{"Key": "Owner", "Value": "carol"}, {"Key": "env", "Value": "prod"}])
pairs = [(t["Key"], t["Value"]) for t in on(2).list_mfa_device_tags(SerialNumber=dev["SerialNumber"])["Tags"]]
assert pairs == [("Owner", "carol"), ("kind", "phone"), ("env", "prod")], pairs
on(2).untag_mfa_device(SerialNumber=dev["SerialNumber"], TagKeys=["OWNER", "env"])
assert [t["Key"] for t in iam.list_mfa_device_tags(SerialNumber=dev["SerialNumber"])["Tags"]] == ["kind"]
expect_error("NoSuchEntity", iam.tag_mfa_device, SerialNumber="arn:aws:iam::123456789012:mfa/nothing-here",
             Tags=[{"Key": "k", "Value": "v"}])
seed = dev["Base32StringSeed"]
seed = seed.decode() if isinstance(seed, bytes) else seed
now = time.time()
expect_error("InvalidAuthenticationCode", iam.enable_mfa_device, UserName="alice", SerialNumber=dev["SerialNumber"],
             AuthenticationCode1="000000", AuthenticationCode2="000000")
iam.enable_mfa_device(UserName="alice", SerialNumber=dev["SerialNumber"],
                      AuthenticationCode1=totp(seed, now - 30), AuthenticationCode2=totp(seed, now))
assert [d["SerialNumber"] for d in on(1).list_mfa_devices(UserName="alice")["MFADevices"]] == [dev["SerialNumber"]]
got = on(2).get_mfa_device(SerialNumber=dev["SerialNumber"], UserName="alice")
assert got["UserName"] == "alice" and got["SerialNumber"] == dev["SerialNumber"], got
assert got["EnableDate"].year >= 2024, got
expect_error("NoSuchEntity", iam.get_mfa_device, SerialNumber=dev["SerialNumber"], UserName="bob")
expect_error("NoSuchEntity", iam.get_mfa_device, SerialNumber="arn:aws:iam::123456789012:mfa/nothing-here", UserName="alice")
expect_error("DeleteConflict", iam.delete_user, UserName="alice")

# Account: alias, summary, credential report.
iam.create_account_alias(AccountAlias="acme-prod")
assert iam.list_account_aliases()["AccountAliases"] == ["acme-prod"]
summary = on(2).get_account_summary()["SummaryMap"]
assert summary["Users"] == 6 and summary["Groups"] == 1 and summary["Roles"] == 2 and summary["RolesQuota"] == 250, summary
state = iam.generate_credential_report()["State"]
assert state in ("STARTED", "COMPLETE"), state
report = None
for _ in range(20):
    try:
        report = on(1).get_credential_report()
        break
    except ClientError as e:
        if e.response["Error"]["Code"] not in ("ReportInProgress", "ReportNotPresent"):
            raise
        time.sleep(0.2)
rows = list(csv.DictReader(io.StringIO(report["Content"].decode())))
assert rows[0]["arn"] == f"arn:aws:iam::{account}:root", rows[0]
alice_row = next(r for r in rows if r["user"] == "alice")
assert alice_row["password_enabled"] == "true" and alice_row["mfa_active"] == "true", alice_row

# GetAccountAuthorizationDetails through another node, paged two entries at a time by
# boto3's paginator: the same entities the List calls show, with their documents.
details = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
pages = 0
for page in on(2).get_paginator("get_account_authorization_details").paginate(PaginationConfig={"PageSize": 2}):
    pages += 1
    for k in details:
        details[k] += page[k]
assert pages >= 3, pages
assert sorted(u["UserName"] for u in details["UserDetailList"]) == sorted(u["UserName"] for u in iam.list_users()["Users"]), details
assert sorted(r["RoleName"] for r in details["RoleDetailList"]) == sorted(r["RoleName"] for r in iam.list_roles()["Roles"]), details
assert sorted(g["GroupName"] for g in details["GroupDetailList"]) == sorted(g["GroupName"] for g in iam.list_groups()["Groups"]), details
local = iam.list_policies(Scope="Local")["Policies"]
assert sorted(p["Arn"] for p in details["Policies"]) == sorted(p["Arn"] for p in local), details
alice = next(u for u in details["UserDetailList"] if u["UserName"] == "alice")
assert sorted(alice["GroupList"]) == sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName="alice")["Groups"]), alice
for p in alice.get("UserPolicyList", []):
    assert p["PolicyDocument"] == iam.get_user_policy(UserName="alice", PolicyName=p["PolicyName"])["PolicyDocument"], p
for p in details["Policies"]:
    versions = iam.list_policy_versions(PolicyArn=p["Arn"])["Versions"]
    assert sorted(v["VersionId"] for v in p["PolicyVersionList"]) == sorted(v["VersionId"] for v in versions), p
    default = next(v for v in p["PolicyVersionList"] if v["IsDefaultVersion"])
    want = iam.get_policy_version(PolicyArn=p["Arn"], VersionId=p["DefaultVersionId"])["PolicyVersion"]["Document"]
    assert default["Document"] == want, p
only_roles = on(1).get_account_authorization_details(Filter=["Role"])
assert not only_roles["UserDetailList"] and not only_roles["Policies"] and only_roles["RoleDetailList"], only_roles
expect_error("ValidationError", iam.get_account_authorization_details, Filter=["Users"])

# Unsupported operations say so.
expect_error("NotImplemented", iam.list_saml_providers)
print("boto3 lifecycle: ok")
