"""boto3 against a live iamd cluster: SSH public keys of IAM users (UploadSSHPublicKey,
GetSSHPublicKey in both encodings, ListSSHPublicKeys, UpdateSSHPublicKey, DeleteSSHPublicKey),
with writes sent through followers and reads from other nodes, AWS's codes and messages, and
authorization of a user managing their own keys (one allowed, one denied). Keys are made here
with `cryptography`. Usage: boto3_ssh_keys.py URL [URL...] (one per node), signed with
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment. Exits non-zero (with the
failing check) on the first failure."""

import base64
import hashlib
import json

import boto3
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from iamd_cluster import CONFIG, URLS, eventually, expect_error, on

OPENSSH = (serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
SPKI_PEM = (serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
PKCS1_PEM = (serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)


def rsa_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()


def text(key, fmt):
    return key.public_bytes(*fmt).decode()


def fingerprint(key):
    blob = base64.b64decode(text(key, OPENSSH).split()[1])
    return ":".join(f"{b:02x}" for b in hashlib.md5(blob).digest())


root = on(0)
account = root.get_user()["User"]["Arn"].split(":")[4]
on(1).create_user(UserName="dev")

# Upload through a follower (with a comment, which is not kept); read it from another node.
k1 = rsa_key()
up = on(1).upload_ssh_public_key(UserName="dev",
                                 SSHPublicKeyBody=text(k1, OPENSSH) + " dev@laptop")["SSHPublicKey"]
key_id = up["SSHPublicKeyId"]
assert key_id.startswith("APKA") and len(key_id) == 20 and key_id.isalnum() and key_id.isupper(), up
assert up["UserName"] == "dev" and up["Status"] == "Active", up
assert up["Fingerprint"] == fingerprint(k1), (up, fingerprint(k1))
assert up["SSHPublicKeyBody"] == text(k1, OPENSSH), up
assert up["UploadDate"].year >= 2024, up
got = eventually(lambda: on(2).get_ssh_public_key(UserName="dev", SSHPublicKeyId=key_id,
                                                  Encoding="SSH"), "the key on node 2")
assert got["SSHPublicKey"] == up, got
pem = on(0).get_ssh_public_key(UserName="dev", SSHPublicKeyId=key_id, Encoding="PEM")
assert pem["SSHPublicKey"]["SSHPublicKeyBody"].strip() == text(k1, SPKI_PEM).strip(), pem
expect_error("ValidationError", on(1).get_ssh_public_key, UserName="dev", SSHPublicKeyId=key_id,
             Encoding="DER")

# PEM uploads (SubjectPublicKeyInfo and PKCS#1) are stored as the same OpenSSH key.
k2, k3 = rsa_key(), rsa_key(3072)
up2 = on(2).upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=text(k2, SPKI_PEM))["SSHPublicKey"]
up3 = on(1).upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=text(k3, PKCS1_PEM))["SSHPublicKey"]
assert up2["SSHPublicKeyBody"] == text(k2, OPENSSH) and up2["Fingerprint"] == fingerprint(k2), up2
assert up3["SSHPublicKeyBody"] == text(k3, OPENSSH) and up3["Fingerprint"] == fingerprint(k3), up3

# The same key twice for a user, other algorithms, short keys: AWS's codes and messages.
msg = expect_error("DuplicateSSHPublicKey", on(2).upload_ssh_public_key, UserName="dev",
                   SSHPublicKeyBody=text(k1, SPKI_PEM))
assert msg == ("The request was rejected because the SSH public key is already associated "
               "with the specified IAM user."), msg
ed = ed25519.Ed25519PrivateKey.generate().public_key()
msg = expect_error("UnrecognizedPublicKeyEncoding", on(1).upload_ssh_public_key, UserName="dev",
                   SSHPublicKeyBody=text(ed, OPENSSH))
assert msg == ("The request was rejected because the public key encoding format is "
               "unsupported or unrecognized."), msg
expect_error("UnrecognizedPublicKeyEncoding", on(2).upload_ssh_public_key, UserName="dev",
             SSHPublicKeyBody="not a key")
msg = expect_error("InvalidPublicKey", on(1).upload_ssh_public_key, UserName="dev",
                   SSHPublicKeyBody=text(rsa_key(1024), OPENSSH))
assert msg == "The request was rejected because the public key is malformed or otherwise invalid.", msg
expect_error("InvalidPublicKey", on(2).upload_ssh_public_key, UserName="dev",
             SSHPublicKeyBody=text(k1, OPENSSH)[:80])
expect_error("NoSuchEntity", on(1).upload_ssh_public_key, UserName="nobody",
             SSHPublicKeyBody=text(rsa_key(), OPENSSH))

# At most five per user.
for _ in range(2):
    on(1).upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=text(rsa_key(), OPENSSH))
msg = expect_error("LimitExceeded", on(2).upload_ssh_public_key, UserName="dev",
                   SSHPublicKeyBody=text(rsa_key(), OPENSSH))
assert msg == "Cannot exceed quota for SSHPublicKeysPerUser: 5", msg

