"""What the boto3 scripts share: one IAM client per node of the cluster under test (URLs from
the command line, credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), and the checks
they make of AWS's answers."""

import os
import sys
import time

import boto3
import botocore.config
from botocore.exceptions import ClientError

URLS = sys.argv[1:]
assert URLS, f"usage: {os.path.basename(sys.argv[0])} URL [URL...]"
CONFIG = botocore.config.Config(retries={"max_attempts": 8, "mode": "standard"})


def client(i=0):
    return boto3.client(
        "iam",
        endpoint_url=URLS[i % len(URLS)],
        region_name="us-east-1",
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        config=CONFIG,
    )


IAMS = [client(i) for i in range(len(URLS))]


def on(i):
    """The client of node i (1 and 2: followers of a fresh cluster)."""
    return IAMS[i % len(IAMS)]


def expect_error(code, fn, *args, **kwargs):
    """Calls fn, which must fail with AWS error `code`; returns the error's message."""
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"expected {code}, got {got}: {e}"
        return e.response["Error"]["Message"]
    raise AssertionError(f"expected {code} from {fn.__name__}{args}{kwargs}")


def eventually(f, what, seconds=10):
    """A write through one node reaches another a moment later."""
    deadline = time.time() + seconds
    while True:
        try:
            return f()
        except ClientError as e:
            if time.time() > deadline:
                raise AssertionError(f"{what}: still {e.response['Error']['Code']}") from e
            time.sleep(0.2)


def until(f, ok, what, seconds=10):
    """f()'s value (or its error code) once ok() holds for it: a write through one node
    reaches another a moment later. An ok() that cannot judge a value (an error code where
    it expects a response) counts as not yet."""
    deadline = time.time() + seconds
    while True:
        try:
            v = f()
        except ClientError as e:
            v = e.response["Error"]["Code"]
        try:
            done = ok(v)
        except (TypeError, KeyError, IndexError, AttributeError):
            done = False
        if done:
            return v
        assert time.time() < deadline, f"{what}: still {v}"
        time.sleep(0.2)
