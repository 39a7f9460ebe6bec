"""Authentication and STS against a live iamd cluster with unmodified boto3: default deny,
policies taking effect on other nodes, bad signatures and keys, GetSessionToken issued on one
node and used on another, AssumeRole (trust policy, ExternalId, session policy, chaining
limit) and revocation of older sessions. Usage: sts_auth.py URL [URL...]; the operator's root
credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Exits non-zero on the first
failed check."""

import base64
import datetime
import hashlib
import hmac
import json
import struct
import os
import time

import boto3
import botocore.config
from botocore.awsrequest import AWSRequest
from botocore.auth import SigV4Auth
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from iamd_cluster import URLS, eventually

CONFIG = botocore.config.Config(retries={"max_attempts": 4, "mode": "standard"})
ROOT = (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"], None)


def client(service, i, creds):
    key, secret, token = creds
    return boto3.client(service, endpoint_url=URLS[i % len(URLS)], region_name="eu-central-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        aws_session_token=token, config=CONFIG)


def error_code(f):
    try:
        f()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def expect_error(code, f, what):
    got = error_code(f)
    assert got == code, f"{what}: expected {code}, got {got}"


def totp(seed_b32, step):
    key = base64.b32decode(seed_b32)
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    o = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


def creds_of(c):
    return (c["AccessKeyId"], c["SecretAccessKey"], c.get("SessionToken"))


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions, resource="*"):
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


iam = client("iam", 0, ROOT)
sts = client("sts", 0, ROOT)

# ---- who am I
me = sts.get_caller_identity()
account = me["Account"]
assert me["Arn"] == f"arn:aws:iam::{account}:root", me
assert me["UserId"] == account, me

# ---- a user with no policy is denied everything (deny by default), on any node
alice_arn = iam.create_user(UserName="alice")["User"]["Arn"]
alice = creds_of(iam.create_access_key(UserName="alice")["AccessKey"])
alice_iam = client("iam", 1, alice)
eventually(lambda: client("sts", 1, alice).get_caller_identity(), "alice's new key on node 2")
expect_error("AccessDenied", alice_iam.list_users, "alice without policies")
msg = ""
try:
    alice_iam.create_user(UserName="eve")
except ClientError as e:
    msg = e.response["Error"]["Message"]
assert alice_arn in msg and "iam:CreateUser" in msg, msg

# ---- GetAccessKeyInfo: the account of a key that exists (any status), given sts:GetAccessKeyInfo
assert sts.get_access_key_info(AccessKeyId=alice[0])["Account"] == account
expect_error("AccessDenied", lambda: client("sts", 1, alice).get_access_key_info(AccessKeyId=ROOT[0]),
             "GetAccessKeyInfo without sts:GetAccessKeyInfo")
expect_error("InvalidClientTokenId", lambda: sts.get_access_key_info(AccessKeyId="AKIA" + "Q" * 16),
             "GetAccessKeyInfo of a key id never issued")
expect_error("ValidationError", lambda: sts.get_access_key_info(AccessKeyId="AKIA-QQQQQQQQQQQ"),
             "GetAccessKeyInfo of a malformed key id")
gone = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
iam.delete_access_key(UserName="alice", AccessKeyId=gone)
expect_error("InvalidClientTokenId", lambda: sts.get_access_key_info(AccessKeyId=gone),
             "GetAccessKeyInfo of a deleted key")

# ---- a policy written through node 1 takes effect on node 2
iam.put_user_policy(UserName="alice", PolicyName="ops", PolicyDocument=policy(
    allow(["iam:ListUsers", "iam:GetUser", "sts:AssumeRole", "sts:GetAccessKeyInfo"]),
    allow("iam:CreateUser", f"arn:aws:iam::{account}:user/team/*"),
    {"Effect": "Deny", "Action": "iam:CreateUser", "Resource": f"arn:aws:iam::{account}:user/team/root*"}))
eventually(alice_iam.list_users, "alice's policy on node 2")
# Any node answers, from its own copy of the key table (after a linearizable read).
info = client("sts", 1, alice).get_access_key_info(AccessKeyId=ROOT[0])
assert info["Account"] == account, info
alice_iam.create_user(UserName="bob", Path="/team/")
expect_error("AccessDenied", lambda: alice_iam.create_user(UserName="carol"), "resource outside the allowed path")
expect_error("AccessDenied", lambda: alice_iam.create_user(UserName="rootish", Path="/team/"), "explicit deny")
# Users never act as another account's principals: alice cannot see the root's own keys.
expect_error("AccessDenied", lambda: alice_iam.create_access_key(), "alice creating her own key without permission")

# ---- bad credentials (on node 3, once it has alice's key: a follower may trail the commit)
eventually(lambda: client("sts", 2, alice).get_caller_identity(), "alice's key on node 3")
expect_error("SignatureDoesNotMatch", client("iam", 2, (alice[0], "x" * 40, None)).list_users, "wrong secret")
expect_error("InvalidClientTokenId", client("iam", 2, ("AKIA" + "Q" * 16, "x" * 40, None)).list_users, "unknown key")
# A tampered body: signed for ListUsers, sent as ListRoles.
req = AWSRequest(method="POST", url=URLS[0] + "/", data="Action=ListUsers&Version=2010-05-08",
                 headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
SigV4Auth(Credentials(*alice[:2]), "iam", "us-east-1").add_auth(req)
prepared = req.prepare()
import urllib.request  # noqa: E402
# Same length (the signed Content-Length still fits), another action.
tampered = urllib.request.Request(URLS[0] + "/", data=b"Action=ListRoles&Version=2010-05-08",
                                  headers=dict(prepared.headers), method="POST")
try:
    urllib.request.urlopen(tampered)
    raise AssertionError("a tampered body was accepted")
except urllib.error.HTTPError as e:
    body = e.read().decode()
    assert e.code == 403 and "SignatureDoesNotMatch" in body, (e.code, body)
# A deactivated key stops working.
iam.update_access_key(UserName="alice", AccessKeyId=alice[0], Status="Inactive")
deadline = time.time() + 10
while error_code(client("iam", 1, alice).list_users) != "InvalidClientTokenId":
    assert time.time() < deadline, "an inactive key still works"
    time.sleep(0.2)
iam.update_access_key(UserName="alice", AccessKeyId=alice[0], Status="Active")
eventually(alice_iam.list_users, "the key is active again")

# ---- GetSessionToken through node 1, used on node 3
st = creds_of(client("sts", 0, alice).get_session_token(DurationSeconds=900)["Credentials"])
assert st[0].startswith("ASIA") and st[2], st
ident = client("sts", 2, st).get_caller_identity()
assert ident["Arn"] == alice_arn, ident
client("iam", 2, st).list_users()
bad_token = (st[0], st[1], st[2][:-4] + ("AAAA" if not st[2].endswith("AAAA") else "BBBB"))
expect_error("InvalidClientTokenId", client("iam", 2, bad_token).list_users, "tampered session token")
expect_error("AccessDenied", lambda: client("sts", 1, st).get_session_token(), "GetSessionToken with session credentials")

# ---- MFA: a session made with a code is MFA-authenticated; a code works once
dev = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-mfa")["VirtualMFADevice"]
seed, serial = dev["Base32StringSeed"], dev["SerialNumber"]
assert dev["QRCodePNG"][:8] == b"\x89PNG\r\n\x1a\n", dev["QRCodePNG"][:16]
step = int(time.time() // 30)
iam.enable_mfa_device(UserName="alice", SerialNumber=serial,
                      AuthenticationCode1=totp(seed, step - 2), AuthenticationCode2=totp(seed, step - 1))
iam.put_user_policy(UserName="alice", PolicyName="mfa-only", PolicyDocument=policy(
    {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}))
time.sleep(0.5)
expect_error("AccessDenied", client("iam", 2, st).list_roles, "a session without MFA")
code = totp(seed, int(time.time() // 30))
with_mfa = creds_of(eventually(lambda: client("sts", 1, alice).get_session_token(
    DurationSeconds=900, SerialNumber=serial, TokenCode=code), "GetSessionToken with MFA")["Credentials"])
eventually(client("iam", 2, with_mfa).list_roles, "the MFA session may list roles")
expect_error("AccessDenied", lambda: client("sts", 0, alice).get_session_token(
    SerialNumber=serial, TokenCode=code), "a replayed MFA code")
expect_error("AccessDenied", lambda: client("sts", 0, alice).get_session_token(
    SerialNumber=serial, TokenCode="000000" if code != "000000" else "111111"), "a wrong MFA code")

# ---- AssumeRole: trust policy with an ExternalId condition
trust = policy({"Effect": "Allow", "Principal": {"AWS": alice_arn}, "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "xyz"}}})
role_arn = iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
iam.put_role_policy(RoleName="deployer", PolicyName="read", PolicyDocument=policy(
    allow(["iam:ListUsers", "iam:ListRoles", "iam:GetRole", "sts:AssumeRole"])))
alice_sts = client("sts", 1, alice)
r = eventually(lambda: alice_sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", ExternalId="xyz"),
               "AssumeRole with the ExternalId")
expect_error("AccessDenied", lambda: alice_sts.assume_role(RoleArn=role_arn, RoleSessionName="s0"), "no ExternalId")
expect_error("AccessDenied", lambda: alice_sts.assume_role(
    RoleArn=role_arn, RoleSessionName="s0", ExternalId="abc"), "wrong ExternalId")
assert r["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/deployer/s1", r
role = creds_of(r["Credentials"])
role_iam = client("iam", 2, role)
role_iam.list_users()
expect_error("AccessDenied", lambda: role_iam.create_user(UserName="nope"), "the role's policy does not allow CreateUser")
ident = client("sts", 0, role).get_caller_identity()
assert ident["Arn"] == r["AssumedRoleUser"]["Arn"] and ident["UserId"].endswith(":s1"), ident
# Another user the trust policy does not name: denied, even with an identity policy allowing it.
iam.create_user(UserName="mallory")
iam.put_user_policy(UserName="mallory", PolicyName="all", PolicyDocument=policy(allow("*")))
mallory = creds_of(iam.create_access_key(UserName="mallory")["AccessKey"])
eventually(client("sts", 0, mallory).get_caller_identity, "mallory's key on node 1")
time.sleep(0.5)
expect_error("AccessDenied", lambda: client("sts", 0, mallory).assume_role(
    RoleArn=role_arn, RoleSessionName="mal", ExternalId="xyz"), "not trusted")
# Session policy narrows the session.
narrow = alice_sts.assume_role(RoleArn=role_arn, RoleSessionName="s2", ExternalId="xyz",
                               Policy=policy(allow("iam:ListRoles")))
narrow_iam = client("iam", 0, creds_of(narrow["Credentials"]))
narrow_iam.list_roles()
expect_error("AccessDenied", narrow_iam.list_users, "outside the session policy")
# A session policy's conditions see the principal's keys (aws:PrincipalArn is the role's).
keyed = alice_sts.assume_role(RoleArn=role_arn, RoleSessionName="s2k", ExternalId="xyz", Policy=policy(
    {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalArn": role_arn}}}))
keyed_iam = client("iam", 1, creds_of(keyed["Credentials"]))
keyed_iam.list_users()
expect_error("AccessDenied", keyed_iam.list_roles, "outside the keyed session policy")
# Session tags need sts:TagSession in the trust policy; then they are the session's
# aws:PrincipalTag/* and override the role's own tags.
iam.create_role(RoleName="tagged", AssumeRolePolicyDocument=policy(
    {"Effect": "Allow", "Principal": {"AWS": alice_arn}, "Action": "sts:AssumeRole"}),
    Tags=[{"Key": "team", "Value": "blue"}])
iam.put_role_policy(RoleName="tagged", PolicyName="by-team", PolicyDocument=policy(
    {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalTag/team": "red"}}}))
tagged_arn = f"arn:aws:iam::{account}:role/tagged"
red = [{"Key": "team", "Value": "red"}]
eventually(lambda: alice_sts.assume_role(RoleArn=tagged_arn, RoleSessionName="t0"), "the tagged role")
expect_error("AccessDenied", lambda: alice_sts.assume_role(
    RoleArn=tagged_arn, RoleSessionName="t1", Tags=red), "session tags without sts:TagSession")
iam.update_assume_role_policy(RoleName="tagged", PolicyDocument=policy(
    {"Effect": "Allow", "Principal": {"AWS": alice_arn}, "Action": ["sts:AssumeRole", "sts:TagSession"]}))
red_session = creds_of(eventually(lambda: alice_sts.assume_role(
    RoleArn=tagged_arn, RoleSessionName="t2", Tags=red), "AssumeRole with session tags")["Credentials"])
eventually(client("iam", 2, red_session).list_roles, "the session tag team=red over the role's team=blue")
# A session policy's conditions see the session's tags as well.
red_narrow = creds_of(alice_sts.assume_role(RoleArn=tagged_arn, RoleSessionName="t4", Tags=red, Policy=policy(
    {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalTag/team": "red"}}}))["Credentials"])
eventually(client("iam", 2, red_narrow).list_roles, "a session policy conditioned on the session tag")
blue_session = creds_of(alice_sts.assume_role(RoleArn=tagged_arn, RoleSessionName="t3")["Credentials"])
expect_error("AccessDenied", client("iam", 2, blue_session).list_roles, "the role's own tag team=blue")
# Role chaining is limited to one hour.
expect_error("ValidationError", lambda: client("sts", 0, role).assume_role(
    RoleArn=role_arn, RoleSessionName="chain", DurationSeconds=7200), "chained session over 1 hour")

# ---- ChangePassword: a user's own, allowed by the password policy, no reuse, no guessing
iam.create_login_profile(UserName="alice", Password="Initial-pass-1")
time.sleep(0.3)
expect_error("AccessDenied", lambda: client("iam", 1, alice).change_password(
    OldPassword="Initial-pass-1", NewPassword="Second-pass-2"), "no permission and no policy allowance")
iam.update_account_password_policy(AllowUsersToChangePassword=True, PasswordReusePrevention=2, MinimumPasswordLength=10)
alice_pw = client("iam", 1, alice)
eventually(lambda: alice_pw.change_password(OldPassword="Initial-pass-1", NewPassword="Second-pass-2"),
           "AllowUsersToChangePassword lets alice change her password")
expect_error("AccessDenied", lambda: alice_pw.change_password(
    OldPassword="wrong-old-password", NewPassword="Third-pass-33"), "a wrong old password")
expect_error("PasswordPolicyViolation", lambda: alice_pw.change_password(
    OldPassword="Second-pass-2", NewPassword="Initial-pass-1"), "reusing the previous password")
expect_error("PasswordPolicyViolation", lambda: alice_pw.change_password(
    OldPassword="Second-pass-2", NewPassword="short"), "a password shorter than the policy allows")
alice_pw.change_password(OldPassword="Second-pass-2", NewPassword="Third-pass-33")
expect_error("InvalidUserType", lambda: iam.change_password(OldPassword="x", NewPassword="y"), "the root")
# Failed attempts are rate-limited per user, across the cluster (a right old password forgets
# them): five failures through node 2; then even the right one is refused through node 3.
codes = [error_code(lambda: alice_pw.change_password(OldPassword="guess-%d" % i, NewPassword="Fourth-pass-44"))
         for i in range(5)]
assert codes == ["AccessDenied"] * 5, codes
code = error_code(lambda: client("iam", 2, alice).change_password(
    OldPassword="Third-pass-33", NewPassword="Fourth-pass-44"))
assert code == "LimitExceeded", code

# ---- revoke older sessions (AWS's AWSRevokeOlderSessions policy)
time.sleep(1.1)
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
iam.put_role_policy(RoleName="deployer", PolicyName="AWSRevokeOlderSessions", PolicyDocument=policy(
    {"Effect": "Deny", "Action": "*", "Resource": "*",
     "Condition": {"DateLessThan": {"aws:TokenIssueTime": now}}}))
time.sleep(1.1)
deadline = time.time() + 10
while error_code(role_iam.list_users) != "AccessDenied":
    assert time.time() < deadline, "the revoked session still works"
    time.sleep(0.2)
fresh = creds_of(alice_sts.assume_role(RoleArn=role_arn, RoleSessionName="s3", ExternalId="xyz")["Credentials"])
eventually(client("iam", 2, fresh).list_users, "a session issued after the revocation works")
print("ok")
