"""An unmodified boto3 with no credentials of its own, only what its default chain finds
(an `iamctl agent` endpoint or an `iamctl credential-process` profile): it must act as the
role session. Usage: role_credentials.py URL ROLE_NAME."""

import sys

import boto3
from botocore.exceptions import ClientError

URL, ROLE = sys.argv[1], sys.argv[2]
session = boto3.session.Session(region_name="us-east-1")
sts = session.client("sts", endpoint_url=URL)
ident = sts.get_caller_identity()
assert f":assumed-role/{ROLE}/" in ident["Arn"], ident
iam = session.client("iam", endpoint_url=URL)
iam.list_users()
try:
    iam.create_user(UserName="not-allowed")
    raise AssertionError("the role session created a user")
except ClientError as e:
    assert e.response["Error"]["Code"] == "AccessDenied", e.response
creds = session.get_credentials().get_frozen_credentials()
assert creds.access_key.startswith("ASIA") and creds.token, creds.access_key
print(ident["Arn"])
