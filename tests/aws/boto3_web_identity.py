"""boto3 against a live iamd cluster: AssumeRoleWithWebIdentity with tokens of a local OpenID
Connect issuer made here (an HTTPS server on 127.0.0.1:$ISSUER_PORT with its own CA, which the
nodes reach as https://issuer.iamd.test through --oidc-resolve; RSA keys and RS256 tokens
made with `cryptography`). Checks the unsigned call through followers, the session's rights,
unmodified boto3 with AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, and the refusals (forged,
expired, wrong audience, wrong issuer, alg none, trust conditions, thumbprint mismatch,
private addresses), and that unknown key ids cannot make the nodes fetch in a loop.
Usage: boto3_web_identity.py URL [URL...], signed with the operator's AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY; ISSUER_PORT in the environment. Exits non-zero on the first failure."""

import base64
import datetime
import hashlib
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import botocore
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from iamd_cluster import CONFIG, URLS, eventually, expect_error, on

HOST = "issuer.iamd.test"
ISSUER = f"https://{HOST}"
PORT = int(os.environ["ISSUER_PORT"])
AUDIENCE = "sts.amazonaws.com"
SUBJECT = "system:serviceaccount:default:app"


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n):
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


# --- The issuer: a CA, a certificate for HOST, signing keys, an HTTPS server. ---
def certificate(subject, issuer, key, issuer_key, ca, names=()):
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder()
         .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
         .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
         .public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(hours=1))
         .not_valid_after(now + datetime.timedelta(days=2))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                          False), critical=True)
    else:
        b = (b.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                             critical=False)
             .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                            critical=False))
    return b.sign(issuer_key, hashes.SHA256())


ca_key = ec.generate_private_key(ec.SECP256R1())
ca_cert = certificate("iamd test issuer CA", "iamd test issuer CA", ca_key, ca_key, True)
leaf_key = ec.generate_private_key(ec.SECP256R1())
leaf_cert = certificate(HOST, "iamd test issuer CA", leaf_key, ca_key, False, [HOST])
THUMBPRINT = hashlib.sha1(ca_cert.public_bytes(serialization.Encoding.DER)).hexdigest()

signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
numbers = signing_key.public_key().public_numbers()
JWKS = {"keys": [{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
                  "n": b64u(uint(numbers.n)), "e": b64u(uint(numbers.e))}]}
FETCHES = []


class Issuer(BaseHTTPRequestHandler):
    def do_GET(self):
        FETCHES.append(self.path)
        if self.path == "/.well-known/openid-configuration":
            body = {"issuer": ISSUER, "jwks_uri": f"{ISSUER}/keys"}
        elif self.path == "/keys":
            body = JWKS
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


tmp = tempfile.mkdtemp()
with open(f"{tmp}/chain.pem", "wb") as f:
    f.write(leaf_cert.public_bytes(serialization.Encoding.PEM))
    f.write(ca_cert.public_bytes(serialization.Encoding.PEM))
with open(f"{tmp}/key.pem", "wb") as f:
    f.write(leaf_key.private_bytes(serialization.Encoding.PEM,
                                   serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls.load_cert_chain(f"{tmp}/chain.pem", f"{tmp}/key.pem")
server = ThreadingHTTPServer(("127.0.0.1", PORT), Issuer)
server.socket = tls.wrap_socket(server.socket, server_side=True)
threading.Thread(target=server.serve_forever, daemon=True).start()


def token(key=signing_key, kid="k1", alg="RS256", **claims):
    now = int(time.time())
    body = {"iss": ISSUER, "sub": SUBJECT, "aud": AUDIENCE, "iat": now - 5, "nbf": now - 5,
            "exp": now + 600}
    body.update(claims)
    header = {"alg": alg, "typ": "JWT", "kid": kid}
    signing_input = f"{b64u(json.dumps(header).encode())}.{b64u(json.dumps(body).encode())}"
    if alg == "none":
        return signing_input + "."
    sig = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64u(sig)}"


# --- The account's side: the provider and a role it may assume. ---
root = on(0)
account = root.get_user()["User"]["Arn"].split(":")[4]
provider_arn = root.create_open_id_connect_provider(
    Url=ISSUER, ClientIDList=[AUDIENCE], ThumbprintList=[THUMBPRINT])["OpenIDConnectProviderArn"]
assert provider_arn == f"arn:aws:iam::{account}:oidc-provider/{HOST}", provider_arn
trust = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Federated": provider_arn},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringEquals": {f"{HOST}:sub": SUBJECT, f"{HOST}:aud": AUDIENCE}}}]}
role_arn = root.create_role(RoleName="pod-role", Path="/k8s/",
                            AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
root.put_role_policy(RoleName="pod-role", PolicyName="list", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}))


