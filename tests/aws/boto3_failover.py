"""boto3 keeps writing through a leader kill: creates users with botocore's standard retries
across all node URLs until told to stop (a file appears), then prints the names it created.
Usage: boto3_failover.py STOPFILE URL [URL...]"""

import os
import sys
import time

import boto3
import botocore.config
from botocore.exceptions import ClientError, EndpointConnectionError

STOP, URLS = sys.argv[1], sys.argv[2:]
config = botocore.config.Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=1, read_timeout=15)
clients = [boto3.client("iam", endpoint_url=u, region_name="us-east-1", aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"], config=config) for u in URLS]
created = []
i = 0
while not os.path.exists(STOP):
    name = f"fo-{i}"
    # Like a script that fails over to another endpoint when one is unreachable.
    for attempt in range(30):
        c = clients[(i + attempt) % len(clients)]
        try:
            c.create_user(UserName=name)
            created.append(name)
            break
        except EndpointConnectionError:
            time.sleep(0.1)
        except ClientError as e:
            code = e.response["Error"]["Code"]
            if code == "EntityAlreadyExists":
                # An earlier attempt committed before its answer was lost: not a duplicate.
                created.append(name)
                break
            if code in ("ServiceUnavailable", "ServiceFailure"):
                time.sleep(0.1)
                continue
            raise
    else:
        sys.exit(f"could not create {name}")
    i += 1
print("\n".join(created))
