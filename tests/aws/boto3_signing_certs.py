"""boto3 against a live iamd cluster: signing certificates of IAM users
(UploadSigningCertificate, ListSigningCertificates, UpdateSigningCertificate,
DeleteSigningCertificate), with writes sent through followers and reads from other nodes,
AWS's codes and messages, and authorization of a user managing their own certificates (one
allowed, one denied). Certificates are made here with `cryptography`. Usage:
boto3_signing_certs.py URL [URL...] (one per node), signed with AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY from the environment. Exits non-zero (with the failing check) on the
first failure."""

import datetime
import json
import time

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from botocore.exceptions import ClientError
from cryptography.x509.oid import NameOID

from iamd_cluster import CONFIG, URLS, eventually, expect_error, on, until

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)




def certificate(cn, not_before=NOW - DAY, not_after=NOW + 365 * DAY):
    """A self-signed ECDSA certificate, PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


root = on(0)
account = root.get_user()["User"]["Arn"].split(":")[4]
on(1).create_user(UserName="dev")

# Upload through a follower (with whitespace around it, which is not kept); read it from
# another node.
c1 = certificate("dev-1")
up = on(1).upload_signing_certificate(UserName="dev", CertificateBody="\n" + c1 + "\n\n")["Certificate"]
cert_id = up["CertificateId"]
assert len(cert_id) == 24 and cert_id.isalnum() and cert_id.isupper(), up
assert up["UserName"] == "dev" and up["Status"] == "Active", up
assert up["CertificateBody"] == c1.strip(), up
assert set(up) == {"UserName", "CertificateId", "CertificateBody", "Status", "UploadDate"}, up
assert abs(up["UploadDate"] - NOW) < datetime.timedelta(minutes=5), up
listed = until(lambda: on(2).list_signing_certificates(UserName="dev"),
               lambda v: len(v["Certificates"]) == 1, "the list on node 2")
assert listed["Certificates"] == [up] and not listed["IsTruncated"], listed
# The same PEM read back is the same certificate as cryptography reads it.
assert (x509.load_pem_x509_certificate(listed["Certificates"][0]["CertificateBody"].encode())
        == x509.load_pem_x509_certificate(c1.encode()))

# The same certificate twice for a user, malformed, expired and future ones: AWS's codes.
msg = expect_error("DuplicateCertificate", on(2).upload_signing_certificate, UserName="dev",
                   CertificateBody=c1.replace("\n", "\r\n"))
assert msg == ("The request was rejected because the same certificate is already associated "
               "with the specified IAM user."), msg
for body in ["not a certificate", c1 + c1, c1 + "trailing",
             "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
             ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
                 serialization.Encoding.PEM,
                 serialization.PublicFormat.SubjectPublicKeyInfo).decode()]:
    msg = expect_error("MalformedCertificate", on(1).upload_signing_certificate, UserName="dev",
                       CertificateBody=body)
    assert "malformed" in msg, msg
msg = expect_error("InvalidCertificate", on(2).upload_signing_certificate, UserName="dev",
                   CertificateBody=certificate("old", NOW - 30 * DAY, NOW - DAY))
assert "expired" in msg, msg
msg = expect_error("InvalidCertificate", on(1).upload_signing_certificate, UserName="dev",
                   CertificateBody=certificate("later", NOW + DAY, NOW + 30 * DAY))
assert "not valid yet" in msg, msg
expect_error("ValidationError", on(2).upload_signing_certificate, UserName="dev",
             CertificateBody="x" * 16385)
expect_error("NoSuchEntity", on(1).upload_signing_certificate, UserName="nobody",
             CertificateBody=certificate("nobody"))
# The root has none and must name a user for the writes.
msg = expect_error("ValidationError", on(2).upload_signing_certificate,
                   CertificateBody=certificate("root"))
assert "UserName is required" in msg, msg
assert on(1).list_signing_certificates()["Certificates"] == []

# At most two per user.
up2 = on(2).upload_signing_certificate(UserName="dev", CertificateBody=certificate("dev-2"))["Certificate"]
msg = expect_error("LimitExceeded", on(1).upload_signing_certificate, UserName="dev",
                   CertificateBody=certificate("dev-3"))
assert msg == "Cannot exceed quota for CertificatesPerUser: 2", msg

# Listed (paged) from any node, in upload order.
listed = until(lambda: on(0).list_signing_certificates(UserName="dev"),
               lambda v: len(v["Certificates"]) == 2, "both on node 0")
assert [c["CertificateId"] for c in listed["Certificates"]] == [cert_id, up2["CertificateId"]], listed
first = on(2).list_signing_certificates(UserName="dev", MaxItems=1)
assert first["IsTruncated"] and first["Certificates"] == [up], first
rest = on(2).list_signing_certificates(UserName="dev", Marker=first["Marker"])
assert rest["Certificates"] == [up2] and not rest["IsTruncated"], rest

# Deactivate, then delete; a user with certificates cannot be deleted.
on(2).update_signing_certificate(UserName="dev", CertificateId=cert_id, Status="Inactive")
got = until(lambda: on(1).list_signing_certificates(UserName="dev")["Certificates"],
            lambda v: v[0]["Status"] == "Inactive", "Inactive on node 1")
assert got[0]["CertificateId"] == cert_id and got[1]["Status"] == "Active", got
expect_error("ValidationError", on(1).update_signing_certificate, UserName="dev",
             CertificateId=cert_id, Status="Off")
msg = expect_error("DeleteConflict", on(2).delete_user, UserName="dev")
assert msg == "Cannot delete entity, must delete signing certificates first.", msg
for c in listed["Certificates"]:
    on(1).delete_signing_certificate(UserName="dev", CertificateId=c["CertificateId"])
msg = expect_error("NoSuchEntity", on(2).delete_signing_certificate, UserName="dev",
                   CertificateId=cert_id)
assert msg == f"The Certificate with id {cert_id} cannot be found.", msg
on(2).delete_user(UserName="dev")

# Authorization: iam:*SigningCertificate (and the listing) on the user's ARN. "self" may
# manage its own certificates only, without naming itself; "other" has no policy and may
# manage none, not even its own.
own = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow",
    "Action": ["iam:*SigningCertificate", "iam:ListSigningCertificates"],
    "Resource": f"arn:aws:iam::{account}:user/${{aws:username}}"}]}


def user_client(name, node):
    root.create_user(UserName=name)
    key = root.create_access_key(UserName=name)["AccessKey"]
    return boto3.client("iam", endpoint_url=URLS[node % len(URLS)], region_name="us-east-1",
                        aws_access_key_id=key["AccessKeyId"],
                        aws_secret_access_key=key["SecretAccessKey"], config=CONFIG)


me = user_client("self", 1)
root.put_user_policy(UserName="self", PolicyName="own-signing-certs",
                     PolicyDocument=json.dumps(own))
other = user_client("other", 2)
# Without UserName, every call acts on the caller's own certificates.
mine = eventually(lambda: me.upload_signing_certificate(CertificateBody=certificate("self")),
                  "self's policy on node 1")["Certificate"]
assert mine["UserName"] == "self", mine
assert me.list_signing_certificates()["Certificates"] == [mine]
me.update_signing_certificate(CertificateId=mine["CertificateId"], Status="Inactive")
until(lambda: me.list_signing_certificates(UserName="self")["Certificates"],
      lambda v: v[0]["Status"] == "Inactive", "Inactive for self")
msg = expect_error("AccessDenied", me.upload_signing_certificate, UserName="other",
                   CertificateBody=certificate("other"))
assert "iam:UploadSigningCertificate" in msg and "user/other" in msg, msg
expect_error("AccessDenied", me.list_signing_certificates, UserName="other")
msg = expect_error("AccessDenied", other.upload_signing_certificate,
                   CertificateBody=certificate("other"))
assert "iam:UploadSigningCertificate" in msg, msg
expect_error("AccessDenied", other.list_signing_certificates)
expect_error("AccessDenied", other.delete_signing_certificate, UserName="self",
             CertificateId=mine["CertificateId"])
assert on(2).list_signing_certificates(UserName="other")["Certificates"] == []
me.delete_signing_certificate(CertificateId=mine["CertificateId"])
until(lambda: on(0).list_signing_certificates(UserName="self")["Certificates"],
      lambda v: v == [], "deleted on node 0")
print("ok")