def sts(i):
    """An STS client with no credentials at all: the call is unsigned. No retries: botocore
    retries IDPCommunicationError with back-off, and each refusal here is meant."""
    return boto3.client("sts", endpoint_url=URLS[i % len(URLS)], region_name="us-east-1",
                        config=CONFIG.merge(botocore.config.Config(
                            signature_version=botocore.UNSIGNED,
                            retries={"total_max_attempts": 1, "mode": "standard"})))


def assume(i, web_token, **kw):
    return sts(i).assume_role_with_web_identity(RoleArn=kw.pop("RoleArn", role_arn),
                                                RoleSessionName=kw.pop("RoleSessionName", "pod"),
                                                WebIdentityToken=web_token, **kw)


# Through followers, once the provider and role reached them.
got = eventually(lambda: assume(1, token()), "web identity on node 1")
assert got["SubjectFromWebIdentityToken"] == SUBJECT, got
assert got["Audience"] == AUDIENCE, got
assert got["Provider"] == provider_arn, got
assert got["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/pod-role/pod", got
assert got["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA"), got
creds = got["Credentials"]
assert creds["AccessKeyId"].startswith("ASIA"), creds
left = creds["Expiration"] - datetime.datetime.now(datetime.timezone.utc)
assert datetime.timedelta(minutes=55) < left <= datetime.timedelta(hours=1, minutes=1), left

# The session acts as the role, on every node.
session = {"aws_access_key_id": creds["AccessKeyId"],
           "aws_secret_access_key": creds["SecretAccessKey"],
           "aws_session_token": creds["SessionToken"]}
for i in range(len(URLS)):
    who = boto3.client("sts", endpoint_url=URLS[i], region_name="us-east-1", config=CONFIG,
                       **session).get_caller_identity()
    assert who["Arn"] == got["AssumedRoleUser"]["Arn"], who
as_role = boto3.client("iam", endpoint_url=URLS[2 % len(URLS)], region_name="us-east-1",
                       config=CONFIG, **session)
as_role.list_users()
expect_error("AccessDenied", as_role.create_user, UserName="intruder")

# A duration within the role's maximum, and a session policy that narrows it.
short = assume(2, token(), DurationSeconds=900, RoleSessionName="short",
               Policy=json.dumps({"Version": "2012-10-17", "Statement": [
                   {"Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*"}]}))
narrowed = boto3.client("iam", endpoint_url=URLS[0], region_name="us-east-1", config=CONFIG,
                        aws_access_key_id=short["Credentials"]["AccessKeyId"],
                        aws_secret_access_key=short["Credentials"]["SecretAccessKey"],
                        aws_session_token=short["Credentials"]["SessionToken"])
expect_error("AccessDenied", narrowed.list_users)
expect_error("ValidationError", assume, 0, token(), DurationSeconds=7200)

# Unmodified boto3 in a "pod": only AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN and the endpoint.
with open(f"{tmp}/token", "w") as f:
    f.write(token())
env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
env.update({"AWS_WEB_IDENTITY_TOKEN_FILE": f"{tmp}/token", "AWS_ROLE_ARN": role_arn,
            "AWS_ROLE_SESSION_NAME": "sdk-pod", "AWS_ENDPOINT_URL": URLS[1 % len(URLS)],
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true"})
pod = subprocess.run([sys.executable, "-c",
                      "import boto3; print(boto3.client('sts').get_caller_identity()['Arn']); "
                      "boto3.client('iam').list_users()"],
                     env=env, capture_output=True, text=True, timeout=60)
assert pod.returncode == 0, pod.stderr
assert pod.stdout.strip() == f"arn:aws:sts::{account}:assumed-role/pod-role/sdk-pod", pod.stdout

# --- Refusals, with AWS's codes. ---
other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
msg = expect_error("InvalidIdentityToken", assume, 1, token(key=other_key))
expect_error("InvalidIdentityToken", assume, 2, token(alg="none"))
msg = expect_error("ExpiredTokenException", assume, 0, token(exp=int(time.time()) - 1000))
assert "expired" in msg.lower(), msg
msg = expect_error("InvalidIdentityToken", assume, 1, token(aud="someone-else"))
assert msg == "Incorrect token audience", msg
msg = expect_error("InvalidIdentityToken", assume, 2, token(iss="https://other.iamd.test"))
assert msg == "No OpenIDConnect provider found in your account for https://other.iamd.test", msg
# A claim the trust policy does not allow, or a role it does not name.
expect_error("AccessDenied", assume, 0, token(sub="system:serviceaccount:kube-system:admin"))
root.create_role(RoleName="other", AssumeRolePolicyDocument=json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                                            "Action": "sts:AssumeRole"}]}))
other_arn = f"arn:aws:iam::{account}:role/other"
eventually(lambda: on(1).get_role(RoleName="other"), "role other on node 1")
expect_error("AccessDenied", assume, 1, token(), RoleArn=other_arn)
expect_error("AccessDenied", assume, 1, token(), RoleArn=f"arn:aws:iam::{account}:role/none")
expect_error("ValidationError", assume, 0, token(), RoleSessionName="bad name!")

