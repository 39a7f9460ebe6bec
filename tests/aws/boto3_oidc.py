"""boto3 against a live iamd cluster: OpenID Connect providers (the IAM management API), with
writes sent through followers and reads from other nodes. Usage: boto3_oidc.py URL [URL...]
(one per node), signed with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment.
Exits non-zero (with the failing check) on the first failure."""

import json

import boto3

from iamd_cluster import CONFIG, URLS, eventually, expect_error, on


URL = "https://token.actions.example.com/org"
T1 = "6938fd4d98bab03faadb97b34396831e3780aea1"
T2 = "1C58A3A8518E8759BF075B76B750D4F2DF264FCD"

# Create through a follower; the ARN is oidc-provider/ and the URL without its scheme.
created = on(1).create_open_id_connect_provider(
    Url=URL,
    ClientIDList=["sts.amazonaws.com"],
    ThumbprintList=[T1],
    Tags=[{"Key": "team", "Value": "ci"}, {"Key": "env", "Value": "prod"}],
)
arn = created["OpenIDConnectProviderArn"]
account = arn.split(":")[4]
assert arn == f"arn:aws:iam::{account}:oidc-provider/token.actions.example.com/org", arn
assert created["Tags"] == [{"Key": "team", "Value": "ci"}, {"Key": "env", "Value": "prod"}], created

got = on(2).get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
assert got["Url"] == "token.actions.example.com/org", got
assert got["ClientIDList"] == ["sts.amazonaws.com"], got
assert got["ThumbprintList"] == [T1], got
assert got["CreateDate"].year >= 2024, got
assert got["Tags"] == [{"Key": "team", "Value": "ci"}, {"Key": "env", "Value": "prod"}], got
listed = on(0).list_open_id_connect_providers()["OpenIDConnectProviderList"]
assert listed == [{"Arn": arn}], listed

# The same URL again, in the same account: AWS's EntityAlreadyExists, naming the URL.
msg = expect_error("EntityAlreadyExists", on(2).create_open_id_connect_provider, Url=URL,
                   ThumbprintList=[T1])
assert msg == f"Provider with url {URL} already exists.", msg

# Client ids: adding a present one or removing an absent one is not an error.
on(1).add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="web-app")
on(2).add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="web-app")
on(1).remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                                      ClientID="never-added")
on(2).remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                                      ClientID="sts.amazonaws.com")
got = on(0).get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
assert got["ClientIDList"] == ["web-app"], got

# Thumbprints are replaced, not merged (kept lowercase).
on(1).update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn,
                                                 ThumbprintList=[T2, T1])
got = on(2).get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
assert got["ThumbprintList"] == [T2.lower(), T1], got
msg = expect_error("InvalidInput", on(1).update_open_id_connect_provider_thumbprint,
                   OpenIDConnectProviderArn=arn, ThumbprintList=[c * 40 for c in "abcdef"])
assert msg == "Thumbprint list must contain fewer than 5 entries.", msg
expect_error("InvalidInput", on(1).update_open_id_connect_provider_thumbprint,
             OpenIDConnectProviderArn=arn, ThumbprintList=["z" * 40])
assert on(0).get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == [
    T2.lower(), T1]

# Tags: in the order added, page by page; untag by key (case-insensitive).
on(2).tag_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                   Tags=[{"Key": "cost", "Value": "42"}, {"Key": "ENV", "Value": "dev"}])
keys = [t["Key"] for p in on(1).get_paginator("list_open_id_connect_provider_tags").paginate(
    OpenIDConnectProviderArn=arn, PaginationConfig={"PageSize": 1}) for t in p["Tags"]]
assert keys == ["team", "ENV", "cost"], keys
on(1).untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["TEAM", "absent"])
tags = on(2).list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)
assert tags["Tags"] == [{"Key": "ENV", "Value": "dev"}, {"Key": "cost", "Value": "42"}], tags
assert tags["IsTruncated"] is False, tags

# Bad input: AWS's codes and messages, and nothing created.
msg = expect_error("ValidationError", on(1).create_open_id_connect_provider, Url="example.org")
assert msg == "Invalid Open ID Connect Provider URL", msg
msg = expect_error("InvalidInput", on(2).create_open_id_connect_provider, Url="http://example.org")
assert msg == "Invalid Open ID Connect Provider URL. The URL must begin with https://.", msg
expect_error("InvalidInput", on(1).create_open_id_connect_provider, Url="https://example.org:8443")
msg = expect_error("LimitExceeded", on(2).create_open_id_connect_provider, Url="https://many.example.org",
                   ClientIDList=[f"app-{i}" for i in range(101)])
