"""boto3 against a live iamd cluster: server certificates (UploadServerCertificate,
GetServerCertificate, ListServerCertificates, UpdateServerCertificate,
DeleteServerCertificate, TagServerCertificate, UntagServerCertificate,
ListServerCertificateTags), with writes sent through followers and reads from other nodes,
AWS's codes and messages, the quota of 20, authorization on the certificate's ARN (path and
tags), and the private key never returned. Keys and certificates are made here with
`cryptography`. Usage: boto3_server_certs.py URL [URL...] (one per node), signed with
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment; with KEYS_OUT set, every
private key uploaded is appended to that file (PEM) for the runner to look for in the nodes'
logs, audit trails and data. Exits non-zero (with the failing check) on the first failure."""

import datetime
import json
import os
import time

import boto3
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from iamd_cluster import CONFIG, URLS, eventually, expect_error, on, until

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)
PEM = serialization.Encoding.PEM
TRADITIONAL = serialization.PrivateFormat.TraditionalOpenSSL
PKCS8 = serialization.PrivateFormat.PKCS8
CLEAR = serialization.NoEncryption()
UPLOADED_KEYS = []




def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def certificate(key, cn, issuer=None, ca=False, not_before=NOW - DAY,
                not_after=NOW + 365 * DAY):
    """A certificate of `key`'s public key, signed by `issuer` ((name, key)) or self-signed;
    returns (PEM, the certificate)."""
    issuer_name, issuer_key = issuer or (name(cn), key)
    builder = (x509.CertificateBuilder()
               .subject_name(name(cn)).issuer_name(issuer_name)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after))
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None),
                                        critical=True)
    cert = builder.sign(issuer_key, hashes.SHA256())
    return cert.public_bytes(PEM).decode(), cert


def key_pem(key, fmt=PKCS8, encryption=CLEAR):
    return key.private_bytes(PEM, fmt, encryption).decode()


def uploaded(pem):
    """Records a private key as uploaded (for the runner's search) and returns it."""
    UPLOADED_KEYS.append(pem)
    return pem


def base64_lines(pem):
    return [l for l in pem.splitlines() if l and not l.startswith("-----") and len(l) > 16]


def holds_no_key(response):
    """No private key, nor any line of one uploaded, anywhere in a response."""
    text = json.dumps(response, default=str)
    assert "PrivateKey" not in text and "PRIVATE KEY" not in text, text
    for pem in UPLOADED_KEYS:
        for line in base64_lines(pem):
            assert line not in text, "a response holds a private key"


root = on(0)
account = root.get_user()["User"]["Arn"].split(":")[4]

# A CA and a certificate it issued (RSA), uploaded through a follower with the CA as its
# chain, under CloudFront's path, tagged.
ca_key = ec.generate_private_key(ec.SECP256R1())
ca_pem, ca_cert = certificate(ca_key, "iamd test CA", ca=True, not_after=NOW + 3650 * DAY)
web_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
web_pem, web_cert = certificate(web_key, "www.example.com", issuer=(name("iamd test CA"), ca_key))
web_key_pem = uploaded(key_pem(web_key, TRADITIONAL))
up = on(1).upload_server_certificate(
    Path="/cloudfront/", ServerCertificateName="web", CertificateBody=web_pem,
    PrivateKey=web_key_pem, CertificateChain=ca_pem,
    Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "edge"}])
holds_no_key(up)
meta = up["ServerCertificateMetadata"]
cert_id = meta["ServerCertificateId"]
assert cert_id.startswith("ASCA") and len(cert_id) == 21 and cert_id.isalnum(), meta
assert meta["Path"] == "/cloudfront/" and meta["ServerCertificateName"] == "web", meta
assert meta["Arn"] == f"arn:aws:iam::{account}:server-certificate/cloudfront/web", meta
assert abs(meta["UploadDate"] - NOW) < datetime.timedelta(minutes=5), meta
assert meta["Expiration"] == web_cert.not_valid_after_utc, meta
assert up["Tags"] == [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "edge"}], up

# Read from another node: the metadata, the body and the chain, the tags; never the key.
got = until(lambda: on(2).get_server_certificate(ServerCertificateName="web"),
            lambda v: isinstance(v, dict), "the certificate on node 2")