# Listed (paged) from any node.
listed = eventually(lambda: on(0).list_ssh_public_keys(UserName="dev"), "the list on node 0")
assert len(listed["SSHPublicKeys"]) == 5 and not listed["IsTruncated"], listed
assert listed["SSHPublicKeys"][0]["SSHPublicKeyId"] == key_id, listed
assert set(listed["SSHPublicKeys"][0]) == {"UserName", "SSHPublicKeyId", "Status", "UploadDate"}
first = on(2).list_ssh_public_keys(UserName="dev", MaxItems=2)
assert first["IsTruncated"] and len(first["SSHPublicKeys"]) == 2, first
rest = on(2).list_ssh_public_keys(UserName="dev", Marker=first["Marker"])
ids = [k["SSHPublicKeyId"] for k in first["SSHPublicKeys"] + rest["SSHPublicKeys"]]
assert ids == [k["SSHPublicKeyId"] for k in listed["SSHPublicKeys"]], ids
assert on(1).list_ssh_public_keys()["SSHPublicKeys"] == []  # the root has none

# Deactivate, then delete; a user with keys cannot be deleted.
on(2).update_ssh_public_key(UserName="dev", SSHPublicKeyId=key_id, Status="Inactive")
got = on(1).get_ssh_public_key(UserName="dev", SSHPublicKeyId=key_id, Encoding="SSH")
assert got["SSHPublicKey"]["Status"] == "Inactive", got
expect_error("ValidationError", on(1).update_ssh_public_key, UserName="dev",
             SSHPublicKeyId=key_id, Status="Off")
msg = expect_error("DeleteConflict", on(2).delete_user, UserName="dev")
assert msg == "Cannot delete entity, must delete SSH public keys first.", msg
for k in listed["SSHPublicKeys"]:
    on(1).delete_ssh_public_key(UserName="dev", SSHPublicKeyId=k["SSHPublicKeyId"])
msg = expect_error("NoSuchEntity", on(2).get_ssh_public_key, UserName="dev",
                   SSHPublicKeyId=key_id, Encoding="SSH")
assert msg == f"The Public Key with id {key_id} cannot be found.", msg
expect_error("NoSuchEntity", on(1).delete_ssh_public_key, UserName="dev", SSHPublicKeyId=key_id)
on(2).delete_user(UserName="dev")

# Authorization: iam:*SSHPublicKey* on the user's ARN. "self" may manage its own keys only;
# "other" has no policy and may manage none, not even its own.
own = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow",
    "Action": ["iam:UploadSSHPublicKey", "iam:GetSSHPublicKey", "iam:ListSSHPublicKeys",
               "iam:UpdateSSHPublicKey", "iam:DeleteSSHPublicKey"],
    "Resource": f"arn:aws:iam::{account}:user/${{aws:username}}"}]}


def user_client(name, node):
    root.create_user(UserName=name)
    key = root.create_access_key(UserName=name)["AccessKey"]
    return boto3.client("iam", endpoint_url=URLS[node % len(URLS)], region_name="us-east-1",
                        aws_access_key_id=key["AccessKeyId"],
                        aws_secret_access_key=key["SecretAccessKey"], config=CONFIG)


me = user_client("self", 1)
root.put_user_policy(UserName="self", PolicyName="own-ssh-keys", PolicyDocument=json.dumps(own))
other = user_client("other", 2)
mine = eventually(lambda: me.upload_ssh_public_key(UserName="self",
                                                   SSHPublicKeyBody=text(rsa_key(), OPENSSH)),
                  "self's policy on node 1")["SSHPublicKey"]
# Without UserName, ListSSHPublicKeys lists the caller's own keys.
assert [k["SSHPublicKeyId"] for k in me.list_ssh_public_keys()["SSHPublicKeys"]] == \
    [mine["SSHPublicKeyId"]]
me.get_ssh_public_key(UserName="self", SSHPublicKeyId=mine["SSHPublicKeyId"], Encoding="PEM")
me.update_ssh_public_key(UserName="self", SSHPublicKeyId=mine["SSHPublicKeyId"], Status="Inactive")
msg = expect_error("AccessDenied", me.upload_ssh_public_key, UserName="other",
                   SSHPublicKeyBody=text(rsa_key(), OPENSSH))
assert "iam:UploadSSHPublicKey" in msg and "user/other" in msg, msg
expect_error("AccessDenied", me.list_ssh_public_keys, UserName="other")
msg = expect_error("AccessDenied", other.upload_ssh_public_key, UserName="other",
                   SSHPublicKeyBody=text(rsa_key(), OPENSSH))
assert "iam:UploadSSHPublicKey" in msg, msg
expect_error("AccessDenied", other.list_ssh_public_keys)
expect_error("AccessDenied", other.delete_ssh_public_key, UserName="self",
             SSHPublicKeyId=mine["SSHPublicKeyId"])
assert on(2).list_ssh_public_keys(UserName="other")["SSHPublicKeys"] == []
me.delete_ssh_public_key(UserName="self", SSHPublicKeyId=mine["SSHPublicKeyId"])
assert on(0).list_ssh_public_keys(UserName="self")["SSHPublicKeys"] == []
print("ok")