assert msg == "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100", msg
msg = expect_error("InvalidInput", on(1).create_open_id_connect_provider, Url="https://six.example.org",
                   ThumbprintList=[c * 40 for c in "abcdef"])
assert msg == "Thumbprint list must contain fewer than 5 entries.", msg
missing = f"arn:aws:iam::{account}:oidc-provider/nothing.example.org"
msg = expect_error("NoSuchEntity", on(2).get_open_id_connect_provider, OpenIDConnectProviderArn=missing)
assert msg == f"OpenIDConnect Provider not found for arn {missing}", msg
expect_error("NoSuchEntity", on(1).add_client_id_to_open_id_connect_provider,
             OpenIDConnectProviderArn=missing, ClientID="x")
expect_error("NoSuchEntity", on(2).tag_open_id_connect_provider, OpenIDConnectProviderArn=missing,
             Tags=[{"Key": "k", "Value": "v"}])
expect_error("InvalidInput", on(1).get_open_id_connect_provider,
             OpenIDConnectProviderArn=f"arn:aws:iam::{account}:user/not-a-provider")
assert on(0).list_open_id_connect_providers()["OpenIDConnectProviderList"] == [{"Arn": arn}]

# Authorization: the provider ARN is the resource, with its tags (aws:ResourceTag) and the
# request's (aws:RequestTag), as the Service Authorization Reference lists them.
root = on(0)
root.create_user(UserName="idp-admin")
key = root.create_access_key(UserName="idp-admin")["AccessKey"]
root.put_user_policy(UserName="idp-admin", PolicyName="oidc", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["iam:GetOpenIDConnectProvider"],
         "Resource": f"arn:aws:iam::{account}:oidc-provider/*",
         "Condition": {"StringEquals": {"aws:ResourceTag/cost": "42"}}},
        {"Effect": "Allow", "Action": "iam:CreateOpenIDConnectProvider",
         "Resource": f"arn:aws:iam::{account}:oidc-provider/*",
         "Condition": {"StringEquals": {"aws:RequestTag/team": "ci"}}},
    ]}))
admin = boto3.client("iam", endpoint_url=URLS[1 % len(URLS)], region_name="us-east-1",
                     aws_access_key_id=key["AccessKeyId"],
                     aws_secret_access_key=key["SecretAccessKey"], config=CONFIG)
got = eventually(lambda: admin.get_open_id_connect_provider(OpenIDConnectProviderArn=arn),
                 "idp-admin's policy on node 2")
assert got["Url"] == "token.actions.example.com/org", got
msg = expect_error("AccessDenied", admin.create_open_id_connect_provider, Url="https://x.example.org")
assert "iam:CreateOpenIDConnectProvider" in msg and f"oidc-provider/x.example.org" in msg, msg
mine = admin.create_open_id_connect_provider(Url="https://x.example.org",
                                             Tags=[{"Key": "team", "Value": "ci"}])
expect_error("AccessDenied", admin.delete_open_id_connect_provider,
             OpenIDConnectProviderArn=mine["OpenIDConnectProviderArn"])
expect_error("AccessDenied", admin.get_open_id_connect_provider,
             OpenIDConnectProviderArn=mine["OpenIDConnectProviderArn"])
expect_error("AccessDenied", admin.list_open_id_connect_providers)
root.delete_open_id_connect_provider(OpenIDConnectProviderArn=mine["OpenIDConnectProviderArn"])

# The account summary counts it.
summary = on(2).get_account_summary()["SummaryMap"]
assert summary["Providers"] == 1, summary

# Delete through a follower; deleting again is not an error (AWS documents it idempotent).
on(1).delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
on(2).delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
expect_error("NoSuchEntity", on(0).get_open_id_connect_provider, OpenIDConnectProviderArn=arn)
assert on(1).list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
# The URL is free again.
again = on(2).create_open_id_connect_provider(Url=URL)
assert again["OpenIDConnectProviderArn"] == arn, again
assert on(0).get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == []
on(1).delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
print("ok")