holds_no_key(got)
sc = got["ServerCertificate"]
assert set(sc) == {"ServerCertificateMetadata", "CertificateBody", "CertificateChain", "Tags"}, sc
assert sc["ServerCertificateMetadata"] == meta, sc
assert sc["CertificateBody"] == web_pem.strip() and sc["CertificateChain"] == ca_pem.strip(), sc
assert x509.load_pem_x509_certificate(sc["CertificateBody"].encode()) == web_cert
assert sc["Tags"] == up["Tags"], sc
# Names are case-insensitive.
assert on(0).get_server_certificate(ServerCertificateName="WEB")["ServerCertificate"][
    "ServerCertificateMetadata"]["ServerCertificateId"] == cert_id

# An EC certificate (SEC1 key with OpenSSL's layout), listed and paged by path.
api_key = ec.generate_private_key(ec.SECP384R1())
api_pem, _ = certificate(api_key, "api.example.com")
api = on(2).upload_server_certificate(ServerCertificateName="api", CertificateBody=api_pem,
                                      PrivateKey=uploaded(key_pem(api_key, TRADITIONAL)))
holds_no_key(api)
listed = until(lambda: on(1).list_server_certificates(),
               lambda v: len(v["ServerCertificateMetadataList"]) == 2, "both on node 1")
holds_no_key(listed)
assert [m["ServerCertificateName"] for m in listed["ServerCertificateMetadataList"]] == \
    ["api", "web"], listed
assert not listed["IsTruncated"], listed
cf = on(0).list_server_certificates(PathPrefix="/cloudfront/")["ServerCertificateMetadataList"]
assert cf == [meta], cf
first = on(1).list_server_certificates(MaxItems=1)
assert first["IsTruncated"] and len(first["ServerCertificateMetadataList"]) == 1, first
rest = on(1).list_server_certificates(Marker=first["Marker"])
assert [m["ServerCertificateName"] for m in rest["ServerCertificateMetadataList"]] == ["web"], rest
summary = until(lambda: on(2).get_account_summary()["SummaryMap"],
                lambda v: v["ServerCertificates"] == 2, "the count on node 2")
assert summary["ServerCertificatesQuota"] == 20, summary

# AWS's codes and messages; a refusal changes nothing.
other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
msg = expect_error("KeyPairMismatch", on(1).upload_server_certificate,
                   ServerCertificateName="x", CertificateBody=web_pem,
                   PrivateKey=key_pem(other_key))
assert msg == "The private key does not match the public key in the certificate.", msg
expect_error("KeyPairMismatch", on(2).upload_server_certificate, ServerCertificateName="x",
             CertificateBody=web_pem, PrivateKey=key_pem(api_key))
msg = expect_error("MalformedCertificate", on(1).upload_server_certificate,
                   ServerCertificateName="x", CertificateBody="not a certificate",
                   PrivateKey=web_key_pem)
assert msg == "Unable to parse certificate. Please ensure the certificate is in PEM format.", msg
for bad_key in [key_pem(web_key, PKCS8, serialization.BestAvailableEncryption(b"test-only")),
                key_pem(web_key, TRADITIONAL, serialization.BestAvailableEncryption(b"test-only"))]:
    msg = expect_error("MalformedCertificate", on(2).upload_server_certificate,
                       ServerCertificateName="x", CertificateBody=web_pem, PrivateKey=bad_key)
    assert "encrypted" in msg, msg
msg = expect_error("MalformedCertificate", on(1).upload_server_certificate,
                   ServerCertificateName="x", CertificateBody=web_pem, PrivateKey="garbage")
assert msg.startswith("Unable to parse private key") and "garbage" not in msg, msg
# A chain that is not the certificate's issuers.
msg = expect_error("MalformedCertificate", on(2).upload_server_certificate,
                   ServerCertificateName="x", CertificateBody=web_pem, PrivateKey=web_key_pem,
                   CertificateChain=api_pem)
assert msg.startswith("Unable to validate certificate chain."), msg
# Not valid yet: refused as AWS refuses it. Expired: accepted (iamd's choice), its
# Expiration in the past.
later_pem, _ = certificate(web_key, "later", not_before=NOW + DAY, not_after=NOW + 30 * DAY)
expect_error("MalformedCertificate", on(1).upload_server_certificate,
             ServerCertificateName="x", CertificateBody=later_pem, PrivateKey=web_key_pem)
