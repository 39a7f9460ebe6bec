"""boto3 against a live iamd cluster: GetFederationToken. An IAM user allowed
sts:GetFederationToken on federated-user/app-* gets a federated user's session through a
follower; the session proves its identity (GetCallerIdentity on every node) and, as in AWS,
may call no IAM operation and no other STS operation; names the policy does not allow,
session credentials, out-of-range durations are refused; the root's session is cut to one
hour; deleting the user ends its federated sessions. Usage: boto3_federation_token.py URL
[URL...], signed with the operator's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Exits non-zero
on the first failure."""

import datetime
import json
import time

import boto3
import botocore.config
from botocore.exceptions import ClientError

from iamd_cluster import CONFIG, URLS, eventually, expect_error, on


def client(service, i, creds):
    return boto3.client(service, endpoint_url=URLS[i % len(URLS)], region_name="us-east-1",
                        aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds.get("SessionToken"), config=CONFIG)


def left(creds):
    return creds["Expiration"] - datetime.datetime.now(datetime.timezone.utc)


root = on(0)
account = root.get_user()["User"]["Arn"].split(":")[4]
root.create_user(UserName="proxy")
root.put_user_policy(UserName="proxy", PolicyName="federate", PolicyDocument=json.dumps({
    "Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:GetFederationToken",
         "Resource": f"arn:aws:sts::{account}:federated-user/app-*"},
        {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}))
key = root.create_access_key(UserName="proxy")["AccessKey"]
proxy_sts = client("sts", 1, key)

got = eventually(lambda: proxy_sts.get_federation_token(
    Name="app-alice", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}]})), "proxy's key on node 1")
fed = got["FederatedUser"]
assert fed["Arn"] == f"arn:aws:sts::{account}:federated-user/app-alice", fed
assert fed["FederatedUserId"] == f"{account}:app-alice", fed
creds = got["Credentials"]
assert creds["AccessKeyId"].startswith("ASIA"), creds
assert datetime.timedelta(hours=11, minutes=55) < left(creds) <= datetime.timedelta(hours=12, minutes=1)

for i in range(len(URLS)):
    who = client("sts", i, creds).get_caller_identity()
    assert who["Arn"] == fed["Arn"] and who["UserId"] == fed["FederatedUserId"], who
    assert who["Account"] == account, who
# No IAM operation, no other STS operation (even with a session policy allowing everything).
expect_error("AccessDenied", client("iam", 2, creds).list_users)
expect_error("AccessDenied", client("iam", 0, creds).create_user, UserName="intruder")
expect_error("AccessDenied", client("sts", 1, creds).get_session_token)
expect_error("AccessDenied", client("sts", 2, creds).get_federation_token, Name="app-again")
expect_error("AccessDenied", client("sts", 0, creds).assume_role,
             RoleArn=f"arn:aws:iam::{account}:role/nobody", RoleSessionName="ses")

# What the proxy's policy does not allow, or AWS's constraints, are refused.
expect_error("AccessDenied", proxy_sts.get_federation_token, Name="admin")
# (boto3 checks these itself: without its check, the server refuses them.)
unchecked = boto3.client("sts", endpoint_url=URLS[2 % len(URLS)], region_name="us-east-1",
                         aws_access_key_id=key["AccessKeyId"],
                         aws_secret_access_key=key["SecretAccessKey"],
                         config=CONFIG.merge(botocore.config.Config(parameter_validation=False)))
for bad in ({"Name": "app-x", "DurationSeconds": 899}, {"Name": "app-x", "DurationSeconds": 129601},
            {"Name": "a"}, {"Name": "app-" + "x" * 29}, {"Name": "app x"}):
    expect_error("ValidationError", unchecked.get_federation_token, **bad)
session = proxy_sts.get_session_token()["Credentials"]
expect_error("AccessDenied", client("sts", 2, session).get_federation_token, Name="app-s")
short = proxy_sts.get_federation_token(Name="app-bob", DurationSeconds=900)["Credentials"]
assert left(short) <= datetime.timedelta(minutes=15, seconds=30), short

# The root's federated session lasts one hour at most.
rooted = boto3.client("sts", endpoint_url=URLS[0], region_name="us-east-1", config=CONFIG)
r = rooted.get_federation_token(Name="rooted", DurationSeconds=7200)["Credentials"]
assert left(r) <= datetime.timedelta(hours=1, seconds=30), r

# Deleting the user ends the sessions it made.
root.delete_access_key(UserName="proxy", AccessKeyId=key["AccessKeyId"])
root.delete_user_policy(UserName="proxy", PolicyName="federate")
root.delete_user(UserName="proxy")
deadline = time.time() + 10
while True:
    try:
        client("sts", 1, creds).get_caller_identity()
    except ClientError as e:
        assert e.response["Error"]["Code"] == "InvalidClientTokenId", e
        break
    assert time.time() < deadline, "the federated session outlived its user"
    time.sleep(0.2)
print("ok")
