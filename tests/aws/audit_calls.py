"""Calls for the audit-trail test (tests/tests/audit.rs): allowed, denied and unauthenticated
requests over the IAM Query API and STS, made with unmodified boto3 against one node.

Usage: audit_calls.py URL  (env: ROOT_AK ROOT_SK USER_AK USER_SK ACCOUNT QUERY_PASSWORD)
Prints one JSON object: each call's name, the request id AWS's answer carried, and its
error code (null when it succeeded).
"""

import json
import os
import sys

import boto3
import botocore.config
import botocore.exceptions

url = sys.argv[1]
env = os.environ
cfg = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})


def client(service, ak, sk):
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=ak,
        aws_secret_access_key=sk,
        config=cfg,
    )


root_iam = client("iam", env["ROOT_AK"], env["ROOT_SK"])
user_iam = client("iam", env["USER_AK"], env["USER_SK"])
user_sts = client("sts", env["USER_AK"], env["USER_SK"])
forged_iam = client("iam", env["USER_AK"], "0" * 40)

calls = [
    ("root_create_user", lambda: root_iam.create_user(UserName="audit-q-created")),
    (
        "root_create_login_profile",
        lambda: root_iam.create_login_profile(
            UserName="audit-q-created", Password=env["QUERY_PASSWORD"]
        ),
    ),
    ("user_list_users", lambda: user_iam.list_users()),
    ("user_create_user_denied", lambda: user_iam.create_user(UserName="audit-q-denied")),
    ("user_get_caller_identity", lambda: user_sts.get_caller_identity()),
    (
        "user_assume_role_denied",
        lambda: user_sts.assume_role(
            RoleArn="arn:aws:iam::%s:role/audit-target" % env["ACCOUNT"],
            RoleSessionName="audit-session",
        ),
    ),
    ("forged_list_users", lambda: forged_iam.list_users()),
]

out = {}
for name, call in calls:
    try:
        r = call()
        out[name] = {"request_id": r["ResponseMetadata"]["RequestId"], "code": None}
    except botocore.exceptions.ClientError as e:
        out[name] = {
            "request_id": e.response["ResponseMetadata"].get("RequestId"),
            "code": e.response["Error"]["Code"],
        }
print(json.dumps(out))
