"""An S3-compatible server (moto) on 127.0.0.1 with a `lake` bucket, for the pickle comparison."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import boto3

from data_platform.local.processes import free_port

TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                    "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}  # fmt: skip


@contextmanager
def s3_server() -> Iterator[str]:
    """The endpoint URL of a fresh in-memory S3 server; AWS variables set only meanwhile."""
    from moto.server import ThreadedMotoServer

    saved = {key: os.environ.get(key) for key in TEST_CREDENTIALS}
    os.environ.update(TEST_CREDENTIALS)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="lake")
        yield endpoint
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