# Unsigned, only AssumeRoleWithWebIdentity is served: anything else is unauthenticated and
# changes nothing, whatever action it names.
for action in ("CreateUser", "GetFederationToken", "AssumeRole"):
    body = urllib.parse.urlencode({"Action": action, "Version": "2010-05-08",
                                   "UserName": "unsigned", "Name": "unsigned",
                                   "RoleArn": role_arn, "RoleSessionName": "x"}).encode()
    req = urllib.request.Request(URLS[1 % len(URLS)], data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    try:
        urllib.request.urlopen(req, timeout=10)
        raise AssertionError(f"unsigned {action} was served")
    except urllib.error.HTTPError as e:
        assert e.code == 403 and b"MissingAuthenticationToken" in e.read(), (action, e.code)
expect_error("NoSuchEntity", root.get_user, UserName="unsigned")

# Unknown key ids: at most one fetch per node (then the set is kept for a minute).
before = len(FETCHES)
for i in range(12):
    expect_error("InvalidIdentityToken", assume, i, token(kid=f"rotated-{i}"))
assert len(FETCHES) - before <= 2 * len(URLS), FETCHES[before:]

# The certificate must match a thumbprint of the provider.
root.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=provider_arn,
                                                ThumbprintList=["0" * 40])


def mismatch():
    msg = expect_error("InvalidIdentityToken", assume, 0, token())
    assert "thumbprint" in msg, msg


deadline = time.time() + 10
while True:
    try:
        mismatch()
        break
    except AssertionError:
        if time.time() > deadline:
            raise
        time.sleep(0.2)
root.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=provider_arn,
                                                ThumbprintList=[THUMBPRINT])

# A provider whose host resolves to a loopback address: not fetched without the operator's
# leave (--oidc-allow-private-networks).
local_arn = root.create_open_id_connect_provider(
    Url="https://localhost", ClientIDList=[AUDIENCE],
    ThumbprintList=[THUMBPRINT])["OpenIDConnectProviderArn"]
root.update_assume_role_policy(RoleName="pod-role", PolicyDocument=json.dumps({
    "Version": "2012-10-17", "Statement": [
        trust["Statement"][0],
        {"Effect": "Allow", "Principal": {"Federated": local_arn},
         "Action": "sts:AssumeRoleWithWebIdentity"}]}))
time.sleep(1)
expect_error("IDPCommunicationError", assume, 0, token(iss="https://localhost"))
print("ok")