old_pem, old_cert = certificate(web_key, "old", not_before=NOW - 30 * DAY, not_after=NOW - DAY)
old = on(1).upload_server_certificate(ServerCertificateName="old", CertificateBody=old_pem,
                                      PrivateKey=web_key_pem)["ServerCertificateMetadata"]
assert old["Expiration"] == old_cert.not_valid_after_utc, old
msg = expect_error("EntityAlreadyExists", on(2).upload_server_certificate,
                   ServerCertificateName="Web", CertificateBody=web_pem, PrivateKey=web_key_pem)
assert msg == "The Server Certificate with name Web already exists.", msg
expect_error("ValidationError", on(1).upload_server_certificate,
             ServerCertificateName="n" * 129, CertificateBody=web_pem, PrivateKey=web_key_pem)
expect_error("ValidationError", on(1).upload_server_certificate, ServerCertificateName="x",
             Path="no-slashes", CertificateBody=web_pem, PrivateKey=web_key_pem)
msg = expect_error("ValidationError", on(2).upload_server_certificate,
                   ServerCertificateName="x", CertificateBody=web_pem,
                   PrivateKey=web_key_pem + "k" * 16384)
assert "privateKey" in msg and "kkkk" not in msg and "PRIVATE" not in msg, msg
msg = expect_error("NoSuchEntity", on(1).get_server_certificate, ServerCertificateName="x")
assert msg == "The Server Certificate with name x cannot be found.", msg

# Rename and move through a follower: the ARN follows, the id stays.
on(2).update_server_certificate(ServerCertificateName="web", NewServerCertificateName="www",
                                NewPath="/elb/")
moved = eventually(lambda: on(1).get_server_certificate(ServerCertificateName="www"),
                   "www on node 1")["ServerCertificate"]["ServerCertificateMetadata"]
assert moved["ServerCertificateId"] == cert_id and moved["Path"] == "/elb/", moved
assert moved["Arn"] == f"arn:aws:iam::{account}:server-certificate/elb/www", moved
expect_error("NoSuchEntity", on(1).get_server_certificate, ServerCertificateName="web")
msg = expect_error("EntityAlreadyExists", on(1).update_server_certificate,
                   ServerCertificateName="api", NewServerCertificateName="WWW")
assert msg == "The Server Certificate with name WWW already exists.", msg

# Tags: replaced by key in place, untagging an absent key is no error.
on(1).tag_server_certificate(ServerCertificateName="www",
                             Tags=[{"Key": "ENV", "Value": "test"}, {"Key": "owner", "Value": "ops"}])
on(2).untag_server_certificate(ServerCertificateName="www", TagKeys=["team", "absent"])
tags = until(lambda: on(0).list_server_certificate_tags(ServerCertificateName="www"),
             lambda v: len(v["Tags"]) == 2, "the tags on node 0")
assert tags["Tags"] == [{"Key": "ENV", "Value": "test"}, {"Key": "owner", "Value": "ops"}], tags
assert not tags["IsTruncated"], tags
expect_error("NoSuchEntity", on(1).tag_server_certificate, ServerCertificateName="nope",
             Tags=[{"Key": "a", "Value": "b"}])
expect_error("LimitExceeded", on(1).tag_server_certificate, ServerCertificateName="www",
             Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])

# At most 20 per account.
for i in range(17):
    k = ec.generate_private_key(ec.SECP256R1())
    pem, _ = certificate(k, f"fill-{i}")
    on(i).upload_server_certificate(ServerCertificateName=f"fill-{i:02}", CertificateBody=pem,
                                    PrivateKey=uploaded(key_pem(k)))
k = ec.generate_private_key(ec.SECP256R1())
pem, _ = certificate(k, "one-too-many")
msg = expect_error("LimitExceeded", on(2).upload_server_certificate,
                   ServerCertificateName="one-too-many", CertificateBody=pem,
                   PrivateKey=key_pem(k))
assert msg == "Cannot exceed quota for ServerCertificatesPerAccount: 20", msg
for i in range(17):
    on(i).delete_server_certificate(ServerCertificateName=f"fill-{i:02}")
on(1).delete_server_certificate(ServerCertificateName="old")
msg = expect_error("NoSuchEntity", on(2).delete_server_certificate, ServerCertificateName="old")
assert msg == "The Server Certificate with name old cannot be found.", msg

# Authorization: iam:*ServerCertificate* on the certificate's ARN. "deployer" may manage
# the certificates under /team/ only, must tag an upload with owner, and may delete only
# those it owns.
team = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow",
     "Action": ["iam:UploadServerCertificate", "iam:GetServerCertificate",
                "iam:ListServerCertificates", "iam:TagServerCertificate",
                "iam:ListServerCertificateTags"],
     "Resource": f"arn:aws:iam::{account}:server-certificate/team/*"},
    {"Effect": "Deny", "Action": "iam:UploadServerCertificate", "Resource": "*",
     "Condition": {"Null": {"aws:RequestTag/owner": "true"}}},
    {"Effect": "Allow", "Action": "iam:DeleteServerCertificate",
     "Resource": f"arn:aws:iam::{account}:server-certificate/team/*",
     "Condition": {"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}}}]}
root.create_user(UserName="deployer")
root.put_user_policy(UserName="deployer", PolicyName="team-certs",
                     PolicyDocument=json.dumps(team))
access = root.create_access_key(UserName="deployer")["AccessKey"]
deployer = boto3.client("iam", endpoint_url=URLS[1 % len(URLS)], region_name="us-east-1",
                        aws_access_key_id=access["AccessKeyId"],
                        aws_secret_access_key=access["SecretAccessKey"], config=CONFIG)
k = ec.generate_private_key(ec.SECP256R1())
pem, _ = certificate(k, "team.example.com")
k_pem = uploaded(key_pem(k))
mine = eventually(lambda: deployer.upload_server_certificate(
    Path="/team/", ServerCertificateName="team-web", CertificateBody=pem, PrivateKey=k_pem,
    Tags=[{"Key": "owner", "Value": "deployer"}]), "deployer's policy on node 1")
holds_no_key(mine)
msg = expect_error("AccessDenied", deployer.upload_server_certificate, Path="/",
                   ServerCertificateName="outside", CertificateBody=pem, PrivateKey=k_pem,
                   Tags=[{"Key": "owner", "Value": "deployer"}])
assert "iam:UploadServerCertificate" in msg and "server-certificate/outside" in msg, msg
expect_error("AccessDenied", deployer.upload_server_certificate, Path="/team/",
             ServerCertificateName="untagged", CertificateBody=pem, PrivateKey=k_pem)
expect_error("AccessDenied", deployer.get_server_certificate, ServerCertificateName="www")
assert [m["ServerCertificateName"] for m in deployer.list_server_certificates(
    PathPrefix="/team/")["ServerCertificateMetadataList"]] == ["team-web"]
expect_error("AccessDenied", deployer.list_server_certificates)
# Deleting needs owner=deployer on the certificate: not once the tag says otherwise.
deployer.tag_server_certificate(ServerCertificateName="team-web",
                                Tags=[{"Key": "owner", "Value": "someone-else"}])
until(lambda: on(1).list_server_certificate_tags(ServerCertificateName="team-web")["Tags"],
      lambda v: v == [{"Key": "owner", "Value": "someone-else"}], "the new owner on node 1")
msg = expect_error("AccessDenied", deployer.delete_server_certificate,
                   ServerCertificateName="team-web")
assert "iam:DeleteServerCertificate" in msg, msg
on(0).tag_server_certificate(ServerCertificateName="team-web",
                             Tags=[{"Key": "owner", "Value": "deployer"}])
eventually(lambda: deployer.delete_server_certificate(ServerCertificateName="team-web"),
           "deleting its own")

for n in ["www", "api"]:
    on(2).delete_server_certificate(ServerCertificateName=n)
until(lambda: on(0).list_server_certificates()["ServerCertificateMetadataList"],
      lambda v: v == [], "all deleted on node 0")

if os.environ.get("KEYS_OUT"):
    with open(os.environ["KEYS_OUT"], "a") as f:
        f.write("".join(UPLOADED_KEYS))
print("ok")
